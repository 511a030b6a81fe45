import { type BlockDevice, type IoDone, SECTOR_SIZE, checkRange } from '../../src/storage/block-device';

/**
 * Block devices for the IDE tests: a plain in-memory disk that answers inside the call, and one
 * whose answers are held until the test releases them (a slow backend). The product's own memory
 * disk comes from src/storage; these only have to honour the BlockDevice contract.
 */
export class MemoryDisk implements BlockDevice {
  readonly sectors: number;
  readonly bytes: Uint8Array;
  reads = 0;
  writes = 0;
  flushes = 0;
  /** Requests fail with this error while it is set (a broken backend). */
  failWith: Error | null = null;
  /** Every request, in order, for tests that care what reached the disk. */
  readonly log: string[] = [];

  constructor(
    sizeOrImage: number | Uint8Array,
    readonly readOnly = false,
  ) {
    this.bytes = typeof sizeOrImage === 'number' ? new Uint8Array(sizeOrImage * SECTOR_SIZE) : sizeOrImage;
    this.sectors = Math.floor(this.bytes.length / SECTOR_SIZE);
  }

  read(lba: number, count: number, into: Uint8Array, done: IoDone): void {
    this.reads++;
    this.log.push(`r${lba}+${count}`);
    const err = this.failWith ?? checkRange(this, lba, count);
    if (err) return done(err);
    into.set(this.bytes.subarray(lba * SECTOR_SIZE, (lba + count) * SECTOR_SIZE));
    done();
  }

  write(lba: number, count: number, from: Uint8Array, done: IoDone): void {
    this.writes++;
    this.log.push(`w${lba}+${count}`);
    const err = this.failWith ?? checkRange(this, lba, count) ?? (this.readOnly ? new Error('read-only') : undefined);
    if (err) return done(err);
    this.bytes.set(from.subarray(0, count * SECTOR_SIZE), lba * SECTOR_SIZE);
    done();
  }

  flush(done: IoDone): void {
    this.flushes++;
    this.log.push('f');
    done(this.failWith ?? undefined);
  }
}

/**
 * A disk whose requests complete only when the test calls `release()`: the data moves then, so a
 * drive that looked at its buffer early would see stale bytes.
 */
export class DeferredDisk implements BlockDevice {
  private readonly queue: (() => void)[] = [];

  constructor(readonly inner: MemoryDisk) {}

  get sectors(): number {
    return this.inner.sectors;
  }
  get readOnly(): boolean {
    return this.inner.readOnly;
  }
  get pending(): number {
    return this.queue.length;
  }

  read(lba: number, count: number, into: Uint8Array, done: IoDone): void {
    this.queue.push(() => this.inner.read(lba, count, into, done));
  }
  write(lba: number, count: number, from: Uint8Array, done: IoDone): void {
    this.queue.push(() => this.inner.write(lba, count, from, done));
  }
  flush(done: IoDone): void {
    this.queue.push(() => this.inner.flush(done));
  }

  /** Complete the oldest `n` outstanding requests (all by default). */
  release(n = Infinity): void {
    for (let i = 0; i < n && this.queue.length > 0; i++) this.queue.shift()!();
  }
}

/** Deterministic test pattern: sector `lba` of a disk filled by `fillPattern` starts with its number. */
export function fillPattern(bytes: Uint8Array, seed = 1): void {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes.length; i++) {
    if (i % SECTOR_SIZE === 0) {
      const s = i / SECTOR_SIZE;
      bytes[i] = s & 0xff;
      bytes[i + 1] = (s >>> 8) & 0xff;
      bytes[i + 2] = (s >>> 16) & 0xff;
      bytes[i + 3] = (s >>> 24) & 0xff;
      i += 3;
      continue;
    }
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
}
