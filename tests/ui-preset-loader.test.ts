import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PRESET, type Preset } from '../src/preset';
import { diskSuffix, loadPreset } from '../src/ui/worker/preset-loader';
import { DownloadError } from '../src/ui/worker/download';

// The worker's preset download, over real HTTP from public/guest/, against the files themselves.
const loadBuiltinGuest = (guestUrl: string, progress: (p: { loaded: number; total: number }) => void, preset: Preset = DEFAULT_PRESET) =>
  loadPreset(preset, guestUrl, guestUrl.replace(/guest\/$/, ''), progress);
const dir = fileURLToPath(new URL('../public/guest/', import.meta.url));
let base = '';
const server = createServer((req, res) => {
  if (req.url === '/apps/hello.dge') return void res.writeHead(200).end('echo hello\n');
  const path = decodeURIComponent(req.url ?? '/').replace(/^\/guest\//, '');
  if (path.includes('..')) return void res.writeHead(403).end();
  let body: Buffer;
  try {
    body = readFileSync(dir + path);
  } catch {
    return void res.writeHead(404, 'Not Found').end();
  }
  res.writeHead(200).end(body);
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/guest/`;
});
// fetch keeps connections alive; close them, or close() waits for them.
afterAll(() => new Promise<void>((r) => {
  server.close(() => r());
  server.closeAllConnections();
}));

describe('loadPreset', () => {
  it('downloads the kernel (unpacked), rootfs and local/ the CLI boots, with progress up to the total', async () => {
    const seen: { loaded: number; total: number }[] = [];
    const guest = await loadBuiltinGuest(base, (p) => seen.push(p));
    const manifest = JSON.parse(readFileSync(dir + 'manifest.json', 'utf8'));
    // (compared by hash: deep equality of megabytes is slow)
    expect(sha256(guest.kernel)).toBe(manifest.files[manifest.odtabKernel.file].uncompressedSha256);
    expect(sha256(guest.kernel)).toBe(sha256(gunzipSync(readFileSync(dir + manifest.odtabKernel.file))));
    expect(guest.commandLine).toBe(manifest.odtabKernel.cmdline);
    expect(sha256(guest.disk.rootfs!)).toBe(manifest.files[manifest.rootfs.file].sha256);
    const localFiles = manifest.local.files as { path: string }[];
    expect(localFiles.length).toBeGreaterThan(0);
    expect(guest.disk.local!.map((f) => [f.path, Buffer.from(f.data).toString()])).toEqual(
      localFiles.map((f) => [f.path, readFileSync(`${dir}${manifest.local.dir}/${f.path}`, 'utf8')]),
    );
    expect(guest.disk.dirs).toEqual(manifest.local.dirs);
    const last = seen[seen.length - 1]!;
    expect(last.loaded).toBe(last.total);
    expect(seen.every((p, i) => i === 0 || p.loaded >= seen[i - 1]!.loaded)).toBe(true);
  });

  it("a preset's append, app URL (relative to the page) and a local: file (skipped, said)", async () => {
    const manifest = JSON.parse(readFileSync(dir + 'manifest.json', 'utf8'));
    const loaded = await loadBuiltinGuest(base, () => {}, { version: 1, builtin: 'odtab', append: 'x=1', apps: ['apps/hello.dge', 'local:mine.opk'] });
    expect(loaded.commandLine).toBe(`${manifest.odtabKernel.cmdline} x=1`);
    expect(loaded.apps.map((a) => [a.kind, a.name, Buffer.from(a.data).toString()])).toEqual([['dge', 'hello.dge', 'echo hello\n']]);
    expect(loaded.notes).toEqual(["mine.opk (apps) is a file of this browser's disks: not downloaded"]);
  });

  it("the Debian preset loads Debian's kernel and initrd with the disk command line", async () => {
    const manifest = JSON.parse(readFileSync(dir + 'manifest.json', 'utf8'));
    const loaded = await loadBuiltinGuest(base, () => {}, { version: 1, builtin: 'debian' });
    expect(sha256(loaded.kernel)).toBe(manifest.files['vmlinux.gz'].uncompressedSha256);
    expect(sha256(loaded.initrd!)).toBe(manifest.files['initrd.gz'].uncompressedSha256);
    expect(loaded.commandLine).toBe(manifest.diskCmdline);
  });

  it('presets that boot the same disks share the stored ones; others get their own', () => {
    expect(diskSuffix(DEFAULT_PRESET)).toBe('');
    expect(diskSuffix({ version: 1, builtin: 'odtab', append: 'quiet', mem: 64, cpu: '4KEc', start: 'x.dge' })).toBe('');
    const a = diskSuffix({ version: 1, apps: ['https://example.org/a.opk'] });
    expect(a).toMatch(/^-[0-9a-f]{8}$/);
    expect(diskSuffix({ version: 1, apps: ['https://example.org/b.opk'] })).not.toBe(a);
    expect(diskSuffix({ version: 1, builtin: 'debian' })).not.toBe('');
  });

  it('a missing file is one line naming the URL and the HTTP status', async () => {
    const err = await loadBuiltinGuest(base.replace('/guest/', '/nowhere/'), () => {}).catch((e: Error) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as Error).message).toMatch(/^cannot download http:\/\/127\.0\.0\.1:\d+\/nowhere\/manifest\.json: HTTP 404 Not Found$/);
  });
});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
