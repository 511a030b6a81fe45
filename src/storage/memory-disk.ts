import { SECTOR_SIZE } from './block-device';
import { SyncBlockDevice, assertRequest } from './sync-disk';

/** Sectors per chunk: 64 KiB, small enough that a sparse image stays small, big enough to be cheap. */
const CHUNK_SECTORS = 128;
const CHUNK_BYTES = CHUNK_SECTORS * SECTOR_SIZE;

/**
 * A disk held in memory. It starts as all zeros and only the chunks that have been written take
 * memory, so a 512 MiB image with a few files in it costs a few MiB. The size is fixed.
 */
export class MemoryDisk extends SyncBlockDevice {
  readonly sectors: number;
  readonly readOnly: boolean;
  private readonly chunks: (Uint8Array | undefined)[];

  constructor(sectors: number, opts: { readOnly?: boolean } = {}) {
    super();
    if (!Number.isSafeInteger(sectors) || sectors < 0) throw new RangeError(`bad disk size: ${sectors} sectors`);
    this.sectors = sectors;
    this.readOnly = !!opts.readOnly;
    this.chunks = new Array(Math.ceil(sectors / CHUNK_SECTORS));
  }

  /** A disk holding a copy of `bytes` (its length rounded up to whole sectors, the rest zero). */
  static fromBytes(bytes: Uint8Array, opts: { readOnly?: boolean } = {}): MemoryDisk {
    const disk = new MemoryDisk(Math.ceil(bytes.length / SECTOR_SIZE), opts);
    disk.store(0, bytes);
    return disk;
  }

  /** The whole disk as one array (zeros where nothing was written). */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.sectors * SECTOR_SIZE);
    this.chunks.forEach((chunk, i) => {
      if (chunk) out.set(chunk.subarray(0, out.length - i * CHUNK_BYTES), i * CHUNK_BYTES);
    });
    return out;
  }

  /** Bytes of memory the written chunks take. */
  get allocatedBytes(): number {
    return this.chunks.reduce((n, c) => n + (c ? c.length : 0), 0);
  }

  readSync(lba: number, count: number, into: Uint8Array): void {
    assertRequest(this, lba, count, into);
    let pos = lba * SECTOR_SIZE;
    const end = pos + count * SECTOR_SIZE;
    let out = 0;
    while (pos < end) {
      const index = Math.floor(pos / CHUNK_BYTES);
      const offset = pos - index * CHUNK_BYTES;
      const n = Math.min(CHUNK_BYTES - offset, end - pos);
      const chunk = this.chunks[index];
      if (chunk) into.set(chunk.subarray(offset, offset + n), out);
      else into.fill(0, out, out + n);
      pos += n;
      out += n;
    }
  }

  writeSync(lba: number, count: number, from: Uint8Array): void {
    if (this.readOnly) throw new Error('disk is read-only');
    assertRequest(this, lba, count, from);
    this.store(lba * SECTOR_SIZE, from.subarray(0, count * SECTOR_SIZE));
  }

  private store(pos: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) {
      const index = Math.floor(pos / CHUNK_BYTES);
      const offset = pos - index * CHUNK_BYTES;
      const n = Math.min(CHUNK_BYTES - offset, data.length - done);
      const part = data.subarray(done, done + n);
      let chunk = this.chunks[index];
      // Zeros written where nothing is stored change nothing, so they take no memory.
      if (!chunk && !isZero(part)) chunk = this.chunks[index] = new Uint8Array(CHUNK_BYTES);
      if (chunk) chunk.set(part, offset);
      pos += n;
      done += n;
    }
  }
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
