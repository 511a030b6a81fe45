/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import { DEFAULT_BOOT_DISK_BYTES, composeBootDisk } from '../../storage/boot-disk';
import { loadBuiltinGuest } from './guest-loader';
import { checkDrop } from '../drops/apply';
import { type DropItem, classifyFile } from '../drops/classify';
import { gunzipIfNeeded } from './download';
import type { BootOptions, DropResult, WorkerApi, WorkerCallbacks } from './protocol';
import { Session } from './session';

/** Volume label of the built-in guest's disk (as the CLI and guest/make-disk.sh write it). */
const BUILTIN_DISK_LABEL = 'ODTAB';

/** The machine's Web Worker: downloads the guest, composes its disk, runs it (see Session). */
let session: Session | null = null;

const api: WorkerApi = {
  async start(opts: BootOptions, remote: WorkerCallbacks) {
    if (session) throw new Error('the machine is already started');
    // Frames move to the page (transferred), everything else is small and cloned.
    const callbacks: WorkerCallbacks = {
      progress: (p) => remote.progress(p),
      serial: (b) => remote.serial(b),
      status: (s) => remote.status(s),
      screen: (s) => remote.screen(s),
      frame: (f) => remote.frame(Comlink.transfer(f, [f.pixels])),
      error: (m, fatal) => remote.error(m, fatal),
    };
    try {
      const guest = await loadBuiltinGuest(opts.guestUrl, (p) => callbacks.progress(p));
      const hda = composeBootDisk(guest.disk, { size: DEFAULT_BOOT_DISK_BYTES, label: BUILTIN_DISK_LABEL });
      const commandLine = [guest.commandLine, opts.append ?? ''].map((s) => s.trim()).filter(Boolean).join(' ');
      session = new Session(
        { kernel: guest.kernel, kernelName: guest.kernelName, commandLine, hda, memMiB: opts.memMiB },
        callbacks,
        opts.sharedScreen,
      );
      session.boot();
    } catch (e) {
      callbacks.error((e as Error).message.split('\n')[0]!, true);
    }
  },
  serialIn(bytes) {
    session?.serialIn(bytes);
  },
  key(code, down) {
    session?.key(code, down);
  },
  async powerOff() {
    await session?.powerOff();
  },
  reset() {
    session?.reset();
  },
  async restart() {
    await session?.restart();
  },
  async drop(files) {
    const result: DropResult = { staged: [], refused: [] };
    const items: DropItem[] = [];
    for (const f of files) {
      const c = classifyFile(f.name, await gunzipKernel(f.name, f.data), f.relativePath);
      if (c.kind === 'unknown') {
        result.refused.push(c.reason);
        continue;
      }
      try {
        checkDrop(c);
        items.push(c);
      } catch (e) {
        result.refused.push(`${f.name}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    if (!session) {
      result.refused.push(...items.map((i) => `${i.name}: the machine is not started yet`));
      return result;
    }
    result.staged = session.stage(items);
    return result;
  },
};

Comlink.expose(api);

/** A gzipped kernel (vmlinux.gz) is taken unpacked; other gzip files are left as they are. */
async function gunzipKernel(name: string, data: Uint8Array): Promise<Uint8Array> {
  if (!/^vmlinu[xz]/i.test(name) || data[0] !== 0x1f || data[1] !== 0x8b) return data;
  try {
    return await gunzipIfNeeded(data, name);
  } catch {
    return data;
  }
}
