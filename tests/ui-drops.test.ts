import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeBootDisk } from '../src/storage/boot-disk';
import { FatVolume } from '../src/storage/fat';
import { MemoryDisk } from '../src/storage/memory-disk';
import type { SyncDisk } from '../src/storage/sync-disk';
import { applyDrops, checkDrop } from '../src/ui/drops/apply';
import { type DropItem, classifyFile } from '../src/ui/drops/classify';
import { tempDir } from './helpers/fat-tools';

const dir = tempDir('ui-drops');
const bytes = (s: string) => new TextEncoder().encode(s);

/** A MIPS (or other) ELF header: enough for the classifier, which reads class, data and machine. */
function elfHeader(machine: number, cls = 1, data = 1): Uint8Array {
  const h = new Uint8Array(64);
  h.set([0x7f, 0x45, 0x4c, 0x46, cls, data, 1]);
  h[18] = machine;
  return h;
}

let images = 0;
function mkfsImage(sizeMiB: number): Uint8Array {
  const path = join(dir, `fat-${sizeMiB}-${++images}.img`);
  execFileSync('mkfs.vfat', ['-C', path, String(sizeMiB * 1024)], { stdio: 'ignore' });
  return new Uint8Array(readFileSync(path));
}

function fsck(disk: SyncDisk): string {
  const path = join(dir, `check-${Math.random().toString(36).slice(2)}.img`);
  const bytes = new Uint8Array(disk.sectors * 512);
  disk.readSync(0, disk.sectors, bytes);
  writeFileSync(path, bytes);
  return execFileSync('fsck.fat', ['-n', path], { encoding: 'utf8' });
}

describe('classifyFile', () => {
  it('recognises kernels, squashfs rootfs and opk, dge, FAT images and local/ files', () => {
    const squash = new Uint8Array([0x68, 0x73, 0x71, 0x73, 0, 0, 0, 0]);
    expect(classifyFile('vmlinux', elfHeader(8)).kind).toBe('kernel');
    expect(classifyFile('rootfs.bin', squash).kind).toBe('rootfs');
    expect(classifyFile('my.squashfs', squash).kind).toBe('rootfs');
    expect(classifyFile('game.opk', squash).kind).toBe('opk');
    expect(classifyFile('GAME.DGE', elfHeader(8)).kind).toBe('dge');
    expect(classifyFile('sd.img', mkfsImage(8)).kind).toBe('image');
    const local = classifyFile('S99x.sh', bytes('echo hi\n'), 'local/etc/init.d/S99x.sh');
    expect(local).toMatchObject({ kind: 'local', name: 'etc/init.d/S99x.sh' });
  });

  it('refuses other files with one line saying why', () => {
    const random = new Uint8Array(4096).map((_, i) => (i * 7919 + 13) & 0xff);
    const r = classifyFile('noise.bin', random);
    expect(r.kind).toBe('unknown');
    expect('reason' in r && r.reason).toMatch(/^noise\.bin is not recognised: /);
    expect(classifyFile('x86', elfHeader(62, 2)).kind).toBe('unknown');
    expect(classifyFile('be-mips', elfHeader(8, 1, 2)).kind).toBe('unknown');
    expect(classifyFile('empty.opk', new Uint8Array(0)).kind).toBe('unknown');
  });

  it('a truncated kernel is refused when dropped', () => {
    const item = classifyFile('vmlinux', elfHeader(8)) as DropItem;
    expect(() => checkDrop(item)).toThrow();
  });
});

describe('applyDrops', () => {
  it('writes .dge, local/ files and rootfs.bin into the boot disk and .opk into a new apps disk; fsck.fat finds both clean', () => {
    const hda = composeBootDisk({ rootfs: new Uint8Array(100_000).fill(1), local: [], dirs: ['apps'] }, { size: 16 * 1024 * 1024 });
    const items: DropItem[] = [
      { kind: 'dge', name: 'hello.dge', data: bytes('dge'), note: '' },
      { kind: 'local', name: 'etc/init.d/S99x.sh', data: bytes('echo hi\n'), note: '' },
      { kind: 'rootfs', name: 'my.squashfs', data: new Uint8Array(50_000).fill(2), note: '' },
      { kind: 'opk', name: 'game.opk', data: bytes('opk'), note: '' },
      { kind: 'opk', name: 'game.opk', data: bytes('opk2'), note: '' },
    ];
    const out = applyDrops(items, { kernel: new Uint8Array(1), hda });
    const vol = FatVolume.open(out.hda);
    expect(new TextDecoder().decode(vol.readFile('local/apps/hello.dge'))).toBe('dge');
    expect(new TextDecoder().decode(vol.readFile('local/etc/init.d/S99x.sh'))).toBe('echo hi\n');
    expect(vol.readFile('rootfs.bin').length).toBe(50_000);
    expect(new TextDecoder().decode(FatVolume.open(out.hdb!).readFile('apps/game.opk'))).toBe('opk2');
    fsck(out.hda);
    fsck(out.hdb!);
  });

  it('too big for the disk: throws and leaves the disk as it was', () => {
    const hda = composeBootDisk({ local: [], dirs: [] }, { size: 2 * 1024 * 1024 });
    const before = hda.toBytes();
    const items: DropItem[] = [
      { kind: 'dge', name: 'small.dge', data: bytes('x'), note: '' },
      { kind: 'rootfs', name: 'rootfs.bin', data: new Uint8Array(4 * 1024 * 1024), note: '' },
    ];
    expect(() => applyDrops(items, { kernel: new Uint8Array(1), hda })).toThrow(/not enough space/);
    expect(Buffer.compare(Buffer.from(hda.toBytes()), Buffer.from(before))).toBe(0);
  });

  it('an image replaces the boot disk; a mkfs.vfat image takes dropped files', () => {
    const image = mkfsImage(8);
    const out = applyDrops(
      [
        { kind: 'image', name: 'sd.img', data: image, note: '' },
        { kind: 'dge', name: 'a.dge', data: bytes('a'), note: '' },
      ],
      { kernel: new Uint8Array(1), hda: new MemoryDisk(8) },
    );
    expect(out.hda.sectors).toBe(image.length / 512);
    expect(FatVolume.open(out.hda).readFile('local/apps/a.dge').length).toBe(1);
    fsck(out.hda);
  });
});
