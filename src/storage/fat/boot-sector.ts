import { FatError } from './errors';

/** The layout of a FAT volume, read from (or about to be written to) its boot sector. */
export interface FatGeometry {
  fatBits: 12 | 16 | 32;
  bytesPerSector: number;
  sectorsPerCluster: number;
  reservedSectors: number;
  fatCount: number;
  /** Sectors per FAT copy. */
  fatSectors: number;
  /** Entries of the fixed root directory (FAT12/16); 0 on FAT32. */
  rootEntries: number;
  totalSectors: number;
  media: number;
  /** FAT32: first cluster of the root directory. */
  rootCluster: number;
  /** FAT32: sector of the FSInfo block (0 when absent). */
  fsInfoSector: number;
  /** FAT32: sector of the backup boot sector (0 when absent). */
  backupBootSector: number;
  /** FAT32: the FAT copy in use when mirroring is off, else -1 (all copies are kept equal). */
  activeFat: number;
  volumeId: number;
  label: string;
  // Derived:
  rootDirSector: number;
  rootDirSectors: number;
  firstDataSector: number;
  clusterCount: number;
  /** Highest valid cluster number (clusterCount + 1). */
  maxCluster: number;
  clusterBytes: number;
}

const u8 = (b: Uint8Array, o: number) => b[o];
const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

const isPow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;

function bad(reason: string): never {
  throw new FatError('EFORMAT', `not a FAT file system: ${reason}`);
}

/**
 * Reads and checks the BIOS parameter block of sector 0, with the same rules as Linux's
 * fat_fill_super: FAT32 when the 16-bit FAT size is 0, otherwise FAT12 below 4085 clusters and
 * FAT16 from there. `diskBytes` is the size of the disk it sits on, to catch truncated images.
 */
export function parseBootSector(b: Uint8Array, diskBytes: number): FatGeometry {
  if (b.length < 512) bad('boot sector is short');
  const bytesPerSector = u16(b, 11);
  if (![512, 1024, 2048, 4096].includes(bytesPerSector)) bad(`boot sector gives ${bytesPerSector} bytes per sector`);
  const sectorsPerCluster = u8(b, 13);
  if (!isPow2(sectorsPerCluster) || sectorsPerCluster > 128) bad(`boot sector gives ${sectorsPerCluster} sectors per cluster`);
  const reservedSectors = u16(b, 14);
  if (reservedSectors === 0) bad('boot sector gives no reserved sectors');
  const fatCount = u8(b, 16);
  if (fatCount === 0 || fatCount > 4) bad(`boot sector gives ${fatCount} FAT copies`);
  const media = u8(b, 21);
  if (media !== 0xf0 && media < 0xf8) bad(`media byte 0x${media.toString(16)} is not a FAT media descriptor`);
  const totalSectors = u16(b, 19) || u32(b, 32);
  if (totalSectors === 0) bad('boot sector gives a size of 0 sectors');
  const fat16Size = u16(b, 22);
  const fat32 = fat16Size === 0;
  const fatSectors = fat32 ? u32(b, 36) : fat16Size;
  if (fatSectors === 0) bad('boot sector gives a FAT of 0 sectors');
  const rootEntries = u16(b, 17);
  if (!fat32 && rootEntries === 0) bad('FAT12/16 boot sector gives no root directory entries');

  const rootDirSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
  const rootDirSector = reservedSectors + fatCount * fatSectors;
  const firstDataSector = rootDirSector + rootDirSectors;
  if (firstDataSector >= totalSectors) bad('boot sector leaves no room for data');
  const clusterCount = Math.floor((totalSectors - firstDataSector) / sectorsPerCluster);
  const fatBits: 12 | 16 | 32 = fat32 ? 32 : clusterCount <= 4084 ? 12 : 16;
  if (fatBits === 16 && clusterCount > 65524) bad(`${clusterCount} clusters are too many for FAT16`);
  if (fatBits === 32 && clusterCount > 0x0ffffff5) bad(`${clusterCount} clusters are too many for FAT32`);
  const fatEntries = Math.floor((fatSectors * bytesPerSector * 8) / fatBits);
  if (fatEntries < clusterCount + 2) bad(`a FAT of ${fatSectors} sectors cannot map ${clusterCount} clusters`);

  const ext = fat32 ? 64 : 36;
  const hasExtBpb = b[ext + 2] === 0x29;
  const volumeId = hasExtBpb ? u32(b, ext + 3) : 0;
  const label = hasExtBpb ? String.fromCharCode(...b.subarray(ext + 7, ext + 18)).replace(/ +$/, '') : '';

  let rootCluster = 0;
  let fsInfoSector = 0;
  let backupBootSector = 0;
  let activeFat = -1;
  if (fat32) {
    if (u16(b, 42) !== 0) bad(`FAT32 version ${u16(b, 42) >> 8}.${u16(b, 42) & 0xff} is not 0.0`);
    rootCluster = u32(b, 44);
    if (rootCluster < 2 || rootCluster > clusterCount + 1) bad(`root directory cluster ${rootCluster} is outside the volume`);
    fsInfoSector = u16(b, 48);
    if (fsInfoSector === 0xffff || fsInfoSector >= reservedSectors) fsInfoSector = 0;
    backupBootSector = u16(b, 50);
    if (backupBootSector === 0xffff || backupBootSector >= reservedSectors) backupBootSector = 0;
    const flags = u16(b, 40);
    if (flags & 0x80) {
      activeFat = flags & 0x0f;
      if (activeFat >= fatCount) bad(`active FAT ${activeFat} does not exist`);
    }
  }

  const geometry: FatGeometry = {
    fatBits,
    bytesPerSector,
    sectorsPerCluster,
    reservedSectors,
    fatCount,
    fatSectors,
    rootEntries: fat32 ? 0 : rootEntries,
    totalSectors,
    media,
    rootCluster,
    fsInfoSector,
    backupBootSector,
    activeFat,
    volumeId,
    label: label === 'NO NAME' ? '' : label,
    rootDirSector,
    rootDirSectors,
    firstDataSector,
    clusterCount,
    maxCluster: clusterCount + 1,
    clusterBytes: bytesPerSector * sectorsPerCluster,
  };
  const needed = totalSectors * bytesPerSector;
  if (needed > diskBytes) {
    throw new FatError(
      'ECORRUPT',
      `image is truncated: the file system needs ${needed} bytes but the disk has ${diskBytes}`,
    );
  }
  return geometry;
}
