/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import { DEFAULT_BOOT_DISK_BYTES, composeBootDisk } from '../../storage/boot-disk';
import { loadBuiltinGuest } from './guest-loader';
import type { BootOptions, WorkerApi, WorkerCallbacks } from './protocol';
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
      error: (m) => remote.error(m),
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
      callbacks.error((e as Error).message.split('\n')[0]!);
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
};

Comlink.expose(api);
