/**
 * The block devices: memory disk, host file, copy-on-write overlay. Each is driven through the
 * BlockDevice interface the IDE model uses and through the synchronous one the FAT code uses.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BlockDevice, type IoDone, SECTOR_SIZE } from '../src/storage/block-device';
import { CowOverlay } from '../src/storage/cow-overlay';
import { FatVolume } from '../src/storage/fat';
import { MemoryDisk } from '../src/storage/memory-disk';
import { FileDisk } from '../src/storage/node/file-disk';
import { prng, randomBytes, tempDir } from './helpers/fat-tools';

/** Runs a request and returns what `done` reported, checking it was called exactly once. */
function call(op: (done: IoDone) => void): { error: Error | undefined; sync: boolean } {
  let calls = 0;
  let error: Error | undefined;
  op((e) => {
    calls++;
    error = e;
  });
  expect(calls).toBeLessThanOrEqual(1);
  return { error, sync: calls === 1 };
}

async function callAsync(op: (done: IoDone) => void): Promise<Error | undefined> {
  return new Promise((resolve) => op(resolve));
}

/** Byte arrays compared natively (vitest's deep equality is slow on large typed arrays). */
function expectSame(got: Uint8Array, want: Uint8Array, what = 'bytes') {
  expect(got.length, what).toBe(want.length);
  expect(Buffer.compare(Buffer.from(got.buffer, got.byteOffset, got.length), Buffer.from(want.buffer, want.byteOffset, want.length)), what).toBe(0);
}

function sectors(rand: () => number, n: number) {
  return randomBytes(rand, n * SECTOR_SIZE);
}

/** Behaviour every backend shares. */
function commonTests(make: (sectors: number) => BlockDevice & { readSync?: unknown }) {
  it('reads zeros where nothing was written, and what was written elsewhere', () => {
    const dev = make(1000);
    const rand = prng(1);
    const data = sectors(rand, 3);
    expect(call((d) => dev.write(10, 3, data, d))).toEqual({ error: undefined, sync: true });
    const got = new Uint8Array(5 * SECTOR_SIZE).fill(0xaa);
    expect(call((d) => dev.read(9, 5, got, d)).error).toBeUndefined();
    expect(got.subarray(0, SECTOR_SIZE).every((b) => b === 0)).toBe(true);
    expectSame(got.subarray(SECTOR_SIZE, 4 * SECTOR_SIZE), data);
    expect(got.subarray(4 * SECTOR_SIZE).every((b) => b === 0)).toBe(true);
  });

  it('refuses requests outside the disk through done, without throwing', () => {
    const dev = make(100);
    const buf = new Uint8Array(4 * SECTOR_SIZE);
    for (const [lba, count] of [[99, 2], [100, 1], [-1, 1], [0.5, 1], [2 ** 40, 1]]) {
      expect(call((d) => dev.read(lba, count, buf, d)).error).toBeInstanceOf(RangeError);
      expect(call((d) => dev.write(lba, count, buf, d)).error).toBeInstanceOf(RangeError);
    }
    expect(call((d) => dev.read(0, 8, buf, d)).error).toBeInstanceOf(RangeError); // buffer too small
    expect(call((d) => dev.read(99, 1, buf, d)).error).toBeUndefined(); // the last sector is fine
  });

  it('flush completes', () => {
    expect(call((d) => make(10).flush(d)).error).toBeUndefined();
  });
}

describe('MemoryDisk', () => {
  commonTests((n) => new MemoryDisk(n));

  it('takes memory only for chunks written with data', () => {
    const disk = new MemoryDisk(1 << 20); // 512 MiB
    disk.writeSync(0, 256, new Uint8Array(256 * SECTOR_SIZE)); // zeros: nothing stored
    expect(disk.allocatedBytes).toBe(0);
    disk.writeSync(5000, 1, new Uint8Array(SECTOR_SIZE).fill(1));
    expect(disk.allocatedBytes).toBeGreaterThan(0);
    expect(disk.allocatedBytes).toBeLessThanOrEqual(64 * 1024);
  });

  it('round-trips an image through fromBytes and toBytes, across chunk boundaries', () => {
    const bytes = randomBytes(prng(2), 300 * SECTOR_SIZE + 100);
    const disk = MemoryDisk.fromBytes(bytes);
    expect(disk.sectors).toBe(301);
    const out = disk.toBytes();
    expectSame(out.subarray(0, bytes.length), bytes);
    expect(out.subarray(bytes.length).every((b) => b === 0)).toBe(true);
    const mid = new Uint8Array(10 * SECTOR_SIZE);
    disk.readSync(125, 10, mid); // spans the 128-sector chunk edge
    expectSame(mid, bytes.subarray(125 * SECTOR_SIZE, 135 * SECTOR_SIZE));
  });

  it('a read-only memory disk refuses writes', () => {
    const disk = MemoryDisk.fromBytes(new Uint8Array(1024), { readOnly: true });
    expect(call((d) => disk.write(0, 1, new Uint8Array(512), d)).error?.message).toMatch(/read-only/);
  });
});

describe('FileDisk', () => {
  const dir = tempDir('storage-file');
  let n = 0;
  const fresh = (sectorsCount: number) => FileDisk.create(join(dir, `d${n++}.img`), sectorsCount * SECTOR_SIZE);
  commonTests(fresh);

  it('reads and writes the file at sector offsets', () => {
    const path = join(dir, 'offsets.img');
    const initial = randomBytes(prng(3), 64 * SECTOR_SIZE);
    writeFileSync(path, initial);
    const disk = FileDisk.open(path);
    expect(disk.sectors).toBe(64);
    const got = new Uint8Array(2 * SECTOR_SIZE);
    disk.readSync(30, 2, got);
    expectSame(got, initial.subarray(30 * SECTOR_SIZE, 32 * SECTOR_SIZE));
    const data = randomBytes(prng(4), 3 * SECTOR_SIZE);
    expect(call((d) => disk.write(60, 3, data, d))).toEqual({ error: undefined, sync: true });
    expect(call((d) => disk.flush(d)).error).toBeUndefined();
    disk.close();
    const after = readFileSync(path);
    expectSame(new Uint8Array(after.subarray(60 * SECTOR_SIZE, 63 * SECTOR_SIZE)), data);
    expectSame(new Uint8Array(after.subarray(0, 60 * SECTOR_SIZE)), initial.subarray(0, 60 * SECTOR_SIZE));
  });

  it('opened read-only refuses writes and leaves the file untouched', () => {
    const path = join(dir, 'ro.img');
    const initial = randomBytes(prng(5), 8 * SECTOR_SIZE);
    writeFileSync(path, initial);
    const disk = FileDisk.open(path, { readOnly: true });
    expect(disk.readOnly).toBe(true);
    expect(call((d) => disk.write(0, 1, new Uint8Array(SECTOR_SIZE), d)).error?.message).toMatch(/read-only/);
    expect(() => disk.writeSync(0, 1, new Uint8Array(SECTOR_SIZE))).toThrow(/read-only/);
    disk.close();
    expectSame(new Uint8Array(readFileSync(path)), initial);
  });

  it('sizes a file that is not a whole number of sectors by its whole sectors', () => {
    const path = join(dir, 'odd.img');
    writeFileSync(path, new Uint8Array(3 * SECTOR_SIZE + 100));
    const disk = FileDisk.open(path);
    expect(disk.sectors).toBe(3);
    disk.close();
  });

  it('create refuses to replace an existing file, and open reports a missing one', () => {
    const path = join(dir, 'exists.img');
    writeFileSync(path, 'keep me');
    expect(() => FileDisk.create(path, 1024)).toThrow(/EEXIST/);
    expect(readFileSync(path, 'utf8')).toBe('keep me');
    expect(() => FileDisk.open(join(dir, 'missing.img'))).toThrow(/ENOENT/);
    expect(() => FileDisk.open(dir)).toThrow();
  });
});

/** A base device that completes every request later, as a browser store would. */
class DeferredDisk implements BlockDevice {
  readonly sectors: number;
  readonly readOnly = false;
  reads = 0;
  constructor(private readonly inner: MemoryDisk) {
    this.sectors = inner.sectors;
  }
  read(lba: number, count: number, into: Uint8Array, done: IoDone): void {
    this.reads++;
    setTimeout(() => this.inner.read(lba, count, into, done), 1);
  }
  write(lba: number, count: number, from: Uint8Array, done: IoDone): void {
    setTimeout(() => this.inner.write(lba, count, from, done), 1);
  }
  flush(done: IoDone): void {
    setTimeout(done, 1);
  }
}

describe('CowOverlay', () => {
  commonTests((n) => new CowOverlay(new MemoryDisk(n)));

  it('keeps the image file byte-identical while reads see the writes', () => {
    const dir = tempDir('storage-cow');
    const path = join(dir, 'base.img');
    const initial = randomBytes(prng(6), 256 * SECTOR_SIZE);
    writeFileSync(path, initial);
    const file = FileDisk.open(path, { readOnly: true });
    const cow = new CowOverlay(file);
    expect(cow.readOnly).toBe(false);
    const rand = prng(7);
    const model = initial.slice();
    for (let i = 0; i < 200; i++) {
      const lba = Math.floor(rand() * 250);
      const count = 1 + Math.floor(rand() * 6);
      const data = randomBytes(rand, count * SECTOR_SIZE);
      expect(call((d) => cow.write(lba, count, data, d)).error).toBeUndefined();
      model.set(data, lba * SECTOR_SIZE);
    }
    // Reads mixing written and untouched sectors, through both interfaces.
    for (let i = 0; i < 100; i++) {
      const lba = Math.floor(rand() * 200);
      const count = 1 + Math.floor(rand() * 50);
      const got = new Uint8Array(count * SECTOR_SIZE);
      expect(call((d) => cow.read(lba, count, got, d)).error).toBeUndefined();
      expectSame(got, model.subarray(lba * SECTOR_SIZE, (lba + count) * SECTOR_SIZE));
      const got2 = new Uint8Array(count * SECTOR_SIZE);
      cow.readSync(lba, count, got2);
      expectSame(got2, got);
    }
    file.close();
    expectSame(new Uint8Array(readFileSync(path)), initial);
  });

  it('a FAT volume can be changed on the overlay while the image underneath stays as it was', () => {
    const base = new MemoryDisk(16384);
    const vol0 = FatVolume.format(base);
    vol0.writeFile('rootfs.bin', new Uint8Array(5000).fill(7));
    const before = base.toBytes();
    const cow = new CowOverlay(base);
    const vol = FatVolume.open(cow);
    vol.mkdir('local/home', { parents: true });
    vol.writeFile('local/home/x', new TextEncoder().encode('hi\n'));
    vol.remove('rootfs.bin');
    expect(vol.list('').map((e) => e.name)).toEqual(['local']);
    expectSame(base.toBytes(), before);
    expect(FatVolume.open(base).list('').map((e) => e.name)).toEqual(['rootfs.bin']);
  });

  it('works over a base that completes later (reads are split around written sectors)', async () => {
    const inner = MemoryDisk.fromBytes(randomBytes(prng(8), 64 * SECTOR_SIZE));
    const base = new DeferredDisk(inner);
    const cow = new CowOverlay(base);
    const data = new Uint8Array(2 * SECTOR_SIZE).fill(0x5a);
    expect(await callAsync((d) => cow.write(10, 2, data, d))).toBeUndefined();
    const got = new Uint8Array(20 * SECTOR_SIZE);
    expect(await callAsync((d) => cow.read(5, 20, got, d))).toBeUndefined();
    const want = inner.toBytes().slice(5 * SECTOR_SIZE, 25 * SECTOR_SIZE);
    want.set(data, 5 * SECTOR_SIZE);
    expectSame(got, want);
    expect(base.reads).toBe(2); // sectors 5-9 and 12-24; 10-11 came from the overlay
    expect(() => cow.readSync(0, 1, new Uint8Array(SECTOR_SIZE))).toThrow(/synchronously/);
  });

  it('passes a base read error to the caller', async () => {
    const failing: BlockDevice = {
      sectors: 10,
      readOnly: true,
      read: (_l, _c, _i, done) => setTimeout(() => done(new Error('medium error')), 1),
      write: (_l, _c, _f, done) => done(new Error('read-only')),
      flush: (done) => done(),
    };
    const cow = new CowOverlay(failing);
    const err = await callAsync((d) => cow.read(0, 2, new Uint8Array(2 * SECTOR_SIZE), d));
    expect(err?.message).toBe('medium error');
  });
});
