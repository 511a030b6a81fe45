/**
 * What the boot command gets for --hda/--hdb: openDiskImage (with and without --snapshot) and
 * the pre-boot check, which turns any problem into the one-line UsageError the CLI prints.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/cli/args';
import { checkDiskImage, openDiskImage } from '../src/cli/disk-image';
import { type IoDone, SECTOR_SIZE } from '../src/storage/block-device';
import { FatVolume } from '../src/storage/fat';
import { FileDisk } from '../src/storage/node/file-disk';
import { tempDir } from './helpers/fat-tools';

const dir = tempDir('disk-image');
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function call(op: (done: IoDone) => void): Error | undefined {
  let result: Error | undefined | null = null;
  op((e) => (result = e));
  expect(result).not.toBeNull(); // file-backed requests complete inside the call
  return result ?? undefined;
}

/** A boot disk made with the library: FAT16 with a squashfs-looking rootfs.bin. */
function bootDisk(name: string): string {
  const path = join(dir, name);
  const disk = FileDisk.create(path, 16 << 20);
  const vol = FatVolume.format(disk);
  const rootfs = new Uint8Array(4096);
  rootfs.set(new TextEncoder().encode('hsqs'));
  new DataView(rootfs.buffer).setUint16(28, 4, true);
  new DataView(rootfs.buffer).setBigUint64(40, 4096n, true);
  vol.writeFile('rootfs.bin', rootfs);
  disk.close();
  return path;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('openDiskImage', () => {
  it('without --snapshot guest writes reach the file', () => {
    const path = bootDisk('rw.img');
    const img = openDiskImage(path);
    expect(img.sectors).toBe((16 << 20) / SECTOR_SIZE);
    expect(img.readOnly).toBe(false);
    const data = new Uint8Array(SECTOR_SIZE).fill(0x42);
    expect(call((d) => img.write(img.sectors - 1, 1, data, d))).toBeUndefined();
    expect(call((d) => img.flush(d))).toBeUndefined();
    img.close();
    expect(readFileSync(path).subarray(-SECTOR_SIZE).every((b) => b === 0x42)).toBe(true);
  });

  it('with --snapshot the file stays byte-identical and the guest still sees its writes', () => {
    const path = bootDisk('snap.img');
    const before = sha(path);
    const img = openDiskImage(path, { snapshot: true });
    expect(img.readOnly).toBe(false);
    // Change the file system through the overlay, as a guest would.
    const vol = FatVolume.open(img);
    vol.mkdir('local/home', { parents: true });
    vol.writeFile('local/home/x', new TextEncoder().encode('hi\n'));
    expect(call((d) => img.flush(d))).toBeUndefined();
    const again = new Uint8Array(SECTOR_SIZE);
    expect(call((d) => img.read(0, 1, again, d))).toBeUndefined();
    expect(new TextDecoder().decode(FatVolume.open(img).readFile('local/home/x'))).toBe('hi\n');
    img.close();
    expect(sha(path)).toBe(before);
  });

  it('read-only: the guest sees a disk that refuses writes', () => {
    const path = bootDisk('ro.img');
    const before = sha(path);
    const img = openDiskImage(path, { readOnly: true });
    expect(img.readOnly).toBe(true);
    expect(call((d) => img.write(0, 1, new Uint8Array(SECTOR_SIZE), d))?.message).toMatch(/read-only/);
    img.close();
    expect(sha(path)).toBe(before);
  });

  it('a guest request past the end gets an error, not an exception', () => {
    const img = openDiskImage(bootDisk('end.img'));
    const buf = new Uint8Array(2 * SECTOR_SIZE);
    expect(call((d) => img.read(img.sectors - 1, 2, buf, d))).toBeInstanceOf(RangeError);
    expect(call((d) => img.write(img.sectors, 1, buf, d))).toBeInstanceOf(RangeError);
    img.close();
  });

  it('files it cannot use are one-line UsageErrors', () => {
    const missing = thrown(() => openDiskImage(join(dir, 'missing.img')));
    expect(missing).toBeInstanceOf(UsageError);
    expect(missing.message).toMatch(/^cannot open disk image '.*missing\.img': no such file or directory$/);
    expect(thrown(() => openDiskImage(dir)).message).toMatch(/cannot open disk image .*(directory|not a regular file)/);
    writeFileSync(join(dir, 'tiny.img'), 'abc');
    expect(thrown(() => openDiskImage(join(dir, 'tiny.img'))).message).toMatch(/smaller than one 512-byte sector/);
  });
});

describe('checkDiskImage', () => {
  it('passes a good boot disk and reports what it found', () => {
    const img = openDiskImage(bootDisk('good.img'), { readOnly: true });
    const report = checkDiskImage(img, 'good.img', { boot: true });
    expect(report.rootfs).toEqual({ name: 'rootfs.bin', size: 4096, version: '4.0' });
    img.close();
  });

  it('refuses a disk that is no FAT, or has no rootfs.bin, with one line naming the image', () => {
    const path = join(dir, 'zeros.img');
    writeFileSync(path, new Uint8Array(1 << 20));
    const zeros = openDiskImage(path, { readOnly: true });
    const err = thrown(() => checkDiskImage(zeros, path, { boot: true }));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/^disk image '.*zeros\.img': not a FAT file system: sector 0 is all zeros$/);
    zeros.close();

    const plain = join(dir, 'plain.img');
    const disk = FileDisk.create(plain, 16 << 20);
    FatVolume.format(disk);
    disk.close();
    const img = openDiskImage(plain, { readOnly: true });
    expect(thrown(() => checkDiskImage(img, plain, { boot: true })).message).toMatch(/no 'rootfs\.bin' or 'rootfs\.squashfs'/);
    // A second disk (--hdb) need not hold a root file system.
    expect(checkDiskImage(img, plain, { boot: false }).errors).toEqual([]);
    img.close();
  });
});
