import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { SECTOR_SIZE } from '../block-device';
import { SyncBlockDevice, assertRequest } from '../sync-disk';

/**
 * A raw disk image in a host file (Node only). Requests complete inside the call with positioned
 * reads and writes, as QEMU's raw format does; the size is the file's, rounded down to whole
 * sectors. Opened read-only, writes are refused and the file is never opened for writing.
 */
export class FileDisk extends SyncBlockDevice {
  readonly sectors: number;
  readonly readOnly: boolean;
  private fd: number | undefined;

  private constructor(fd: number, readOnly: boolean, readonly path: string) {
    super();
    this.fd = fd;
    this.readOnly = readOnly;
    this.sectors = Math.floor(fstatSync(fd).size / SECTOR_SIZE);
  }

  /** Opens an existing image. Throws Node's error (ENOENT, EACCES, EISDIR...) as is. */
  static open(path: string, opts: { readOnly?: boolean } = {}): FileDisk {
    const readOnly = !!opts.readOnly;
    const fd = openSync(path, readOnly ? 'r' : 'r+');
    try {
      if (!fstatSync(fd).isFile()) throw Object.assign(new Error(`'${path}' is not a regular file`), { code: 'ENOTFILE' });
      return new FileDisk(fd, readOnly, path);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /**
   * Creates a new image of `bytes` (a whole number of sectors), sparse and reading as zeros.
   * Refuses to replace an existing file unless `overwrite`.
   */
  static create(path: string, bytes: number, opts: { overwrite?: boolean } = {}): FileDisk {
    if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % SECTOR_SIZE !== 0) {
      throw new RangeError(`disk size must be a positive multiple of ${SECTOR_SIZE} bytes`);
    }
    const fd = openSync(path, opts.overwrite ? 'w+' : 'wx+');
    try {
      ftruncateSync(fd, bytes);
      return new FileDisk(fd, false, path);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  readSync(lba: number, count: number, into: Uint8Array): void {
    assertRequest(this, lba, count, into);
    const fd = this.handle();
    const length = count * SECTOR_SIZE;
    let done = 0;
    while (done < length) {
      const n = readSync(fd, into, done, length - done, lba * SECTOR_SIZE + done);
      if (n === 0) {
        // The file shrank under us: what is gone reads as zeros, as a sparse hole would.
        into.fill(0, done, length);
        return;
      }
      done += n;
    }
  }

  writeSync(lba: number, count: number, from: Uint8Array): void {
    if (this.readOnly) throw new Error(`disk image '${this.path}' is open read-only`);
    assertRequest(this, lba, count, from);
    const fd = this.handle();
    const length = count * SECTOR_SIZE;
    let done = 0;
    while (done < length) done += writeSync(fd, from, done, length - done, lba * SECTOR_SIZE + done);
  }

  override flushSync(): void {
    if (!this.readOnly) fsyncSync(this.handle());
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    closeSync(fd);
  }

  private handle(): number {
    if (this.fd === undefined) throw new Error(`disk image '${this.path}' is closed`);
    return this.fd;
  }
}
