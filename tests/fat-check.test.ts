/**
 * Damaged and unsuitable images: the checker names the problem in one line, the library throws
 * FatError instead of crashing or hanging, and a boot disk without a squashfs rootfs.bin is
 * refused with the reason.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FatError, FatVolume, checkBootImage, checkFat } from '../src/storage/fat';
import { CowOverlay } from '../src/storage/cow-overlay';
import { MemoryDisk } from '../src/storage/memory-disk';
import { HAVE_FAT_TOOLS, HAVE_MKSQUASHFS, NEEDS_TOOLS, fsckProblems, mkfsImage, prng, run, tempDir } from './helpers/fat-tools';

const enc = (s: string) => new TextEncoder().encode(s);

/** A squashfs 4.0 superblock: magic, version and bytes_used are what the check reads. */
function squashfsHeader(size: number, major = 4): Uint8Array {
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  b.set(enc('hsqs'));
  dv.setUint16(28, major, true);
  dv.setUint16(30, 0, true);
  dv.setBigUint64(40, BigInt(size), true);
  return b;
}

/** An image with a few files on it, and where their clusters are. */
function sample(fatBits?: 12 | 16 | 32) {
  const disk = new MemoryDisk(fatBits === 32 ? 81920 : 32768);
  const vol = FatVolume.format(disk, { fatBits });
  vol.writeFile('rootfs.bin', squashfsHeader(20_000));
  vol.mkdir('local/home', { parents: true });
  vol.writeFile('local/home/a.txt', new Uint8Array(9000).fill(0x61));
  vol.writeFile('local/home/b.txt', new Uint8Array(9000).fill(0x62));
  const chain = (p: string) => vol.table.chain(vol.stat(p)!.firstCluster, p);
  return { disk, vol, chain };
}

/** Sets a FAT entry in every copy, on the disk itself (as damage would). */
function poke(disk: MemoryDisk, vol: FatVolume, cluster: number, value: number) {
  const g = vol.geometry;
  const bytes = disk.toBytes();
  for (let copy = 0; copy < g.fatCount; copy++) {
    const base = (g.reservedSectors + copy * g.fatSectors) * g.bytesPerSector;
    const dv = new DataView(bytes.buffer, base);
    if (g.fatBits === 16) dv.setUint16(cluster * 2, value, true);
    else if (g.fatBits === 32) dv.setUint32(cluster * 4, value, true);
    else {
      const o = cluster + (cluster >> 1);
      const v = dv.getUint16(o, true);
      dv.setUint16(o, cluster & 1 ? (v & 0x000f) | (value << 4) : (v & 0xf000) | value, true);
    }
  }
  return MemoryDisk.fromBytes(bytes);
}

describe.each([12, 16, 32] as const)('broken cluster chains on FAT%i', (bits) => {
  it('a chain that runs into a free cluster', () => {
    const { disk, vol, chain } = sample(bits);
    const c = chain('local/home/a.txt');
    const broken = poke(disk, vol, c[1], 0);
    const report = checkFat(broken);
    expect(report.errors[0]).toMatch(/'\/local\/home\/a\.txt': cluster chain runs into a free cluster/);
    const err = (() => {
      try {
        FatVolume.open(broken).readFile('local/home/a.txt');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(FatError);
    expect((err as FatError).code).toBe('ECORRUPT');
    // Other files still read.
    expect(FatVolume.open(broken).readFile('local/home/b.txt')[0]).toBe(0x62);
  });

  it('a chain that points outside the volume', () => {
    const { disk, vol, chain } = sample(bits);
    const broken = poke(disk, vol, chain('local/home/a.txt')[0], vol.geometry.maxCluster + 1);
    expect(checkFat(broken).errors[0]).toMatch(/'\/local\/home\/a\.txt': cluster chain points outside the volume/);
  });

  it('a chain that loops', () => {
    const { disk, vol, chain } = sample(bits);
    const c = chain('local/home/a.txt');
    const broken = poke(disk, vol, c[c.length - 1], c[0]);
    expect(checkFat(broken).errors[0]).toMatch(/'\/local\/home\/a\.txt': cluster chain loops/);
    expect(() => FatVolume.open(broken).readFile('local/home/a.txt')).toThrow(/loops/);
  });

  it('two files sharing clusters (cross-linked)', () => {
    const { disk, vol, chain } = sample(bits);
    const a = chain('local/home/a.txt');
    const b = chain('local/home/b.txt');
    const broken = poke(disk, vol, a[0], b[1]);
    expect(checkFat(broken).errors.join('\n')).toMatch(/cluster \d+ is also used by '\/local\/home\/[ab]\.txt' \(cross-linked\)/);
  });

  it('a file longer than its chain', () => {
    const { disk, vol, chain } = sample(bits);
    const c = chain('local/home/a.txt');
    const broken = poke(disk, vol, c[0], vol.table.endMark);
    expect(checkFat(broken).errors[0]).toMatch(/'\/local\/home\/a\.txt': file of 9000 bytes has only 1 clusters/);
    expect(() => FatVolume.open(broken).readFile('local/home/a.txt')).toThrow(FatError);
  });

  it('a broken chain also fails the boot check', () => {
    const { disk, vol, chain } = sample(bits);
    const broken = poke(disk, vol, chain('rootfs.bin')[1], 0);
    expect(checkBootImage(broken).errors[0]).toMatch(/'\/rootfs\.bin': cluster chain runs into a free cluster/);
  });
});

describe('bad boot sectors', () => {
  const base = () => sample(16).disk.toBytes();
  const check = (bytes: Uint8Array) => checkFat(MemoryDisk.fromBytes(bytes)).errors;
  const patched = (f: (b: Uint8Array, dv: DataView) => void) => {
    const b = base();
    f(b, new DataView(b.buffer));
    return b;
  };

  it.each([
    ['bytes per sector 0', (_: Uint8Array, dv: DataView) => dv.setUint16(11, 0, true), /not a FAT file system: boot sector gives 0 bytes per sector/],
    ['bytes per sector 1000', (_: Uint8Array, dv: DataView) => dv.setUint16(11, 1000, true), /1000 bytes per sector/],
    ['3 sectors per cluster', (b: Uint8Array) => (b[13] = 3), /3 sectors per cluster/],
    ['no FAT copies', (b: Uint8Array) => (b[16] = 0), /0 FAT copies/],
    ['no reserved sectors', (_: Uint8Array, dv: DataView) => dv.setUint16(14, 0, true), /no reserved sectors/],
    ['bad media byte', (b: Uint8Array) => (b[21] = 0x12), /media byte 0x12/],
    ['a FAT too small for the clusters', (_: Uint8Array, dv: DataView) => dv.setUint16(22, 1, true), /cannot map/],
    ['an image cut short', undefined, /image is truncated: the file system needs 16777216 bytes but the disk has 8388608/],
  ])('%s', (_, f, message) => {
    const errors = check(f ? patched(f) : base().subarray(0, 8 << 20));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  it('an all-zero disk, a squashfs image and a partitioned disk are told apart', () => {
    expect(check(new Uint8Array(1 << 20))[0]).toMatch(/sector 0 is all zeros/);
    expect(check(squashfsHeader(1 << 20))[0]).toMatch(/this is a squashfs image/);
    const mbr = new Uint8Array(1 << 20);
    mbr[446 + 4] = 0x0c; // a FAT32 LBA partition
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    expect(check(mbr)[0]).toMatch(/partition table/);
    expect(checkFat(new MemoryDisk(0)).errors[0]).toMatch(/disk is empty/);
  });

  it('random damage never crashes or hangs the checker or the reader', () => {
    const { disk } = sample(16);
    const rand = prng(99);
    const sector = new Uint8Array(512);
    for (let round = 0; round < 300; round++) {
      // The damage goes into an overlay, so the clean image is not copied every round.
      const damaged = new CowOverlay(disk);
      // Hit the boot sector, the FATs and the directories (the first 200 KiB) hardest.
      for (let i = 0; i < 1 + Math.floor(rand() * 40); i++) {
        const at = rand() < 0.8 ? Math.floor(rand() * 200_000) : Math.floor(rand() * disk.sectors * 512);
        damaged.readSync(at >> 9, 1, sector);
        sector[at & 511] = (rand() * 256) | 0;
        damaged.writeSync(at >> 9, 1, sector);
      }
      const report = checkFat(damaged);
      expect(Array.isArray(report.errors)).toBe(true);
      try {
        const vol = FatVolume.open(damaged);
        const walk = (dir: string, depth: number): void => {
          if (depth > 8) return;
          for (const e of vol.list(dir)) {
            const p = `${dir}/${e.name}`;
            if (e.name.includes('/')) continue; // a damaged name cannot be looked up by path
            if (e.isDirectory) walk(p, depth + 1);
            else vol.readFile(p);
          }
        };
        walk('', 0);
      } catch (e) {
        if (!(e instanceof FatError)) throw e;
      }
    }
  });
});

describe('boot check: rootfs.bin', () => {
  it('a disk without rootfs.bin', () => {
    const disk = new MemoryDisk(32768);
    const vol = FatVolume.format(disk);
    vol.mkdir('local');
    expect(checkBootImage(disk).errors).toEqual([`no 'rootfs.bin' or 'rootfs.squashfs' in the root directory of the disk`]);
    vol.mkdir('rootfs.bin'); // a directory of that name is no rootfs either
    expect(checkBootImage(disk).errors[0]).toMatch(/no 'rootfs.bin'/);
  });

  it.each([
    ['not squashfs', enc('#!/bin/sh\necho not a file system\n'), /'rootfs.bin' is not a squashfs image \(it starts with 23 21 2f 62, not 'hsqs'\)/],
    ['empty', new Uint8Array(0), /'rootfs.bin' is empty/],
    ['squashfs 3', squashfsHeader(4096, 3), /squashfs 3\.0; Linux reads only squashfs 4\.0/],
    ['truncated', squashfsHeader(4096).slice(0, 4000), /truncated: the squashfs needs 4096 bytes, the file has 4000/],
  ])('a rootfs.bin that is %s', (_, content, message) => {
    const disk = new MemoryDisk(32768);
    FatVolume.format(disk).writeFile('rootfs.bin', content);
    const errors = checkBootImage(disk).errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  it('a good one, under either name and in any case', () => {
    for (const name of ['rootfs.bin', 'ROOTFS.BIN', 'rootfs.squashfs']) {
      const disk = new MemoryDisk(32768);
      FatVolume.format(disk).writeFile(name, squashfsHeader(8192));
      const report = checkBootImage(disk);
      expect(report.errors).toEqual([]);
      expect(report.rootfs).toEqual({ name, size: 8192, version: '4.0' });
    }
  });

  it.skipIf(!HAVE_FAT_TOOLS || !HAVE_MKSQUASHFS)(`a real squashfs made by mksquashfs, copied in by mcopy${NEEDS_TOOLS}${HAVE_MKSQUASHFS ? '' : ' [SKIPPED: mksquashfs not installed]'}`, () => {
    const dir = tempDir('fat-check');
    mkdirSync(join(dir, 'root/etc'), { recursive: true });
    writeFileSync(join(dir, 'root/etc/hostname'), 'odtab\n');
    const r = spawnSync('mksquashfs', [join(dir, 'root'), join(dir, 'rootfs.bin'), '-all-root', '-noappend', '-no-progress'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const image = join(dir, 'disk.img');
    mkfsImage(image, 16 << 20);
    run('mcopy', ['-i', image, join(dir, 'rootfs.bin'), '::/rootfs.bin']);
    const report = checkBootImage(MemoryDisk.fromBytes(new Uint8Array(readFileSync(image))));
    expect(report.errors).toEqual([]);
    expect(report.rootfs?.version).toBe('4.0');
  });

  it.skipIf(!HAVE_FAT_TOOLS)(`warnings for harmless leftovers fsck.fat would also mention (lost clusters)${NEEDS_TOOLS}`, () => {
    const { disk, vol } = sample(16);
    // Mark a free cluster as the end of a chain no file owns.
    const lostCluster = vol.geometry.maxCluster - 5;
    const lost = poke(disk, vol, lostCluster, vol.table.endMark);
    const report = checkBootImage(lost);
    expect(report.errors).toEqual([]);
    expect(report.warnings.join('\n')).toMatch(/1 clusters are allocated but belong to no file/);
    const image = join(tempDir('fat-check'), 'lost.img');
    writeFileSync(image, lost.toBytes());
    expect(fsckProblems(image).join('\n')).toMatch(/[Ll]ost|[Rr]eclaim|[Ff]ree cluster/);
  });
});
