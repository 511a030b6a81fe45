import type { Button } from '../input/buttons';
import { padButtons, padChanges } from '../input/gamepad-map';

/**
 * Polls connected gamepads once per animation frame while any is connected (the Gamepad API has
 * no button events) and reports presses and releases of handheld buttons.
 *
 * Only while the page has focus: a gamepad listener keeps Chromium's gamepad polling thread
 * running (about 3% of a core), which would make an idle tab beside an editor cost something.
 * Pads held when focus goes are released, like keys.
 */
export function watchGamepads(send: (b: Button, down: boolean) => void): () => void {
  let held = new Set<Button>();
  let raf = 0;
  let listening = false;
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
  const listen = () => {
    if (listening) return;
    listening = true;
    window.addEventListener('gamepadconnected', onConnect);
    window.addEventListener('gamepaddisconnected', onConnect);
    onConnect(); // a pad may have been connected while the page was away
  };
  const stop = () => {
    if (!listening) return;
    listening = false;
    window.removeEventListener('gamepadconnected', onConnect);
    window.removeEventListener('gamepaddisconnected', onConnect);
    cancelAnimationFrame(raf);
    raf = 0;
    for (const b of held) send(b, false);
    held = new Set();
  };
  window.addEventListener('focus', listen);
  window.addEventListener('blur', stop);
  if (document.hasFocus()) listen();
  return () => {
    window.removeEventListener('focus', listen);
    window.removeEventListener('blur', stop);
    stop();
  };
}
