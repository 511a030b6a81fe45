import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/fat-tools';
import { GUEST_DIR } from './helpers/guest';

const ROOT = new URL('..', import.meta.url).pathname;
const tmp = tempDir('cli');

function odtab(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/odtab.mjs'), ...args], {
    input: input ?? '',
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A minimal ELF32 header with the given class/endianness/machine and one PT_LOAD. */
function elfHeader(opts: { cls?: number; data?: number; machine?: number; filesz?: number; fileLen?: number }) {
  const len = opts.fileLen ?? 0x100;
  const b = new Uint8Array(len);
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, opts.cls ?? 1, opts.data ?? 1, 1]);
  dv.setUint16(16, 2, true);
  dv.setUint16(18, opts.machine ?? 8, true);
  dv.setUint32(24, 0x80100000, true);
  dv.setUint32(28, 52, true);
  dv.setUint16(42, 32, true);
  dv.setUint16(44, 1, true);
  dv.setUint32(52, 1, true); // PT_LOAD
  dv.setUint32(56, 0x100, true); // offset
  dv.setUint32(60, 0x80100000, true);
  dv.setUint32(68, opts.filesz ?? 0x1000, true);
  dv.setUint32(72, opts.filesz ?? 0x1000, true);
  return b;
}

function file(name: string, data: Uint8Array | string): string {
  const p = join(tmp, name);
  writeFileSync(p, data);
  return p;
}

function expectBadInput(r: ReturnType<typeof odtab>, message: RegExp) {
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^odtab: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(() => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build-cli.mjs')], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
});

describe('odtab boot: bad input exits 2 with one clear line', () => {
  it('missing kernel file', () => {
    expectBadInput(odtab(['boot', '--kernel', join(tmp, 'nope')]), /cannot read kernel .*no such file/);
  });
  it('kernel that is not an ELF', () => {
    expectBadInput(odtab(['boot', '--kernel', file('text', 'hello world, not a kernel\n')]), /not an ELF/);
  });
  it('ELF for another machine', () => {
    expectBadInput(odtab(['boot', '--kernel', file('x86', elfHeader({ machine: 3 }))]), /not MIPS/);
  });
  it('big-endian MIPS ELF', () => {
    expectBadInput(odtab(['boot', '--kernel', file('be', elfHeader({ data: 2 }))]), /big-endian/);
  });
  it('64-bit ELF', () => {
    expectBadInput(odtab(['boot', '--kernel', file('64', elfHeader({ cls: 2 }))]), /64-bit/);
  });
  it('truncated segment', () => {
    const real = gunzipSync(readFileSync(GUEST_DIR + 'vmlinux.gz'));
    expectBadInput(odtab(['boot', '--kernel', file('trunc', real.subarray(0, 1 << 20))]), /segment 0 is truncated/);
  });
  it('initrd that does not fit in RAM', () => {
    const k = file('small', elfHeader({ fileLen: 0x1100 }));
    const big = file('big-initrd', new Uint8Array(40 << 20));
    expectBadInput(odtab(['boot', '--kernel', k, '--initrd', big, '--mem', '32']), /initrd.*do not fit/);
  });
  it('kernel larger than RAM', () => {
    expectBadInput(odtab(['boot', '--guest', 'debian', '--mem', '16']), /does not fit in 16 MiB/);
  });
  it('bad options', () => {
    expectBadInput(odtab(['boot', '--cpu', 'r4000']), /--cpu must be 24Kf or 4KEc/);
    expectBadInput(odtab(['boot', '--mem', 'lots']), /--mem/);
    expectBadInput(odtab(['boot', '--bogus']), /bogus/);
    expectBadInput(odtab(['frobnicate']), /unknown command/);
    expectBadInput(odtab(['boot', '--guest', 'gcw0']), /--guest must be odtab or debian, not 'gcw0'/);
    expectBadInput(odtab(['boot', '--guest', 'debian', '--kernel', file('k', elfHeader({}))]), /--guest .* does not go with --kernel/);
  });
});

describe('odtab boot: options', () => {
  it('--help documents the options', () => {
    const r = odtab(['boot', '--help']);
    expect(r.code).toBe(0);
    for (const o of ['--guest', '--kernel', '--initrd', '--append', '--mem', '--cpu', '--until', '--timeout', '--input', '--realtime', '--trace']) {
      expect(r.stdout).toContain(o);
    }
  });
  it('--until exits 0 when the text appears', () => {
    const r = odtab(['boot', '--no-realtime', '--until', 'Run /init as init process', '--timeout', '200']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Run /init as init process');
  });
  it('--timeout exits 3', () => {
    const r = odtab(['boot', '--no-realtime', '--timeout', '1']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/timeout after 1 s/);
  });
  it('--input types into the built-in guest\'s shell and poweroff -f ends the process with 0', () => {
    const input = file('input', 'uname -m\necho $((6*7))\npoweroff -f\n');
    const r = odtab(['boot', '--no-realtime', '--input', input, '--timeout', '250']);
    expect(r.code).toBe(0);
    // Without --hda the boot disk is composed in memory, and odtab says so once.
    expect(r.stderr).toMatch(/^odtab: boot disk: the built-in rootfs\.bin and local\/ on a 64 MiB FAT16 disk in memory; the guest's changes to it are lost at exit \(to keep them: odtab disk create sd\.img --builtin, then odtab boot --hda sd\.img\)\n$/);
    expect(r.stdout).toMatch(/opendingux:\/boot\/local\/home # (\x1b\[6n)?uname -m\r?\nmips\r?\n/);
    expect(r.stdout).toMatch(/\r?\n42\r?\n/);
    expect(r.stdout).toContain('reboot: Power down');
  });
  it('--append goes after the built-in guest\'s own command line', () => {
    const od = odtab(['boot', '--no-realtime', '--append', 'odtab.marker=1', '--until', 'odtab.marker=1', '--timeout', '200']);
    expect(od.code).toBe(0);
    // odtab's kernel: lpj= from odtab, the user's line, the console Malta adds, then the built-in line.
    expect(od.stdout).toContain('Kernel command line: lpj=1000000 odtab.marker=1 console=ttyS0,38400n8r boot=/dev/sda loop0=/boot/rootfs.bin root=/dev/loop0');
    const debian = odtab(['boot', '--guest', 'debian', '--no-realtime', '--append', 'odtab.marker=2', '--until', 'odtab.marker=2', '--timeout', '200']);
    expect(debian.code).toBe(0);
    expect(debian.stdout).toMatch(
      /Kernel command line: rd_start=0x[0-9a-f]+ rd_size=\d+ console=ttyS0 nokaslr lpj=400000 cryptomgr\.notests boot=\/dev\/sda loop0=\/boot\/rootfs\.bin root=\/dev\/loop0 odtab\.marker=2/,
    );
  });
  it('--kernel and --append boot exactly what is given (Debian\'s plain guest, no disk)', () => {
    const append = 'console=ttyS0 nokaslr lpj=400000 cryptomgr.notests odtab.marker=3';
    const r = odtab(['boot', '--no-realtime', '--kernel', GUEST_DIR + 'vmlinux.gz', '--initrd', GUEST_DIR + 'initrd.gz', '--append', append, '--until', 'Run /init as init process', '--timeout', '250']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`Kernel command line: rd_start=0x[0-9a-f]+ rd_size=\\d+ ${append}\r?\n`));
  });
});
