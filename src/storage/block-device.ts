/**
 * A disk as the machine sees it: a run of 512-byte sectors. The same interface sits in front of a
 * Node file, memory, a copy-on-write overlay, IndexedDB chunks in the browser or an HTTP-backed
 * image, so requests may complete at once (inside the call) or later; callers never assume either.
 * No DOM and no Node APIs here: implementations that need them live with their host.
 */
export const SECTOR_SIZE = 512;

/** Called once when a request finishes: no argument on success, the reason on failure. */
export type IoDone = (error?: Error) => void;

export interface BlockDevice {
  /** Size in sectors (fixed for the life of the device). */
  readonly sectors: number;
  /** Writes are refused (the guest sees a write-protected or failing disk). */
  readonly readOnly: boolean;
  /** Copy `count` sectors from `lba` into `into` (at least count * 512 bytes). */
  read(lba: number, count: number, into: Uint8Array, done: IoDone): void;
  /** Store `count` sectors from `from` at `lba`. */
  write(lba: number, count: number, from: Uint8Array, done: IoDone): void;
  /** Make every finished write durable (FLUSH CACHE, power-off). */
  flush(done: IoDone): void;
}

/** A request outside the device: the IDE model turns it into an ATA error, never a crash. */
export function checkRange(dev: BlockDevice, lba: number, count: number): Error | undefined {
  if (!Number.isInteger(lba) || !Number.isInteger(count) || lba < 0 || count < 0 || lba + count > dev.sectors) {
    return new RangeError(`sectors ${lba}..${lba + count - 1} are outside the disk (${dev.sectors} sectors)`);
  }
  return undefined;
}
