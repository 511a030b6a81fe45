/**
 * Key scripts without a guest: the parser's steps and errors, and the runner's timing and waits
 * on a stand-in target (a clock the test moves and a log of key events). What the guest makes of
 * the keys is tested by buttons-linux.test.ts and cli-keys.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { BUTTONS, buttonForCode, findButton } from '../src/emu/input/buttons';
import { ps2KeyCodes } from '../src/emu/devices/ps2-keyboard';
import { KeyScriptError, parseKeyScript } from '../src/emu/input/key-script';
import { KeyScriptRunner, type KeyTarget } from '../src/emu/input/key-script-runner';
import { keystrokeFor } from '../src/emu/input/us-layout';

const HZ = 1000_000; // one cycle per microsecond keeps the arithmetic readable

/** A keyboard that logs events with their guest time in ms and refuses while `refuse` is set. */
class Target implements KeyTarget {
  clock = { cycles: 0, hz: HZ };
  events: string[] = [];
  refuse = false;
  keyEvent(code: string, down: boolean): boolean {
    if (this.refuse) return false;
    this.events.push(`${this.ms} ${code} ${down ? 'down' : 'up'}`);
    return true;
  }
  get ms(): number {
    return this.clock.cycles / (HZ / 1000);
  }
}

/** Run the script: poll, advance the clock as far as the runner allows (at most `slice` ms). */
function drive(r: KeyScriptRunner, t: Target, opts: { untilMs: number; slice?: number; output?: Record<number, string> }) {
  const slice = (opts.slice ?? 10) * 1000;
  const output = new Map(Object.entries(opts.output ?? {}).map(([k, v]) => [Number(k), v]));
  while (t.ms < opts.untilMs) {
    const next = r.poll();
    if (r.finished && output.size === 0) return;
    const step = Math.min(slice, next);
    const before = t.ms;
    t.clock.cycles += step;
    for (const [at, text] of output) {
      if (at > before && at <= t.ms) {
        for (const c of text) r.serial(c.charCodeAt(0));
        output.delete(at);
      }
    }
  }
}

describe('the button table', () => {
  it('looks buttons up by name in any case, and by key code', () => {
    expect(findButton('start')?.code).toBe('Enter');
    expect(findButton(' Select ')?.code).toBe('Escape');
    expect(findButton('l2')?.rg350Only).toBe(true);
    expect(findButton('Z')).toBeUndefined();
    for (const b of BUTTONS) {
      expect(findButton(b.name.toLowerCase())).toBe(b);
      expect(buttonForCode(b.code)).toBe(b);
      // Every button is a key the PS/2 keyboard has.
      expect(ps2KeyCodes()).toContain(b.code);
    }
    expect(new Set(BUTTONS.map((b) => b.code)).size).toBe(BUTTONS.length);
  });

  it('types the US layout: Shift for capitals and the shifted symbols', () => {
    expect(keystrokeFor('a')).toEqual({ code: 'KeyA', shift: false });
    expect(keystrokeFor('Q')).toEqual({ code: 'KeyQ', shift: true });
    expect(keystrokeFor('$')).toEqual({ code: 'Digit4', shift: true });
    expect(keystrokeFor('"')).toEqual({ code: 'Quote', shift: true });
    expect(keystrokeFor('\n')).toEqual({ code: 'Enter', shift: false });
    expect(keystrokeFor('é')).toBeUndefined();
    for (let c = 0x20; c < 0x7f; c++) expect(keystrokeFor(String.fromCharCode(c)), String.fromCharCode(c)).toBeDefined();
  });
});

describe('parsing key scripts', () => {
  it('knows every kind of step', () => {
    const steps = parseKeyScript('wait:prompt, start ,KeyQ,POWER+X,down:A,up:a,type:Hi\\, you\\n,wait:a\\,b ,sleep:250,shot:x.png,quit');
    expect(steps.map((s) => s.kind)).toEqual(['prompt', 'press', 'press', 'press', 'down', 'up', 'type', 'wait', 'sleep', 'shot', 'quit']);
    expect(steps[1]!.ops).toEqual([
      { op: 'key', code: 'Enter', down: true },
      { op: 'delay', ms: 100 },
      { op: 'key', code: 'Enter', down: false },
      { op: 'delay', ms: 50 },
    ]);
    // A chord: pressed in order, released in reverse.
    expect(steps[3]!.ops.filter((o) => o.op === 'key')).toEqual([
      { op: 'key', code: 'Power', down: true },
      { op: 'key', code: 'Space', down: true },
      { op: 'key', code: 'Space', down: false },
      { op: 'key', code: 'Power', down: false },
    ]);
    expect(steps[4]!.ops).toEqual([{ op: 'key', code: 'ControlLeft', down: true }]);
    expect(steps[5]!.ops).toEqual([{ op: 'key', code: 'ControlLeft', down: false }]);
    // "Hi, you\n": H needs Shift; 8 characters, 4 ops each (down(s), hold, up(s), gap).
    const typed = steps[6]!.ops.filter((o) => o.op === 'key' && o.down).map((o) => (o as { code: string }).code);
    expect(typed).toEqual(['ShiftLeft', 'KeyH', 'KeyI', 'Comma', 'Space', 'KeyY', 'KeyO', 'KeyU', 'Enter']);
    expect(steps[7]!.ops[0]).toMatchObject({ op: 'wait', text: 'a,b ' });
    expect(steps[8]!.ops).toEqual([{ op: 'delay', ms: 250 }]);
    expect(steps[9]!.ops).toEqual([{ op: 'shot', file: 'x.png' }]);
  });

  it('reads files: one step per line or several per line, blank lines and # comments skipped', () => {
    const steps = parseKeyScript('# menu test\r\nwait:prompt\r\n\r\nSTART, A\r\n  # the end\r\ntype:ls\\n\r\n', { lines: true });
    expect(steps.map((s) => s.source)).toEqual(['wait:prompt', 'START', 'A', 'type:ls\\n']);
  });

  it('refuses bad scripts with one line naming the step', () => {
    const bad: [string, RegExp][] = [
      ['', /no steps|empty step/],
      ['A,,B', /^step 2 '': empty step/],
      ['A,', /^step 2 '': empty step/],
      ['START,JUMP', /^step 2 'JUMP': unknown button or key 'JUMP' \(buttons: UP DOWN/],
      ['A+', /^step 1 'A\+': unknown button or key ''/],
      ['A+a', /same key twice/],
      ['press:A', /unknown step 'press:'/],
      ['sleep:', /sleep: needs milliseconds/],
      ['sleep:-5', /sleep: needs milliseconds/],
      ['sleep:1e3', /sleep: needs milliseconds/],
      ['sleep:99999999999', /sleep: needs milliseconds/],
      ['wait:', /wait: needs a text/],
      ['type:', /type: needs a text/],
      ['type:naïve', /cannot type 'ï'/],
      ['type:a\\qb', /unknown escape '\\q'/],
      ['type:a\\', /unknown escape '\\'/],
      ['shot:', /shot: needs a file name/],
      ['down:', /needs a button or key name/],
    ];
    for (const [script, message] of bad) {
      let error: unknown;
      try {
        parseKeyScript(script);
      } catch (e) {
        error = e;
      }
      expect(error, script).toBeInstanceOf(KeyScriptError);
      expect((error as Error).message, script).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    }
  });
});

describe('running key scripts on guest time', () => {
  it('holds a press 100 ms, leaves 50 ms before the next step, types 20 + 20 ms per key', () => {
    const t = new Target();
    const r = new KeyScriptRunner(parseKeyScript('A,B+X,type:a!'), t);
    drive(r, t, { untilMs: 5000 });
    expect(t.events).toEqual([
      '0 ControlLeft down',
      '100 ControlLeft up',
      '150 AltLeft down',
      '150 Space down',
      '250 Space up',
      '250 AltLeft up',
      '300 KeyA down',
      '320 KeyA up',
      '340 ShiftLeft down',
      '340 Digit1 down',
      '360 Digit1 up',
      '360 ShiftLeft up',
    ]);
    // Done with the last release: the trailing gap does not hold the script.
    expect(r.finished).toBe(true);
    expect(t.ms).toBe(360);
  });

  it('sleeps in guest time, and a trailing sleep counts', () => {
    const t = new Target();
    const r = new KeyScriptRunner(parseKeyScript('sleep:1500,down:Y,sleep:700'), t);
    drive(r, t, { untilMs: 1000 });
    expect(t.events).toEqual([]);
    drive(r, t, { untilMs: 2000 });
    expect(t.events).toEqual(['1500 ShiftLeft down']);
    expect(r.finished).toBe(false);
    drive(r, t, { untilMs: 5000 });
    expect(r.finished).toBe(true);
    expect(t.ms).toBe(2200);
  });

  it('wait:TEXT sees what a key prints while held, and a second wait does not match the same text again', () => {
    const t = new Target();
    const shots: string[] = [];
    const r = new KeyScriptRunner(parseKeyScript('START,wait:pressed START,wait:pressed START,shot:after.png,SELECT'), t, {
      shot: (f) => shots.push(`${t.ms} ${f}`),
    });
    // Printed 30 ms into the hold, split across two slices; the second one 400 ms later.
    drive(r, t, { untilMs: 2000, output: { 30: 'old output... pres', 40: 'sed START\r\n', 800: 'pressed START\r\n' } });
    expect(t.events).toEqual(['0 Enter down', '100 Enter up', '800 Escape down', '900 Escape up']);
    expect(shots).toEqual(['800 after.png']);
    expect(r.finished).toBe(true);
  });

  it('wait:TEXT ignores what was printed before the last key step began', () => {
    const t = new Target();
    const r = new KeyScriptRunner(parseKeyScript('sleep:100,A,wait:ready,B'), t);
    drive(r, t, { untilMs: 1000, output: { 50: 'ready\n' } });
    expect(t.events).toEqual(['100 ControlLeft down', '200 ControlLeft up']);
    expect(r.describePosition()).toBe('step 3 of 4 (wait:ready)');
    drive(r, t, { untilMs: 2000, output: { 1500: 'ready\n' } });
    expect(t.events.slice(2)).toEqual(['1500 AltLeft down', '1600 AltLeft up']);
  });

  it('wait:prompt is a quiet line ending in "# ", escape sequences aside; a stale prompt does not count', () => {
    const t = new Target();
    const r = new KeyScriptRunner(parseKeyScript('wait:prompt,START,wait:prompt,A'), t);
    drive(r, t, {
      untilMs: 3000,
      output: {
        // A kernel line with "# " in it goes on after the slice: not a prompt.
        100: '[    0.1] cmdline # ',
        110: 'more\r\n',
        500: '\x1b[1mopendingux:/boot/local/home # \x1b[0m',
        // After START: output, but no new prompt until 2000 ms.
        1000: 'some output\r\n',
        2000: '(rescue) odtab# ',
      },
    });
    // A prompt counts once the guest has printed nothing more for 20 ms.
    expect(t.events).toEqual(['520 Enter down', '620 Enter up', '2020 ControlLeft down', '2120 ControlLeft up']);
  });

  it('wait:prompt: a shell asking for the cursor right after "# " is a prompt, even with output after it', () => {
    const t = new Target();
    const r = new KeyScriptRunner(parseKeyScript('wait:prompt,A'), t);
    drive(r, t, {
      untilMs: 1000,
      output: {
        // Another cursor query after non-prompt text does not count.
        100: 'query \x1b[6n',
        105: '# \x1b[5n more\r\n',
        // Another program writes on the same line 1 ms after busybox's prompt and query.
        300: 'opendingux:/boot/local/home # \x1b[6n',
        301: 'keys-test: shell on /dev/tty1\r\n',
      },
    });
    expect(t.events).toEqual(['300 ControlLeft down', '400 ControlLeft up']);
  });

  it('retries a key the keyboard refuses, then skips it with a note', () => {
    const t = new Target();
    const notes: string[] = [];
    const r = new KeyScriptRunner(parseKeyScript('A,B'), t, { note: (n) => notes.push(n) });
    t.refuse = true;
    drive(r, t, { untilMs: 50 });
    t.refuse = false;
    drive(r, t, { untilMs: 180 });
    expect(t.events[0]).toBe('50 ControlLeft down');
    expect(notes).toEqual([]);
    t.refuse = true;
    drive(r, t, { untilMs: 3000 });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^step 2 of 2 \(B\): the keyboard did not take AltLeft down for 2000 ms/);
  });

  it('quit calls the host and ends the script', () => {
    const t = new Target();
    let quit = -1;
    const r = new KeyScriptRunner(parseKeyScript('sleep:20,quit,A'), t, { quit: () => (quit = t.ms) });
    drive(r, t, { untilMs: 500 });
    expect(quit).toBe(20);
    expect(t.events).toEqual([]);
    expect(r.finished).toBe(true);
  });
});
