/**
 * The benchmark's Web Worker in Chromium: the same Debian-kernel boot and workloads as in Node,
 * in the browser engine the web app runs in (its worker runs the machine the same way).
 * Posts the Result, or { error } with a message.
 */
import { benchDebianGuest } from './workloads';

async function bytes(url: string, gzipped = false): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok || r.body === null) throw new Error(`${url}: HTTP ${r.status}`);
  const body = gzipped ? r.body.pipeThrough(new DecompressionStream('gzip')) : r.body;
  return new Uint8Array(await new Response(body).arrayBuffer());
}

async function run(): Promise<void> {
  try {
    const manifest = JSON.parse(new TextDecoder().decode(await bytes('guest/manifest.json')));
    const kernel = await bytes('guest/vmlinux.gz', true);
    const initrd = await bytes('guest/initrd.gz');
    postMessage(benchDebianGuest({ kernel, initrd, cmdline: manifest.cmdline as string }));
  } catch (e) {
    postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
}

void run();
