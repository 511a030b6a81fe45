import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBuiltinGuest } from '../src/ui/worker/guest-loader';
import { DownloadError } from '../src/ui/worker/download';

// The worker's guest download, over real HTTP from public/guest/, against the files themselves.
const dir = fileURLToPath(new URL('../public/guest/', import.meta.url));
let base = '';
const server = createServer((req, res) => {
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

describe('loadBuiltinGuest', () => {
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

  it('a missing file is one line naming the URL and the HTTP status', async () => {
    const err = await loadBuiltinGuest(base.replace('/guest/', '/nowhere/'), () => {}).catch((e: Error) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as Error).message).toMatch(/^cannot download http:\/\/127\.0\.0\.1:\d+\/nowhere\/manifest\.json: HTTP 404 Not Found$/);
  });
});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
