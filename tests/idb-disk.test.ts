import { quota } from './helpers/fake-quota';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { composeBootDisk } from '../src/storage/boot-disk';
import { FatVolume } from '../src/storage/fat';
import { CHUNK_BYTES, IdbDiskStore, type DiskBase } from '../src/storage/idb';
import { MemoryDisk } from '../src/storage/memory-disk';
import { HAVE_FAT_TOOLS, NEEDS_TOOLS, fsckProblems, mkfsImage, run, tempDir } from './helpers/fat-tools';
import { readFileSync } from 'node:fs';

let dbCount = 0;
/** A fresh database per test; a second store on the same name is a page reload. */
const newDbName = () => `odtab-test-${++dbCount}`;

const FIXED = () => new Date(Date.UTC(2024, 0, 2, 3, 4, 6));

/** The composed boot disk of a small guest: the base the app recomputes at each load. */
function builtinBase(): DiskBase {
  const disk = composeBootDisk(
    { rootfs: new Uint8Array(300_000).map((_, i) => (i * 31) & 0xff), local: [{ path: 'etc/hello.txt', data: new TextEncoder().encode('hello\n') }] },
    { size: 4 * 1024 * 1024, now: FIXED, volumeId: 0x1234 },
  );
  return { identity: 'builtin:test-1', sectors: disk.sectors, disk, label: 'built-in guest' };
}

function sector(fill: number): Uint8Array {
  return new Uint8Array(512).fill(fill);
}

function readSectors(d: { readSync(l: number, c: number, b: Uint8Array): void }, lba: number, count: number): Uint8Array {
  const b = new Uint8Array(count * 512);
  d.readSync(lba, count, b);
  return b;
}

async function countChunkRecords(dbName: string): Promise<number> {
  const db: IDBDatabase = await new Promise((res, rej) => {
    const r = indexedDB.open(dbName);
    r.onsuccess = () => res(r.result);
    r.onerror = () => rej(r.error);
  });
  const n: number = await new Promise((res, rej) => {
    const r = db.transaction('chunks').objectStore('chunks').count(IDBKeyRange.bound(['chunk'], ['chunk', []]));
    r.onsuccess = () => res(r.result);
    r.onerror = () => rej(r.error);
  });
  db.close();
  return n;
}

afterEach(() => {
  quota.bytesLeft = Infinity;
});

describe('chunked IndexedDB disks', () => {
  it('keeps the guest writes across store instances and stores only the written chunks', async () => {
    const dbName = newDbName();
    const base = builtinBase();
    const disk = await new IdbDiskStore({ dbName }).open('boot', base, { flushDelayMs: 0 });
    expect(disk.sectors).toBe(base.sectors);
    // Three writes in two chunks: one sector, then a run across a chunk boundary.
    disk.writeSync(5, 1, sector(0xa5));
    const boundary = CHUNK_BYTES / 512 - 1;
    disk.writeSync(boundary, 2, new Uint8Array(1024).fill(0x5a));
    expect(disk.dirtyChunks).toBe(2);
    await disk.close();
    expect(await countChunkRecords(dbName)).toBe(2);

    const again = await new IdbDiskStore({ dbName }).open('boot', builtinBase());
    expect(again.storedChunks).toBe(2);
    expect(readSectors(again, 5, 1)).toEqual(sector(0xa5));
    expect(readSectors(again, boundary, 2)).toEqual(new Uint8Array(1024).fill(0x5a));
    // Sectors never written read as the base, in and out of stored chunks.
    expect(readSectors(again, 6, 3)).toEqual(readSectors(base.disk!, 6, 3));
    expect(readSectors(again, 2000, 8)).toEqual(readSectors(base.disk!, 2000, 8));
    const meta = (await new IdbDiskStore({ dbName }).list())[0];
    expect(meta).toMatchObject({ id: 'boot', base: 'builtin:test-1', chunks: [0, 1], label: 'built-in guest' });
  });

  it('the FAT library works on it; the export equals the disk and fsck.fat finds it clean' + NEEDS_TOOLS, async () => {
    const dbName = newDbName();
    const base = builtinBase();
    const disk = await new IdbDiskStore({ dbName }).open('boot', base, { flushDelayMs: 0 });
    const vol = FatVolume.open(disk, { now: FIXED });
    vol.writeFile('local/home/save.dat', new TextEncoder().encode('saved by the guest\n'));
    // The guest's FLUSH CACHE goes through the BlockDevice interface.
    await new Promise<void>((res, rej) => disk.flush((e) => (e ? rej(e) : res())));
    const reopened = await new IdbDiskStore({ dbName }).open('boot', builtinBase());
    expect(new TextDecoder().decode(FatVolume.open(reopened).readFile('local/home/save.dat'))).toBe('saved by the guest\n');
    const exported = new Uint8Array(await reopened.exportBlob().arrayBuffer());
    expect(exported.length).toBe(base.sectors * 512);
    expect(Buffer.from(exported).equals(Buffer.from(readSectors(reopened, 0, reopened.sectors)))).toBe(true);
    const streamed = Buffer.concat([...reopened.exportChunks()]);
    expect(streamed.equals(Buffer.from(exported))).toBe(true);
    if (HAVE_FAT_TOOLS) {
      const img = join(tempDir('idb'), 'export.img');
      writeFileSync(img, exported);
      expect(fsckProblems(img)).toEqual([]);
      expect(run('mtype', ['-i', img, '::local/home/save.dat']).stdout).toBe('saved by the guest\n');
    }
  });

  it.skipIf(!HAVE_FAT_TOOLS)('imports an mkfs.vfat image (zero chunks not stored), then replaces it; reset returns to the base' + NEEDS_TOOLS, async () => {
    const dbName = newDbName();
    const dir = tempDir('idbimport');
    const img = join(dir, 'sd.img');
    mkfsImage(img, 8 << 20, ['-n', 'IMPORTED']);
    writeFileSync(join(dir, 'f.txt'), 'imported file\n');
    run('mcopy', ['-i', img, join(dir, 'f.txt'), '::f.txt']);
    const bytes = new Uint8Array(readFileSync(img));
    const store = new IdbDiskStore({ dbName });
    let progress = 0;
    const meta = await store.importImage('sd', new Blob([bytes]), { label: 'sd.img', onProgress: (d, t) => (progress = d / t) });
    expect(progress).toBe(1);
    expect(meta.base).toBe('zero');
    const nonZero = Array.from({ length: bytes.length / CHUNK_BYTES }, (_, i) => i).filter((i) => bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES).some((b) => b));
    expect(meta.chunks).toEqual(nonZero);
    expect(nonZero.length).toBeLessThan(bytes.length / CHUNK_BYTES / 4);
    const disk = await new IdbDiskStore({ dbName }).openStored('sd');
    expect(disk.sectors).toBe(bytes.length / 512);
    expect(Buffer.from(await disk.exportBlob().arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
    expect(new TextDecoder().decode(FatVolume.open(disk).readFile('f.txt'))).toBe('imported file\n');

    // A second import replaces the first, and the first one's chunks are gone.
    const small = MemoryDisk.fromBytes(new Uint8Array(CHUNK_BYTES * 2).fill(1, 100, 200)).toBytes();
    await store.importImage('sd', small);
    expect(await countChunkRecords(dbName)).toBe(1);
    const second = await new IdbDiskStore({ dbName }).open('sd', { identity: 'zero', sectors: small.length / 512 });
    expect(Buffer.from(await second.exportBlob().arrayBuffer()).equals(Buffer.from(small))).toBe(true);

    // Reset to a base: the stored chunks go, the disk reads as the base.
    const base = builtinBase();
    await store.reset('sd', base);
    expect(await countChunkRecords(dbName)).toBe(0);
    const reset = await new IdbDiskStore({ dbName }).open('sd', builtinBase());
    expect(readSectors(reset, 0, 64)).toEqual(readSectors(base.disk!, 0, 64));
  });

  it('a full quota: the flush fails with a clear message, the stored disk keeps its last good copy, a later flush stores it', async () => {
    const dbName = newDbName();
    const base = builtinBase();
    const errors: Error[] = [];
    const disk = await new IdbDiskStore({ dbName }).open('boot', base, { flushDelayMs: 5, onError: (e) => errors.push(e) });
    disk.writeSync(10, 1, sector(1));
    disk.writeSync(200, 1, sector(1));
    await disk.flushNow();
    // Room for one chunk only: the transaction with two chunks and the metadata must store none.
    quota.bytesLeft = CHUNK_BYTES + 10;
    disk.writeSync(10, 1, sector(2));
    disk.writeSync(200, 1, sector(2));
    await new Promise((r) => setTimeout(r, 50)); // the background flush runs and fails
    expect(errors.length).toBe(1);
    expect(errors[0].message).toMatch(/^browser storage is full: 2 changed chunks of disk 'boot' not saved \(what was stored before is kept/);
    expect(disk.dirtyChunks).toBe(2);
    expect(disk.lastError).toBe(errors[0]);
    await expect(disk.flushNow()).rejects.toThrow(/browser storage is full/);
    // The guest still sees its writes; a reload would see the last good copy, whole.
    expect(readSectors(disk, 10, 1)).toEqual(sector(2));
    const stored = await new IdbDiskStore({ dbName }).open('boot', builtinBase());
    expect(readSectors(stored, 10, 1)).toEqual(sector(1));
    expect(readSectors(stored, 200, 1)).toEqual(sector(1));
    // Space again: the same chunks are stored.
    quota.bytesLeft = Infinity;
    await disk.flushNow();
    expect(disk.dirtyChunks).toBe(0);
    expect(disk.lastError).toBeUndefined();
    const after = await new IdbDiskStore({ dbName }).open('boot', builtinBase());
    expect(readSectors(after, 200, 1)).toEqual(sector(2));
  });

  it('a full quota during an import keeps the previous disk whole and leaves no chunks of the new one', async () => {
    const dbName = newDbName();
    const store = new IdbDiskStore({ dbName });
    const first = new Uint8Array(CHUNK_BYTES * 3).fill(7);
    await store.importImage('sd', first);
    const before = await countChunkRecords(dbName);
    quota.bytesLeft = CHUNK_BYTES * 70; // the first batch of 64 chunks fits, the second does not
    const big = new Uint8Array(CHUNK_BYTES * 100).fill(9);
    await expect(store.importImage('sd', big)).rejects.toThrow(/browser storage is full: the imported image/);
    quota.bytesLeft = Infinity;
    expect(await countChunkRecords(dbName)).toBe(before);
    const disk = await new IdbDiskStore({ dbName }).open('sd', { identity: 'zero', sectors: first.length / 512 });
    expect(Buffer.from(await disk.exportBlob().arrayBuffer()).equals(Buffer.from(first))).toBe(true);
  });

  it('refuses a stored disk made over another base, and bad images', async () => {
    const dbName = newDbName();
    const store = new IdbDiskStore({ dbName });
    const d = await store.open('boot', builtinBase(), { flushDelayMs: 0 });
    d.writeSync(0, 1, sector(3));
    await d.close();
    await expect(store.open('boot', { ...builtinBase(), identity: 'builtin:test-2' })).rejects.toThrow(
      "stored disk 'boot' was made over 'builtin:test-1', not 'builtin:test-2': reset it to use the new one",
    );
    await expect(store.openStored('boot')).rejects.toThrow("stored disk 'boot' is written over 'builtin:test-1': open it with that base");
    await expect(store.openStored('none')).rejects.toThrow("no stored disk 'none'");
    await expect(store.importImage('x', new Uint8Array(1000))).rejects.toThrow(/whole number of 512-byte sectors, not 1000 bytes/);
    expect(() => d.writeSync(0, 1, sector(1))).toThrow(/closed/);
    expect(() => d.readSync(d.sectors, 1, new Uint8Array(512))).toThrow(/outside the disk/);
    await store.delete('boot');
    expect(await store.list()).toEqual([]);
    expect(await countChunkRecords(dbName)).toBe(0);
  });
});

describe('background flushing', () => {
  it('stores a burst of writes once, shortly after it, and reports the dirty count', async () => {
    const dbName = newDbName();
    const counts: number[] = [];
    const disk = await new IdbDiskStore({ dbName }).open('boot', builtinBase(), { flushDelayMs: 20, onDirty: (n) => counts.push(n) });
    for (let i = 0; i < 50; i++) disk.writeSync(i, 1, sector(i)); // all in chunk 0
    disk.writeSync(3000, 1, sector(7)); // chunk 23
    expect(disk.dirtyChunks).toBe(2);
    await new Promise((r) => setTimeout(r, 200));
    expect(disk.dirtyChunks).toBe(0);
    expect(counts).toEqual([1, 2, 0]);
    const stored = await new IdbDiskStore({ dbName }).open('boot', builtinBase());
    expect(readSectors(stored, 49, 1)).toEqual(sector(49));
    expect(readSectors(stored, 3000, 1)).toEqual(sector(7));
    expect(await countChunkRecords(dbName)).toBe(2);
  });
});

describe('stable bases', () => {
  it('the same inputs compose the same bytes at any time; the identity names size and label', async () => {
    const { composeStableBase } = await import('../src/storage/idb');
    const parts = () => ({ rootfs: new Uint8Array(70_000).fill(9), local: [{ path: 'etc/x.sh', data: new TextEncoder().encode('x\n'), modified: new Date() }] });
    const a = composeStableBase('builtin:abc', parts(), { size: 4 << 20 });
    await new Promise((r) => setTimeout(r, 1100)); // FAT times have 2 s steps; the volume id has ms
    const b = composeStableBase('builtin:abc', parts(), { size: 4 << 20 });
    expect(a.identity).toBe(b.identity);
    expect(Buffer.from((a.disk as MemoryDisk).toBytes()).equals(Buffer.from((b.disk as MemoryDisk).toBytes()))).toBe(true);
    expect(composeStableBase('builtin:abc', parts(), { size: 8 << 20 }).identity).not.toBe(a.identity);
    // And a disk stored over one opens over the other.
    const dbName = newDbName();
    const d = await new IdbDiskStore({ dbName }).open('boot', a, { flushDelayMs: 0 });
    FatVolume.open(d).writeFile('local/home/n.txt', new TextEncoder().encode('n\n'));
    await d.close();
    const again = await new IdbDiskStore({ dbName }).open('boot', b);
    expect(new TextDecoder().decode(FatVolume.open(again).readFile('local/home/n.txt'))).toBe('n\n');
    expect(new TextDecoder().decode(FatVolume.open(again).readFile('local/etc/x.sh'))).toBe('x\n');
  });
});
