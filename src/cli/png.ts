/**
 * A small PNG encoder (PNG spec, ISO/IEC 15948): 8-bit RGB or RGBA, non-interlaced, all image
 * data in one IDAT chunk compressed by node:zlib. Each row gets the filter (None, Sub, Up,
 * Average, Paeth) with the smallest sum of absolute byte values, the heuristic the spec suggests;
 * flat fbcon screens then compress to a few KiB.
 */
import { deflateSync } from 'node:zlib';

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

let crcTable: Uint32Array | null = null;

/** CRC-32 (ISO 3309, as zlib computes it) of bytes, continuing from `crc`. */
function crc32(bytes: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export interface PngImage {
  width: number;
  height: number;
  /** width * height * 4 bytes: R, G, B, A per pixel, top line first. */
  rgba: ArrayLike<number>;
}

/**
 * Encode `image` as PNG. With `alpha` false (the default) the alpha bytes are left out: a screen
 * is opaque, and RGB files are smaller.
 */
export function encodePng(image: PngImage, alpha = false): Uint8Array {
  const { width, height, rgba } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new RangeError(`PNG size ${width}x${height} is not valid`);
  }
  if (rgba.length < width * height * 4) throw new RangeError(`PNG: ${rgba.length} bytes of pixels for ${width}x${height}`);
  const bpp = alpha ? 4 : 3;
  const stride = width * bpp;
  // Unfiltered rows first, then each row with its best filter.
  const raw = new Uint8Array(stride * height);
  for (let p = 0, o = 0, n = width * height; p < n; p++) {
    raw[o++] = rgba[p * 4]!;
    raw[o++] = rgba[p * 4 + 1]!;
    raw[o++] = rgba[p * 4 + 2]!;
    if (alpha) raw[o++] = rgba[p * 4 + 3]!;
  }
  const filtered = new Uint8Array((stride + 1) * height);
  const zero = new Uint8Array(stride);
  const trial = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = raw.subarray(y * stride, (y + 1) * stride);
    const prior = y > 0 ? raw.subarray((y - 1) * stride, y * stride) : zero;
    const out = filtered.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    let bestType = 0;
    let bestScore = Infinity;
    for (let type = 0; type <= 4; type++) {
      const score = filterRow(type, row, prior, bpp, trial);
      if (score < bestScore) {
        bestScore = score;
        bestType = type;
        out.set(trial);
      }
    }
    filtered[y * (stride + 1)] = bestType;
  }

  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = alpha ? 6 : 2; // colour type: truecolour with or without alpha
  // compression 0 (deflate), filter method 0 (adaptive), interlace 0 (none)
  const parts = [SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(filtered)), chunk('IEND', new Uint8Array(0))];
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    png.set(p, at);
    at += p.length;
  }
  return png;
}

/** Filter `row` with `type` into `out`; returns the sum of the outputs as signed bytes' sizes. */
function filterRow(type: number, row: Uint8Array, prior: Uint8Array, bpp: number, out: Uint8Array): number {
  let score = 0;
  for (let i = 0; i < row.length; i++) {
    const x = row[i]!;
    const a = i >= bpp ? row[i - bpp]! : 0;
    const b = prior[i]!;
    let v: number;
    switch (type) {
      case 0:
        v = x;
        break;
      case 1:
        v = x - a;
        break;
      case 2:
        v = x - b;
        break;
      case 3:
        v = x - ((a + b) >> 1);
        break;
      default: {
        const c = i >= bpp ? prior[i - bpp]! : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v = x - (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
    }
    v &= 0xff;
    out[i] = v;
    score += v < 128 ? v : 256 - v;
  }
  return score;
}
