import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/fat-tools';
import { FatVolume } from '../src/storage/fat';
import { MemoryDisk } from '../src/storage/memory-disk';
import { HAVE_MKSQUASHFS, NEEDS_MKSQUASHFS, mksquashfs } from './helpers/squashfs-tools';

const ROOT = new URL('..', import.meta.url).pathname;
const tmp = tempDir('cli-preset');
const PROMPT = 'opendingux:/boot/local/home # ';
let server: Server;
let origin: string;
const requests: string[] = [];

/** Runs odtab without blocking this process (the test's HTTP server must keep answering). */
function odtab(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/odtab.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 280_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: stdout.replace(/\r|\x1b\[6n/g, ''), stderr });
    });
  });
}

function commands(lines: string[]): string {
  const path = join(tmp, `input-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

function answer(stdout: string, command: string): string {
  const at = stdout.indexOf(`${PROMPT}${command}\n`);
  if (at < 0) throw new Error(`no '${command}' at the prompt in:\n${stdout.slice(-3000)}`);
  const from = at + PROMPT.length + command.length + 1;
  const end = stdout.indexOf(PROMPT, from);
  return stdout.slice(from, end < 0 ? undefined : end);
}

function expectBadInput(r: { code: number | null; stderr: string }, message: RegExp) {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines.at(-1)).toMatch(/^odtab: /);
  expect(lines.at(-1)).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build-cli.mjs')], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  mkdirSync(join(tmp, 'site/apps'), { recursive: true });
  writeFileSync(join(tmp, 'site/apps/hello.dge'), '#!/bin/sh\necho hello from the preset dge\n');
  if (HAVE_MKSQUASHFS) {
    mkdirSync(join(tmp, 'opk'));
    writeFileSync(join(tmp, 'opk/default.gcw0.desktop'), '[Desktop Entry]\nName=Test\nExec=test.sh\n');
    writeFileSync(join(tmp, 'opk/test.sh'), '#!/bin/sh\necho opk\n', { mode: 0o755 });
    mksquashfs(join(tmp, 'opk'), join(tmp, 'site/apps/test.opk'), ['-all-root', '-no-xattrs']);
  }
  // A rootfs and a FAT disk image of the user's own, for the link to bring.
  writeFileSync(join(tmp, 'site/my-rootfs.bin'), readFileSync(join(ROOT, 'public/guest/rootfs.bin')));
  const disk = new MemoryDisk((16 << 20) / 512);
  const vol = FatVolume.format(disk, { label: 'MINE' });
  vol.mkdir('apps');
  vol.writeFile('apps/readme.txt', new TextEncoder().encode('from the disk image\n'));
  writeFileSync(join(tmp, 'site/my-disk.img'), disk.toBytes());
  // The preset's files on a web server, as a preset link would find them.
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const path = join(tmp, 'site', decodeURIComponent((req.url ?? '/').split('?')[0]));
    try {
      const data = readFileSync(path);
      res.writeHead(200, { 'content-length': data.length });
      res.end(data);
    } catch {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

describe('odtab boot --preset', () => {
  it.skipIf(!HAVE_MKSQUASHFS)(`a JSON preset file: built-in guest, .dge on the boot disk, .opk on the apps disk, memory and CPU${NEEDS_MKSQUASHFS}`, async () => {
    const preset = join(tmp, 'site/preset.json');
    writeFileSync(preset, JSON.stringify({ version: 1, name: 'cli test', builtin: 'odtab', apps: ['apps/hello.dge', 'apps/test.opk'], mem: 64, cpu: '4KEc' }));
    const input = commands(['ls /boot/local/apps /media/sdb/apps', 'sh /boot/local/apps/hello.dge', 'head -1 /proc/meminfo', 'grep -m1 "cpu model" /proc/cpuinfo', 'poweroff -f']);
    const r = await odtab(['boot', '--preset', preset, '--no-realtime', '--timeout', '250', '--input', input]);
    expect(r.code, `${r.stderr}\n${r.stdout.slice(-3000)}`).toBe(0);
    expect(r.stderr).toContain("odtab: preset 'cli test': built-in odtab guest, hello.dge, test.opk\n");
    expect(r.stderr).toContain('odtab: preset: apps disk (/dev/sdb) with test.opk in apps/\n');
    expect(answer(r.stdout, 'ls /boot/local/apps /media/sdb/apps')).toBe('/boot/local/apps:\nfbtest.dge  hello.dge\n\n/media/sdb/apps:\ntest.opk\n');
    expect(answer(r.stdout, 'sh /boot/local/apps/hello.dge')).toBe('hello from the preset dge\n');
    // 64 MiB of RAM less the kernel: well under the default 256.
    const kb = Number(/MemTotal:\s+(\d+) kB/.exec(answer(r.stdout, 'head -1 /proc/meminfo'))![1]);
    expect(kb).toBeGreaterThan(40_000);
    expect(kb).toBeLessThan(65_536);
    expect(answer(r.stdout, 'grep -m1 "cpu model" /proc/cpuinfo')).toMatch(/MIPS 4KEc/);
  }, 300_000);

  it.skipIf(!HAVE_MKSQUASHFS)(`a preset link over HTTP: rootfs, disk image and app URLs resolve against the page; the .opk joins the image's apps/${NEEDS_MKSQUASHFS}`, async () => {
    requests.length = 0;
    const link = `${origin}/app/index.html#v=1&g=odtab&r=..%2Fmy-rootfs.bin&d=..%2Fmy-disk.img&a=..%2Fapps%2Ftest.opk&m=48`;
    const input = commands(['ls -1 /media/sdb/apps', 'cat /media/sdb/apps/readme.txt', 'head -1 /proc/meminfo', 'poweroff -f']);
    const r = await odtab(['boot', '--preset', link, '--no-realtime', '--timeout', '250', '--input', input]);
    expect(r.code, `${r.stderr}\n${r.stdout.slice(-3000)}`).toBe(0);
    expect(requests.sort()).toEqual(['/apps/test.opk', '/my-disk.img', '/my-rootfs.bin']);
    expect(r.stderr).toContain('odtab: preset: boot disk with my-rootfs.bin\n');
    expect(answer(r.stdout, 'ls -1 /media/sdb/apps')).toBe('readme.txt\ntest.opk\n');
    expect(answer(r.stdout, 'cat /media/sdb/apps/readme.txt')).toBe('from the disk image\n');
    expect(Number(/MemTotal:\s+(\d+) kB/.exec(answer(r.stdout, 'head -1 /proc/meminfo'))![1])).toBeLessThan(49_152);
  }, 300_000);

  it.skipIf(!HAVE_MKSQUASHFS)(`a preset's start app is started at the first shell prompt, opkrun-style, before --input${NEEDS_MKSQUASHFS}`, async () => {
    const preset = join(tmp, 'site/start.json');
    writeFileSync(preset, JSON.stringify({ version: 1, builtin: 'odtab', apps: ['apps/test.opk'], start: 'test.opk' }));
    const input = commands(['echo typed after the start']);
    const r = await odtab(['boot', '--preset', preset, '--no-realtime', '--timeout', '250', '--input', input, '--until', 'test.opk exited with status 0']);
    expect(r.code, `${r.stderr}\n${r.stdout.slice(-3000)}`).toBe(0);
    expect(r.stderr).toContain('odtab: preset: starts test.opk at the first shell prompt\n');
    // The package's Exec (test.sh) ran from its mounted squashfs and printed its line.
    expect(r.stdout).toMatch(/^opk$/m);
    const started = r.stdout.indexOf(`${PROMPT}(d=/tmp/opk-test;`);
    expect(started).toBeGreaterThan(0);
    expect(r.stdout.indexOf('echo typed after the start')).toBeGreaterThan(started);
  }, 300_000);

  it('a preset starting an app it does not have says so and boots all the same', async () => {
    const preset = join(tmp, 'site/start-missing.json');
    writeFileSync(preset, JSON.stringify({ version: 1, builtin: 'odtab', start: 'nothere.opk' }));
    const r = await odtab(['boot', '--preset', preset, '--no-realtime', '--timeout', '250', '--until', PROMPT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('odtab: preset: starts nothere.opk, but no app of that name is in the preset or the built-in guest\n');
  }, 300_000);

  it('bad presets exit 2 with one clear line', async () => {
    const file = (name: string, text: string) => {
      const p = join(tmp, name);
      writeFileSync(p, text);
      return p;
    };
    expectBadInput(await odtab(['boot', '--preset', join(tmp, 'nope.json')]), /cannot read preset '.*nope\.json': no such file$/);
    expectBadInput(await odtab(['boot', '--preset', file('bad.json', '{ "version": 1, ')]), /is not valid JSON/);
    expectBadInput(await odtab(['boot', '--preset', file('v9.json', '{"version": 9, "builtin": "odtab"}')]), /preset: preset version 9 is not supported \(this odtab reads version 1\)$/);
    expectBadInput(
      await odtab(['boot', '--preset', file('js.json', '{"kernel": "javascript:alert(1)", "mem": 1}')]),
      /preset: bad preset: kernel: only http\(s\) and relative URLs are allowed, not javascript:; mem must be a whole number of MiB from 16 to 2048, not 1$/,
    );
    expectBadInput(await odtab(['boot', '--preset', file('text.txt', 'hello\n')]), /is neither a JSON preset nor a preset link/);
    expectBadInput(await odtab(['boot', '--preset', file('local.json', '{"builtin": "odtab", "apps": ["local:mine.opk"]}')]), /preset: mine\.opk is a file from a browser \(local:\), which the CLI cannot load$/);
    expectBadInput(await odtab(['boot', '--preset', file('ok.json', '{"builtin": "odtab"}'), '--kernel', 'x']), /--preset sets the kernel and guest; it does not go with --kernel/);
    expectBadInput(await odtab(['boot', '--preset', file('missing-app.json', '{"builtin": "odtab", "apps": ["gone.dge"]}')]), /preset: cannot read app '.*gone\.dge': no such file$/);
    // Over HTTP: the preset is fetched, its relative app URL resolved against it, the 404 named.
    writeFileSync(join(tmp, 'site/p404.json'), '{"builtin": "odtab", "apps": ["apps/missing.opk"]}');
    expectBadInput(await odtab(['boot', '--preset', `${origin}/p404.json`]), new RegExp(`cannot download app from ${origin}/apps/missing\\.opk: HTTP 404 Not Found$`));
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expectBadInput(await odtab(['boot', '--preset', `http://127.0.0.1:${port}/preset.json`]), new RegExp(`cannot download preset from http://127\\.0\\.0\\.1:${port}/preset\\.json: ECONNREFUSED$`));
    expectBadInput(await odtab(['boot', '--preset', `${origin}/app/#v=1&g=odtab&a=javascript:x.opk`]), /preset: bad preset: apps\[0\]: only http\(s\) and relative URLs are allowed, not javascript:$/);
  }, 120_000);
});
