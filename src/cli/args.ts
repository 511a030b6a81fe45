import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type KeyStep, KeyScriptError, parseKeyScript } from '../emu/input/key-script';
import { hostReason } from './disk-image';
import { checkScreenshotPath } from './screenshot';

/** A problem with what the user gave us: the CLI prints it as one line and exits with code 2. */
export class UsageError extends Error {}

/** The built-in guests (see builtin-guest.ts): odtab's own kernel, or Debian's with its initrd. */
export const GUEST_NAMES = ['odtab', 'debian'] as const;
export type GuestName = (typeof GUEST_NAMES)[number];

export interface BootOptions {
  /** Which built-in guest to boot when no --kernel is given. */
  guest?: GuestName;
  kernel?: string;
  initrd?: string;
  append?: string;
  mem: number;
  cpu: '24Kf' | '4KEc';
  until?: string;
  timeout?: number;
  input?: string;
  realtime: boolean;
  trace?: string;
  traceLimit: number;
  quiet: boolean;
  jit: boolean;
  hda?: string;
  hdb?: string;
  snapshot: boolean;
  /** A preset (file, link or URL) that sets kernel, disks, memory and CPU: see preset.ts. */
  preset?: string;
  /** --screenshot: PNG of the screen when the run ends. */
  screenshot?: string;
  /** --keys, parsed. */
  keys?: KeyStep[];
  /** Set by a preset's `start`: typed on the serial shell at its first prompt (see preset/launch.ts). */
  startCommand?: string;
}

export const BOOT_HELP = `Usage: odtab boot [options]

Boot the MIPS Malta machine with the serial console (ttyS0) on this terminal, like
qemu-system-mipsel -M malta -nographic. With no --kernel it boots the built-in guest the
OpenDingux way: odtab's kernel loop-mounts rootfs.bin from a FAT boot disk (--hda, or one
composed in memory from the built-in rootfs.bin and local/) and gives a root shell.
Type Ctrl-A x to quit; Ctrl-A Ctrl-A sends a Ctrl-A to the guest.

Options:
  --guest NAME        built-in guest to boot without --kernel: odtab (default: odtab's own kernel)
                      or debian (Debian's Malta kernel and initrd.gz, same disk, same flow)
  --kernel FILE       kernel ELF (vmlinux, or Debian's self-decompressing vmlinuz; .gz is unpacked)
  --initrd FILE       initial ramdisk, placed below the top of low RAM as QEMU does
  --append TEXT       kernel command line (the built-in guests add it after their own)
  --hda FILE          raw disk image as the primary master IDE disk (Linux's /dev/sda)
  --hdb FILE          raw disk image as the primary slave (/dev/sdb)
  --snapshot          keep the guest's disk writes in memory: the image files stay unchanged
  --preset FILE|URL   boot the web app's preset: a JSON file, a preset link (URL#v=1&...) or a URL
  --mem MIB           RAM in MiB, 16 to 2048 (default 256; Linux uses at most 256 without HIGHMEM)
  --cpu MODEL         24Kf (default, with FPU) or 4KEc (no FPU: the kernel emulates floating point)
  --until TEXT        exit 0 as soon as TEXT appears on the serial console
  --timeout SECONDS   exit 3 after this many seconds of host time
  --input FILE        feed FILE's bytes to the serial console, as if typed, as the guest reads them
  --realtime          pace guest time to the wall clock (default when stdin is a terminal)
  --no-realtime       run as fast as the host allows; output is then deterministic
  --trace FILE        write executed PCs, exceptions and interrupts to FILE (diff against
                      QEMU's -d exec,int,nochain log with scripts/trace-diff.mjs)
  --trace-limit N     stop tracing after N instructions (default 20000000)
  --no-jit            interpret every instruction (slower; for comparing against the translator)
  --screenshot FILE   write the guest's screen as a PNG when the run ends, whatever ends it
                      (--until, --timeout, poweroff, quit, a signal); a screen with no video
                      mode gives a black picture of the last mode's size, and a note on stderr
  --keys SCRIPT       drive the keyboard and the handheld's buttons, step by step on guest time
                      (see "Key scripts" below); --keys @FILE reads the steps from FILE
  --quiet             do not print odtab's own status lines on stderr
  -h, --help          show this help

Disks behave like QEMU's -hda/-hdb: the guest's writes go to the file (flushed before odtab
exits) and are there on the next boot, unless --snapshot. The built-in guest's disk without
--hda lives in memory and is gone at exit: odtab disk create sd.img --builtin makes one to keep
(then --hda sd.img). Before booting, the --hda disk must be
a sound FAT image holding a squashfs rootfs.bin when the boot looks for one (the built-in guest,
a boot=/loop0= command line, or a kernel with one built in); otherwise a FAT disk must be sound
and a disk that is not FAT is attached as it is. Make disks with odtab disk create.

Key scripts (--keys): steps separated by commas, done in order; in a file also one per line,
with blank lines and lines starting with # skipped. Times are guest time.
  A, START, UP, ...     a handheld button, any case: press, hold 100 ms, release, 50 ms gap.
                        Buttons: UP DOWN LEFT RIGHT A B X Y L R START SELECT POWER, and the
                        RG350's L2 R2 L3 R3 (keys: arrows, A=ControlLeft B=AltLeft X=Space
                        Y=ShiftLeft L=Tab R=Backspace START=Enter SELECT=Escape POWER=Power,
                        L2/R2=PageUp/PageDown, L3/R3=NumpadDivide/NumpadDecimal)
  Enter, KeyQ, F1, ...  a key by its KeyboardEvent.code (any case), the same way
  POWER+X, A+B          keys held together: pressed in order, released in reverse order
  down:NAME, up:NAME    only press or only release (NAME may be a chord), no hold, no gap
  type:TEXT             type TEXT on a US keyboard, Shift where needed (20 ms per key, 20 ms gap)
  wait:TEXT             wait until TEXT appears on the serial console: printed after the last
                        key step began, or after what the previous wait matched
  wait:prompt           wait for a shell prompt on the serial console: a line whose text ends
                        in "# " (escape sequences aside), then 20 ms with nothing more printed
                        or the shell's cursor query (ESC [ 6 n, as busybox sends) at once
  sleep:MS              let MS milliseconds of guest time pass
  shot:FILE             write a PNG of the screen now (like --screenshot)
  quit                  end the run now, exit code 0 (like Ctrl-A x)
In TEXT and FILE: \\, is a comma, \\\\ a backslash, \\n a line feed (Enter when typed), \\r, \\t (Tab).
The keys go to the PS/2 keyboard, which Linux gives to the active virtual terminal (tty1) and
/dev/input/event0; the serial console gets none of them. A key pressed before the guest has
set up its keyboard is lost: start a script with wait:prompt. When the script is done, the run
goes on until the usual end (--until, --timeout, poweroff, Ctrl-A x); a wait that never
matches holds the script there, so give --timeout in scripted runs. Example:
  odtab boot --no-realtime --timeout 120 --keys "wait:prompt,START,A,shot:menu.png,quit"

Exit codes: 0 guest powered off, --until matched, or quit; 2 bad input (also a bad --keys
script, found before booting); 3 timeout; 4 the guest powered off before the --keys script
was done; 1 internal error or a screenshot that could not be written; 130/143 stopped by
SIGINT/SIGTERM (disks flushed first).
`;

export function parseBootArgs(argv: string[], stdinIsTty: boolean): BootOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        guest: { type: 'string' },
        kernel: { type: 'string' },
        initrd: { type: 'string' },
        append: { type: 'string' },
        mem: { type: 'string' },
        cpu: { type: 'string' },
        until: { type: 'string' },
        timeout: { type: 'string' },
        input: { type: 'string' },
        realtime: { type: 'boolean' },
        'no-realtime': { type: 'boolean' },
        trace: { type: 'string' },
        'trace-limit': { type: 'string' },
        quiet: { type: 'boolean' },
        'no-jit': { type: 'boolean' },
        hda: { type: 'string' },
        hdb: { type: 'string' },
        snapshot: { type: 'boolean' },
        preset: { type: 'string' },
        screenshot: { type: 'string' },
        keys: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see odtab boot --help)`);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const mem = v.mem === undefined ? 256 : Number(v.mem);
  if (!Number.isInteger(mem) || mem < 16 || mem > 2048) {
    throw new UsageError(`--mem must be a whole number of MiB from 16 to 2048, not '${v.mem}'`);
  }
  const cpuName = (v.cpu ?? '24Kf').toLowerCase();
  const cpu = cpuName === '24kf' ? '24Kf' : cpuName === '4kec' ? '4KEc' : null;
  if (!cpu) throw new UsageError(`--cpu must be 24Kf or 4KEc, not '${v.cpu}'`);
  let timeout: number | undefined;
  if (v.timeout !== undefined) {
    timeout = Number(v.timeout);
    if (!(timeout > 0)) throw new UsageError(`--timeout must be a positive number of seconds, not '${v.timeout}'`);
  }
  const traceLimit = v['trace-limit'] === undefined ? 20_000_000 : Number(v['trace-limit']);
  if (!Number.isInteger(traceLimit) || traceLimit <= 0) {
    throw new UsageError(`--trace-limit must be a positive whole number, not '${v['trace-limit']}'`);
  }
  if (v.until === '') throw new UsageError('--until needs a non-empty text');
  if (v.hda === '') throw new UsageError('--hda needs a file name');
  if (v.hdb === '') throw new UsageError('--hdb needs a file name');
  let guest: GuestName | undefined;
  if (v.guest !== undefined) {
    guest = GUEST_NAMES.find((g) => g === v.guest?.toLowerCase());
    if (!guest) throw new UsageError(`--guest must be ${GUEST_NAMES.join(' or ')}, not '${v.guest}'`);
    if (v.kernel !== undefined) throw new UsageError('--guest picks a built-in guest; it does not go with --kernel');
  }
  if (v.screenshot !== undefined) checkScreenshotPath(v.screenshot, '--screenshot');
  const keys = v.keys === undefined ? undefined : parseKeysOption(v.keys);
  keys?.forEach((step, i) => {
    for (const op of step.ops) if (op.op === 'shot') checkScreenshotPath(op.file, `--keys: step ${i + 1} '${step.source}'`);
  });
  return {
    guest,
    kernel: v.kernel,
    initrd: v.initrd,
    append: v.append,
    mem,
    cpu,
    until: v.until,
    timeout,
    input: v.input,
    realtime: v['no-realtime'] ? false : v.realtime ? true : stdinIsTty,
    trace: v.trace,
    traceLimit,
    quiet: !!v.quiet,
    jit: !v['no-jit'],
    hda: v.hda,
    hdb: v.hdb,
    snapshot: !!v.snapshot,
    preset: v.preset,
    screenshot: v.screenshot,
    keys,
  };
}

/** --keys SCRIPT or --keys @FILE (steps on lines or separated by commas). */
function parseKeysOption(value: string): KeyStep[] {
  if (value.trim() === '') throw new UsageError('--keys needs a script (see odtab boot --help)');
  let script = value;
  let lines = false;
  if (value.startsWith('@')) {
    const path = value.slice(1);
    if (path === '') throw new UsageError('--keys @FILE needs a file name');
    try {
      script = readFileSync(path, 'utf8');
    } catch (e) {
      throw new UsageError(`--keys: cannot read '${path}': ${hostReason(e)}`);
    }
    lines = true;
  }
  try {
    return parseKeyScript(script, { lines });
  } catch (e) {
    if (e instanceof KeyScriptError) throw new UsageError(`--keys: ${e.message}`);
    throw e;
  }
}
