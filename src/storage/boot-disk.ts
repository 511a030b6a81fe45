import { SECTOR_SIZE } from './block-device';
import { FatError, FatVolume } from './fat';
import { MemoryDisk } from './memory-disk';
import type { SyncDisk } from './sync-disk';

/**
 * The boot disk of an OpenDingux-style guest, composed from its parts: whole-disk FAT (no
 * partition table, as mkfs.vfat and `odtab disk create` make it) holding the root file system
 * (`rootfs.bin`, squashfs, loop-mounted by init) and `local/` (the guest's /usr/local, root's
 * home and its boot scripts). The built-in guest ships these parts rather than a 64 MiB image;
 * the CLI and the web app put them together at run time. No Node APIs: the caller reads the files.
 */

/** Size of a composed disk unless told otherwise: room for apps and saves, FAT16 as on small cards. */
export const DEFAULT_BOOT_DISK_BYTES = 64 * 1024 * 1024;

/** Folders of local/ every disk gets, as `odtab disk create` makes them (init also makes them). */
export const LOCAL_DIRS = ['apps', 'home', 'etc'];

export interface BootDiskFile {
  /** Path inside local/, '/'-separated ("etc/init.d/S90example.sh"). */
  path: string;
  data: Uint8Array;
  modified?: Date;
}

export interface BootDiskParts {
  /** The root file system image, stored in the disk's root as `rootfsName`. */
  rootfs?: Uint8Array;
  /** Default `rootfs.bin`, the name the built-in command line's `loop0=/boot/rootfs.bin` wants. */
  rootfsName?: string;
  rootfsModified?: Date;
  /** Files of local/. */
  local?: BootDiskFile[];
  /** Folders of local/ to make even when empty (git keeps no empty folder, so a manifest lists them). */
  dirs?: string[];
}

export interface BootDiskOptions {
  /** Disk size in bytes (whole sectors); default DEFAULT_BOOT_DISK_BYTES. */
  size?: number;
  fatBits?: 12 | 16 | 32;
  /** Volume label; none by default. */
  label?: string;
  volumeId?: number;
  /** Clock for the folders' and label's times (tests pass a fixed one). */
  now?: () => Date;
}

/**
 * Formats `disk` and stores the parts on it. Everything is checked first (names, and that it all
 * fits: FatError ENOSPC), so on failure nothing but the fresh format has been written.
 */
export function writeBootDisk(disk: SyncDisk, parts: BootDiskParts, opts: Omit<BootDiskOptions, 'size'> = {}): FatVolume {
  const vol = FatVolume.format(disk, { fatBits: opts.fatBits, label: opts.label, volumeId: opts.volumeId }, { now: opts.now });
  const rootfsName = parts.rootfsName ?? 'rootfs.bin';
  const dirs = ['local', ...uniqueDirs([...LOCAL_DIRS, ...(parts.dirs ?? []), ...(parts.local ?? []).map((f) => parentOf(f.path))])];
  const files = (parts.local ?? []).map((f) => ({ ...f, path: `local/${trimSlashes(f.path)}` }));
  vol.preflight([
    ...(parts.rootfs ? [{ path: rootfsName, size: parts.rootfs.length }] : []),
    ...dirs.map((path) => ({ path, size: 0, directory: true })),
    ...files.map((f) => ({ path: f.path, size: f.data.length })),
  ]);
  // The rootfs first: it is the one big file, and so gets one contiguous run at the volume's start.
  if (parts.rootfs) vol.writeFile(rootfsName, parts.rootfs, { modified: parts.rootfsModified });
  for (const d of dirs) vol.mkdir(d, { parents: true });
  for (const f of files) vol.writeFile(f.path, f.data, { modified: f.modified });
  return vol;
}

/** A boot disk in memory (sparse: it takes about as much memory as the files it holds). */
export function composeBootDisk(parts: BootDiskParts, opts: BootDiskOptions = {}): MemoryDisk {
  const size = opts.size ?? DEFAULT_BOOT_DISK_BYTES;
  if (!Number.isSafeInteger(size) || size <= 0 || size % SECTOR_SIZE !== 0) {
    throw new FatError('EINVAL', `a boot disk of ${size} bytes is not a whole number of 512-byte sectors`);
  }
  const disk = new MemoryDisk(size / SECTOR_SIZE);
  writeBootDisk(disk, parts, opts);
  return disk;
}

function trimSlashes(path: string): string {
  return path.split('/').filter((p) => p !== '' && p !== '.').join('/');
}

function parentOf(path: string): string {
  const parts = trimSlashes(path).split('/');
  return parts.slice(0, -1).join('/');
}

/** Every folder and its parents, parents first, each once (FAT names ignore case). */
function uniqueDirs(dirs: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const d of dirs) {
    const parts = trimSlashes(d).split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const path = `local/${parts.slice(0, i).join('/')}`;
      const key = path.toUpperCase();
      if (!seen.has(key)) {
        seen.add(key);
        out.push(path);
      }
    }
  }
  return out;
}
