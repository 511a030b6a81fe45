/**
 * Linux 6.1's 32-bit TLB refill handler as uasm builds it on the Malta (the instruction sequence
 * dumped from EBase of the running Debian kernel), with our own addresses, plus two-level page
 * tables in its format: pgd_current[cpu] -> pgd -> page table -> even/odd PTEs (EntryLo << 6).
 * Used by the TLB differential tests and by scripts/tlb-storm.ts.
 */
import { Asm } from './jit-diff';
import * as A from './mips-asm';
import { C0_BADVADDR, C0_CONTEXT, C0_ENTRYLO0, C0_ENTRYLO1, K0, K1 } from './mips-asm';

/** Physical layout: pgd_current at 0x3000, the pgd at 0x4000, page tables from 0x10000 up. */
export const PGD_CURRENT = 0x3000;
export const PGD = 0x4000;
const PT_BASE = 0x10000;

/** The handler's words, for the refill vector at `vector` (EBase + 0, KSEG0). */
export function linuxRefillHandler(vector = 0x80000000): number[] {
  return new Asm(vector)
    .emit(A.mfc0(K1, C0_CONTEXT), A.lui(K0, 0x8000), A.srl(K1, K1, 23), A.addu(K1, K0, K1))
    .emit(A.mfc0(K0, C0_BADVADDR), A.lw(K1, PGD_CURRENT, K1), A.srl(K0, K0, 22), A.sll(K0, K0, 2), A.addu(K1, K1, K0))
    .emit(A.mfc0(K0, C0_CONTEXT), A.lw(K1, 0, K1), A.srl(K0, K0, 1), A.andi(K0, K0, 0xff8), A.addu(K1, K1, K0))
    .emit(A.lw(K0, 0, K1), A.lw(K1, 4, K1), A.srl(K0, K0, 6), A.mtc0(K0, C0_ENTRYLO0), A.srl(K1, K1, 6))
    .emit(A.mtc0(K1, C0_ENTRYLO1), A.ehb(), A.tlbwr(), A.eret())
    .assemble();
}

/** Builds the page tables in guest RAM through `read32`/`write32` on physical addresses. */
export class PageTables {
  private nextPt = PT_BASE;

  constructor(
    private readonly read32: (pa: number) => number,
    private readonly write32: (pa: number, v: number) => void,
  ) {
    write32(PGD_CURRENT, 0x80000000 + PGD);
  }

  /** Map `pages` 4 KiB pages from virtual `va` to physical `pa` onwards (valid, dirty, cached). */
  map(va: number, pa: number, pages: number): void {
    for (let i = 0; i < pages; i++) {
      const v = va + i * 4096;
      const di = v >>> 22;
      let pt = this.read32(PGD + di * 4);
      if (pt === 0) {
        pt = 0x80000000 + this.nextPt;
        this.nextPt += 4096;
        this.write32(PGD + di * 4, pt);
      }
      const lo = (((pa + i * 4096) >>> 12) << 6) | (3 << 3) | 4 | 2;
      this.write32((pt & 0x1fffffff) + ((v >>> 12) & 0x3ff) * 4, lo << 6);
    }
  }
}
