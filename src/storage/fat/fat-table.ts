import type { FatGeometry } from './boot-sector';
import { FatError } from './errors';

/** What a FAT entry says about its cluster. */
export const FREE = 0;

/**
 * The file allocation table, held in memory. Changes are collected and written sector by sector to
 * every FAT copy by flush(), so a caller can write a file's data first and its chain after, and
 * can drop changes that never reached the disk (rollback()).
 */
export class FatTable {
  readonly bits: 12 | 16 | 32;
  /** Entries at or above this end a chain. */
  readonly eoc: number;
  /** The entry value of a bad cluster. */
  readonly badMark: number;
  private readonly bytes: Uint8Array;
  private readonly dirty = new Set<number>();
  private freeCount = -1;
  /** Where the next search for a free cluster starts (the last one handed out, as Linux keeps it). */
  lastAllocated: number;

  constructor(
    private readonly g: FatGeometry,
    /** Reads the table whole (from the copy in use). */
    load: () => Uint8Array,
    /** Writes one sector of the table, at table sector `sector`, to every copy in use. */
    private readonly store: (sector: number, data: Uint8Array) => void,
    /** Reads table sector `sector` back (for rollback). */
    private readonly reload: (sector: number) => Uint8Array,
  ) {
    this.bits = g.fatBits;
    this.eoc = g.fatBits === 12 ? 0xff8 : g.fatBits === 16 ? 0xfff8 : 0x0ffffff8;
    this.badMark = this.eoc - 1;
    this.bytes = load();
    this.lastAllocated = 1;
  }

  get(cluster: number): number {
    const b = this.bytes;
    switch (this.bits) {
      case 12: {
        const o = cluster + (cluster >> 1);
        const v = b[o] | (b[o + 1] << 8);
        return cluster & 1 ? v >> 4 : v & 0xfff;
      }
      case 16:
        return b[cluster * 2] | (b[cluster * 2 + 1] << 8);
      default: {
        const o = cluster * 4;
        return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | ((b[o + 3] & 0x0f) << 24)) >>> 0;
      }
    }
  }

  set(cluster: number, value: number): void {
    if (cluster < 2 || cluster > this.g.maxCluster) throw new RangeError(`cluster ${cluster} is outside the FAT`);
    const before = this.get(cluster);
    if (this.freeCount >= 0) this.freeCount += (value === FREE ? 1 : 0) - (before === FREE ? 1 : 0);
    const b = this.bytes;
    let o: number;
    let span = 2;
    switch (this.bits) {
      case 12: {
        o = cluster + (cluster >> 1);
        if (cluster & 1) {
          b[o] = (b[o] & 0x0f) | ((value & 0x0f) << 4);
          b[o + 1] = (value >> 4) & 0xff;
        } else {
          b[o] = value & 0xff;
          b[o + 1] = (b[o + 1] & 0xf0) | ((value >> 8) & 0x0f);
        }
        break;
      }
      case 16:
        o = cluster * 2;
        b[o] = value & 0xff;
        b[o + 1] = (value >> 8) & 0xff;
        break;
      default:
        // The top four bits of a FAT32 entry are reserved and kept as found.
        o = cluster * 4;
        span = 4;
        b[o] = value & 0xff;
        b[o + 1] = (value >>> 8) & 0xff;
        b[o + 2] = (value >>> 16) & 0xff;
        b[o + 3] = (b[o + 3] & 0xf0) | ((value >>> 24) & 0x0f);
    }
    const bps = this.g.bytesPerSector;
    this.dirty.add(Math.floor(o / bps));
    this.dirty.add(Math.floor((o + span - 1) / bps));
  }

  isEnd(value: number): boolean {
    return value >= this.eoc;
  }

  /** The value that ends a chain. */
  get endMark(): number {
    return this.bits === 12 ? 0xfff : this.bits === 16 ? 0xffff : 0x0fffffff;
  }

  /** Number of free clusters (counted once, then kept up to date). */
  get free(): number {
    if (this.freeCount < 0) {
      let n = 0;
      for (let c = 2; c <= this.g.maxCluster; c++) if (this.get(c) === FREE) n++;
      this.freeCount = n;
    }
    return this.freeCount;
  }

  /**
   * The clusters of the chain that starts at `first`, checked: every link stays inside the volume,
   * never reaches a free or bad cluster, and never loops. Throws ECORRUPT naming `what`.
   */
  chain(first: number, what: string): number[] {
    const out: number[] = [];
    if (first === 0) return out;
    let c = first;
    for (;;) {
      if (c < 2 || c > this.g.maxCluster) {
        throw new FatError('ECORRUPT', `${what}: cluster chain points outside the volume (cluster ${c})`);
      }
      if (out.length > this.g.clusterCount) throw new FatError('ECORRUPT', `${what}: cluster chain loops`);
      out.push(c);
      const next = this.get(c);
      if (this.isEnd(next)) return out;
      if (next === FREE) throw new FatError('ECORRUPT', `${what}: cluster chain runs into a free cluster (${c})`);
      if (next === this.badMark) throw new FatError('ECORRUPT', `${what}: cluster chain runs into a bad cluster (${c})`);
      c = next;
    }
  }

  /**
   * Takes `count` free clusters (searching on from the last one handed out) and links them into
   * one chain; nothing reaches the disk until flush(). Throws ENOSPC without changing anything.
   */
  allocate(count: number): number[] {
    if (count === 0) return [];
    if (count > this.free) {
      throw new FatError('ENOSPC', `not enough free space (${count} clusters needed, ${this.free} free)`);
    }
    const out: number[] = [];
    const max = this.g.maxCluster;
    let c = this.lastAllocated;
    for (let scanned = 0; out.length < count && scanned < max; scanned++) {
      c = c >= max ? 2 : c + 1;
      if (this.get(c) === FREE) out.push(c);
    }
    if (out.length < count) throw new FatError('ECORRUPT', 'free cluster count does not match the FAT');
    for (let i = 0; i < out.length; i++) this.set(out[i], i + 1 < out.length ? out[i + 1] : this.endMark);
    this.lastAllocated = out[out.length - 1];
    return out;
  }

  /** Marks every cluster of a (checked) chain free. */
  release(clusters: readonly number[]): void {
    for (const c of clusters) this.set(c, FREE);
  }

  /** Writes the changed sectors to the disk. */
  flush(): void {
    const bps = this.g.bytesPerSector;
    for (const s of [...this.dirty].sort((a, b) => a - b)) {
      this.store(s, this.bytes.subarray(s * bps, (s + 1) * bps));
    }
    this.dirty.clear();
  }

  /** Forgets changes not yet flushed (after a failed write), reading those sectors back. */
  rollback(): void {
    const bps = this.g.bytesPerSector;
    for (const s of this.dirty) this.bytes.set(this.reload(s), s * bps);
    this.dirty.clear();
    this.freeCount = -1;
  }
}
