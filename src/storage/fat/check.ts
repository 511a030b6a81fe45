import type { SyncDisk } from '../sync-disk';
import { type RawEntry, isDirectory } from './dir-entry';
import { FatError } from './errors';
import { FREE } from './fat-table';
import { FatVolume } from './volume';

/** What checkFat found: errors make the image unsafe to use; warnings are harmless leftovers. */
export interface FatCheckReport {
  errors: string[];
  warnings: string[];
  fatBits?: 12 | 16 | 32;
  files: number;
  directories: number;
}

/** Stop listing after this many problems of one kind; a badly damaged image has thousands. */
const MAX_REPORTED = 20;
const MAX_DEPTH = 64;

/**
 * Checks a FAT image the way a boot needs it checked: a sane boot sector, and every file and
 * directory reachable from the root with a cluster chain that stays inside the volume, does not
 * loop, does not run into free or bad clusters, is not shared with another file, and is long
 * enough for the file's size. Never throws for a damaged image; I/O errors of the disk do throw.
 */
export function checkFat(disk: SyncDisk): FatCheckReport {
  const report: FatCheckReport = { errors: [], warnings: [], files: 0, directories: 0 };
  let vol: FatVolume;
  try {
    vol = FatVolume.open(disk);
  } catch (e) {
    if (e instanceof FatError) {
      report.errors.push(e.message);
      return report;
    }
    throw e;
  }
  checkVolume(vol, report);
  return report;
}

function checkVolume(vol: FatVolume, report: FatCheckReport): void {
  const g = vol.geometry;
  const fat = vol.table;
  report.fatBits = g.fatBits;
  const error = (msg: string) => {
    if (report.errors.length < MAX_REPORTED) report.errors.push(msg);
  };
  // owner[c] = index+1 into `owners` of the file whose chain holds cluster c.
  const owner = new Int32Array(g.maxCluster + 1);
  const owners: string[] = [];

  /** Walks and claims a chain; returns its length, or -1 when it is broken (already reported). */
  const claim = (first: number, path: string): number => {
    owners.push(path);
    const me = owners.length;
    let c = first;
    let length = 0;
    for (;;) {
      if (c < 2 || c > g.maxCluster) {
        error(`'${path}': cluster chain points outside the volume (cluster ${c})`);
        return -1;
      }
      if (owner[c] === me) {
        error(`'${path}': cluster chain loops (at cluster ${c})`);
        return -1;
      }
      if (owner[c] !== 0) {
        error(`'${path}': cluster ${c} is also used by '${owners[owner[c] - 1]}' (cross-linked)`);
        return -1;
      }
      owner[c] = me;
      length++;
      const next = fat.get(c);
      if (fat.isEnd(next)) return length;
      if (next === FREE) {
        error(`'${path}': cluster chain runs into a free cluster (after cluster ${c})`);
        return -1;
      }
      if (next === fat.badMark) {
        error(`'${path}': cluster chain runs into a cluster marked bad (after cluster ${c})`);
        return -1;
      }
      c = next;
    }
  };

  const rootFirst = g.fatBits === 32 ? g.rootCluster : 0;
  if (rootFirst && claim(rootFirst, '/') < 0) return;
  const stack: { cluster: number; path: string; depth: number }[] = [{ cluster: rootFirst, path: '', depth: 0 }];
  while (stack.length) {
    const { cluster, path, depth } = stack.pop()!;
    let entries: RawEntry[];
    try {
      entries = vol.rawDirectory(cluster, path || '/').entries;
    } catch (e) {
      if (!(e instanceof FatError)) throw e;
      error(e.message);
      continue;
    }
    for (const e of entries) {
      const p = `${path}/${e.name}`;
      if (isDirectory(e)) {
        report.directories++;
        if (e.firstCluster === 0) {
          error(`'${p}': directory has no clusters`);
          continue;
        }
        if (depth >= MAX_DEPTH) {
          error(`'${p}': directories nested deeper than ${MAX_DEPTH} levels`);
          continue;
        }
        if (claim(e.firstCluster, p) > 0) stack.push({ cluster: e.firstCluster, path: p, depth: depth + 1 });
        continue;
      }
      report.files++;
      if (e.firstCluster === 0) {
        if (e.size > 0) error(`'${p}': file of ${e.size} bytes has no clusters`);
        continue;
      }
      const length = claim(e.firstCluster, p);
      if (length < 0) continue;
      const capacity = length * g.clusterBytes;
      if (capacity < e.size) error(`'${p}': file of ${e.size} bytes has only ${length} clusters (${capacity} bytes)`);
      else if (length > Math.max(1, vol.clustersFor(e.size))) report.warnings.push(`'${p}': cluster chain is longer than the file`);
    }
  }

  let lost = 0;
  let free = 0;
  for (let c = 2; c <= g.maxCluster; c++) {
    const v = fat.get(c);
    if (v === FREE) free++;
    else if (owner[c] === 0 && v !== fat.badMark) lost++;
  }
  if (lost) report.warnings.push(`${lost} clusters are allocated but belong to no file (lost chains)`);
  if (g.fatBits === 32 && g.fsInfoSector) {
    const info = vol.readFsSectors(g.fsInfoSector, 1);
    const dv = new DataView(info.buffer, info.byteOffset);
    const stored = dv.getUint32(488, true);
    if (dv.getUint32(0, true) !== 0x41615252 || dv.getUint32(484, true) !== 0x61417272) {
      report.warnings.push('FSInfo sector has no valid signature');
    } else if (stored !== 0xffffffff && stored !== free) {
      report.warnings.push(`FSInfo says ${stored} free clusters, the FAT has ${free}`);
    }
  }
  if (g.activeFat < 0 && g.fatCount > 1) {
    const first = vol.readFsSectors(g.reservedSectors, g.fatSectors);
    for (let i = 1; i < g.fatCount; i++) {
      const other = vol.readFsSectors(g.reservedSectors + i * g.fatSectors, g.fatSectors);
      if (!first.every((b, j) => b === other[j])) report.warnings.push(`FAT copy ${i + 1} differs from the first`);
    }
  }
}

/** Names mininit's loop device may point at, in the order they are looked for. */
export const ROOTFS_NAMES = ['rootfs.bin', 'rootfs.squashfs'];

export interface BootCheckReport extends FatCheckReport {
  /** The root file system found (its name in the image, its size, its squashfs version). */
  rootfs?: { name: string; size: number; version: string };
}

/**
 * "Is this a FAT image odtab can boot?": checkFat, then a squashfs root file system
 * (`rootfs.bin`, or `rootfs.squashfs`) in the root directory, whole and of version 4.
 * `rootfsNames` overrides the names looked for (the first one present is checked).
 */
export function checkBootImage(disk: SyncDisk, rootfsNames: string[] = ROOTFS_NAMES): BootCheckReport {
  const report: BootCheckReport = checkFat(disk);
  if (report.errors.length) return report;
  const vol = FatVolume.open(disk);
  const found = rootfsNames.map((n) => vol.stat(n)).find((e) => e && !e.isDirectory);
  if (!found) {
    const names = rootfsNames.map((n) => `'${n}'`).join(' or ');
    report.errors.push(`no ${names} in the root directory of the disk`);
    return report;
  }
  const problem = squashfsProblem(vol, found.name, found.size);
  if (typeof problem === 'string') report.errors.push(problem);
  else report.rootfs = { name: found.name, size: found.size, version: problem.version };
  return report;
}

/** Why the file is not a usable squashfs 4 image, or its version. */
function squashfsProblem(vol: FatVolume, name: string, size: number): string | { version: string } {
  if (size === 0) return `'${name}' is empty, not a squashfs image`;
  return describeSquashfs(vol.readChunks(name).next().value as Uint8Array, size, `'${name}'`);
}

/**
 * Checks the start of a squashfs image (at least its 96-byte superblock when the file is that
 * long) of `size` bytes: magic "hsqs", version 4 (the only one Linux reads), and all the bytes
 * the superblock says it uses present. Returns the reason it is unusable, or its version.
 */
export function describeSquashfs(head: Uint8Array, size: number, what: string): string | { version: string } {
  if (size === 0) return `${what} is empty, not a squashfs image`;
  const magic = String.fromCharCode(...head.subarray(0, 4));
  if (size < 96 || head.length < 96 || magic !== 'hsqs') {
    const shown = [...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    return `${what} is not a squashfs image (it starts with ${shown}, not 'hsqs')`;
  }
  const dv = new DataView(head.buffer, head.byteOffset, head.length);
  const major = dv.getUint16(28, true);
  const minor = dv.getUint16(30, true);
  if (major !== 4) return `${what} is squashfs ${major}.${minor}; Linux reads only squashfs 4.0`;
  const used = Number(dv.getBigUint64(40, true));
  if (used > size) return `${what} is truncated: the squashfs needs ${used} bytes, the file has ${size}`;
  return { version: `${major}.${minor}` };
}
