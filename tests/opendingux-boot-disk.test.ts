/**
 * composeBootDisk: the OpenDingux-style boot disk put together in memory by odtab's FAT code.
 * mtools reads what it wrote and fsck.fat finds nothing to fix; the CLI's `disk create --builtin`
 * writes the same composition to a file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { composeBootDisk, DEFAULT_BOOT_DISK_BYTES } from '../src/storage/boot-disk';
import { FatError, FatVolume, checkBootImage } from '../src/storage/fat';
import { HAVE_FAT_TOOLS, NEEDS_TOOLS, fsckProblems, run, tempDir } from './helpers/fat-tools';
import { builtinParts, manifest } from './helpers/od-guest';

const ROOT = new URL('..', import.meta.url).pathname;
const tmp = tempDir('od-boot-disk');
const text = (s: string) => new TextEncoder().encode(s);

function odtab(args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/odtab.mjs'), ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build-cli.mjs')], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
});

describe('composeBootDisk', () => {
  it('the built-in parts: 64 MiB FAT16, rootfs.bin whole, local/ with the manifest folders and files, little memory', () => {
    const parts = builtinParts();
    const disk = composeBootDisk(parts);
    expect(disk.sectors * 512).toBe(DEFAULT_BOOT_DISK_BYTES);
    const report = checkBootImage(disk, ['rootfs.bin']);
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.fatBits).toBe(16);
    const vol = FatVolume.open(disk);
    expect(Buffer.from(vol.readFile('rootfs.bin')).equals(parts.rootfs!)).toBe(true);
    for (const d of manifest.local.dirs as string[]) expect(vol.stat(`local/${d}`)?.isDirectory, d).toBe(true);
    for (const f of manifest.local.files as { path: string; size: number }[]) expect(vol.stat(`local/${f.path}`)?.size).toBe(f.size);
    // Sparse: the disk takes about what the files take, not 64 MiB.
    expect(disk.allocatedBytes).toBeLessThan(parts.rootfs!.length + (1 << 20));
  });

  it.skipIf(!HAVE_FAT_TOOLS)(`long names, nested folders, FAT32: mtools reads it back, fsck.fat is clean${NEEDS_TOOLS}`, () => {
    const disk = composeBootDisk(
      {
        rootfs: text('hsqs and so on'),
        rootfsName: 'rootfs.squashfs',
        local: [
          { path: 'home/A long name, with spaces.txt', data: text('one\n') },
          { path: 'apps/sub/dir/deep.txt', data: new Uint8Array(70_000).fill(0x41) },
        ],
        dirs: ['etc/init.d', 'Saves'],
      },
      { size: 64 << 20, fatBits: 32, label: 'ODTAB' },
    );
    const image = join(tmp, 'fat32.img');
    writeFileSync(image, disk.toBytes());
    expect(fsckProblems(image)).toEqual([]);
    expect(run('mtype', ['-i', image, '::/local/home/A long name, with spaces.txt']).stdout).toBe('one\n');
    expect(run('mtype', ['-i', image, '::/local/apps/sub/dir/deep.txt']).stdout).toBe('A'.repeat(70_000));
    const root = run('mdir', ['-i', image, '-b', '::/local']).stdout.split('\n').filter(Boolean).sort();
    expect(root).toEqual(['::/local/Saves/', '::/local/apps/', '::/local/etc/', '::/local/home/']);
    expect(run('minfo', ['-i', image]).stdout).toMatch(/disk type="FAT32   "/);
  });

  it('too much for the size, or a size that is no whole number of sectors: a FatError, nothing else', () => {
    const big = { rootfs: new Uint8Array(3 << 20) };
    expect(() => composeBootDisk(big, { size: 2 << 20 })).toThrow(FatError);
    expect(() => composeBootDisk(big, { size: 2 << 20 })).toThrow(/not enough space/);
    expect(() => composeBootDisk({}, { size: 1000 })).toThrow(/not a whole number of 512-byte sectors/);
    expect(() => composeBootDisk({ local: [{ path: 'a/../b', data: text('x') }] })).toThrow(FatError);
  });
});

describe('odtab disk create --builtin', () => {
  it('bad combinations and sizes: one line, exit 2, no image left behind', () => {
    const image = join(tmp, 'refused.img');
    for (const [args, message] of [
      [['--rootfs', join(ROOT, 'public/guest/rootfs.bin')], /--builtin brings its own rootfs and local\/; it does not go with --rootfs/],
      [['--local', tmp], /it does not go with --local/],
      [['--size', '1M'], /not enough space/],
    ] as const) {
      const r = odtab(['disk', 'create', image, '--builtin', ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(existsSync(image)).toBe(false);
    }
    expect(readdirSync(tmp).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it.skipIf(!HAVE_FAT_TOOLS)(`--size and --label: the image odtab boot would compose, at that size${NEEDS_TOOLS}`, () => {
    const image = join(tmp, 'big.img');
    const r = odtab(['disk', 'create', image, '--builtin', '--size', '600M', '--label', 'MYCARD']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`big.img: 600 MiB FAT32, built-in guest, ${1 + manifest.local.files.length} files`);
    expect(fsckProblems(image)).toEqual([]);
    expect(run('minfo', ['-i', image]).stdout).toMatch(/disk label="MYCARD     "/);
    expect(odtab(['disk', 'cat', image, 'local/etc/init.d/S90example.sh']).stdout).toContain('hello from the FAT disk');
    expect(odtab(['disk', 'check', image]).code).toBe(0);
  });
});
