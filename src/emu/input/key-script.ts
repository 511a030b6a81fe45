/**
 * Key scripts: steps that drive the guest's keyboard on guest time, the way QEMU's `sendkey`
 * and an expect script would, for `odtab boot --keys` and for the web app. Host-neutral: the
 * host feeds the serial output in, calls poll() between slices of guest time and writes the
 * screenshots a `shot:` step asks for.
 *
 * Syntax (steps separated by commas; in a script file also by line breaks):
 *   A, START, UP ...      a button (any case): press, hold 100 ms, release, 50 ms gap
 *   Enter, KeyQ, F1 ...   a KeyboardEvent.code (any case), the same way
 *   A+B, POWER+X          a chord: pressed in order, held together, released in reverse order
 *   down:NAME, up:NAME    press or release only (NAME may be a chord), no hold, no gap
 *   type:TEXT             types TEXT with the US layout (Shift where needed), 20 ms per key and gap
 *   wait:TEXT             until TEXT is printed on the serial console (see KeyScriptRunner)
 *   wait:prompt           until a shell prompt: a serial line ending in "# ", then quiet for
 *                         20 ms or the shell's cursor query (see KeyScriptRunner)
 *   sleep:MS              MS milliseconds of guest time
 *   shot:FILE             a screenshot now (the host writes it)
 *   quit                  end the run now, as the host's own quit key would
 * In TEXT: \, is a comma, \\ a backslash, \n a line feed (Enter for type:), \r, \t (Tab).
 */
import { keystrokeFor } from './us-layout';
import { buttonNames, resolveKey } from './key-names';

/** A button or key step: held this long, then this long before the next step (guest ms). */
export const PRESS_HOLD_MS = 100;
export const PRESS_GAP_MS = 50;
/** Per character of type: (fast enough for long commands, slow enough for any reader). */
export const TYPE_HOLD_MS = 20;
export const TYPE_GAP_MS = 20;
/** Longest sleep: a day of guest time. */
const MAX_SLEEP_MS = 86_400_000;

/** What a step does, as the runner carries it out. */
export type KeyOp =
  | { op: 'key'; code: string; down: boolean }
  | { op: 'delay'; ms: number }
  | { op: 'wait'; text: string; bytes: Uint8Array }
  | { op: 'prompt' }
  | { op: 'shot'; file: string }
  | { op: 'quit' };

export interface KeyStep {
  /** The step as written, for messages. */
  source: string;
  kind: 'press' | 'down' | 'up' | 'type' | 'wait' | 'prompt' | 'sleep' | 'shot' | 'quit';
  ops: KeyOp[];
}

/** A script that does not parse: the message is one line, naming the step. */
export class KeyScriptError extends Error {}

export interface ParseOptions {
  /** Line breaks separate steps too, blank lines and lines starting with # are skipped (files). */
  lines?: boolean;
}

/** Parse a script; throws KeyScriptError on the first bad step. */
export function parseKeyScript(script: string, options: ParseOptions = {}): KeyStep[] {
  const raw = splitSteps(script, !!options.lines);
  if (raw.length === 0) throw new KeyScriptError('the script has no steps');
  return raw.map((r, i) => {
    try {
      return parseStep(r);
    } catch (e) {
      if (e instanceof KeyScriptError) throw new KeyScriptError(`step ${i + 1} '${shorten(r)}': ${e.message}`);
      throw e;
    }
  });
}

/** Split at unescaped separators, keeping escapes for the step parser. */
function splitSteps(script: string, lines: boolean): string[] {
  const steps: string[] = [];
  const lineList = lines ? script.split(/\r?\n/) : [script];
  for (const line of lineList) {
    if (lines && (line.trim() === '' || line.trimStart().startsWith('#'))) continue;
    let cur = '';
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (c === '\\' && i + 1 < line.length) {
        cur += c + line[++i];
      } else if (c === ',') {
        steps.push(cur);
        cur = '';
      } else {
        cur += c;
      }
    }
    steps.push(cur);
  }
  return steps;
}

function parseStep(raw: string): KeyStep {
  const step = raw.trimStart();
  if (step.trim() === '') throw new KeyScriptError('empty step (two commas in a row, or one at the end?)');
  const colon = step.indexOf(':');
  if (colon < 0 && step.trim().toLowerCase() === 'quit') return { source: 'quit', kind: 'quit', ops: [{ op: 'quit' }] };
  if (colon < 0) {
    const keys = chord(step.trim());
    return { source: step.trim(), kind: 'press', ops: pressOps(keys, PRESS_HOLD_MS, PRESS_GAP_MS) };
  }
  const prefix = step.slice(0, colon).trim().toLowerCase();
  const arg = step.slice(colon + 1);
  const source = step;
  switch (prefix) {
    case 'down':
      return { source, kind: 'down', ops: chord(arg.trim()).map((code) => ({ op: 'key', code, down: true })) };
    case 'up':
      return { source, kind: 'up', ops: chord(arg.trim()).reverse().map((code) => ({ op: 'key', code, down: false })) };
    case 'type':
      return { source, kind: 'type', ops: typeOps(unescape(arg)) };
    case 'wait': {
      if (arg.trim().toLowerCase() === 'prompt') return { source, kind: 'prompt', ops: [{ op: 'prompt' }] };
      const text = unescape(arg);
      if (text === '') throw new KeyScriptError('wait: needs a text to wait for (or wait:prompt)');
      return { source, kind: 'wait', ops: [{ op: 'wait', text, bytes: new TextEncoder().encode(text) }] };
    }
    case 'sleep': {
      const t = arg.trim();
      const ms = /^\d+(\.\d+)?$/.test(t) ? Number(t) : NaN;
      if (!(ms >= 0 && ms <= MAX_SLEEP_MS)) {
        throw new KeyScriptError(`sleep: needs milliseconds of guest time, 0 to ${MAX_SLEEP_MS}, not '${t}'`);
      }
      return { source, kind: 'sleep', ops: [{ op: 'delay', ms }] };
    }
    case 'shot': {
      const file = unescape(arg).trim();
      if (file === '') throw new KeyScriptError('shot: needs a file name');
      return { source, kind: 'shot', ops: [{ op: 'shot', file }] };
    }
    default:
      throw new KeyScriptError(`unknown step '${prefix}:' (steps: NAME, NAME+NAME, down:, up:, type:, wait:, sleep:, shot:, quit)`);
  }
}

/** Key codes of NAME or NAME+NAME+... */
function chord(spec: string): string[] {
  if (spec === '') throw new KeyScriptError('needs a button or key name');
  const codes: string[] = [];
  for (const part of spec.split('+')) {
    const name = part.trim();
    const key = name === '' ? undefined : resolveKey(name);
    if (!key) {
      throw new KeyScriptError(
        `unknown button or key '${name}' (buttons: ${buttonNames().join(' ')}; keys: KeyboardEvent.code names such as KeyA, Digit1, Enter, ArrowUp, F1)`,
      );
    }
    if (codes.includes(key.code)) throw new KeyScriptError(`'${name}' is the same key twice in one chord`);
    codes.push(key.code);
  }
  return codes;
}

function pressOps(codes: string[], hold: number, gap: number): KeyOp[] {
  const ops: KeyOp[] = codes.map((code) => ({ op: 'key', code, down: true }));
  ops.push({ op: 'delay', ms: hold });
  for (let i = codes.length - 1; i >= 0; i--) ops.push({ op: 'key', code: codes[i]!, down: false });
  ops.push({ op: 'delay', ms: gap });
  return ops;
}

function typeOps(text: string): KeyOp[] {
  if (text === '') throw new KeyScriptError('type: needs a text to type');
  const ops: KeyOp[] = [];
  for (const ch of text) {
    const k = keystrokeFor(ch);
    if (!k) {
      const shown = ch.codePointAt(0)! < 0x20 ? `\\x${ch.codePointAt(0)!.toString(16).padStart(2, '0')}` : ch;
      throw new KeyScriptError(`cannot type '${shown}': no key of the US layout makes it`);
    }
    ops.push(...pressOps(k.shift ? ['ShiftLeft', k.code] : [k.code], TYPE_HOLD_MS, TYPE_GAP_MS));
  }
  return ops;
}

const ESCAPES: Record<string, string> = { ',': ',', '\\': '\\', n: '\n', r: '\r', t: '\t' };

function unescape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[++i];
    const v = e === undefined ? undefined : ESCAPES[e];
    if (v === undefined) throw new KeyScriptError(`unknown escape '\\${e ?? ''}' (use \\, \\\\ \\n \\r \\t)`);
    out += v;
  }
  return out;
}

function shorten(s: string): string {
  const t = s.trim();
  return t.length > 40 ? `${t.slice(0, 37)}...` : t;
}
