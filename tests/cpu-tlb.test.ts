/**
 * The joint TLB as software sees it: TLBWI/TLBWR/TLBP/TLBR, translation of KUSEG/KSEG2/KSEG3,
 * refill/invalid/modified exceptions with BadVAddr, Context and EntryHi (MIPS32 PRA 4.x and
 * malta-hw.md 3.3), and that no stale translation survives an ASID switch or a TLB rewrite.
 */
import { describe, expect, it } from 'vitest';
import {
  CAUSE_BD, CODE, CpuHarness, DATA, ST_BEV, ST_ERL, ST_EXL, ST_UM, VEC_GENERAL, VEC_REFILL, entryLo,
} from './helpers/cpu-harness';
import {
  A0, A1, K0, K1, T0, T1, T2, T3, T8, V0, ZERO, C0_BADVADDR, C0_CONTEXT, C0_ENTRYHI, C0_ENTRYLO0, C0_ENTRYLO1,
  C0_EPC, C0_INDEX, C0_PAGEMASK, C0_RANDOM, C0_STATUS, C0_WIRED, addiu, beq, ehb, eret, halt, j, jr, lb, li, lw, lwl,
  mfc0, mtc0, nop, sb, sh, sw, swl, swr, syscall, tlbp, tlbr, tlbwi, tlbwr,
} from './helpers/mips-asm';

const EXC = { Mod: 1, TLBL: 2, TLBS: 3, Sys: 8 };

// A dual page at VA 0x00400000 (even) / 0x00401000 (odd).
const VA = 0x00400000;
const PA_A = 0x00300000;
const PA_B = 0x00301000;
const PA_C = 0x00302000;
const PA_D = 0x00303000;
const ASID = 5;

/** Guest code that writes TLB entry `index` (clobbers T8). */
function tlbwiCode(index: number, hi: number, lo0: number, lo1: number, mask = 0): number[] {
  return [
    ...li(T8, hi), mtc0(T8, C0_ENTRYHI),
    ...li(T8, lo0), mtc0(T8, C0_ENTRYLO0),
    ...li(T8, lo1), mtc0(T8, C0_ENTRYLO1),
    ...li(T8, mask), mtc0(T8, C0_PAGEMASK),
    ...li(T8, index), mtc0(T8, C0_INDEX),
    ehb(), tlbwi(), ehb(),
  ];
}

/** Kernel harness with entry 3 = VA -> (PA_A, PA_B), ASID 5, EntryHi.ASID = 5; code `words` + halt. */
function mapped(words: number[], lo0 = entryLo(PA_A), lo1 = entryLo(PA_B), status = 0): CpuHarness {
  const h = new CpuHarness();
  h.tlbWrite(3, VA | ASID, lo0, lo1);
  h.cpu.setStatus(status);
  h.write32(PA_A + 0x10, 0xaaaa0010);
  h.write32(PA_B + 0x10, 0xbbbb0010);
  h.program([...words, ...halt()]);
  h.setReg(A0, VA);
  return h;
}

function expectTlbException(h: CpuHarness, code: number, vector: number, epc: number, bad: number): void {
  expect(h.excCode, 'ExcCode').toBe(code);
  expect(h.parkedAt(vector), `parked at ${vector.toString(16)} (pc ${h.pc.toString(16)})`).toBe(true);
  expect(h.epc.toString(16), 'EPC').toBe((epc >>> 0).toString(16));
  expect(h.badVAddr.toString(16), 'BadVAddr').toBe((bad >>> 0).toString(16));
  // EntryHi.VPN2 takes the faulting page pair; the ASID stays.
  expect((h.cpu.entryHi >>> 0).toString(16), 'EntryHi').toBe((((bad & ~0x1fff) | ASID) >>> 0).toString(16));
  // Context.BadVPN2 (bits 22:4) = VA bits 31:13.
  expect(((h.cpu.context >>> 4) & 0x7ffff).toString(16), 'Context.BadVPN2').toBe((bad >>> 13).toString(16));
}

describe('TLBWI and translation', () => {
  it('a guest-written entry maps both halves of a KUSEG page pair for loads and stores', () => {
    const h = new CpuHarness();
    h.write32(PA_A + 0x10, 0x11111111);
    h.write32(PA_B + 0x10, 0x22222222);
    h.program([
      ...tlbwiCode(3, VA | ASID, entryLo(PA_A), entryLo(PA_B)),
      ...li(A0, VA),
      lw(T1, 0x10, A0),
      lw(T2, 0x1010, A0),
      sw(T3, 0x20, A0),
      sw(T3, 0x1024, A0),
      ...halt(),
    ]);
    h.setReg(T3, 0x5eed5eed);
    h.run(100);
    expect(h.parkedAt(CODE + 96)).toBe(true);
    expect(h.reg(T1)).toBe(0x11111111);
    expect(h.reg(T2)).toBe(0x22222222);
    expect(h.read32(PA_A + 0x20)).toBe(0x5eed5eed);
    expect(h.read32(PA_B + 0x24)).toBe(0x5eed5eed);
  });

  it('KSEG2 and KSEG3 are mapped for the kernel', () => {
    const h = new CpuHarness();
    h.tlbWrite(1, 0xc0000000, entryLo(PA_A), entryLo(PA_B), 0);
    h.tlbWrite(2, 0xffffe000, entryLo(PA_C), entryLo(PA_D), 0);
    h.write32(PA_B + 4, 0x0b0b0b0b);
    h.write32(PA_D + 8, 0x0d0d0d0d);
    h.program([...li(A0, 0xc0001000), lw(T0, 4, A0), ...li(A1, 0xfffff000), lw(T1, 8, A1), ...halt()]);
    h.run(20);
    expect(h.reg(T0)).toBe(0x0b0b0b0b);
    expect(h.reg(T1)).toBe(0x0d0d0d0d);
  });

  it('16 KiB pages (PageMask 0x6000) select the odd half by VA bit 14', () => {
    const h = new CpuHarness();
    h.tlbWrite(4, VA, entryLo(0x00304000), entryLo(0x00308000), 0x6000);
    h.write32(0x00309008, 0x16161616);
    h.write32(0x00305008, 0x0e0e0e0e);
    h.program([...li(A0, VA), lw(T0, 0x5008, A0), lw(T1, 0x1008, A0), ...halt()]);
    h.run(20);
    expect(h.reg(T0)).toBe(0x16161616);
    expect(h.reg(T1)).toBe(0x0e0e0e0e);
  });

  it('J uses the region of its delay slot (code crossing 0xD0000000 in KSEG2)', () => {
    const h = new CpuHarness();
    // 0xCFFFE000/0xCFFFF000 -> PA_A/PA_B; 0xD0000000/0xD0001000 -> PA_C/PA_D.
    h.tlbWrite(1, 0xcfffe000, entryLo(PA_A), entryLo(PA_B));
    h.tlbWrite(2, 0xd0000000, entryLo(PA_C), entryLo(PA_D));
    h.load(PA_B + 0xffc, [j(0x00001000)]); // at VA 0xCFFFFFFC
    h.load(PA_C, [nop()]); // delay slot at VA 0xD0000000
    h.load(PA_D, halt()); // 0xD0001000
    h.start(0xcffffffc);
    h.run(20);
    expect(h.parkedAt(0xd0001000)).toBe(true);
  });
});

describe('TLBP, TLBR, TLBWR, Index/Random/EntryHi registers', () => {
  it('TLBP finds the entry (either half of the pair) and sets P on a miss', () => {
    const h = mapped([
      ...li(T0, (VA + 0x1000) | ASID), mtc0(T0, C0_ENTRYHI), ehb(), tlbp(), ehb(), mfc0(T1, C0_INDEX),
      ...li(T0, 0x00800000 | ASID), mtc0(T0, C0_ENTRYHI), ehb(), tlbp(), ehb(), mfc0(T2, C0_INDEX),
      ...li(T0, VA | 6), mtc0(T0, C0_ENTRYHI), ehb(), tlbp(), ehb(), mfc0(T3, C0_INDEX),
      ...li(T0, VA | ASID), mtc0(T0, C0_ENTRYHI), ehb(), tlbp(), ehb(), mfc0(V0, C0_INDEX),
    ]);
    h.run(100);
    expect(h.reg(T1)).toBe(3);
    expect(h.reg(T2) >>> 31).toBe(1);
    expect(h.reg(T3) >>> 31).toBe(1); // other ASID, not global
    expect(h.reg(V0)).toBe(3); // a hit clears P
  });

  it('TLBP matches a global entry under any ASID', () => {
    const h = mapped([...li(T0, VA | 0x77), mtc0(T0, C0_ENTRYHI), ehb(), tlbp(), ehb(), mfc0(T1, C0_INDEX)],
      entryLo(PA_A, { g: true }), entryLo(PA_B, { g: true }));
    h.run(30);
    expect(h.reg(T1)).toBe(3);
  });

  it('TLBR reads the entry back into EntryHi/EntryLo0/EntryLo1/PageMask', () => {
    const lo0 = entryLo(PA_A, { g: true });
    const lo1 = entryLo(PA_B, { d: false, g: true });
    const h = new CpuHarness();
    h.program([
      ...tlbwiCode(7, VA | ASID, lo0, lo1, 0x6000),
      ...li(T0, 0x12340000), mtc0(T0, C0_ENTRYHI), mtc0(T0, C0_ENTRYLO0), mtc0(T0, C0_ENTRYLO1),
      mtc0(ZERO, C0_PAGEMASK), addiu(T0, ZERO, 7), mtc0(T0, C0_INDEX), ehb(), tlbr(), ehb(),
      mfc0(T0, C0_ENTRYHI), mfc0(T1, C0_ENTRYLO0), mfc0(T2, C0_ENTRYLO1), mfc0(T3, C0_PAGEMASK),
      ...halt(),
    ]);
    h.run(100);
    expect(h.reg(T0).toString(16)).toBe((VA | ASID).toString(16));
    expect(h.reg(T1).toString(16)).toBe(lo0.toString(16));
    expect(h.reg(T2).toString(16)).toBe(lo1.toString(16));
    expect(h.reg(T3).toString(16)).toBe('6000');
  });

  it('the entry is global only if both EntryLo G bits were set (TLBR shows G in both)', () => {
    const h = new CpuHarness();
    h.program([
      ...tlbwiCode(2, VA | ASID, entryLo(PA_A, { g: true }), entryLo(PA_B)),
      tlbr(), ehb(), mfc0(T1, C0_ENTRYLO0), mfc0(T2, C0_ENTRYLO1),
      // Another ASID must miss: the entry is not global.
      ...li(T0, VA | 9), mtc0(T0, C0_ENTRYHI), ehb(), tlbp(), ehb(), mfc0(T3, C0_INDEX),
      ...halt(),
    ]);
    h.run(100);
    expect(h.reg(T1) & 1).toBe(0);
    expect(h.reg(T2) & 1).toBe(0);
    expect(h.reg(T3) >>> 31).toBe(1);
  });

  it('TLBWR writes an entry between Wired and 15; Random stays in that range', () => {
    const h = new CpuHarness();
    h.program([
      addiu(T0, ZERO, 10), mtc0(T0, C0_WIRED),
      ...li(T0, 0x00a00000), mtc0(T0, C0_ENTRYHI),
      ...li(T0, entryLo(PA_A)), mtc0(T0, C0_ENTRYLO0), mtc0(T0, C0_ENTRYLO1), mtc0(ZERO, C0_PAGEMASK),
      mfc0(T2, C0_RANDOM), ehb(), tlbwr(), ehb(), tlbp(), ehb(), mfc0(T1, C0_INDEX),
      ...halt(),
    ]);
    h.run(100);
    expect(h.reg(T1)).toBeGreaterThanOrEqual(10);
    expect(h.reg(T1)).toBeLessThanOrEqual(15);
    expect(h.reg(T2)).toBeGreaterThanOrEqual(10);
    expect(h.reg(T2)).toBeLessThanOrEqual(15);
  });

  it('EntryHi bits 12:8 read as zero; Index writes cannot set P; Context writes keep BadVPN2', () => {
    const h = new CpuHarness();
    h.program([
      addiu(T0, ZERO, -1),
      mtc0(T0, C0_ENTRYHI), mfc0(T1, C0_ENTRYHI),
      ...li(V0, 0x80000009), mtc0(V0, C0_INDEX), mfc0(T2, C0_INDEX),
      mtc0(T0, C0_CONTEXT), mfc0(T3, C0_CONTEXT),
      ...halt(),
    ]);
    h.run(20);
    expect(h.reg(T1)).toBe(0xffffe0ff);
    expect(h.reg(T2)).toBe(9); // P is read-only to software
    expect(h.reg(T3)).toBe(0xff800000);
  });
});

describe('TLB exceptions', () => {
  it('refill on load: vector +0x000, TLBL, BadVAddr, Context (PTEBase kept), EntryHi (ASID kept)', () => {
    const h = mapped([...li(T0, 0x83000000), mtc0(T0, C0_CONTEXT), ...li(A1, 0x00800000), lw(T1, 0x124, A1)]);
    h.setReg(T1, 0x77);
    h.run(30);
    expectTlbException(h, EXC.TLBL, VEC_REFILL, CODE + 20, 0x00800124);
    expect((h.cpu.context >>> 0).toString(16)).toBe('83004000');
    expect(h.reg(T1)).toBe(0x77);
    expect(h.bd).toBe(false);
  });

  it('refill on store: TLBS at +0x000; KSEG3 address gives the top BadVPN2', () => {
    const h = mapped([...li(T0, 0x83000000), mtc0(T0, C0_CONTEXT), ...li(A1, 0xffffe000), sw(T1, 0x10, A1)]);
    h.run(30);
    expectTlbException(h, EXC.TLBS, VEC_REFILL, CODE + 20, 0xffffe010);
    expect((h.cpu.context >>> 0).toString(16)).toBe('837ffff0');
  });

  it('refill on instruction fetch: EPC = BadVAddr = target, BD = 0', () => {
    const h = mapped([...li(T0, 0x00600000), jr(T0), nop()]);
    h.run(30);
    expectTlbException(h, EXC.TLBL, VEC_REFILL, 0x00600000, 0x00600000);
    expect(h.bd).toBe(false);
  });

  it('refill in a delay slot: EPC = branch, BD = 1', () => {
    const h = mapped([...li(A1, 0x00800000), beq(ZERO, ZERO, 3), lw(T1, 0, A1)]);
    h.run(30);
    expectTlbException(h, EXC.TLBL, VEC_REFILL, CODE + 8, 0x00800000);
    expect(h.cpu.cause & CAUSE_BD).toBe(CAUSE_BD | 0);
  });

  it('a branch on the last word of a mapped page whose delay slot is unmapped: EPC = branch, BD = 1', () => {
    const h = new CpuHarness();
    h.tlbWrite(1, 0xc0000000, entryLo(PA_A), 0, 0); // odd page 0xC0001000 not valid
    h.load(PA_A + 0xffc, [beq(ZERO, ZERO, -100)]); // at VA 0xC0000FFC
    h.start(0xc0000ffc);
    h.run(10);
    expect(h.excCode).toBe(EXC.TLBL);
    expect(h.parkedAt(VEC_GENERAL)).toBe(true); // matching entry, V = 0: not a refill
    expect(h.epc).toBe(0xc0000ffc);
    expect(h.bd).toBe(true);
    expect(h.badVAddr).toBe(0xc0001000);
  });

  it('a miss with EXL = 1 goes to the general vector and leaves EPC alone', () => {
    const h = mapped([...li(A1, 0x00800000), lw(T1, 0, A1)], undefined, undefined, ST_EXL);
    h.cpu.epc = 0x80007770 | 0;
    h.run(30);
    expect(h.excCode).toBe(EXC.TLBL);
    expect(h.parkedAt(VEC_GENERAL)).toBe(true);
    expect(h.epc).toBe(0x80007770);
    expect(h.badVAddr).toBe(0x00800000);
  });

  it('with BEV = 1 the refill vector is 0xBFC00200', () => {
    const h = mapped([lw(T1, 0, ZERO)], undefined, undefined, ST_BEV);
    h.step(1);
    expect(h.excCode).toBe(EXC.TLBL);
    expect(h.pc).toBe(0xbfc00200);
  });

  it('LWL/SWR misses report the exact unaligned BadVAddr', () => {
    let h = mapped([...li(A1, 0x00800000), lwl(T1, 3, A1)]);
    h.run(30);
    expectTlbException(h, EXC.TLBL, VEC_REFILL, CODE + 8, 0x00800003);
    h = mapped([...li(A1, 0x00800000), swr(T1, 1, A1)]);
    h.run(30);
    expectTlbException(h, EXC.TLBS, VEC_REFILL, CODE + 8, 0x00800001);
  });

  it('a refill handler that writes EntryLo and TLBWR makes the retried load succeed', () => {
    const h = mapped([...li(A1, 0x00800000), lw(T1, 0x44, A1), addiu(T2, ZERO, 1)]);
    h.write32(PA_C + 0x44, 0xc0ffee00);
    // Linux-style refill: EntryHi already holds the faulting VPN2 and ASID.
    h.load(VEC_REFILL, [
      ...li(K1, entryLo(PA_C)), mtc0(K1, C0_ENTRYLO0),
      ...li(K1, entryLo(PA_D)), mtc0(K1, C0_ENTRYLO1),
      ehb(), tlbwr(), eret(),
    ]);
    h.run(60);
    expect(h.parkedAt(CODE + 16)).toBe(true);
    expect(h.reg(T1)).toBe(0xc0ffee00);
    expect(h.reg(T2)).toBe(1);
    expect(h.cpu.status & ST_EXL).toBe(0);
  });

  it('V = 0: load -> TLBL and store -> TLBS at the general vector (not refill)', () => {
    let h = mapped([lw(T1, 0x1010, A0)], entryLo(PA_A), entryLo(PA_B, { v: false }));
    h.run(10);
    expectTlbException(h, EXC.TLBL, VEC_GENERAL, CODE, VA + 0x1010);
    h = mapped([lw(T1, 0x10, A0), sw(T1, 0x1014, A0)], entryLo(PA_A), entryLo(PA_B, { v: false }));
    h.run(10);
    expect(h.reg(T1)).toBe(0xaaaa0010); // the valid even page still works
    expectTlbException(h, EXC.TLBS, VEC_GENERAL, CODE + 4, VA + 0x1014);
  });

  it('D = 0: loads work, stores raise Mod (1) and write nothing', () => {
    for (const store of [sw(T1, 0x20, A0), sh(T1, 0x22, A0), sb(T1, 0x23, A0), swl(T1, 0x21, A0), swr(T1, 0x21, A0)]) {
      const h = mapped([lw(T2, 0x10, A0), store], entryLo(PA_A, { d: false }), entryLo(PA_B));
      h.setReg(T1, -1);
      h.write32(PA_A + 0x20, 0x01020304);
      h.run(10);
      expect(h.reg(T2)).toBe(0xaaaa0010);
      const bad = VA + ((store & 0xffff) as number);
      expectTlbException(h, EXC.Mod, VEC_GENERAL, CODE + 4, bad);
      expect(h.read32(PA_A + 0x20)).toBe(0x01020304);
    }
  });

  it('a Mod handler that sets D and rewrites the entry lets the store complete', () => {
    const h = mapped([sw(T1, 0x20, A0), addiu(T2, ZERO, 1)], entryLo(PA_A, { d: false }), entryLo(PA_B));
    h.setReg(T1, 0x600d600d);
    h.load(VEC_GENERAL, [
      tlbp(), ehb(), tlbr(), ehb(),
      mfc0(K0, C0_ENTRYLO0), addiu(K0, K0, 4), mtc0(K0, C0_ENTRYLO0),
      ehb(), tlbwi(), eret(),
    ]);
    h.run(60);
    expect(h.parkedAt(CODE + 8)).toBe(true);
    expect(h.read32(PA_A + 0x20)).toBe(0x600d600d);
    expect(h.reg(T2)).toBe(1);
  });
});

describe('ASIDs and stale translations', () => {
  it('an entry for another ASID misses unless it is global', () => {
    let h = mapped([...li(T0, VA | 6), mtc0(T0, C0_ENTRYHI), ehb(), lw(T1, 0x10, A0)]);
    h.run(20);
    expect(h.excCode).toBe(EXC.TLBL);
    expect(h.parkedAt(VEC_REFILL)).toBe(true);
    expect(h.cpu.entryHi & 0xff).toBe(6);
    h = mapped([...li(T0, VA | 6), mtc0(T0, C0_ENTRYHI), ehb(), lw(T1, 0x10, A0)],
      entryLo(PA_A, { g: true }), entryLo(PA_B, { g: true }));
    h.run(20);
    expect(h.parkedAt(CODE + 20)).toBe(true);
    expect(h.reg(T1)).toBe(0xaaaa0010);
  });

  it('switching EntryHi.ASID makes a previously used page miss (load and store)', () => {
    let h = mapped([lw(T1, 0x10, A0), lw(T3, 0x14, A0), addiu(T0, ZERO, 6), mtc0(T0, C0_ENTRYHI), ehb(), lw(T2, 0x10, A0)]);
    h.setReg(T2, 0x99);
    h.run(20);
    expect(h.reg(T1)).toBe(0xaaaa0010);
    expect(h.excCode).toBe(EXC.TLBL);
    expect(h.parkedAt(VEC_REFILL)).toBe(true);
    expect(h.epc).toBe(CODE + 20);
    expect(h.reg(T2)).toBe(0x99);

    h = mapped([sw(T1, 0x30, A0), addiu(T0, ZERO, 6), mtc0(T0, C0_ENTRYHI), ehb(), sw(T1, 0x34, A0)]);
    h.setReg(T1, 0x31313131);
    h.run(20);
    expect(h.read32(PA_A + 0x30)).toBe(0x31313131);
    expect(h.read32(PA_A + 0x34)).toBe(0);
    expect(h.excCode).toBe(EXC.TLBS);
    expect(h.parkedAt(VEC_REFILL)).toBe(true);
  });

  it('switching back to the original ASID hits again', () => {
    const h = mapped([
      lw(T1, 0x10, A0),
      addiu(T0, ZERO, 6), mtc0(T0, C0_ENTRYHI), ehb(),
      addiu(T0, ZERO, ASID), mtc0(T0, C0_ENTRYHI), ehb(),
      lw(T2, 0x1010, A0),
    ]);
    h.run(30);
    expect(h.reg(T1)).toBe(0xaaaa0010);
    expect(h.reg(T2)).toBe(0xbbbb0010);
    expect(h.parkedAt(CODE + 32)).toBe(true);
  });

  it('user mode: an ASID switch in the kernel between two user loads makes the second miss', () => {
    const USER_VA = 0x00200000;
    const h = new CpuHarness();
    // Global code page pair for the user program; the data page pair is private to ASID 5.
    h.tlbWrite(0, USER_VA, entryLo(0x00210000, { g: true }), entryLo(0x00211000, { g: true }));
    h.tlbWrite(1, VA | ASID, entryLo(PA_A), entryLo(PA_B));
    h.write32(PA_A + 0x10, 0xaaaa0010);
    h.load(0x80210000, [lw(T1, 0x10, A0), syscall(), lw(T2, 0x10, A0), ...halt()]);
    h.load(VEC_GENERAL, [
      addiu(K0, ZERO, 6), mtc0(K0, C0_ENTRYHI),
      mfc0(K0, C0_EPC), addiu(K0, K0, 4), mtc0(K0, C0_EPC), ehb(), eret(),
    ]);
    h.cpu.setStatus(ST_UM);
    h.start(USER_VA);
    h.setReg(A0, VA);
    h.setReg(T2, 0x99);
    h.run(40);
    expect(h.reg(T1)).toBe(0xaaaa0010);
    expect(h.reg(T2)).toBe(0x99);
    expect(h.excCode).toBe(EXC.TLBL);
    expect(h.parkedAt(VEC_REFILL)).toBe(true);
    expect(h.epc).toBe(USER_VA + 8);
    expect(h.cpu.status & ST_UM).toBe(ST_UM);
  });

  it('a TLBWI remap is seen by the very next load and store', () => {
    const h = new CpuHarness();
    h.write32(PA_A + 0x10, 0xaaaa0010);
    h.write32(PA_C + 0x10, 0xcccc0010);
    h.program([
      ...tlbwiCode(3, VA | ASID, entryLo(PA_A), entryLo(PA_B)),
      ...li(A0, VA),
      lw(T1, 0x10, A0),
      sw(T1, 0x20, A0),
      ...tlbwiCode(3, VA | ASID, entryLo(PA_C), entryLo(PA_D)),
      lw(T2, 0x10, A0),
      sw(T2, 0x20, A0),
      ...halt(),
    ]);
    h.run(100);
    expect(h.reg(T1)).toBe(0xaaaa0010);
    expect(h.reg(T2)).toBe(0xcccc0010);
    expect(h.read32(PA_A + 0x20)).toBe(0xaaaa0010);
    expect(h.read32(PA_C + 0x20)).toBe(0xcccc0010);
  });

  it('rewriting a used entry as invalid makes the next load raise TLBL (no stale fast path)', () => {
    const h = mapped([lw(T1, 0x10, A0), ...tlbwiCode(3, VA | ASID, entryLo(PA_A, { v: false }), entryLo(PA_B)), lw(T2, 0x10, A0)]);
    h.run(60);
    expect(h.reg(T1)).toBe(0xaaaa0010);
    expect(h.excCode).toBe(EXC.TLBL);
    expect(h.parkedAt(VEC_GENERAL)).toBe(true);
    expect(h.epc).toBe(CODE + 4 + 4 * 18);
  });

  it('rewriting a written-to entry as clean makes the next store raise Mod', () => {
    const h = mapped([sw(T1, 0x10, A0), ...tlbwiCode(3, VA | ASID, entryLo(PA_A, { d: false }), entryLo(PA_B)), sw(T1, 0x14, A0)]);
    h.run(60);
    expect(h.excCode).toBe(EXC.Mod);
    expect(h.parkedAt(VEC_GENERAL)).toBe(true);
    expect(h.epc).toBe(CODE + 4 + 4 * 18);
  });

  it('overwriting an entry with a different VPN2 unmaps the old pages', () => {
    const h = mapped([lw(T1, 0x10, A0), ...tlbwiCode(3, 0x00a00000 | ASID, entryLo(PA_A), entryLo(PA_B)), lw(T2, 0x10, A0)]);
    h.run(60);
    expect(h.reg(T1)).toBe(0xaaaa0010);
    expect(h.excCode).toBe(EXC.TLBL);
    expect(h.parkedAt(VEC_REFILL)).toBe(true);
  });
});

/**
 * QEMU keeps the entry a TLBWR replaces as a hidden shadow (up to 128 entries in all), so Linux's
 * refills, which always use TLBWR, do not thrash 16 entries; TLBP and TLBWI drop the shadows
 * whenever the guest could see them disagree with the real entries (r4k_invalidate_tlb,
 * r4k_helper_tlbp, r4k_helper_tlbwi in QEMU 7.2). odtab does the same: these are the cases.
 */
describe('shadows of entries TLBWR replaced (as QEMU)', () => {
  const VA2 = 0x00a00000;
  /** Entry 15 maps VA for `asid`; Wired = 15 makes TLBWR replace entry 15 with VA2. */
  function shadowed(asid: number, then: number[], lo2 = entryLo(PA_C)): CpuHarness {
    const h = new CpuHarness();
    h.tlbWrite(15, VA | asid, entryLo(PA_A), entryLo(PA_B));
    h.write32(PA_A + 0x10, 0xaaaa0010);
    h.program([
      addiu(T0, ZERO, 15), mtc0(T0, C0_WIRED),
      ...li(T0, VA2 | ASID), mtc0(T0, C0_ENTRYHI),
      ...li(T0, lo2), mtc0(T0, C0_ENTRYLO0), mtc0(T0, C0_ENTRYLO1), mtc0(ZERO, C0_PAGEMASK),
      ehb(), tlbwr(), ehb(),
      ...then,
      ...halt(),
    ]);
    h.setReg(A0, VA);
    return h;
  }

  it('the replaced entry still translates, though TLBR and TLBP no longer show it', () => {
    const h = shadowed(ASID, [
      lw(T1, 0x10, A0),
      addiu(T0, ZERO, 15), mtc0(T0, C0_INDEX), ehb(), tlbr(), ehb(), mfc0(T2, C0_ENTRYHI),
    ]);
    h.run(100);
    expect(h.excCode, 'no exception').toBe(0);
    expect(h.reg(T1)).toBe(0xaaaa0010);
    expect(h.reg(T2)).toBe(VA2 | ASID);
  });

  it('a TLBP miss that a shadow would match drops the shadows: the next access refills', () => {
    const h = shadowed(ASID, [
      ...li(T0, VA | ASID), mtc0(T0, C0_ENTRYHI), ehb(), tlbp(), ehb(), mfc0(T3, C0_INDEX),
      lw(T1, 0x10, A0),
    ]);
    h.run(100);
    expect(h.reg(T3) >>> 31, 'TLBP missed').toBe(1);
    expect(h.excCode).toBe(EXC.TLBL);
    expect(h.parkedAt(VEC_REFILL)).toBe(true);
  });

  /** Rewrite entry 15 (VA2, from TLBWR) with TLBWI: EntryHi `hi`, both EntryLo `lo`. */
  const rewrite15 = (hi: number, lo: number) => [
    ...li(T0, hi), mtc0(T0, C0_ENTRYHI), ...li(T0, lo), mtc0(T0, C0_ENTRYLO0), mtc0(T0, C0_ENTRYLO1), ehb(),
    addiu(T0, ZERO, 15), mtc0(T0, C0_INDEX), ehb(), tlbwi(), ehb(),
  ];

  it('a TLBWI that moves an entry to another VPN2 drops the shadows', () => {
    const h = shadowed(ASID, [...rewrite15(0x00c00000 | ASID, entryLo(PA_C)), lw(T1, 0x10, A0)]);
    h.run(150);
    expect(h.excCode).toBe(EXC.TLBL);
    expect(h.parkedAt(VEC_REFILL)).toBe(true);
  });

  it('a TLBWI that takes access away (D cleared) drops the shadows', () => {
    const h = shadowed(ASID, [...rewrite15(VA2 | ASID, entryLo(PA_C, { d: false })), lw(T1, 0x10, A0)]);
    h.run(150);
    expect(h.excCode).toBe(EXC.TLBL);
    expect(h.parkedAt(VEC_REFILL)).toBe(true);
  });

  it('a TLBWI that only grants access (V and D set on the same VPN2) keeps them', () => {
    // Entry 15 (VA2, written clean and invalid by TLBWR) is rewritten valid and dirty.
    const h = shadowed(ASID, [...rewrite15(VA2 | ASID, entryLo(PA_C)), lw(T1, 0x10, A0)], entryLo(PA_C, { d: false, v: false }));
    h.run(200);
    expect(h.excCode, 'no exception').toBe(0);
    expect(h.reg(T1)).toBe(0xaaaa0010);
  });

  it('an entry of another address space is not kept', () => {
    const OTHER = 7;
    const h = shadowed(OTHER, [...li(T0, VA2 | OTHER), mtc0(T0, C0_ENTRYHI), ehb(), lw(T1, 0x10, A0)]);
    h.run(100);
    expect(h.excCode).toBe(EXC.TLBL);
    expect(h.parkedAt(VEC_REFILL)).toBe(true);
  });
});

describe('unmapped segments', () => {
  it('KSEG0 and KSEG1 never consult the TLB, even when an entry matches their VPN2', () => {
    const h = new CpuHarness();
    h.tlbWrite(0, DATA, entryLo(PA_A, { g: true }), entryLo(PA_B, { g: true }));
    h.tlbWrite(1, 0xa0100000, entryLo(PA_C, { g: true }), entryLo(PA_D, { g: true }));
    h.tlbWrite(2, CODE & ~0x1fff, entryLo(PA_C, { g: true }), entryLo(PA_D, { g: true }));
    h.write32(DATA, 0x0d0d0d0d);
    h.write32(PA_A, 0x0a0a0a0a);
    h.program([lw(T0, 0, A0), ...li(A1, 0xa0100000), lw(T1, 0, A1), sw(T0, 8, A1), ...halt()]);
    h.setReg(A0, DATA);
    h.run(20);
    expect(h.parkedAt(CODE + 20)).toBe(true);
    expect(h.reg(T0)).toBe(0x0d0d0d0d);
    expect(h.reg(T1)).toBe(0x0d0d0d0d);
    expect(h.read32(DATA + 8)).toBe(0x0d0d0d0d);
    expect(h.read32(PA_C + 8)).toBe(0);
  });

  it('KSEG1 device accesses (outside RAM) reach the physical address without the TLB', () => {
    const h = new CpuHarness();
    // A global entry whose VPN2 equals the KSEG1 address, mapped to RAM: it must not be used.
    h.tlbWrite(5, 0xbf000000, entryLo(PA_A, { g: true }), entryLo(PA_B, { g: true }));
    h.program([...li(A0, 0xbf000000), lw(T0, 0x10, A0), sw(T1, 0x14, A0), lb(T2, 0x1001, A0), ...halt()]);
    h.setReg(T0, 0x77);
    h.setReg(T1, 0x12345678);
    h.run(20);
    expect(h.parkedAt(CODE + 20)).toBe(true);
    expect(h.phys.ioLog).toEqual([
      { pa: 0x1f000010, size: 4, write: false, value: 0 },
      { pa: 0x1f000014, size: 4, write: true, value: 0x12345678 },
      { pa: 0x1f001001, size: 1, write: false, value: 0 },
    ]);
    expect(h.reg(T0)).toBe(0);
    expect(h.read32(PA_A + 0x14)).toBe(0);
  });

  it('Linux shutdown fill (EntryHi = 0x80000000 + i * 0x2000, EntryLo = 0) leaves KSEG0 working', () => {
    const h = new CpuHarness();
    for (let i = 0; i < 16; i++) h.tlbWrite(i, 0x80000000 + i * 0x2000, 0, 0);
    h.write32(DATA, 0x5a5a5a5a);
    h.program([lw(T0, 0, A0), ...halt()]);
    h.setReg(A0, DATA);
    h.run(10);
    expect(h.reg(T0)).toBe(0x5a5a5a5a);
    expect(h.parkedAt(CODE + 4)).toBe(true);
  });

  it('ERL = 1 makes KUSEG an identity map; clearing ERL brings the TLB back', () => {
    const h = mapped([
      lw(T1, 0x10, A0), // mapped: PA_A + 0x10
      ...li(T0, ST_ERL), mtc0(T0, C0_STATUS), ehb(),
      lw(T2, 0x10, A0), // identity: PA 0x00400010
      ...li(A1, 0x00700000), lw(T3, 0, A1), // identity, no entry needed
      mtc0(ZERO, C0_STATUS), ehb(),
      lw(V0, 0x10, A0), // mapped again
      lw(T3, 4, A1), // and a miss again
    ]);
    h.write32(VA + 0x10, 0x1de00010);
    h.write32(0x00700000, 0x1de00700);
    h.setReg(V0, 0);
    h.run(60);
    expect(h.reg(T1)).toBe(0xaaaa0010);
    expect(h.reg(T2)).toBe(0x1de00010);
    expect(h.reg(T3)).toBe(0x1de00700);
    expect(h.reg(V0)).toBe(0xaaaa0010);
    expect(h.excCode).toBe(EXC.TLBL);
    expect(h.parkedAt(VEC_REFILL)).toBe(true);
    expect(h.badVAddr).toBe(0x00700004);
  });

  it('user code on a D = 0 page can load but a store raises Mod', () => {
    const USER_VA = 0x00200000;
    const h = new CpuHarness();
    h.tlbWrite(0, USER_VA | ASID, entryLo(0x00210000, { d: false }), entryLo(0x00211000));
    h.write32(0x00210800, 0x4a4a4a4a);
    h.load(0x80210000, [lw(T1, 0x800, A0), sw(T1, 0x1000, A0), sw(T1, 0x804, A0), ...halt()]);
    h.cpu.setStatus(ST_UM);
    h.start(USER_VA);
    h.setReg(A0, USER_VA);
    h.run(20);
    expect(h.reg(T1)).toBe(0x4a4a4a4a);
    expect(h.read32(0x00211000)).toBe(0x4a4a4a4a);
    expectTlbException(h, EXC.Mod, VEC_GENERAL, USER_VA + 8, USER_VA + 0x804);
  });

  it('BadVAddr is also readable by MFC0 in the handler', () => {
    const h = mapped([...li(A1, 0x00800000), lw(T1, 0x124, A1)]);
    h.load(VEC_REFILL, [mfc0(K0, C0_BADVADDR), mfc0(K1, C0_ENTRYHI), ...halt()]);
    h.run(30);
    expect(h.reg(K0)).toBe(0x00800124);
    expect(h.reg(K1)).toBe(0x00800000 | ASID);
    expect(h.parkedAt(VEC_REFILL + 8)).toBe(true);
  });
});
