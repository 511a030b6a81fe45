/**
 * The committed demo-app outputs of guest/build.sh (apps/build.sh): fbtest.opk is a squashfs as
 * OpenDingux makes packages (gzip, all files root's, times 0, no xattrs or export table) holding
 * the program, a default.gcw0.desktop with the keys gmenu2x and opkrun read, and a 32x32 PNG icon;
 * fbtest.dge is the same static MIPS program; the manifest names their sizes and hashes.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { HAVE_MKSQUASHFS, run, tempDir } from './helpers/fat-tools';
import { GUEST_DIR } from './helpers/guest';
import { manifest } from './helpers/od-guest';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const opk = readFileSync(join(GUEST_DIR, 'apps/fbtest.opk'));
const dge = readFileSync(join(GUEST_DIR, 'local/apps/fbtest.dge'));

/** A static little-endian MIPS32 executable: ELF32, EM_MIPS, ET_EXEC, no PT_INTERP. */
function expectStaticMipsel(elf: Uint8Array): void {
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  expect([...elf.subarray(0, 6)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 1, 1]);
  expect(dv.getUint16(16, true)).toBe(2);
  expect(dv.getUint16(18, true)).toBe(8);
  const phoff = dv.getUint32(28, true);
  for (let i = 0; i < dv.getUint16(44, true); i++) expect(dv.getUint32(phoff + 32 * i, true), 'PT_INTERP').not.toBe(3);
}

describe('fbtest.opk and fbtest.dge', () => {
  it('the manifest has their sizes and hashes', () => {
    expect(manifest.files['apps/fbtest.opk']).toEqual({ size: opk.length, sha256: sha(opk) });
    expect(manifest.apps.opk).toEqual(['apps/fbtest.opk']);
    expect(manifest.local.files).toContainEqual({ path: 'apps/fbtest.dge', size: dge.length, sha256: sha(dge) });
    expectStaticMipsel(dge);
  });

  it('the .opk superblock: squashfs 4.0, gzip, made at time 0, no export table or xattrs', () => {
    const dv = new DataView(opk.buffer, opk.byteOffset, opk.byteLength);
    expect(opk.subarray(0, 4).toString('latin1')).toBe('hsqs');
    expect(dv.getUint32(8, true), 'mkfs time').toBe(0);
    expect(dv.getUint16(20, true), 'compression').toBe(1); // gzip
    expect([dv.getUint16(28, true), dv.getUint16(30, true)]).toEqual([4, 0]);
    const flags = dv.getUint16(24, true);
    expect(flags & 0x0080, 'exportable').toBe(0);
    expect(flags & 0x0200, 'NO_XATTRS').toBe(0x0200);
    // The xattr and export tables are absent (-1).
    expect(dv.getBigInt64(56, true), 'xattr table').toBe(-1n);
    expect(dv.getBigInt64(88, true), 'export table').toBe(-1n);
  });

  it.skipIf(!HAVE_MKSQUASHFS)('holds the program, default.gcw0.desktop and a 32x32 PNG icon, all root\'s', () => {
    const dir = join(tempDir('opk'), 'root');
    run('unsquashfs', ['-q', '-n', '-d', dir, join(GUEST_DIR, 'apps/fbtest.opk')]);
    expect(readdirSync(dir).sort()).toEqual(['default.gcw0.desktop', 'fbtest', 'fbtest.png']);
    expect(sha(readFileSync(join(dir, 'fbtest')))).toBe(sha(dge));
    const desktop = readFileSync(join(dir, 'default.gcw0.desktop'), 'utf8').split('\n');
    expect(desktop[0]).toBe('[Desktop Entry]');
    const keys = Object.fromEntries(desktop.filter((l) => l.includes('=')).map((l) => l.split(/=(.*)/s).slice(0, 2)));
    expect(keys).toMatchObject({ Name: 'FB Test', Exec: 'fbtest', Icon: 'fbtest', Terminal: 'false', Type: 'Application' });
    expect(keys.Comment).toBeTruthy();
    expect(keys.Categories).toMatch(/^applications;/);
    const png = decode(readFileSync(join(dir, `${keys.Icon}.png`)));
    expect([png.width, png.height]).toEqual([32, 32]);
    // Listing with owners and times: root's, dated 1970.
    const ls = run('unsquashfs', ['-lln', join(GUEST_DIR, 'apps/fbtest.opk')]).stdout.split('\n').filter((l) => l.includes('squashfs-root'));
    expect(ls.length).toBe(4);
    for (const l of ls) expect(l).toMatch(/ 0\/0 .* 1970-01-01 00:00 /);
  });
});
