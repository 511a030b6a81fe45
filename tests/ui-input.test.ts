import { describe, expect, it } from 'vitest';
import { BUTTONS, BUTTON_KEYS } from '../src/ui/input/buttons';
import { padButtons, padChanges } from '../src/ui/input/gamepad-map';
import { HeldKeys, browserKeepsKey } from '../src/ui/input/key-routing';
import { ps2KeyCodes } from '../src/emu/devices/ps2-keyboard';
import { integerScale } from '../src/ui/state/scale';
import { screenTransport } from '../src/ui/state/transport';
import { formatUptime } from '../src/ui/state/format';

const key = (code: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) => ({
  code,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...mods,
});

describe('key routing', () => {
  it('leaves browser shortcuts to the browser and keeps keys that would scroll or move focus', () => {
    expect(browserKeepsKey(key('KeyW', { ctrlKey: true }))).toBe(true);
    expect(browserKeepsKey(key('KeyT', { metaKey: true }))).toBe(true);
    expect(browserKeepsKey(key('F5'))).toBe(true);
    expect(browserKeepsKey(key('F11'))).toBe(true);
    for (const code of ['ArrowDown', 'Space', 'Tab', 'Backspace', 'Enter', 'KeyA']) expect(browserKeepsKey(key(code))).toBe(false);
    // Ctrl is the A button: pressing it alone is a game key, not a shortcut.
    expect(browserKeepsKey(key('ControlLeft', { ctrlKey: true }))).toBe(false);
    expect(browserKeepsKey(key('AltLeft', { altKey: true }))).toBe(false);
  });

  it('tracks held keys so all of them can be let go, each once', () => {
    const held = new HeldKeys();
    expect(held.press('ArrowLeft')).toBe(true);
    expect(held.press('ArrowLeft')).toBe(false); // browser auto-repeat
    expect(held.press('ControlLeft')).toBe(true);
    expect(held.release('ArrowLeft')).toBe(true);
    expect(held.release('ArrowLeft')).toBe(false);
    held.press('Space');
    expect(held.releaseAll()).toEqual(['ControlLeft', 'Space']);
    expect(held.size).toBe(0);
    expect(held.releaseAll()).toEqual([]);
  });
});

describe('buttons', () => {
  it('every handheld button is a key the emulated PS/2 keyboard knows', () => {
    const known = new Set(ps2KeyCodes());
    for (const b of BUTTONS) expect(known.has(BUTTON_KEYS[b]), `${b} -> ${BUTTON_KEYS[b]}`).toBe(true);
  });

  it('a standard gamepad maps by position to the Nintendo layout, sticks as the d-pad', () => {
    const pad = (pressed: number[], axes = [0, 0]) => ({
      buttons: Array.from({ length: 17 }, (_, i) => ({ pressed: pressed.includes(i) })),
      axes,
    });
    expect([...padButtons(pad([0, 1, 9]))].sort()).toEqual(['A', 'B', 'START']);
    expect([...padButtons(pad([], [-0.9, 0.7]))].sort()).toEqual(['DOWN', 'LEFT']);
    expect([...padButtons(pad([], [0.3, -0.3]))]).toEqual([]);
    expect(padButtons({ buttons: [], axes: [] }).size).toBe(0);
    expect(padChanges(new Set(['A', 'UP']), new Set(['A', 'B']))).toEqual({ press: ['B'], release: ['UP'] });
  });
});

describe('screen', () => {
  it('scales by the largest whole number that fits, never below 1', () => {
    expect(integerScale(1000, 800, 320, 240)).toBe(3);
    expect(integerScale(640, 480, 320, 240)).toBe(2);
    expect(integerScale(639, 480, 320, 240)).toBe(1);
    expect(integerScale(100, 100, 320, 240)).toBe(1);
    expect(integerScale(1000, 1000, 0, 0)).toBe(1);
  });

  it('shares the framebuffer only when isolated, and ?screen=copy forces the copy', () => {
    expect(screenTransport('', true)).toBe('shared');
    expect(screenTransport('', false)).toBe('transfer');
    expect(screenTransport('?screen=copy', true)).toBe('transfer');
    expect(screenTransport('?screen=shared', false)).toBe('transfer');
  });

  it('formats uptime as m:ss or h:mm:ss', () => {
    expect(formatUptime(0)).toBe('0:00');
    expect(formatUptime(61.9)).toBe('1:01');
    expect(formatUptime(3725)).toBe('1:02:05');
  });
});
