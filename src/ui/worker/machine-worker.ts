/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import { composeStableBase } from '../../storage/idb';
import { diskSuffix, loadPreset } from './preset-loader';
import { checkDrop } from '../drops/apply';
import { type DropItem, classifyFile } from '../drops/classify';
import { gunzipIfNeeded } from './download';
import type { BootOptions, DropResult, WorkerApi, WorkerCallbacks } from './protocol';
import { Session } from './session';
import { StoredDisks } from './stored-disks';

/** Volume label of the built-in guest's disk (as the CLI and guest/make-disk.sh write it). */
const BUILTIN_DISK_LABEL = 'ODTAB';

/** The machine's Web Worker: downloads the guest, composes its disk, runs it (see Session). */
let session: Session | null = null;
/** What to reset when the stored disk could not be opened over the current base. */
let resetLater: { base: Parameters<typeof StoredDisks.open>[0]; suffix: string } | null = null;

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
      const loaded = await loadPreset(opts.preset, opts.guestUrl, opts.pageUrl, (p) => callbacks.progress(p));
      for (const note of loaded.notes) callbacks.error(note);
      // The same bytes at every load, so the chunks the guest wrote (in IndexedDB) fit over it.
      const base = composeStableBase(loaded.diskIdentity, loaded.disk, { label: BUILTIN_DISK_LABEL, name: 'boot disk' });
      const suffix = diskSuffix(opts.preset);
      let disks: StoredDisks;
      try {
        disks = await StoredDisks.open(base, { suffix, appsImage: loaded.appsImage, report: (m) => callbacks.error(m) });
      } catch (e) {
        if (!StoredDisks.isBaseChanged(e)) throw new Error(`the stored disks cannot be opened: ${(e as Error).message}`);
        // The guest on the server changed since this disk was stored: its chunks belong to the old one.
        callbacks.error('the stored boot disk belongs to an older built-in guest: "Reset disks" starts over with the new one', true);
        resetLater = { base, suffix };
        return;
      }
      session = new Session(
        {
          kernel: loaded.kernel,
          kernelName: loaded.kernelName,
          initrd: loaded.initrd,
          commandLine: loaded.commandLine,
          disks,
          memMiB: opts.preset.mem,
          cpu: opts.preset.cpu,
        },
        callbacks,
        opts.sharedScreen,
      );
      // The preset's apps go onto the disks before the first boot (the guest has nothing mounted yet).
      if (loaded.apps.length) session.stage(loaded.apps);
      await session.boot();
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
  async resetDisks() {
    if (session) return session.resetDisks();
    if (resetLater) {
      await StoredDisks.resetStore(resetLater.base, resetLater.suffix);
      throw new Error('the disks are reset: reload the page to boot the built-in guest');
    }
  },
  async exportDisk(which) {
    return session?.exportDisk(which) ?? null;
  },
  async listApps() {
    return session ? session.apps() : [];
  },
  async flush() {
    await session?.flush();
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
