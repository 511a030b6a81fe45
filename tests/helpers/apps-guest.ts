/**
 * Helpers for the demo-app tests: handheld buttons pressed through the PS/2 keyboard, the screen
 * read back as pixels and as text (fbcon's 6x10 font, taken from the kernel itself), PNGs of what
 * the tests saw.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { encode } from 'fast-png';
import type { DisplayFrame } from '../../src/emu/devices/cirrus-scanout';
import type { GuestSession } from './guest';
import { type KernelFont, kernelFont, rgbAt } from './cirrus-screen';
import { odKernel } from './od-guest';

/** Where the app tests leave PNGs of the screen. */
export const APPS_SHOT_DIR = process.env.APPS_SHOT_DIR ?? '/work/scratch-apps';

/** The handheld buttons as keys (KeyboardEvent.code), the table of docs/opendingux.md. */
export const BUTTON_KEYS = {
  UP: 'ArrowUp',
  DOWN: 'ArrowDown',
  LEFT: 'ArrowLeft',
  RIGHT: 'ArrowRight',
  A: 'ControlLeft',
  B: 'AltLeft',
  X: 'Space',
  Y: 'ShiftLeft',
  L: 'Tab',
  R: 'Backspace',
  START: 'Enter',
  SELECT: 'Escape',
  POWER: 'Power',
} as const;
export type Button = keyof typeof BUTTON_KEYS;

/** fbtest's indicator order (guest/apps/fbtest.c, BUTTONS). */
export const FBTEST_BUTTONS: Button[] = ['UP', 'DOWN', 'LEFT', 'RIGHT', 'A', 'B', 'X', 'Y', 'L', 'R', 'START', 'SELECT', 'POWER'];

/** Press or release a button; fails loudly if the keyboard refused the key. */
export function button(s: GuestSession, b: Button, down: boolean): void {
  if (!s.machine.kbc.keyboard.pressKey(BUTTON_KEYS[b], down)) throw new Error(`keyboard refused ${b} ${down ? 'down' : 'up'}`);
}

/** Run the guest for `seconds` of guest time. */
export function runFor(s: GuestSession, seconds: number): void {
  const until = s.machine.seconds + seconds;
  while (s.machine.seconds < until) s.machine.run(2_000_000);
}

/** Press and release a button, with guest time between and after for the guest to react. */
export function tap(s: GuestSession, b: Button, hold = 0.05, after = 0.3): void {
  button(s, b, true);
  runFor(s, hold);
  button(s, b, false);
  runFor(s, after);
}

/** Write the frame as a PNG under APPS_SHOT_DIR (best effort). */
export function savePng(frame: DisplayFrame, name: string): void {
  try {
    mkdirSync(APPS_SHOT_DIR, { recursive: true });
    writeFileSync(`${APPS_SHOT_DIR}/${name}`, encode({ width: frame.width, height: frame.height, data: frame.rgba, channels: 4, depth: 8 }));
  } catch {
    // A test never fails for want of a folder.
  }
}

/** RGB565 as the scan-out widens it (repeating the top bits): what the PNG shows. */
export function widen565(v: number): [number, number, number] {
  const r = (v >> 11) & 31;
  const g = (v >> 5) & 63;
  const b = v & 31;
  return [(r << 3) | (r >> 2), (g << 2) | (g >> 4), (b << 3) | (b >> 2)];
}

/** Every pixel of the rectangle is `rgb`; the first few that are not, as text. */
export function rectMismatches(f: DisplayFrame, x0: number, y0: number, w: number, h: number, rgb: [number, number, number]): string[] {
  const out: string[] = [];
  for (let y = y0; y < y0 + h; y++) {
    for (let x = x0; x < x0 + w; x++) {
      const px = rgbAt(f, x, y);
      if (px.join() !== rgb.join() && out.length < 5) out.push(`(${x},${y}) is ${px.join()}, not ${rgb.join()}`);
    }
  }
  return out;
}

let font: KernelFont | undefined;
/** fbcon's font as our kernel carries it. */
export function consoleFont(): KernelFont {
  font ??= kernelFont(odKernel(), 'System.map-odtab.gz', '6x10', 6, 10);
  return font;
}

/**
 * The text on the screen, one string per character row: each 6x10 cell is read as the printable
 * character whose glyph it shows in two colours (either way round, so reverse video reads too);
 * '?' for a cell that is no glyph. Blank cells read as spaces.
 */
export function screenText(f: DisplayFrame): string[] {
  const fnt = consoleFont();
  const glyphs: { ch: string; rows: number[] }[] = [];
  for (let c = 0x20; c < 0x7f; c++) glyphs.push({ ch: String.fromCharCode(c), rows: fnt.glyph(c) });
  const rowBits = ((fnt.width + 7) >> 3) * 8;
  const lines: string[] = [];
  for (let row = 0; row < Math.floor(f.height / fnt.height); row++) {
    let line = '';
    for (let col = 0; col < Math.floor(f.width / fnt.width); col++) {
      // The cell as a bitmap: set where the pixel differs from the top-left pixel's colour.
      const ref = rgbAt(f, col * fnt.width, row * fnt.height).join();
      let second: string | null = null;
      let twoColours = true;
      const bits: number[] = [];
      for (let y = 0; y < fnt.height; y++) {
        let v = 0;
        for (let x = 0; x < fnt.width; x++) {
          const px = rgbAt(f, col * fnt.width + x, row * fnt.height + y).join();
          if (px !== ref) {
            second ??= px;
            if (px !== second) twoColours = false;
            v |= 1 << (rowBits - 1 - x);
          }
        }
        bits.push(v);
      }
      let ch = '?';
      if (twoColours) {
        const mask = ((1 << fnt.width) - 1) << (rowBits - fnt.width);
        for (const g of glyphs) {
          const same = g.rows.every((r, i) => (r & mask) === bits[i]);
          const inverse = g.rows.every((r, i) => (~r & mask) === bits[i]);
          if (same || inverse) {
            ch = g.ch;
            break;
          }
        }
      }
      line += ch;
    }
    lines.push(line.trimEnd());
  }
  return lines;
}
