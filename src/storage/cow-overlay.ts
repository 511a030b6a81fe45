import { type BlockDevice, type IoDone, SECTOR_SIZE, checkRange } from './block-device';
import { type SyncDisk, assertRequest, isSyncDisk } from './sync-disk';

const CHUNK_SECTORS = 128;
const CHUNK_BYTES = CHUNK_SECTORS * SECTOR_SIZE;

interface Chunk {
  data: Uint8Array;
  /** 1 where the sector has been written through the overlay. */
  present: Uint8Array;
}

/**
 * Copy-on-write over another disk, like QEMU's snapshot=on: writes stay in memory and reads see
 * them; sectors never written are read from the base, which is never written. The base may be
 * read-only. When the base also works synchronously, so does the overlay (the FAT library can
 * then run on a snapshot).
 */
export class CowOverlay implements BlockDevice, SyncDisk {
  readonly sectors: number;
  readonly readOnly = false;
  private readonly chunks = new Map<number, Chunk>();

  constructor(private readonly base: BlockDevice) {
    this.sectors = base.sectors;
  }

  /** Number of sectors that differ from the base (were written). */
  get writtenSectors(): number {
    let n = 0;
    for (const c of this.chunks.values()) for (const p of c.present) n += p;
    return n;
  }

  read(lba: number, count: number, into: Uint8Array, done: IoDone): void {
    const bad = this.checkRequest(lba, count, into);
    if (bad) return done(bad);
    // Copy what the overlay holds now, then fetch each run of untouched sectors from the base.
    let pending = 1;
    let failure: Error | undefined;
    const finish = (error?: Error) => {
      if (error && !failure) failure = error;
      if (--pending === 0) done(failure);
    };
    this.forEachRun(lba, count, into, (runLba, runCount, offset) => {
      pending++;
      this.base.read(runLba, runCount, into.subarray(offset, offset + runCount * SECTOR_SIZE), finish);
    });
    finish();
  }

  write(lba: number, count: number, from: Uint8Array, done: IoDone): void {
    const bad = this.checkRequest(lba, count, from);
    if (bad) return done(bad);
    this.store(lba, count, from);
    done();
  }

  /** Nothing to make durable: the overlay is thrown away with the machine. */
  flush(done: IoDone): void {
    done();
  }

  readSync(lba: number, count: number, into: Uint8Array): void {
    assertRequest(this, lba, count, into);
    const base = this.base;
    if (!isSyncDisk(base)) throw new Error('the disk under this overlay cannot be read synchronously');
    this.forEachRun(lba, count, into, (runLba, runCount, offset) => {
      base.readSync(runLba, runCount, into.subarray(offset, offset + runCount * SECTOR_SIZE));
    });
  }

  writeSync(lba: number, count: number, from: Uint8Array): void {
    assertRequest(this, lba, count, from);
    this.store(lba, count, from);
  }

  private checkRequest(lba: number, count: number, buf: Uint8Array): Error | undefined {
    const outside = checkRange(this, lba, count);
    if (outside) return outside;
    if (buf.length < count * SECTOR_SIZE) return new RangeError(`buffer too small for ${count} sectors`);
    return undefined;
  }

  private store(lba: number, count: number, from: Uint8Array): void {
    for (let i = 0; i < count; i++) {
      const sector = lba + i;
      const index = Math.floor(sector / CHUNK_SECTORS);
      let chunk = this.chunks.get(index);
      if (!chunk) {
        chunk = { data: new Uint8Array(CHUNK_BYTES), present: new Uint8Array(CHUNK_SECTORS) };
        this.chunks.set(index, chunk);
      }
      const slot = sector - index * CHUNK_SECTORS;
      chunk.data.set(from.subarray(i * SECTOR_SIZE, (i + 1) * SECTOR_SIZE), slot * SECTOR_SIZE);
      chunk.present[slot] = 1;
    }
  }

  /** Copies overlay sectors into `into` and calls `fromBase` for each run of sectors it lacks. */
  private forEachRun(
    lba: number,
    count: number,
    into: Uint8Array,
    fromBase: (lba: number, count: number, offset: number) => void,
  ): void {
    let runStart = -1;
    for (let i = 0; i < count; i++) {
      const sector = lba + i;
      const index = Math.floor(sector / CHUNK_SECTORS);
      const chunk = this.chunks.get(index);
      const slot = sector - index * CHUNK_SECTORS;
      if (chunk && chunk.present[slot]) {
        if (runStart >= 0) {
          fromBase(lba + runStart, i - runStart, runStart * SECTOR_SIZE);
          runStart = -1;
        }
        into.set(chunk.data.subarray(slot * SECTOR_SIZE, (slot + 1) * SECTOR_SIZE), i * SECTOR_SIZE);
      } else if (runStart < 0) {
        runStart = i;
      }
    }
    if (runStart >= 0) fromBase(lba + runStart, count - runStart, runStart * SECTOR_SIZE);
  }
}
