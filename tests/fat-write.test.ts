/**
 * What our FAT library writes, judged by dosfstools and mtools: fsck.fat -n finds nothing wrong
 * and mtools reads back exactly what we wrote, after creating, adding many files (long and
 * unicode names), making directories, deleting, reusing freed space and filling the disk.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FatError, FatVolume, planFormat } from '../src/storage/fat';
import { MemoryDisk } from '../src/storage/memory-disk';
import { FileDisk } from '../src/storage/node/file-disk';
import {
  HAVE_FAT_TOOLS,
  NEEDS_TOOLS,
  type Tree,
  diffTrees,
  fsckProblems,
  fsckUsedClusters,
  mkfsImage,
  mtoolsTree,
  prng,
  randomBytes,
  randomTree,
  run,
  tempDir,
  volumeTree,
} from './helpers/fat-tools';

const enc = (s: string) => new TextEncoder().encode(s);

function readHead(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(n);
  readSync(fd, b, 0, n, 0);
  closeSync(fd);
  return b;
}

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Stores a tree (directories first) through the library. */
function writeTree(vol: FatVolume, tree: Tree): void {
  for (const [p, data] of [...tree].sort(([, a], [, b]) => (a === null ? 0 : 1) - (b === null ? 0 : 1))) {
    if (data === null) vol.mkdir(p, { parents: true });
    else vol.writeFile(p, data);
  }
}

function expectFailure(fn: () => void, code: string): FatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FatError);
    expect((e as FatError).code).toBe(code);
    return e as FatError;
  }
  throw new Error(`expected a FatError ${code}`);
}

describe('format', () => {
  it.skipIf(!HAVE_FAT_TOOLS)(`lays out the disk as mkfs.vfat does for the same size${NEEDS_TOOLS}`, () => {
    const dir = tempDir('fat-format');
    const rand = prng(42);
    const sizes = [
      4096, 8192, 8193, 16384, 40960, 65536, 131072, 262144, 524288, 1048575, 1048576, 1228800, 4194304, 16777216, 33554433, 67108865,
      ...Array.from({ length: 12 }, () => 6000 + Math.floor(rand() * 5_000_000)),
    ];
    for (const sectors of sizes) {
      const image = join(dir, 'mkfs.img');
      mkfsImage(image, sectors * 512);
      const b = readHead(image, 512);
      const fat16 = b.readUInt16LE(22);
      const theirs = {
        fatBits: Number(String.fromCharCode(...b.subarray(fat16 ? 57 : 85, fat16 ? 59 : 87))),
        sectorsPerCluster: b[13],
        reservedSectors: b.readUInt16LE(14),
        rootEntries: b.readUInt16LE(17),
        totalSectors: b.readUInt16LE(19) || b.readUInt32LE(32),
        fatSectors: fat16 || b.readUInt32LE(36),
        sectorsPerTrack: b.readUInt16LE(24),
        heads: b.readUInt16LE(26),
      };
      const { clusterCount: _, ...ours } = planFormat(sectors);
      expect(ours, `${sectors} sectors`).toEqual(theirs);
    }
  });

  it.each([
    ['FAT12', 4 << 20, 12],
    ['FAT16', 64 << 20, 16],
    ['FAT32', 600 << 20, 32],
  ] as const)(`a fresh %s image passes fsck.fat and mtools reads it${NEEDS_TOOLS}`, (_, bytes, bits) => {
    if (!HAVE_FAT_TOOLS) return;
    const dir = tempDir('fat-format');
    const image = join(dir, 'disk.img');
    const disk = FileDisk.create(image, bytes);
    const vol = FatVolume.format(disk, { label: 'ODTAB' });
    disk.close();
    expect(vol.fatBits).toBe(bits);
    expect(fsckProblems(image)).toEqual([]);
    const minfo = run('minfo', ['-i', image, '::']).stdout;
    expect(minfo).toMatch(/disk type="FAT\d+/);
    expect(run('mlabel', ['-s', '-i', image, '::']).stdout).toMatch(/ODTAB/);
    expect(fsckUsedClusters(image)).toBe(vol.geometry.clusterCount - vol.freeBytes / vol.clusterBytes);
    if (bits === 32) expect(Number(/free clusters=(\d+)/.exec(minfo)![1])).toBe(vol.freeBytes / vol.clusterBytes);
  });
});

describe.each([
  ['FAT12', 4 << 20, 40_000, undefined],
  ['FAT16', 20 << 20, 200_000, undefined],
  // FAT32 by default starts at 512 MiB (see 'format' above); forced on a small disk it has
  // 512-byte clusters and more than 65525 of them, which is a FAT32 all the same.
  ['FAT32', 40 << 20, 200_000, 32],
] as const)('writing %s', (label, bytes, maxSize, fatBits) => {
  it.skipIf(!HAVE_FAT_TOOLS)(`add, mkdir, delete, add again, fill up: fsck.fat clean and mtools reads it back${NEEDS_TOOLS}`, () => {
    const dir = tempDir('fat-write');
    const image = join(dir, 'disk.img');
    const disk = FileDisk.create(image, bytes);
    try {
      const vol = FatVolume.format(disk, { fatBits });
      expect(`FAT${vol.fatBits}`).toBe(label);
      const rand = prng(bytes);
      const cb = vol.clusterBytes;

      // 1. Many files: long names, unicode, odd characters, nested directories, empty files.
      const tree = randomTree(rand, { files: 150, dirs: 15, maxSize, clusterBytes: cb });
      tree.set('A long name, with commas; and [brackets] + = signs.txt', enc('odd characters\n'));
      tree.set(`${'x'.repeat(250)}.text`, enc('a 255-character name\n'));
      tree.set('README.TXT', enc('plain 8.3, no long name needed\n'));
      tree.set('lower.txt', enc('lower case 8.3 needs a long name\n'));
      writeTree(vol, tree);
      expect(fsckProblems(image)).toEqual([]);
      expect(diffTrees(tree, mtoolsTree(image))).toEqual([]);
      expect(diffTrees(tree, volumeTree(vol))).toEqual([]);
      // Characters beyond the BMP are stored as UTF-16 surrogate pairs, as Linux and Windows do
      // (mtools 4.0.32 shows them as '_', so only our reader checks this name).
      const emoji = 'Émoji 😀 and ☃ snowman.txt';
      vol.writeFile(emoji, enc('surrogates\n'));
      expect(vol.list('').map((e) => e.name)).toContain(emoji);
      expect(new TextDecoder().decode(vol.readFile(emoji))).toBe('surrogates\n');
      vol.remove(emoji);

      // 2. Delete a third of the files and a directory tree.
      const files = [...tree.keys()].filter((p) => tree.get(p) !== null);
      const freed = new Set<number>();
      for (const p of files.filter((_, i) => i % 3 === 0)) {
        const first = vol.stat(p)!.firstCluster;
        if (first) freed.add(first);
        vol.remove(p);
        tree.delete(p);
      }
      const victim = [...tree.keys()].find((p) => tree.get(p) === null)!;
      vol.remove(victim, { recursive: true });
      for (const p of [...tree.keys()]) if (p === victim || p.startsWith(`${victim}/`)) tree.delete(p);
      expect(fsckProblems(image)).toEqual([]);
      expect(diffTrees(tree, mtoolsTree(image))).toEqual([]);

      // 3. Add again (new files go on from the last allocation, as Linux's allocator does).
      const before = vol.freeBytes;
      const again = randomTree(prng(bytes + 1), { files: 40, dirs: 3, maxSize, clusterBytes: cb });
      for (const [p, data] of again) if ([...tree.keys()].some((k) => k.toUpperCase() === p.toUpperCase())) again.delete(p);
      writeTree(vol, again);
      for (const [p, d] of again) tree.set(p, d);
      expect(vol.freeBytes).toBeLessThan(before);
      expect(fsckProblems(image)).toEqual([]);
      expect(diffTrees(tree, mtoolsTree(image))).toEqual([]);

      // 4. Fill the disk: random files until one does not fit (refused without a change), then
      //    one of exactly the space left.
      const fill = prng(9);
      vol.mkdir('fill');
      tree.set('fill', null);
      for (let n = 0; ; n++) {
        const size = 1 + Math.floor(fill() * maxSize * 4);
        const data = randomBytes(fill, size);
        const path = `fill/file ${n}.bin`;
        if (vol.clustersFor(size) > vol.freeBytes / cb) {
          const sum = sha(image);
          const err = expectFailure(() => vol.writeFile(path, data), 'ENOSPC');
          expect(err.message).toMatch(/no space for 'fill\/file \d+\.bin'/);
          expect(sha(image)).toBe(sum);
          const last = randomBytes(fill, vol.freeBytes - 7);
          vol.writeFile(path, last);
          tree.set(path, last);
          break;
        }
        vol.writeFile(path, data);
        tree.set(path, data);
      }
      expect(vol.freeBytes).toBe(0);
      expectFailure(() => vol.writeFile('one more byte', new Uint8Array(1)), 'ENOSPC');
      expect(vol.freeBytes).toBeLessThan(cb);
      // The allocator came round and reused every cluster freed in step 2.
      expect([...freed].filter((c) => vol.table.get(c) === 0)).toEqual([]);
      expect(fsckProblems(image)).toEqual([]);
      expect(diffTrees(tree, mtoolsTree(image))).toEqual([]);
      // Our idea of used space is fsck's.
      expect(fsckUsedClusters(image)).toBe(vol.geometry.clusterCount - vol.freeBytes / cb);
      if (label === 'FAT32') {
        const info = readFileSync(image).subarray(512, 1024);
        expect(info.readUInt32LE(488)).toBe(vol.freeBytes / cb);
      }
    } finally {
      disk.close();
    }
  });
});

describe('safe writes', () => {
  function freshImage(bytes = 8 << 20) {
    const dir = tempDir('fat-safe');
    const image = join(dir, 'disk.img');
    const disk = FileDisk.create(image, bytes);
    const vol = FatVolume.format(disk);
    return { image, disk, vol };
  }

  it('a name clash fails with EEXIST and changes nothing (also ignoring case)', () => {
    const { image, disk, vol } = freshImage();
    vol.mkdir('local/apps', { parents: true });
    vol.writeFile('local/apps/Game.dge', enc('v1'));
    const sum = sha(image);
    expectFailure(() => vol.writeFile('local/apps/Game.dge', enc('v2')), 'EEXIST');
    expectFailure(() => vol.writeFile('LOCAL/APPS/game.DGE', enc('v2')), 'EEXIST');
    expectFailure(() => vol.writeFile('local/apps/GAME.DGE', enc('v2')), 'EEXIST');
    expectFailure(() => vol.mkdir('local/apps/game.dge'), 'EEXIST');
    expectFailure(() => vol.writeFile('local', enc('x')), 'EISDIR');
    expect(sha(image)).toBe(sum);
    expect(new TextDecoder().decode(vol.readFile('local/apps/Game.dge'))).toBe('v1');
    disk.close();
  });

  it('a file that does not fit fails with ENOSPC and changes nothing', () => {
    const { image, disk, vol } = freshImage();
    const sum = sha(image);
    expectFailure(() => vol.writeFile('big.bin', new Uint8Array(vol.freeBytes + 1)), 'ENOSPC');
    expect(sha(image)).toBe(sum);
    disk.close();
  });

  it('a full root directory (FAT16: 512 entries) fails with ENOSPC and changes nothing', () => {
    const { image, disk, vol } = freshImage(16 << 20);
    expect(vol.geometry.rootEntries).toBe(512);
    for (let i = 0; i < 512; i++) vol.writeFile(`F${i}`, enc(String(i)));
    const sum = sha(image);
    const failed = expectFailure(() => vol.writeFile('F512', enc('one too many')), 'ENOSPC');
    expect(failed.message).toMatch(/root directory is full/);
    expect(sha(image)).toBe(sum);
    disk.close();
    if (HAVE_FAT_TOOLS) expect(fsckProblems(image)).toEqual([]);
  });

  it('preflight refuses a set of files that fits one by one but not together, before writing', () => {
    const { image, disk, vol } = freshImage();
    const third = Math.floor(vol.freeBytes / 3);
    const items = [0, 1, 2, 3].map((i) => ({ path: `new dir/part ${i}`, size: third }));
    const sum = sha(image);
    expectFailure(() => vol.preflight(items), 'ENOSPC');
    vol.preflight(items.slice(0, 2));
    expectFailure(() => vol.preflight([{ path: 'x', size: 1 }, { path: 'X', size: 1 }]), 'EEXIST');
    expect(sha(image)).toBe(sum);
    disk.close();
  });

  it('replace writes the new content and frees the old, even when only the freed space makes it fit', () => {
    const { image, disk, vol } = freshImage();
    const big = Math.floor(vol.freeBytes * 0.7);
    vol.writeFile('rootfs.bin', new Uint8Array(big).fill(1));
    vol.writeFile('rootfs.bin', new Uint8Array(big).fill(2), { replace: true });
    expect(vol.readFile('rootfs.bin').every((b) => b === 2)).toBe(true);
    vol.writeFile('rootfs.bin', enc('small'), { replace: true });
    expect(new TextDecoder().decode(vol.readFile('rootfs.bin'))).toBe('small');
    disk.close();
    if (HAVE_FAT_TOOLS) expect(fsckProblems(image)).toEqual([]);
  });

  it('names FAT cannot store are refused before anything is written', () => {
    const { image, disk, vol } = freshImage();
    const sum = sha(image);
    for (const bad of ['a:b', 'what?', 'x*', 'a<b', 'pipe|', 'quote"', 'back\\slash', 'trailing.', 'trailing ', 'x'.repeat(256), 'ctl\x01']) {
      expectFailure(() => vol.writeFile(bad, enc('x')), 'EINVAL');
    }
    expect(sha(image)).toBe(sum);
    disk.close();
  });

  it('a read-only disk refuses changes', () => {
    const mem = new MemoryDisk(16384);
    FatVolume.format(mem);
    const ro = MemoryDisk.fromBytes(mem.toBytes(), { readOnly: true });
    const vol = FatVolume.open(ro);
    expectFailure(() => vol.writeFile('x', enc('x')), 'EROFS');
    expectFailure(() => vol.mkdir('d'), 'EROFS');
  });
});

describe('directories, names and renames', () => {
  it.skipIf(!HAVE_FAT_TOOLS)(`a directory grows over many clusters; short names stay unique${NEEDS_TOOLS}`, () => {
    const dir = tempDir('fat-dir');
    const image = join(dir, 'disk.img');
    const disk = FileDisk.create(image, 32 << 20);
    const vol = FatVolume.format(disk);
    const tree: Tree = new Map([['many', null]]);
    vol.mkdir('many');
    // Names that all reduce to the same basis, so the numeric tails climb past ~9 and ~99.
    for (let i = 0; i < 400; i++) {
      const p = `many/Program Files entry ${i}.data`;
      tree.set(p, enc(`${i}\n`));
      vol.writeFile(p, enc(`${i}\n`));
    }
    const shorts = vol.list('many').map((e) => e.shortName);
    expect(new Set(shorts).size).toBe(400);
    expect(shorts).toContain('PROG~100.DAT');
    disk.close();
    expect(fsckProblems(image)).toEqual([]);
    expect(diffTrees(tree, mtoolsTree(image))).toEqual([]);
  });

  it.skipIf(!HAVE_FAT_TOOLS)(`rename within a directory and move across directories (with '..' fixed)${NEEDS_TOOLS}`, () => {
    const dir = tempDir('fat-mv');
    const image = join(dir, 'disk.img');
    const disk = FileDisk.create(image, 16 << 20);
    const vol = FatVolume.format(disk);
    vol.mkdir('a/b/c', { parents: true });
    vol.writeFile('a/b/c/file.txt', enc('deep'));
    vol.writeFile('top.txt', enc('top'));
    vol.rename('top.txt', 'Top With Long Name.txt');
    vol.rename('a/b', 'moved b');
    vol.rename('Top With Long Name.txt', 'moved b/c/top.txt');
    vol.rename('moved b/c/file.txt', 'moved b/c/FILE.TXT'); // case-only change
    expectFailure(() => vol.rename('a', 'a/inside'), 'EINVAL');
    expectFailure(() => vol.rename('moved b/c/top.txt', 'moved b/c/FILE.TXT'), 'EEXIST');
    disk.close();
    expect(fsckProblems(image)).toEqual([]);
    const want: Tree = new Map<string, Uint8Array | null>([
      ['a', null],
      ['moved b', null],
      ['moved b/c', null],
      ['moved b/c/FILE.TXT', enc('deep')],
      ['moved b/c/top.txt', enc('top')],
    ]);
    expect(diffTrees(want, mtoolsTree(image))).toEqual([]);
  });

  it.skipIf(!HAVE_FAT_TOOLS)(`files mtools added to an image we made, and ours to one mtools filled, live together${NEEDS_TOOLS}`, () => {
    const dir = tempDir('fat-mix');
    const image = join(dir, 'disk.img');
    mkfsImage(image, 64 << 20);
    run('mmd', ['-i', image, '::/From mtools']);
    run('mcopy', ['-i', image, '-', '::/From mtools/hello.txt'], { input: 'hello from mtools\n' });
    const disk = FileDisk.open(image);
    const vol = FatVolume.open(disk);
    vol.writeFile('From mtools/ours.txt', enc('from odtab\n'));
    vol.remove('From mtools/hello.txt');
    vol.writeFile('From mtools/hello again.txt', enc('again\n'));
    disk.close();
    expect(fsckProblems(image)).toEqual([]);
    expect(run('mtype', ['-i', image, '::/From mtools/ours.txt']).stdout).toBe('from odtab\n');
    expect(run('mtype', ['-i', image, '::/From mtools/hello again.txt']).stdout).toBe('again\n');
  });
});
