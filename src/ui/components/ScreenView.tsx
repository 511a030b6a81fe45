import { useEffect, useRef, useState } from 'react';
import { HeldKeys, browserKeepsKey } from '../input/key-routing';
import type { Emulator } from '../services/emulator';
import { useMachine } from '../state/machine-store';
import { integerScale } from '../state/scale';

/**
 * The guest's screen: a canvas at a whole-number scale with sharp pixels. While it has focus,
 * keys go to the guest's keyboard; leaving it lets every held key go.
 */
export function ScreenView({ emulator }: { emulator: Emulator }) {
  const box = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const held = useRef(new HeldKeys());
  const { width, height } = useMachine((v) => v.screen);
  const [space, setSpace] = useState({ width: 0, height: 0 });

  useEffect(() => {
    emulator.screen.attach(canvas.current);
    return () => emulator.screen.attach(null);
  }, [emulator]);

  useEffect(() => {
    const el = box.current!;
    const ro = new ResizeObserver(() => setSpace({ width: el.clientWidth, height: el.clientHeight }));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const releaseAll = () => {
      for (const code of held.current.releaseAll()) emulator.key(code, false);
    };
    const onHidden = () => document.hidden && releaseAll();
    window.addEventListener('blur', releaseAll);
    document.addEventListener('visibilitychange', onHidden);
    return () => {
      window.removeEventListener('blur', releaseAll);
      document.removeEventListener('visibilitychange', onHidden);
    };
  }, [emulator]);

  const scale = integerScale(space.width, space.height, width, height);
  const onKey = (e: React.KeyboardEvent, down: boolean) => {
    if (!browserKeepsKey(e)) e.preventDefault();
    if (down) held.current.press(e.code);
    else if (!held.current.release(e.code)) return;
    emulator.key(e.code, down);
  };
  const releaseAll = () => {
    for (const code of held.current.releaseAll()) emulator.key(code, false);
  };

  return (
    <div className="screen-box" ref={box}>
      <canvas
        ref={canvas}
        className="screen"
        data-testid="screen"
        tabIndex={0}
        aria-label="Guest screen: click, then type to use the guest's keyboard"
        width={320}
        height={240}
        style={width ? { width: width * scale, height: height * scale } : undefined}
        onKeyDown={(e) => onKey(e, true)}
        onKeyUp={(e) => onKey(e, false)}
        onBlur={releaseAll}
        onPointerDown={(e) => e.currentTarget.focus()}
      />
      <button className="fullscreen" type="button" title="Fullscreen" onClick={() => void box.current?.requestFullscreen()}>
        Fullscreen
      </button>
    </div>
  );
}
