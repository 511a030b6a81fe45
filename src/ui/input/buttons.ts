import { BUTTONS as ALL_BUTTONS, type ButtonName } from '../../emu/input/buttons';

/**
 * The pad's view of the project's button table (src/emu/input/buttons.ts, shared with the CLI):
 * the buttons every OpenDingux handheld has (not the RG350-only second shoulders and stick
 * clicks), each with the KeyboardEvent.code the guest gets.
 */
const SHOWN = ALL_BUTTONS.filter((b) => !b.rg350Only);

export type Button = Exclude<ButtonName, 'L2' | 'R2' | 'L3' | 'R3'>;

export const BUTTON_KEYS = Object.freeze(Object.fromEntries(SHOWN.map((b) => [b.name, b.code]))) as Readonly<Record<Button, string>>;

export const BUTTONS = SHOWN.map((b) => b.name) as Button[];

export function buttonKey(b: Button): string {
  return BUTTON_KEYS[b];
}
