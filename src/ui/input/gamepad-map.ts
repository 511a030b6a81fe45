import type { Button } from './buttons';

/**
 * A browser Gamepad ("standard" mapping) as handheld buttons. The handheld has the Nintendo
 * layout (A right, B bottom, X top, Y left), so the pad's face buttons go by position, not label.
 */
const STANDARD: [number, Button][] = [
  [0, 'B'], // bottom
  [1, 'A'], // right
  [2, 'Y'], // left
  [3, 'X'], // top
  [4, 'L'],
  [5, 'R'],
  [6, 'L'], // triggers too, for pads where the shoulders are hard to reach
  [7, 'R'],
  [8, 'SELECT'],
  [9, 'START'],
  [12, 'UP'],
  [13, 'DOWN'],
  [14, 'LEFT'],
  [15, 'RIGHT'],
  [16, 'POWER'], // the guide/home button
];

/** Stick travel past which it counts as a d-pad press. */
const AXIS_THRESHOLD = 0.5;

export interface PadLike {
  buttons: readonly { pressed: boolean }[];
  axes: readonly number[];
}

/** The buttons a pad holds down now. */
export function padButtons(pad: PadLike): Set<Button> {
  const held = new Set<Button>();
  for (const [index, button] of STANDARD) if (pad.buttons[index]?.pressed) held.add(button);
  const x = pad.axes[0] ?? 0;
  const y = pad.axes[1] ?? 0;
  if (x < -AXIS_THRESHOLD) held.add('LEFT');
  if (x > AXIS_THRESHOLD) held.add('RIGHT');
  if (y < -AXIS_THRESHOLD) held.add('UP');
  if (y > AXIS_THRESHOLD) held.add('DOWN');
  return held;
}

/** What changed between two readings: buttons to press and to release. */
export function padChanges(before: Set<Button>, now: Set<Button>): { press: Button[]; release: Button[] } {
  return { press: [...now].filter((b) => !before.has(b)), release: [...before].filter((b) => !now.has(b)) };
}
