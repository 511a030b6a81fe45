/**
 * Differential tests of the block translators (src/emu/cpu/jit.ts, wasm-jit.ts) against the interpreter
 * (src/emu/cpu/cpu.ts, the reference): the same code runs on two identical machines, one
 * translating every block at first sight, one interpreter-only, and all 32 GPRs, HI/LO, pc,
 * Status, Cause, EPC, BadVAddr, EntryHi, Context, Index, the LL state, FCSR and the FPRs and
 * the whole RAM must agree. Each program ends in a self-loop (or an exception recorder that parks), so both
 * machines stop at the same defined point. Interrupts stay off (the JIT takes them only
 * between blocks). Where the architecture fixes the answer, the reference is also checked
 * against MIPS32 R2 (MD00086/MD00090) so an agreement on a wrong value cannot pass.
 *
 * The suite runs once per translator backend (tests/jit-differential-*.test.ts set it first).
 */
import { describe, expect, it } from 'vitest';
import { CAUSE_BD, DATA, ST_CU1, ST_EXL, ST_UM, VEC_GENERAL, VEC_REFILL, entryLo } from './cpu-harness';
import { PageTables, linuxRefillHandler } from './linux-refill';
import {
  A0, A1, A2, A3, AT, C0_COMPARE, C0_COUNT, C0_ENTRYHI, C0_ENTRYLO0, C0_ENTRYLO1, C0_EPC, C0_INDEX, C0_LLADDR, C0_PAGEMASK, C0_RANDOM,
  C0_STATUS, C0_WIRED, K1, RA, cfc1, ldc1, lwc1, mfc1, mtc1, sdc1, swc1, S0, S1, S2, S3, S4, S5, S6, S7, T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, V0, V1,
  ZERO, add, addi, addiu, addu, and, andi, b, beq, beql, bgez, bgezal, bgezall, bgezl, bgtz, bgtzl, blez, blezl, bltz,
  bltzal, bltzall, bltzl, bne, bnel, brk, clo, clz, div, divu, ehb, eret, ext, halt, ins, j, jal, jalr, jr, lb, lbu,
  lh, lhu, li, ll, lui, lw, lwl, lwr, madd, maddu, mfc0, mfhi, mflo, move, movn, movz, msub, msubu, mtc0, mthi,
  mtlo, mul, mult, multu, nop, nor, or, ori, rdhwr, rotr, rotrv, sb, sc, seb, seh, sh, sll, sllv, slt, slti, sltiu, sltu,
  sra, srav, srl, srlv, sub, subu, sw, swl, swr, syscall, teq, tlbp, tlbwi, tlbwr, tltu, tne, wsbh, xor, xori,
} from './mips-asm';
import {
  Asm, currentBackend, FCSR_EN_Z, FMT_D, FMT_S, JitPair, REC_GENERAL, REC_REFILL, type PairOptions, addF, bc1f, bc1fl, bc1t, bc1tl,
  cCond, ctc1, cvtD, cvtS, cvtW, divF, fuzzProgram, mulF, negF, recorderHalt, runFuzz, runsCovering, runsFaultingAt,
  sqrtF, subF,
} from './jit-diff';

const EXC = { TLBL: 2, AdEL: 4, AdES: 5, Sys: 8, Bp: 9, RI: 10, CpU: 11, Ov: 12, Tr: 13, FPE: 15 };
const h32 = (v: number): string => '0x' + (v >>> 0).toString(16);
/** Where programs keep their tables and results (physical 0x00100000; the recorders use +0xF00). */
const TABLE = DATA;
const OUT = DATA + 0x400;

/** A pair running `a`'s code from CODE, with `data` words preloaded at TABLE. */
function setup(a: Asm, data: readonly number[] = [], opts: PairOptions = {}): JitPair {
  const pair = new JitPair(opts);
  pair.load(TABLE, data);
  pair.program(a.assemble(), a.base);
  return pair;
}

/**
 * Run both machines, check the reference reached `end` (the program is right), then that the
 * JIT machine agrees on everything, and that it really ran translated code.
 */
function runAndCompare(pair: JitPair, end: number, cycles = 20000): void {
  pair.run(cycles);
  expect(h32(pair.ref.pc), 'reference parked at the end').toBe(h32(end));
  expect(pair.differences(), 'JIT vs interpreter').toEqual([]);
  expect(h32(pair.jit.pc), 'JIT parked at the end').toBe(h32(end));
  expect(pair.translated, 'blocks translated').toBeGreaterThan(0);
}

const word = (pair: JitPair, addr: number): number => pair.ref.read32(addr);

// ====================================================================== 1. hand-picked programs

describe('branches, delay slots and links', () => {
  interface Kind {
    enc: (off: number) => number;
    taken: (v: number, w: number) => boolean;
    likely?: boolean;
    link?: boolean;
  }
  const KINDS: Kind[] = [
    { enc: (o) => beq(T0, T1, o), taken: (v, w) => v === w },
    { enc: (o) => bne(T0, T1, o), taken: (v, w) => v !== w },
    { enc: (o) => blez(T0, o), taken: (v) => v <= 0 },
    { enc: (o) => bgtz(T0, o), taken: (v) => v > 0 },
    { enc: (o) => bltz(T0, o), taken: (v) => v < 0 },
    { enc: (o) => bgez(T0, o), taken: (v) => v >= 0 },
    { enc: (o) => bltzal(T0, o), taken: (v) => v < 0, link: true },
    { enc: (o) => bgezal(T0, o), taken: (v) => v >= 0, link: true },
    { enc: (o) => beql(T0, T1, o), taken: (v, w) => v === w, likely: true },
    { enc: (o) => bnel(T0, T1, o), taken: (v, w) => v !== w, likely: true },
    { enc: (o) => blezl(T0, o), taken: (v) => v <= 0, likely: true },
    { enc: (o) => bgtzl(T0, o), taken: (v) => v > 0, likely: true },
    { enc: (o) => bltzl(T0, o), taken: (v) => v < 0, likely: true },
    { enc: (o) => bgezl(T0, o), taken: (v) => v >= 0, likely: true },
    { enc: (o) => bltzall(T0, o), taken: (v) => v < 0, likely: true, link: true },
    { enc: (o) => bgezall(T0, o), taken: (v) => v >= 0, likely: true, link: true },
  ];
  const PAIRS = [[-2, 5], [-1, -1], [0, 0], [1, 2], [2, 2], [0x80000000 | 0, 0x7fffffff], [0x7fffffff, 0x7fffffff], [0, 1]];

  it('every conditional branch kind, taken and not taken, incl. likely nullification and links', () => {
    const a = new Asm();
    a.emit(li(A0, TABLE), li(A1, OUT), li(A2, PAIRS.length));
    a.label('loop');
    a.emit(lw(T0, 0, A0), lw(T1, 4, A0), move(S0, ZERO), move(S1, ZERO), move(S2, ZERO));
    const branchAt: number[] = [];
    KINDS.forEach((k, i) => {
      branchAt.push(a.pc);
      a.br(`t${i}`, k.enc);
      a.emit(addiu(S1, S1, 1)); // delay slot: counts executions (nullified by a not-taken likely)
      a.emit(sll(S0, S0, 1));
      a.br(`e${i}`, b).emit(nop());
      a.label(`t${i}`).emit(sll(S0, S0, 1), ori(S0, S0, 1));
      a.label(`e${i}`);
      if (k.link) a.emit(addu(S2, S2, RA));
    });
    a.emit(sw(S0, 0, A1), sw(S1, 4, A1), sw(S2, 8, A1));
    a.emit(addiu(A0, A0, 8), addiu(A1, A1, 12), addiu(A2, A2, -1));
    a.br('loop', (o) => bgtz(A2, o)).emit(nop());
    a.label('end').emit(halt());
    const pair = setup(a, PAIRS.flat());
    runAndCompare(pair, a.addr('end'));

    // The reference against the architecture: branch decisions, slot execution, links.
    PAIRS.forEach(([v, w], n) => {
      let bits = 0, slots = 0, links = 0;
      KINDS.forEach((k, i) => {
        const t = k.taken(v, w);
        bits = (bits << 1) | (t ? 1 : 0);
        if (t || !k.likely) slots++;
        if (k.link) links = (links + branchAt[i] + 8) | 0;
      });
      expect(h32(word(pair, OUT + 12 * n)), `decisions for ${v},${w}`).toBe(h32(bits));
      expect(word(pair, OUT + 12 * n + 4), `delay slots run for ${v},${w}`).toBe(slots);
      expect(h32(word(pair, OUT + 12 * n + 8)), `links for ${v},${w}`).toBe(h32(links));
    });
    for (const pc of branchAt) expect(runsCovering(pair.blocks, pc).length, `translated ${h32(pc)}`).toBeGreaterThan(0);
  });

  it('delay slots that overwrite the branch or jump source register, and the link register', () => {
    const a = new Asm();
    a.emit(li(S7, 3), move(S6, ZERO));
    a.label('round');
    a.emit(li(T0, 5), move(S0, ZERO));
    a.label('l1').emit(addiu(S0, S0, 1));
    a.br('l1', (o) => bgtz(T0, o)).emit(addiu(T0, T0, -1)); // tests T0, then the slot decrements it
    a.emit(li(T1, 3), move(S1, ZERO));
    a.label('l2').emit(addiu(S1, S1, 1));
    a.br('l2', (o) => bnel(T1, ZERO, o)).emit(addiu(T1, T1, -1)); // slot nullified on the last pass
    a.la(T2, 'l3').emit(jr(T2), addiu(T2, T2, 8)); // target is the old T2
    a.emit(addiu(S4, S4, 1000)); // skipped
    a.label('l3').emit(move(S2, T2));
    a.la(T3, 'sub').label('jalr').emit(jalr(T3), addiu(T3, T3, 4)); // target is the old T3
    a.emit(move(S3, RA));
    a.emit(li(T4, 7), li(T5, 7));
    a.br('l4', (o) => beq(T4, T5, o)).emit(addiu(T5, T5, 1)); // compared before the slot changes T5
    a.emit(addiu(S4, S4, 100)); // skipped
    a.label('l4');
    a.br('l5', (o) => bgezal(ZERO, o)).emit(addiu(RA, RA, 4)); // the slot sees the new link
    a.emit(addiu(S4, S4, 10)); // skipped
    a.label('l5').emit(move(S5, RA));
    a.emit(addiu(S7, S7, -1));
    a.br('round', (o) => bgtz(S7, o)).emit(nop());
    a.label('end').emit(halt());
    a.label('sub').emit(addiu(S6, S6, 1), jr(RA), nop());
    const pair = setup(a);
    runAndCompare(pair, a.addr('end'));

    const r = (n: number) => pair.ref.reg(n);
    expect(r(S0), 'bgtz passes').toBe(6);
    expect(h32(r(T0)), 'bgtz source after its slots').toBe(h32(-1));
    expect(r(S1), 'bnel passes').toBe(4);
    expect(r(T1), 'bnel source: last slot nullified').toBe(0);
    expect(h32(r(S2)), 'jr slot changed the register, not the target').toBe(h32(a.addr('l3') + 8));
    expect(r(S6), 'jalr reached sub each round').toBe(3);
    expect(h32(r(S3)), 'jalr link').toBe(h32(a.addr('jalr') + 8));
    expect(r(S4), 'skipped instructions').toBe(0);
    expect(h32(r(S5)), 'bal link + 4 from its slot').toBe(h32(a.addr('l4') + 12));
  });

  it('JAL, JALR (default and explicit rd, rd = 0) and JR returns', () => {
    const a = new Asm();
    a.emit(li(S7, 4), li(A1, OUT));
    a.la(T9, 'f2').la(T8, 'f3').la(T7, 'f4');
    a.label('top');
    a.to('f1', jal).emit(nop());
    a.emit(jalr(T9), nop());
    a.emit(jalr(T8, S5), nop());
    a.emit(jalr(T7, ZERO), nop()); // rd = 0: a plain jump, f4 returns through S4
    a.label('back');
    a.to('skip', j).emit(nop());
    a.emit(addiu(V0, V0, 1000)); // skipped
    a.label('skip').emit(addiu(S7, S7, -1));
    a.br('top', (o) => bgtz(S7, o)).emit(nop());
    a.label('end').emit(halt());
    a.label('f1').emit(addiu(V0, V0, 1), sw(RA, 0, A1), jr(RA), addiu(A1, A1, 4));
    a.label('f2').emit(addiu(V1, V1, 2), sw(RA, 0, A1), jr(RA), addiu(A1, A1, 4));
    a.label('f3').emit(addiu(A3, A3, 3), sw(S5, 0, A1), jr(S5), addiu(A1, A1, 4));
    a.label('f4').emit(addiu(A2, A2, 4), sw(RA, 0, A1));
    a.la(S4, 'back').emit(jr(S4), addiu(A1, A1, 4));
    const pair = setup(a);
    runAndCompare(pair, a.addr('end'));
    expect(pair.ref.reg(V0)).toBe(4);
    expect(pair.ref.reg(A2)).toBe(16);
    const top = a.addr('top');
    expect([0, 1, 2, 3].map((i) => h32(word(pair, OUT + 4 * i)))).toEqual(
      [h32(top + 8), h32(top + 16), h32(top + 24), h32(top + 16)], // JALR rd = 0 leaves RA alone
    );
  });

  it('BC1T/BC1F/BC1TL/BC1FL heading a translated block follow the FPU condition, not GPRs', () => {
    // Each FP branch is the first instruction of a block (reached through `b`), with the
    // condition set by CTC1 just before. t0, at, v0 and v1 are 0: the GPRs a BC1 misdecoded as
    // BNE t0, rt (rt = the cc/nd/tf field) would compare.
    const KINDS = [
      { enc: bc1t, taken: (c: boolean) => c, likely: false },
      { enc: bc1f, taken: (c: boolean) => !c, likely: false },
      { enc: bc1tl, taken: (c: boolean) => c, likely: true },
      { enc: bc1fl, taken: (c: boolean) => !c, likely: true },
    ];
    const a = new Asm();
    a.emit(li(S7, 4), li(A1, OUT), li(T0, 0), li(AT, 0), li(V0, 0), li(V1, 0));
    a.label('loop');
    a.emit(andi(T3, S7, 1), sll(T3, T3, 23), ctc1(T3, 31), move(S0, ZERO), move(S1, ZERO));
    KINDS.forEach((k, i) => {
      a.br(`h${i}`, b).emit(nop());
      a.label(`h${i}`);
      a.br(`t${i}`, k.enc).emit(addiu(S1, S1, 1));
      a.emit(sll(S0, S0, 1));
      a.br(`e${i}`, b).emit(nop());
      a.label(`t${i}`).emit(sll(S0, S0, 1), ori(S0, S0, 1));
      a.label(`e${i}`);
    });
    a.emit(sw(S0, 0, A1), sw(S1, 4, A1), addiu(A1, A1, 8), addiu(S7, S7, -1));
    a.br('loop', (o) => bgtz(S7, o)).emit(nop());
    a.label('end').emit(halt());
    const pair = setup(a, [], { status: ST_CU1 });
    pair.run(20000);
    for (let n = 0; n < 4; n++) {
      const cond = ((4 - n) & 1) === 1;
      let bits = 0, slots = 0;
      for (const k of KINDS) {
        const t = k.taken(cond);
        bits = (bits << 1) | (t ? 1 : 0);
        if (t || !k.likely) slots++;
      }
      expect(h32(word(pair, OUT + 8 * n)), `reference decisions, cc0 = ${cond}`).toBe(h32(bits));
      expect(word(pair, OUT + 8 * n + 4), `reference slots, cc0 = ${cond}`).toBe(slots);
    }
    expect(h32(pair.ref.pc)).toBe(h32(a.addr('end')));
    expect(pair.differences(), 'JIT vs interpreter').toEqual([]);
  });

  it('branches and delay slots at a page boundary; a straight run longer than one block', () => {
    // Code placed so that the loop branch is the last word of a page (its slot on the next
    // page), then a branch whose slot is the page's last word, then 150 straight instructions.
    const a = new Asm(0x80002000 - 4 * 6);
    a.emit(li(T0, 4), move(S0, ZERO));
    a.label('l1').emit(addiu(S0, S0, 1), addiu(S1, S1, 3));
    a.label('br1').br('l1', (o) => bgtz(T0, o)); // last word of the page
    a.emit(addiu(T0, T0, -1)); // first word of the next page: its delay slot
    a.emit(li(T1, 3));
    while (((a.pc + 12) & 0xfff) !== 0) a.emit(nop());
    a.label('l2').emit(addiu(S2, S2, 1));
    a.br('l2', (o) => bgtz(T1, o));
    a.emit(addiu(T1, T1, -1)); // last word of the page
    for (let i = 0; i < 150; i++) a.emit(i % 3 === 0 ? addiu(S3, S3, i) : i % 3 === 1 ? xor(S4, S4, S3) : sll(S5, S4, i & 31));
    // A linking branch that ends its block at the page end, its slot changing the link.
    a.emit(li(T2, 2));
    while (((a.pc + 16) & 0xfff) !== 0) a.emit(nop());
    a.label('l3').emit(addiu(S6, S6, 1), addiu(T2, T2, -1));
    a.label('br3').br('l3', (o) => bgezal(T2, o));
    a.emit(addiu(RA, RA, 4)); // last word of the page
    a.emit(move(S7, RA));
    a.label('end').emit(halt());
    expect(a.addr('br1') & 0xfff, 'layout: the branch closes its page').toBe(0xffc);
    expect((a.addr('l2') + 8) & 0xfff, 'layout: the slot closes its page').toBe(0xffc);
    expect((a.addr('br3') + 4) & 0xfff, 'layout: the linking branch\'s slot closes its page').toBe(0xffc);
    const pair = setup(a);
    runAndCompare(pair, a.addr('end'));
    expect(pair.ref.reg(S0)).toBe(5);
    expect(pair.ref.reg(S2)).toBe(4);
    expect(pair.ref.reg(S6)).toBe(3);
    expect(h32(pair.ref.reg(S7)), 'link + 4 from the slot').toBe(h32(a.addr('br3') + 12));
  });
});

describe('the backend under test', () => {
  it('translates integer code to WebAssembly unless the JavaScript blocks are under test', () => {
    const a = new Asm();
    a.emit(li(S0, 50), li(A0, TABLE));
    a.label('loop').emit(lw(T0, 0, A0), addu(T0, T0, S0), sw(T0, 0, A0), addiu(S0, S0, -1));
    a.br('loop', (o) => bgtz(S0, o)).emit(nop());
    a.label('end').emit(halt());
    const pair = setup(a, [7]);
    runAndCompare(pair, a.addr('end'));
    expect(word(pair, TABLE), '7 + 50 + 49 + ... + 1').toBe(7 + (50 * 51) / 2);
    const wasmBlocks = pair.jit.cpu.jit!.wasmBlocks;
    if (currentBackend() === 'js') expect(wasmBlocks, 'WebAssembly blocks').toBe(0);
    else expect(wasmBlocks, 'WebAssembly blocks').toBe(pair.translated);
  });
});

describe('loads, stores and read-modify-write instructions', () => {
  const BYTES = [0x80, 0x7f, 0xff, 0x01, 0x00, 0x80, 0xff, 0x7f, 0x78, 0x56, 0x34, 0x12, 0x01, 0x80, 0xfe, 0xff];
  const DATA_WORDS = [0, 1, 2, 3].map((i) => BYTES[4 * i] | (BYTES[4 * i + 1] << 8) | (BYTES[4 * i + 2] << 16) | (BYTES[4 * i + 3] << 24));

  it('LB/LBU/LH/LHU/LW sign and zero extension; SB/SH/SW (a run longer than one block)', () => {
    const a = new Asm();
    const STORE = OUT + 0x200;
    a.emit(li(A0, TABLE), li(A2, STORE), li(S7, 2), li(T9, 0x89abcdef));
    a.label('round').emit(li(A1, OUT));
    let n = 0;
    const out = (r: number) => { a.emit(sw(r, 4 * n++, A1)); };
    for (let o = 0; o < 16; o++) { a.emit(lb(T0, o, A0)); out(T0); a.emit(lbu(T1, o, A0)); out(T1); }
    for (let o = 0; o < 16; o += 2) { a.emit(lh(T0, o, A0)); out(T0); a.emit(lhu(T1, o, A0)); out(T1); }
    for (let o = 0; o < 16; o += 4) { a.emit(lw(T0, o, A0)); out(T0); }
    for (let o = 0; o < 8; o++) a.emit(sb(T9, o, A2), srl(T9, T9, 3));
    for (let o = 8; o < 16; o += 2) a.emit(sh(T9, o, A2), rotr(T9, T9, 7));
    for (let o = 16; o < 24; o += 4) a.emit(sw(T9, o, A2), addiu(T9, T9, -12345));
    a.emit(lw(T2, -4, A2), lh(T3, -2, A2), lb(T4, -1, A2)); // negative offsets
    a.emit(addiu(S7, S7, -1));
    a.br('round', (o) => bgtz(S7, o)).emit(nop());
    a.label('end').emit(halt());
    const pair = setup(a, DATA_WORDS);
    pair.load(STORE - 4, [0x8091a2b3]);
    runAndCompare(pair, a.addr('end'));
    const sx8 = (v: number) => (v << 24) >> 24;
    expect(h32(word(pair, OUT))).toBe(h32(sx8(0x80)));
    expect(word(pair, OUT + 4)).toBe(0x80);
    expect(h32(word(pair, OUT + 4 * 32))).toBe(h32(0x7f80 << 16 >> 16));
    expect(h32(pair.ref.reg(T3))).toBe(h32(0xffff8091));
    expect(h32(pair.ref.reg(T4))).toBe(h32(0xffffff80));
  });

  it('LWL/LWR/SWL/SWR at all four alignments (and LWL/LWR into $zero)', () => {
    const SRC = [0x44332211, 0x88776655, 0xccbbaa99];
    const a = new Asm();
    a.emit(li(A0, TABLE), li(A1, OUT), li(A2, OUT + 0x200), li(S7, 2), li(T8, 0xdeadbeef), li(T9, 0x0a0b0c0d));
    a.label('round');
    let n = 0;
    for (let o = 0; o < 8; o++) {
      a.emit(move(T0, T8), lwl(T0, o, A0), sw(T0, 4 * n++, A1));
      a.emit(move(T1, T8), lwr(T1, o, A0), sw(T1, 4 * n++, A1));
      a.emit(lwl(T2, o + 3, A0), lwr(T2, o, A0), sw(T2, 4 * n++, A1)); // unaligned word load
      a.emit(lwl(ZERO, o, A0), lwr(ZERO, o, A0), sw(ZERO, 4 * n++, A1));
    }
    for (let o = 0; o < 4; o++) {
      const d = 16 * o;
      a.emit(sw(T8, d, A2), sw(T8, d + 4, A2), sw(T8, d + 8, A2));
      a.emit(swl(T9, d + o, A2), swr(T9, d + 4 + o, A2));
      a.emit(swl(T9, d + 8 + o + 3, A2), swr(T9, d + 8 + o, A2)); // unaligned word store (may span)
    }
    a.emit(addiu(S7, S7, -1));
    a.br('round', (o) => bgtz(S7, o)).emit(nop());
    a.label('end').emit(halt());
    const pair = setup(a, SRC);
    runAndCompare(pair, a.addr('end'));
    // Unaligned word loads at offset 1..3 give the bytes in memory order (little-endian).
    expect(h32(word(pair, OUT + 4 * (4 * 1 + 2)))).toBe(h32(0x55443322));
    expect(h32(word(pair, OUT + 4 * (4 * 3 + 2)))).toBe(h32(0x77665544));
    // LWL at byte 1 fills the two high bytes (bytes 1, 0); LWR at byte 1 the three low ones.
    expect(h32(word(pair, OUT + 4 * (4 * 1)))).toBe(h32(0x2211beef));
    expect(h32(word(pair, OUT + 4 * (4 * 1 + 1)))).toBe(h32(0xde443322));
  });

  it('LL/SC: success, failure without a link, SC to $zero, LLAddr, ERET clearing the link', () => {
    const a = new Asm();
    a.emit(li(A0, TABLE), li(S7, 5));
    a.label('inc').emit(ll(T0, 0, A0), addiu(T0, T0, 1), sc(T0, 0, A0));
    a.br('inc', (o) => beq(T0, ZERO, o)).emit(nop());
    a.emit(addu(S0, S0, T0), addiu(S7, S7, -1));
    a.br('inc', (o) => bgtz(S7, o)).emit(nop());
    a.emit(li(T1, 0x55), sc(T1, 4, A0)); // no link: fails, memory unchanged
    a.emit(ll(T2, 8, A0), mfc0(S1, C0_LLADDR), li(T2, 0x66), sc(T2, 8, A0));
    a.emit(ll(T3, 12, A0), sc(ZERO, 12, A0), move(S2, ZERO)); // SC into $zero
    // ERET clears the link: LL, ERET to the SC.
    a.emit(li(T4, ST_EXL), mtc0(T4, C0_STATUS), ehb());
    a.la(T5, 'after').emit(mtc0(T5, C0_EPC), ll(T6, 16, A0), eret());
    a.emit(addiu(S4, S4, 1)); // not reached
    a.label('after').emit(li(T6, 0x77), sc(T6, 16, A0));
    a.label('end').emit(halt());
    const pair = setup(a, [100, 200, 300, 400, 500]);
    runAndCompare(pair, a.addr('end'));
    const r = (n: number) => pair.ref.reg(n);
    expect(word(pair, TABLE)).toBe(105);
    expect([r(S0), r(T1), word(pair, TABLE + 4)]).toEqual([5, 0, 200]);
    expect([r(T2), word(pair, TABLE + 8)]).toEqual([1, 0x66]);
    expect(word(pair, TABLE + 12)).toBe(0);
    expect([r(T6), word(pair, TABLE + 16), r(S4)]).toEqual([0, 500, 0]);
  });
});

describe('arithmetic, bit-field and conditional-move instructions', () => {
  const OPS: [number, number][] = [
    [0, 0], [1, -1], [-1, -1], [0x7fffffff, 0x7fffffff], [0x80000000 | 0, -1], [0x80000000 | 0, 0x80000000 | 0],
    [12345, -678], [0xdeadbeef | 0, 0x12345678], [7, 0], [-7, 2], [0x10000, 0x10000], [0x00ff00ff, 33],
  ];

  it('MULT/MULTU/DIV/DIVU/MADD(U)/MSUB(U)/MUL/CLZ/CLO/EXT/INS/WSBH/SEB/SEH/ROTR/ROTRV/shifts/compares', () => {
    const a = new Asm();
    a.emit(li(A0, TABLE), li(A1, OUT), li(A2, OPS.length));
    a.label('loop').emit(lw(T0, 0, A0), lw(T1, 4, A0));
    let n = 0;
    const out = (...rs: number[]) => { for (const r of rs) a.emit(sw(r, 4 * n++, A1)); };
    const hilo = () => { a.emit(mfhi(T2), mflo(T3)); out(T2, T3); };
    a.emit(mtlo(T0), mthi(T1), madd(T0, T1)); hilo();
    a.emit(msub(T1, T0)); hilo();
    a.emit(maddu(T0, T1)); hilo();
    a.emit(msubu(T0, T0)); hilo();
    a.emit(mult(T0, T1)); hilo();
    a.emit(multu(T0, T1)); hilo();
    a.emit(div(T0, T1)); hilo();
    a.emit(divu(T0, T1)); hilo();
    a.emit(mul(T2, T0, T1), clz(T3, T0), clo(T4, T0), clz(T5, T1)); out(T2, T3, T4, T5);
    a.emit(ext(T2, T0, 3, 9), ext(T3, T0, 0, 32), ext(T4, T1, 31, 1), ext(T5, T0, 4, 28)); out(T2, T3, T4, T5);
    a.emit(move(T2, T1), ins(T2, T0, 4, 12), move(T3, T1), ins(T3, T0, 0, 32), move(T4, T1), ins(T4, T0, 31, 1));
    out(T2, T3, T4);
    a.emit(wsbh(T2, T0), seb(T3, T0), seh(T4, T0), rotr(T5, T0, 1), rotr(T6, T0, 31), rotr(T7, T0, 0)); out(T2, T3, T4, T5, T6, T7);
    a.emit(rotrv(T2, T0, T1), sllv(T3, T0, T1), srlv(T4, T0, T1), srav(T5, T0, T1)); out(T2, T3, T4, T5);
    a.emit(sll(T2, T0, 31), srl(T3, T0, 31), sra(T4, T0, 31), sra(T5, T0, 0)); out(T2, T3, T4, T5);
    a.emit(slt(T2, T0, T1), sltu(T3, T0, T1), slti(T4, T0, -5), sltiu(T5, T0, -5), sltiu(T6, T0, 0x7fff)); out(T2, T3, T4, T5, T6);
    a.emit(addu(T2, T0, T1), subu(T3, T0, T1), and(T4, T0, T1), or(T5, T0, T1), nor(T6, T0, T1), xori(T7, T0, 0x8001));
    out(T2, T3, T4, T5, T6, T7);
    a.emit(addiu(A0, A0, 8), addiu(A1, A1, 4 * n), addiu(A2, A2, -1));
    a.br('loop', (o) => bgtz(A2, o)).emit(nop());
    a.label('end').emit(halt());
    const pair = setup(a, OPS.flat());
    runAndCompare(pair, a.addr('end'));
    // Spot checks of the reference where the architecture defines the result.
    const rec = (i: number, k: number) => h32(word(pair, OUT + 4 * (n * i + k)));
    expect([rec(3, 8), rec(3, 9)], 'MULT 0x7fffffff^2 hi, lo').toEqual([h32(0x3fffffff), h32(1)]);
    expect([rec(9, 12), rec(9, 13)], 'DIV -7 / 2: remainder, quotient').toEqual([h32(-1), h32(-3)]);
    expect([rec(1, 10), rec(1, 11)], 'MULTU 1 x 0xffffffff').toEqual([h32(0), h32(-1)]);
  });

  it('MOVN/MOVZ and writes to $zero from every kind of instruction', () => {
    const a = new Asm();
    a.emit(li(A0, TABLE), li(A1, OUT), li(S7, 3), li(T0, 0x1234abcd), li(T1, 5));
    a.label('loop');
    a.emit(li(T2, 1), li(T3, 2), li(T4, 3), li(T5, 4));
    a.emit(movn(T2, T0, T1), movz(T3, T0, T1), movz(T4, T0, ZERO), movn(T5, T0, ZERO));
    a.emit(sw(T2, 0, A1), sw(T3, 4, A1), sw(T4, 8, A1), sw(T5, 12, A1));
    a.emit(addiu(ZERO, ZERO, 5), lui(ZERO, 0x1234), ori(ZERO, T0, 1), addu(ZERO, T0, T1), sll(ZERO, T0, 3));
    a.emit(lw(ZERO, 0, A0), lb(ZERO, 1, A0), lwl(ZERO, 2, A0), mul(ZERO, T0, T1), clz(ZERO, T0));
    a.emit(ext(ZERO, T0, 0, 8), ins(ZERO, T0, 0, 8), seb(ZERO, T0), movz(ZERO, T0, ZERO), mfhi(ZERO), mflo(ZERO));
    a.emit(ll(ZERO, 4, A0), sc(ZERO, 4, A0), slti(ZERO, T0, 100), rotr(ZERO, T0, 4));
    a.la(T6, 'next').emit(jalr(T6, ZERO), nop());
    a.label('next').emit(addu(S0, ZERO, ZERO), or(S1, ZERO, T0), sw(ZERO, 16, A1), addu(S2, S2, ZERO));
    a.emit(movz(S3, T0, T1), movn(S3, T1, T0)); // rd written only by the MOVN
    a.emit(addiu(S7, S7, -1));
    a.br('loop', (o) => bgtz(S7, o)).emit(nop());
    a.label('end').emit(halt());
    const pair = setup(a, [0x11111111, 0x22222222]);
    runAndCompare(pair, a.addr('end'));
    expect([0, 4, 8, 12, 16].map((o) => h32(word(pair, OUT + o)))).toEqual(
      [h32(0x1234abcd), h32(2), h32(0x1234abcd), h32(4), h32(0)],
    );
    expect([pair.ref.reg(ZERO), pair.ref.reg(S0), h32(pair.ref.reg(S1)), pair.ref.reg(S3)]).toEqual([0, 0, h32(0x1234abcd), 5]);
  });
});

// ====================================================================== 2. exceptions

describe('exceptions raised inside translated code', () => {
  /**
   * A loop that runs 4 times; `site` emits code that faults only on the last pass (when T2 = 1;
   * T2 = 0 before), so the faulting block has run translated before it faults. `site` returns
   * the address of the faulting instruction. The general-vector recorder stores EPC, Cause,
   * BadVAddr and Status at REC_GENERAL.
   */
  function faultLoop(site: (a: Asm) => number, data: number[] = [0x11223344, 0x55667788]): { pair: JitPair; fault: number; a: Asm } {
    const a = new Asm();
    a.emit(li(S0, 4), li(A0, TABLE), li(T7, 1), li(T5, 0x5a5a5a5a));
    a.label('loop');
    a.emit(addiu(S1, S1, 1), xori(T2, S0, 1), sltiu(T2, T2, 1)); // T2 = (S0 == 1)
    a.emit(subu(T6, ZERO, T2), srl(T6, T6, 1)); // T6 = 0x7fffffff on the last pass, else 0
    a.emit(sll(T3, T2, 1), addu(T3, A0, T3)); // T3 = A0 + 2 on the last pass
    const fault = site(a);
    a.emit(addiu(S2, S2, 1), addiu(S0, S0, -1));
    a.br('loop', (o) => bgtz(S0, o)).emit(nop());
    a.label('end').emit(halt());
    const pair = setup(a, data);
    return { pair, fault, a };
  }

  function expectFault(
    pair: JitPair, fault: number, code: number, opts: { bd?: boolean; bad?: number; warm?: boolean } = {},
  ): void {
    pair.run(20000);
    const atVector = recorderHalt(VEC_GENERAL);
    expect(h32(pair.ref.pc), 'reference parked in the handler').toBe(h32(atVector));
    const epc = opts.bd ? fault - 4 : fault;
    expect(h32(word(pair, REC_GENERAL)), 'EPC (reference)').toBe(h32(epc));
    const cause = word(pair, REC_GENERAL + 4);
    expect((cause >>> 2) & 31, 'ExcCode (reference)').toBe(code);
    expect((cause & CAUSE_BD) !== 0, 'Cause.BD (reference)').toBe(opts.bd ?? false);
    if (opts.bad !== undefined) expect(h32(word(pair, REC_GENERAL + 8)), 'BadVAddr (reference)').toBe(h32(opts.bad));
    expect(pair.differences(), 'JIT vs interpreter').toEqual([]);
    expect(runsFaultingAt(pair.blocks, fault).length, `the fault at ${h32(fault)} came from a translated block`).toBe(1);
    if (opts.warm ?? true) {
      expect(runsCovering(pair.blocks, fault).length, 'its block ran translated before').toBeGreaterThan(1);
    }
  }

  it('unaligned LW in the middle of a block: AdEL, EPC, BadVAddr', () => {
    const { pair, fault } = faultLoop((a) => { const at = a.pc; a.emit(lw(T4, 0, T3)); return at; });
    expectFault(pair, fault, EXC.AdEL, { bad: TABLE + 2 });
  });

  it('unaligned LW in the delay slot of a taken branch: Cause.BD, EPC at the branch', () => {
    const { pair, fault } = faultLoop((a) => {
      a.br('over', (o) => bne(S1, ZERO, o));
      const at = a.pc;
      a.emit(lw(T4, 0, T3), addiu(S3, S3, 1));
      a.label('over');
      return at;
    });
    expectFault(pair, fault, EXC.AdEL, { bd: true, bad: TABLE + 2 });
  });

  it('unaligned LW in the delay slot of a not-taken branch and of a taken branch-likely', () => {
    const nt = faultLoop((a) => {
      a.br('over', (o) => beq(S1, ZERO, o));
      const at = a.pc;
      a.emit(lw(T4, 0, T3), addiu(S3, S3, 1));
      a.label('over');
      return at;
    });
    expectFault(nt.pair, nt.fault, EXC.AdEL, { bd: true, bad: TABLE + 2 });
    const lk = faultLoop((a) => {
      a.br('over', (o) => bnel(S1, ZERO, o));
      const at = a.pc;
      a.emit(lw(T4, 0, T3), addiu(S3, S3, 1));
      a.label('over');
      return at;
    });
    expectFault(lk.pair, lk.fault, EXC.AdEL, { bd: true, bad: TABLE + 2 });
  });

  it('unaligned LW in the delay slot of JR', () => {
    const { pair, fault } = faultLoop((a) => {
      a.la(T8, 'over').emit(jr(T8));
      const at = a.pc;
      a.emit(lw(T4, 0, T3), addiu(S3, S3, 1));
      a.label('over');
      return at;
    });
    expectFault(pair, fault, EXC.AdEL, { bd: true, bad: TABLE + 2 });
  });

  it('unaligned LH and SH/SW: AdEL and AdES with BadVAddr', () => {
    const lh2 = faultLoop((a) => { a.emit(addu(T8, A0, T2)); const at = a.pc; a.emit(lh(T4, 0, T8)); return at; });
    expectFault(lh2.pair, lh2.fault, EXC.AdEL, { bad: TABLE + 1 });
    const shf = faultLoop((a) => { a.emit(addu(T8, A0, T2)); const at = a.pc; a.emit(sh(T5, 4, T8)); return at; });
    expectFault(shf.pair, shf.fault, EXC.AdES, { bad: TABLE + 5 });
    const swf = faultLoop((a) => { const at = a.pc; a.emit(sw(T5, 4, T3)); return at; });
    expectFault(swf.pair, swf.fault, EXC.AdES, { bad: TABLE + 6 });
  });

  it('ADD and SUB overflow mid-block, ADDI overflow in a delay slot: Ov, destination unchanged', () => {
    const addf = faultLoop((a) => { const at = a.pc; a.emit(add(T5, T6, T7)); return at; });
    expectFault(addf.pair, addf.fault, EXC.Ov);
    expect(h32(addf.pair.ref.reg(T5)), 'ADD left rd alone').toBe(h32(1)); // 0 + 1 from the earlier passes
    const subf = faultLoop((a) => {
      a.emit(addu(T8, T6, T2)); // 0x80000000 on the last pass, else 0
      const at = a.pc;
      a.emit(sub(T5, T8, T7));
      return at;
    });
    expectFault(subf.pair, subf.fault, EXC.Ov);
    const addif = faultLoop((a) => {
      a.br('over', (o) => bgtz(S1, o));
      const at = a.pc;
      a.emit(addi(T5, T6, 1), addiu(S3, S3, 1));
      a.label('over');
      return at;
    });
    expectFault(addif.pair, addif.fault, EXC.Ov, { bd: true });
  });

  it('TEQ mid-block, TNE in a delay slot, TLTU mid-block: Tr', () => {
    const teqf = faultLoop((a) => { const at = a.pc; a.emit(teq(T2, T7)); return at; });
    expectFault(teqf.pair, teqf.fault, EXC.Tr);
    const tnef = faultLoop((a) => {
      a.br('over', (o) => bne(S1, ZERO, o));
      const at = a.pc;
      a.emit(tne(T2, ZERO), addiu(S3, S3, 1));
      a.label('over');
      return at;
    });
    expectFault(tnef.pair, tnef.fault, EXC.Tr, { bd: true });
    const tltuf = faultLoop((a) => { const at = a.pc; a.emit(tltu(ZERO, T2)); return at; });
    expectFault(tltuf.pair, tltuf.fault, EXC.Tr);
  });

  it('SYSCALL and BREAK after a side exit of a superblock', () => {
    for (const [insn, code] of [[syscall(0x42), EXC.Sys], [brk(7), EXC.Bp]] as const) {
      const { pair, fault } = faultLoop((a) => {
        a.br('skip', (o) => beq(T2, ZERO, o)).emit(nop());
        const at = a.pc;
        a.emit(insn);
        a.label('skip');
        return at;
      });
      expectFault(pair, fault, code, { warm: false }); // earlier passes left by the side exit
    }
  });

  it('SC to an unaligned address without a link: AdES', () => {
    const { pair, fault } = faultLoop((a) => { const at = a.pc; a.emit(sc(T5, 0, T3)); return at; });
    expectFault(pair, fault, EXC.AdES, { bad: TABLE + 2 });
  });

  it('JR to a misaligned address: AdEL on the fetch, EPC = BadVAddr = the target', () => {
    const a = new Asm();
    a.emit(li(S0, 3));
    a.label('loop').emit(addiu(S0, S0, -1));
    a.br('loop', (o) => bgtz(S0, o)).emit(nop());
    a.la(T0, 'target').emit(addiu(T0, T0, 2), jr(T0), nop());
    a.label('target').emit(addiu(S1, S1, 1), addiu(S2, S2, 1), addiu(S3, S3, 1));
    a.label('end').emit(halt());
    const pair = setup(a);
    pair.run(20000);
    const bad = a.addr('target') + 2;
    expect(h32(pair.ref.pc), 'reference parked in the handler').toBe(h32(recorderHalt(VEC_GENERAL)));
    expect(h32(word(pair, REC_GENERAL)), 'EPC').toBe(h32(bad));
    expect((word(pair, REC_GENERAL + 4) >>> 2) & 31, 'ExcCode').toBe(EXC.AdEL);
    expect(h32(word(pair, REC_GENERAL + 8)), 'BadVAddr').toBe(h32(bad));
    expect(pair.differences(), 'JIT vs interpreter').toEqual([]);
  });
});

// ====================================================================== 3. self-modifying code

describe('self-modifying code', () => {
  const NEW = addiu(S0, S0, 100);

  /**
   * Two passes of a 10-iteration loop whose first instruction is `addiu s0, s0, 1`; between
   * them `patch` (which may assume t3 = the new word or byte, t4 = the patch address) rewrites
   * it to `addiu s0, s0, 100`. `far` puts the patching store in another page.
   */
  function smc(patchAddr: (at: number) => number, value: number, store: number, far = false): void {
    const a = new Asm();
    a.emit(li(T3, value), li(T0, 2));
    a.label('outer').emit(li(T1, 10));
    a.label('inner').label('patch').emit(addiu(S0, S0, 1));
    a.emit(addiu(T1, T1, -1));
    a.br('inner', (o) => bgtz(T1, o)).emit(nop());
    a.emit(addiu(T0, T0, -1));
    a.br('end', (o) => beq(T0, ZERO, o)).emit(nop());
    if (far) {
      a.to('patcher', j).emit(nop());
    } else {
      a.emit(store);
      a.br('outer', b).emit(nop());
    }
    a.label('end').emit(halt());
    if (far) {
      while (((a.pc >>> 0) & 0xfff) !== 0) a.emit(nop());
      a.label('patcher').emit(store);
      a.to('outer', j).emit(nop());
    }
    // T4 is set from the label once it is known.
    const code = a.assemble();
    const t4 = patchAddr(a.addr('patch'));
    const pair = new JitPair();
    pair.program(code);
    pair.setReg(T4, t4);
    pair.run(20000);
    expect(h32(pair.ref.pc), 'reference parked at the end').toBe(h32(a.addr('end')));
    expect(pair.ref.reg(S0), 'reference: 10 x 1, then 10 x 100').toBe(1010);
    expect(pair.differences(), 'JIT vs interpreter').toEqual([]);
    expect(pair.invalidations, 'the store dropped translated code').toBeGreaterThan(0);
    const runs = runsCovering(pair.blocks, a.addr('patch'));
    expect(runs.length, 'the patched instruction ran translated in both passes').toBeGreaterThanOrEqual(2);
  }

  it('a SW through KSEG0 to a translated block takes effect', () => {
    smc((at) => at, NEW, sw(T3, 0, T4));
  });

  it('a SW through the KSEG1 alias takes effect', () => {
    smc((at) => (at + 0x20000000) | 0, NEW, sw(T3, 0, T4));
  });

  it('an SB changing one byte of the immediate takes effect', () => {
    smc((at) => at, 100, sb(T3, 0, T4));
  });

  it('a store from code in another page takes effect', () => {
    smc((at) => at, NEW, sw(T3, 0, T4), true);
  });

  it('a store to code waiting for its WebAssembly batch drops it before the batch is compiled', () => {
    // Six passes of the loop; after the first, code in another page stores NEW over its first
    // instruction. Blocks compile six to a module, so the loop's blocks still wait for their
    // batch when the store hits them; compiled later, they must hold the new instruction.
    const a = new Asm();
    a.emit(li(T3, NEW), li(T0, 6));
    a.label('outer').emit(li(T1, 10));
    a.label('inner').label('patch').emit(addiu(S0, S0, 1));
    a.emit(addiu(T1, T1, -1));
    a.br('inner', (o) => bgtz(T1, o)).emit(nop());
    a.emit(addiu(T0, T0, -1));
    a.br('end', (o) => beq(T0, ZERO, o)).emit(nop());
    a.to('patcher', j).emit(nop());
    a.label('end').emit(halt());
    while (((a.pc >>> 0) & 0xfff) !== 0) a.emit(nop());
    a.label('patcher').emit(sw(T3, 0, T4), li(T4, DATA)); // later passes store to data
    a.to('outer', j).emit(nop());
    const code = a.assemble();
    const pair = new JitPair({ batch: 6 });
    pair.program(code);
    pair.setReg(T4, a.addr('patch'));
    runAndCompare(pair, a.addr('end'));
    expect(pair.ref.reg(S0), 'reference: 10 x 1, then 50 x 100').toBe(10 + 5000);
    expect(pair.invalidations, 'the stores dropped translated code').toBeGreaterThan(0);
    expect(runsCovering(pair.blocks, a.addr('patch')).length, 'the new instruction ran translated').toBeGreaterThan(0);
  });

  it('a store in a loop branch\'s delay slot rewriting the loop takes effect on the next pass', () => {
    // The translated loop runs its passes inside one function. The store cannot leave the
    // block (it sits in a delay slot), so the branch must not loop on in the dropped code.
    // Each pass writes another immediate: running the dropped code again would show.
    const a = new Asm();
    a.emit(li(T3, NEW - 1), li(T0, 20)); // T4, the patch address, is set once the label is known
    a.label('loop').label('patch').emit(addiu(S0, S0, 1));
    a.emit(addiu(T0, T0, -1), addiu(T3, T3, 1));
    a.br('loop', (o) => bgtz(T0, o)).emit(sw(T3, 0, T4));
    a.label('end').emit(halt());
    const pair = new JitPair({ chain: true });
    pair.program(a.assemble(), a.base);
    pair.setReg(T4, a.addr('patch'));
    runAndCompare(pair, a.addr('end'));
    expect(pair.ref.reg(S0), 'reference: 1, then 100, 101, ... 118').toBe(1 + 19 * 100 + (18 * 19) / 2);
    expect(pair.invalidations, 'the stores dropped translated code').toBeGreaterThan(0);
  });

  it('an exception handler rewritten between SYSCALLs (ERET from translated code)', () => {
    const handler = [addiu(S0, S0, 1), mfc0(K1, C0_EPC), addiu(K1, K1, 4), mtc0(K1, C0_EPC), ehb(), eret()];
    const a = new Asm();
    a.emit(li(T0, 3));
    a.label('l1').emit(syscall(), addiu(T0, T0, -1));
    a.br('l1', (o) => bgtz(T0, o)).emit(nop());
    a.emit(li(T4, VEC_GENERAL), li(T3, addiu(S0, S0, 16)), sw(T3, 0, T4), li(T0, 3));
    a.label('l2').emit(syscall(), addiu(T0, T0, -1));
    a.br('l2', (o) => bgtz(T0, o)).emit(nop());
    a.label('end').emit(halt());
    const pair = new JitPair();
    pair.load(VEC_GENERAL, handler);
    pair.program(a.assemble());
    pair.run(20000);
    expect(h32(pair.ref.pc)).toBe(h32(a.addr('end')));
    expect(pair.ref.reg(S0), 'reference: 3 x 1 then 3 x 16').toBe(51);
    expect(pair.differences(), 'JIT vs interpreter').toEqual([]);
    expect(pair.invalidations).toBeGreaterThan(0);
    expect(runsCovering(pair.blocks, VEC_GENERAL).length, 'handler ran translated').toBeGreaterThanOrEqual(6);
  });
});

// ====================================================================== 4. TLB

describe('code and data through the TLB', () => {
  const VA = 0x00400000;
  const PA_A = 0x00200000, PA_B = 0x00201000, PA_D = 0x00203000, PA_E = 0x00204000;

  /** Guest code: write TLB entry `index` (clobbers T8). */
  const tlbwiCode = (index: number, hi: number, lo0: number, lo1: number): number[] => [
    ...li(T8, hi), mtc0(T8, C0_ENTRYHI), ...li(T8, lo0), mtc0(T8, C0_ENTRYLO0), ...li(T8, lo1), mtc0(T8, C0_ENTRYLO1),
    mtc0(ZERO, C0_PAGEMASK), ...li(T8, index), mtc0(T8, C0_INDEX), ehb(), tlbwi(), ehb(),
  ];

  /** A routine at VA: 5 passes of load/accumulate/store on the odd page (VA + 4K); returns v0. */
  function mappedRoutine(k: number): Asm {
    const m = new Asm(VA);
    m.emit(move(T7, RA), move(V0, ZERO), li(T0, 5), li(T2, VA + 0x1000));
    m.label('loop').emit(lw(T1, 0, T2), addu(V0, V0, T1), addiu(V0, V0, k), sw(V0, 4 * k, T2), addiu(T0, T0, -1));
    m.br('loop', (o) => bgtz(T0, o)).emit(nop());
    // V1 = a link taken in the loop's (super)block: it depends on the address the code runs at.
    m.br('here', (o) => bgezal(ZERO, o)).emit(nop());
    m.label('here').emit(move(V1, RA), move(RA, T7));
    m.emit(jr(RA), nop());
    return m;
  }

  it('code run through a KUSEG mapping, remapped to another physical page by TLBWI, and back', () => {
    // Also through the KSEG0 alias of the same physical page: same code, another address.
    const a = new Asm();
    a.emit(li(A1, OUT), li(S7, 3), li(T9, VA), li(S6, 0x80000000 + PA_A));
    a.emit(tlbwiCode(0, VA, entryLo(PA_A), entryLo(PA_D)));
    a.label('round');
    a.emit(jalr(T9), nop(), sw(V0, 0, A1), sw(V1, 4, A1)); // KUSEG -> PA_A
    a.emit(tlbwiCode(0, VA, entryLo(PA_B), entryLo(PA_D)));
    a.emit(jalr(T9), nop(), sw(V0, 8, A1), sw(V1, 12, A1)); // KUSEG -> PA_B
    a.emit(tlbwiCode(0, VA, entryLo(PA_A), entryLo(PA_D)));
    a.emit(jalr(S6), nop(), sw(V0, 16, A1), sw(V1, 20, A1)); // KSEG0 -> PA_A
    a.emit(addiu(A1, A1, 24), addiu(S7, S7, -1));
    a.br('round', (o) => bgtz(S7, o)).emit(nop());
    a.label('end').emit(halt());
    const pair = setup(a);
    const routineA = mappedRoutine(3);
    pair.load(0x80000000 + PA_A, routineA.assemble());
    pair.load(0x80000000 + PA_B, mappedRoutine(7).assemble());
    pair.load(0x80000000 + PA_D, [0x1000]);
    runAndCompare(pair, a.addr('end'));
    const here = routineA.addr('here');
    const kseg0 = 0x80000000 + PA_A + (here - VA);
    for (let n = 0; n < 3; n++) {
      expect([0, 4, 8, 12, 16, 20].map((o) => h32(word(pair, OUT + 24 * n + o))), `round ${n}`).toEqual(
        [5 * 0x1003, here, 5 * 0x1007, here, 5 * 0x1003, kseg0].map(h32),
      );
    }
    expect(h32(word(pair, 0x80000000 + PA_D + 12))).toBe(h32(5 * 0x1003));
    const loopVa = routineA.addr('loop');
    expect(runsCovering(pair.blocks, loopVa).length, 'the mapped loop ran translated').toBeGreaterThanOrEqual(6 * 3);
  });

  it('an ASID switch by MTC0 EntryHi inside a translated block changes what a load sees', () => {
    const a = new Asm();
    a.emit(li(S7, 3), li(T9, VA + 0x10));
    a.emit(tlbwiCode(0, VA | 1, entryLo(PA_D), entryLo(PA_E)));
    a.emit(tlbwiCode(1, VA | 2, entryLo(PA_E), entryLo(PA_D)));
    a.label('loop');
    a.emit(li(T0, VA | 1), mtc0(T0, C0_ENTRYHI), ehb(), lw(T1, 0, T9), addu(S0, S0, T1));
    a.emit(li(T0, VA | 2), mtc0(T0, C0_ENTRYHI), ehb(), lw(T1, 0, T9), addu(S1, S1, T1));
    a.emit(addiu(S7, S7, -1));
    a.br('loop', (o) => bgtz(S7, o)).emit(nop());
    a.label('end').emit(halt());
    const pair = setup(a);
    pair.load(0x80000000 + PA_D + 0x10, [0xd]);
    pair.load(0x80000000 + PA_E + 0x10, [0xe]);
    runAndCompare(pair, a.addr('end'));
    expect([pair.ref.reg(S0), pair.ref.reg(S1)]).toEqual([3 * 0xd, 3 * 0xe]);
  });

  it('TLBWR picks the same Random entry in both modes (clock-derived), TLBP finds it', () => {
    const a = new Asm();
    a.emit(li(T0, 2), mtc0(T0, C0_WIRED), li(A1, OUT), li(S7, 4));
    a.label('loop');
    a.emit(addiu(S6, S6, 1), mfc0(T1, C0_RANDOM));
    // A distinct VPN2 per pass.
    a.emit(sll(T8, S6, 13), mtc0(T8, C0_ENTRYHI), li(T2, entryLo(PA_D)), mtc0(T2, C0_ENTRYLO0), mtc0(ZERO, C0_ENTRYLO1));
    a.emit(ehb(), tlbwr(), ehb(), tlbp(), ehb(), mfc0(T3, C0_INDEX));
    a.emit(sw(T1, 0, A1), sw(T3, 4, A1), addiu(A1, A1, 8), addiu(S7, S7, -1));
    a.br('loop', (o) => bgtz(S7, o)).emit(nop());
    a.label('end').emit(halt());
    const pair = setup(a);
    runAndCompare(pair, a.addr('end'));
    for (let n = 0; n < 4; n++) {
      const idx = word(pair, OUT + 8 * n + 4);
      expect(idx >= 2 && idx < 16, `TLBP found the TLBWR entry (${idx})`).toBe(true);
    }
  });

  for (const [name, insn, off] of [['LWL', lwl, 1], ['LWR', lwr, 2], ['LWL', lwl, 3]] as const) {
    it(`${name} at byte ${off} faulting in the TLB (refill) reports the unaligned BadVAddr`, () => {
      const UNMAPPED = 0x00600000;
      const a = new Asm();
      a.emit(li(S0, 3), li(A0, UNMAPPED), li(A2, DATA));
      a.label('loop');
      a.emit(xori(T2, S0, 1), sltiu(T2, T2, 1), move(T3, A2), movn(T3, A0, T2)); // T3 = A0 on the last pass
      const fault = a.pc;
      a.emit(insn(T4, off, T3), addiu(S1, S1, 1), addiu(S0, S0, -1));
      a.br('loop', (o) => bgtz(S0, o)).emit(nop());
      a.label('end').emit(halt());
      const pair = setup(a, [0x01020304]);
      pair.run(20000);
      expect(h32(pair.ref.pc), 'reference parked in the refill handler').toBe(h32(recorderHalt(VEC_REFILL)));
      expect(h32(word(pair, REC_REFILL)), 'EPC').toBe(h32(fault));
      expect((word(pair, REC_REFILL + 4) >>> 2) & 31, 'ExcCode').toBe(EXC.TLBL);
      expect(h32(word(pair, REC_REFILL + 8)), 'BadVAddr (reference)').toBe(h32(UNMAPPED + off));
      expect(pair.differences(), 'JIT vs interpreter').toEqual([]);
      expect(runsFaultingAt(pair.blocks, fault).length, 'the fault came from a translated block').toBe(1);
    });
  }
});

// ====================================================================== 4b. CP1 in translated code

describe('blocks that loop and call one another', () => {
  it('loops, local calls and returns, branch-likely and a jump table agree with the interpreter', () => {
    const a = new Asm();
    a.emit(li(S0, 40), li(A1, OUT), li(V0, 0), li(S3, 0));
    a.label('outer');
    a.to('fn', jal).emit(move(A0, S0)); // a call within the page, JR RA back
    a.emit(addu(V0, V0, V1));
    a.emit(andi(T0, S0, 3), sll(T0, T0, 2), li(T1, TABLE), addu(T1, T1, T0), lw(T1, 0, T1));
    a.emit(jr(T1), nop()); // computed jump to one of four cases in the page
    for (const n of [0, 1, 2, 3]) {
      a.label(`case${n}`).emit(addiu(S3, S3, n + 1));
      a.br('join', b).emit(nop());
    }
    a.label('join').emit(addiu(S0, S0, -1));
    a.br('outer', (o) => bgtzl(S0, o)).emit(sw(V0, 0, A1)); // likely: the store only when looping
    a.emit(sw(S3, 4, A1), sw(V0, 8, A1));
    a.label('end').emit(halt());
    a.label('fn').emit(move(V1, ZERO), move(T2, A0));
    a.label('fnloop').emit(addu(V1, V1, T2), addiu(T2, T2, -1)); // a loop the block runs itself
    a.br('fnloop', (o) => bne(T2, ZERO, o)).emit(nop());
    a.emit(jr(RA), nop());
    const pair = new JitPair({ chain: true });
    pair.load(TABLE, [0, 1, 2, 3].map((n) => a.addr(`case${n}`)));
    pair.program(a.assemble(), a.base);
    runAndCompare(pair, a.addr('end'), 40000);
    const sum = Array.from({ length: 40 }, (_, i) => ((40 - i) * (41 - i)) / 2).reduce((x, y) => x + y, 0);
    expect(word(pair, OUT + 8), 'sum of the triangular numbers').toBe(sum);
    expect(word(pair, OUT + 4), 'jump-table cases').toBe(10 * (1 + 2 + 3 + 4));
    // The dispatcher saw far fewer block calls than block executions (~40 x 60 of them).
    const calls = pair.blocks.filter((r) => r.start !== a.addr('end') >>> 0).length;
    expect(calls, 'calls from the dispatcher').toBeLessThan(600);
  });

  it('a looping block stops at the timer deadline and the interrupt is taken inside the loop', () => {
    const a = new Asm();
    a.emit(li(S0, 5000), li(V0, 0));
    a.emit(mfc0(T0, C0_COUNT), addiu(T0, T0, 3000), mtc0(T0, C0_COMPARE)); // timer in ~6000 cycles
    a.emit(li(T1, 0x8001), mtc0(T1, C0_STATUS)); // IE, IM7
    a.label('loop').emit(addu(V0, V0, S0), addiu(S0, S0, -1));
    a.br('loop', (o) => bgtz(S0, o)).emit(nop());
    a.label('end').emit(halt());
    const pair = new JitPair({ chain: true });
    pair.program(a.assemble(), a.base);
    pair.run(40000);
    for (const h of pair.both) expect(h32(h.pc)).toBe(h32(recorderHalt(VEC_GENERAL)));
    expect((word(pair, REC_GENERAL + 4) >>> 2) & 31, 'ExcCode Int').toBe(0);
    expect(pair.ref.reg(S0), 'interrupted inside the loop').toBeGreaterThan(0);
    // Interrupts are taken between blocks: a pass or two of the loop apart at most.
    expect(Math.abs(pair.jit.reg(S0) - pair.ref.reg(S0)), 'loop passes apart').toBeLessThan(4);
  });
});

describe('RDHWR inside translated blocks', () => {
  it('kernel mode reads CPUNum, SYNCI_Step, CC and CCRes; register 29 raises RI', () => {
    const a = new Asm();
    a.emit(li(S0, 3));
    a.label('loop').emit(rdhwr(T0, 0), rdhwr(T1, 1), addiu(S1, S1, 1), rdhwr(T2, 2), rdhwr(T3, 3), addiu(S0, S0, -1));
    a.br('loop', (o) => bgtz(S0, o)).emit(nop());
    a.emit(rdhwr(T4, 29), nop()); // no UserLocal on this CPU: RI even in kernel mode
    const pair = setup(a);
    pair.run(2000);
    expect(pair.differences(), 'JIT vs interpreter').toEqual([]);
    expect(h32(pair.ref.pc)).toBe(h32(recorderHalt(VEC_GENERAL)));
    expect([T0, T1, T3].map((r) => pair.ref.reg(r))).toEqual([0, 32, 2]);
    expect(pair.ref.reg(T2), 'CC is Count').toBeGreaterThan(0);
    expect((word(pair, REC_GENERAL + 4) >>> 2) & 31, 'ExcCode').toBe(EXC.RI);
    expect(runsCovering(pair.blocks, a.addr('loop') + 12).length, 'RDHWR CC ran translated').toBeGreaterThan(0);
  });

  /** User code at 0x00400000 (TLB entry 0), HWREna as given, parking in the general recorder. */
  function userPair(code: (u: Asm) => void, hwrEna: number): { pair: JitPair; u: Asm } {
    const USER = 0x00400000, PA = 0x00200000;
    const pair = new JitPair();
    const u = new Asm(USER);
    code(u);
    pair.load(0x80000000 + PA, u.assemble());
    for (const h of pair.both) {
      h.cpu.mmu.write(0, USER, 0, entryLo(PA), entryLo(PA + 0x1000)); // set up directly: TLBWI needs kernel mode
      h.cpu.setStatus(ST_UM);
      h.cpu.hwrEna = hwrEna;
      h.start(USER);
    }
    return { pair, u };
  }

  it('user mode: allowed registers read, a disabled one raises RI at its own address', () => {
    const { pair, u } = userPair((u) => {
      u.emit(li(S0, 2));
      u.label('loop').emit(rdhwr(T0, 0), rdhwr(T2, 2), addiu(S1, S1, 1), addiu(S0, S0, -1));
      u.br('loop', (o) => bgtz(S0, o)).emit(nop());
      u.label('fault').emit(rdhwr(T1, 1), addiu(S2, S2, 1));
    }, 0b0101);
    pair.run(2000);
    expect(pair.differences(), 'JIT vs interpreter').toEqual([]);
    expect(h32(word(pair, REC_GENERAL)), 'EPC').toBe(h32(u.addr('fault')));
    expect((word(pair, REC_GENERAL + 4) >>> 2) & 31, 'ExcCode').toBe(EXC.RI);
    expect(pair.ref.reg(S2), 'nothing after the fault ran').toBe(0);
  });

  it('user mode: RDHWR $29 in the delay slot of a taken branch raises RI with Cause.BD', () => {
    const { pair, u } = userPair((u) => {
      u.emit(li(S0, 1), addiu(S1, S1, 1));
      u.label('br').br('away', (o) => bgtz(S0, o)).emit(rdhwr(V1, 29));
      u.emit(addiu(S2, S2, 1));
      u.label('away').emit(addiu(S3, S3, 1), halt());
    }, 0xf);
    pair.run(2000);
    expect(pair.differences(), 'JIT vs interpreter').toEqual([]);
    expect(h32(word(pair, REC_GENERAL)), 'EPC at the branch').toBe(h32(u.addr('br')));
    const cause = word(pair, REC_GENERAL + 4);
    expect((cause >>> 2) & 31, 'ExcCode').toBe(EXC.RI);
    expect(cause & CAUSE_BD, 'BD').not.toBe(0);
    expect(runsFaultingAt(pair.blocks, u.addr('br') + 4).length, 'the fault came from a translated block').toBeGreaterThan(0);
  });
});

describe('TLB refills served inside a translated block', () => {
  // Linux's own refill handler at the refill vector, user code walking more page pairs than the
  // TLB has entries, with accesses mid-block, in delay slots of taken and not-taken branches, of
  // every width. The JIT runs the handler in place and retries the access; the interpreter takes
  // the long way. Count (read at the end) and TLBWR's Random index both depend on the cycle
  // count, so any difference in timing shows up in the state or the stored results.
  const USER = 0x00400000, USER_PA = 0x00200000;
  const DATA_VA = 0x10000000, DATA_PA = 0x00300000;
  const PAIRS = 24;

  function build(): { pair: JitPair; parkAt: number } {
    const pair = new JitPair({ status: ST_UM, threshold: 1, chain: true });
    pair.load(VEC_REFILL, linuxRefillHandler(VEC_REFILL));
    for (const h of pair.both) {
      const tables = new PageTables((pa) => h.read32(pa), (pa, v) => h.write32(pa, v));
      tables.map(USER, USER_PA, 2);
      tables.map(DATA_VA, DATA_PA, PAIRS * 2);
    }
    const u = new Asm(USER);
    u.emit(li(S0, DATA_VA), li(S1, 3), li(V0, 0));
    u.label('round').emit(move(T0, S0), li(T1, PAIRS));
    u.label('visit');
    u.emit(lw(T2, 0, T0), addu(V0, V0, T2), addiu(V0, V0, 7)); // a refill mid-block
    u.emit(sltiu(T3, T1, 12));
    u.br('odd', (o) => bne(T3, ZERO, o)).emit(lbu(T4, 4097, T0)); // taken half the time, access in the slot
    u.emit(sh(V0, 4098, T0));
    u.label('odd').emit(addu(V0, V0, T4), sw(V0, 8, T0), addiu(T1, T1, -1));
    u.br('visit', (o) => bne(T1, ZERO, o)).emit(addiu(T0, T0, 8192));
    u.emit(addiu(S1, S1, -1));
    u.br('round', (o) => bgtz(S1, o)).emit(nop());
    u.emit(rdhwr(T5, 2), sw(T5, 12, S0), syscall()); // the cycle counter, then park in the recorder
    const parkAt = recorderHalt(VEC_GENERAL);
    pair.load(0x80000000 + USER_PA, u.assemble());
    for (const h of pair.both) {
      h.cpu.entryHi = 5; // ASID 5
      h.cpu.hwrEna = 0xf; // user RDHWR of CC, as Linux allows
      h.start(USER);
    }
    return { pair, parkAt };
  }

  it('gives the same registers, CP0 state, memory and cycle count (Count) as the interpreter', () => {
    const { pair, parkAt } = build();
    pair.run(60000);
    expect(h32(pair.ref.pc), 'reference parked').toBe(h32(parkAt));
    expect(pair.differences(), 'JIT vs interpreter').toEqual([]);
    expect(pair.jit.cpu.refillsInPlace, 'refills served in place').toBeGreaterThan(PAIRS);
    expect(pair.ref.cpu.refillsInPlace).toBe(0);
    // The walk really stored what it computed: every visited pair holds a result.
    for (let p = 0; p < PAIRS; p++) expect(word(pair, 0x80000000 + DATA_PA + p * 8192 + 8)).not.toBe(0);
  });
});

describe('a block translated in one mode and reached in the other', () => {
  // Blocks take the software-TLB tables of the mode they were translated in as constants. Code
  // at a user address run first in kernel mode (KSU = 0 may execute useg), then in user mode,
  // must use the user tables the second time: there a KSEG0 load raises an address error.
  const USER = 0x00400000, USER_PA = 0x00200000;
  const DATA_VA = 0x10000000, DATA_PA = 0x00300000;
  const KDATA = 0x80000000 + DATA_PA + 0x100;

  it('gives the interpreter\'s results in both modes, the user-mode fault included', () => {
    const pair = new JitPair({ threshold: 1, chain: true });
    pair.load(VEC_REFILL, linuxRefillHandler(VEC_REFILL));
    for (const h of pair.both) {
      const tables = new PageTables((pa) => h.read32(pa), (pa, v) => h.write32(pa, v));
      tables.map(USER, USER_PA, 2);
      tables.map(DATA_VA, DATA_PA, 2);
    }
    const u = new Asm(USER);
    u.emit(li(S0, DATA_VA), li(S1, 40));
    u.label('loop').emit(lw(T0, 0, S0), addiu(T0, T0, 3), sw(T0, 0, S0));
    u.label('probe').emit(lw(T1, 0, S3), addu(V1, V1, T1), addiu(S1, S1, -1));
    u.br('loop', (o) => bgtz(S1, o)).emit(addiu(V0, V0, 1));
    u.emit(halt());
    const code = u.assemble();
    pair.load(0x80000000 + USER_PA, code);
    pair.load(KDATA, [5]);
    const endAt = USER + 4 * (code.length - 2);
    for (const h of pair.both) {
      h.cpu.entryHi = 7; // ASID 7
      h.setReg(S3, KDATA); // kernel mode may read KSEG0
      h.start(USER);
    }
    pair.run(5000);
    expect(h32(pair.ref.pc), 'reference done (kernel mode)').toBe(h32(endAt));
    expect(pair.differences(), 'kernel mode: JIT vs interpreter').toEqual([]);
    expect(pair.jit.reg(V1), 'the KSEG0 word, 40 times').toBe(200);
    expect(pair.translated, 'translated in kernel mode').toBeGreaterThan(0);
    for (const h of pair.both) {
      h.cpu.setStatus(ST_UM);
      h.start(USER);
    }
    pair.run(5000); // the same code in user mode: the probe must fault
    expect(pair.differences(), 'user mode: JIT vs interpreter').toEqual([]);
    expect(h32(word(pair, REC_GENERAL)), 'EPC').toBe(h32(u.addr('probe')));
    expect((word(pair, REC_GENERAL + 4) >>> 2) & 31, 'ExcCode').toBe(EXC.AdEL);
    expect(word(pair, 0x80000000 + DATA_PA), 'stores: 40 in kernel mode, 1 before the fault').toBe(41 * 3);
  });
});

describe('FPU instructions inside translated blocks', () => {
  const f32 = (x: number): number => {
    const dv = new DataView(new ArrayBuffer(4));
    dv.setFloat32(0, x, true);
    return dv.getUint32(0, true);
  };
  const f64 = (x: number): [number, number] => {
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, x, true);
    return [dv.getUint32(0, true), dv.getUint32(4, true)];
  };
  const ROWS: [number, number, number][] = [[1.5, 2.25, 2.0], [-0.1, 3.0, 1e300], [1e30, -1e-30, -4.5], [0, -0, 0.1]];

  it('LWC1/LDC1/SWC1/SDC1, MTC1/MFC1/CFC1, .S and .D arithmetic, conversions, compares', () => {
    const a = new Asm();
    a.emit(li(A0, TABLE), li(A1, OUT), li(S7, ROWS.length));
    a.label('loop');
    a.emit(lwc1(0, 0, A0), lwc1(1, 4, A0), ldc1(2, 8, A0));
    a.emit(addF(FMT_S, 4, 0, 1), mulF(FMT_S, 5, 0, 1), divF(FMT_S, 6, 0, 1), subF(FMT_S, 7, 1, 0));
    a.emit(addF(FMT_D, 8, 2, 2), mulF(FMT_D, 10, 2, 2), sqrtF(FMT_D, 12, 2), negF(FMT_D, 14, 2));
    a.emit(cvtD(FMT_S, 16, 0), cvtS(FMT_D, 18, 2), cvtW(FMT_S, 19, 0), cCond(FMT_S, 12, 0, 1));
    a.emit(cfc1(T0, 31), mfc1(T1, 4), mtc1(T1, 20), addF(FMT_S, 21, 20, 20));
    a.emit(swc1(4, 0, A1), swc1(5, 4, A1), swc1(6, 8, A1), swc1(7, 12, A1));
    a.emit(sdc1(8, 16, A1), sdc1(10, 24, A1), sdc1(12, 32, A1), sdc1(14, 40, A1), sw(T0, 48, A1), swc1(21, 52, A1));
    a.emit(addiu(A0, A0, 16), addiu(A1, A1, 64), addiu(S7, S7, -1));
    a.br('loop', (o) => bgtz(S7, o)).emit(nop());
    a.label('end').emit(halt());
    const pair = setup(a, ROWS.flatMap(([x, y, z]) => [f32(x), f32(y), ...f64(z)]), { status: ST_CU1 });
    runAndCompare(pair, a.addr('end'));
    expect(h32(word(pair, OUT)), 'add.s 1.5 + 2.25').toBe(h32(f32(3.75)));
    expect([word(pair, OUT + 16), word(pair, OUT + 20)].map(h32), 'add.d 2 + 2').toEqual(f64(4).map(h32));
    expect(runsCovering(pair.blocks, a.addr('loop') + 4 * 4).length, 'add.s ran translated').toBeGreaterThan(1);
  });

  /**
   * A 4-pass loop whose `site` faults on the last pass only; `prologue` runs once first. Returns
   * the pair and the address of the faulting instruction.
   */
  function fpLoop(site: (a: Asm) => number, prologue: number[] = [], data: number[] = []): { pair: JitPair; fault: number } {
    const a = new Asm();
    a.emit(prologue, li(S0, 4), li(A0, TABLE), li(A1, OUT), li(T7, ST_CU1));
    a.label('loop');
    a.emit(xori(T2, S0, 1), sltiu(T2, T2, 1), movn(T7, ZERO, T2)); // T7 = Status without CU1 on the last pass
    a.emit(lwc1(0, 0, A0), addiu(S1, S1, 1));
    const fault = site(a);
    a.emit(addiu(A0, A0, 4), addiu(S0, S0, -1));
    a.br('loop', (o) => bgtz(S0, o)).emit(nop());
    a.label('end').emit(halt());
    const pair = setup(a, data, { status: ST_CU1 });
    return { pair, fault };
  }

  function expectFpFault(pair: JitPair, fault: number, code: number, ce: number, bd = false): void {
    pair.run(20000);
    expect(h32(pair.ref.pc), 'reference parked in the handler').toBe(h32(recorderHalt(VEC_GENERAL)));
    expect(h32(word(pair, REC_GENERAL)), 'EPC').toBe(h32(bd ? fault - 4 : fault));
    const cause = word(pair, REC_GENERAL + 4);
    expect((cause >>> 2) & 31, 'ExcCode').toBe(code);
    expect((cause >>> 28) & 3, 'Cause.CE').toBe(ce);
    expect((cause & CAUSE_BD) !== 0, 'Cause.BD').toBe(bd);
    expect(pair.differences(), 'JIT vs interpreter').toEqual([]);
    expect(runsFaultingAt(pair.blocks, fault).length, 'the fault came from a translated block').toBe(1);
  }

  it('CU1 cleared by MTC0 Status: ADD.S in the next translated block raises CpU with CE = 1', () => {
    const { pair, fault } = fpLoop((a) => {
      a.emit(mtc0(T7, C0_STATUS), addiu(S2, S2, 1)); // a Status write ends the block
      const at = a.pc;
      a.emit(addF(FMT_S, 2, 0, 0), swc1(2, 0, A1));
      return at;
    }, [], [f32(1), f32(2), f32(3), f32(4)]);
    expectFpFault(pair, fault, EXC.CpU, 1);
  });

  it('CU1 cleared: LWC1 in a delay slot raises CpU with Cause.BD', () => {
    const { pair, fault } = fpLoop((a) => {
      a.emit(mtc0(T7, C0_STATUS), addiu(S2, S2, 1));
      a.br('over', (o) => bne(S1, ZERO, o));
      const at = a.pc;
      a.emit(lwc1(3, 0, A0), addiu(S3, S3, 1));
      a.label('over');
      return at;
    }, [], [f32(1), f32(2), f32(3), f32(4)]);
    expectFpFault(pair, fault, EXC.CpU, 1, true);
  });

  it('DIV.S by zero with the Z enable set raises FPE mid-block; FCSR and fd as the interpreter', () => {
    const { pair, fault } = fpLoop((a) => {
      a.emit(lwc1(1, 0x40, A0));
      const at = a.pc;
      a.emit(divF(FMT_S, 2, 0, 1), swc1(2, 0, A1), addiu(A1, A1, 4));
      return at;
    }, [...li(T0, FCSR_EN_Z), ctc1(T0, 31)],
    // Numerators 1..4, divisors 2, 4, 8 and 0 (16 words on).
    [...[1, 2, 3, 4].map(f32), ...new Array(12).fill(0), ...[2, 4, 8, 0].map(f32)]);
    expectFpFault(pair, fault, EXC.FPE, 0);
  });

  it('unaligned LWC1 mid-block: AdEL with BadVAddr', () => {
    const { pair, fault } = fpLoop((a) => {
      a.emit(sll(T3, T2, 1), addu(T3, A0, T3));
      const at = a.pc;
      a.emit(lwc1(4, 0, T3));
      return at;
    }, [], [f32(1), f32(2), f32(3), f32(4), 0]);
    expectFpFault(pair, fault, EXC.AdEL, 0);
    expect(h32(word(pair, REC_GENERAL + 8)), 'BadVAddr').toBe(h32(TABLE + 3 * 4 + 2));
  });
});

// ====================================================================== 5. random programs

describe('random programs (seeded)', () => {
  const SEEDS_PER_TEST = 50;
  const CHUNKS = 4;

  for (let c = 0; c < CHUNKS; c++) {
    const first = 1 + c * SEEDS_PER_TEST;
    const last = first + SEEDS_PER_TEST - 1;
    it(`seeds ${first}..${last}: 200 instructions x 20 passes agree with the interpreter`, () => {
      // Blocks loop and call one another as they do in a running machine.
      const pair = new JitPair({ recorders: false, spy: false, chain: true });
      const failures: string[] = [];
      let translated = 0;
      for (let seed = first; seed <= last; seed++) {
        const p = fuzzProgram(seed);
        runFuzz(p, pair);
        translated += pair.translated;
        const parked = pair.both.map((h) => h.pc === p.haltAt >>> 0);
        const diffs = pair.differences();
        if (!parked[1]) failures.push(`seed ${seed}: reference did not reach the end (pc ${h32(pair.ref.pc)})`);
        else if (diffs.length > 0 || !parked[0]) failures.push(`seed ${seed}: ${diffs.slice(0, 6).join('; ')}`);
      }
      expect(failures, 'seeds where the JIT differs (reproduce with fuzzProgram(seed))').toEqual([]);
      expect(translated, 'blocks translated').toBeGreaterThan(SEEDS_PER_TEST * 5);
    });
  }
});
