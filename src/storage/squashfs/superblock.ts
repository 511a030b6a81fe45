import { COMPRESSOR_NAMES } from './decompress';
import { SquashfsError, corrupt } from './errors';

export const SQUASHFS_MAGIC = 0x73717368; // "hsqs" little-endian
export const SUPERBLOCK_SIZE = 96;
/** Largest data block squashfs allows (1 MiB); the smallest is 4 KiB. */
const MAX_BLOCK_LOG = 20;
const MIN_BLOCK_LOG = 12;
/** "No such table" in a u64 table pointer. */
const NO_TABLE = 0xffffffffffffffffn;

export const FLAG_NO_FRAGMENTS = 0x0010;
export const FLAG_COMPRESSOR_OPTIONS = 0x0400;

export interface Superblock {
  inodeCount: number;
  /** Creation time, seconds since 1970. */
  modified: number;
  blockSize: number;
  fragmentCount: number;
  compressorId: number;
  /** gzip, lzo, xz, lz4, zstd or lzma (the last has no decoder here). */
  compressor: string;
  flags: number;
  idCount: number;
  rootInode: bigint;
  bytesUsed: number;
  idTable: number;
  xattrTable: number | undefined;
  inodeTable: number;
  directoryTable: number;
  fragmentTable: number | undefined;
  exportTable: number | undefined;
}

/** Decodes and sanity-checks the superblock at the start of the image. */
export function parseSuperblock(b: Uint8Array, imageSize: number): Superblock {
  if (b.length < SUPERBLOCK_SIZE) throw corrupt(`${b.length} bytes is too short for a superblock`);
  const v = new DataView(b.buffer, b.byteOffset, SUPERBLOCK_SIZE);
  const magic = v.getUint32(0, true);
  if (magic === 0x68737173) throw new SquashfsError('UNSUPPORTED', 'big-endian squashfs images are not supported');
  if (magic !== SQUASHFS_MAGIC) throw new SquashfsError('CORRUPT', 'not a squashfs image (no "hsqs" magic)');
  const major = v.getUint16(28, true);
  const minor = v.getUint16(30, true);
  if (major !== 4 || minor !== 0) throw new SquashfsError('UNSUPPORTED', `squashfs version ${major}.${minor} is not supported (only 4.0)`);
  const blockSize = v.getUint32(12, true);
  const blockLog = v.getUint16(22, true);
  if (blockLog < MIN_BLOCK_LOG || blockLog > MAX_BLOCK_LOG || blockSize !== 2 ** blockLog) {
    throw corrupt(`block size ${blockSize} (log ${blockLog}) is not a power of two from 4 KiB to 1 MiB`);
  }
  const u64 = (at: number, what: string, optional = false): number | undefined => {
    const x = v.getBigUint64(at, true);
    if (optional && x === NO_TABLE) return undefined;
    if (x > BigInt(imageSize)) throw corrupt(`${what} at ${x} lies past the end of the ${imageSize}-byte image`);
    return Number(x);
  };
  const compressorId = v.getUint16(20, true);
  const sb: Superblock = {
    inodeCount: v.getUint32(4, true),
    modified: v.getUint32(8, true),
    blockSize,
    fragmentCount: v.getUint32(16, true),
    compressorId,
    compressor: COMPRESSOR_NAMES[compressorId] ?? `unknown (${compressorId})`,
    flags: v.getUint16(24, true),
    idCount: v.getUint16(26, true),
    rootInode: v.getBigUint64(32, true),
    bytesUsed: u64(40, 'end of the file system')!,
    idTable: u64(48, 'id table')!,
    xattrTable: u64(56, 'xattr table', true),
    inodeTable: u64(64, 'inode table')!,
    directoryTable: u64(72, 'directory table')!,
    fragmentTable: u64(80, 'fragment table', true),
    exportTable: u64(88, 'export table', true),
  };
  if (sb.inodeTable < SUPERBLOCK_SIZE || sb.directoryTable < sb.inodeTable) {
    throw corrupt(`inode table at ${sb.inodeTable} and directory table at ${sb.directoryTable} are out of order`);
  }
  return sb;
}

/**
 * Whether the first bytes of a file are a squashfs 4.0 superblock (for recognising dropped files
 * without opening them): its compressor and size, or undefined.
 */
export function sniffSquashfs(head: Uint8Array): { compressor: string; bytesUsed: number } | undefined {
  if (head.length < SUPERBLOCK_SIZE) return undefined;
  try {
    const sb = parseSuperblock(head, Number.MAX_SAFE_INTEGER);
    return { compressor: sb.compressor, bytesUsed: sb.bytesUsed };
  } catch {
    return undefined;
  }
}
