/**
 * The handheld's buttons and the keys they are on an OpenDingux device (gcw0 keymap).
 * TODO(keys): the project's table is src/emu/input/buttons.ts (issue 4, "keys"); when it is on
 * main, import BUTTONS/keys from there and delete this copy. Nothing else in src/ui holds the table.
 */
export const BUTTON_KEYS = {
  UP: 'ArrowUp',
  DOWN: 'ArrowDown',
  LEFT: 'ArrowLeft',
  RIGHT: 'ArrowRight',
  A: 'ControlLeft',
  B: 'AltLeft',
  X: 'Space',
  Y: 'ShiftLeft',
  L: 'Tab',
  R: 'Backspace',
  START: 'Enter',
  SELECT: 'Escape',
  POWER: 'Power',
} as const;

export type Button = keyof typeof BUTTON_KEYS;

export const BUTTONS = Object.keys(BUTTON_KEYS) as Button[];

export function buttonKey(b: Button): string {
  return BUTTON_KEYS[b];
}
