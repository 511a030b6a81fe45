import type { PhysicalMemory } from '../memory/physical';

export const TLB_ENTRIES = 16;

/** Translation failures (negative, so any result >= 0 is a physical address). */
export const XLAT_REFILL = -1; // no matching entry
export const XLAT_INVALID = -2; // matching entry, V = 0
export const XLAT_MODIFIED = -3; // store to a page with D = 0

const PAGE_SHIFT = 12;
const PAGES = 1 << 20;
const CACHED_MAX = 8192;

/**
 * The 16-entry joint TLB plus a software TLB that the interpreter's fast path reads.
 *
 * The software TLB is four per-4KiB-page tables (kernel read/write, user read/write) holding
 * `ramByteOffset + 1` of the page (0 = not mapped here, take the slow path). The +1 keeps 0
 * free as the sentinel and vanishes in `(entry + offset) >> 2` for aligned word accesses.
 * KSEG0/KSEG1 RAM pages are filled once and never change. Mapped pages are cached as the
 * slow path translates them and all of those are dropped whenever the TLB or the ASID changes:
 * that is at most a few dozen pages, since they all derive from 16 dual-page entries.
 * User tables only ever hold KUSEG pages, so a user access to kernel space always falls
 * into the slow path, which raises the address error.
 */
export class Mmu {
  readonly entryHi = new Int32Array(TLB_ENTRIES);
  readonly pageMask = new Int32Array(TLB_ENTRIES);
  readonly lo0 = new Int32Array(TLB_ENTRIES);
  readonly lo1 = new Int32Array(TLB_ENTRIES);
  readonly global = new Uint8Array(TLB_ENTRIES);

  readonly kRead = new Int32Array(PAGES);
  readonly kWrite = new Int32Array(PAGES);
  readonly uRead = new Int32Array(PAGES);
  readonly uWrite = new Int32Array(PAGES);
  /** Mapped pages now in the software TLB; when it fills up, everything is forgotten. */
  private readonly cached = new Int32Array(CACHED_MAX);
  /** RAM pages holding translated code (jit.ts): they never get a write fast-path entry. */
  codePage: Uint8Array | null = null;
  private cachedCount = 0;

  constructor(private readonly phys: PhysicalMemory) {
    this.reset();
  }

  reset(): void {
    for (let i = 0; i < TLB_ENTRIES; i++) {
      // Distinct unmatchable KSEG0 VPN2s, as Linux itself leaves unused entries.
      this.entryHi[i] = (0x80000000 + i * 0x2000) | 0;
      this.pageMask[i] = 0;
      this.lo0[i] = 0;
      this.lo1[i] = 0;
      this.global[i] = 0;
    }
    this.kRead.fill(0);
    this.kWrite.fill(0);
    this.uRead.fill(0);
    this.uWrite.fill(0);
    this.cachedCount = 0;
    this.mapUnmappedSegments();
  }

  /** KSEG0 and KSEG1 are fixed windows on physical 0..512 MiB. */
  private mapUnmappedSegments(): void {
    for (let pa = 0; pa < 0x20000000; pa += 1 << PAGE_SHIFT) {
      const off = this.phys.ramPage(pa);
      if (off < 0) continue;
      this.kRead[(0x80000000 + pa) >>> PAGE_SHIFT] = off + 1;
      this.kWrite[(0x80000000 + pa) >>> PAGE_SHIFT] = off + 1;
      this.kRead[(0xa0000000 + pa) >>> PAGE_SHIFT] = off + 1;
      this.kWrite[(0xa0000000 + pa) >>> PAGE_SHIFT] = off + 1;
    }
  }

  /** Forget every cached mapped page (TLB write, ASID change, ERL change). */
  flush(): void {
    const c = this.cached;
    for (let i = 0; i < this.cachedCount; i++) {
      const p = c[i];
      this.kRead[p] = 0;
      this.kWrite[p] = 0;
      this.uRead[p] = 0;
      this.uWrite[p] = 0;
    }
    this.cachedCount = 0;
  }

  /** Index of the entry matching `va` for `asid`, or -1. */
  probe(va: number, asid: number): number {
    for (let i = 0; i < TLB_ENTRIES; i++) {
      const m = ~(this.pageMask[i] | 0x1fff);
      if (((this.entryHi[i] ^ va) & m) === 0 && (this.global[i] !== 0 || (this.entryHi[i] & 0xff) === asid)) return i;
    }
    return -1;
  }

  /**
   * Translate a mapped address through the TLB. Returns the physical address or an XLAT_*
   * code. On success the page is cached in the software TLB when it is RAM.
   */
  translateMapped(va: number, write: boolean, asid: number): number {
    const i = this.probe(va, asid);
    if (i < 0) return XLAT_REFILL;
    const pm = this.pageMask[i] | 0x1fff;
    const oddBit = (pm + 1) >>> 1;
    const lo = (va & oddBit) !== 0 ? this.lo1[i] : this.lo0[i];
    if ((lo & 2) === 0) return XLAT_INVALID;
    const dirty = (lo & 4) !== 0;
    if (write && !dirty) return XLAT_MODIFIED;
    const pa = (((lo >>> 6) << PAGE_SHIFT) + (va & (oddBit - 1))) >>> 0;
    const off = this.phys.ramPage(pa);
    if (off >= 0) {
      const vpn = va >>> PAGE_SHIFT;
      if (this.kRead[vpn] === 0) this.cached[this.cachedCount++] = vpn;
      const writable = dirty && (this.codePage === null || this.codePage[off >>> 12] === 0);
      this.kRead[vpn] = off + 1;
      if (writable) this.kWrite[vpn] = off + 1;
      if (va >= 0) {
        this.uRead[vpn] = off + 1;
        if (writable) this.uWrite[vpn] = off + 1;
      }
      if (this.cachedCount >= CACHED_MAX) this.flush();
    }
    return pa;
  }

  /** Take the write fast path away from RAM page `off` (it now holds translated code). */
  protect(off: number): void {
    if (off < 0x20000000 && this.phys.ramPage(off) === off) {
      this.kWrite[(0x80000000 + off) >>> PAGE_SHIFT] = 0;
      this.kWrite[(0xa0000000 + off) >>> PAGE_SHIFT] = 0;
    }
    const c = this.cached;
    for (let i = 0; i < this.cachedCount; i++) {
      const p = c[i];
      if (this.kWrite[p] === off + 1) this.kWrite[p] = 0;
      if (this.uWrite[p] === off + 1) this.uWrite[p] = 0;
    }
  }

  /** Give RAM page `off` its write fast path back (its translated code was dropped). */
  unprotect(off: number): void {
    if (off < 0x20000000 && this.phys.ramPage(off) === off) {
      this.kWrite[(0x80000000 + off) >>> PAGE_SHIFT] = off + 1;
      this.kWrite[(0xa0000000 + off) >>> PAGE_SHIFT] = off + 1;
    }
    // Mapped aliases come back when the slow path next translates them.
  }

  write(i: number, hi: number, mask: number, lo0: number, lo1: number): void {
    this.forgetEntry(i);
    this.entryHi[i] = (hi & ~(mask | 0x1fff)) | (hi & 0xff);
    this.pageMask[i] = mask;
    this.global[i] = lo0 & lo1 & 1;
    this.lo0[i] = lo0 & ~1;
    this.lo1[i] = lo1 & ~1;
    if (mask === 0) {
      // The entry is written with the current ASID (EntryHi), so it is live now: give its two
      // pages to the fast path at once instead of after one more slow translation each.
      const vpn = (this.entryHi[i] >>> PAGE_SHIFT) & ~1;
      this.prefill(vpn, lo0);
      this.prefill(vpn | 1, lo1);
    }
  }

  private prefill(vpn: number, lo: number): void {
    if ((lo & 2) === 0 || this.kRead[vpn] !== 0 || (vpn >= 0x80000 && vpn < 0xc0000)) return;
    const off = this.phys.ramPage(((lo >>> 6) << PAGE_SHIFT) >>> 0);
    if (off < 0) return;
    if (this.cachedCount >= CACHED_MAX) this.flush();
    this.cached[this.cachedCount++] = vpn;
    const writable = (lo & 4) !== 0 && (this.codePage === null || this.codePage[off >>> 12] === 0);
    this.kRead[vpn] = off + 1;
    if (writable) this.kWrite[vpn] = off + 1;
    if (vpn < 0x80000) {
      this.uRead[vpn] = off + 1;
      if (writable) this.uWrite[vpn] = off + 1;
    }
  }

  /**
   * Drop the software-TLB pages that entry i (as it is now) can have produced. Linux rewrites a
   * TLB entry on every refill, so forgetting only the replaced entry's pages, not every cached
   * page, is what keeps the fast path warm.
   */
  private forgetEntry(i: number): void {
    const span = (this.pageMask[i] | 0x1fff) + 1; // bytes covered by the even/odd pair
    const pages = span >>> PAGE_SHIFT;
    if (pages > 64) {
      this.flush();
      return;
    }
    const first = (this.entryHi[i] & ~(span - 1)) >>> PAGE_SHIFT;
    for (let p = first; p < first + pages; p++) {
      if (p >= 0x80000 && p < 0xc0000) continue; // KSEG0/KSEG1 entries are fixed, never TLB-derived
      this.kRead[p] = 0;
      this.kWrite[p] = 0;
      this.uRead[p] = 0;
      this.uWrite[p] = 0;
    }
  }
}
