/**
 * The handheld's buttons as the guest sees them: the one table the CLI (--keys), the web UI and
 * the tests share. OpenDingux devices (GCW-Zero, RG350, Dingoo A320) wire their buttons as
 * gpio-keys that report ordinary keyboard keys; on the Malta board the same keys come from the
 * PS/2 keyboard, so a button is a key named by its KeyboardEvent.code (what a browser reports
 * and what ps2-keyboard.ts understands). Source: shared/docs/opendingux.md, "Screen, input, sound".
 */

export type ButtonName =
  | 'UP' | 'DOWN' | 'LEFT' | 'RIGHT'
  | 'A' | 'B' | 'X' | 'Y'
  | 'L' | 'R'
  | 'START' | 'SELECT'
  | 'POWER'
  | 'L2' | 'R2' | 'L3' | 'R3';

export interface Button {
  name: ButtonName;
  /** The key the guest gets, as a KeyboardEvent.code. */
  code: string;
  /** Linux's name for that key (include/uapi/linux/input-event-codes.h) ... */
  linuxKey: string;
  /** ... and its number, as an evdev reader (SDL, the launcher) sees it. */
  linuxCode: number;
  /** Short text for a button in a UI or a help screen. */
  label: string;
  /** Only the RG350 family has it (second shoulder pair, stick clicks). */
  rg350Only: boolean;
}

function b(name: ButtonName, code: string, linuxKey: string, linuxCode: number, label: string, rg350Only = false): Button {
  return { name, code, linuxKey, linuxCode, label, rg350Only };
}

/** Every button, in the order a UI lists them. */
export const BUTTONS: readonly Button[] = Object.freeze([
  b('UP', 'ArrowUp', 'KEY_UP', 103, 'Up'),
  b('DOWN', 'ArrowDown', 'KEY_DOWN', 108, 'Down'),
  b('LEFT', 'ArrowLeft', 'KEY_LEFT', 105, 'Left'),
  b('RIGHT', 'ArrowRight', 'KEY_RIGHT', 106, 'Right'),
  // Face buttons by position (the printed letters differ between devices): A right, B bottom,
  // X top, Y left.
  b('A', 'ControlLeft', 'KEY_LEFTCTRL', 29, 'A'),
  b('B', 'AltLeft', 'KEY_LEFTALT', 56, 'B'),
  b('X', 'Space', 'KEY_SPACE', 57, 'X'),
  b('Y', 'ShiftLeft', 'KEY_LEFTSHIFT', 42, 'Y'),
  b('L', 'Tab', 'KEY_TAB', 15, 'L'),
  b('R', 'Backspace', 'KEY_BACKSPACE', 14, 'R'),
  b('START', 'Enter', 'KEY_ENTER', 28, 'Start'),
  b('SELECT', 'Escape', 'KEY_ESC', 1, 'Select'),
  b('POWER', 'Power', 'KEY_POWER', 116, 'Power'),
  b('L2', 'PageUp', 'KEY_PAGEUP', 104, 'L2', true),
  b('R2', 'PageDown', 'KEY_PAGEDOWN', 109, 'R2', true),
  b('L3', 'NumpadDivide', 'KEY_KPSLASH', 98, 'L3', true),
  b('R3', 'NumpadDecimal', 'KEY_KPDOT', 83, 'R3', true),
].map((x) => Object.freeze(x)));

const BY_NAME = new Map(BUTTONS.map((x) => [x.name.toLowerCase(), x]));
const BY_CODE = new Map(BUTTONS.map((x) => [x.code, x]));

/** The button called `name` (any case: "start", "Start", "START"), or undefined. */
export function findButton(name: string): Button | undefined {
  return BY_NAME.get(name.trim().toLowerCase());
}

/** The button a host key stands for (KeyboardEvent.code, exact), e.g. to light it up in a UI. */
export function buttonForCode(code: string): Button | undefined {
  return BY_CODE.get(code);
}
