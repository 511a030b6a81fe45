import type { BlockDevice, IoDone } from '../storage/block-device';
import { CowOverlay } from '../storage/cow-overlay';
import { type BootCheckReport, FatError, ROOTFS_NAMES, checkBootImage, checkFat } from '../storage/fat';
import { FileDisk } from '../storage/node/file-disk';
import type { SyncDisk } from '../storage/sync-disk';
import { UsageError } from './args';

/** A disk image file opened for the machine: a BlockDevice the IDE model can use, also synchronous. */
export interface DiskImage extends BlockDevice, SyncDisk {
  readonly path: string;
  /** Closes the host file (after the machine is done with the disk). */
  close(): void;
}

export interface OpenDiskOptions {
  /** Like QEMU's snapshot=on: guest writes stay in memory and the file is never written. */
  snapshot?: boolean;
  /** The guest sees a disk that refuses writes; the file is opened read-only. */
  readOnly?: boolean;
}

/** A host error as a short reason ("no such file or directory"). */
export function hostReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTFILE':
      return 'not a regular file';
    case 'EEXIST':
      return 'already exists';
    case 'ENOSPC':
      return 'no space left on the host disk';
    case 'EROFS':
      return 'the host file system is read-only';
    default:
      return (err?.message ?? String(e)).split('\n')[0];
  }
}

/**
 * Opens a raw disk image file for `--hda`/`--hdb`. With `snapshot`, the file is opened read-only
 * and a copy-on-write overlay takes the guest's writes. Throws UsageError (one line) when the
 * file cannot be used.
 */
export function openDiskImage(path: string, opts: OpenDiskOptions = {}): DiskImage {
  let file: FileDisk;
  try {
    file = FileDisk.open(path, { readOnly: !!(opts.snapshot || opts.readOnly) });
  } catch (e) {
    throw new UsageError(`cannot open disk image '${path}': ${hostReason(e)}`);
  }
  if (file.sectors === 0) {
    file.close();
    throw new UsageError(`disk image '${path}' is smaller than one 512-byte sector`);
  }
  if (!opts.snapshot) return file;
  return new SnapshotImage(path, file);
}

/** A file under a copy-on-write overlay. */
class SnapshotImage implements DiskImage {
  private readonly overlay: CowOverlay;
  readonly sectors: number;
  readonly readOnly: boolean;

  constructor(
    readonly path: string,
    private readonly file: FileDisk,
  ) {
    this.overlay = new CowOverlay(file);
    this.sectors = file.sectors;
    this.readOnly = false;
  }

  read(lba: number, count: number, into: Uint8Array, done: IoDone): void {
    this.overlay.read(lba, count, into, done);
  }
  write(lba: number, count: number, from: Uint8Array, done: IoDone): void {
    this.overlay.write(lba, count, from, done);
  }
  flush(done: IoDone): void {
    this.overlay.flush(done);
  }
  readSync(lba: number, count: number, into: Uint8Array): void {
    this.overlay.readSync(lba, count, into);
  }
  writeSync(lba: number, count: number, from: Uint8Array): void {
    this.overlay.writeSync(lba, count, from);
  }
  close(): void {
    this.file.close();
  }
}

/**
 * Checks a disk before booting from it. `boot: true` (the `--hda` disk of an OpenDingux-style
 * boot) needs a sound FAT with a squashfs `rootfs.bin` (or `rootfs.squashfs`) in its root;
 * `boot: false` (a second disk) needs only a sound FAT. Throws UsageError with the first
 * problem, as one line; returns the report (warnings, what was found) otherwise.
 */
export function checkDiskImage(
  disk: SyncDisk,
  path: string,
  opts: { boot: boolean; rootfsNames?: string[] } = { boot: true },
): BootCheckReport {
  let report: BootCheckReport;
  try {
    report = opts.boot ? checkBootImage(disk, opts.rootfsNames ?? ROOTFS_NAMES) : checkFat(disk);
  } catch (e) {
    if (e instanceof FatError) throw new UsageError(`disk image '${path}': ${e.message}`);
    throw new UsageError(`disk image '${path}': cannot be read: ${hostReason(e)}`);
  }
  if (report.errors.length) {
    const more = report.errors.length > 1 ? ` (and ${report.errors.length - 1} more problems; see odtab disk check)` : '';
    throw new UsageError(`disk image '${path}': ${report.errors[0]}${more}`);
  }
  return report;
}
