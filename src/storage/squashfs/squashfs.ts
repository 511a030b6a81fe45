import { type Decompressor, decompressorFor, unpack } from './decompress';
import { SquashfsError, corrupt } from './errors';
import { BLOCK_UNCOMPRESSED, type Inode, type InodeKind, readInode } from './inode';
import { METADATA_SIZE, MetadataReader } from './metadata';
import { type ByteSource, readRange, toSource } from './source';
import { FLAG_COMPRESSOR_OPTIONS, SUPERBLOCK_SIZE, type Superblock, parseSuperblock } from './superblock';

export interface SquashfsOptions {
  /** Largest file readFile unpacks (default 512 MiB): a damaged size must not exhaust memory. */
  maxFileBytes?: number;
  /** Largest directory listing or other metadata run read at once (default 64 MiB). */
  maxMetadataBytes?: number;
  /** Decoders to use instead of (or in addition to) the built-in ones, by compressor id. */
  decompressors?: Record<number, Decompressor>;
}

export interface DirEntry {
  name: string;
  kind: InodeKind;
  /** Inode reference (block << 16 | offset), for `inode()`. */
  ref: bigint;
}

/** Symlinks followed in one path lookup before giving up, as Linux's ELOOP limit. */
const MAX_SYMLINKS = 40;
/** Directory depth walk() descends to; deeper means a damaged (cyclic) tree. */
const MAX_DEPTH = 256;
const DIR_HEADER = 12;
const DIR_ENTRY = 8;
/** A directory header covers at most 256 entries (mksquashfs's limit, checked by Linux too). */
const MAX_HEADER_ENTRIES = 256;
const FRAGMENT_ENTRY = 16;
/** Fragment blocks kept unpacked: small files in one directory often share a fragment. */
const FRAGMENT_CACHE = 8;
const BASIC_KINDS: InodeKind[] = ['dir', 'file', 'symlink', 'blockdev', 'chardev', 'fifo', 'socket'];

/**
 * A read-only SquashFS 4.0 file system (little-endian, as mksquashfs writes on every host): the
 * format of OpenDingux's rootfs.bin and of .opk packages. Everything is async because the bytes
 * may come from a Blob or the network and some decoders (xz) are async; nothing is read until
 * asked for, so opening a large image costs a few small reads.
 */
export class Squashfs {
  private readonly meta: MetadataReader;
  private readonly decompress: Decompressor;
  private ids: number[] = [];
  private fragmentBlocks: number[] = [];
  private readonly fragmentCache = new Map<number, Uint8Array>();
  private readonly maxFileBytes: number;

  private constructor(
    private readonly src: ByteSource,
    readonly superblock: Superblock,
    opts: SquashfsOptions,
  ) {
    this.decompress = decompressorFor(superblock.compressorId, opts.decompressors);
    this.maxFileBytes = opts.maxFileBytes ?? 512 * 1024 * 1024;
    this.meta = new MetadataReader(src, this.decompress, superblock.bytesUsed, opts.maxMetadataBytes ?? 64 * 1024 * 1024);
  }

  /** Opens an image: reads the superblock, the uid/gid table and the fragment table's index. */
  static async open(input: ByteSource | Uint8Array | Blob, opts: SquashfsOptions = {}): Promise<Squashfs> {
    const src = toSource(input);
    if (src.size < SUPERBLOCK_SIZE) throw new SquashfsError('CORRUPT', `not a squashfs image (${src.size} bytes is too short)`);
    const sb = parseSuperblock(await readRange(src, 0, SUPERBLOCK_SIZE, 'superblock'), src.size);
    if (sb.bytesUsed > src.size) throw corrupt(`truncated: the file system needs ${sb.bytesUsed} bytes, the image has ${src.size}`);
    const fs = new Squashfs(src, sb, opts);
    await fs.readTables();
    return fs;
  }

  private async readTables(): Promise<void> {
    const sb = this.superblock;
    // Both tables are arrays in metadata blocks, found through a list of u64 block positions.
    const idBlocks = await this.lookupTable(sb.idTable, Math.ceil((sb.idCount * 4) / METADATA_SIZE), 'id table');
    const ids: number[] = [];
    for (let i = 0; i < idBlocks.length; i++) {
      const n = Math.min(METADATA_SIZE / 4, sb.idCount - i * (METADATA_SIZE / 4));
      const b = await this.meta.read(idBlocks[i], 0, n * 4);
      const v = new DataView(b.buffer, b.byteOffset, b.length);
      for (let j = 0; j < n; j++) ids.push(v.getUint32(j * 4, true));
    }
    this.ids = ids;
    if (sb.fragmentCount > 0) {
      if (sb.fragmentTable === undefined) throw corrupt(`${sb.fragmentCount} fragments but no fragment table`);
      this.fragmentBlocks = await this.lookupTable(sb.fragmentTable, Math.ceil((sb.fragmentCount * FRAGMENT_ENTRY) / METADATA_SIZE), 'fragment table');
    }
    void FLAG_COMPRESSOR_OPTIONS; // compressor options only tune compression; every decoder here reads any setting
  }

  private async lookupTable(at: number, blocks: number, what: string): Promise<number[]> {
    const raw = await readRange(this.src, at, blocks * 8, what);
    const v = new DataView(raw.buffer, raw.byteOffset, raw.length);
    const out: number[] = [];
    for (let i = 0; i < blocks; i++) {
      const pos = v.getBigUint64(i * 8, true);
      if (pos >= BigInt(this.superblock.bytesUsed)) throw corrupt(`${what} block ${i} at ${pos} lies past the file system`);
      out.push(Number(pos));
    }
    return out;
  }

  private id(index: number): Promise<number> {
    if (index >= this.ids.length) return Promise.reject(corrupt(`uid/gid index ${index} past the ${this.ids.length}-entry id table`));
    return Promise.resolve(this.ids[index]);
  }

  /** The inode a reference points at (a directory entry's `ref`, or the superblock's root). */
  async inode(ref: bigint): Promise<Inode> {
    const block = Number(ref >> 16n);
    const offset = Number(ref & 0xffffn);
    const pos = this.superblock.inodeTable + block;
    if (pos >= this.superblock.directoryTable) throw corrupt(`inode reference ${ref} points past the inode table`);
    return readInode(this.meta.cursor(pos, offset), (i) => this.id(i), this.superblock.blockSize);
  }

  root(): Promise<Inode> {
    return this.inode(this.superblock.rootInode);
  }

  /** The entries of a directory inode, in the image's (sorted) order, without "." and "..". */
  async list(dir: Inode): Promise<DirEntry[]> {
    if (dir.kind !== 'dir' || !dir.dir) throw new SquashfsError('ENOTDIR', 'not a directory');
    const { block, offset, listingSize } = dir.dir;
    if (listingSize === 0) return [];
    const pos = this.superblock.directoryTable + block;
    if (pos >= this.superblock.bytesUsed) throw corrupt(`directory listing at ${pos} lies past the file system`);
    const b = await this.meta.read(pos, offset, listingSize);
    const v = new DataView(b.buffer, b.byteOffset, b.length);
    const names = new TextDecoder();
    const out: DirEntry[] = [];
    let at = 0;
    while (at < b.length) {
      if (at + DIR_HEADER > b.length) throw corrupt('directory listing ends inside a header');
      const count = v.getUint32(at, true) + 1;
      const start = v.getUint32(at + 4, true);
      at += DIR_HEADER;
      if (count > MAX_HEADER_ENTRIES) throw corrupt(`directory header claims ${count} entries`);
      for (let i = 0; i < count; i++) {
        if (at + DIR_ENTRY > b.length) throw corrupt('directory listing ends inside an entry');
        const inodeOffset = v.getUint16(at, true);
        const type = v.getUint16(at + 4, true);
        const nameLen = v.getUint16(at + 6, true) + 1;
        at += DIR_ENTRY;
        if (at + nameLen > b.length) throw corrupt('directory listing ends inside a name');
        const name = names.decode(b.subarray(at, at + nameLen));
        at += nameLen;
        if (type < 1 || type > 7) throw corrupt(`directory entry '${name}' has type ${type}`);
        if (name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
          throw corrupt(`directory entry with the impossible name '${name}'`);
        }
        out.push({ name, kind: BASIC_KINDS[type - 1], ref: (BigInt(start) << 16n) | BigInt(inodeOffset) });
      }
    }
    return out;
  }

  /** The inode at `path` ('/'-separated, from the root), following symlinks (also the last one unless `lstat`). */
  async lookup(path: string, opts: { follow?: boolean } = {}): Promise<Inode> {
    const follow = opts.follow ?? true;
    const root = await this.root();
    let links = 0;
    // `stack` is the chain of directories from the root, so '..' goes back along the path taken.
    const resolve = async (from: Inode[], parts: string[], followLast: boolean): Promise<Inode[]> => {
      const stack = [...from];
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i];
        if (part === '' || part === '.') continue;
        if (part === '..') {
          if (stack.length > 1) stack.pop();
          continue;
        }
        const cur = stack[stack.length - 1];
        if (cur.kind !== 'dir') throw new SquashfsError('ENOTDIR', `${path}: '${part}' is under something that is not a directory`);
        const entry = (await this.list(cur)).find((e) => e.name === part);
        if (!entry) throw new SquashfsError('ENOENT', `${path}: no such file or directory`);
        const node = await this.inode(entry.ref);
        const last = parts.slice(i + 1).every((p) => p === '' || p === '.');
        if (node.kind === 'symlink' && (!last || followLast)) {
          if (++links > MAX_SYMLINKS) throw new SquashfsError('ELOOP', `${path}: too many levels of symbolic links`);
          const target = node.target ?? '';
          const next = await resolve(target.startsWith('/') ? [root] : stack, target.split('/'), true);
          stack.length = 0;
          stack.push(...next);
          continue;
        }
        stack.push(node);
      }
      return stack;
    };
    const chain = await resolve([root], path.split('/'), follow);
    return chain[chain.length - 1];
  }

  stat(path: string): Promise<Inode> {
    return this.lookup(path);
  }

  lstat(path: string): Promise<Inode> {
    return this.lookup(path, { follow: false });
  }

  /** Whether `path` names anything (following symlinks). */
  async exists(path: string): Promise<boolean> {
    try {
      await this.lookup(path);
      return true;
    } catch (e) {
      if (e instanceof SquashfsError && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return false;
      throw e;
    }
  }

  async readdir(path: string): Promise<DirEntry[]> {
    return this.list(await this.lookup(path));
  }

  async readlink(path: string): Promise<string> {
    const node = await this.lstat(path);
    if (node.kind !== 'symlink') throw new SquashfsError('EINVAL', `${path}: not a symbolic link`);
    return node.target ?? '';
  }

  /** A regular file's bytes (sparse blocks read as zeros). */
  async readFile(target: string | Inode): Promise<Uint8Array> {
    const node = typeof target === 'string' ? await this.lookup(target) : target;
    const name = typeof target === 'string' ? target : `inode ${node.number}`;
    if (node.kind === 'dir') throw new SquashfsError('EISDIR', `${name}: is a directory`);
    if (node.kind !== 'file' || !node.file) throw new SquashfsError('EINVAL', `${name}: not a regular file`);
    if (node.size > this.maxFileBytes) {
      throw new SquashfsError('TOO_BIG', `${name}: ${node.size} bytes is over the ${this.maxFileBytes}-byte limit`);
    }
    const { blockSize, bytesUsed } = this.superblock;
    const f = node.file;
    const out = new Uint8Array(node.size);
    const sizes = await this.meta.read(f.sizesAt.pos, f.sizesAt.offset, f.blockCount * 4);
    const sv = new DataView(sizes.buffer, sizes.byteOffset, sizes.length);
    let pos = f.blocksStart;
    for (let i = 0; i < f.blockCount; i++) {
      const word = sv.getUint32(i * 4, true);
      const onDisk = word & (BLOCK_UNCOMPRESSED - 1);
      const want = Math.min(blockSize, node.size - i * blockSize);
      if (onDisk === 0) continue; // sparse: a block of zeros is not stored
      if (onDisk > blockSize || pos + onDisk > bytesUsed) throw corrupt(`${name}: data block ${i} (${onDisk} bytes at ${pos}) is out of bounds`);
      const raw = await readRange(this.src, pos, onDisk, `${name} block ${i}`);
      const data = word & BLOCK_UNCOMPRESSED ? raw : await unpack(this.decompress, raw, blockSize, `${name} block ${i}`);
      if (data.length !== want) throw corrupt(`${name}: data block ${i} holds ${data.length} bytes, not ${want}`);
      out.set(data, i * blockSize);
      pos += onDisk;
    }
    const tail = node.size - f.blockCount * blockSize;
    if (f.fragment >= 0 && tail > 0) {
      const frag = await this.fragment(f.fragment);
      if (f.fragmentOffset + tail > frag.length) throw corrupt(`${name}: its tail lies outside fragment ${f.fragment}`);
      out.set(frag.subarray(f.fragmentOffset, f.fragmentOffset + tail), f.blockCount * blockSize);
    } else if (tail > 0) {
      throw corrupt(`${name}: ${tail} bytes at the end are in no block`);
    }
    return out;
  }

  private async fragment(index: number): Promise<Uint8Array> {
    const hit = this.fragmentCache.get(index);
    if (hit) return hit;
    const sb = this.superblock;
    if (index >= sb.fragmentCount) throw corrupt(`fragment ${index} of ${sb.fragmentCount}`);
    const perBlock = METADATA_SIZE / FRAGMENT_ENTRY;
    const e = await this.meta.read(this.fragmentBlocks[Math.floor(index / perBlock)], (index % perBlock) * FRAGMENT_ENTRY, FRAGMENT_ENTRY);
    const v = new DataView(e.buffer, e.byteOffset, e.length);
    const start = v.getBigUint64(0, true);
    const word = v.getUint32(8, true);
    const onDisk = word & (BLOCK_UNCOMPRESSED - 1);
    if (onDisk === 0 || onDisk > sb.blockSize || start + BigInt(onDisk) > BigInt(sb.bytesUsed)) {
      throw corrupt(`fragment ${index} (${onDisk} bytes at ${start}) is out of bounds`);
    }
    const raw = await readRange(this.src, Number(start), onDisk, `fragment ${index}`);
    const data = word & BLOCK_UNCOMPRESSED ? raw : await unpack(this.decompress, raw, sb.blockSize, `fragment ${index}`);
    if (this.fragmentCache.size >= FRAGMENT_CACHE) this.fragmentCache.delete(this.fragmentCache.keys().next().value!);
    this.fragmentCache.set(index, data);
    return data;
  }

  /**
   * Every entry under `path` (default the root), depth first, parents before children, paths
   * without a leading '/'. Symlinks are reported, not followed; a damaged image whose
   * directories loop is reported as corrupt rather than walked forever.
   */
  async *walk(path = ''): AsyncGenerator<{ path: string; inode: Inode }> {
    const seen = new Set<number>();
    const prefix = path.split('/').filter(Boolean).join('/');
    const visit = async function* (this: Squashfs, dir: Inode, at: string, depth: number): AsyncGenerator<{ path: string; inode: Inode }> {
      const key = dir.number;
      if (seen.has(key) || depth > MAX_DEPTH) throw corrupt(`directory '${at}' loops back on itself`);
      seen.add(key);
      for (const e of await this.list(dir)) {
        const inode = await this.inode(e.ref);
        const p = at ? `${at}/${e.name}` : e.name;
        yield { path: p, inode };
        if (inode.kind === 'dir') yield* visit.call(this, inode, p, depth + 1);
      }
    };
    yield* visit.call(this, await this.lookup(prefix), prefix, 0);
  }
}
