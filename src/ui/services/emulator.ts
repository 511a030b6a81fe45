import * as Comlink from 'comlink';
import { type Button, buttonKey } from '../input/buttons';
import { applyStatus, useMachine } from '../state/machine-store';
import type { Preset } from '../../preset';
import { ShellPromptWatch, launchCommand } from '../../preset/launch';
import type { AppInfo, DroppedFile, WorkerApi, WorkerCallbacks } from '../worker/protocol';
import { ScreenReceiver } from './screen-receiver';

/** Serial output kept for a terminal that attaches late (or re-attaches), bytes. */
const SERIAL_KEEP = 256 * 1024;
/** Wait between the shell's first prompt and typing the preset's start command. */
const START_DELAY_MS = 1000;

/**
 * The page's handle on the machine worker: starts it, carries keys and serial input to it and
 * its output (serial, screen, status) to the terminal, the canvas and the store.
 */
export class Emulator {
  readonly screen: ScreenReceiver;
  private readonly worker: Worker;
  private readonly api: Comlink.Remote<WorkerApi>;
  private readonly serialSinks = new Set<(bytes: Uint8Array) => void>();
  private serialLog: Uint8Array[] = [];
  private serialLogBytes = 0;
  private readonly encoder = new TextEncoder();

  constructor() {
    this.screen = new ScreenReceiver((width, height) => useMachine.setState({ screen: { width, height } }));
    this.worker = new Worker(new URL('../worker/machine-worker.ts', import.meta.url), { type: 'module', name: 'odtab-machine' });
    this.worker.addEventListener('error', (e) => this.fail(`the machine worker failed: ${e.message || 'could not load it'}`));
    this.api = Comlink.wrap<WorkerApi>(this.worker);
  }

  /** Download what the preset names and boot it. `shared`: share the framebuffer (needs isolation). */
  start(opts: { shared: boolean; guestUrl: string; preset: Preset }): void {
    useMachine.setState({ phase: 'downloading', transport: opts.shared ? 'shared' : 'transfer', preset: opts.preset });
    this.pendingStart = opts.preset.start;
    const callbacks: WorkerCallbacks = {
      progress: (p) => useMachine.setState({ progress: p }),
      serial: (bytes) => this.serial(bytes),
      status: (s) => {
        // A new boot (drops applied, disks reset): the apps on the disks may have changed.
        if (s.boots !== useMachine.getState().status?.boots) void this.refreshApps();
        applyStatus(s);
      },
      screen: (s) => this.screen.setShared(s),
      frame: (f) => this.screen.frame(f),
      error: (m, fatal) => (fatal ? this.fail(m) : useMachine.setState({ message: m })),
    };
    this.api
      .start({ guestUrl: opts.guestUrl, pageUrl: location.href, sharedScreen: opts.shared, preset: opts.preset }, Comlink.proxy(callbacks))
      .catch((e: Error) => this.fail(e.message));
  }

  /** Receive the serial console: all output kept so far at once, then as it comes. */
  onSerial(sink: (bytes: Uint8Array) => void): () => void {
    for (const part of this.serialLog) sink(part);
    this.serialSinks.add(sink);
    return () => this.serialSinks.delete(sink);
  }

  sendSerial(text: string): void {
    void this.api.serialIn(this.encoder.encode(text));
  }

  key(code: string, down: boolean): void {
    void this.api.key(code, down);
  }

  button(b: Button, down: boolean): void {
    this.key(buttonKey(b), down);
  }

  powerOff(): Promise<void> {
    return this.api.powerOff().catch((e: Error) => this.fail(e.message));
  }

  reset(): void {
    void this.api.reset();
  }

  restart(): Promise<void> {
    return this.api.restart().catch((e: Error) => this.fail(e.message));
  }

  /** Back to the built-in guest's disks: the guest's writes and the apps disk are forgotten. */
  async resetDisks(): Promise<void> {
    if (!confirm('Forget everything the guest wrote and the dropped apps, and boot the built-in guest again?')) return;
    try {
      await this.api.resetDisks();
      useMachine.setState({ message: 'the disks are back to the built-in guest', phase: useMachine.getState().phase === 'error' ? 'error' : 'running' });
    } catch (e) {
      useMachine.setState({ message: `reset: ${(e as Error).message.split('\n')[0]}` });
    }
  }

  /** Downloads a disk as an .img file. */
  async exportDisk(which: 'boot' | 'apps'): Promise<void> {
    const blob = await this.api.exportDisk(which);
    if (!blob) {
      useMachine.setState({ message: `there is no ${which} disk to export` });
      return;
    }
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = which === 'boot' ? 'odtab-boot.img' : 'odtab-apps.img';
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
  }

  /** Reads the app library again from the disks. */
  async refreshApps(): Promise<void> {
    try {
      useMachine.setState({ apps: await this.api.listApps() });
    } catch (e) {
      useMachine.setState({ message: `the app library could not be read: ${(e as Error).message.split('\n')[0]}` });
    }
  }

  /** Starts an app in the guest, through the serial shell (see src/preset/launch.ts). */
  launch(app: AppInfo): void {
    try {
      this.sendSerial(`${launchCommand(app)}\n`);
      useMachine.setState({ message: `started ${app.name} (${app.guestPath}); the serial console says when it exits` });
    } catch (e) {
      useMachine.setState({ message: (e as Error).message });
    }
  }

  /** Best effort when the page goes away: the worker stores what the guest wrote. */
  flush(): void {
    void this.api.flush().catch(() => {});
  }

  /** Hand dropped files to the machine: recognised ones wait for the next boot. */
  async drop(files: DroppedFile[]): Promise<void> {
    if (files.length === 0) return;
    const result = await this.api.drop(Comlink.transfer(files, files.map((f) => f.data.buffer as ArrayBuffer)));
    const running = useMachine.getState().phase === 'running';
    const names = new Set(files.map((f) => f.relativePath ?? f.name));
    const accepted = result.staged.filter((s) => names.has(s.name) || [...names].some((n) => n.endsWith(s.name)));
    useMachine.setState({
      staged: result.staged,
      dropNotes: [
        ...accepted.map((s) => `${s.name}: ${s.note}${running ? ' (restart to apply)' : ' (applied at power on)'}`),
        ...result.refused,
      ],
    });
    await this.refreshApps();
  }

  /** The preset's app, launched once the serial shell first shows its prompt. */
  private pendingStart: string | undefined;
  private readonly promptWatch = new ShellPromptWatch();

  private async startPresetApp(name: string): Promise<void> {
    await this.refreshApps();
    const app = useMachine.getState().apps.find((a) => a.file.toLowerCase() === name.toLowerCase());
    if (app) this.launch(app);
    else useMachine.setState({ message: `the preset starts ${name}, but no app of that name is on the disks` });
  }

  private serial(bytes: Uint8Array): void {
    if (this.pendingStart) {
      if (this.promptWatch.sees(String.fromCharCode(...bytes.subarray(-64)))) {
        const name = this.pendingStart;
        this.pendingStart = undefined;
        // After the prompt busybox asks the terminal where its cursor is; a line sent before the
        // answer is eaten as part of it, so the app waits a moment.
        setTimeout(() => void this.startPresetApp(name), START_DELAY_MS);
      }
    }
    this.serialLog.push(bytes);
    this.serialLogBytes += bytes.length;
    while (this.serialLogBytes > SERIAL_KEEP && this.serialLog.length > 1) this.serialLogBytes -= this.serialLog.shift()!.length;
    for (const sink of this.serialSinks) sink(bytes);
  }

  private fail(message: string): void {
    useMachine.setState({ phase: 'error', message });
  }
}
