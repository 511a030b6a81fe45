/**
 * Screenshots: our PNG encoder read back by an independent decoder (fast-png), the picture it
 * writes equal to Machine.display pixel for pixel, and `odtab boot --screenshot` showing the
 * fbcon text in the kernel's own 6x10 font. The PNGs are left in /work/scratch-keys to look at.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DisplayFrame } from '../src/emu/devices/cirrus-scanout';
import { Machine } from '../src/emu/machine';
import { encodePng } from '../src/cli/png';
import { writeScreenshot } from '../src/cli/screenshot';
import { expectText, kernelFont, odtabKernel } from './helpers/cirrus-screen';
import { OD_PROMPT, odSession, composedDisk } from './helpers/od-guest';
import { tempDir } from './helpers/fat-tools';

const ROOT = new URL('..', import.meta.url).pathname;
const SHOTS = process.env.KEYS_SHOT_DIR ?? '/work/scratch-keys';
const tmp = tempDir('keys-shot');

/** Where to leave a PNG: the scratch folder if there is one, else the test's temp folder. */
function shotPath(name: string): string {
  try {
    mkdirSync(SHOTS, { recursive: true });
    return join(SHOTS, name);
  } catch {
    return join(tmp, name);
  }
}

/** A decoded PNG as a DisplayFrame-like RGBA picture, for the screen helpers. */
function decodedFrame(png: Uint8Array): DisplayFrame {
  const img = decode(png);
  expect(img.depth).toBe(8);
  const n = img.width * img.height;
  const rgba = new Uint8ClampedArray(n * 4);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) rgba[p * 4 + c] = img.data[p * img.channels + c]!;
    rgba[p * 4 + 3] = img.channels === 4 ? img.data[p * 4 + 3]! : 255;
  }
  return { width: img.width, height: img.height, rgba, dirty: null, mode: null };
}

/** Deterministic pseudo-random bytes (xorshift), so a failure can be reproduced. */
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('the PNG encoder', () => {
  it('writes RGB and RGBA that fast-png decodes to the same pixels, for every kind of row', () => {
    const cases: { width: number; height: number; rgba: Uint8Array }[] = [];
    cases.push({ width: 1, height: 1, rgba: Uint8Array.of(1, 2, 3, 255) });
    cases.push({ width: 7, height: 3, rgba: noise(7 * 3 * 4, 7) });
    // Rows that suit each filter: noise (None), horizontal ramps (Sub), repeated rows (Up),
    // smooth gradients (Average, Paeth), and flat areas.
    const w = 320;
    const h = 240;
    const img = new Uint8Array(w * h * 4);
    const rnd = noise(w * h * 4, 42);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 4;
        const band = Math.floor(y / 48);
        const v =
          band === 0 ? [rnd[i]!, rnd[i + 1]!, rnd[i + 2]!, rnd[i + 3]!]
          : band === 1 ? [x & 0xff, (x * 3) & 0xff, 255 - (x & 0xff), 200]
          : band === 2 ? [(x * 7) & 0xff, 9, (x * 5) & 0xff, 255]
          : band === 3 ? [(x + y) & 0xff, (x * y) & 0xff, (x ^ y) & 0xff, (x + 2 * y) & 0xff]
          : [0x10, 0x20, 0x30, 255];
        img.set(v, i);
      }
    }
    cases.push({ width: w, height: h, rgba: img });
    for (const c of cases) {
      for (const alpha of [false, true]) {
        const png = encodePng(c, alpha);
        const d = decode(png);
        expect([d.width, d.height, d.channels, d.depth]).toEqual([c.width, c.height, alpha ? 4 : 3, 8]);
        const want = alpha ? c.rgba : c.rgba.filter((_, i) => i % 4 !== 3);
        expect(Buffer.from(d.data as Uint8Array).equals(Buffer.from(want)), `${c.width}x${c.height} alpha=${alpha}`).toBe(true);
      }
    }
  });

  it('refuses sizes that are no picture', () => {
    expect(() => encodePng({ width: 0, height: 10, rgba: new Uint8Array(0) })).toThrow(RangeError);
    expect(() => encodePng({ width: 2, height: 2, rgba: new Uint8Array(15) })).toThrow(RangeError);
  });
});

describe('screenshots of the guest', () => {
  it('a machine that has not set a video mode gives a black 640x480 picture, said to be blank', () => {
    const m = new Machine({ kernel: odtabKernel().kernel, commandLine: '' });
    const path = join(tmp, 'blank.png');
    expect(writeScreenshot(m, path)).toEqual({ width: 640, height: 480, blank: true });
    const d = decode(readFileSync(path));
    expect([d.width, d.height, d.channels]).toEqual([640, 480, 3]);
    expect((d.data as Uint8Array).every((v) => v === 0)).toBe(true);
  });

  it('the PNG is exactly Machine.display at 320x240, fbcon text in the 6x10 font', () => {
    const s = odSession({ hda: composedDisk() });
    s.waitFor(OD_PROMPT);
    const text = 'odtab --screenshot: 6x10 {fbcon} @ 320x240';
    s.command(`printf '\\033[2J\\033[H%s\\n' '${text}' > /dev/tty1`, OD_PROMPT);
    const path = shotPath('machine-screenshot.png');
    expect(writeScreenshot(s.machine, path)).toEqual({ width: 320, height: 240, blank: false });
    const png = readFileSync(path);
    const shown = s.machine.display;
    expect(shown.mode).toMatchObject({ width: 320, height: 240, format: 'rgb565' });
    const f = decodedFrame(png);
    expect([f.width, f.height]).toEqual([320, 240]);
    let differ = 0;
    for (let i = 0; i < shown.rgba.length; i++) if (shown.rgba[i] !== f.rgba[i]) differ++;
    expect(differ).toBe(0);
    const k = odtabKernel();
    const t = expectText(f, kernelFont(k.kernel, 'System.map-odtab.gz', '6x10', 6, 10), 0, 0, text);
    expect(t.mismatches).toEqual([]);
    expect(t.bg).toEqual([0, 0, 0]);
    expect(t.fg).not.toEqual(t.bg);
  });
});

describe('odtab boot --screenshot', () => {
  beforeAll(() => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build-cli.mjs')], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  function odtab(args: string[]) {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/odtab.mjs'), ...args], { encoding: 'utf8', timeout: 300_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('writes the screen when --until ends the run: the text printed on tty1, glyph by glyph', () => {
    const text = 'Hello from --screenshot, 320x240!';
    const input = join(tmp, 'input.txt');
    // The marker is computed by the guest, so the echo of the typed line does not match it.
    writeFileSync(input, `printf '\\033[2J\\033[H%s\\n' '${text}' > /dev/tty1; echo shot-$((20+22))\n`);
    const path = shotPath('cli-until.png');
    const r = odtab(['boot', '--no-realtime', '--timeout', '280', '--input', input, '--until', 'shot-42', '--screenshot', path]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`odtab: screenshot at exit: ${path} \\(320x240, guest time [\\d.]+ s\\)\\n`));
    const f = decodedFrame(readFileSync(path));
    expect([f.width, f.height]).toEqual([320, 240]);
    const k = odtabKernel();
    const t = expectText(f, kernelFont(k.kernel, 'System.map-odtab.gz', '6x10', 6, 10), 0, 0, text);
    expect(t.mismatches).toEqual([]);
    expect(t.fg).not.toEqual(t.bg);
  });

  it('writes it on --timeout too (exit 3), and refuses a path it could not write before booting', () => {
    const path = join(tmp, 'timeout.png');
    const r = odtab(['boot', '--no-realtime', '--timeout', '3', '--screenshot', path]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/odtab: timeout after 3 s/);
    expect(r.stderr).toContain(`odtab: screenshot at exit: ${path} (`);
    const d = decode(readFileSync(path));
    expect(d.channels).toBe(3);

    const bad = odtab(['boot', '--screenshot', join(tmp, 'no-such-folder', 'x.png')]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^odtab: --screenshot: cannot write '.*x\.png': folder '.*no-such-folder': no such file or directory\n$/);
  });
});
