import { type BlockDevice, type IoDone, SECTOR_SIZE, checkRange } from './block-device';

/**
 * A disk whose sectors can be read and written inside the call. The FAT library works on this:
 * it runs in the CLI on a file and in the browser on an image held in memory chunks, and a
 * synchronous interface keeps its code straight-line. Errors are thrown.
 */
export interface SyncDisk {
  /** Size in 512-byte sectors. */
  readonly sectors: number;
  /** Writes throw. */
  readonly readOnly: boolean;
  /** Copy `count` sectors from `lba` into `into` (at least count * 512 bytes). */
  readSync(lba: number, count: number, into: Uint8Array): void;
  /** Store `count` sectors from `from` at `lba`. */
  writeSync(lba: number, count: number, from: Uint8Array): void;
}

export function isSyncDisk(dev: unknown): dev is SyncDisk {
  const d = dev as Partial<SyncDisk> | null;
  return !!d && typeof d.readSync === 'function' && typeof d.writeSync === 'function';
}

/** Throws the reason a request does not fit the disk or its buffer (shared by the sync backends). */
export function assertRequest(dev: { sectors: number }, lba: number, count: number, buf: Uint8Array): void {
  const outside = checkRange(dev as BlockDevice, lba, count);
  if (outside) throw outside;
  if (buf.length < count * SECTOR_SIZE) {
    throw new RangeError(`buffer of ${buf.length} bytes is too small for ${count} sectors`);
  }
}

/**
 * The BlockDevice side of a backend whose work completes inside the call: each request runs the
 * synchronous operation and reports through `done` before returning. Exceptions become errors
 * passed to `done`, so a bad guest request never unwinds into the machine.
 */
export abstract class SyncBlockDevice implements BlockDevice, SyncDisk {
  abstract readonly sectors: number;
  abstract readonly readOnly: boolean;
  abstract readSync(lba: number, count: number, into: Uint8Array): void;
  abstract writeSync(lba: number, count: number, from: Uint8Array): void;
  /** Make finished writes durable; memory needs nothing. */
  flushSync(): void {}

  read(lba: number, count: number, into: Uint8Array, done: IoDone): void {
    done(attempt(() => this.readSync(lba, count, into)));
  }

  write(lba: number, count: number, from: Uint8Array, done: IoDone): void {
    done(attempt(() => this.writeSync(lba, count, from)));
  }

  flush(done: IoDone): void {
    done(attempt(() => this.flushSync()));
  }
}

function attempt(op: () => void): Error | undefined {
  try {
    op();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}
