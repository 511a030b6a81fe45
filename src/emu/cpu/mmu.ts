import type { PhysicalMemory } from '../memory/physical';
import { LAYOUT } from '../memory/ram';

export const TLB_ENTRIES = 16;
/**
 * Entries the TLB may hold in all: the 16 the guest sees plus hidden copies of entries TLBWR
 * replaced (QEMU's MIPS_TLB_MAX).
 */
const TLB_SLOTS = 128;

/** Translation failures (negative, so any result >= 0 is a physical address). */
export const XLAT_REFILL = -1; // no matching entry
export const XLAT_INVALID = -2; // matching entry, V = 0
export const XLAT_MODIFIED = -3; // store to a page with D = 0

const PAGE_SHIFT = 12;
const PAGES = 1 << 20;
/** Software-TLB pages remembered per TLB entry (two for the 4 KiB pages Linux uses). */
const PAGES_PER_ENTRY = 8;
/** Buckets of the probe index, by the low bits of VPN2. */
const BUCKETS = 64;

/** An EntryLo rewrite that clears V or D (QEMU's TLBWI keeps shadows only for upgrades). */
const losesAccess = (old: number, neu: number): boolean =>
  ((old & 2) !== 0 && (neu & 2) === 0) || ((old & 4) !== 0 && (neu & 4) === 0);

/**
 * The 16-entry joint TLB plus a software TLB that the interpreter's fast path reads.
 *
 * The software TLB is four per-4KiB-page tables (kernel read/write, user read/write) holding
 * `ramByteOffset + 1` of the page (0 = not mapped here, take the slow path). The +1 keeps 0
 * free as the sentinel and vanishes in `(entry + offset) >> 2` for aligned word accesses.
 * KSEG0/KSEG1 RAM pages are filled once and never change. A mapped page enters the tables when
 * the slow path translates it or its TLB entry is written, and is remembered under that entry:
 * replacing the entry drops just its pages, and an ASID change drops the pages of all sixteen,
 * so no bookkeeping grows with the number of translations.
 * User tables only ever hold KUSEG pages, so a user access to kernel space always falls
 * into the slow path, which raises the address error.
 */
export class Mmu {
  // Slots 0..15 are the architectural TLB; slots 16..inUse-1 are shadows (see shadowOrForget).
  readonly entryHi = new Int32Array(TLB_SLOTS);
  readonly pageMask = new Int32Array(TLB_SLOTS);
  readonly lo0 = new Int32Array(TLB_SLOTS);
  readonly lo1 = new Int32Array(TLB_SLOTS);
  readonly global = new Uint8Array(TLB_SLOTS);
  /** Slots in use: 16 plus the shadows. */
  inUse = TLB_ENTRIES;

  readonly kRead: Int32Array;
  readonly kWrite: Int32Array;
  readonly uRead: Int32Array;
  readonly uWrite: Int32Array;
  /** Software-TLB pages filled from entry i: entryPages[i * PAGES_PER_ENTRY + n], n < entryPageCount[i]. */
  private readonly entryPages = new Int32Array(TLB_SLOTS * PAGES_PER_ENTRY);
  private readonly entryPageCount = new Uint8Array(TLB_SLOTS);
  /**
   * Probe index: bit i of bucket[(VPN2) % BUCKETS] is set for a 4 KiB-page entry i with that
   * VPN2; entries with larger pages sit in bigPages and are always checked. A refill's miss
   * then costs a look at one bucket instead of all sixteen entries.
   */
  private readonly bucket = new Int32Array(BUCKETS);
  private bigPages = 0;
  /** RAM pages holding translated code (jit.ts): they never get a write fast-path entry. */
  codePage: Uint8Array | null = null;

  constructor(private readonly phys: PhysicalMemory) {
    // In the linear memory beside RAM, where translated WebAssembly code reads them too.
    const buffer = phys.ram.buffer;
    this.kRead = new Int32Array(buffer, LAYOUT.K_READ, PAGES);
    this.kWrite = new Int32Array(buffer, LAYOUT.K_WRITE, PAGES);
    this.uRead = new Int32Array(buffer, LAYOUT.U_READ, PAGES);
    this.uWrite = new Int32Array(buffer, LAYOUT.U_WRITE, PAGES);
    this.reset();
  }

  reset(): void {
    this.bucket.fill(0);
    this.bigPages = 0;
    this.entryPageCount.fill(0);
    this.inUse = TLB_ENTRIES;
    for (let i = 0; i < TLB_ENTRIES; i++) {
      // Distinct unmatchable KSEG0 VPN2s, as Linux itself leaves unused entries.
      this.entryHi[i] = (0x80000000 + i * 0x2000) | 0;
      this.pageMask[i] = 0;
      this.lo0[i] = 0;
      this.lo1[i] = 0;
      this.global[i] = 0;
      this.index(i);
    }
    this.kRead.fill(0);
    this.kWrite.fill(0);
    this.uRead.fill(0);
    this.uWrite.fill(0);
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

  /** Forget every mapped page in the software TLB (ASID change, ERL change). */
  flush(): void {
    for (let i = 0; i < this.inUse; i++) this.forgetPages(i);
  }

  /** Index of the entry matching `va` for `asid`, or -1 (the lowest index if several match). */
  probe(va: number, asid: number): number {
    let m = this.bucket[(va >>> 13) & (BUCKETS - 1)] | this.bigPages;
    while (m !== 0) {
      const i = 31 - Math.clz32(m & -m);
      m &= m - 1;
      const mask = ~(this.pageMask[i] | 0x1fff);
      if (((this.entryHi[i] ^ va) & mask) === 0 && (this.global[i] !== 0 || (this.entryHi[i] & 0xff) === asid)) return i;
    }
    return -1;
  }

  /**
   * Translate a mapped address through the TLB. Returns the physical address or an XLAT_*
   * code. On success the page is cached in the software TLB when it is RAM.
   */
  translateMapped(va: number, write: boolean, asid: number): number {
    let i = this.probe(va, asid);
    if (i < 0) {
      i = this.probeShadows(va, asid);
      if (i < 0) return XLAT_REFILL;
    }
    const pm = this.pageMask[i] | 0x1fff;
    const oddBit = (pm + 1) >>> 1;
    const lo = (va & oddBit) !== 0 ? this.lo1[i] : this.lo0[i];
    if ((lo & 2) === 0) return XLAT_INVALID;
    const dirty = (lo & 4) !== 0;
    if (write && !dirty) return XLAT_MODIFIED;
    const pa = (((lo >>> 6) << PAGE_SHIFT) + (va & (oddBit - 1))) >>> 0;
    const off = this.phys.ramPage(pa);
    if (off >= 0) this.fill(i, va >>> PAGE_SHIFT, off, dirty);
    return pa;
  }

  /** Put virtual page `vpn` -> RAM page `off` in the software TLB on behalf of entry i. */
  private fill(i: number, vpn: number, off: number, dirty: boolean): void {
    const base = i * PAGES_PER_ENTRY;
    let n = this.entryPageCount[i];
    let known = false;
    for (let k = 0; k < n; k++) if (this.entryPages[base + k] === vpn) known = true;
    if (!known) {
      if (n === PAGES_PER_ENTRY) {
        this.forgetPages(i); // a large page used widely: start its list again
        n = 0;
      }
      this.entryPages[base + n] = vpn;
      this.entryPageCount[i] = n + 1;
    }
    const writable = dirty && (this.codePage === null || this.codePage[off >>> 12] === 0);
    this.kRead[vpn] = off + 1;
    this.kWrite[vpn] = writable ? off + 1 : 0;
    if (vpn < 0x80000) {
      this.uRead[vpn] = off + 1;
      this.uWrite[vpn] = writable ? off + 1 : 0;
    }
  }

  /** Take the write fast path away from RAM page `off` (it now holds translated code). */
  protect(off: number): void {
    if (off < 0x20000000 && this.phys.ramPage(off) === off) {
      this.kWrite[(0x80000000 + off) >>> PAGE_SHIFT] = 0;
      this.kWrite[(0xa0000000 + off) >>> PAGE_SHIFT] = 0;
    }
    for (let i = 0; i < this.inUse; i++) {
      for (let n = 0, c = this.entryPageCount[i]; n < c; n++) {
        const p = this.entryPages[i * PAGES_PER_ENTRY + n];
        if (this.kWrite[p] === off + 1) this.kWrite[p] = 0;
        if (this.uWrite[p] === off + 1) this.uWrite[p] = 0;
      }
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

  /** The shadow slot matching `va` for `asid`, or -1 (the oldest shadow if several match). */
  probeShadows(va: number, asid: number): number {
    for (let i = TLB_ENTRIES; i < this.inUse; i++) {
      const mask = ~(this.pageMask[i] | 0x1fff);
      if (((this.entryHi[i] ^ va) & mask) === 0 && (this.global[i] !== 0 || (this.entryHi[i] & 0xff) === asid)) return i;
    }
    return -1;
  }

  /** Drop every shadow and the software-TLB pages they filled. */
  flushShadows(): void {
    while (this.inUse > TLB_ENTRIES) this.forgetPages(--this.inUse);
  }

  /**
   * TLBWR: the entry it replaces lives on as a hidden shadow while there is room, as on QEMU
   * (r4k_invalidate_tlb with use_extra). Linux refills with TLBWR and, with only 16 entries,
   * would otherwise refill every hundred-odd instructions of a busy process; a guest cannot tell,
   * because TLBP and TLBWI drop the shadows whenever they could disagree with the real entries.
   */
  writeRandom(i: number, hi: number, mask: number, lo0: number, lo1: number, asid: number): void {
    this.shadowOrForget(i, asid);
    this.write(i, hi, mask, lo0, lo1);
  }

  /**
   * TLBWI: any change other than granting more access to the same mapping drops the shadows
   * (QEMU's r4k_helper_tlbwi), since one of them may be the old copy of what is now changed.
   */
  writeIndexed(i: number, hi: number, mask: number, lo0: number, lo1: number): void {
    if (this.inUse > TLB_ENTRIES) {
      const vpn = hi & ~(mask | 0x1fff);
      const g = lo0 & lo1 & 1;
      const old0 = this.lo0[i];
      const old1 = this.lo1[i];
      if ((this.entryHi[i] & ~0xff) !== vpn || (this.entryHi[i] & 0xff) !== (hi & 0xff) || this.global[i] !== g ||
          losesAccess(old0, lo0) || losesAccess(old1, lo1)) {
        this.flushShadows();
      }
    }
    this.forgetPages(i);
    this.write(i, hi, mask, lo0, lo1);
  }

  /** TLBP missed the real entries: a shadow that would match shows they disagree; drop them all. */
  probeMissed(va: number, asid: number): void {
    if (this.inUse > TLB_ENTRIES && this.probeShadows(va, asid) >= 0) this.flushShadows();
  }

  private shadowOrForget(i: number, asid: number): void {
    // An entry of another address space has no software-TLB pages (an ASID change forgets them
    // all) and cannot be used before its ASID comes back; QEMU drops it, and so do we.
    if ((this.global[i] !== 0 || (this.entryHi[i] & 0xff) === asid) && this.inUse < TLB_SLOTS) {
      const k = this.inUse++;
      this.entryHi[k] = this.entryHi[i];
      this.pageMask[k] = this.pageMask[i];
      this.lo0[k] = this.lo0[i];
      this.lo1[k] = this.lo1[i];
      this.global[k] = this.global[i];
      // The software-TLB pages stay filled; they now belong to the shadow.
      const n = this.entryPageCount[i];
      this.entryPages.copyWithin(k * PAGES_PER_ENTRY, i * PAGES_PER_ENTRY, i * PAGES_PER_ENTRY + n);
      this.entryPageCount[k] = n;
      this.entryPageCount[i] = 0;
    } else {
      this.forgetPages(i);
    }
  }

  /** Set entry i directly (no shadow bookkeeping): the board reset and tests. */
  write(i: number, hi: number, mask: number, lo0: number, lo1: number): void {
    this.forgetPages(i);
    this.unindex(i);
    this.entryHi[i] = (hi & ~(mask | 0x1fff)) | (hi & 0xff);
    this.pageMask[i] = mask;
    this.global[i] = lo0 & lo1 & 1;
    this.lo0[i] = lo0 & ~1;
    this.lo1[i] = lo1 & ~1;
    this.index(i);
    if (mask === 0) {
      // The entry is written with the current ASID (EntryHi), so it is live now: give its two
      // pages to the fast path at once instead of after one more slow translation each.
      const vpn = (this.entryHi[i] >>> PAGE_SHIFT) & ~1;
      this.prefill(i, vpn, lo0);
      this.prefill(i, vpn | 1, lo1);
    }
  }

  private prefill(i: number, vpn: number, lo: number): void {
    if ((lo & 2) === 0 || (vpn >= 0x80000 && vpn < 0xc0000)) return;
    const off = this.phys.ramPage(((lo >>> 6) << PAGE_SHIFT) >>> 0);
    if (off >= 0) this.fill(i, vpn, off, (lo & 4) !== 0);
  }

  /**
   * Drop the software-TLB pages that entry i filled. Linux rewrites a TLB entry on every
   * refill, so forgetting only the replaced entry's pages, not every cached page, is what
   * keeps the fast path warm.
   */
  private forgetPages(i: number): void {
    const base = i * PAGES_PER_ENTRY;
    for (let n = 0, c = this.entryPageCount[i]; n < c; n++) {
      const p = this.entryPages[base + n];
      this.kRead[p] = 0;
      this.kWrite[p] = 0;
      this.uRead[p] = 0;
      this.uWrite[p] = 0;
    }
    this.entryPageCount[i] = 0;
  }

  private index(i: number): void {
    if (this.pageMask[i] === 0) this.bucket[(this.entryHi[i] >>> 13) & (BUCKETS - 1)] |= 1 << i;
    else this.bigPages |= 1 << i;
  }

  private unindex(i: number): void {
    if (this.pageMask[i] === 0) this.bucket[(this.entryHi[i] >>> 13) & (BUCKETS - 1)] &= ~(1 << i);
    else this.bigPages &= ~(1 << i);
  }
}
