import { corrupt } from './errors';
import type { MetaCursor } from './metadata';

export type InodeKind = 'dir' | 'file' | 'symlink' | 'blockdev' | 'chardev' | 'fifo' | 'socket';

/** Basic types 1..7; the extended ones (8..14) are the same kinds with more fields. */
const KINDS: InodeKind[] = ['dir', 'file', 'symlink', 'blockdev', 'chardev', 'fifo', 'socket'];
const NO_FRAGMENT = 0xffffffff;
/** Set in a data block's size word when the block is stored uncompressed. */
export const BLOCK_UNCOMPRESSED = 0x1000000;
/** Longest symlink target Linux accepts (PATH_MAX). */
const MAX_SYMLINK = 4096;

export interface Inode {
  kind: InodeKind;
  /** Permission bits (and setuid/setgid/sticky), without the type. */
  mode: number;
  uid: number;
  gid: number;
  /** Modification time, seconds since 1970. */
  mtime: number;
  number: number;
  nlink: number;
  /** Bytes of a file; the listing size of a directory; the target length of a symlink. */
  size: number;
  /** Symlinks: where they point. */
  target?: string;
  /** Device nodes: the device number as the kernel encodes it. */
  rdev?: number;
  /** @internal file data layout */
  file?: { blocksStart: number; fragment: number; fragmentOffset: number; blockCount: number; sizesAt: { pos: number; offset: number } };
  /** @internal directory listing position (block relative to the directory table, offset in it) */
  dir?: { block: number; offset: number; listingSize: number };
}

/**
 * Decodes the inode under the cursor. `ids` turns uid/gid indexes into ids; `blockSize` gives the
 * number of block-size words that follow a file inode (read later, only when the data is wanted).
 */
export async function readInode(cur: MetaCursor, ids: (index: number) => Promise<number>, blockSize: number): Promise<Inode> {
  const h = await cur.view(16);
  const type = h.getUint16(0, true);
  if (type < 1 || type > 14) throw corrupt(`inode of unknown type ${type}`);
  const extended = type > 7;
  const kind = KINDS[(type - 1) % 7];
  const inode: Inode = {
    kind,
    mode: h.getUint16(2, true),
    uid: await ids(h.getUint16(4, true)),
    gid: await ids(h.getUint16(6, true)),
    mtime: h.getUint32(8, true),
    number: h.getUint32(12, true),
    nlink: 1,
    size: 0,
  };
  switch (kind) {
    case 'dir': {
      if (!extended) {
        const v = await cur.view(16);
        inode.nlink = v.getUint32(4, true);
        const fileSize = v.getUint16(8, true);
        inode.dir = { block: v.getUint32(0, true), offset: v.getUint16(10, true), listingSize: Math.max(0, fileSize - 3) };
        inode.size = fileSize;
      } else {
        const v = await cur.view(24);
        inode.nlink = v.getUint32(0, true);
        const fileSize = v.getUint32(4, true);
        inode.dir = { block: v.getUint32(8, true), offset: v.getUint16(18, true), listingSize: Math.max(0, fileSize - 3) };
        inode.size = fileSize;
        // The directory index that follows (index_count entries) only speeds up lookups; not needed.
      }
      // "." and ".." count 3 bytes in the size but are not stored.
      break;
    }
    case 'file': {
      let blocksStart: number, fragment: number, fragmentOffset: number, size: number;
      if (!extended) {
        const v = await cur.view(16);
        blocksStart = v.getUint32(0, true);
        fragment = v.getUint32(4, true);
        fragmentOffset = v.getUint32(8, true);
        size = v.getUint32(12, true);
      } else {
        const v = await cur.view(40);
        blocksStart = safe(v.getBigUint64(0, true), 'file data start');
        size = safe(v.getBigUint64(8, true), 'file size');
        inode.nlink = v.getUint32(24, true);
        fragment = v.getUint32(28, true);
        fragmentOffset = v.getUint32(32, true);
      }
      const hasFragment = fragment !== NO_FRAGMENT;
      const blockCount = hasFragment ? Math.floor(size / blockSize) : Math.ceil(size / blockSize);
      inode.size = size;
      // The block size words follow; where they are is kept so they are read only when the data is.
      inode.file = { blocksStart, fragment: hasFragment ? fragment : -1, fragmentOffset, blockCount, sizesAt: cur.position };
      break;
    }
    case 'symlink': {
      const v = await cur.view(8);
      inode.nlink = v.getUint32(0, true);
      const len = v.getUint32(4, true);
      if (len > MAX_SYMLINK) throw corrupt(`symlink target of ${len} bytes`);
      inode.target = new TextDecoder().decode(await cur.bytes(len));
      inode.size = len;
      break;
    }
    case 'blockdev':
    case 'chardev': {
      const v = await cur.view(8);
      inode.nlink = v.getUint32(0, true);
      inode.rdev = v.getUint32(4, true);
      break;
    }
    default: {
      const v = await cur.view(4);
      inode.nlink = v.getUint32(0, true);
    }
  }
  return inode;
}

function safe(x: bigint, what: string): number {
  if (x > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`${what} ${x} is impossibly large`);
  return Number(x);
}
