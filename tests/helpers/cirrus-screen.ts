import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { encode } from 'fast-png';
import type { DisplayFrame } from '../../src/emu/devices/cirrus-scanout';
import { GUEST_DIR } from './guest';

/** Where the Cirrus tests leave PNGs of what they rendered, for a person to look at. */
export const SHOT_DIR = process.env.CIRRUS_SHOT_DIR ?? '/work/scratch-cirrus';

/** Write the frame as an RGBA PNG (best effort: a test never fails for want of a folder). */
export function savePng(frame: DisplayFrame, name: string): string | null {
  const path = `${SHOT_DIR}/${name}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, encode({ width: frame.width, height: frame.height, data: frame.rgba, channels: 4, depth: 8 }));
    return path;
  } catch {
    return null;
  }
}

/** RGB of pixel (x, y). */
export function rgbAt(frame: DisplayFrame, x: number, y: number): [number, number, number] {
  const i = (y * frame.width + x) * 4;
  return [frame.rgba[i]!, frame.rgba[i + 1]!, frame.rgba[i + 2]!];
}

/** Our kernel (vmlinux-odtab) and the -append the manifest suggests for it. */
export function odtabKernel(): { kernel: Uint8Array; cmdline: string } {
  const manifest = JSON.parse(readFileSync(GUEST_DIR + 'manifest.json', 'utf8'));
  return { kernel: gunzipSync(readFileSync(GUEST_DIR + manifest.odtabKernel.file)), cmdline: manifest.odtabKernel.cmdline };
}

/** A bitmap font as the kernel itself carries it (lib/fonts/font_*.c, compiled in). */
export interface KernelFont {
  width: number;
  height: number;
  /** Rows of glyph `ch`, one number per row, leftmost pixel in the top bit of the first byte. */
  glyph(ch: number): number[];
}

/**
 * Read the font `fontdata_<name>` out of a kernel ELF by its System.map address: the bytes fbcon
 * draws with, so a test compares the screen with the kernel's own data, not a copy of it.
 */
export function kernelFont(kernel: Uint8Array, systemMapGz: string, name: string, width: number, height: number): KernelFont {
  const map = gunzipSync(readFileSync(GUEST_DIR + systemMapGz)).toString('latin1');
  const m = new RegExp(`^(?:ffffffff)?([0-9a-f]{8}) [dDrR] fontdata_${name}$`, 'm').exec(map);
  if (!m) throw new Error(`fontdata_${name} not in ${systemMapGz}`);
  // struct font_data: four words of bookkeeping, then the glyphs.
  const vaddr = parseInt(m[1]!, 16) + 16;
  const dv = new DataView(kernel.buffer, kernel.byteOffset, kernel.byteLength);
  const phoff = dv.getUint32(28, true);
  const phnum = dv.getUint16(44, true);
  let fileOffset = -1;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + 32 * i;
    const off = dv.getUint32(p + 4, true);
    const va = dv.getUint32(p + 8, true);
    const filesz = dv.getUint32(p + 16, true);
    if (dv.getUint32(p, true) === 1 && vaddr >= va && vaddr < va + filesz) fileOffset = off + (vaddr - va);
  }
  if (fileOffset < 0) throw new Error(`fontdata_${name} is not in a loaded segment`);
  const rowBytes = (width + 7) >> 3;
  return {
    width,
    height,
    glyph(ch) {
      const base = fileOffset + ch * height * rowBytes;
      return Array.from({ length: height }, (_, y) => {
        let v = 0;
        for (let b = 0; b < rowBytes; b++) v = (v << 8) | kernel[base + y * rowBytes + b]!;
        return v;
      });
    },
  };
}

/**
 * Check that text `s` is drawn at character cell (col, row) in `font`: every pixel of each cell
 * is either the foreground (glyph bit set) or the background colour. Returns both colours.
 */
export function expectText(
  frame: DisplayFrame,
  font: KernelFont,
  col: number,
  row: number,
  s: string,
): { fg: [number, number, number]; bg: [number, number, number]; mismatches: string[] } {
  const rowBits = ((font.width + 7) >> 3) * 8;
  let fg: [number, number, number] | null = null;
  let bg: [number, number, number] | null = null;
  const mismatches: string[] = [];
  for (let i = 0; i < s.length; i++) {
    const g = font.glyph(s.charCodeAt(i));
    for (let y = 0; y < font.height; y++) {
      for (let x = 0; x < font.width; x++) {
        const set = (g[y]! >> (rowBits - 1 - x)) & 1;
        const px = rgbAt(frame, (col + i) * font.width + x, row * font.height + y);
        if (set) fg ??= px;
        else bg ??= px;
        const want = set ? fg : bg;
        if (px.join() !== want!.join() && mismatches.length < 10) {
          mismatches.push(`'${s[i]}' (${x},${y}): ${px.join()} is not the ${set ? 'foreground' : 'background'} ${want!.join()}`);
        }
      }
    }
  }
  return { fg: fg ?? [0, 0, 0], bg: bg ?? [0, 0, 0], mismatches };
}
