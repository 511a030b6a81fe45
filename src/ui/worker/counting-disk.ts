import type { BlockDevice, IoDone } from '../../storage/block-device';

/** A disk seen through a counter of the sectors moved, for the status bar's disk activity light. */
export class CountingDisk implements BlockDevice {
  reads = 0;
  writes = 0;
  constructor(private readonly inner: BlockDevice) {}
  get sectors(): number {
    return this.inner.sectors;
  }
  get readOnly(): boolean {
    return this.inner.readOnly;
  }
  read(lba: number, count: number, into: Uint8Array, done: IoDone): void {
    this.reads += count;
    this.inner.read(lba, count, into, done);
  }
  write(lba: number, count: number, from: Uint8Array, done: IoDone): void {
    this.writes += count;
    this.inner.write(lba, count, from, done);
  }
  flush(done: IoDone): void {
    this.inner.flush(done);
  }
}
