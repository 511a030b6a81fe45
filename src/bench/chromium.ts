/**
 * Runs the Debian-kernel benchmark (workloads.ts) in headless Chromium, in a Web Worker as the
 * web app does, and returns its figures: the web app's speed, which can differ from Node's (a
 * newer V8 with other compiler tiers). Serves the worker bundle and public/guest from a local
 * HTTP server; skipped (null, with the reason) when Chromium or Playwright is missing.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Result } from './workloads';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const WORKER = ROOT + 'dist/bench-worker.js';
const GUEST = ROOT + 'public/guest/';
const PAGE = `<!doctype html><meta charset="utf-8"><title>odtab bench</title><script>
const w = new Worker('bench-worker.js', { type: 'module' });
w.onmessage = (e) => { window.benchResult = e.data; };
w.onerror = (e) => { window.benchResult = { error: e.message || 'the worker failed to start' }; };
</script>`;

export async function benchChromium(): Promise<Result | { skipped: string }> {
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) return { skipped: `no Chromium at ${executablePath} (CHROMIUM names another)` };
  if (!existsSync(WORKER)) return { skipped: `${WORKER} missing (npm run bench builds it)` };
  let chromium: typeof import('@playwright/test').chromium;
  try {
    ({ chromium } = await import('@playwright/test'));
  } catch {
    return { skipped: 'Playwright is not installed (npm install)' };
  }
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (type: string, body: string | Buffer) => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    };
    if (path === '/') return send('text/html', PAGE);
    if (path === '/bench-worker.js') return send('text/javascript', readFileSync(WORKER));
    const name = path.startsWith('/guest/') ? path.slice('/guest/'.length) : '';
    // Only plain file names directly in public/guest.
    if (/^\w[\w.-]*$/.test(name) && statSync(GUEST + name, { throwIfNoEntry: false })?.isFile()) {
      return send('application/octet-stream', readFileSync(GUEST + name));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({ executablePath });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const handle = await page.waitForFunction(() => (window as unknown as { benchResult?: unknown }).benchResult, null, {
      timeout: 900_000,
      polling: 500,
    });
    const r = (await handle.jsonValue()) as Result | { error: string };
    if ('error' in r) throw new Error(`the benchmark failed in Chromium: ${r.error}`);
    return r;
  } finally {
    await browser.close();
    server.close();
  }
}
