import { describe, expect, it } from 'vitest';
import { I8042 } from '../src/emu/devices/i8042';
import { Ps2Keyboard, SET2_TO_SET1, ps2KeyCodes } from '../src/emu/devices/ps2-keyboard';

const DATA = 0;
const STATUS = 4;

function setup() {
  const irq1: boolean[] = [];
  const irq12: boolean[] = [];
  let resets = 0;
  let l1 = false;
  let l12 = false;
  const kbc = new I8042(
    (l) => {
      l1 = l;
      irq1.push(l);
    },
    (l) => {
      l12 = l;
      irq12.push(l);
    },
    { onReset: () => resets++ },
  );
  const status = () => kbc.ports.read(STATUS, 1);
  const data = () => kbc.ports.read(DATA, 1);
  const cmd = (c: number) => kbc.ports.write(STATUS, 1, c);
  const put = (v: number) => kbc.ports.write(DATA, 1, v);
  /** Linux's i8042_command(): command, optional parameter, then wait for OBF and read. */
  const command = (c: number, param?: number) => {
    cmd(c);
    if (param !== undefined) put(param);
  };
  /** Read everything in the output buffer, as i8042_flush() does. */
  const drain = () => {
    const out: number[] = [];
    while (status() & 0x01 && out.length < 64) out.push(data());
    return out;
  };
  return {
    kbc, status, data, cmd, put, command, drain, irq1, irq12,
    level1: () => l1,
    level12: () => l12,
    resets: () => resets,
  };
}

describe('i8042 controller: Linux probe sequence', () => {
  it('idles at status 0x18, passes self-test with 0x55 and then shows 0x1C', () => {
    const t = setup();
    expect(t.status()).toBe(0x18);
    t.command(0xaa);
    expect(t.status()).toBe(0x1d);
    expect(t.data()).toBe(0x55);
    expect(t.status()).toBe(0x1c);
  });

  it('reads CTR 0x03 at reset and stores CTR writes', () => {
    const t = setup();
    t.command(0x20);
    expect(t.drain()).toEqual([0x03]);
    for (const v of [0x12, 0x30, 0x01, 0x03]) {
      t.command(0x60, v);
      t.command(0x20);
      expect(t.drain()).toEqual([v]);
    }
  });

  it('AUX loopback 0xD3 returns the byte flagged as AUX data (status 0x3D), IRQ12 when enabled', () => {
    const t = setup();
    t.command(0xaa);
    t.drain();
    // i8042_check_aux runs with the AUX port disabled and its IRQ off
    t.command(0x60, 0x30 | 0x01);
    t.command(0xd3, 0x5a);
    expect(t.status()).toBe(0x3d);
    expect(t.level12()).toBe(false);
    expect(t.data()).toBe(0x5a);
    expect(t.status()).toBe(0x1c);
    // the IRQ delivery test: port enabled, AUX interrupt on
    t.command(0x60, 0x03);
    t.command(0xd3, 0xa5);
    expect(t.level12()).toBe(true);
    expect(t.level1()).toBe(false);
    expect(t.data()).toBe(0xa5);
    expect(t.level12()).toBe(false);
  });

  it('toggles AUX with 0xA7/0xA8, visible in CTR bit 5', () => {
    const t = setup();
    t.command(0xa7);
    t.command(0x20);
    expect(t.drain()).toEqual([0x23]);
    t.command(0xa8);
    t.command(0x20);
    expect(t.drain()).toEqual([0x03]);
  });

  it('answers interface tests 0xAB and 0xA9 with 0, and 0xD2 echoes as keyboard data', () => {
    const t = setup();
    t.command(0xab);
    expect(t.drain()).toEqual([0x00]);
    t.command(0xa9);
    expect(t.drain()).toEqual([0x00]);
    t.command(0xd2, 0x77);
    expect(t.status() & 0x21).toBe(0x01);
    expect(t.level1()).toBe(true);
    expect(t.data()).toBe(0x77);
  });

  it('resets the keyboard (FF -> FA AA) and identifies it (F2 -> FA AB 83)', () => {
    const t = setup();
    t.put(0xff);
    expect(t.drain()).toEqual([0xfa, 0xaa]);
    t.put(0xf2);
    expect(t.drain()).toEqual([0xfa, 0xab, 0x83]);
  });

  it('runs the atkbd command set: F5, ED+data, F3+data, F4, F6, EE, F0 00', () => {
    const t = setup();
    t.put(0xf5);
    expect(t.drain()).toEqual([0xfa]);
    t.put(0xed);
    expect(t.drain()).toEqual([0xfa]);
    t.put(0x07);
    expect(t.drain()).toEqual([0xfa]);
    expect(t.kbc.keyboard.ledState).toBe(7);
    t.put(0xf3);
    t.put(0x00);
    expect(t.drain()).toEqual([0xfa, 0xfa]);
    t.put(0xf4);
    expect(t.drain()).toEqual([0xfa]);
    t.put(0xf6);
    expect(t.drain()).toEqual([0xfa]);
    t.put(0xee);
    expect(t.drain()).toEqual([0xee]);
    t.put(0xf0);
    expect(t.drain()).toEqual([0xfa]);
    t.put(0x00);
    expect(t.drain()).toEqual([0xfa, 0x02]);
  });

  it('talks to the mouse through 0xD4: FF -> FA AA 00, F2 -> FA 00, as AUX data', () => {
    const t = setup();
    t.command(0xd4, 0xff);
    expect(t.status() & 0x21).toBe(0x21);
    expect(t.drain()).toEqual([0xfa, 0xaa, 0x00]);
    t.command(0xd4, 0xf2);
    expect(t.drain()).toEqual([0xfa, 0x00]);
    for (const c of [0xf4, 0xf5, 0xf6]) {
      t.command(0xd4, c);
      expect(t.drain()).toEqual([0xfa]);
    }
    t.command(0xd4, 0xe8);
    t.command(0xd4, 0x03);
    t.command(0xd4, 0xf3);
    t.command(0xd4, 0x28);
    expect(t.drain()).toEqual([0xfa, 0xfa, 0xfa, 0xfa]);
    t.command(0xd4, 0xe9);
    expect(t.drain()).toEqual([0xfa, 0x00, 0x03, 0x28]);
  });

  it('pulses reset on 0xFE and on an output-port write with bit 0 clear', () => {
    const t = setup();
    t.command(0xfe);
    expect(t.resets()).toBe(1);
    t.command(0xff); // pulse nothing
    expect(t.resets()).toBe(1);
    t.command(0xd0);
    expect(t.drain()).toEqual([0xcf]);
    t.command(0xd1, 0xce);
    expect(t.resets()).toBe(2);
  });
});

describe('i8042 keyboard data path', () => {
  it('delivers ArrowRight as E0 74 / E0 F0 74 with one IRQ1 edge per byte', () => {
    const t = setup();
    t.irq1.length = 0;
    t.kbc.keyboard.pressKey('ArrowRight', true);
    expect(t.irq1).toEqual([true]);
    expect(t.status()).toBe(0x19);
    const got: number[] = [];
    // the guest's handler: read one byte per interrupt
    while (t.level1()) got.push(t.data());
    expect(got).toEqual([0xe0, 0x74]);
    expect(t.irq1).toEqual([true, false, true, false]);
    t.kbc.keyboard.pressKey('ArrowRight', false);
    expect(t.drain()).toEqual([0xe0, 0xf0, 0x74]);
    expect(t.level1()).toBe(false);
    expect(t.status() & 1).toBe(0);
  });

  it('translates to set 1 when CTR.XLATE is set, including replies', () => {
    const t = setup();
    t.command(0x60, 0x43);
    t.put(0xf2);
    expect(t.drain()).toEqual([0xfa, 0xab, 0x41]);
    t.kbc.keyboard.pressKey('KeyA', true);
    t.kbc.keyboard.pressKey('KeyA', false);
    t.kbc.keyboard.pressKey('ArrowRight', true);
    t.kbc.keyboard.pressKey('ArrowRight', false);
    expect(t.drain()).toEqual([0x1e, 0x9e, 0xe0, 0x4d, 0xe0, 0xcd]);
    t.kbc.keyboard.pressKey('F7', false);
    expect(t.drain()).toEqual([0xc1]);
    t.put(0xf0);
    t.put(0x00);
    expect(t.drain()).toEqual([0xfa, 0xfa, 0x41]); // "set 2", translated as QEMU reports it
  });

  it('holds keyboard data while the interface is disabled (0xAD) and releases it on 0xAE', () => {
    const t = setup();
    t.command(0xad);
    t.kbc.keyboard.pressKey('KeyB', true);
    expect(t.status() & 1).toBe(0);
    expect(t.level1()).toBe(false);
    t.command(0x20);
    expect(t.drain()).toEqual([0x13]);
    t.command(0xae);
    expect(t.level1()).toBe(true);
    expect(t.drain()).toEqual([0x32]);
  });

  it('keeps IRQ1 low when CTR bit 0 is clear but still reports OBF', () => {
    const t = setup();
    t.command(0x60, 0x00);
    t.kbc.keyboard.pressKey('Enter', true);
    expect(t.status() & 1).toBe(1);
    expect(t.level1()).toBe(false);
    t.command(0x60, 0x01);
    expect(t.level1()).toBe(true);
    expect(t.data()).toBe(0x5a);
  });

  it('stops scanning after F5 and resumes after F4', () => {
    const t = setup();
    t.put(0xf5);
    t.drain();
    expect(t.kbc.keyboard.pressKey('KeyQ', true)).toBe(false);
    expect(t.drain()).toEqual([]);
    t.put(0xf4);
    t.drain();
    expect(t.kbc.keyboard.pressKey('KeyQ', true)).toBe(true);
    expect(t.drain()).toEqual([0x15]);
  });
});

describe('Ps2Keyboard scan codes', () => {
  function bytes(kbd: Ps2Keyboard): number[] {
    const out: number[] = [];
    while (kbd.hasData()) out.push(kbd.readByte());
    return out;
  }

  it('produces set-2 make and F0 break codes, E0-prefixed for extended keys', () => {
    const kbd = new Ps2Keyboard();
    const cases: [string, number[]][] = [
      ['KeyA', [0x1c]],
      ['Enter', [0x5a]],
      ['Space', [0x29]],
      ['Escape', [0x76]],
      ['Tab', [0x0d]],
      ['Backspace', [0x66]],
      ['Digit1', [0x16]],
      ['ShiftLeft', [0x12]],
      ['ControlLeft', [0x14]],
      ['AltLeft', [0x11]],
      ['F1', [0x05]],
      ['F7', [0x83]],
      ['F12', [0x07]],
      ['ArrowUp', [0xe0, 0x75]],
      ['PageUp', [0xe0, 0x7d]],
      ['NumpadDivide', [0xe0, 0x4a]],
      ['NumpadEnter', [0xe0, 0x5a]],
      ['ControlRight', [0xe0, 0x14]],
      ['AltRight', [0xe0, 0x11]],
      ['MetaLeft', [0xe0, 0x1f]],
      ['Power', [0xe0, 0x37]],
    ];
    for (const [code, make] of cases) {
      kbd.pressKey(code, true);
      expect(bytes(kbd), code).toEqual(make);
      kbd.pressKey(code, false);
      const brk = make.length === 2 ? [0xe0, 0xf0, make[1]!] : [0xf0, make[0]!];
      expect(bytes(kbd), code).toEqual(brk);
    }
  });

  it('sends the special PrintScreen and Pause sequences', () => {
    const kbd = new Ps2Keyboard();
    kbd.pressKey('PrintScreen', true);
    expect(bytes(kbd)).toEqual([0xe0, 0x12, 0xe0, 0x7c]);
    kbd.pressKey('PrintScreen', false);
    expect(bytes(kbd)).toEqual([0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12]);
    kbd.pressKey('Pause', true);
    expect(bytes(kbd)).toEqual([0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77]);
    kbd.pressKey('Pause', false);
    expect(bytes(kbd)).toEqual([]);
  });

  it('covers the full 104-key layout with distinct codes', () => {
    const layout = [
      'Escape', 'F1', 'F2', 'F3', 'F4', 'F5', 'F6', 'F7', 'F8', 'F9', 'F10', 'F11', 'F12',
      'PrintScreen', 'ScrollLock', 'Pause',
      'Backquote', 'Digit1', 'Digit2', 'Digit3', 'Digit4', 'Digit5', 'Digit6', 'Digit7', 'Digit8',
      'Digit9', 'Digit0', 'Minus', 'Equal', 'Backspace', 'Insert', 'Home', 'PageUp', 'NumLock',
      'NumpadDivide', 'NumpadMultiply', 'NumpadSubtract',
      'Tab', 'KeyQ', 'KeyW', 'KeyE', 'KeyR', 'KeyT', 'KeyY', 'KeyU', 'KeyI', 'KeyO', 'KeyP',
      'BracketLeft', 'BracketRight', 'Backslash', 'Delete', 'End', 'PageDown', 'Numpad7',
      'Numpad8', 'Numpad9', 'NumpadAdd',
      'CapsLock', 'KeyA', 'KeyS', 'KeyD', 'KeyF', 'KeyG', 'KeyH', 'KeyJ', 'KeyK', 'KeyL',
      'Semicolon', 'Quote', 'Enter', 'Numpad4', 'Numpad5', 'Numpad6',
      'ShiftLeft', 'KeyZ', 'KeyX', 'KeyC', 'KeyV', 'KeyB', 'KeyN', 'KeyM', 'Comma', 'Period',
      'Slash', 'ShiftRight', 'ArrowUp', 'Numpad1', 'Numpad2', 'Numpad3', 'NumpadEnter',
      'ControlLeft', 'MetaLeft', 'AltLeft', 'Space', 'AltRight', 'MetaRight', 'ContextMenu',
      'ControlRight', 'ArrowLeft', 'ArrowDown', 'ArrowRight', 'Numpad0', 'NumpadDecimal',
    ];
    expect(layout.length).toBe(104);
    expect(new Set(layout).size).toBe(104);
    const kbd = new Ps2Keyboard();
    const seen = new Set<string>();
    for (const code of layout) {
      expect(kbd.pressKey(code, true), code).toBe(true);
      const make = bytes(kbd).join(',');
      expect(make.length, code).toBeGreaterThan(0);
      expect(seen.has(make), `${code} duplicates ${make}`).toBe(false);
      seen.add(make);
      kbd.pressKey(code, false);
      bytes(kbd);
    }
    expect(new Set(ps2KeyCodes()).size).toBe(ps2KeyCodes().length);
    expect(kbd.pressKey('NoSuchKey', true)).toBe(false);
  });

  it('set 1 (F0 01) gives IBM set-1 codes, consistent with the 8042 translation', () => {
    // Independent IBM PC/XT set-1 make codes
    const set1: [string, number[]][] = [
      ['Escape', [0x01]], ['Digit1', [0x02]], ['Digit0', [0x0b]], ['Backspace', [0x0e]],
      ['Tab', [0x0f]], ['KeyQ', [0x10]], ['KeyP', [0x19]], ['Enter', [0x1c]],
      ['ControlLeft', [0x1d]], ['KeyA', [0x1e]], ['KeyL', [0x26]], ['Backquote', [0x29]],
      ['ShiftLeft', [0x2a]], ['Backslash', [0x2b]], ['KeyZ', [0x2c]], ['KeyM', [0x32]],
      ['Slash', [0x35]], ['ShiftRight', [0x36]], ['NumpadMultiply', [0x37]], ['AltLeft', [0x38]],
      ['Space', [0x39]], ['CapsLock', [0x3a]], ['F1', [0x3b]], ['F7', [0x41]], ['F10', [0x44]],
      ['NumLock', [0x45]], ['ScrollLock', [0x46]], ['Numpad7', [0x47]], ['NumpadSubtract', [0x4a]],
      ['NumpadAdd', [0x4e]], ['Numpad0', [0x52]], ['NumpadDecimal', [0x53]], ['F11', [0x57]],
      ['F12', [0x58]], ['IntlBackslash', [0x56]],
      ['NumpadEnter', [0xe0, 0x1c]], ['ControlRight', [0xe0, 0x1d]], ['NumpadDivide', [0xe0, 0x35]],
      ['AltRight', [0xe0, 0x38]], ['Home', [0xe0, 0x47]], ['ArrowUp', [0xe0, 0x48]],
      ['PageUp', [0xe0, 0x49]], ['ArrowLeft', [0xe0, 0x4b]], ['ArrowRight', [0xe0, 0x4d]],
      ['End', [0xe0, 0x4f]], ['ArrowDown', [0xe0, 0x50]], ['PageDown', [0xe0, 0x51]],
      ['Insert', [0xe0, 0x52]], ['Delete', [0xe0, 0x53]], ['MetaLeft', [0xe0, 0x5b]],
      ['MetaRight', [0xe0, 0x5c]], ['ContextMenu', [0xe0, 0x5d]],
    ];
    const kbd = new Ps2Keyboard();
    kbd.write(0xf0);
    kbd.write(0x01);
    kbd.write(0xf0);
    kbd.write(0x00);
    expect(bytes(kbd)).toEqual([0xfa, 0xfa, 0xfa, 0xfa, 0x01]);
    for (const [code, make] of set1) {
      kbd.pressKey(code, true);
      expect(bytes(kbd), code).toEqual(make);
      kbd.pressKey(code, false);
      const last = make.length - 1;
      expect(bytes(kbd), code).toEqual(make.map((b, i) => (i === last ? b | 0x80 : b)));
    }
    kbd.pressKey('PrintScreen', true);
    expect(bytes(kbd)).toEqual([0xe0, 0x2a, 0xe0, 0x37]);
    kbd.pressKey('Pause', true);
    expect(bytes(kbd)).toEqual([0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5]);
    expect(SET2_TO_SET1[0xfa]).toBe(0xfa);
    expect(SET2_TO_SET1[0xe0]).toBe(0xe0);
  });

  it('keeps set 2 when set 3 is requested, so the driver falls back', () => {
    const kbd = new Ps2Keyboard();
    kbd.write(0xf0);
    kbd.write(0x03);
    kbd.write(0xf0);
    kbd.write(0x00);
    expect(bytes(kbd)).toEqual([0xfa, 0xfa, 0xfa, 0xfa, 0x02]);
  });

  it('resends the last byte on FE', () => {
    const kbd = new Ps2Keyboard();
    kbd.write(0xf2);
    expect(bytes(kbd)).toEqual([0xfa, 0xab, 0x83]);
    kbd.write(0xfe);
    expect(bytes(kbd)).toEqual([0x83]);
  });

  it('drops whole key events once its 16-byte buffer is full', () => {
    const kbd = new Ps2Keyboard();
    let accepted = 0;
    for (let i = 0; i < 10; i++) if (kbd.pressKey('ArrowDown', true)) accepted++;
    expect(accepted).toBe(8);
    expect(bytes(kbd).length).toBe(16);
    // command replies still fit, and F4 flushes pending scan codes
    for (let i = 0; i < 8; i++) kbd.pressKey('KeyA', true);
    kbd.write(0xf4);
    expect(bytes(kbd)).toEqual([0xfa]);
  });
});
