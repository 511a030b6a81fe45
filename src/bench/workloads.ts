/**
 * The Debian-kernel benchmark run the same way in Node and in a browser's Web Worker: boot the
 * built-in guest's Debian kernel with the busybox initramfs, then time each workload from the
 * command typed to the next prompt. Plain TypeScript with no Node or DOM API, like src/emu.
 */
import { Machine } from '../emu/machine';

export const PROMPT = 'odtab# ';

export interface Workload {
  name: string;
  /** Run first, untimed (makes the workload's input). */
  setup?: string;
  command: string;
}

const SHELL_LOOP = 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done';

export const WORKLOADS: Workload[] = [
  { name: 'shell loop (20000 iterations)', command: SHELL_LOOP },
  {
    name: 'md5sum of 16 MiB',
    setup: 'dd if=/dev/urandom of=/tmp/r bs=1M count=16 2>/dev/null',
    command: 'md5sum /tmp/r',
  },
  { name: 'gzip of 16 MiB', command: 'gzip -c /tmp/r | wc -c' },
  // Once its code is translated and compiled: the first run also pays for warming up.
  { name: 'the same shell loop again', command: SHELL_LOOP },
];

export interface Result {
  bootSeconds: number;
  bootInstructions?: number;
  loops: { name: string; seconds: number; instructions?: number }[];
}

export interface DebianGuest {
  kernel: Uint8Array;
  initrd: Uint8Array;
  cmdline: string;
}

/** Boots `g` and runs WORKLOADS; host times from performance.now(). */
export function benchDebianGuest(g: DebianGuest): Result {
  let out = '';
  const t0 = performance.now();
  const m = new Machine({
    kernel: g.kernel,
    initrd: g.initrd,
    commandLine: g.cmdline,
    rtcEpochSeconds: 1_700_000_000,
    onSerial: (b) => {
      out += String.fromCharCode(b);
    },
  });
  const waitPrompt = (from: number) => {
    while (out.indexOf(PROMPT, from) < 0) {
      if (m.power === 'off') throw new Error('guest powered off');
      m.run(2_000_000);
    }
    return out.length;
  };
  const type = (line: string) => m.sendSerial(new TextEncoder().encode(line + '\n'));
  let mark = waitPrompt(0);
  const bootSeconds = (performance.now() - t0) / 1000;
  const bootInstructions = m.instructions;
  const loops: Result['loops'] = [];
  for (const w of WORKLOADS) {
    if (w.setup) {
      type(w.setup);
      mark = waitPrompt(mark);
    }
    const i0 = m.instructions;
    const s0 = performance.now();
    type(w.command);
    mark = waitPrompt(mark);
    loops.push({ name: w.name, seconds: (performance.now() - s0) / 1000, instructions: m.instructions - i0 });
  }
  return { bootSeconds, bootInstructions, loops };
}
