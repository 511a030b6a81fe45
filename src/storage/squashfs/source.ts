import { corrupt } from './errors';

/**
 * Where the image's bytes come from. The reader asks for small ranges (a metadata block, a data
 * block), so a large rootfs can stay in a Blob (a dropped file), behind HTTP range requests or in
 * a file, and is never copied whole.
 */
export interface ByteSource {
  /** Total bytes available. */
  readonly size: number;
  /** Exactly `length` bytes from `offset` (the reader never asks past `size`). */
  read(offset: number, length: number): Uint8Array | Promise<Uint8Array>;
}

/** An image already in memory (views into it, no copy). */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

/** A Blob or File (the browser's dropped file, or Node's Blob): each read slices it. */
export function blobSource(blob: Blob): ByteSource {
  return {
    size: blob.size,
    read: async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()),
  };
}

export function toSource(input: ByteSource | Uint8Array | Blob): ByteSource {
  if (input instanceof Uint8Array) return bytesSource(input);
  if (typeof Blob !== 'undefined' && input instanceof Blob) return blobSource(input);
  return input as ByteSource;
}

/** Reads a range after checking it lies in the source, so a bad pointer is an error, not a short read. */
export async function readRange(src: ByteSource, offset: number, length: number, what: string): Promise<Uint8Array> {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > src.size) {
    throw corrupt(`${what} at byte ${offset} (+${length}) lies outside the ${src.size}-byte image`);
  }
  const got = await src.read(offset, length);
  if (got.length !== length) throw corrupt(`${what}: read ${got.length} of ${length} bytes at ${offset}`);
  return got;
}
