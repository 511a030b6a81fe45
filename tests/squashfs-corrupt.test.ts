import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Squashfs, SquashfsError, lz4DecodeBlock, lzo1xDecode, sniffSquashfs } from '../src/storage/squashfs';
import { tempDir } from './helpers/fat-tools';
import { HAVE_MKSQUASHFS, NEEDS_MKSQUASHFS, mksquashfs, randomBytes, textBytes } from './helpers/squashfs-tools';
import { xorshift32 } from './helpers/xorshift';

let tree: string;
let work: string;

beforeAll(() => {
  if (!HAVE_MKSQUASHFS) return;
  work = tempDir('sqcorrupt');
  tree = join(work, 'tree');
  mkdirSync(join(tree, 'd/e'), { recursive: true });
  writeFileSync(join(tree, 'small'), 'small file\n');
  writeFileSync(join(tree, 'd/text'), textBytes(9000, 1));
  writeFileSync(join(tree, 'd/e/random'), randomBytes(5000, 2));
  for (let i = 0; i < 40; i++) writeFileSync(join(tree, 'd', `n${i}`), `${i}`);
  symlinkSync('d/text', join(tree, 'link'));
});

/** Reads everything the image holds; returns the error code, or 'ok'. Anything but SquashfsError fails the test. */
async function readAll(image: Uint8Array): Promise<string> {
  try {
    const fs = await Squashfs.open(image, { maxFileBytes: 1 << 20, maxMetadataBytes: 1 << 20 });
    for await (const { inode } of fs.walk()) {
      if (inode.kind === 'file') await fs.readFile(inode);
    }
    return 'ok';
  } catch (e) {
    if (e instanceof SquashfsError) return e.code;
    throw e;
  }
}

describe('damaged squashfs images give clear errors', () => {
  it('not squashfs, too short, wrong version', async () => {
    await expect(Squashfs.open(new Uint8Array(10))).rejects.toThrow(/not a squashfs image \(10 bytes is too short\)/);
    await expect(Squashfs.open(new Uint8Array(4096))).rejects.toThrow(/no "hsqs" magic/);
    const be = new Uint8Array(96);
    be.set([0x73, 0x71, 0x73, 0x68]);
    await expect(Squashfs.open(be)).rejects.toThrow(/big-endian/);
    expect(sniffSquashfs(be)).toBeUndefined();
    expect(sniffSquashfs(new Uint8Array(8))).toBeUndefined();
    const rootfs = readFileSync('public/guest/rootfs.bin');
    expect(sniffSquashfs(rootfs.subarray(0, 96))).toEqual({ compressor: 'gzip', bytesUsed: expect.any(Number) });
    expect(sniffSquashfs(rootfs.subarray(0, 96))!.bytesUsed).toBeLessThanOrEqual(rootfs.length);
  });

  for (const comp of ['gzip', 'xz', 'lz4', 'lzo', 'zstd']) {
    it.skipIf(!HAVE_MKSQUASHFS)(`${comp}: truncated at every 97th byte, then 300 random byte changes${NEEDS_MKSQUASHFS}`, async () => {
      const path = join(work, `${comp}.sqfs`);
      mksquashfs(tree, path, ['-comp', comp, '-b', '4096']);
      const good = new Uint8Array(readFileSync(path));
      expect(await readAll(good)).toBe('ok');
      // mksquashfs pads the image to 4 KiB; only cuts into the file system itself lose anything.
      const bytesUsed = Number(new DataView(good.buffer).getBigUint64(40, true));
      expect(bytesUsed).toBeLessThanOrEqual(good.length);
      expect(await readAll(good.slice(0, bytesUsed))).toBe('ok');
      for (let cut = 0; cut < bytesUsed; cut += 97) {
        const code = await readAll(good.slice(0, cut));
        expect(code, `cut at ${cut}`).toBe('CORRUPT');
      }
      const rand = xorshift32(comp.length * 7919);
      const codes = new Set<string>();
      for (let round = 0; round < 300; round++) {
        const bad = good.slice();
        const changes = 1 + (rand() % 4);
        for (let i = 0; i < changes; i++) bad[rand() % bad.length] = rand() & 0xff;
        codes.add(await readAll(bad));
      }
      // Each damaged image either still reads (the change hit padding or data) or fails cleanly.
      for (const c of codes) expect(['ok', 'CORRUPT', 'UNSUPPORTED', 'TOO_BIG', 'ENOENT', 'ENOTDIR', 'ELOOP', 'EINVAL', 'EISDIR']).toContain(c);
      expect(codes.has('CORRUPT')).toBe(true);
    }, 120_000);
  }

  it.skipIf(!HAVE_MKSQUASHFS)(`a file over the caller's limit is refused before anything is allocated${NEEDS_MKSQUASHFS}`, async () => {
    const path = join(work, 'gzip.sqfs');
    mksquashfs(tree, path, ['-b', '4096']);
    const fs = await Squashfs.open(readFileSync(path), { maxFileBytes: 4096 });
    await expect(fs.readFile('d/text')).rejects.toThrow(/over the 4096-byte limit/);
  });

  it('lz4 and lzo decoders reject bad streams instead of reading or writing out of bounds', () => {
    // lz4: a match pointing before the start of the output.
    expect(() => lz4DecodeBlock(new Uint8Array([0x10, 0x41, 0x05, 0x00, 0x00]), 100)).toThrow(/points before the output/);
    // lz4: literals longer than the input.
    expect(() => lz4DecodeBlock(new Uint8Array([0xf0, 0x40]), 1000)).toThrow(/past the input/);
    // lz4: more output than allowed.
    expect(() => lz4DecodeBlock(new Uint8Array([0x1f, 0x41, 0x01, 0x00, 0xff, 0xff, 0x00]), 100)).toThrow(/larger than expected/);
    // lzo: a literal run then a match 2 KiB back in a 4-byte output.
    expect(() => lzo1xDecode(new Uint8Array([0x15, 1, 2, 3, 4, 0x00, 0x00]), 100)).toThrow(/points before the output/);
    // lzo: input ending inside an instruction.
    expect(() => lzo1xDecode(new Uint8Array([0x12, 65]), 100)).toThrow(/input ends/);
    // lzo: the smallest valid stream (one literal run, end marker).
    expect([...lzo1xDecode(new Uint8Array([0x15, 1, 2, 3, 4, 0x11, 0, 0]), 100)]).toEqual([1, 2, 3, 4]);
    // Random bytes never escape as anything but a thrown Error.
    const rand = xorshift32(99);
    for (let i = 0; i < 2000; i++) {
      const junk = new Uint8Array(1 + (rand() % 64)).map(() => rand() & 0xff);
      for (const dec of [lz4DecodeBlock, lzo1xDecode]) {
        try {
          const out = dec(junk, 256);
          expect(out.length).toBeLessThanOrEqual(256);
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
        }
      }
    }
  });
});
