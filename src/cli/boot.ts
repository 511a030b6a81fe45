import { closeSync, openSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { BadImageError, Machine } from '../emu/machine';
import type { CpuTracer } from '../emu/cpu/cpu';
import { EXC_NAMES } from '../emu/cpu/cp0';
import { type BootOptions, UsageError } from './args';
import { type BootDisks, bootDiskNeeds, closeBootDisks, openBootDisks } from './boot-disks';
import { readImage, unpackKernel } from './images';
import { BUILTIN_DISK_LABEL, builtinBoot, readBuiltinDiskParts } from './builtin-guest';
import type { BlockDevice } from '../storage/block-device';
import { DEFAULT_BOOT_DISK_BYTES, composeBootDisk } from '../storage/boot-disk';
import { FatError, planFormat } from '../storage/fat';
import { formatSize } from './size';
import { hostReason } from './disk-image';
import { OutputMatcher } from './output-matcher';
import { applyPreset } from './preset';
import { KeyScriptRunner } from '../emu/input/key-script-runner';
import { writeScreenshot } from './screenshot';
import { RealtimePacer, WakeableSleep } from '../emu/realtime-pacer';
import { ShellPromptWatch } from '../preset/launch';

export const EXIT_OK = 0;
export const EXIT_BAD_INPUT = 2;
export const EXIT_TIMEOUT = 3;
/** The guest powered off before the --keys script was done. */
export const EXIT_KEYS_UNFINISHED = 4;

/** Signals that stop the machine the way Ctrl-A x does: disks flushed and closed first. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Guest time run between checks of host input, timeouts and pacing (10 ms at 200 MHz). */
const SLICE_CYCLES = 2_000_000;

/** Writes executed PCs and exceptions as text lines, buffered. */
class FileTracer implements CpuTracer {
  private readonly fd: number;
  private buf = '';
  count = 0;
  constructor(path: string, private readonly limit: number, private readonly onFull: () => void) {
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      throw new UsageError(`cannot write trace file '${path}': ${(e as Error).message}`);
    }
  }
  exec(pc: number): void {
    this.buf += (pc >>> 0).toString(16).padStart(8, '0') + '\n';
    if (++this.count >= this.limit) this.onFull();
    if (this.buf.length > 1 << 16) this.flush();
  }
  exception(code: number, pc: number, vector: number): void {
    this.buf += `exception ${code} ${EXC_NAMES[code]} at ${(pc >>> 0).toString(16).padStart(8, '0')} -> ${(vector >>> 0).toString(16).padStart(8, '0')}\n`;
  }
  flush(): void {
    writeSync(this.fd, this.buf);
    this.buf = '';
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export async function boot(opts: BootOptions): Promise<number> {
  const status = (line: string) => {
    if (!opts.quiet) process.stderr.write(`odtab: ${line}\n`);
  };
  if (opts.preset !== undefined) opts = await applyPreset(opts, status);

  let kernelPath = opts.kernel;
  let initrdPath = opts.initrd;
  let append = opts.append;
  const builtin = !opts.kernel;
  if (builtin) {
    const guest = builtinBoot(opts.guest ?? 'odtab', opts.append);
    kernelPath = guest.kernelPath;
    initrdPath ??= guest.initrdPath;
    append = guest.append;
  }
  const kernel = unpackKernel(readImage(kernelPath!, 'kernel'), kernelPath!);
  const initrd = initrdPath ? readImage(initrdPath, 'initrd') : undefined;
  const input = opts.input ? readImage(opts.input, 'input file') : undefined;
  const needs = bootDiskNeeds({ builtinGuest: builtin, append: append ?? '', kernel });
  const disks = openBootDisks({ hda: opts.hda, hdb: opts.hdb, snapshot: opts.snapshot }, needs, status);
  // The built-in guest without --hda boots a disk composed in memory from its parts.
  let composed: BlockDevice | undefined;
  if (builtin && !opts.hda) {
    try {
      composed = composeBuiltinDisk();
    } catch (e) {
      closeBootDisks(disks);
      throw e;
    }
  }
  if (opts.kernel && needs.rootfs && !opts.hda) {
    status(`the kernel command line boots from a disk (boot=/loop0=) but no --hda is given`);
  }

  const out = new OutputMatcher(opts.until);
  // A preset's app is typed on the serial shell at its first prompt, as the web app does.
  let startCommand = opts.startCommand;
  const promptWatch = new ShellPromptWatch();
  const startAtPrompt = (b: number) => {
    if (!promptWatch.sees(String.fromCharCode(b))) return;
    machine.sendSerial(new TextEncoder().encode(`${startCommand}\n`));
    startCommand = undefined;
    // --input goes after it, as if typed once the app was started.
    if (input) machine.sendSerial(input);
  };
  const pending: number[] = [];
  let keys: KeyScriptRunner | null = null;
  let machine: Machine;
  try {
    machine = new Machine({
      kernel,
      kernelName: kernelPath!.split('/').pop() ?? 'vmlinux',
      initrd,
      commandLine: append ?? '',
      memMiB: opts.mem,
      cpu: opts.cpu,
      jit: opts.jit,
      rtcEpochSeconds: Math.floor(Date.now() / 1000),
      hda: disks.hda ?? composed,
      hdb: disks.hdb,
      onSerial: (b) => {
        pending.push(b);
        out.push(b);
        keys?.serial(b);
        if (startCommand !== undefined) startAtPrompt(b);
      },
    });
  } catch (e) {
    closeBootDisks(disks);
    if (e instanceof BadImageError || e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  // Said once the machine exists, so a boot refused for another reason says that one thing only.
  if (composed) {
    status(
      `boot disk: the built-in rootfs.bin and local/ on a ${formatSize(composed.sectors * 512)} FAT${planFormat(composed.sectors).fatBits} disk in memory; ` +
        `the guest's changes to it are lost at exit (to keep them: odtab disk create sd.img --builtin, then odtab boot --hda sd.img)`,
    );
  }
  if (input && startCommand === undefined) machine.sendSerial(input);

  let tracer: FileTracer | null = null;
  if (opts.trace) {
    try {
      tracer = new FileTracer(opts.trace, opts.traceLimit, () => {
        machine.setTracer(null);
        status(`trace limit of ${opts.traceLimit} instructions reached`);
      });
    } catch (e) {
      closeBootDisks(disks);
      throw e;
    }
    machine.setTracer(tracer);
  }

  // Screenshots are written as the run goes; one that fails is said at once and makes the exit
  // code 1 at the end (the run itself goes on).
  let shotFailed = false;
  const shot = (path: string, why: string) => {
    try {
      const r = writeScreenshot(machine, path);
      const blank = r.blank ? ', blank: the guest shows no picture' : '';
      status(`${why}: ${path} (${r.width}x${r.height}${blank}, guest time ${machine.seconds.toFixed(2)} s)`);
    } catch (e) {
      shotFailed = true;
      process.stderr.write(`odtab: could not write the screenshot '${path}': ${hostReason(e)}\n`);
    }
  };

  // Ends a --realtime wait early: a key should not wait for an idle guest's next timer.
  const sleeper = new WakeableSleep();

  // Terminal input: raw mode so keys reach the guest as typed; Ctrl-A x quits like QEMU.
  let quit = false;
  let ctrlA = false;
  const stdin = process.stdin;
  const onData = (data: Buffer) => {
    const bytes: number[] = [];
    for (const b of data) {
      if (ctrlA) {
        ctrlA = false;
        if (b === 0x78 || b === 0x58) quit = true;
        else if (b === 0x01) bytes.push(0x01);
        continue;
      }
      if (b === 0x01 && stdin.isTTY) ctrlA = true;
      else bytes.push(b);
    }
    machine.sendSerial(bytes);
    sleeper.wake();
  };
  if (!input) {
    if (stdin.isTTY) stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.on('error', () => {});
  }

  const flushOut = () => {
    if (pending.length) {
      process.stdout.write(Buffer.from(pending));
      pending.length = 0;
    }
  };

  // A kill or a closed terminal stops the machine between slices, like Ctrl-A x, so the disks
  // are flushed and closed rather than left with the guest's last writes unsynced.
  let stopSignal: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    stopSignal ??= signal;
    quit = true;
    sleeper.wake();
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);

  let keysDone = false;
  if (opts.keys) {
    keys = new KeyScriptRunner(opts.keys, machine, {
      shot: (file) => shot(file, 'screenshot'),
      note: (line) => status(`--keys ${line}`),
      quit: () => {
        quit = true;
      },
    });
  }

  const started = performance.now();
  // Pacing (--realtime): guest time may not run ahead of the wall clock; see RealtimePacer.
  const pacer = opts.realtime ? new RealtimePacer(machine, started) : null;
  let code = -1;
  try {
    for (;;) {
      let slice = SLICE_CYCLES;
      if (keys && !keysDone) {
        slice = Math.min(slice, Math.max(1, keys.poll()));
        if (keys.finished) {
          keysDone = true;
          status(`--keys: script done (guest time ${machine.seconds.toFixed(2)} s)`);
        }
      }
      if (!quit) machine.run(slice);
      flushOut();
      if (stopSignal) {
        status(`stopped by ${stopSignal}`);
        code = 128 + osConstants.signals[stopSignal];
        break;
      }
      if (out.matched || machine.power === 'off' || quit) {
        code = EXIT_OK;
        // A wait the last slice satisfied still counts.
        if (machine.power === 'off' && !out.matched && keys && !keysDone) keys.poll();
        if (machine.power === 'off' && !out.matched && keys && !keys.finished) {
          status(`the guest powered off before the --keys script was done: at ${keys.describePosition()}`);
          code = EXIT_KEYS_UNFINISHED;
        }
        break;
      }
      const now = performance.now();
      if (opts.timeout !== undefined && (now - started) / 1000 >= opts.timeout) {
        status(`timeout after ${opts.timeout} s (guest time ${machine.seconds.toFixed(2)} s)`);
        code = EXIT_TIMEOUT;
        break;
      }
      // With --realtime an idle guest sleeps here until its next timer or a key on stdin.
      const ms = pacer ? pacer.wait(now) : 0;
      if (ms > 0) await sleeper.sleep(ms);
      else await yieldToHost();
      pacer?.resume(performance.now());
    }
  } finally {
    flushOut();
    // The screen as the run left it (not after an internal error: code is still -1 then).
    if (opts.screenshot && code >= 0) shot(opts.screenshot, 'screenshot at exit');
    tracer?.close();
    stdin.off('data', onData);
    if (stdin.isTTY) stdin.setRawMode(false);
    stdin.pause();
    stdin.unref?.();
    const failed = await flushAndClose(machine, disks);
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
    if (failed) {
      process.stderr.write(`odtab: ${failed}\n`);
      code = 1;
    }
    if (shotFailed && code === EXIT_OK) code = 1;
  }
  return code;
}

/**
 * The built-in guest's boot disk, put together in memory from rootfs.bin and local/ by odtab's
 * FAT code, as `odtab disk create --builtin` makes it.
 */
function composeBuiltinDisk(): BlockDevice {
  const parts = readBuiltinDiskParts();
  let disk;
  try {
    disk = composeBootDisk(parts, { size: DEFAULT_BOOT_DISK_BYTES, label: BUILTIN_DISK_LABEL });
  } catch (e) {
    if (e instanceof FatError) throw new UsageError(`cannot compose the built-in boot disk: ${e.message}`);
    throw e;
  }
  return disk;
}

/**
 * Waits for the machine's disks to make the guest's writes durable, then closes the files.
 * Returns what went wrong, as one line, or undefined.
 */
async function flushAndClose(machine: Machine, disks: BootDisks): Promise<string | undefined> {
  if (!disks.hda && !disks.hdb) return undefined;
  const error = await new Promise<Error | undefined>((resolve) => machine.flushDisks(resolve));
  closeBootDisks(disks);
  if (!error) return undefined;
  const which = [disks.hda?.path, disks.hdb?.path].filter(Boolean).join("' or '");
  return `could not write the guest's changes to '${which}': ${error.message.split('\n')[0]}`;
}

/** Let stdin and timers run between slices without adding the 1 ms minimum of setTimeout. */
function yieldToHost(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
