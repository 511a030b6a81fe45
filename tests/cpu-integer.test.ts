/**
 * MIPS32r2 integer instructions, hand-assembled. Expected values come from the MIPS32 Release 2
 * instruction set manual (MD00086) and, where it leaves a choice, from QEMU target/mips.
 */
import { describe, expect, it } from 'vitest';
import { CODE, CpuHarness, DATA, VEC_GENERAL } from './helpers/cpu-harness';
import {
  A0, A1, RA, T0, T1, T2, T3, T4, T5, T6, ZERO,
  add, addi, addiu, addu, and, andi, b, bal, beq, beql, bgez, bgezal, bgezall, bgezl, bgtz, bgtzl, blez, blezl,
  bltz, bltzal, bltzall, bltzl, bne, bnel, cache, clo, clz, div, divu, ehb, ext, halt, ins, j, jal, jalr, jr, lb,
  lbu, lh, lhu, li, ll, lui, lw, lwl, lwr, madd, maddu, mfhi, mflo, movn, movz, msub, msubu, mthi, mtlo, mul,
  mult, multu, nop, nor, or, ori, pref, rotr, rotrv, sb, sc, seb, seh, sh, sll, sllv, slt, slti, sltiu, sltu,
  sra, srav, srl, srlv, sub, subu, sw, swl, swr, sync, synci, syscall, wsbh, xor, xori, eret, mfc0, mtc0, K0,
  C0_EPC,
} from './helpers/mips-asm';

type Regs = Partial<Record<number, number>>;

/** Run `words` (followed by a halt loop) from CODE with the given registers, `n` instructions. */
function exec(words: number[], regs: Regs = {}, n = words.length): CpuHarness {
  const h = new CpuHarness();
  h.program([...words, ...halt()]);
  for (const [r, v] of Object.entries(regs)) h.setReg(Number(r), v as number);
  h.step(n);
  return h;
}

/** Execute one instruction and return the unsigned value of register `out`. */
function one(insn: number, regs: Regs, out: number): number {
  const h = exec([insn], regs, 1);
  expect(h.pc, 'no exception').toBe(CODE + 4);
  return h.reg(out);
}

/** Execute one HI/LO instruction and return [hi, lo] unsigned. */
function hilo(insn: number, regs: Regs, hi = 0, lo = 0): [number, number] {
  const h = new CpuHarness();
  h.program([insn, ...halt()]);
  for (const [r, v] of Object.entries(regs)) h.setReg(Number(r), v as number);
  h.cpu.hi = hi | 0;
  h.cpu.lo = lo | 0;
  h.step(1);
  expect(h.pc).toBe(CODE + 4);
  return [h.cpu.hi >>> 0, h.cpu.lo >>> 0];
}

describe('add/sub and overflow', () => {
  it('ADDU wraps without trapping', () => {
    expect(one(addu(T2, T0, T1), { [T0]: 0x7fffffff, [T1]: 1 }, T2)).toBe(0x80000000);
    expect(one(addu(T2, T0, T1), { [T0]: -1, [T1]: -1 }, T2)).toBe(0xfffffffe);
  });

  it('ADD without overflow', () => {
    expect(one(add(T2, T0, T1), { [T0]: 5, [T1]: -3 }, T2)).toBe(2);
    expect(one(add(T2, T0, T1), { [T0]: 0x7ffffffe, [T1]: 1 }, T2)).toBe(0x7fffffff);
    expect(one(add(T2, T0, T1), { [T0]: -0x7fffffff, [T1]: -1 }, T2)).toBe(0x80000000);
  });

  for (const [name, a, bv] of [
    ['positive', 0x7fffffff, 1],
    ['negative', -0x80000000, -1],
  ] as const) {
    it(`ADD ${name} overflow raises Ov (12) and leaves rd unchanged`, () => {
      const h = exec([add(T2, T0, T1)], { [T0]: a, [T1]: bv, [T2]: 0x12345678 }, 3);
      expect(h.excCode).toBe(12);
      expect(h.epc).toBe(CODE);
      expect(h.bd).toBe(false);
      expect(h.parkedAt(VEC_GENERAL)).toBe(true);
      expect(h.reg(T2)).toBe(0x12345678);
    });
  }

  it('ADDI overflow raises Ov, rt unchanged; in-range results do not trap', () => {
    let h = exec([addi(T2, T0, 1)], { [T0]: 0x7fffffff, [T2]: 0x5555 }, 3);
    expect(h.excCode).toBe(12);
    expect(h.reg(T2)).toBe(0x5555);
    h = exec([addi(T2, T0, -1)], { [T0]: -0x80000000, [T2]: 0x5555 }, 3);
    expect(h.excCode).toBe(12);
    expect(h.reg(T2)).toBe(0x5555);
    expect(one(addi(T2, T0, -1), { [T0]: 0 }, T2)).toBe(0xffffffff);
    expect(one(addi(T2, T0, 0x7fff), { [T0]: 0x7fff0000 }, T2)).toBe(0x7fff7fff);
  });

  it('ADDIU sign-extends the immediate and never traps', () => {
    expect(one(addiu(T2, T0, 0xffff), { [T0]: 0 }, T2)).toBe(0xffffffff);
    expect(one(addiu(T2, T0, 0x8000), { [T0]: 0 }, T2)).toBe(0xffff8000);
    expect(one(addiu(T2, T0, 1), { [T0]: 0x7fffffff }, T2)).toBe(0x80000000);
  });

  it('SUB and SUBU', () => {
    expect(one(sub(T2, T0, T1), { [T0]: 3, [T1]: 5 }, T2)).toBe(0xfffffffe);
    expect(one(subu(T2, T0, T1), { [T0]: -0x80000000, [T1]: 1 }, T2)).toBe(0x7fffffff);
    let h = exec([sub(T2, T0, T1)], { [T0]: -0x80000000, [T1]: 1, [T2]: 7 }, 3);
    expect(h.excCode).toBe(12);
    expect(h.reg(T2)).toBe(7);
    h = exec([sub(T2, T0, T1)], { [T0]: 0, [T1]: -0x80000000, [T2]: 7 }, 3);
    expect(h.excCode).toBe(12);
    expect(h.reg(T2)).toBe(7);
  });
});

describe('logic, LUI/ORI', () => {
  const regs = { [T0]: 0xf0f0ff00 | 0, [T1]: 0x0ff0f0f0 };
  it('AND/OR/XOR/NOR', () => {
    expect(one(and(T2, T0, T1), regs, T2)).toBe(0x00f0f000);
    expect(one(or(T2, T0, T1), regs, T2)).toBe(0xfff0fff0);
    expect(one(xor(T2, T0, T1), regs, T2)).toBe(0xff000ff0);
    expect(one(nor(T2, T0, T1), regs, T2)).toBe(0x000f000f);
  });
  it('ANDI/ORI/XORI zero-extend the immediate', () => {
    expect(one(andi(T2, T0, 0x8000), { [T0]: -1 }, T2)).toBe(0x8000);
    expect(one(ori(T2, T0, 0xabcd), { [T0]: 0x12340000 }, T2)).toBe(0x1234abcd);
    expect(one(xori(T2, T0, 0xffff), { [T0]: -1 }, T2)).toBe(0xffff0000);
  });
  it('LUI + ORI build a 32-bit constant', () => {
    const h = exec([...li(T0, 0xdeadbeef), lui(T1, 0x8765)]);
    expect(h.reg(T0)).toBe(0xdeadbeef);
    expect(h.reg(T1)).toBe(0x87650000);
  });
  it('writes to $zero are discarded', () => {
    const h = exec([addiu(ZERO, ZERO, 5), addu(T0, ZERO, ZERO), lui(ZERO, 0x1234), or(T1, ZERO, ZERO)]);
    expect(h.reg(T0)).toBe(0);
    expect(h.reg(T1)).toBe(0);
    expect(h.reg(ZERO)).toBe(0);
  });
});

describe('set-on-less-than', () => {
  it('SLT is signed, SLTU unsigned', () => {
    expect(one(slt(T2, T0, T1), { [T0]: -1, [T1]: 1 }, T2)).toBe(1);
    expect(one(slt(T2, T0, T1), { [T0]: 1, [T1]: -1 }, T2)).toBe(0);
    expect(one(slt(T2, T0, T1), { [T0]: 5, [T1]: 5 }, T2)).toBe(0);
    expect(one(slt(T2, T0, T1), { [T0]: -0x80000000, [T1]: 0x7fffffff }, T2)).toBe(1);
    expect(one(sltu(T2, T0, T1), { [T0]: -1, [T1]: 1 }, T2)).toBe(0);
    expect(one(sltu(T2, T0, T1), { [T0]: 1, [T1]: -1 }, T2)).toBe(1);
    expect(one(sltu(T2, T0, T1), { [T0]: 5, [T1]: 5 }, T2)).toBe(0);
    expect(one(sltu(T2, T0, T1), { [T0]: 0x7fffffff, [T1]: -0x80000000 }, T2)).toBe(1);
  });
  it('SLTI compares against the sign-extended immediate', () => {
    expect(one(slti(T2, T0, -4), { [T0]: -5 }, T2)).toBe(1);
    expect(one(slti(T2, T0, 0xffff), { [T0]: 0 }, T2)).toBe(0); // 0 < -1 is false
    expect(one(slti(T2, T0, 0x7fff), { [T0]: 0x7ffe }, T2)).toBe(1);
    expect(one(slti(T2, T0, 0x8000), { [T0]: 0 }, T2)).toBe(0); // 0 < -32768 is false
  });
  it('SLTIU sign-extends the immediate, then compares unsigned', () => {
    expect(one(sltiu(T2, T0, 0xffff), { [T0]: 0 }, T2)).toBe(1); // 0 < 0xFFFFFFFF
    expect(one(sltiu(T2, T0, -1), { [T0]: -2 }, T2)).toBe(1); // 0xFFFFFFFE < 0xFFFFFFFF
    expect(one(sltiu(T2, T0, 1), { [T0]: -1 }, T2)).toBe(0);
    expect(one(sltiu(T2, T0, 0x8000), { [T0]: 5 }, T2)).toBe(1); // 5 < 0xFFFF8000
    expect(one(sltiu(T2, T0, 5), { [T0]: 5 }, T2)).toBe(0);
  });
});

describe('shifts and rotates', () => {
  it('SLL/SRL/SRA by immediate', () => {
    expect(one(sll(T2, T0, 31), { [T0]: 1 }, T2)).toBe(0x80000000);
    expect(one(sll(T2, T0, 4), { [T0]: 0x12345678 }, T2)).toBe(0x23456780);
    expect(one(srl(T2, T0, 31), { [T0]: -0x80000000 }, T2)).toBe(1);
    expect(one(srl(T2, T0, 4), { [T0]: -1 }, T2)).toBe(0x0fffffff);
    expect(one(sra(T2, T0, 4), { [T0]: -0x80000000 }, T2)).toBe(0xf8000000);
    expect(one(sra(T2, T0, 31), { [T0]: -1 }, T2)).toBe(0xffffffff);
    expect(one(sra(T2, T0, 2), { [T0]: -17 }, T2)).toBe((-5 >>> 0)); // rounds toward -infinity
    expect(one(sra(T2, T0, 4), { [T0]: 0x7ffffff0 }, T2)).toBe(0x07ffffff);
  });
  it('variable shifts use only the low 5 bits of rs', () => {
    expect(one(sllv(T2, T0, T1), { [T0]: 1, [T1]: 33 }, T2)).toBe(2);
    expect(one(srlv(T2, T0, T1), { [T0]: -0x80000000, [T1]: 35 }, T2)).toBe(0x10000000);
    expect(one(srav(T2, T0, T1), { [T0]: -0x80000000, [T1]: 35 }, T2)).toBe(0xf0000000);
    expect(one(srav(T2, T0, T1), { [T0]: -17, [T1]: 2 }, T2)).toBe(-5 >>> 0);
    expect(one(sllv(T2, T0, T1), { [T0]: 0x1234, [T1]: 32 }, T2)).toBe(0x1234);
  });
  it('ROTR/ROTRV', () => {
    expect(one(rotr(T2, T0, 8), { [T0]: 0x12345678 }, T2)).toBe(0x78123456);
    expect(one(rotr(T2, T0, 0), { [T0]: 0x12345678 }, T2)).toBe(0x12345678);
    expect(one(rotr(T2, T0, 31), { [T0]: 0x80000001 | 0 }, T2)).toBe(0x00000003);
    expect(one(rotr(T2, T0, 1), { [T0]: 1 }, T2)).toBe(0x80000000);
    expect(one(rotrv(T2, T0, T1), { [T0]: 0x12345678, [T1]: 4 }, T2)).toBe(0x81234567);
    expect(one(rotrv(T2, T0, T1), { [T0]: 0x12345678, [T1]: 36 }, T2)).toBe(0x81234567);
    expect(one(rotrv(T2, T0, T1), { [T0]: 0x12345678, [T1]: 32 }, T2)).toBe(0x12345678);
  });
});

describe('multiply and divide', () => {
  it('MULT is signed 32x32 -> 64', () => {
    expect(hilo(mult(T0, T1), { [T0]: -3, [T1]: 7 })).toEqual([0xffffffff, 0xffffffeb]);
    expect(hilo(mult(T0, T1), { [T0]: 0x7fffffff, [T1]: 0x7fffffff })).toEqual([0x3fffffff, 0x00000001]);
    expect(hilo(mult(T0, T1), { [T0]: -0x80000000, [T1]: -0x80000000 })).toEqual([0x40000000, 0]);
    expect(hilo(mult(T0, T1), { [T0]: -0x80000000, [T1]: 1 })).toEqual([0xffffffff, 0x80000000]);
    expect(hilo(mult(T0, T1), { [T0]: -0x80000000, [T1]: 0x7fffffff })).toEqual([0xc0000000, 0x80000000]);
    expect(hilo(mult(T0, T1), { [T0]: 0x12345678, [T1]: -0x789abcdf })).toEqual([0xf76c768d, 0x70b88d78]);
  });
  it('MULTU is unsigned', () => {
    expect(hilo(multu(T0, T1), { [T0]: -1, [T1]: -1 })).toEqual([0xfffffffe, 0x00000001]);
    expect(hilo(multu(T0, T1), { [T0]: -0x80000000, [T1]: 2 })).toEqual([1, 0]);
    expect(hilo(multu(T0, T1), { [T0]: -3, [T1]: 7 })).toEqual([6, 0xffffffeb]);
  });
  it('DIV truncates toward zero; the remainder takes the sign of the dividend', () => {
    expect(hilo(div(T0, T1), { [T0]: 7, [T1]: -2 })).toEqual([1, (-3 >>> 0)]);
    expect(hilo(div(T0, T1), { [T0]: -7, [T1]: 2 })).toEqual([(-1 >>> 0), (-3 >>> 0)]);
    expect(hilo(div(T0, T1), { [T0]: -7, [T1]: -2 })).toEqual([(-1 >>> 0), 3]);
    expect(hilo(div(T0, T1), { [T0]: 6, [T1]: 3 })).toEqual([0, 2]);
  });
  it('DIV INT_MIN / -1 gives LO = INT_MIN, HI = 0 (QEMU) without trapping', () => {
    expect(hilo(div(T0, T1), { [T0]: -0x80000000, [T1]: -1 })).toEqual([0, 0x80000000]);
  });
  it('DIV/DIVU by zero give LO = rs, HI = 0 (QEMU; the architecture leaves it UNPREDICTABLE)', () => {
    expect(hilo(div(T0, T1), { [T0]: -7, [T1]: 0 }, 0x1111, 0x2222)).toEqual([0, -7 >>> 0]);
    expect(hilo(divu(T0, T1), { [T0]: 0x9000000, [T1]: 0 }, 0x1111, 0x2222)).toEqual([0, 0x9000000]);
  });
  it('DIVU is unsigned', () => {
    expect(hilo(divu(T0, T1), { [T0]: -1, [T1]: 2 })).toEqual([1, 0x7fffffff]);
    expect(hilo(divu(T0, T1), { [T0]: -0x80000000, [T1]: 0x10 })).toEqual([0, 0x08000000]);
    expect(hilo(divu(T0, T1), { [T0]: -7, [T1]: -2 })).toEqual([0xfffffff9, 0]);
  });
  it('MFHI/MFLO/MTHI/MTLO', () => {
    const h = exec([mthi(T0), mtlo(T1), mfhi(T2), mflo(T3)], { [T0]: 0x11112222, [T1]: -5 });
    expect(h.reg(T2)).toBe(0x11112222);
    expect(h.reg(T3)).toBe(-5 >>> 0);
  });
  it('MADD adds the signed product to HI:LO with carry into HI', () => {
    expect(hilo(madd(T0, T1), { [T0]: 1, [T1]: 1 }, 0, -1)).toEqual([1, 0]);
    expect(hilo(madd(T0, T1), { [T0]: -1, [T1]: 1 }, 0, 0)).toEqual([0xffffffff, 0xffffffff]);
    expect(hilo(madd(T0, T1), { [T0]: -1, [T1]: 1 }, 1, 0)).toEqual([0, 0xffffffff]);
    expect(hilo(madd(T0, T1), { [T0]: 0x7fffffff, [T1]: 0x7fffffff }, 0x10, 0xf0000000)).toEqual([
      0x4000000f, 0xf0000001,
    ]);
  });
  it('MADDU adds the unsigned product', () => {
    expect(hilo(maddu(T0, T1), { [T0]: -1, [T1]: -1 }, 0, -1)).toEqual([0xffffffff, 0]);
    expect(hilo(maddu(T0, T1), { [T0]: -1, [T1]: 1 }, 0, 1)).toEqual([1, 0]);
  });
  it('MSUB subtracts the signed product with borrow from HI', () => {
    expect(hilo(msub(T0, T1), { [T0]: 1, [T1]: 1 }, 1, 0)).toEqual([0, 0xffffffff]);
    expect(hilo(msub(T0, T1), { [T0]: -2, [T1]: 3 }, 0, 0)).toEqual([0, 6]);
    expect(hilo(msub(T0, T1), { [T0]: 2, [T1]: 3 }, 0, 0)).toEqual([0xffffffff, 0xfffffffa]);
  });
  it('MSUBU subtracts the unsigned product', () => {
    expect(hilo(msubu(T0, T1), { [T0]: -1, [T1]: 1 }, 1, 0)).toEqual([0, 1]);
    expect(hilo(msubu(T0, T1), { [T0]: -1, [T1]: -1 }, 0, 0)).toEqual([1, 0xffffffff]);
  });
  it('MUL writes the low 32 bits of the signed product to rd', () => {
    expect(one(mul(T2, T0, T1), { [T0]: -3, [T1]: 7 }, T2)).toBe(-21 >>> 0);
    expect(one(mul(T2, T0, T1), { [T0]: 0x10000, [T1]: 0x10000 }, T2)).toBe(0);
    expect(one(mul(T2, T0, T1), { [T0]: 0x12345678, [T1]: -0x789abcdf }, T2)).toBe(0x70b88d78);
  });
});

describe('bit operations', () => {
  it('CLZ', () => {
    expect(one(clz(T2, T0), { [T0]: 0 }, T2)).toBe(32);
    expect(one(clz(T2, T0), { [T0]: 1 }, T2)).toBe(31);
    expect(one(clz(T2, T0), { [T0]: -0x80000000 }, T2)).toBe(0);
    expect(one(clz(T2, T0), { [T0]: 0x00010000 }, T2)).toBe(15);
  });
  it('CLO', () => {
    expect(one(clo(T2, T0), { [T0]: -1 }, T2)).toBe(32);
    expect(one(clo(T2, T0), { [T0]: 0 }, T2)).toBe(0);
    expect(one(clo(T2, T0), { [T0]: 0xfffe0000 | 0 }, T2)).toBe(15);
    expect(one(clo(T2, T0), { [T0]: -0x80000000 }, T2)).toBe(1);
  });
  it('MOVN/MOVZ', () => {
    expect(one(movn(T2, T0, T1), { [T0]: 42, [T1]: 1, [T2]: 7 }, T2)).toBe(42);
    expect(one(movn(T2, T0, T1), { [T0]: 42, [T1]: 0, [T2]: 7 }, T2)).toBe(7);
    expect(one(movz(T2, T0, T1), { [T0]: 42, [T1]: 0, [T2]: 7 }, T2)).toBe(42);
    expect(one(movz(T2, T0, T1), { [T0]: 42, [T1]: -1, [T2]: 7 }, T2)).toBe(7);
  });
  it('EXT extracts size bits at pos (sizes 1..32)', () => {
    expect(one(ext(T2, T0, 4, 8), { [T0]: 0x12345678 }, T2)).toBe(0x67);
    expect(one(ext(T2, T0, 31, 1), { [T0]: -0x80000000 }, T2)).toBe(1);
    expect(one(ext(T2, T0, 0, 1), { [T0]: -2 }, T2)).toBe(0);
    expect(one(ext(T2, T0, 0, 32), { [T0]: 0xdeadbeef | 0 }, T2)).toBe(0xdeadbeef);
    expect(one(ext(T2, T0, 16, 16), { [T0]: 0xdeadbeef | 0 }, T2)).toBe(0xdead);
    expect(one(ext(T2, T0, 1, 31), { [T0]: -1 }, T2)).toBe(0x7fffffff);
  });
  it('INS inserts the low size bits of rs at pos, keeping the rest of rt', () => {
    expect(one(ins(T2, T0, 8, 8), { [T0]: 0x12, [T2]: -1 }, T2)).toBe(0xffff12ff);
    expect(one(ins(T2, T0, 0, 32), { [T0]: 0x13579bdf, [T2]: -1 }, T2)).toBe(0x13579bdf);
    expect(one(ins(T2, T0, 31, 1), { [T0]: -1, [T2]: 0 }, T2)).toBe(0x80000000);
    expect(one(ins(T2, T0, 0, 1), { [T0]: -2, [T2]: -1 }, T2)).toBe(0xfffffffe);
    expect(one(ins(T2, T0, 4, 28), { [T0]: 0, [T2]: -1 }, T2)).toBe(0x0000000f);
    expect(one(ins(T2, T0, 0, 31), { [T0]: 0, [T2]: -1 }, T2)).toBe(0x80000000);
  });
  it('WSBH/SEB/SEH', () => {
    expect(one(wsbh(T2, T0), { [T0]: 0x11223344 }, T2)).toBe(0x22114433);
    expect(one(wsbh(T2, T0), { [T0]: 0xff00ff00 | 0 }, T2)).toBe(0x00ff00ff);
    expect(one(seb(T2, T0), { [T0]: 0x80 }, T2)).toBe(0xffffff80);
    expect(one(seb(T2, T0), { [T0]: 0x1234567f }, T2)).toBe(0x7f);
    expect(one(seh(T2, T0), { [T0]: 0x8000 }, T2)).toBe(0xffff8000);
    expect(one(seh(T2, T0), { [T0]: 0x12347fff }, T2)).toBe(0x7fff);
  });
});

describe('loads and stores', () => {
  /** Bytes 80 7F FE FF 01 02 03 04 at DATA. */
  function withData(words: number[], regs: Regs = {}): CpuHarness {
    const h = new CpuHarness();
    h.writeBytes(DATA, [0x80, 0x7f, 0xfe, 0xff, 0x01, 0x02, 0x03, 0x04]);
    h.program([...words, ...halt()]);
    h.setReg(A0, DATA);
    for (const [r, v] of Object.entries(regs)) h.setReg(Number(r), v as number);
    h.step(words.length);
    expect(h.pc).toBe(CODE + 4 * words.length);
    return h;
  }

  it('LB/LBU sign- and zero-extend bytes', () => {
    const h = withData([lb(T0, 0, A0), lb(T1, 1, A0), lbu(T2, 0, A0), lbu(T3, 3, A0)]);
    expect(h.reg(T0)).toBe(0xffffff80);
    expect(h.reg(T1)).toBe(0x7f);
    expect(h.reg(T2)).toBe(0x80);
    expect(h.reg(T3)).toBe(0xff);
  });
  it('LH/LHU are little-endian and sign/zero-extend', () => {
    const h = withData([lh(T0, 0, A0), lh(T1, 2, A0), lhu(T2, 2, A0), lhu(T3, 4, A0)]);
    expect(h.reg(T0)).toBe(0x7f80);
    expect(h.reg(T1)).toBe(0xfffffffe);
    expect(h.reg(T2)).toBe(0xfffe);
    expect(h.reg(T3)).toBe(0x0201);
  });
  it('LW with positive and negative offsets', () => {
    const h = withData([lw(T0, 0, A0), lw(T1, 4, A0), addiu(A1, A0, 8), lw(T2, -8, A1)]);
    expect(h.reg(T0)).toBe(0xfffe7f80);
    expect(h.reg(T1)).toBe(0x04030201);
    expect(h.reg(T2)).toBe(0xfffe7f80);
  });
  it('SB/SH/SW write only their bytes, little-endian', () => {
    const h = withData([sb(T0, 1, A0), sh(T0, 6, A0), sw(T1, 8, A0)], { [T0]: 0x12345678, [T1]: 0xcafef00d | 0 });
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => h.read8(DATA + i))).toEqual([
      0x80, 0x78, 0xfe, 0xff, 0x01, 0x02, 0x78, 0x56,
    ]);
    expect(h.read32(DATA + 8)).toBe(0xcafef00d);
    expect(h.read8(DATA + 8)).toBe(0x0d);
  });
  it('KSEG0 and KSEG1 alias the same physical memory', () => {
    const h = withData([lui(A1, 0xa010), sw(T0, 0x10, A0), lw(T1, 0x10, A1), sw(T2, 0x14, A1), lw(T3, 0x14, A0)], {
      [T0]: 0x11223344,
      [T2]: 0x55667788,
    });
    expect(h.reg(T1)).toBe(0x11223344);
    expect(h.reg(T3)).toBe(0x55667788);
  });

  describe('LWL/LWR/SWL/SWR (little-endian)', () => {
    const bytes = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];
    function partial(insn: number, rt = 0xaabbccdd): CpuHarness {
      const h = new CpuHarness();
      h.writeBytes(DATA, bytes);
      h.program([insn, ...halt()]);
      h.setReg(A0, DATA);
      h.setReg(T0, rt);
      h.step(1);
      expect(h.pc).toBe(CODE + 4);
      return h;
    }
    // LE LWL at byte b: the low b+1 bytes of the aligned word go to the top of rt.
    const lwlExpect = [0x11bbccdd, 0x2211ccdd, 0x332211dd, 0x44332211];
    // LE LWR at byte b: the bytes from b up go to the bottom of rt.
    const lwrExpect = [0x44332211, 0xaa443322, 0xaabb4433, 0xaabbcc44];
    for (let bi = 0; bi < 4; bi++) {
      it(`LWL at offset ${bi}`, () => expect(partial(lwl(T0, bi, A0)).reg(T0)).toBe(lwlExpect[bi]));
      it(`LWR at offset ${bi}`, () => expect(partial(lwr(T0, bi, A0)).reg(T0)).toBe(lwrExpect[bi]));
    }
    // SWL at byte b stores the top b+1 bytes of rt down to the aligned address.
    const swlExpect = [0x443322aa, 0x4433aabb, 0x44aabbcc, 0xaabbccdd];
    // SWR at byte b stores the low 4-b bytes of rt from b up.
    const swrExpect = [0xaabbccdd, 0xbbccdd11, 0xccdd2211, 0xdd332211];
    for (let bi = 0; bi < 4; bi++) {
      it(`SWL at offset ${bi}`, () => {
        const h = partial(swl(T0, bi, A0));
        expect(h.read32(DATA)).toBe(swlExpect[bi]);
        expect(h.read32(DATA + 4)).toBe(0x88776655);
      });
      it(`SWR at offset ${bi}`, () => {
        const h = partial(swr(T0, bi, A0));
        expect(h.read32(DATA)).toBe(swrExpect[bi]);
        expect(h.read32(DATA + 4)).toBe(0x88776655);
      });
    }
    it('LWR + LWL load an unaligned word', () => {
      for (const [off, want] of [
        [1, 0x55443322],
        [2, 0x66554433],
        [3, 0x77665544],
      ]) {
        const h = new CpuHarness();
        h.writeBytes(DATA, bytes);
        h.program([lwr(T0, off, A0), lwl(T0, off + 3, A0), ...halt()]);
        h.setReg(A0, DATA);
        h.setReg(T0, -1);
        h.step(2);
        expect(h.reg(T0)).toBe(want);
      }
    });
    it('SWR + SWL store an unaligned word', () => {
      const h = new CpuHarness();
      h.writeBytes(DATA, bytes);
      h.program([swr(T0, 1, A0), swl(T0, 4, A0), ...halt()]);
      h.setReg(A0, DATA);
      h.setReg(T0, 0xaabbccdd);
      h.step(2);
      expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => h.read8(DATA + i))).toEqual([
        0x11, 0xdd, 0xcc, 0xbb, 0xaa, 0x66, 0x77, 0x88,
      ]);
    });
  });
});

describe('branches and jumps', () => {
  /**
   * CODE+0  <branch> to CODE+12     CODE+4 delay slot: T2 = 1
   * CODE+8  T3 = 1 (fall-through)   CODE+12 T4 = 1, then halt
   */
  function branch(insn: number, regs: Regs): CpuHarness {
    const h = new CpuHarness();
    h.program([insn, addiu(T2, ZERO, 1), addiu(T3, ZERO, 1), addiu(T4, ZERO, 1), ...halt()]);
    for (const [r, v] of Object.entries(regs)) h.setReg(Number(r), v as number);
    h.run(20);
    expect(h.parkedAt(CODE + 16)).toBe(true);
    return h;
  }
  const taken = (h: CpuHarness) => [h.reg(T2), h.reg(T3), h.reg(T4)];
  const TAKEN = [1, 0, 1];
  const NOT_TAKEN = [1, 1, 1];
  const NULLIFIED = [0, 1, 1];

  const cases: [string, number, Regs, number[]][] = [
    ['BEQ equal', beq(T0, T1, 2), { [T0]: 5, [T1]: 5 }, TAKEN],
    ['BEQ unequal', beq(T0, T1, 2), { [T0]: 5, [T1]: 6 }, NOT_TAKEN],
    ['BNE unequal', bne(T0, T1, 2), { [T0]: 5, [T1]: 6 }, TAKEN],
    ['BNE equal', bne(T0, T1, 2), { [T0]: 5, [T1]: 5 }, NOT_TAKEN],
    ['BLEZ 0', blez(T0, 2), { [T0]: 0 }, TAKEN],
    ['BLEZ -1', blez(T0, 2), { [T0]: -1 }, TAKEN],
    ['BLEZ 1', blez(T0, 2), { [T0]: 1 }, NOT_TAKEN],
    ['BGTZ 1', bgtz(T0, 2), { [T0]: 1 }, TAKEN],
    ['BGTZ 0', bgtz(T0, 2), { [T0]: 0 }, NOT_TAKEN],
    ['BGTZ INT_MIN', bgtz(T0, 2), { [T0]: -0x80000000 }, NOT_TAKEN],
    ['BLTZ -1', bltz(T0, 2), { [T0]: -1 }, TAKEN],
    ['BLTZ 0', bltz(T0, 2), { [T0]: 0 }, NOT_TAKEN],
    ['BGEZ 0', bgez(T0, 2), { [T0]: 0 }, TAKEN],
    ['BGEZ -1', bgez(T0, 2), { [T0]: -1 }, NOT_TAKEN],
    ['B (BEQ $0,$0)', b(2), {}, TAKEN],
    ['BEQL taken', beql(T0, T1, 2), { [T0]: 5, [T1]: 5 }, TAKEN],
    ['BEQL not taken nullifies the delay slot', beql(T0, T1, 2), { [T0]: 5, [T1]: 6 }, NULLIFIED],
    ['BNEL taken', bnel(T0, T1, 2), { [T0]: 5, [T1]: 6 }, TAKEN],
    ['BNEL not taken', bnel(T0, T1, 2), { [T0]: 5, [T1]: 5 }, NULLIFIED],
    ['BLEZL taken', blezl(T0, 2), { [T0]: 0 }, TAKEN],
    ['BLEZL not taken', blezl(T0, 2), { [T0]: 1 }, NULLIFIED],
    ['BGTZL taken', bgtzl(T0, 2), { [T0]: 1 }, TAKEN],
    ['BGTZL not taken', bgtzl(T0, 2), { [T0]: 0 }, NULLIFIED],
    ['BLTZL taken', bltzl(T0, 2), { [T0]: -1 }, TAKEN],
    ['BLTZL not taken', bltzl(T0, 2), { [T0]: 0 }, NULLIFIED],
    ['BGEZL taken', bgezl(T0, 2), { [T0]: 0 }, TAKEN],
    ['BGEZL not taken', bgezl(T0, 2), { [T0]: -1 }, NULLIFIED],
  ];
  for (const [name, insn, regs, want] of cases) {
    it(name, () => expect(taken(branch(insn, regs))).toEqual(want));
  }

  it('stopping the run between a branch and its delay slot resumes correctly', () => {
    for (const [insn, regs, want] of [
      [beq(T0, T1, 2), { [T0]: 5, [T1]: 5 }, TAKEN],
      [bne(T0, T1, 2), { [T0]: 5, [T1]: 5 }, NOT_TAKEN],
      [beql(T0, T1, 2), { [T0]: 5, [T1]: 6 }, NULLIFIED],
      [jr(T0), { [T0]: CODE + 12 }, TAKEN],
    ] as [number, Regs, number[]][]) {
      const h = new CpuHarness();
      h.program([insn, addiu(T2, ZERO, 1), addiu(T3, ZERO, 1), addiu(T4, ZERO, 1), ...halt()]);
      for (const [r, v] of Object.entries(regs)) h.setReg(Number(r), v as number);
      for (let i = 0; i < 10; i++) h.step(1);
      expect(h.parkedAt(CODE + 16)).toBe(true);
      expect(taken(h)).toEqual(want);
    }
  });

  it('backward branch loop counts down', () => {
    // T0 = 5; loop: T0 -= 1; T1 += 2; bne T0, 0, loop; (delay) T2 += 1
    const h = new CpuHarness();
    h.program([
      addiu(T0, ZERO, 5),
      addiu(T0, T0, -1),
      addiu(T1, T1, 2),
      bne(T0, ZERO, -3),
      addiu(T2, T2, 1),
      ...halt(),
    ]);
    h.run(100);
    expect(h.parkedAt(CODE + 20)).toBe(true);
    expect([h.reg(T0), h.reg(T1), h.reg(T2)]).toEqual([0, 10, 5]);
  });

  it('BLTZAL/BGEZAL link PC+8 whether or not taken; BAL always branches', () => {
    let h = branch(bltzal(T0, 2), { [T0]: 1 });
    expect(taken(h)).toEqual(NOT_TAKEN);
    expect(h.reg(RA)).toBe(CODE + 8);
    h = branch(bltzal(T0, 2), { [T0]: -1 });
    expect(taken(h)).toEqual(TAKEN);
    expect(h.reg(RA)).toBe(CODE + 8);
    h = branch(bgezal(T0, 2), { [T0]: 0 });
    expect(taken(h)).toEqual(TAKEN);
    expect(h.reg(RA)).toBe(CODE + 8);
    h = branch(bal(2), {});
    expect(taken(h)).toEqual(TAKEN);
    expect(h.reg(RA)).toBe(CODE + 8);
  });

  it('BLTZALL/BGEZALL link and nullify the delay slot when not taken', () => {
    let h = branch(bltzall(T0, 2), { [T0]: 1 });
    expect(taken(h)).toEqual(NULLIFIED);
    expect(h.reg(RA)).toBe(CODE + 8);
    h = branch(bgezall(T0, 2), { [T0]: -1 });
    expect(taken(h)).toEqual(NULLIFIED);
    expect(h.reg(RA)).toBe(CODE + 8);
    h = branch(bgezall(T0, 2), { [T0]: 1 });
    expect(taken(h)).toEqual(TAKEN);
  });

  it('J runs its delay slot and jumps within the 256 MiB region', () => {
    const h = branch(j(CODE + 12), {});
    expect(taken(h)).toEqual(TAKEN);
  });

  it('JAL links PC+8', () => {
    const h = branch(jal(CODE + 12), {});
    expect(taken(h)).toEqual(TAKEN);
    expect(h.reg(RA)).toBe(CODE + 8);
  });

  it('J takes its upper 4 bits from the PC (KSEG1 code stays in KSEG1)', () => {
    const h = new CpuHarness();
    const at = 0xa0002000;
    h.program([j(0x80003000), nop()], at);
    h.load(0xa0003000, halt());
    h.run(10);
    expect(h.parkedAt(0xa0003000)).toBe(true);
  });

  it('JR jumps to a register after its delay slot', () => {
    const h = branch(jr(T0), { [T0]: CODE + 12 });
    expect(taken(h)).toEqual(TAKEN);
  });

  it('JALR links PC+8 into rd (default $ra, or another register)', () => {
    let h = branch(jalr(T0), { [T0]: CODE + 12 });
    expect(taken(h)).toEqual(TAKEN);
    expect(h.reg(RA)).toBe(CODE + 8);
    h = branch(jalr(T0, T5), { [T0]: CODE + 12 });
    expect(taken(h)).toEqual(TAKEN);
    expect(h.reg(T5)).toBe(CODE + 8);
    expect(h.reg(RA)).toBe(0);
  });

  it('function call and return through JAL / JR $ra', () => {
    const h = new CpuHarness();
    const fn = CODE + 0x100;
    h.program([jal(fn), addiu(T0, ZERO, 1), addiu(T1, ZERO, 2), ...halt()]);
    h.load(fn, [addiu(T2, ZERO, 3), jr(RA), addiu(T3, ZERO, 4)]);
    h.run(30);
    expect(h.parkedAt(CODE + 12)).toBe(true);
    expect([h.reg(T0), h.reg(T1), h.reg(T2), h.reg(T3)]).toEqual([1, 2, 3, 4]);
  });
});

describe('LL/SC', () => {
  it('SC after LL succeeds: stores and writes 1 to rt', () => {
    const h = new CpuHarness();
    h.write32(DATA, 41);
    h.program([ll(T0, 0, A0), addiu(T0, T0, 1), sc(T0, 0, A0), ...halt()]);
    h.setReg(A0, DATA);
    h.step(3);
    expect(h.reg(T0)).toBe(1);
    expect(h.read32(DATA)).toBe(42);
  });

  it('SC after an exception return (ERET) fails: writes 0 to rt and stores nothing', () => {
    const h = new CpuHarness();
    h.write32(DATA, 41);
    // General handler: skip the SYSCALL and return.
    h.load(VEC_GENERAL, [mfc0(K0, C0_EPC), addiu(K0, K0, 4), mtc0(K0, C0_EPC), eret()]);
    h.program([ll(T0, 0, A0), addiu(T0, T0, 1), syscall(), sc(T0, 0, A0), ...halt()]);
    h.setReg(A0, DATA);
    h.run(40);
    expect(h.parkedAt(CODE + 16)).toBe(true);
    expect(h.excCode).toBe(8);
    expect(h.reg(T0)).toBe(0);
    expect(h.read32(DATA)).toBe(41);
  });

  it('an LL/SC retry loop completes once no exception intervenes', () => {
    const h = new CpuHarness();
    h.write32(DATA, 100);
    // retry: ll t0; addiu t0, 5; sc t0; beqz t0, retry; nop
    h.program([ll(T0, 0, A0), addiu(T0, T0, 5), sc(T0, 0, A0), beq(T0, ZERO, -4), nop(), ...halt()]);
    h.setReg(A0, DATA);
    h.run(40);
    expect(h.parkedAt(CODE + 20)).toBe(true);
    expect(h.read32(DATA)).toBe(105);
  });
});

describe('self-modifying code', () => {
  it('a stored instruction word is executed, not a stale copy', () => {
    const h = new CpuHarness();
    // Overwrite the instruction at CODE + 20 (addiu t0, zero, 1) with addiu t0, zero, 2.
    h.program([...li(T1, addiu(T0, ZERO, 2)), ...li(A0, CODE + 20), sw(T1, 0, A0), addiu(T0, ZERO, 1), ...halt()]);
    // Run it once first so any decode cache has seen the old word.
    h.load(CODE + 0x100, [jal(CODE + 20), nop(), ...halt()]);
    h.start(CODE + 0x100);
    h.run(10);
    expect(h.reg(T0)).toBe(1);
    h.start(CODE);
    h.run(20);
    expect(h.reg(T0)).toBe(2);
  });
});

describe('no-op class instructions', () => {
  it('SYNC, EHB, PREF, CACHE, SYNCI do not fault in kernel mode', () => {
    const h = exec(
      [sync(), ehb(), pref(0, 0, A0), cache(0x15, 0, A0), synci(0, A0), addiu(T6, ZERO, 9)],
      { [A0]: DATA },
    );
    expect(h.pc).toBe(CODE + 24);
    expect(h.reg(T6)).toBe(9);
  });
});
