import { statSync } from 'node:fs';
import { SECTOR_SIZE } from '../storage/block-device';
import { FatError, ROOTFS_NAMES, parseBootSector } from '../storage/fat';
import type { SyncDisk } from '../storage/sync-disk';
import { UsageError } from './args';
import { type DiskImage, checkDiskImage, openDiskImage } from './disk-image';

/**
 * The OpenDingux-style kernel carries its command line built in (CONFIG_CMDLINE), with the
 * rootfs on a loop device over a file of the boot disk; finding this text in the kernel image
 * tells us the boot will look for that file.
 */
const BUILTIN_LOOP_MARK = 'loop0=/boot/';

/** The built-in command line of a kernel image: the NUL-terminated string holding `loop0=/boot/`. */
export function builtinCommandLine(kernel: Uint8Array): string | undefined {
  const at = Buffer.from(kernel.buffer, kernel.byteOffset, kernel.length).indexOf(BUILTIN_LOOP_MARK, 0, 'latin1');
  if (at < 0) return undefined;
  let start = at;
  while (start > 0 && kernel[start - 1] !== 0 && at - start < 4096) start--;
  let end = at;
  while (end < kernel.length && kernel[end] !== 0 && end - at < 4096) end++;
  return Buffer.from(kernel.subarray(start, end)).toString('latin1');
}

export interface BootDiskNeeds {
  /** The boot mounts --hda and loop-mounts a rootfs file from it. */
  rootfs: boolean;
  /** Names the rootfs may have in the root of the disk, as checkDiskImage takes them. */
  rootfsNames: string[];
}

/**
 * Will this boot look for a rootfs on --hda? Yes for the built-in guest, and when the command
 * line the kernel ends up with (ours, then its built-in one, as CONFIG_CMDLINE_BOOL without
 * OVERRIDE joins them) has `boot=` or `loopN=`. mininit takes the first `loopN=`; a file under
 * /boot/ is the rootfs we look for.
 */
export function bootDiskNeeds(opts: { builtinGuest: boolean; append: string; kernel: Uint8Array }): BootDiskNeeds {
  const builtin = builtinCommandLine(opts.kernel);
  const params = `${opts.append} ${builtin ?? ''}`.split(/\s+/).filter(Boolean);
  const ours = opts.append.split(/\s+/).filter(Boolean);
  const rootfs =
    opts.builtinGuest || builtin !== undefined || ours.some((p) => p.startsWith('boot=') || /^loop\d=/.test(p));
  const loop = params.find((p) => /^loop\d=/.test(p));
  const file = loop?.slice(6);
  const rootfsNames = file?.startsWith('/boot/') && file.length > 6 ? [file.slice(6)] : ROOTFS_NAMES;
  return { rootfs, rootfsNames };
}

/** Whether sector 0 holds a FAT boot sector (a damaged FAT behind it still counts as FAT). */
export function looksLikeFat(disk: SyncDisk): boolean {
  const sector = new Uint8Array(SECTOR_SIZE);
  disk.readSync(0, 1, sector);
  try {
    parseBootSector(sector, disk.sectors * SECTOR_SIZE);
    return true;
  } catch (e) {
    if (e instanceof FatError && e.code === 'EFORMAT') return false;
    if (e instanceof FatError) return true;
    throw e;
  }
}

export interface BootDisks {
  hda?: DiskImage;
  hdb?: DiskImage;
}

/**
 * Opens and checks --hda/--hdb before the machine exists, so a disk the boot cannot use stops
 * us with one line (UsageError) before the guest could write anything. On error every file
 * already opened is closed again.
 */
export function openBootDisks(
  paths: { hda?: string; hdb?: string; snapshot: boolean },
  needs: BootDiskNeeds,
  note: (line: string) => void,
): BootDisks {
  const disks: BootDisks = {};
  // Notes wait until every disk passed, so a refused boot says one thing only.
  const notes: string[] = [];
  const later = (line: string) => notes.push(line);
  try {
    if (paths.hda !== undefined && paths.hdb !== undefined && !paths.snapshot && sameFile(paths.hda, paths.hdb)) {
      throw new UsageError(`--hda and --hdb are the same file '${paths.hdb}': one image cannot be two disks (unless --snapshot)`);
    }
    if (paths.hda !== undefined) {
      const hda = (disks.hda = open(paths.hda, paths.snapshot));
      if (needs.rootfs) {
        warn(checkDiskImage(hda, paths.hda, { boot: true, rootfsNames: needs.rootfsNames }), paths.hda, later);
      } else {
        checkIfFat(hda, paths.hda, later);
      }
    }
    if (paths.hdb !== undefined) {
      checkIfFat((disks.hdb = open(paths.hdb, paths.snapshot)), paths.hdb, later);
    }
  } catch (e) {
    closeBootDisks(disks);
    throw e;
  }
  for (const line of notes) note(line);
  return disks;
}

export function closeBootDisks(disks: BootDisks): void {
  disks.hda?.close();
  disks.hdb?.close();
}

function open(path: string, snapshot: boolean): DiskImage {
  // Read-only opens of a directory succeed on Linux; say what it is whichever way it is opened.
  if (isDirectory(path)) throw new UsageError(`cannot open disk image '${path}': is a directory`);
  try {
    return openDiskImage(path, { snapshot });
  } catch (e) {
    // A file we may read but not write can still be booted without changing it.
    if (e instanceof UsageError && !snapshot && /permission denied|read-only/.test(e.message)) {
      throw new UsageError(`${e.message} (--snapshot boots it without writing to it)`);
    }
    throw e;
  }
}

/** A FAT disk must be sound (the guest would mount it); anything else is the user's raw disk. */
function checkIfFat(disk: DiskImage, path: string, note: (line: string) => void): void {
  let fat: boolean;
  try {
    fat = looksLikeFat(disk);
  } catch (e) {
    throw new UsageError(`disk image '${path}': cannot be read: ${(e as Error).message.split('\n')[0]}`);
  }
  if (fat) warn(checkDiskImage(disk, path, { boot: false }), path, note);
  else note(`disk image '${path}' holds no FAT file system; attached as a raw disk`);
}

function warn(report: { warnings: string[] }, path: string, note: (line: string) => void): void {
  const n = report.warnings.length;
  if (n) note(`disk image '${path}': ${report.warnings[0]}${n > 1 ? ` (and ${n - 1} more warnings; see odtab disk check)` : ''}`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false; // the open that follows reports the missing file
  }
}
