/**
 * The launcher (guest/apps/launcher.c) on tty1 of the built-in guest, with a second FAT disk
 * (hdb, made by mkfs.vfat + mcopy) carrying apps/fbtest.opk: it lists the .opk by its desktop
 * Name, the .dge from /boot/local/apps and a shell; the buttons move and start; the .opk runs
 * opkrun-style (loop-mounted on /mnt/fbtest, unmounted afterwards), the .dge through /bin/sh -c,
 * and the menu comes back after each.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryDisk } from '../src/storage/memory-disk';
import { rectMismatches, runFor, savePng, screenText, tap, button, widen565 } from './helpers/apps-guest';
import { HAVE_FAT_TOOLS, NEEDS_TOOLS, mkfsImage, run, tempDir } from './helpers/fat-tools';
import { GUEST_DIR } from './helpers/guest';
import { OD_PROMPT, composedDisk, odSession } from './helpers/od-guest';
import type { GuestSession } from './helpers/guest';

const BARS = [0xffff, 0xffe0, 0x07ff, 0x07e0, 0xf81f, 0xf800, 0x001f, 0x0000];

/** A 16 MiB FAT disk with apps/fbtest.opk, as a user would prepare a second card. */
function appsDisk(): MemoryDisk {
  const image = join(tempDir('apps-hdb'), 'hdb.img');
  mkfsImage(image, 16 << 20, ['-n', 'APPS']);
  run('mmd', ['-i', image, '::/apps']);
  run('mcopy', ['-i', image, join(GUEST_DIR, 'apps/fbtest.opk'), '::/apps/fbtest.opk']);
  return MemoryDisk.fromBytes(readFileSync(image));
}

/** Run until the screen's text rows satisfy `ok` (checked every 0.1 s of guest time). */
function waitScreen(s: GuestSession, ok: (rows: string[]) => boolean, seconds = 10): string[] {
  const until = s.machine.seconds + seconds;
  for (;;) {
    const rows = screenText(s.machine.refreshDisplay());
    if (ok(rows)) return rows;
    if (s.machine.seconds > until) throw new Error(`screen never matched; it shows:\n${rows.join('\n')}`);
    runFor(s, 0.1);
  }
}

/** Run until fbtest's colour bars are on the screen, then check them pixel for pixel. */
function expectBars(s: GuestSession, png: string): void {
  const until = s.machine.seconds + 10;
  let f = s.machine.refreshDisplay();
  while (rectMismatches(f, 40, 0, 40, 120, widen565(BARS[1]!)).length > 0) {
    if (s.machine.seconds > until) break;
    runFor(s, 0.1);
    f = s.machine.refreshDisplay();
  }
  runFor(s, 0.2);
  f = s.machine.refreshDisplay();
  savePng(f, png);
  BARS.forEach((c, i) => expect(rectMismatches(f, 40 * i, 0, 40, 120, widen565(c)), `bar ${i}`).toEqual([]));
}

/** fbtest's exit combo; the launcher logs how it ended. */
function exitFbtest(s: GuestSession, what: string): void {
  button(s, 'SELECT', true);
  runFor(s, 0.05);
  button(s, 'START', true);
  runFor(s, 0.05);
  button(s, 'START', false);
  button(s, 'SELECT', false);
  s.waitFor(`launcher: ${what} exited with status 0`, 10);
}

/** The menu's first rows with entry `sel` selected (launcher.c: "> " or "  ", name in 28 columns, where). */
const MENU = (sel: number) => [
  'odtab launcher',
  '',
  ...[
    ['FB Test', 'sdb'],
    ['fbtest.dge', 'local'],
    ['Shell', 'tty1'],
  ].map(([name, where], i) => `${i === sel ? '>' : ' '} ${name!.padEnd(28)} ${where}`),
];

describe.skipIf(!HAVE_FAT_TOOLS)(`the launcher on tty1${NEEDS_TOOLS}`, () => {
  const s = odSession({ hda: composedDisk(), hdb: HAVE_FAT_TOOLS ? appsDisk() : undefined });

  it('lists the .opk from /media/sdb by its desktop Name, the .dge and a shell', () => {
    expect(s.waitFor(OD_PROMPT, 180)).toContain('media: /dev/sdb mounted on /media/sdb');
    const rows = waitScreen(s, (r) => r[0] === 'odtab launcher');
    savePng(s.machine.refreshDisplay(), 'launcher-menu.png');
    expect(rows.slice(0, 5)).toEqual(MENU(0));
    expect(rows[23]).toBe('UP/DOWN: choose  A/START: run');
    // The list goes to dmesg only, out of the serial shell's way.
    expect(s.output).not.toContain('launcher: entry');
    const log = s.command('dmesg | grep launcher:', OD_PROMPT);
    expect(log).toContain('launcher: entry 0: FB Test (/media/sdb/apps/fbtest.opk)');
    expect(log).toContain('launcher: entry 1: fbtest.dge (/boot/local/apps/fbtest.dge)');
    expect(log).toContain('launcher: entry 2: Shell (/bin/sh)');
    // Scanning mounted and unmounted the .opk: nothing is left on /mnt.
    expect(s.command('grep -c " /mnt/" /proc/mounts; ls /mnt | wc -l', OD_PROMPT)).toMatch(/^0\n0\n/m);
  });

  it('DOWN and UP move the selection', () => {
    tap(s, 'DOWN');
    expect(waitScreen(s, (r) => r[3]!.startsWith('>')).slice(0, 5)).toEqual(MENU(1));
    tap(s, 'DOWN');
    tap(s, 'DOWN'); // stays on the last entry
    expect(waitScreen(s, (r) => r[4]!.startsWith('>')).slice(0, 5)).toEqual(MENU(2));
    tap(s, 'UP');
    tap(s, 'UP');
    expect(waitScreen(s, (r) => r[2]!.startsWith('>')).slice(0, 5)).toEqual(MENU(0));
  });

  it('A starts the .opk from the second disk, mounted read-only on /mnt/fbtest; the menu returns after SELECT+START', () => {
    tap(s, 'A');
    s.waitFor('launcher: running /media/sdb/apps/fbtest.opk (FB Test) on /mnt/fbtest: fbtest', 10);
    expectBars(s, 'launcher-opk-running.png');
    // opkrun's mount: loop, read-only, nodev, nosuid.
    const mounts = s.command('grep " /mnt/fbtest " /proc/mounts', OD_PROMPT);
    expect(mounts).toMatch(/^\/dev\/loop\d+ \/mnt\/fbtest squashfs ro,nosuid,nodev/m);
    // The buttons reach the app, not the menu: its B box lights.
    button(s, 'B', true);
    runFor(s, 0.2);
    expect(rectMismatches(s.machine.refreshDisplay(), 4 + 24 * 5, 160, 20, 20, widen565(0xffe0))).toEqual([]);
    button(s, 'B', false);
    exitFbtest(s, '/media/sdb/apps/fbtest.opk');
    expect(waitScreen(s, (r) => r[0] === 'odtab launcher').slice(0, 5)).toEqual(MENU(0));
    savePng(s.machine.refreshDisplay(), 'launcher-back.png');
    expect(s.command('grep -c " /mnt/" /proc/mounts; ls /mnt | wc -l; losetup -a | grep -c fbtest', OD_PROMPT)).toMatch(/^0\n0\n0\n/m);
  });

  it('START runs the .dge from /boot/local/apps through /bin/sh -c', () => {
    tap(s, 'DOWN');
    waitScreen(s, (r) => r[3]!.startsWith('>'));
    tap(s, 'START');
    s.waitFor('launcher: running /boot/local/apps/fbtest.dge: /bin/sh -c /boot/local/apps/fbtest.dge', 10);
    expectBars(s, 'launcher-dge-running.png');
    exitFbtest(s, '/boot/local/apps/fbtest.dge');
    expect(waitScreen(s, (r) => r[0] === 'odtab launcher').slice(0, 5)).toEqual(MENU(1));
  });
});
