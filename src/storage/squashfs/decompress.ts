import { unzlibSync } from 'fflate';
import { decompress as zstdDecompress } from 'fzstd';
import { SquashfsError, corrupt } from './errors';
import { lz4DecodeBlock } from './lz4';
import { lzo1xDecode } from './lzo';

/**
 * Unpacks one block (metadata or data). Gets at most `maxOut` bytes back: squashfs blocks never
 * unpack to more than the block size, so a larger result means damage, and the cap keeps a
 * hostile block from allocating without bound.
 */
export type Decompressor = (src: Uint8Array, maxOut: number) => Uint8Array | Promise<Uint8Array>;

/** Squashfs compressor ids (superblock field) and their names, as mksquashfs -comp spells them. */
export const COMPRESSOR_NAMES: Record<number, string> = { 1: 'gzip', 2: 'lzma', 3: 'lzo', 4: 'xz', 5: 'lz4', 6: 'zstd' };

/** gzip in squashfs is a zlib stream (header, deflate, adler32) per block. */
const gzip: Decompressor = (src, maxOut) => {
  // One byte of room past the cap tells "exactly maxOut" from "more than maxOut" (fflate truncates).
  const out = unzlibSync(src, { out: new Uint8Array(maxOut + 1) });
  return out;
};

const zstd: Decompressor = (src, maxOut) => {
  // fzstd allocates what the frame header claims, so the claim is checked first; squashfs-tools
  // always records the content size (ZSTD_compress does), and one frame per block.
  const size = zstdContentSize(src);
  if (size === undefined) throw new Error('zstd frame without a content size');
  if (size > maxOut) throw new Error(`zstd frame claims ${size} bytes`);
  return zstdDecompress(src, new Uint8Array(size));
};

/** The content size a zstd frame header records, or undefined when it records none. */
export function zstdContentSize(b: Uint8Array): number | undefined {
  if (b.length < 6 || b[0] !== 0x28 || b[1] !== 0xb5 || b[2] !== 0x2f || b[3] !== 0xfd) throw new Error('not a zstd frame');
  const fhd = b[4];
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const dictBytes = [0, 1, 2, 4][fhd & 3];
  const at = 5 + (singleSegment ? 0 : 1) + dictBytes;
  const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
  if (fcsBytes === 0) return undefined;
  if (at + fcsBytes > b.length) throw new Error('zstd frame header is cut short');
  let size = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + b[at + i];
  return fcsBytes === 2 ? size + 256 : size;
}

let xzModule: Promise<typeof import('xz-decompress')> | undefined;

/** xz: each block is a whole .xz stream (with the BCJ filters mksquashfs -Xbcj may add). */
const xz: Decompressor = async (src, maxOut) => {
  // The wasm decoder is loaded on first use: most images are gzip or zstd.
  xzModule ??= import('xz-decompress');
  const mod = await xzModule;
  const XzReadableStream = mod.XzReadableStream ?? (mod as unknown as { default: typeof mod }).default.XzReadableStream;
  const input = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(src);
      c.close();
    },
  });
  const reader = new XzReadableStream(input).getReader();
  const out = new Uint8Array(maxOut + 1);
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (n + value.length > out.length) {
      await reader.cancel();
      n = out.length;
      break;
    }
    out.set(value, n);
    n += value.length;
  }
  return out.subarray(0, n);
};

const lz4: Decompressor = (src, maxOut) => lz4DecodeBlock(src, maxOut + 1);
const lzo: Decompressor = (src, maxOut) => lzo1xDecode(src, maxOut + 1);

export const DECOMPRESSORS: Record<number, Decompressor> = { 1: gzip, 3: lzo, 4: xz, 5: lz4, 6: zstd };

/** The decompressor for an image's compressor id, or an UNSUPPORTED error naming it. */
export function decompressorFor(id: number, extra: Record<number, Decompressor> = {}): Decompressor {
  const d = extra[id] ?? DECOMPRESSORS[id];
  if (d) return d;
  const name = COMPRESSOR_NAMES[id];
  throw new SquashfsError(
    'UNSUPPORTED',
    name
      ? `squashfs compressor ${name} is not supported (supported: gzip, xz, lz4, lzo, zstd)`
      : `unknown squashfs compressor id ${id}`,
  );
}

/** Runs a decompressor, turning its failure or an over-long result into a CORRUPT error. */
export async function unpack(d: Decompressor, src: Uint8Array, maxOut: number, what: string): Promise<Uint8Array> {
  let out: Uint8Array;
  try {
    out = await d(src, maxOut);
  } catch (e) {
    throw corrupt(`${what} does not decompress (${(e as Error).message ?? e})`);
  }
  if (out.length > maxOut) throw corrupt(`${what} unpacks to more than ${maxOut} bytes`);
  return out;
}
