import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, encode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { OpkError, desktopPlatform, parseDesktopEntry, readOpk } from '../src/storage/opk';
import { tempDir } from './helpers/fat-tools';
import { HAVE_MKSQUASHFS, NEEDS_MKSQUASHFS, mksquashfs } from './helpers/squashfs-tools';

let work: string;
let icon: Uint8Array;

/** Makes an .opk the way OpenDingux packagers do (mksquashfs ... -all-root -no-xattrs). */
function makeOpk(name: string, files: Record<string, string | Uint8Array>, comp = 'gzip'): string {
  const dir = join(work, name);
  mkdirSync(dir);
  for (const [path, data] of Object.entries(files)) writeFileSync(join(dir, path), data);
  const opk = join(work, `${name}.opk`);
  mksquashfs(dir, opk, ['-all-root', '-no-exports', '-no-xattrs', '-comp', comp]);
  return opk;
}

const GCW0_DESKTOP = `[Desktop Entry]
# comment line
Name=Snake Demo
Name[fr]=Serpent
Comment=Eat the apples\\sand grow
Exec=snake.dge %f
Icon=snake
Terminal=false
Type=Application
Categories=games;arcade;
X-OD-Manual=readme.txt
X-OD-NeedsJoystick=true

[Other Group]
Name=not this one
`;

beforeAll(() => {
  if (!HAVE_MKSQUASHFS) return;
  work = tempDir('opk');
  const px = new Uint8Array(32 * 32 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 7) & 0xff));
  icon = encode({ width: 32, height: 32, data: px, channels: 4, depth: 8 });
});

describe('opk metadata', () => {
  it.skipIf(!HAVE_MKSQUASHFS)(`a gcw0 package: desktop keys, platform, icon PNG${NEEDS_MKSQUASHFS}`, async () => {
    const opk = makeOpk('snake', { 'default.gcw0.desktop': GCW0_DESKTOP, 'snake.png': icon, 'snake.dge': '#!/bin/sh\n', 'readme.txt': 'hi' });
    const info = await readOpk(readFileSync(opk));
    expect(info.compressor).toBe('gzip');
    expect(info.platforms).toEqual(['gcw0']);
    expect(info.ok).toBe(true);
    expect(info.verdict).toBe('listed as "Snake Demo"');
    const [e] = info.usable;
    expect(e).toMatchObject({
      file: 'default.gcw0.desktop',
      platform: 'gcw0',
      name: 'Snake Demo',
      comment: 'Eat the apples and grow',
      exec: 'snake.dge %f',
      icon: 'snake',
      terminal: false,
      type: 'Application',
      categories: ['games', 'arcade'],
      problems: [],
    });
    expect(e.extra).toEqual({ 'Name[fr]': 'Serpent', 'X-OD-Manual': 'readme.txt', 'X-OD-NeedsJoystick': 'true' });
    expect(Buffer.from(e.iconPng!).equals(Buffer.from(icon))).toBe(true);
    expect(decode(e.iconPng!).width).toBe(32);
  });

  it.skipIf(!HAVE_MKSQUASHFS)(`a package for a320 only: the warning names the platform; a320 as our platform accepts it${NEEDS_MKSQUASHFS}`, async () => {
    const opk = makeOpk('a320only', { 'default.a320.desktop': GCW0_DESKTOP.replace('Snake Demo', 'Old Snake'), 'snake.png': icon });
    const info = await readOpk(readFileSync(opk));
    expect(info.ok).toBe(false);
    expect(info.platforms).toEqual(['a320']);
    expect(info.verdict).toBe('only carries metadata for a320, not gcw0 or all: the launcher will not list it');
    const asA320 = await readOpk(readFileSync(opk), { platforms: ['a320'] });
    expect(asA320.ok).toBe(true);
    expect(asA320.usable[0].name).toBe('Old Snake');
  });

  it.skipIf(!HAVE_MKSQUASHFS)(`several platforms, lzo: gcw0 and all are listed, a320 is not${NEEDS_MKSQUASHFS}`, async () => {
    const opk = makeOpk(
      'multi',
      {
        'default.gcw0.desktop': '[Desktop Entry]\nName=Multi G\nExec=m\nIcon=m\n',
        'default.a320.desktop': '[Desktop Entry]\nName=Multi A\nExec=m\nIcon=m\n',
        'extra.all.desktop': '[Desktop Entry]\nName=Multi All\nExec=m --all\n',
        'm.png': icon,
      },
      'lzo',
    );
    const info = await readOpk(new Blob([readFileSync(opk)]));
    expect(info.compressor).toBe('lzo');
    expect(info.platforms.sort()).toEqual(['a320', 'all', 'gcw0']);
    expect(info.usable.map((e) => e.name).sort()).toEqual(['Multi All', 'Multi G']);
  });

  it.skipIf(!HAVE_MKSQUASHFS)(`problems: no desktop file, missing icon, icon that is not PNG, no Exec${NEEDS_MKSQUASHFS}`, async () => {
    const none = await readOpk(readFileSync(makeOpk('nodesktop', { 'app.dge': 'x' })));
    expect(none.ok).toBe(false);
    expect(none.verdict).toMatch(/no \.desktop file/);
    const bad = await readOpk(
      readFileSync(makeOpk('bad', { 'a.gcw0.desktop': '[Desktop Entry]\nName=A\nExec=a\nIcon=gone\n', 'b.all.desktop': '[Desktop Entry]\nName=B\nIcon=notpng\n', 'notpng.png': 'GIF89a' })),
    );
    const a = bad.entries.find((e) => e.name === 'A')!;
    expect(a.problems).toEqual(['icon gone.png is not in the package root']);
    expect(a.iconPng).toBeUndefined();
    const b = bad.entries.find((e) => e.name === 'B')!;
    expect(b.problems).toEqual(['b.all.desktop has no Exec', 'icon notpng.png is not a PNG']);
    // A missing icon still lists the app (with a default icon); no Exec does not.
    expect(bad.usable.map((e) => e.name)).toEqual(['A']);
  });

  it('a file that is not squashfs is a clear OpkError', async () => {
    await expect(readOpk(new Uint8Array(5000).fill(7), { name: 'junk.opk' })).rejects.toThrow(OpkError);
    await expect(readOpk(new Uint8Array(5000).fill(7), { name: 'junk.opk' })).rejects.toThrow(/^junk\.opk is not an \.opk: not a squashfs image/);
  });

  it('desktop file names and syntax', () => {
    expect(desktopPlatform('default.gcw0.desktop')).toBe('gcw0');
    expect(desktopPlatform('my.app.all.desktop')).toBe('all');
    expect(desktopPlatform('app.desktop')).toBeUndefined();
    expect(parseDesktopEntry('Name=outside\n[Desktop Entry]\r\nName = A b \r\nExec=x\\ny\nName=second\n')).toEqual({ Name: 'A b', Exec: 'x\ny' });
  });
});
