import type { Decompressor } from './decompress';
import { unpack } from './decompress';
import { corrupt, SquashfsError } from './errors';
import { type ByteSource, readRange } from './source';

/** Metadata (inodes, directories, tables) is stored in blocks that unpack to at most 8 KiB. */
export const METADATA_SIZE = 8192;
const UNCOMPRESSED_BIT = 0x8000;
/** Decoded metadata blocks kept: inode and directory reads hit the same few blocks again and again. */
const CACHE_BLOCKS = 256;

interface MetaBlock {
  data: Uint8Array;
  /** Where the block after this one starts in the image. */
  next: number;
}

/**
 * Reads runs of metadata that may span blocks: a position is (image offset of a block, offset in
 * its unpacked bytes), as inode references and directory pointers give it.
 */
export class MetadataReader {
  private readonly cache = new Map<number, MetaBlock>();

  constructor(
    private readonly src: ByteSource,
    private readonly decompress: Decompressor,
    /** Metadata never lies past the end of the file system. */
    private readonly end: number,
    /** Largest run read at once: a damaged length must not make us unpack the whole image. */
    private readonly maxRun: number,
  ) {}

  async block(pos: number): Promise<MetaBlock> {
    const hit = this.cache.get(pos);
    if (hit) return hit;
    if (pos + 2 > this.end) throw corrupt(`metadata block at ${pos} lies past the end of the file system`);
    const head = await readRange(this.src, pos, 2, 'metadata block header');
    const word = head[0] | (head[1] << 8);
    const size = word & ~UNCOMPRESSED_BIT;
    if (size === 0 || pos + 2 + size > this.end) throw corrupt(`metadata block at ${pos} has a bad length ${size}`);
    const raw = await readRange(this.src, pos + 2, size, 'metadata block');
    const data = word & UNCOMPRESSED_BIT ? raw : await unpack(this.decompress, raw, METADATA_SIZE, `metadata block at ${pos}`);
    if (data.length > METADATA_SIZE) throw corrupt(`metadata block at ${pos} holds ${data.length} bytes`);
    const block = { data: word & UNCOMPRESSED_BIT ? data.slice() : data, next: pos + 2 + size };
    if (this.cache.size >= CACHE_BLOCKS) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(pos, block);
    return block;
  }

  /** `length` bytes starting `offset` bytes into the block at `pos` (continuing into the next ones). */
  async read(pos: number, offset: number, length: number): Promise<Uint8Array> {
    if (length > this.maxRun) throw new SquashfsError('TOO_BIG', `metadata run of ${length} bytes is over the ${this.maxRun}-byte limit`);
    const out = new Uint8Array(length);
    let done = 0;
    let block = await this.block(pos);
    while (offset >= block.data.length && block.data.length > 0) {
      // An offset may point exactly at (or past) the end of a block: it continues in the next.
      offset -= block.data.length;
      block = await this.block(block.next);
    }
    while (done < length) {
      if (offset >= block.data.length) {
        block = await this.block(block.next);
        offset = 0;
        continue;
      }
      const n = Math.min(block.data.length - offset, length - done);
      out.set(block.data.subarray(offset, offset + n), done);
      done += n;
      offset += n;
    }
    return out;
  }

  /** A cursor for reading structures one after another (inodes, directory entries). */
  cursor(pos: number, offset: number): MetaCursor {
    return new MetaCursor(this, pos, offset);
  }
}

/** Sequential reads through metadata, block by block. */
export class MetaCursor {
  constructor(
    private readonly meta: MetadataReader,
    private pos: number,
    private offset: number,
  ) {}

  /** Where the next read starts (block position, offset in it). */
  get position(): { pos: number; offset: number } {
    return { pos: this.pos, offset: this.offset };
  }

  async bytes(n: number): Promise<Uint8Array> {
    let block = await this.meta.block(this.pos);
    while (this.offset >= block.data.length) {
      this.offset -= block.data.length;
      this.pos = block.next;
      block = await this.meta.block(this.pos);
    }
    const out = await this.meta.read(this.pos, this.offset, n);
    // Advance past what was read, following the chain of blocks.
    let left = n;
    for (;;) {
      const room = block.data.length - this.offset;
      if (left < room) {
        this.offset += left;
        break;
      }
      left -= room;
      this.pos = block.next;
      this.offset = 0;
      if (left === 0) break;
      block = await this.meta.block(this.pos);
    }
    return out;
  }

  async view(n: number): Promise<DataView> {
    const b = await this.bytes(n);
    return new DataView(b.buffer, b.byteOffset, b.length);
  }
}
