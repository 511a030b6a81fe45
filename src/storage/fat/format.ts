import { SECTOR_SIZE } from '../block-device';
import type { SyncDisk } from '../sync-disk';
import { encodeDosTime } from './dir-entry';
import { FatError } from './errors';

/**
 * Making a new, empty FAT file system on a whole disk (no partition table), with the layout
 * mkfs.fat (dosfstools 4.2) chooses for a disk image of the same size: FAT12 or FAT16 below
 * 512 MiB and FAT32 from there, two FATs, 512-entry root directory, structures aligned to the
 * cluster size, size rounded down to whole tracks. Floppy sizes get the hard-disk layout.
 */
export interface FormatOptions {
  /** Force a FAT width instead of choosing by size as mkfs.fat does. */
  fatBits?: 12 | 16 | 32;
  /** Volume label, up to 11 characters (stored in upper case); none by default. */
  label?: string;
  /** Volume serial number; by default derived from the clock, as mkfs.fat does. */
  volumeId?: number;
  /** Time for the label entry; default now. */
  now?: Date;
}

export interface FormatLayout {
  fatBits: 12 | 16 | 32;
  totalSectors: number;
  sectorsPerCluster: number;
  reservedSectors: number;
  fatSectors: number;
  rootEntries: number;
  clusterCount: number;
  sectorsPerTrack: number;
  heads: number;
}

const MAX_CLUST_12 = 4084;
const MIN_CLUST_16 = 4087;
const MAX_CLUST_16 = 65524;
const MIN_CLUST_32 = 65525;
const MAX_CLUST_32 = 0x0ffffff5;
const FAT_COUNT = 2;

/** Computes the layout for a disk of `sectors` 512-byte sectors. Throws EINVAL when none fits. */
export function planFormat(sectors: number, fatBits?: 12 | 16 | 32): FormatLayout {
  const ss = SECTOR_SIZE;
  if (sectors > 0xffffffff) sectors = 0xffffffff;
  // Geometry as mkfs.fat picks it when the device reports none (SD card spec, then LBA assist).
  let heads: number;
  let sectorsPerTrack: number;
  if (sectors <= 524288) {
    heads = sectors <= 32768 ? 2 : sectors <= 65536 ? 4 : sectors <= 262144 ? 8 : 16;
    sectorsPerTrack = sectors <= 4096 ? 16 : 32;
  } else {
    heads = sectors <= 16 * 63 * 1024 ? 16 : sectors <= 32 * 63 * 1024 ? 32 : sectors <= 64 * 63 * 1024 ? 64 : sectors <= 128 * 63 * 1024 ? 128 : 255;
    sectorsPerTrack = 63;
  }
  let bits = fatBits ?? (sectors * ss >= 512 * 1024 * 1024 ? 32 : 0);
  let clusterSize = 4;
  if (bits === 32) {
    clusterSize = sectors > 32 * 1024 * 1024 * 2 ? 64 : sectors > 16 * 1024 * 1024 * 2 ? 32 : sectors > 8 * 1024 * 1024 * 2 ? 16 : sectors > 260 * 1024 * 2 ? 8 : 1;
  }
  const rootEntriesWanted = 512;
  const total = Math.floor(sectors / sectorsPerTrack) * sectorsPerTrack;
  const align = total > 8192; // tiny file systems are not aligned
  const alignTo = (n: number, c: number) => (align ? Math.ceil(n / c) * c : n);
  let reserved = bits === 32 ? 32 : 1;
  const rootDirSectors = Math.ceil((rootEntriesWanted * 32) / ss);

  let clust12 = 0;
  let clust16 = 0;
  let clust32 = 0;
  let fat12 = 0;
  let fat16 = 0;
  let fat32 = 0;
  for (; clusterSize <= 128; clusterSize *= 2) {
    const data32 = total - alignTo(reserved, clusterSize);
    const data1216 = data32 - alignTo(rootDirSectors, clusterSize);

    clust12 = Math.floor((2 * (data1216 * ss + FAT_COUNT * 3)) / (2 * clusterSize * ss + FAT_COUNT * 3));
    fat12 = alignTo(Math.ceil((((clust12 + 2) * 3 + 1) >> 1) / ss), clusterSize);
    clust12 = Math.floor((data1216 - FAT_COUNT * fat12) / clusterSize);
    if (clust12 > Math.min(Math.floor((fat12 * 2 * ss) / 3), MAX_CLUST_12)) clust12 = 0;

    clust16 = Math.floor((data1216 * ss + FAT_COUNT * 4) / (clusterSize * ss + FAT_COUNT * 2));
    fat16 = alignTo(Math.ceil(((clust16 + 2) * 2) / ss), clusterSize);
    clust16 = Math.floor((data1216 - FAT_COUNT * fat16) / clusterSize);
    if (clust16 > Math.min(Math.floor((fat16 * ss) / 2), MAX_CLUST_16)) clust16 = 0;
    if (clust16 && clust16 < MIN_CLUST_16) clust16 = 0; // would be taken for FAT12

    clust32 = Math.floor((data32 * ss + FAT_COUNT * 8) / (clusterSize * ss + FAT_COUNT * 4));
    fat32 = alignTo(Math.ceil(((clust32 + 2) * 4) / ss), clusterSize);
    clust32 = Math.floor((data32 - FAT_COUNT * fat32) / clusterSize);
    if (clust32 > Math.min(Math.floor((fat32 * ss) / 4), MAX_CLUST_32)) clust32 = 0;
    if (clust32 && clust32 < MIN_CLUST_32 && fatBits !== 32) clust32 = 0;

    if ((clust12 > 0 && (bits === 0 || bits === 12)) || (clust16 > 0 && (bits === 0 || bits === 16)) || (clust32 > 0 && bits === 32)) break;
  }
  if (bits === 0) bits = clust16 > clust12 ? 16 : 12;
  const clusterCount = bits === 12 ? clust12 : bits === 16 ? clust16 : clust32;
  if (clusterSize > 128 || clusterCount <= 0) {
    const mib = ((sectors * ss) / 1048576).toFixed(1);
    throw new FatError('EINVAL', `cannot lay out FAT${bits || ''} on ${mib} MiB: the disk is too ${total < 65536 ? 'small' : 'large'}`);
  }
  reserved = alignTo(reserved, clusterSize);
  const rootEntries = bits === 32 ? 0 : align ? alignTo(rootDirSectors, clusterSize) * (ss / 32) : rootEntriesWanted;
  return {
    fatBits: bits as 12 | 16 | 32,
    totalSectors: total,
    sectorsPerCluster: clusterSize,
    reservedSectors: reserved,
    fatSectors: bits === 12 ? fat12 : bits === 16 ? fat16 : fat32,
    rootEntries,
    clusterCount,
    sectorsPerTrack,
    heads,
  };
}

const put16 = (b: Uint8Array, o: number, v: number) => {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
};
const put32 = (b: Uint8Array, o: number, v: number) => {
  put16(b, o, v & 0xffff);
  put16(b, o + 2, v >>> 16);
};

/** A boot stub for PCs that boot the disk by mistake: ask the BIOS to try the next device, then halt. */
const BOOT_STUB = [0xcd, 0x18, 0xf4, 0xeb, 0xfd]; // int 18h; hlt; jmp $-1

function encodeLabel(label: string | undefined): Uint8Array {
  const out = new Uint8Array(11).fill(0x20);
  const text = (label ?? '').toUpperCase();
  if (text.length > 11) throw new FatError('EINVAL', `volume label '${label}' is longer than 11 characters`);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || '*?.,;:/\\|+=<>[]"'.includes(text[i])) {
      throw new FatError('EINVAL', `volume label '${label}' has a character FAT labels cannot hold`);
    }
    out[i] = c;
  }
  if (text.length && text[0] === ' ') throw new FatError('EINVAL', 'volume label cannot start with a space');
  return out;
}

/** The boot sector for a layout. */
export function buildBootSector(l: FormatLayout, volumeId: number, label: Uint8Array): Uint8Array {
  const b = new Uint8Array(SECTOR_SIZE);
  const fat32 = l.fatBits === 32;
  const ext = fat32 ? 64 : 36;
  const code = ext + 26; // boot code follows the extended BPB
  b.set([0xeb, code - 2, 0x90], 0);
  b.set([...'MSWIN4.1'].map((c) => c.charCodeAt(0)), 3); // the OEM name the FAT specification recommends
  put16(b, 11, SECTOR_SIZE);
  b[13] = l.sectorsPerCluster;
  put16(b, 14, l.reservedSectors);
  b[16] = FAT_COUNT;
  put16(b, 17, l.rootEntries);
  if (l.totalSectors < 65536 && !fat32) put16(b, 19, l.totalSectors);
  else put32(b, 32, l.totalSectors);
  b[21] = 0xf8;
  put16(b, 22, fat32 ? 0 : l.fatSectors);
  put16(b, 24, l.sectorsPerTrack);
  put16(b, 26, l.heads);
  put32(b, 28, 0); // hidden sectors: no partition table in front
  if (fat32) {
    put32(b, 36, l.fatSectors);
    put16(b, 40, 0); // FATs mirrored
    put16(b, 42, 0); // version 0.0
    put32(b, 44, 2); // root directory starts at cluster 2
    put16(b, 48, 1); // FSInfo sector
    put16(b, 50, 6); // backup boot sector
  }
  b[ext] = 0x80; // drive number of a hard disk
  b[ext + 2] = 0x29; // extended boot signature: id, label and type follow
  put32(b, ext + 3, volumeId);
  b.set(label, ext + 7);
  b.set([...`FAT${l.fatBits}   `].map((c) => c.charCodeAt(0)), ext + 18);
  b.set(BOOT_STUB, code);
  b[510] = 0x55;
  b[511] = 0xaa;
  return b;
}

/** The FAT32 FSInfo sector: free cluster count and where to look for the next free cluster. */
export function buildFsInfo(freeClusters: number, nextFree: number): Uint8Array {
  const b = new Uint8Array(SECTOR_SIZE);
  put32(b, 0, 0x41615252);
  put32(b, 484, 0x61417272);
  put32(b, 488, freeClusters);
  put32(b, 492, nextFree);
  put32(b, 508, 0xaa550000);
  return b;
}

/**
 * Writes an empty file system over the whole disk (reserved area, FATs and root directory; the
 * data area is left as it is, as mkfs.fat does). Returns the layout used.
 */
export function formatFat(disk: SyncDisk, opts: FormatOptions = {}): FormatLayout {
  if (disk.readOnly) throw new FatError('EROFS', 'disk is read-only');
  const l = planFormat(disk.sectors, opts.fatBits);
  const label = encodeLabel(opts.label);
  const now = opts.now ?? new Date();
  const volumeId = (opts.volumeId ?? Math.floor(now.getTime() / 1000) ^ (now.getMilliseconds() << 16)) >>> 0;
  const fat32 = l.fatBits === 32;
  const rootSectors = fat32 ? l.sectorsPerCluster : (l.rootEntries * 32) / SECTOR_SIZE;
  const metaSectors = l.reservedSectors + FAT_COUNT * l.fatSectors + rootSectors;

  // Zero everything the file system's structures occupy, in big steps.
  const zeros = new Uint8Array(256 * SECTOR_SIZE);
  for (let s = 0; s < metaSectors; s += 256) disk.writeSync(s, Math.min(256, metaSectors - s), zeros);

  const fatStart = new Uint8Array(SECTOR_SIZE);
  if (l.fatBits === 12) fatStart.set([0xf8, 0xff, 0xff]);
  else if (l.fatBits === 16) fatStart.set([0xf8, 0xff, 0xff, 0xff]);
  else fatStart.set([0xf8, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0x0f]); // root: cluster 2
  for (let i = 0; i < FAT_COUNT; i++) disk.writeSync(l.reservedSectors + i * l.fatSectors, 1, fatStart);

  if (label.some((c) => c !== 0x20)) {
    const root = new Uint8Array(SECTOR_SIZE);
    root.set(label, 0);
    root[11] = 0x08; // volume label
    const { date, time } = encodeDosTime(now);
    put16(root, 22, time);
    put16(root, 24, date);
    disk.writeSync(l.reservedSectors + FAT_COUNT * l.fatSectors, 1, root);
  }

  const boot = buildBootSector(l, volumeId, label.some((c) => c !== 0x20) ? label : encodeLabel('NO NAME'));
  disk.writeSync(0, 1, boot);
  if (fat32) {
    const info = buildFsInfo(l.clusterCount - 1, 2);
    disk.writeSync(1, 1, info);
    disk.writeSync(6, 1, boot);
    disk.writeSync(7, 1, info);
  }
  return l;
}
