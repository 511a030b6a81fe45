/**
 * fbtest (guest/apps/fbtest.c) on the built-in guest: started as /boot/local/apps/fbtest.dge
 * from the serial shell, it draws its colour bars and button boxes on /dev/fb0 at the documented
 * coordinates, reports every button pressed through the PS/2 keyboard, lights its box while held,
 * and leaves on SELECT+START with the console back in text mode.
 */
import { describe, expect, it } from 'vitest';
import { rgbAt } from './helpers/cirrus-screen';
import {
  FBTEST_BUTTONS,
  button,
  rectMismatches,
  runFor,
  savePng,
  screenText,
  widen565,
} from './helpers/apps-guest';
import { GuestSession, builtinGuest } from './helpers/guest';
import { OD_PROMPT, composedDisk, manifest, odSession } from './helpers/od-guest';

// guest/apps/fbtest.c: bars 40 px wide over rows 0..119, boxes 20x20 at x = 4 + 24 i, y 160.
const BARS = [0xffff, 0xffe0, 0x07ff, 0x07e0, 0xf81f, 0xf800, 0x001f, 0x0000];
const BOX_OFF = widen565(0x4208);
const BOX_ON = widen565(0xffe0);
const BLACK: [number, number, number] = [0, 0, 0];

describe('fbtest.dge on the built-in guest', () => {
  const s = odSession({ hda: composedDisk() });

  it('draws the colour bars and the button boxes pixel for pixel', () => {
    s.waitFor(OD_PROMPT, 180);
    s.type('/boot/local/apps/fbtest.dge\n');
    expect(s.waitFor('fbtest: ready', 30)).not.toMatch(/cannot|need at least/);
    s.waitFor('\n', 5);
    runFor(s, 0.2);
    const f = s.machine.refreshDisplay();
    savePng(f, 'fbtest-dge.png');
    expect(f.mode).toMatchObject({ width: 320, height: 240, format: 'rgb565' });
    BARS.forEach((c, i) => expect(rectMismatches(f, 40 * i, 0, 40, 120, widen565(c)), `bar ${i}`).toEqual([]));
    expect(rectMismatches(f, 0, 120, 320, 40, BLACK)).toEqual([]);
    FBTEST_BUTTONS.forEach((b, i) => {
      expect(rectMismatches(f, 4 + 24 * i, 160, 20, 20, BOX_OFF), b).toEqual([]);
      // The 4-pixel gaps between boxes stay black.
      expect(rectMismatches(f, 24 * i, 160, 4, 20, BLACK), `gap before ${b}`).toEqual([]);
    });
    expect(rectMismatches(f, 0, 180, 320, 60, BLACK)).toEqual([]);
    // The widening is the scan-out's: 5:6:5 white is 255,255,255 and yellow 255,255,0.
    expect(rgbAt(f, 0, 0)).toEqual([255, 255, 255]);
    expect(rgbAt(f, 40, 0)).toEqual([255, 255, 0]);
  });

  it('reports each button on stdout and lights its box while held', () => {
    FBTEST_BUTTONS.forEach((b, i) => {
      button(s, b, true);
      expect(s.waitFor(`fbtest: ${b} down`, 5)).not.toContain('fbtest: key');
      runFor(s, 0.05);
      const held = s.machine.refreshDisplay();
      if (b === 'A') savePng(held, 'fbtest-A-held.png');
      expect(rectMismatches(held, 4 + 24 * i, 160, 20, 20, BOX_ON), `${b} lit`).toEqual([]);
      // Only that box: its neighbours stay grey.
      if (i > 0) expect(rectMismatches(held, 4 + 24 * (i - 1), 160, 20, 20, BOX_OFF)).toEqual([]);
      button(s, b, false);
      s.waitFor(`fbtest: ${b} up`, 5);
      runFor(s, 0.05);
      expect(rectMismatches(s.machine.refreshDisplay(), 4 + 24 * i, 160, 20, 20, BOX_OFF), `${b} released`).toEqual([]);
    });
  });

  it('SELECT+START exits to the shell and fbcon shows text again', () => {
    button(s, 'SELECT', true);
    s.waitFor('fbtest: SELECT down', 5);
    button(s, 'START', true);
    s.waitFor('fbtest: SELECT+START, exiting', 5);
    s.waitFor('fbtest: bye', 5);
    button(s, 'START', false);
    button(s, 'SELECT', false);
    s.waitFor(OD_PROMPT, 10);
    // The keys were grabbed: the shell on ttyS0 is fine and tty1's console is text again.
    s.type('echo back-$((6*7)) > /dev/tty1\n');
    s.waitFor(OD_PROMPT, 10);
    runFor(s, 0.2);
    const f = s.machine.refreshDisplay();
    savePng(f, 'fbtest-after-exit.png');
    expect(screenText(f).some((l) => l.includes('back-42'))).toBe(true);
  });
});

describe("fbtest.dge on Debian's kernel at 640x480", () => {
  it('draws at the top left of a larger screen: 1280-byte lines, not 640', () => {
    const g = builtinGuest();
    const s = new GuestSession({
      kernel: g.kernel,
      initrd: g.initrd,
      commandLine: `${manifest.diskCmdline} video=cirrusfb:640x480-16@60`,
      hda: composedDisk(),
    });
    s.waitFor(OD_PROMPT, 240);
    // Debian's kernel has evdev as a module the initrd does not load: no buttons, only the picture.
    s.type('/boot/local/apps/fbtest.dge & sleep 1; kill %1\n');
    s.waitFor('fbtest: ready 640x480 16bpp line_length=1280\r\n', 30);
    const f = s.machine.refreshDisplay();
    savePng(f, 'fbtest-640x480.png');
    expect([f.width, f.height]).toEqual([640, 480]);
    BARS.forEach((c, i) => expect(rectMismatches(f, 40 * i, 0, 40, 120, widen565(c)), `bar ${i}`).toEqual([]));
    FBTEST_BUTTONS.forEach((b, i) => expect(rectMismatches(f, 4 + 24 * i, 160, 20, 20, BOX_OFF), b).toEqual([]));
    s.waitFor('fbtest: bye', 10);
  });
});
