import type { Button } from '../input/buttons';
import { padButtons, padChanges } from '../input/gamepad-map';

/**
 * Polls connected gamepads once per animation frame while any is connected (the Gamepad API has
 * no button events) and reports presses and releases of handheld buttons.
 */
export function watchGamepads(send: (b: Button, down: boolean) => void): () => void {
  let held = new Set<Button>();
  let raf = 0;
  const poll = () => {
    raf = 0;
    const now = new Set<Button>();
    let connected = false;
    for (const pad of navigator.getGamepads()) {
      if (!pad) continue;
      connected = true;
      for (const b of padButtons(pad)) now.add(b);
    }
    const { press, release } = padChanges(held, now);
    for (const b of release) send(b, false);
    for (const b of press) send(b, true);
    held = now;
    if (connected) raf = requestAnimationFrame(poll);
  };
  const onConnect = () => {
    if (!raf) raf = requestAnimationFrame(poll);
  };
  window.addEventListener('gamepadconnected', onConnect);
  window.addEventListener('gamepaddisconnected', onConnect);
  return () => {
    window.removeEventListener('gamepadconnected', onConnect);
    window.removeEventListener('gamepaddisconnected', onConnect);
    cancelAnimationFrame(raf);
    for (const b of held) send(b, false);
  };
}
