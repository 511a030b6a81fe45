import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef } from 'react';
import type { Emulator } from '../services/emulator';

/**
 * The serial console (ttyS0) in xterm: fitted to its panel, 10000 lines of scrollback.
 * Ctrl-Shift-C copies the selection and Ctrl-Shift-V pastes (Ctrl-C stays the guest's interrupt).
 */
export function SerialTerminal({ emulator }: { emulator: Emulator }) {
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const term = new Terminal({ scrollback: 10000, convertEol: false, cursorBlink: false, fontSize: 13 });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(box.current!);
    term.attachCustomKeyEventHandler((e) => {
      if (e.type === 'keydown' && e.ctrlKey && e.shiftKey && e.code === 'KeyC') {
        const text = term.getSelection();
        if (text) void navigator.clipboard?.writeText(text).catch(() => {});
        return false;
      }
      // Let the browser paste: xterm takes the paste event and sends the text.
      if (e.ctrlKey && e.shiftKey && e.code === 'KeyV') return false;
      return true;
    });
    const input = term.onData((text) => emulator.sendSerial(text));
    const stop = emulator.onSerial((bytes) => term.write(bytes));
    const ro = new ResizeObserver(() => {
      try {
        fit.fit();
      } catch {
        // not laid out yet (hidden panel): the next resize fits it
      }
    });
    ro.observe(box.current!);
    return () => {
      ro.disconnect();
      stop();
      input.dispose();
      term.dispose();
    };
  }, [emulator]);

  return <div className="terminal" data-testid="terminal" ref={box} />;
}
