/**
 * The handheld buttons as Linux gets them: the built-in guest boots, a reader on the serial shell
 * records /dev/input/event0 while the test presses every button through Machine.button(), and the
 * EV_KEY codes must be the ones OpenDingux apps expect. Then keys typed on the keyboard reach the
 * shell on tty1 (Machine.keyEvent through a key script), which writes to the serial console.
 */
import { describe, expect, it } from 'vitest';
import { BUTTONS } from '../src/emu/input/buttons';
import { OD_PROMPT, composedDisk, odSession } from './helpers/od-guest';
import { TTY1_SHELL_BANNER, runFor, runKeyScript, runUntilOutput, tty1ShellParts } from './helpers/keys-guest';

// From Linux's include/uapi/linux/input-event-codes.h (not from our table), and the button each
// stands for on a GCW-Zero / RG350 (shared/docs/opendingux.md).
const EV_KEY = 0x01;
const LINUX_KEY: Record<string, number> = {
  UP: 103, // KEY_UP
  DOWN: 108, // KEY_DOWN
  LEFT: 105, // KEY_LEFT
  RIGHT: 106, // KEY_RIGHT
  A: 29, // KEY_LEFTCTRL
  B: 56, // KEY_LEFTALT
  X: 57, // KEY_SPACE
  Y: 42, // KEY_LEFTSHIFT
  L: 15, // KEY_TAB
  R: 14, // KEY_BACKSPACE
  START: 28, // KEY_ENTER
  SELECT: 1, // KEY_ESC
  POWER: 116, // KEY_POWER
  L2: 104, // KEY_PAGEUP
  R2: 109, // KEY_PAGEDOWN
  L3: 98, // KEY_KPSLASH
  R3: 83, // KEY_KPDOT
};

/** struct input_event on 32-bit little-endian MIPS: timeval (2 x 4 bytes), u16 type, u16 code, s32 value. */
function parseEvents(odOutput: string): { type: number; code: number; value: number }[] {
  const bytes = odOutput
    .split('\n')
    .filter((l) => /^\s*([0-9a-f]{2}\s+)*[0-9a-f]{2}\s*$/.test(l))
    .flatMap((l) => l.trim().split(/\s+/).map((h) => parseInt(h, 16)));
  expect(bytes.length % 16, 'whole input_event records').toBe(0);
  const dv = new DataView(Uint8Array.from(bytes).buffer);
  const events = [];
  for (let o = 0; o < bytes.length; o += 16) {
    events.push({ type: dv.getUint16(o + 8, true), code: dv.getUint16(o + 10, true), value: dv.getInt32(o + 12, true) });
  }
  return events;
}

describe('handheld buttons reach Linux as OpenDingux keys', () => {
  const s = odSession({ hda: composedDisk(tty1ShellParts()) });
  const cmd = (line: string) => s.command(line, OD_PROMPT);

  it('boots with a shell on tty1 (our frontend_start) and the AT keyboard on event0', () => {
    const log = s.waitFor(OD_PROMPT).replace(/\r/g, '');
    expect(log).toMatch(/input: AT (Raw|Translated) Set 2 keyboard as /);
    // tty1's frontend_start runs beside the serial shell: its line may come after the prompt.
    runUntilOutput(s, TTY1_SHELL_BANNER);
    expect(cmd('cat /sys/class/input/event0/device/name')).toMatch(/\nAT (Raw|Translated) Set 2 keyboard\n/);
  });

  it('keys typed on the keyboard reach the shell on tty1, which writes to the serial console', () => {
    // Before the button test: its presses leave Tab, Escape, '/' and '.' on tty1's command line.
    // Shift for the capitals and symbols; the tty1 shell echoes to the screen, not to ttyS0.
    runKeyScript(s, 'type:echo "Typed: $((6*7)) OK!" > /dev/ttyS0\\n,wait:Typed: 42 OK!');
    expect(s.output).toContain('Typed: 42 OK!');
    expect(s.output).not.toContain('$((6*7))');
    expect(cmd('echo serial still $((1+1))')).toContain('\nserial still 2\n');
  });

  it('every button gives its key down and up on /dev/input/event0', () => {
    // The table covers exactly the buttons the test knows the Linux codes of.
    expect(BUTTONS.map((b) => b.name).sort()).toEqual(Object.keys(LINUX_KEY).sort());
    cmd('cat /dev/input/event0 > /tmp/ev & echo reader=$!');
    runFor(s, 200);
    for (const b of BUTTONS) {
      expect(s.machine.button(b.name.toLowerCase(), true), b.name).toBe(true);
      runFor(s, 100);
      expect(s.machine.button(b.name, false), b.name).toBe(true);
      runFor(s, 50);
    }
    const od = cmd('kill $!; sleep 1; od -An -v -tx1 /tmp/ev');
    const keys = parseEvents(od)
      .filter((e) => e.type === EV_KEY)
      .map((e) => [e.code, e.value]);
    const want = BUTTONS.flatMap((b) => [[LINUX_KEY[b.name], 1], [LINUX_KEY[b.name], 0]]);
    expect(keys).toEqual(want);
    // Unknown buttons and keys are refused, not guessed.
    expect(s.machine.button('Z', true)).toBe(false);
    expect(s.machine.keyEvent('NoSuchKey', true)).toBe(false);
  });
});
