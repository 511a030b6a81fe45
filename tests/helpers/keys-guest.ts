/**
 * The built-in guest with a shell on tty1 for the key tests: the boot disk gets a
 * local/sbin/frontend_start (the guest's /usr/local/sbin/frontend_start, which the rootfs's
 * frontend_start prefers) that says on the serial console where it runs and execs a login
 * shell, so keys typed on the PS/2 keyboard reach a shell whatever launcher the rootfs ships.
 */
import { KeyScriptRunner } from '../../src/emu/input/key-script-runner';
import { parseKeyScript } from '../../src/emu/input/key-script';
import type { BootDiskParts } from '../../src/storage/boot-disk';
import type { GuestSession } from './guest';
import { builtinParts } from './od-guest';

/** What the tty1 shell's frontend_start prints on ttyS0 before it execs the shell. */
export const TTY1_SHELL_BANNER = 'keys-test: shell on /dev/tty1';

export const FRONTEND_START = `#!/bin/sh
echo "keys-test: shell on $(tty)" > /dev/ttyS0
exec /bin/sh -l
`;

/** The built-in disk's parts with our frontend_start in local/sbin (replacing any there). */
export function tty1ShellParts(): BootDiskParts {
  const parts = builtinParts();
  return {
    ...parts,
    local: [
      ...(parts.local ?? []).filter((f) => f.path !== 'sbin/frontend_start'),
      { path: 'sbin/frontend_start', data: new TextEncoder().encode(FRONTEND_START), modified: new Date(1_700_000_000_000) },
    ],
    dirs: [...(parts.dirs ?? []), 'sbin'],
  };
}

/** Run until `text` is anywhere in the output (the session's wait mark stays where it is). */
export function runUntilOutput(s: GuestSession, text: string, guestSeconds = 60): void {
  const m = s.machine;
  const limit = m.seconds + guestSeconds;
  while (!s.output.includes(text)) {
    if (m.power === 'off' || m.seconds > limit) throw new Error(`no ${JSON.stringify(text)}; last output:\n${s.output.slice(-1500)}`);
    m.run(2_000_000);
  }
}

/** Run the guest for `ms` milliseconds of guest time. */
export function runFor(s: GuestSession, ms: number): void {
  const m = s.machine;
  const end = m.clock.cycles + Math.round((ms * m.clock.hz) / 1000);
  while (m.clock.cycles < end && m.power === 'running') m.run(Math.min(2_000_000, end - m.clock.cycles));
}

/**
 * Carry out a key script (--keys syntax) on the session's machine, as the CLI does: serial
 * output goes to the runner and it is polled between slices. Fails after `guestSeconds`.
 */
export function runKeyScript(s: GuestSession, script: string, guestSeconds = 60): void {
  const m = s.machine;
  const runner = new KeyScriptRunner(parseKeyScript(script), m, {
    note: (line) => {
      throw new Error(`key script: ${line}`);
    },
  });
  // The session collects output as text; the runner sees only what comes after it started.
  let seen = s.output.length;
  const limit = m.seconds + guestSeconds;
  for (;;) {
    for (; seen < s.output.length; seen++) runner.serial(s.output.charCodeAt(seen));
    const next = runner.poll();
    if (runner.finished) return;
    if (m.power === 'off') throw new Error(`guest powered off at ${runner.describePosition()}`);
    if (m.seconds > limit) {
      throw new Error(`key script stuck at ${runner.describePosition()}; last output:\n${s.output.slice(-1500)}`);
    }
    m.run(Math.min(2_000_000, Math.max(1, next)));
  }
}
