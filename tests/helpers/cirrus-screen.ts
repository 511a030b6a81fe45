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
