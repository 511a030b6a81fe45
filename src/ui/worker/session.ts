import { BadImageError, Machine } from '../../emu/machine';
import type { CpuModel } from '../../emu/cpu/cp0';
import { type DropItem } from '../drops/classify';
import { CountingDisk } from './counting-disk';
import { listApps } from './app-library';
import type { AppInfo, MachineStatus, PowerState, StagedDrop, WorkerCallbacks } from './protocol';
import { ScreenLink } from './screen-link';
import { RealtimePacer, WakeableSleep } from '../../emu/realtime-pacer';
import { NotStoredError, type StoredDisks, type WhichDisk } from './stored-disks';

/** Guest time run between looks at the page's messages and the wall clock (10 ms at 200 MHz). */
const SLICE_CYCLES = 2_000_000;
/** How often the screen is brought up to date (wall time), about the display's refresh. */
const FRAME_MS = 1000 / 60;
const STATUS_MS = 500;

export interface SessionImages {
  kernel: Uint8Array;
  kernelName: string;
  initrd?: Uint8Array;
  commandLine: string;
  cpu?: CpuModel;
  /** The boot disk (the FAT the guest mounts at /boot) and the apps disk (/media/sdb), stored. */
  disks: StoredDisks;
  memMiB?: number;
}

/**
 * The machine running in the worker: slices of guest time paced to the wall clock (an idle guest
 * lets the worker sleep until its next timer or the page's input), yielding between slices so the
 * page's keys and serial input get through, with serial output, screen and status sent back.
 */
export class Session {
  private machine: Machine | null = null;
  private disk!: CountingDisk;
  private appsDisk: CountingDisk | undefined;
  /** Drops waiting for the machine to be off (the FAT is never written while the guest has it). */
  private staged: DropItem[] = [];
  private readonly screen: ScreenLink;
  /** Bumped to stop a running loop (power off, restart). */
  private loopId = 0;
  private boots = 0;
  private power: PowerState = 'loading';
  private readonly serialOut: number[] = [];
  private lastStatusWall = 0;
  private lastStatusInstructions = 0;
  /** The loop's sleep, which input ends early: it should not wait for the guest's next tick. */
  private readonly sleeper = new WakeableSleep();
  /** The kernel the page loaded (a dropped kernel replaces it until "Reset disks"). */
  private readonly loadedKernel: { kernel: Uint8Array; kernelName: string };

  constructor(private readonly images: SessionImages, private readonly cb: WorkerCallbacks, sharedScreen: boolean) {
    this.screen = new ScreenLink(sharedScreen, (s) => cb.screen(s), (f) => cb.frame(f));
    this.loadedKernel = { kernel: images.kernel, kernelName: images.kernelName };
  }

  /** Power on: a fresh board booting the images. Throws a one-line reason if they do not boot. */
  async boot(): Promise<void> {
    this.screen.clear();
    await this.applyStaged();
    const { hda, hdb } = this.images.disks;
    this.disk = new CountingDisk(hda);
    this.appsDisk = hdb && new CountingDisk(hdb);
    try {
      this.machine = new Machine({
        kernel: this.images.kernel,
        kernelName: this.images.kernelName,
        initrd: this.images.initrd,
        cpu: this.images.cpu,
        commandLine: this.images.commandLine,
        memMiB: this.images.memMiB,
        rtcEpochSeconds: Math.floor(Date.now() / 1000),
        hda: this.disk,
        hdb: this.appsDisk,
        onSerial: (b) => this.serialOut.push(b),
      });
    } catch (e) {
      if (e instanceof BadImageError || e instanceof RangeError) throw new Error(`the kernel does not boot: ${e.message}`);
      throw e;
    }
    this.boots++;
    this.power = 'running';
    void this.loop(++this.loopId);
  }

  /** Keep drops for the next boot; returns all that wait. */
  stage(items: DropItem[]): StagedDrop[] {
    this.staged.push(...items);
    return this.stagedList();
  }

  stagedList(): StagedDrop[] {
    return this.staged.map((i) => ({ kind: i.kind, name: i.name, note: i.note, size: i.data.length }));
  }

  private async applyStaged(): Promise<void> {
    if (this.staged.length === 0) return;
    const items = this.staged;
    this.staged = [];
    // The name goes with the kernel into the machine's messages (the last kernel dropped wins).
    const droppedName = items.filter((i) => i.kind === 'kernel').pop()?.name;
    try {
      this.images.kernel = await this.images.disks.applyDrops(items, this.images.kernel);
      if (droppedName !== undefined) this.images.kernelName = droppedName;
    } catch (e) {
      if (e instanceof NotStoredError) {
        this.images.kernel = e.kernel;
        if (droppedName !== undefined) this.images.kernelName = droppedName;
        return this.cb.error(e.message);
      }
      // Nothing was written (each disk's writes are checked first): the disks stay as they were.
      this.cb.error(`the dropped files were not applied, the disks are unchanged: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  serialIn(bytes: Uint8Array): void {
    this.machine?.sendSerial(bytes);
    this.sleeper.wake();
  }

  key(code: string, down: boolean): void {
    if (this.power === 'running') this.machine?.kbc.keyboard.pressKey(code, down);
    this.sleeper.wake();
  }

  reset(): void {
    if (this.power !== 'running' || !this.machine) return;
    this.machine.reset();
    this.boots++;
    this.sleeper.wake();
  }

  /** Power off and wait until the disks have the guest's writes. */
  async powerOff(): Promise<void> {
    this.loopId++;
    this.sleeper.wake();
    const m = this.machine;
    if (m && m.power === 'running') m.powerOff();
    await this.stopped();
  }

  async restart(): Promise<void> {
    await this.powerOff();
    await this.boot();
  }

  /**
   * Back to the built-in guest (the machine is switched off first): its disks, and the kernel
   * the page loaded in place of any dropped one (which may be the one that does not boot).
   */
  async resetDisks(): Promise<void> {
    await this.powerOff();
    this.staged = [];
    await this.images.disks.reset();
    this.images.kernel = this.loadedKernel.kernel;
    this.images.kernelName = this.loadedKernel.kernelName;
    await this.boot();
  }

  /** A disk as an .img Blob, as it is now (power off first for a copy no write is halfway in). */
  exportDisk(which: WhichDisk): Blob | null {
    return this.images.disks.exportBlob(which);
  }

  /** Stores the guest's writes now (the page is going away). */
  async flush(): Promise<void> {
    await this.images.disks.flush();
  }

  apps(): Promise<AppInfo[]> {
    return listApps(this.images.disks.hda, this.images.disks.hdb, this.staged);
  }

  get hasAppsDisk(): boolean {
    return !!this.images.disks.hdb;
  }

  private async stopped(): Promise<void> {
    this.flushSerial();
    this.power = 'off';
    const m = this.machine;
    if (m) {
      const err = await new Promise<Error | undefined>((resolve) => m.flushDisks(resolve));
      if (err) this.cb.error(`the disk did not take the guest's last writes: ${err.message.split('\n')[0]}`);
    }
    this.sendStatus(performance.now());
  }

  private async loop(id: number): Promise<void> {
    const m = this.machine!;
    const pacer = new RealtimePacer(m, performance.now());
    let lastFrame = 0;
    this.lastStatusWall = performance.now();
    this.lastStatusInstructions = m.instructions;
    this.sendStatus(this.lastStatusWall);
    while (id === this.loopId) {
      pacer.resume(performance.now());
      m.run(SLICE_CYCLES);
      this.flushSerial();
      const now = performance.now();
      if (now - lastFrame >= FRAME_MS) {
        lastFrame = now;
        this.screen.update(m.refreshDisplay());
      }
      if (now - this.lastStatusWall >= STATUS_MS) this.sendStatus(now);
      if (m.power === 'off') {
        // The guest switched itself off (poweroff): the disks are flushed by the board.
        this.loopId++;
        await this.stopped();
        return;
      }
      // An idle guest sleeps here until its next timer or the page's input: idle costs nothing.
      const ms = pacer.wait(now);
      if (ms > 0) {
        // What the guest drew before it went idle must not wait out the sleep.
        if (lastFrame !== now) this.screen.update(m.refreshDisplay());
        lastFrame = now;
        await this.sleeper.sleep(ms);
      } else await yieldTask();
    }
  }

  private flushSerial(): void {
    if (this.serialOut.length === 0) return;
    this.cb.serial(Uint8Array.from(this.serialOut));
    this.serialOut.length = 0;
  }

  private sendStatus(now: number): void {
    const m = this.machine;
    const instructions = m ? m.instructions : 0;
    const wall = now - this.lastStatusWall;
    const status: MachineStatus = {
      power: this.power,
      mips: wall > 0 ? (instructions - this.lastStatusInstructions) / wall / 1000 : 0,
      uptime: m ? m.seconds : 0,
      diskReads: (this.disk?.reads ?? 0) + (this.appsDisk?.reads ?? 0),
      diskWrites: (this.disk?.writes ?? 0) + (this.appsDisk?.writes ?? 0),
      staged: this.staged.length,
      unsaved: this.images.disks.dirtyChunks,
      diskStore: this.images.disks.persistent ? 'browser' : 'tab',
      boots: this.boots,
    };
    this.lastStatusWall = now;
    this.lastStatusInstructions = instructions;
    this.cb.status(status);
  }
}

/** A macrotask turn without setTimeout's clamping: lets queued messages run, then continues. */
const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();
function yieldTask(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(0);
  });
}
