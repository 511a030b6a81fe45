/**
 * `odtab boot --hda/--hdb/--snapshot` as a user runs it (node bin/odtab.mjs): disks the boot
 * cannot use stop it with one line and exit code 2, leaving the image byte-identical; disks it
 * can use are attached where QEMU puts them. Guest writes reach the file and survive a guest
 * reboot and the next boot; with --snapshot the file never changes; they are flushed before
 * odtab exits, also when it is killed.
 *
 * Two guests: a hand-assembled kernel (helpers/cli-disk-kernel.ts) that reads and writes a
 * sector by PIO, and Debian's kernel with its plain initrd (no boot=, no ATA driver loaded):
 * there the test checks the PCI side of the boot log and reads the drives' registers through
 * /dev/port. The built-in guest's OpenDingux boot from these disks is in opendingux-*.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { diskKernel } from './helpers/cli-disk-kernel';
import { HAVE_FAT_TOOLS, NEEDS_TOOLS, fsckProblems, mkfsImage, run, tempDir } from './helpers/fat-tools';
import { GUEST_DIR } from './helpers/guest';

const ROOT = new URL('..', import.meta.url).pathname;
const tmp = tempDir('cli-boot-disks');

function odtab(args: string[], opts: { input?: string; timeout?: number } = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/odtab.mjs'), ...args], {
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: opts.timeout ?? 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectBadInput(r: ReturnType<typeof odtab>, message: RegExp) {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^odtab: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

let n = 0;
const fresh = (name: string) => {
  const dir = join(tmp, `case${n++}`);
  mkdirSync(dir);
  return join(dir, name);
};

function file(name: string, data: Uint8Array | string): string {
  const p = fresh(name);
  writeFileSync(p, data);
  return p;
}

/** Passes the squashfs check (magic, version 4.0, bytes_used); the guests here never mount it. */
function fakeSquashfs(size = 4096): Uint8Array {
  const b = new Uint8Array(size).fill(0x5a);
  const dv = new DataView(b.buffer);
  b.set(new TextEncoder().encode('hsqs'));
  dv.setUint16(28, 4, true);
  dv.setUint16(30, 0, true);
  dv.setBigUint64(40, BigInt(size), true);
  return b;
}

/** A raw disk that is no file system: byte 0 is the tiny kernel's counter, the rest a pattern. */
function rawDisk(sectors = 2048, counterLba = 0): string {
  const b = new Uint8Array(sectors * 512);
  for (let i = 0; i < b.length; i++) b[i] = (i * 7 + (i >>> 9)) & 0xff;
  b[counterLba * 512] = 0x30; // '0'
  return file('raw.img', b);
}

/** A FAT16 image made by mkfs.vfat with the given files copied in by mcopy. */
function fatImage(files: Record<string, Uint8Array | string> = {}, mb = 16): string {
  const image = fresh('fat.img');
  mkfsImage(image, mb << 20, ['-F', '16', '-n', 'ODTAB']);
  for (const [name, data] of Object.entries(files)) {
    const src = join(image, '..', `src-${name}`);
    writeFileSync(src, data);
    run('mcopy', ['-i', image, src, `::/${name}`]);
  }
  return image;
}

/** An OpenDingux-style disk made by odtab disk create, with a squashfs-looking rootfs.bin. */
function createdDisk(): string {
  const rootfs = file('rootfs.bin', fakeSquashfs(64 * 1024));
  const image = fresh('disk.img');
  const r = odtab(['disk', 'create', image, '--size', '32M', '--rootfs', rootfs]);
  expect(r.code, r.stderr).toBe(0);
  return image;
}

const LAST_16M = (16 << 20) / 512 - 1;

/** Puts the tiny kernel's counter ('0') at the start of sector `lba`. */
function seedCounter(image: string, lba: number): void {
  const b = readFileSync(image);
  b[lba * 512] = 0x30;
  writeFileSync(image, b);
}

/** Marks the second cluster of `name` (an 8.3 name in the root directory of a FAT16 image) free. */
function breakChain(image: string, name: string): void {
  const b = readFileSync(image);
  const bps = b.readUInt16LE(11);
  const reserved = b.readUInt16LE(14);
  const fats = b[16]!;
  const fatSectors = b.readUInt16LE(22);
  const rootEntries = b.readUInt16LE(17);
  const root = (reserved + fats * fatSectors) * bps;
  const [base, ext = ''] = name.toUpperCase().split('.');
  const want = base!.padEnd(8) + ext.padEnd(3);
  for (let i = 0; i < rootEntries; i++) {
    const e = root + i * 32;
    if (b.toString('latin1', e, e + 11) !== want) continue;
    const first = b.readUInt16LE(e + 26);
    for (let f = 0; f < fats; f++) {
      const fat = (reserved + f * fatSectors) * bps;
      const second = b.readUInt16LE(fat + first * 2);
      b.writeUInt16LE(0, fat + second * 2);
    }
    writeFileSync(image, b);
    return;
  }
  throw new Error(`${name} not found in ${image}`);
}

/** Runs odtab boot and expects a bad-input exit that leaves every image byte-identical. */
function expectRefused(args: string[], images: string[], message: RegExp) {
  const before = images.map(sha);
  expectBadInput(odtab(['boot', '--no-realtime', '--timeout', '60', ...args]), message);
  expect(images.map(sha)).toEqual(before);
}

const kernels = {
  /** Counts 0 -> 2 in byte 0 of the master, rebooting the board after each write. */
  reboot: () => file('count.elf', diskKernel()),
  /** One write to sector 300 of the slave, then spins. */
  slave: () => file('slave.elf', diskKernel({ drive: 'slave', lba: 300, afterWrite: 'spin' })),
  /** One write to byte 0 of sector `lba` of the master, then spins. */
  once: (lba = 0) => file('once.elf', diskKernel({ lba, afterWrite: 'spin' })),
  /** As once, with an OpenDingux-style command line built into the image. */
  withCmdline: (rootfs: string, lba = 0) =>
    file('od.elf', diskKernel({ lba, afterWrite: 'spin', trailer: `boot=/dev/sda loop0=/boot/${rootfs} root=/dev/loop0` })),
};

beforeAll(() => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build-cli.mjs')], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
});

describe('odtab boot --hda/--hdb: bad input exits 2 with one line, images untouched', () => {
  it('--help documents the disk options', () => {
    const r = odtab(['boot', '--help']);
    expect(r.code).toBe(0);
    for (const o of ['--hda FILE', '--hdb FILE', '--snapshot']) expect(r.stdout).toContain(o);
  });

  it('missing file, directory, empty name, same file twice', () => {
    const missing = join(tmp, 'no-such.img');
    expectRefused(['--hda', missing], [], /cannot open disk image '.*no-such\.img': no such file or directory/);
    expectRefused(['--hdb', missing], [], /cannot open disk image '.*no-such\.img': no such file or directory/);
    expectRefused(['--hda', tmp], [], /cannot open disk image '.*': is a directory/);
    expectRefused(['--snapshot', '--hda', tmp], [], /cannot open disk image '.*': is a directory/);
    expectRefused(['--hda', ''], [], /--hda needs a file name/);
    expectRefused(['--hda'], [], /--hda/);
    const raw = rawDisk();
    expectRefused(['--kernel', kernels.once(), '--hda', raw, '--hdb', raw], [raw], /--hda and --hdb are the same file/);
  });

  it('a disk smaller than one sector', () => {
    const tiny = file('tiny.img', 'x'.repeat(100));
    expectRefused(['--kernel', kernels.once(), '--hda', tiny], [tiny], /smaller than one 512-byte sector/);
  });

  it.skipIf(!HAVE_FAT_TOOLS)(`broken FAT chain: on the boot disk, on a FAT --hda of another kernel, on --hdb${NEEDS_TOOLS}`, () => {
    const image = fatImage({ 'rootfs.bin': fakeSquashfs(), 'data.bin': new Uint8Array(20_000).fill(7) });
    breakChain(image, 'data.bin');
    expect(fsckProblems(image).length).toBeGreaterThan(0); // fsck.fat agrees it is damaged
    const broken = /disk image '.*fat\.img': '\/data\.bin': cluster chain runs into a free cluster/;
    expectRefused(['--hda', image], [image], broken);
    expectRefused(['--kernel', kernels.once(), '--hda', image], [image], broken);
    expectRefused(['--snapshot', '--kernel', kernels.once(), '--hda', image], [image], broken);
    const raw = rawDisk();
    expectRefused(['--kernel', kernels.once(), '--hda', raw, '--hdb', image], [raw, image], broken);
  });

  it.skipIf(!HAVE_FAT_TOOLS)(`boot disk without a rootfs: built-in guest, boot= on the command line, loop0= in the kernel${NEEDS_TOOLS}`, () => {
    const image = fatImage({ 'readme.txt': 'no rootfs here\n' });
    // The built-in guests' command lines name rootfs.bin (loop0=/boot/rootfs.bin).
    expectRefused(['--hda', image], [image], /disk image '.*': no 'rootfs\.bin' in the root directory/);
    expectRefused(['--guest', 'debian', '--hda', image], [image], /disk image '.*': no 'rootfs\.bin' in the root directory/);
    const append = 'console=ttyS0 boot=/dev/sda loop0=/boot/rootfs.bin root=/dev/loop0';
    expectRefused(['--kernel', kernels.once(), '--append', append, '--hda', image], [image], /no 'rootfs\.bin' in the root directory/);
    // The kernel's own command line names the file; --append comes first and so wins.
    const od = kernels.withCmdline('rootfs.squashfs');
    expectRefused(['--kernel', od, '--hda', image], [image], /no 'rootfs\.squashfs' in the root directory/);
    expectRefused(['--kernel', od, '--append', 'loop0=/boot/mine.sqfs', '--hda', image], [image], /no 'mine\.sqfs' in the/);
    // The same disk is fine for a kernel that does not look for a rootfs.
    seedCounter(image, LAST_16M);
    const r = odtab(['boot', '--no-realtime', '--kernel', kernels.once(LAST_16M), '--hda', image, '--snapshot', '--until', 'written', '--timeout', '60']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.replace(/\r/g, '')).toBe('count=0\nwritten 1\n');
  });

  it('a kernel that boots from a disk, given none, gets a note and runs', () => {
    const r = odtab(['boot', '--no-realtime', '--kernel', kernels.withCmdline('rootfs.bin'), '--timeout', '1']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^odtab: the kernel command line boots from a disk \(boot=\/loop0=\) but no --hda is given\n/);
  });

  it.skipIf(!HAVE_FAT_TOOLS)(`rootfs that is not squashfs; boot disk that is not FAT${NEEDS_TOOLS}`, () => {
    const image = fatImage({ 'rootfs.bin': '#!/bin/sh\necho not a file system\n' });
    expectRefused(['--hda', image], [image], /'rootfs\.bin' is not a squashfs image \(it starts with 23 21 2f 62, not 'hsqs'\)/);
    const raw = rawDisk();
    expectRefused(['--hda', raw], [raw], /disk image '.*raw\.img': not a FAT file system/);
    expectRefused(['--kernel', kernels.withCmdline('rootfs.bin'), '--hda', raw], [raw], /not a FAT file system/);
  });
});

describe('odtab boot --hda/--hdb with a kernel that reads and writes the disk', () => {
  it('a raw disk is attached with a note; writes reach the file, survive reboots and the next boot', () => {
    const raw = rawDisk();
    const before = readFileSync(raw);
    const k = kernels.reboot();
    const r = odtab(['boot', '--no-realtime', '--kernel', k, '--hda', raw, '--until', 'done', '--timeout', '60']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^odtab: disk image '.*raw\.img' holds no FAT file system; attached as a raw disk\n$/);
    // Each guest reboot found the disk as the guest left it.
    expect(r.stdout.replace(/\r/g, '')).toBe('count=0\nwritten 1\ncount=1\nwritten 2\ncount=2\ndone\n');
    const after = readFileSync(raw);
    expect(after[0]).toBe(0x32);
    expect(after.subarray(1)).toEqual(before.subarray(1));
    const again = odtab(['boot', '--no-realtime', '--quiet', '--kernel', k, '--hda', raw, '--until', 'done', '--timeout', '60']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe('');
    expect(again.stdout.replace(/\r/g, '')).toBe('count=2\ndone\n');
  });

  it('--snapshot: the guest sees its writes, across reboots too, and the file stays byte-identical', () => {
    const raw = rawDisk();
    const before = sha(raw);
    const r = odtab(['boot', '--no-realtime', '--snapshot', '--kernel', kernels.reboot(), '--hda', raw, '--until', 'done', '--timeout', '60']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.replace(/\r/g, '')).toBe('count=0\nwritten 1\ncount=1\nwritten 2\ncount=2\ndone\n');
    expect(sha(raw)).toBe(before);
  });

  it('--hdb is the primary slave: its writes land in the --hdb file only', () => {
    const hda = rawDisk();
    const hdb = rawDisk(1024, 300);
    const [a, bBefore] = [sha(hda), readFileSync(hdb)];
    const r = odtab(['boot', '--no-realtime', '--kernel', kernels.slave(), '--hda', hda, '--hdb', hdb, '--until', 'written', '--timeout', '60']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.replace(/\r/g, '')).toBe('count=0\nwritten 1\n');
    expect(r.stderr.trim().split('\n')).toHaveLength(2); // one raw-disk note per disk
    expect(sha(hda)).toBe(a);
    const bAfter = readFileSync(hdb);
    expect(bAfter[300 * 512]).toBe(0x31);
    bAfter[300 * 512] = 0x30;
    expect(bAfter).toEqual(bBefore);
    // Without a slave the kernel finds no drive there.
    const alone = odtab(['boot', '--no-realtime', '--kernel', kernels.slave(), '--hda', hda, '--timeout', '2']);
    expect(alone.code).toBe(3);
    expect(alone.stdout).not.toContain('count=');
  });

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${signal} stops the machine, flushes and closes the disks, exits ${code}`, async () => {
      const raw = rawDisk();
      const child = spawn(process.execPath, [join(ROOT, 'bin/odtab.mjs'), 'boot', '--no-realtime', '--kernel', kernels.once(), '--hda', raw], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no 'written' after 60 s: ${stdout} ${stderr}`)), 60_000);
        child.stdout.on('data', (d) => {
          stdout += d;
          if (stdout.includes('written')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      child.kill(signal);
      expect(await exited).toBe(code);
      expect(stderr).toContain(`odtab: stopped by ${signal}`);
      expect(readFileSync(raw)[0]).toBe(0x31);
    });
  }

  it.skipIf(!HAVE_FAT_TOOLS)(`FAT disks: checked, attached without a note, written by the guest, still clean for fsck.fat${NEEDS_TOOLS}`, () => {
    const image = fatImage({ 'notes.txt': 'hello\n' });
    const last = LAST_16M;
    seedCounter(image, last);
    const r = odtab(['boot', '--no-realtime', '--kernel', kernels.once(last), '--hda', image, '--until', 'written', '--timeout', '60']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.replace(/\r/g, '')).toBe('count=0\nwritten 1\n');
    expect(readFileSync(image)[last * 512]).toBe(0x31);
    expect(fsckProblems(image)).toEqual([]);

    // A kernel with an OpenDingux command line built in boots from a disk holding its rootfs.
    const od = fatImage({ 'rootfs.squashfs': fakeSquashfs() });
    seedCounter(od, LAST_16M);
    const before = sha(od);
    const k = kernels.withCmdline('rootfs.squashfs', LAST_16M);
    const ok = odtab(['boot', '--no-realtime', '--snapshot', '--kernel', k, '--hda', od, '--until', 'written', '--timeout', '60']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.replace(/\r/g, '')).toBe('count=0\nwritten 1\n');
    expect(sha(od)).toBe(before);
  });
});

/** Typed into the built-in guest: the ATA registers of the master, then of the slave (/dev/port). */
const PROBE = [
  'echo; echo MASTER; dd if=/dev/port bs=1 skip=498 count=6 2>/dev/null | od -An -tx1',
  "printf '\\260' | dd of=/dev/port bs=1 seek=502 2>/dev/null; echo SLAVE; dd if=/dev/port bs=1 skip=498 count=6 2>/dev/null | od -An -tx1",
  'poweroff -f',
  '',
].join('\n');

/** The six registers 0x1F2..0x1F7 as the probe printed them after `label`. */
function registers(stdout: string, label: string): string[] {
  const m = new RegExp(`\\n${label}\\r?\\n\\s*((?:[0-9a-f]{2} ?){6})`).exec(stdout);
  if (!m) throw new Error(`no ${label} registers in:\n${stdout.slice(-2000)}`);
  return m[1]!.trim().split(' ');
}

/** Debian's kernel and initrd with the plain command line: a busybox shell that leaves the disks alone. */
const DEBIAN_PLAIN = [
  '--kernel', GUEST_DIR + 'vmlinux.gz',
  '--initrd', GUEST_DIR + 'initrd.gz',
  '--append', JSON.parse(readFileSync(GUEST_DIR + 'manifest.json', 'utf8')).cmdline,
];

describe("odtab boot --hda/--hdb with Debian's plain guest", () => {
  it.skipIf(!HAVE_FAT_TOOLS)(`the disks are on the PIIX4 IDE's primary channel; odtab writes nothing to them${NEEDS_TOOLS}`, () => {
    const hda = createdDisk();
    const hdb = fatImage({ 'apps.txt': 'a second disk\n' });
    const before = [sha(hda), sha(hdb)];
    const input = file('probe.txt', PROBE);
    const r = odtab(['boot', '--no-realtime', ...DEBIAN_PLAIN, '--hda', hda, '--hdb', hdb, '--input', input, '--timeout', '250']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    // Linux finds the PIIX4 IDE function and gives its bus-master block (BAR 4) an I/O range.
    expect(r.stdout).toMatch(/pci 0000:00:0a\.1: \[8086:7111\] type 00 class 0x010180/);
    expect(r.stdout).toMatch(/pci 0000:00:0a\.1: BAR 4 \[io {2}0x[0-9a-f]+-0x[0-9a-f]+\]: assigned/);
    // Both drives answer with the ATA signature (count 1, LBA 1/0/0) and DRDY|DSC status.
    const master = registers(r.stdout, 'MASTER');
    const slave = registers(r.stdout, 'SLAVE');
    expect([...master.slice(0, 4), master[5]]).toEqual(['01', '01', '00', '00', '50']);
    expect([...slave.slice(0, 4), slave[5]]).toEqual(['01', '01', '00', '00', '50']);
    expect(slave[4]).toBe('b0');
    expect(r.stdout).toContain('reboot: Power down');
    expect([sha(hda), sha(hdb)]).toEqual(before);

    // --hda alone with --snapshot: no slave (status 00h), the image unchanged.
    const alone = odtab(['boot', '--no-realtime', ...DEBIAN_PLAIN, '--snapshot', '--hda', hda, '--input', input, '--timeout', '250']);
    expect(alone.code, alone.stderr).toBe(0);
    expect(registers(alone.stdout, 'MASTER')[5]).toBe('50');
    expect(registers(alone.stdout, 'SLAVE')[5]).toBe('00');
    expect(sha(hda)).toBe(before[0]);
  });
});
