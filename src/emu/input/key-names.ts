/**
 * Names a script or a user may give a key: a handheld button (A, START, ... any case) or a
 * KeyboardEvent.code the PS/2 keyboard has (Enter, KeyA, F1, ... any case).
 */
import { ps2KeyCodes } from '../devices/ps2-keyboard';
import { type Button, BUTTONS, findButton } from './buttons';

const CODES = new Map(ps2KeyCodes().map((c) => [c.toLowerCase(), c]));

export interface NamedKey {
  /** KeyboardEvent.code sent to the keyboard. */
  code: string;
  button?: Button;
}

/** The key called `name`, buttons first; undefined when it is neither. */
export function resolveKey(name: string): NamedKey | undefined {
  const button = findButton(name);
  if (button) return { code: button.code, button };
  const code = CODES.get(name.trim().toLowerCase());
  return code ? { code } : undefined;
}

/** The button names, for messages and help. */
export function buttonNames(): string[] {
  return BUTTONS.map((x) => x.name);
}
