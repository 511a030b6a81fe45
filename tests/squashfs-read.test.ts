import { mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Squashfs, SquashfsError, blobSource } from '../src/storage/squashfs';
import { tempDir } from './helpers/fat-tools';
import { HAVE_MKSQUASHFS, NEEDS_MKSQUASHFS, mksquashfs, randomBytes, readTree, textBytes } from './helpers/squashfs-tools';

const BLOCK = 4096;
let work: string;
let src: string;

/** A source tree with the cases the format treats differently. */
function makeTree(root: string): void {
  mkdirSync(root);
  writeFileSync(join(root, 'empty'), '');
  writeFileSync(join(root, 'small.txt'), 'hello from the squashfs test\n');
  writeFileSync(join(root, 'one-block.bin'), textBytes(BLOCK, 1));
  writeFileSync(join(root, 'multi-tail.txt'), textBytes(3 * BLOCK + 1000, 2));
  writeFileSync(join(root, 'random.bin'), randomBytes(2 * BLOCK + 77, 3)); // blocks stored uncompressed
  writeFileSync(join(root, 'big.txt'), textBytes(300_000, 4)); // many blocks, also with 128 KiB blocks
  // Sparse: zero blocks in the middle, data at both ends (mksquashfs stores the holes as size 0).
  const sparse = join(root, 'sparse.img');
  writeFileSync(sparse, textBytes(1000, 5));
  truncateSync(sparse, 20 * BLOCK + 123);
  const fd = openSync(sparse, 'r+');
  writeSync(fd, textBytes(500, 6), 0, 500, 10 * BLOCK);
  writeSync(fd, randomBytes(100, 7), 0, 100, 20 * BLOCK);
  closeSync(fd);
  mkdirSync(join(root, 'a/b/c/d'), { recursive: true });
  writeFileSync(join(root, 'a/b/c/d/deep.txt'), 'deep\n');
  writeFileSync(join(root, 'a/b/mid.txt'), textBytes(5000, 8));
  mkdirSync(join(root, 'emptydir'));
  symlinkSync('small.txt', join(root, 'link-rel'));
  symlinkSync('/a/b/mid.txt', join(root, 'link-abs'));
  symlinkSync('a/b', join(root, 'link-dir'));
  symlinkSync('../../small.txt', join(root, 'a/b/link-up'));
  symlinkSync('nowhere', join(root, 'dangling'));
  symlinkSync('loop2', join(root, 'loop1'));
  symlinkSync('loop1', join(root, 'loop2'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
  // Enough entries for several directory headers and an extended (indexed) directory inode.
  mkdirSync(join(root, 'many'));
  for (let i = 0; i < 700; i++) writeFileSync(join(root, 'many', `entry-with-a-longish-name-${String(i).padStart(4, '0')}`), `${i}\n`);
  writeFileSync(join(root, 'mode.sh'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(root, 'unicode-é.txt'), 'ü\n');
}

beforeAll(() => {
  if (!HAVE_MKSQUASHFS) return;
  work = tempDir('squashfs');
  src = join(work, 'tree');
  makeTree(src);
});

/** Everything the reader sees equals the source tree: kinds, modes, contents, link targets. */
async function expectSameTree(fs: Squashfs): Promise<void> {
  const want = readTree(src);
  const seen = new Map<string, string>();
  for await (const { path, inode } of fs.walk()) {
    seen.set(path, inode.kind);
    const w = want.get(path);
    expect(w, `unexpected ${path}`).toBeDefined();
    expect(inode.mode, path).toBe(w!.mode);
    expect(inode.mtime, path).toBe(1700000000);
    if (w!.kind === 'file') {
      expect(inode.kind, path).toBe('file');
      const data = await fs.readFile(inode);
      expect(data.length, path).toBe(w!.data!.length);
      expect(Buffer.from(data).equals(Buffer.from(w!.data!)), `${path} content`).toBe(true);
    } else if (w!.kind === 'symlink') {
      expect(inode.kind, path).toBe('symlink');
      expect(inode.target, path).toBe(w!.target);
    } else {
      expect(inode.kind, path).toBe(w!.kind);
    }
  }
  expect([...seen.keys()].sort()).toEqual([...want.keys()].sort());
}

const COMPRESSORS: [string, string[]][] = [
  ['gzip', ['-comp', 'gzip']],
  ['gzip level 1, window 8', ['-comp', 'gzip', '-Xcompression-level', '1', '-Xwindow-size', '8']],
  ['lzo (lzo1x_999)', ['-comp', 'lzo']],
  ['lzo lzo1x_1', ['-comp', 'lzo', '-Xalgorithm', 'lzo1x_1']],
  ['lzo lzo1x_1_15', ['-comp', 'lzo', '-Xalgorithm', 'lzo1x_1_15']],
  ['lz4', ['-comp', 'lz4']],
  ['lz4 high compression', ['-comp', 'lz4', '-Xhc']],
  ['xz', ['-comp', 'xz']],
  ['xz with x86 and arm BCJ filters', ['-comp', 'xz', '-Xbcj', 'x86,arm']],
  ['zstd', ['-comp', 'zstd']],
  ['zstd level 19', ['-comp', 'zstd', '-Xcompression-level', '19']],
];

describe('squashfs reader on mksquashfs images', () => {
  for (const [name, args] of COMPRESSORS) {
    it.skipIf(!HAVE_MKSQUASHFS)(`${name}: every file, dir, symlink and fifo as in the source tree${NEEDS_MKSQUASHFS}`, async () => {
      const image = join(work, `${name.replace(/\W+/g, '_')}.sqfs`);
      mksquashfs(src, image, ['-b', String(BLOCK), ...args]);
      const fs = await Squashfs.open(readFileSync(image));
      expect(fs.superblock.compressor).toBe(args[1]);
      expect(fs.superblock.blockSize).toBe(BLOCK);
      await expectSameTree(fs);
    });
  }

  it.skipIf(!HAVE_MKSQUASHFS)(`128 KiB blocks, no fragments, uncompressed metadata and data${NEEDS_MKSQUASHFS}`, async () => {
    for (const [i, args] of [['-no-fragments'], ['-noI', '-noD', '-noF', '-noId'], ['-always-use-fragments']].entries()) {
      const image = join(work, `variant${i}.sqfs`);
      mksquashfs(src, image, args);
      const fs = await Squashfs.open(readFileSync(image));
      expect(fs.superblock.blockSize).toBe(128 * 1024);
      await expectSameTree(fs);
    }
  });

  it.skipIf(!HAVE_MKSQUASHFS)(`paths: symlinks followed, lstat, readlink, readdir, errors by code${NEEDS_MKSQUASHFS}`, async () => {
    const image = join(work, 'paths.sqfs');
    mksquashfs(src, image, ['-b', String(BLOCK)]);
    // Through a Blob: reads are slices of it, the image is not copied whole.
    const fs = await Squashfs.open(blobSource(new Blob([readFileSync(image)])));
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    expect(text(await fs.readFile('link-rel'))).toBe('hello from the squashfs test\n');
    expect(text(await fs.readFile('/link-abs'))).toBe(text(readFileSync(join(src, 'a/b/mid.txt'))));
    expect(text(await fs.readFile('link-dir/c/d/deep.txt'))).toBe('deep\n');
    expect(text(await fs.readFile('a/b/link-up'))).toBe('hello from the squashfs test\n');
    expect(text(await fs.readFile('a/b/c/../mid.txt'))).toBe(text(readFileSync(join(src, 'a/b/mid.txt'))));
    expect((await fs.lstat('link-dir')).kind).toBe('symlink');
    expect((await fs.stat('link-dir')).kind).toBe('dir');
    expect(await fs.readlink('dangling')).toBe('nowhere');
    expect((await fs.readdir('many')).length).toBe(700);
    expect((await fs.readdir('/')).map((e) => e.name)).toEqual([...readTree(src).keys()].filter((p) => !p.includes('/')).sort());
    expect((await fs.stat('many/entry-with-a-longish-name-0699')).size).toBe(4);
    const code = async (p: Promise<unknown>) => p.then(() => 'ok', (e) => (e instanceof SquashfsError ? e.code : String(e)));
    expect(await code(fs.readFile('nope'))).toBe('ENOENT');
    expect(await code(fs.readFile('dangling'))).toBe('ENOENT');
    expect(await code(fs.readFile('small.txt/x'))).toBe('ENOTDIR');
    expect(await code(fs.readFile('a'))).toBe('EISDIR');
    expect(await code(fs.readFile('loop1'))).toBe('ELOOP');
    expect(await code(fs.readlink('small.txt'))).toBe('EINVAL');
    expect(await fs.exists('a/b/c/d')).toBe(true);
    expect(await fs.exists('a/b/x')).toBe(false);
  });

  it.skipIf(!HAVE_MKSQUASHFS)(`device nodes from a pseudo file; uid and gid from the id table${NEEDS_MKSQUASHFS}`, async () => {
    const image = join(work, 'dev.sqfs');
    mksquashfs(src, image, ['-p', 'dev d 755 0 0', '-p', 'dev/null c 666 0 0 1 3', '-p', 'dev/sda b 660 1000 6 8 0', '-p', 'owned f 644 1234 5678 echo owned']);
    const fs = await Squashfs.open(readFileSync(image));
    const nul = await fs.stat('dev/null');
    expect(nul.kind).toBe('chardev');
    expect(nul.rdev).toBe((1 << 8) | 3);
    const sda = await fs.stat('dev/sda');
    expect([sda.kind, sda.uid, sda.gid, sda.mode]).toEqual(['blockdev', 1000, 6, 0o660]);
    const owned = await fs.stat('owned');
    expect([owned.uid, owned.gid]).toEqual([1234, 5678]);
    expect(new TextDecoder().decode(await fs.readFile(owned))).toBe('owned\n');
  });

  it.skipIf(!HAVE_MKSQUASHFS)(`lzma (legacy) is refused with a clear error${NEEDS_MKSQUASHFS}`, async () => {
    const image = join(work, 'lzma.sqfs');
    mksquashfs(join(src, 'a'), image, ['-comp', 'lzma']);
    await expect(Squashfs.open(readFileSync(image))).rejects.toThrow(/compressor lzma is not supported/);
  });

  it('the built-in guest rootfs.bin: /bin/busybox and /sbin/init are there', async () => {
    const fs = await Squashfs.open(readFileSync('public/guest/rootfs.bin'));
    expect(fs.superblock.compressor).toBe('gzip');
    const busybox = await fs.readFile('bin/busybox');
    expect([...busybox.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]); // ELF
    expect((await fs.lstat('bin/sh')).kind).toBe('symlink');
  });
});
