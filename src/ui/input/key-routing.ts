/**
 * Which key events the screen takes from the browser, and which keys are held (so they can all
 * be let go when focus leaves: a key released elsewhere would otherwise stay down in the guest).
 */

export interface KeyLike {
  code: string;
  key?: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
}

const MODIFIERS = new Set(['ControlLeft', 'ControlRight', 'ShiftLeft', 'ShiftRight', 'AltLeft', 'AltRight', 'MetaLeft', 'MetaRight']);
/** Keys the browser's own job needs: reload, fullscreen, developer tools. */
const BROWSER_KEYS = new Set(['F5', 'F11', 'F12']);

/**
 * Whether the browser should still do what it does with this key (the guest gets it anyway):
 * shortcuts with Ctrl or Meta (Ctrl-W, Ctrl-T, Ctrl-L, ...) and a few function keys. Everything
 * else (arrows, Space, Tab, Backspace, Alt alone) would scroll, move focus or go back, so the
 * screen keeps it.
 */
export function browserKeepsKey(e: KeyLike): boolean {
  if (BROWSER_KEYS.has(e.code)) return true;
  if (MODIFIERS.has(e.code)) return false;
  return e.ctrlKey || e.metaKey;
}

/** Keys down, in the order pressed. */
export class HeldKeys {
  private readonly down = new Set<string>();

  /** Returns true when the key was not already down (browser repeats give false). */
  press(code: string): boolean {
    if (this.down.has(code)) return false;
    this.down.add(code);
    return true;
  }

  /** Returns true when the key was down. */
  release(code: string): boolean {
    return this.down.delete(code);
  }

  /** Forget every held key and return them, to be released in the guest. */
  releaseAll(): string[] {
    const all = [...this.down];
    this.down.clear();
    return all;
  }

  get size(): number {
    return this.down.size;
  }
}
