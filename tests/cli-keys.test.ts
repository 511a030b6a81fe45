/**
 * `odtab boot --keys` as a user runs it (node bin/odtab.mjs): bad scripts refused before
 * booting, and a script file driving a shell on tty1 through the PS/2 keyboard on guest time,
 * with waits on the serial console, a sleep the guest's own clock measures, a screenshot of the
 * typed command on the screen, and quit; the exit code when the guest powers off mid-script.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DisplayFrame } from '../src/emu/devices/cirrus-scanout';
import { TYPE_GAP_MS, TYPE_HOLD_MS } from '../src/emu/input/key-script';
import { expectText, kernelFont, odtabKernel } from './helpers/cirrus-screen';
import { tempDir } from './helpers/fat-tools';
import { FRONTEND_START, TTY1_SHELL_BANNER } from './helpers/keys-guest';
import { OD_PROMPT } from './helpers/od-guest';

const ROOT = new URL('..', import.meta.url).pathname;
const tmp = tempDir('cli-keys');
const SHOTS = '/work/scratch-keys';

function odtab(args: string[], input = '') {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/odtab.mjs'), ...args], { input, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout.replace(/\r|\x1b\[6n/g, ''), stderr: r.stderr };
}

function expectBadInput(r: ReturnType<typeof odtab>, message: RegExp) {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe(''); // refused before booting: not a line from the guest
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^odtab: /);
  expect(lines[0]).toMatch(message);
}

beforeAll(() => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build-cli.mjs')], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
});

describe('odtab boot --keys: bad scripts exit 2 with one line, before booting', () => {
  it('unknown names, bad steps and escapes, empty steps', () => {
    expectBadInput(odtab(['boot', '--keys', 'wait:prompt,START,JUMP']), /^odtab: --keys: step 3 'JUMP': unknown button or key 'JUMP' \(buttons: UP DOWN LEFT RIGHT A B X Y L R START SELECT POWER/);
    expectBadInput(odtab(['boot', '--keys', 'A,,B']), /--keys: step 2 '': empty step/);
    expectBadInput(odtab(['boot', '--keys', 'press:A']), /--keys: step 1 'press:A': unknown step 'press:'/);
    expectBadInput(odtab(['boot', '--keys', 'sleep:soon']), /--keys: step 1 'sleep:soon': sleep: needs milliseconds of guest time/);
    expectBadInput(odtab(['boot', '--keys', 'type:caf\u00e9']), /--keys: step 1 'type:caf.': cannot type '\u00e9'/);
    expectBadInput(odtab(['boot', '--keys', 'wait:a\\qb']), /unknown escape '\\q'/);
    expectBadInput(odtab(['boot', '--keys', '']), /^odtab: --keys needs a script/);
  });

  it('script files: unreadable, or a bad step in them; shot: into a folder that is not there', () => {
    expectBadInput(odtab(['boot', '--keys', `@${join(tmp, 'missing.keys')}`]), /^odtab: --keys: cannot read '.*missing\.keys': no such file or directory$/);
    const file = join(tmp, 'bad.keys');
    writeFileSync(file, '# a comment\nwait:prompt\nSTART, A\nB+B\n');
    expectBadInput(odtab(['boot', '--keys', `@${file}`]), /--keys: step 4 'B\+B': 'B' is the same key twice in one chord/);
    expectBadInput(
      odtab(['boot', '--keys', `wait:prompt,shot:${join(tmp, 'nowhere', 'x.png')}`]),
      /--keys: step 2 'shot:.*x\.png': cannot write '.*x\.png': folder '.*nowhere': no such file or directory/,
    );
  });

  it('--help documents every step, the timing and the exit codes', () => {
    const r = odtab(['boot', '--help']);
    expect(r.code).toBe(0);
    for (const s of ['--keys SCRIPT', '--keys @FILE', '--screenshot FILE', 'down:NAME, up:NAME', 'type:TEXT', 'wait:TEXT', 'wait:prompt', 'sleep:MS', 'shot:FILE', 'quit', 'POWER+X', 'hold 100 ms', 'KeyboardEvent.code']) {
      expect(r.stdout).toContain(s);
    }
    expect(r.stdout).toMatch(/the run\s+goes on until the usual end/);
    expect(r.stdout).toMatch(/4 the guest powered off before the --keys\s+script\s+was done/);
  });
});

/** Decoded RGB PNG as a frame for the screen helpers. */
function frameOf(path: string): DisplayFrame {
  const img = decode(readFileSync(path));
  const n = img.width * img.height;
  const rgba = new Uint8ClampedArray(n * 4);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) rgba[p * 4 + c] = img.data[p * img.channels + c]!;
    rgba[p * 4 + 3] = 255;
  }
  return { width: img.width, height: img.height, rgba, dirty: null, mode: null };
}

describe('odtab boot --keys on the built-in guest', () => {
  // A boot disk with a shell on tty1, made the way a user would.
  const disk = join(tmp, 'sd.img');
  beforeAll(() => {
    const fs = join(tmp, 'frontend_start');
    writeFileSync(fs, FRONTEND_START);
    for (const args of [['create', disk, '--builtin'], ['mkdir', disk, 'local/sbin', '-p'], ['add', disk, fs, 'local/sbin/']]) {
      const r = odtab(['disk', ...args]);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it('a script file types on tty1, waits for the serial console, sleeps in guest time, takes a shot and quits', () => {
    const t1 = "echo T1 $(cut -d' ' -f1 /proc/uptime) > /dev/ttyS0\n";
    const t2 = "echo T2 $(cut -d' ' -f1 /proc/uptime) > /dev/ttyS0\n";
    const shot = join(existsSync(SHOTS) ? SHOTS : tmp, 'cli-keys-tty1.png');
    const exitShot = join(tmp, 'exit.png');
    const script = join(tmp, 'tty1.keys');
    writeFileSync(
      script,
      [
        '# the shell on tty1 (our frontend_start) says where it runs on the serial console',
        `wait:${TTY1_SHELL_BANNER}`,
        'sleep:500',
        `type:${t1.replace('\n', '\\n')}`,
        'wait:T1 ',
        'sleep:3000',
        'type:clear\\n',
        `type:${t2.replace('\n', '\\n')}`,
        'wait:T2 ',
        `shot:${shot}`,
        'quit',
        '',
      ].join('\n'),
    );
    const r = odtab(['boot', '--no-realtime', '--timeout', '280', '--hda', disk, '--snapshot', '--keys', `@${script}`, '--screenshot', exitShot]);
    expect(r.code, `${r.stderr}\n${r.stdout.slice(-2000)}`).toBe(0);
    expect(r.stderr).toContain(`odtab: screenshot: ${shot} (320x240, guest time`);
    expect(r.stderr).toMatch(/odtab: --keys: script done \(guest time [\d.]+ s\)/);
    expect(r.stderr).toContain(`odtab: screenshot at exit: ${exitShot} (320x240`);
    // The commands ran on tty1: their output is on the serial console, their text is not.
    expect(r.stdout).not.toContain('/proc/uptime');
    const up1 = Number(/T1 (\d+\.\d+)/.exec(r.stdout)?.[1]);
    const up2 = Number(/T2 (\d+\.\d+)/.exec(r.stdout)?.[1]);
    // Between the two readings of the guest's clock: the sleep, then typing "clear" and the
    // second command (each key 20 ms held, 20 ms gap), plus at most a slice or two of latency.
    const typing = (('clear\n'.length + t2.length) * (TYPE_HOLD_MS + TYPE_GAP_MS)) / 1000;
    expect(up2 - up1).toBeGreaterThanOrEqual(3 + typing - 0.02);
    expect(up2 - up1).toBeLessThan(3 + typing + 0.3);

    // The shot: tty1 cleared, then the prompt and the typed command, wrapped at 53 columns.
    const f = frameOf(shot);
    expect([f.width, f.height]).toEqual([320, 240]);
    const font = kernelFont(odtabKernel().kernel, 'System.map-odtab.gz', '6x10', 6, 10);
    const line = OD_PROMPT + t2.trimEnd();
    expect(expectText(f, font, 0, 0, line.slice(0, 53)).mismatches).toEqual([]);
    expect(expectText(f, font, 0, 1, line.slice(53)).mismatches).toEqual([]);
  });

  it('wait:prompt, then poweroff typed on tty1: powered off before the script is done, exit 4 and where it was', () => {
    const r = odtab(['boot', '--no-realtime', '--timeout', '280', '--hda', disk, '--snapshot', '--keys', 'wait:prompt,type:poweroff\\n,wait:never printed']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stdout).toContain('reboot: Power down');
    expect(r.stderr).toMatch(/odtab: the guest powered off before the --keys script was done: at step 3 of 3 \(wait:never printed\)\n/);
  });
});
