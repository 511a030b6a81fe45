/**
 * Precise exceptions, privilege checks, interrupts and the Count/Compare timer, hand-assembled.
 * Expected behaviour: MIPS32 Release 2 PRA (MD00090) and QEMU target/mips where the
 * architecture leaves a choice; malta-hw.md 3.2-3.7 for the Malta specifics.
 */
import { describe, expect, it } from 'vitest';
import {
  CAUSE_BD, CAUSE_IV, CAUSE_TI, CODE, CpuHarness, DATA, IM, IP, ST_BEV, ST_CU0, ST_CU1, ST_ERL, ST_EXL, ST_IE,
  ST_UM, VEC_GENERAL, VEC_IRQ, entryLo,
} from './helpers/cpu-harness';
import {
  A0, K0, K1, T0, T1, T2, V0, ZERO, C0_CAUSE, C0_COMPARE, C0_COUNT, C0_EPC, C0_ERROREPC, C0_HWRENA, C0_PRID,
  C0_STATUS, add, addiu, b, beq, brk, cache, cfc1, di, ehb, ei, eret, halt, jr, lb, ldc1, lh, lhu, li, ll, lw,
  lwc1, lui, mfc0, mfc1, movf, mtc0, mtc1, nop, sc, sdc1, sh, sw, swc1, syscall, teq, teqi, tge, tgei, tgeiu, tgeu,
  tlt, tlti, tltiu, tltu, tne, tnei, wait, rdhwr, sb,
} from './helpers/mips-asm';

const EXC = { Int: 0, AdEL: 4, AdES: 5, Sys: 8, Bp: 9, RI: 10, CpU: 11, Ov: 12, Tr: 13 };

/** Harness whose code at CODE is `words` + halt, kernel mode, `status` set. */
function kernel(words: number[], status = 0, model: '24Kf' | '4KEc' = '24Kf'): CpuHarness {
  const h = new CpuHarness(model);
  h.cpu.setStatus(status);
  h.program([...words, ...halt()]);
  return h;
}

/** Expect the CPU to have taken exception `code` for the instruction at `epc`. */
function expectException(h: CpuHarness, code: number, epc: number, bd = false): void {
  expect(h.excCode, 'ExcCode').toBe(code);
  expect(h.epc.toString(16), 'EPC').toBe((epc >>> 0).toString(16));
  expect(h.bd, 'Cause.BD').toBe(bd);
  expect(h.cpu.status & ST_EXL, 'Status.EXL').toBe(ST_EXL);
  expect(h.parkedAt(VEC_GENERAL), `parked at the general vector (pc ${h.pc.toString(16)})`).toBe(true);
}

// User code runs at USER_VA, mapped by TLB entry 0 to physical USER_PA (code) and USER_PA + 4K.
const USER_VA = 0x00400000;
const USER_PA = 0x00200000;

/**
 * Map the user pages, then run kernel code `prelude` followed by an ERET to USER_VA with
 * Status = UM | EXL | `extra` (so the ERET enters user mode). `user` runs there, then halts.
 */
function user(userWords: number[], prelude: number[] = [], extra = 0): CpuHarness {
  const h = new CpuHarness();
  h.tlbWrite(0, USER_VA, entryLo(USER_PA), entryLo(USER_PA + 0x1000));
  h.load(0x80000000 + USER_PA, [...userWords, ...halt()]);
  h.program([
    ...prelude,
    ...li(K1, USER_VA),
    mtc0(K1, C0_EPC),
    ...li(K1, ST_UM | ST_EXL | extra),
    mtc0(K1, C0_STATUS),
    ehb(),
    eret(),
  ]);
  return h;
}

describe('SYSCALL, BREAK, EPC and Cause.BD', () => {
  it('SYSCALL raises Sys (8) with EPC at the SYSCALL', () => {
    const h = kernel([nop(), syscall(0x123)]);
    h.run(10);
    expectException(h, EXC.Sys, CODE + 4);
  });

  it('BREAK raises Bp (9)', () => {
    const h = kernel([brk(7)]);
    h.run(10);
    expectException(h, EXC.Bp, CODE);
  });

  it('an exception outside a delay slot clears a stale Cause.BD', () => {
    const h = kernel([syscall()]);
    h.cpu.cause = CAUSE_BD | 0;
    h.run(10);
    expectException(h, EXC.Sys, CODE, false);
  });

  it('an exception in a taken branch delay slot: EPC = branch, BD = 1', () => {
    const h = kernel([nop(), beq(ZERO, ZERO, 4), syscall()]);
    h.run(10);
    expectException(h, EXC.Sys, CODE + 4, true);
  });

  it('an exception in a not-taken branch delay slot still reports the branch', () => {
    const h = kernel([beq(ZERO, T0, 4), syscall()]);
    h.setReg(T0, 1);
    h.run(10);
    expectException(h, EXC.Sys, CODE, true);
  });

  it('an address error in a JR delay slot: EPC = JR, BD = 1, exact BadVAddr', () => {
    const h = kernel([jr(T0), lw(T1, 2, A0)]);
    h.setReg(T0, CODE + 0x100);
    h.setReg(A0, DATA);
    h.setReg(T1, 0x77);
    h.run(10);
    expectException(h, EXC.AdEL, CODE, true);
    expect(h.badVAddr).toBe(DATA + 2);
    expect(h.reg(T1)).toBe(0x77);
  });

  it('Ov in a delay slot', () => {
    const h = kernel([b(4), add(T2, T0, T0)]);
    h.setReg(T0, 0x40000000);
    h.run(10);
    expectException(h, EXC.Ov, CODE, true);
    expect(h.reg(T2)).toBe(0);
  });

  it('with EXL already set, EPC and BD are left alone (vector +0x180)', () => {
    const h = kernel([syscall()], ST_EXL);
    h.cpu.epc = 0x80005554 | 0;
    h.run(10);
    expect(h.excCode).toBe(EXC.Sys);
    expect(h.epc).toBe(0x80005554);
    expect(h.parkedAt(VEC_GENERAL)).toBe(true);
  });

  it('with BEV = 1 the general vector is 0xBFC00380', () => {
    const h = kernel([syscall()], ST_BEV);
    h.step(1);
    expect(h.excCode).toBe(EXC.Sys);
    expect(h.pc).toBe(0xbfc00380);
  });

  it('exceptions follow a rewritten EBase (bits 31:30 stay 10)', () => {
    const h = kernel([...li(T0, 0x00010000), mtc0(T0, C0_PRID, 1), mfc0(T1, C0_PRID, 1), syscall()]);
    h.load(0x80010180, halt());
    h.run(20);
    expect(h.reg(T1)).toBe(0x80010000);
    expect(h.excCode).toBe(EXC.Sys);
    expect(h.parkedAt(0x80010180)).toBe(true);
  });
});

describe('traps (Tr = 13)', () => {
  const cases: [string, number, number, number, boolean][] = [
    ['TEQ equal', teq(T0, T1), 5, 5, true],
    ['TEQ unequal', teq(T0, T1), 5, 6, false],
    ['TNE unequal', tne(T0, T1), 5, 6, true],
    ['TNE equal', tne(T0, T1), 5, 5, false],
    ['TGE -1 >= 1 (signed)', tge(T0, T1), -1, 1, false],
    ['TGE equal', tge(T0, T1), 3, 3, true],
    ['TGEU 0xFFFFFFFF >= 1', tgeu(T0, T1), -1, 1, true],
    ['TGEU 1 >= 2', tgeu(T0, T1), 1, 2, false],
    ['TLT -1 < 1', tlt(T0, T1), -1, 1, true],
    ['TLT equal', tlt(T0, T1), 1, 1, false],
    ['TLTU 0xFFFFFFFF < 1', tltu(T0, T1), -1, 1, false],
    ['TLTU 1 < 0xFFFFFFFF', tltu(T0, T1), 1, -1, true],
    ['TEQI 0 == 0 (GCC divide-by-zero check)', teqi(T0, 0), 0, 0, true],
    ['TEQI -1 == imm 0xFFFF', teqi(T0, 0xffff), -1, 0, true],
    ['TNEI', tnei(T0, 3), 4, 0, true],
    ['TNEI equal', tnei(T0, 3), 3, 0, false],
    ['TGEI -2 >= -3', tgei(T0, -3), -2, 0, true],
    ['TGEI -4 >= -3', tgei(T0, -3), -4, 0, false],
    ['TGEIU 0xFFFFFFF0 >= 0xFFFFFFFF (imm sign-extended)', tgeiu(T0, -1), -16, 0, false],
    ['TGEIU 0xFFFFFFFF >= 0xFFFFFFFF', tgeiu(T0, -1), -1, 0, true],
    ['TLTI -4 < -3', tlti(T0, -3), -4, 0, true],
    ['TLTI 0 < -3', tlti(T0, -3), 0, 0, false],
    ['TLTIU 5 < 0xFFFF8000', tltiu(T0, 0x8000), 5, 0, true],
    ['TLTIU 0xFFFFFFFF < 0xFFFF8000', tltiu(T0, 0x8000), -1, 0, false],
  ];
  for (const [name, insn, a, bv, traps] of cases) {
    it(`${name}: ${traps ? 'traps' : 'no trap'}`, () => {
      const h = kernel([insn, addiu(T2, ZERO, 1)]);
      h.setReg(T0, a);
      h.setReg(T1, bv);
      h.run(10);
      if (traps) {
        expectException(h, EXC.Tr, CODE);
        expect(h.reg(T2)).toBe(0);
      } else {
        expect(h.parkedAt(CODE + 8)).toBe(true);
        expect(h.reg(T2)).toBe(1);
      }
    });
  }
});

describe('address errors', () => {
  const cases: [string, number, number, number][] = [
    ['LW at +2', lw(T1, 2, A0), EXC.AdEL, DATA + 2],
    ['LW at +1', lw(T1, 1, A0), EXC.AdEL, DATA + 1],
    ['LH at +1', lh(T1, 1, A0), EXC.AdEL, DATA + 1],
    ['LHU at +3', lhu(T1, 3, A0), EXC.AdEL, DATA + 3],
    ['LL at +2', ll(T1, 2, A0), EXC.AdEL, DATA + 2],
    ['SW at +3', sw(T1, 3, A0), EXC.AdES, DATA + 3],
    ['SH at +1', sh(T1, 1, A0), EXC.AdES, DATA + 1],
  ];
  for (const [name, insn, code, bad] of cases) {
    it(`unaligned ${name} -> ${code === EXC.AdEL ? 'AdEL' : 'AdES'} with exact BadVAddr, nothing changed`, () => {
      const h = kernel([insn]);
      h.write32(DATA, 0x11223344);
      h.setReg(A0, DATA);
      h.setReg(T1, 0x5a5a5a5a);
      h.run(10);
      expectException(h, code, CODE);
      expect(h.badVAddr.toString(16)).toBe(bad.toString(16));
      expect(h.reg(T1)).toBe(0x5a5a5a5a);
      expect(h.read32(DATA)).toBe(0x11223344);
      expect(h.read32(DATA + 4)).toBe(0);
    });
  }

  it('unaligned SC after LL -> AdES', () => {
    const h = kernel([ll(T0, 0, A0), sc(T1, 2, A0)]);
    h.setReg(A0, DATA);
    h.run(10);
    expectException(h, EXC.AdES, CODE + 4);
    expect(h.badVAddr).toBe(DATA + 2);
  });

  it('a jump to an unaligned address faults on fetch: EPC = BadVAddr = target, BD = 0', () => {
    const h = kernel([jr(T0), nop()]);
    h.setReg(T0, CODE + 0x102);
    h.run(10);
    expectException(h, EXC.AdEL, CODE + 0x102, false);
    expect(h.badVAddr).toBe(CODE + 0x102);
  });
});

describe('user mode', () => {
  it('ERET enters user mode at EPC and user code runs from a mapped page', () => {
    const h = user([addiu(T0, ZERO, 11), syscall()]);
    h.run(40);
    expect(h.reg(T0)).toBe(11);
    expectException(h, EXC.Sys, USER_VA + 4);
    expect(h.cpu.status & ST_UM).toBe(ST_UM); // KSU is kept; EXL makes the handler kernel mode
  });

  it('user load from 0x80000000 -> AdEL, BadVAddr 0x80000000', () => {
    const h = user([lui(A0, 0x8000), lw(T1, 0, A0)]);
    h.run(40);
    expectException(h, EXC.AdEL, USER_VA + 4);
    expect(h.badVAddr).toBe(0x80000000);
  });

  it('user load from KSEG2 (mapped, but kernel-only) -> AdEL', () => {
    const h = user([...li(A0, 0xc0000000), lw(T1, 8, A0)]);
    h.tlbWrite(6, 0xc0000000, entryLo(0x00300000, { g: true }), entryLo(0x00301000, { g: true }));
    h.run(40);
    expectException(h, EXC.AdEL, USER_VA + 8);
    expect(h.badVAddr).toBe(0xc0000008);
  });

  it('user byte store to KSEG1 -> AdES', () => {
    const h = user([lui(A0, 0xa000), sb(T1, 0x10, A0)]);
    h.run(40);
    expectException(h, EXC.AdES, USER_VA + 4);
    expect(h.badVAddr).toBe(0xa0000010);
  });

  it('user jump into KSEG0 -> AdEL on fetch with EPC = target', () => {
    const h = user([...li(T0, CODE + 0x200), jr(T0), nop()]);
    h.run(40);
    expectException(h, EXC.AdEL, CODE + 0x200);
    expect(h.badVAddr).toBe(CODE + 0x200);
  });

  for (const [name, insn] of [
    ['MFC0', mfc0(T0, C0_STATUS)],
    ['MTC0', mtc0(T0, C0_STATUS)],
    ['ERET', eret()],
    ['WAIT', wait()],
    ['DI', di(T0)],
    ['CACHE', cache(0x15, 0, ZERO)],
  ] as const) {
    it(`user ${name} -> CpU with CE = 0`, () => {
      const h = user([nop(), insn]);
      h.run(40);
      expectException(h, EXC.CpU, USER_VA + 4);
      expect(h.ce).toBe(0);
    });
  }

  it('user MFC0 is allowed when Status.CU0 = 1', () => {
    const h = user([mfc0(T0, C0_STATUS), syscall()], [], ST_CU0);
    h.run(40);
    expectException(h, EXC.Sys, USER_VA + 4);
    expect(h.reg(T0)).toBe((ST_CU0 | ST_UM) >>> 0);
  });

  it('user RDHWR $29 (UserLocal, no ULRI) -> RI (10)', () => {
    const h = user([rdhwr(V0, 29)], [...li(T0, 0xf), mtc0(T0, C0_HWRENA)]);
    h.run(40);
    expectException(h, EXC.RI, USER_VA);
  });

  it('user RDHWR $2 (CC) without HWREna bit 2 -> RI', () => {
    const h = user([rdhwr(V0, 2)], [...li(T0, 0xb), mtc0(T0, C0_HWRENA)]);
    h.run(40);
    expectException(h, EXC.RI, USER_VA);
  });

  it('user RDHWR $2 with HWREna bit 2 reads Count; $3 reads CCRes = 2, $1 SYNCI_Step, $0 CPUNum', () => {
    const h = user(
      [rdhwr(V0, 2), rdhwr(T0, 3), rdhwr(T1, 1), rdhwr(T2, 0), syscall()],
      [...li(T0, 0xf), mtc0(T0, C0_HWRENA)],
    );
    h.run(40);
    expectException(h, EXC.Sys, USER_VA + 16);
    const count = h.cpu.count();
    expect(count - h.reg(V0)).toBeGreaterThanOrEqual(0);
    expect(count - h.reg(V0)).toBeLessThanOrEqual(20);
    expect(h.reg(V0)).toBeGreaterThan(0);
    expect(h.reg(T0)).toBe(2);
    expect(h.reg(T1)).toBe(32); // Malta/QEMU 24Kf SYNCI_Step (malta-hw.md 3.7)
    expect(h.reg(T2)).toBe(0); // EBase.CPUNum
  });

  it('kernel RDHWR $2 works with HWREna = 0', () => {
    const h = kernel([rdhwr(V0, 2)]);
    h.clock.cycles = 1000;
    h.step(1);
    expect(h.pc).toBe(CODE + 4);
    expect(h.reg(V0)).toBe(h.cpu.count() >>> 0);
  });
});

describe('reserved instructions and coprocessor usability', () => {
  for (const [name, word] of [
    ['opcode 0x18', 0x60000000],
    ['opcode 0x3b', 0xec000000],
    ['SPECIAL function 0x05', 0x00000005],
    ['SPECIAL2 function 0x10', 0x70000010],
    ['BSHFL sa 0x03', 0x7c0000e0],
    ['DERET outside debug mode', 0x4200001f],
    ['COP0 CO function 0x3f', 0x4200003f],
  ] as const) {
    it(`${name} -> RI (10)`, () => {
      const h = kernel([nop(), word]);
      h.run(10);
      expectException(h, EXC.RI, CODE + 4);
    });
  }

  for (const [name, insn] of [
    ['MFC1', mfc1(T0, 0)],
    ['MTC1', mtc1(T0, 2)],
    ['CFC1', cfc1(T0, 31)],
    ['LWC1', lwc1(0, 0, A0)],
    ['SWC1', swc1(0, 0, A0)],
    ['LDC1', ldc1(0, 0, A0)],
    ['SDC1', sdc1(0, 0, A0)],
    ['MOVF', movf(T0, T1, 0)],
  ] as const) {
    it(`24Kf ${name} with Status.CU1 = 0 -> CpU, CE = 1`, () => {
      const h = kernel([insn]);
      h.setReg(A0, DATA);
      h.run(10);
      expectException(h, EXC.CpU, CODE);
      expect(h.ce).toBe(1);
    });
    it(`4KEc ${name} -> CpU, CE = 1 even with CU1 forced on`, () => {
      const h = kernel([insn], ST_CU1, '4KEc');
      h.setReg(A0, DATA);
      h.run(10);
      expectException(h, EXC.CpU, CODE);
      expect(h.ce).toBe(1);
    });
  }

  for (const [name, insn] of [
    ['LDC1 $f1', ldc1(1, 0, A0)],
    ['SDC1 $f3', sdc1(3, 0, A0)],
  ] as const) {
    it(`${name} with Status.FR = 0 (odd register of a double pair) -> RI, memory untouched`, () => {
      const h = kernel([insn], ST_CU1);
      h.setReg(A0, DATA);
      h.run(10);
      expectException(h, EXC.RI, CODE);
    });
    it(`${name} with Status.FR = 1 is a plain 64-bit register access`, () => {
      const h = kernel([insn], ST_CU1 | (1 << 26));
      h.setReg(A0, DATA);
      h.step(1);
      expect(h.pc).toBe(CODE + 4);
    });
  }

  it('24Kf with CU1 = 1 executes COP1 (CFC1 $0 reads FIR 0x00739300)', () => {
    const h = kernel([cfc1(T0, 0)], ST_CU1);
    h.step(1);
    expect(h.pc).toBe(CODE + 4);
    expect(h.reg(T0)).toBe(0x00739300);
  });

  it('4KEc: Status.CU1 is not writable', () => {
    const h = kernel([...li(T0, ST_CU1 | ST_CU0), mtc0(T0, C0_STATUS), mfc0(T1, C0_STATUS)], 0, '4KEc');
    h.step(4);
    expect(h.reg(T1) & ST_CU1).toBe(0);
    expect(h.reg(T1) & ST_CU0).toBe(ST_CU0);
  });
});

describe('ERET, DI, EI', () => {
  it('ERET jumps to EPC, clears EXL and has no delay slot', () => {
    const target = CODE + 0x100;
    const h = kernel([...li(T0, target), mtc0(T0, C0_EPC), ehb(), eret(), addiu(T1, ZERO, 1)], ST_EXL);
    h.load(target, halt());
    h.run(20);
    expect(h.parkedAt(target)).toBe(true);
    expect(h.cpu.status & ST_EXL).toBe(0);
    expect(h.reg(T1)).toBe(0);
  });

  it('ERET with ERL = 1 returns to ErrorEPC and clears only ERL', () => {
    const target = CODE + 0x100;
    const h = kernel([...li(T0, target), mtc0(T0, C0_ERROREPC), ehb(), eret()], ST_ERL | ST_EXL);
    h.load(target, halt());
    h.run(20);
    expect(h.parkedAt(target)).toBe(true);
    expect(h.cpu.status & (ST_ERL | ST_EXL)).toBe(ST_EXL);
  });

  it('DI returns the old Status and clears IE; EI sets it', () => {
    const h = kernel([di(T0), mfc0(T1, C0_STATUS), ei(T2), mfc0(V0, C0_STATUS)], ST_IE | IM(7));
    h.step(4);
    expect(h.reg(T0)).toBe(ST_IE | IM(7));
    expect(h.reg(T1)).toBe(IM(7));
    expect(h.reg(T2)).toBe(IM(7));
    expect(h.reg(V0)).toBe(ST_IE | IM(7));
  });

  it('a syscall handler can return past the SYSCALL (EPC + 4)', () => {
    const h = kernel([syscall(), addiu(T0, ZERO, 3)]);
    h.load(VEC_GENERAL, [mfc0(K0, C0_EPC), addiu(K0, K0, 4), mtc0(K0, C0_EPC), eret()]);
    h.run(30);
    expect(h.parkedAt(CODE + 8)).toBe(true);
    expect(h.reg(T0)).toBe(3);
    expect(h.cpu.status & ST_EXL).toBe(0);
  });
});

describe('interrupts', () => {
  /** Four counting instructions then a halt; interrupts as `status`. */
  function counting(status: number): CpuHarness {
    return kernel([addiu(T0, T0, 1), addiu(T0, T0, 1), addiu(T0, T0, 1), addiu(T0, T0, 1)], status);
  }

  it('IP2 with IE = 1 and IM2 is taken at the next instruction boundary (general vector)', () => {
    const h = counting(ST_IE | IM(2));
    h.step(1);
    expect(h.reg(T0)).toBe(1);
    h.cpu.setIrqLine(2, true);
    h.run(10);
    expect(h.excCode).toBe(EXC.Int);
    expect(h.epc).toBe(CODE + 4);
    expect(h.bd).toBe(false);
    expect(h.cpu.cause & IP(2)).toBe(IP(2));
    expect(h.parkedAt(VEC_GENERAL)).toBe(true);
    expect(h.reg(T0)).toBe(1);
    expect(h.cpu.status & ST_EXL).toBe(ST_EXL);
  });

  it('with Cause.IV = 1 interrupts use EBase + 0x200', () => {
    const h = counting(ST_IE | IM(2));
    h.cpu.cause = CAUSE_IV;
    h.cpu.setIrqLine(2, true);
    h.run(10);
    expect(h.excCode).toBe(EXC.Int);
    expect(h.epc).toBe(CODE);
    expect(h.parkedAt(VEC_IRQ)).toBe(true);
  });

  it('with Cause.IV = 1 set by MTC0, and BEV = 1, the vector is 0xBFC00400', () => {
    const h = kernel([...li(T1, CAUSE_IV), mtc0(T1, C0_CAUSE), nop(), nop()], ST_BEV | IM(3));
    h.step(3);
    expect(h.cpu.cause & CAUSE_IV).toBe(CAUSE_IV);
    h.cpu.setIrqLine(3, true);
    h.cpu.setStatus(ST_BEV | IM(3) | ST_IE);
    h.cpu.run(h.clock.cycles); // take it without executing anything
    expect(h.excCode).toBe(EXC.Int);
    expect(h.pc).toBe(0xbfc00400);
    expect(h.epc).toBe(CODE + 12);
  });

  it('a masked line (IM2 = 0) is visible in Cause.IP2 but not taken; lowering it clears IP2', () => {
    const h = counting(ST_IE | IM(3));
    h.cpu.setIrqLine(2, true);
    h.run(10);
    expect(h.cpu.cause & IP(2)).toBe(IP(2));
    expect(h.parkedAt(CODE + 16)).toBe(true);
    expect(h.reg(T0)).toBe(4);
    h.cpu.setIrqLine(2, false);
    expect(h.cpu.cause & IP(2)).toBe(0);
  });

  it('IE = 0 holds the interrupt off until EI', () => {
    const h = kernel([nop(), ei(), ehb(), addiu(T0, T0, 1)], IM(4));
    h.cpu.setIrqLine(4, true);
    h.step(1);
    expect(h.pc).toBe(CODE + 4);
    h.run(10);
    expect(h.excCode).toBe(EXC.Int);
    expect([CODE + 8, CODE + 12]).toContain(h.epc);
    expect(h.reg(T0)).toBe(0);
  });

  it('EXL = 1 holds interrupts off', () => {
    const h = counting(ST_IE | ST_EXL | IM(2));
    h.cpu.setIrqLine(2, true);
    h.run(10);
    expect(h.reg(T0)).toBe(4);
    expect(h.parkedAt(CODE + 16)).toBe(true);
  });

  it('enabling IE with MTC0 Status delivers an already pending interrupt', () => {
    const h = kernel([...li(T1, ST_IE | IM(2)), mtc0(T1, C0_STATUS), ehb(), addiu(T0, T0, 1)], IM(2));
    h.cpu.setIrqLine(2, true);
    h.run(20);
    expect(h.excCode).toBe(EXC.Int);
    expect([CODE + 12, CODE + 16]).toContain(h.epc);
    expect(h.reg(T0)).toBe(0);
  });

  it('ERL = 1 holds interrupts off', () => {
    const h = counting(ST_IE | ST_ERL | IM(2));
    h.cpu.setIrqLine(2, true);
    h.run(10);
    expect(h.reg(T0)).toBe(4);
  });

  it('software interrupt: writing Cause.IP0 with IM0 enabled interrupts', () => {
    const h = kernel([...li(T1, IP(0)), mtc0(T1, C0_CAUSE), ehb(), addiu(T0, T0, 1)], ST_IE | IM(0));
    h.run(20);
    expect(h.excCode).toBe(EXC.Int);
    expect(h.cpu.cause & IP(0)).toBe(IP(0));
    expect([CODE + 12, CODE + 16]).toContain(h.epc);
    expect(h.reg(T0)).toBe(0);
  });

  it('an interrupt before a delay slot reports the branch (EPC = branch, BD = 1)', () => {
    const h = kernel([beq(ZERO, ZERO, 2), addiu(T0, T0, 1), nop(), nop()], ST_IE | IM(2));
    h.step(1);
    expect(h.pc).toBe(CODE + 4);
    h.cpu.setIrqLine(2, true);
    h.run(10);
    expect(h.excCode).toBe(EXC.Int);
    expect(h.epc).toBe(CODE);
    expect(h.bd).toBe(true);
    expect(h.reg(T0)).toBe(0);
  });

  it('ERET into a pending, enabled interrupt takes it at once', () => {
    const target = CODE + 0x100;
    const h = kernel([...li(T0, target), mtc0(T0, C0_EPC), ehb(), eret()], ST_EXL | ST_IE | IM(2));
    h.load(target, [addiu(T1, T1, 1), ...halt()]);
    h.cpu.setIrqLine(2, true);
    h.run(20);
    expect(h.excCode).toBe(EXC.Int);
    expect(h.epc).toBe(target);
    expect(h.reg(T1)).toBe(0);
  });
});

describe('Count/Compare timer', () => {
  it('Count runs at half the CPU clock', () => {
    const h = kernel([]);
    const c0 = h.cpu.count();
    h.run(1000);
    expect((h.cpu.count() - c0) | 0).toBe(500);
    h.run(1);
    h.run(1);
    expect((h.cpu.count() - c0) | 0).toBe(501);
  });

  it('MFC0 Count sees time advance; MTC0 Count sets it', () => {
    // mfc0 t0; 100 x (addiu, bne, nop); mfc0 t1; li v0 0x1000; mtc0 v0, Count; mfc0 t2
    const h = kernel([
      mfc0(T0, C0_COUNT),
      addiu(V0, ZERO, 100),
      addiu(V0, V0, -1),
      beq(V0, ZERO, 2),
      nop(),
      b(-4),
      nop(),
      mfc0(T1, C0_COUNT),
      ...li(V0, 0x10000),
      mtc0(V0, C0_COUNT),
      mfc0(T2, C0_COUNT),
    ]);
    h.run(1000);
    expect(h.parkedAt(CODE + 48)).toBe(true);
    // 501 instructions (cycles) separate the two reads: 250 or 251 Count ticks.
    const d = (h.reg(T1) - h.reg(T0)) | 0;
    expect(d).toBeGreaterThanOrEqual(249);
    expect(d).toBeLessThanOrEqual(252);
    expect(h.reg(T2) - 0x10000).toBeGreaterThanOrEqual(0);
    expect(h.reg(T2) - 0x10000).toBeLessThanOrEqual(1);
  });

  /** Sets Compare = Count + ticks, then halts at CODE + 12. */
  const armIn = (ticks: number) => [mfc0(T0, C0_COUNT), addiu(T0, T0, ticks), mtc0(T0, C0_COMPARE)];

  it('Cause.TI and IP7 set when Count reaches Compare; a Compare write clears both', () => {
    const h = kernel(armIn(200));
    h.run(390);
    expect(h.cpu.cause & (CAUSE_TI | IP(7))).toBe(0);
    h.run(20);
    expect(h.cpu.cause & CAUSE_TI).toBe(CAUSE_TI);
    expect(h.cpu.cause & IP(7)).toBe(IP(7));
    expect(h.parkedAt(CODE + 12)).toBe(true); // IE = 0: nothing taken
    // Writing the same Compare value again clears TI/IP7.
    h.program([mtc0(T0, C0_COMPARE), mfc0(T1, C0_CAUSE), ...halt()], CODE + 0x100);
    h.step(2);
    expect(h.reg(T1) & (CAUSE_TI | IP(7))).toBe(0);
    expect(h.cpu.cause & (CAUSE_TI | IP(7))).toBe(0);
  });

  it('writing Count moves the match: Count = Compare - 10 fires about 20 cycles later', () => {
    const h = kernel([...li(T0, 0x40000000), mtc0(T0, C0_COMPARE), addiu(T1, T0, -10), mtc0(T1, C0_COUNT)]);
    h.step(4);
    expect(h.cpu.cause & CAUSE_TI).toBe(0);
    h.run(16);
    expect(h.cpu.cause & CAUSE_TI).toBe(0);
    h.run(8);
    expect(h.cpu.cause & CAUSE_TI).toBe(CAUSE_TI);
  });

  it('the match is found across the 32-bit Count wrap', () => {
    const h = kernel([addiu(T1, ZERO, -16), mtc0(T1, C0_COUNT), addiu(T0, ZERO, 5), mtc0(T0, C0_COMPARE)]);
    h.step(4); // Count is now about 0xFFFFFFF1: 20 ticks to go
    h.run(30);
    expect(h.cpu.cause & CAUSE_TI).toBe(0);
    h.run(20);
    expect(h.cpu.cause & CAUSE_TI).toBe(CAUSE_TI);
  });

  it('a long batched run still sees Count cross Compare', () => {
    const h = kernel(armIn(300));
    h.run(100000);
    expect(h.cpu.cause & CAUSE_TI).toBe(CAUSE_TI);
  });

  it('the timer interrupts through IP7 when IE and IM7 are set', () => {
    const h = kernel(armIn(200), ST_IE | IM(7));
    h.run(1000);
    expect(h.excCode).toBe(EXC.Int);
    expect(h.cpu.cause & (CAUSE_TI | IP(7))).toBe((CAUSE_TI | IP(7)) >>> 0);
    expect(h.parkedAt(VEC_GENERAL)).toBe(true);
    expect([CODE + 12, CODE + 16]).toContain(h.epc);
  });

  it('a device line change does not clear the timer bit', () => {
    const h = kernel(armIn(50));
    h.run(200);
    expect(h.cpu.cause & IP(7)).toBe(IP(7));
    h.cpu.setIrqLine(2, true);
    h.cpu.setIrqLine(2, false);
    expect(h.cpu.cause & (CAUSE_TI | IP(7))).toBe((CAUSE_TI | IP(7)) >>> 0);
  });

  it('WAIT skips virtual time to the Compare deadline, then the interrupt is taken', () => {
    const h = kernel([...armIn(1000), ...li(T1, ST_IE | IM(7)), mtc0(T1, C0_STATUS), wait()]);
    // Handler reads Count on entry.
    h.load(VEC_GENERAL, [mfc0(K0, C0_COUNT), ...halt()]);
    h.run(100000);
    expect(h.excCode).toBe(EXC.Int);
    expect(h.epc).toBe(CODE + 28); // the instruction after WAIT
    expect(h.parkedAt(VEC_GENERAL + 4)).toBe(true);
    // About 2000 cycles (1000 Count ticks) were skipped rather than executed.
    expect(h.cpu.idleCycles).toBeGreaterThanOrEqual(1980);
    expect(h.cpu.idleCycles).toBeLessThanOrEqual(2000);
    // The interrupt came at the deadline, not later.
    const late = (h.reg(K0) - h.reg(T0)) | 0;
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThanOrEqual(2);
  });

  it('WAIT with nothing due before the run limit idles to the limit', () => {
    const h = kernel([wait(), addiu(T0, ZERO, 1)]);
    const start = h.clock.cycles;
    h.run(5000);
    expect(h.clock.cycles).toBe(start + 5000);
    expect(h.cpu.idleCycles).toBeGreaterThanOrEqual(4998);
    expect(h.cpu.idle).toBe(true);
    expect(h.pc).toBe(CODE + 4);
    expect(h.reg(T0)).toBe(0);
  });
});
