/*
 * PS/2 devices behind the i8042 (malta-hw.md §4.6): an MF2 keyboard and a plain 3-button mouse.
 * Each device talks to the controller through a byte queue; the controller pulls one byte at a
 * time into its output buffer when `onData` tells it something arrived.
 */

/** Ring capacity: key events may fill QUEUE_KEYS bytes, the rest is headroom for command replies. */
const QUEUE_CAPACITY = 32;
/** The 16-byte buffer of a real keyboard; key events that do not fit are dropped whole. */
const QUEUE_KEYS = 16;

const ACK = 0xfa;
const RESEND = 0xfe;
const BAT_OK = 0xaa;

/**
 * The i8042's set-2 -> set-1 translation (CTR.XLATE), a fixed table in every AT-compatible
 * controller. Codes 0x80 and up pass through unchanged except 0x83 (F7) and 0x84 (SysRq).
 * The keyboard reuses it for its own set-1 mode: set-1 codes are by design the translation
 * of the set-2 ones.
 */
export const SET2_TO_SET1: Uint8Array = (() => {
  const low = [
    0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
  ];
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) t[i] = i < 0x80 ? low[i]! : i;
  t[0x83] = 0x41;
  t[0x84] = 0x54;
  return t;
})();

/** Marks a set-2 code that is sent with an E0 prefix. */
const E0 = 0x100;
const PRINT_SCREEN = 0x1000;
const PAUSE = 0x1001;
// PrintScreen is sent as "fake shift" + SysRq; Pause has no break code at all.
const PRTSC_MAKE = Uint8Array.of(0xe0, 0x12, 0xe0, 0x7c);
const PRTSC_BREAK = Uint8Array.of(0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12);
const PAUSE_MAKE = Uint8Array.of(0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77);
const NO_BYTES = new Uint8Array(0);

/**
 * KeyboardEvent.code -> set-2 make code. Covers the 104-key US layout, the ISO/JIS extra keys,
 * F13-F24, ACPI and the common multimedia keys.
 */
const SET2_BY_CODE: ReadonlyMap<string, number> = new Map<string, number>([
  ['Escape', 0x76],
  ['F1', 0x05], ['F2', 0x06], ['F3', 0x04], ['F4', 0x0c], ['F5', 0x03], ['F6', 0x0b],
  ['F7', 0x83], ['F8', 0x0a], ['F9', 0x01], ['F10', 0x09], ['F11', 0x78], ['F12', 0x07],
  ['PrintScreen', PRINT_SCREEN], ['ScrollLock', 0x7e], ['Pause', PAUSE],

  ['Backquote', 0x0e], ['Digit1', 0x16], ['Digit2', 0x1e], ['Digit3', 0x26], ['Digit4', 0x25],
  ['Digit5', 0x2e], ['Digit6', 0x36], ['Digit7', 0x3d], ['Digit8', 0x3e], ['Digit9', 0x46],
  ['Digit0', 0x45], ['Minus', 0x4e], ['Equal', 0x55], ['Backspace', 0x66],

  ['Tab', 0x0d], ['KeyQ', 0x15], ['KeyW', 0x1d], ['KeyE', 0x24], ['KeyR', 0x2d], ['KeyT', 0x2c],
  ['KeyY', 0x35], ['KeyU', 0x3c], ['KeyI', 0x43], ['KeyO', 0x44], ['KeyP', 0x4d],
  ['BracketLeft', 0x54], ['BracketRight', 0x5b], ['Backslash', 0x5d],

  ['CapsLock', 0x58], ['KeyA', 0x1c], ['KeyS', 0x1b], ['KeyD', 0x23], ['KeyF', 0x2b],
  ['KeyG', 0x34], ['KeyH', 0x33], ['KeyJ', 0x3b], ['KeyK', 0x42], ['KeyL', 0x4b],
  ['Semicolon', 0x4c], ['Quote', 0x52], ['Enter', 0x5a],

  ['ShiftLeft', 0x12], ['KeyZ', 0x1a], ['KeyX', 0x22], ['KeyC', 0x21], ['KeyV', 0x2a],
  ['KeyB', 0x32], ['KeyN', 0x31], ['KeyM', 0x3a], ['Comma', 0x41], ['Period', 0x49],
  ['Slash', 0x4a], ['ShiftRight', 0x59],

  ['ControlLeft', 0x14], ['MetaLeft', E0 | 0x1f], ['AltLeft', 0x11], ['Space', 0x29],
  ['AltRight', E0 | 0x11], ['MetaRight', E0 | 0x27], ['ContextMenu', E0 | 0x2f],
  ['ControlRight', E0 | 0x14],
  // Older browsers name the Windows keys OS*.
  ['OSLeft', E0 | 0x1f], ['OSRight', E0 | 0x27],

  ['Insert', E0 | 0x70], ['Home', E0 | 0x6c], ['PageUp', E0 | 0x7d],
  ['Delete', E0 | 0x71], ['End', E0 | 0x69], ['PageDown', E0 | 0x7a],
  ['ArrowUp', E0 | 0x75], ['ArrowLeft', E0 | 0x6b], ['ArrowDown', E0 | 0x72],
  ['ArrowRight', E0 | 0x74],

  ['NumLock', 0x77], ['NumpadDivide', E0 | 0x4a], ['NumpadMultiply', 0x7c],
  ['NumpadSubtract', 0x7b], ['Numpad7', 0x6c], ['Numpad8', 0x75], ['Numpad9', 0x7d],
  ['NumpadAdd', 0x79], ['Numpad4', 0x6b], ['Numpad5', 0x73], ['Numpad6', 0x74],
  ['Numpad1', 0x69], ['Numpad2', 0x72], ['Numpad3', 0x7a], ['NumpadEnter', E0 | 0x5a],
  ['Numpad0', 0x70], ['NumpadDecimal', 0x71], ['NumpadEqual', 0x0f], ['NumpadComma', 0x6d],

  ['IntlBackslash', 0x61], ['IntlRo', 0x51], ['IntlYen', 0x6a], ['KanaMode', 0x13],
  ['Convert', 0x64], ['NonConvert', 0x67],

  ['F13', 0x08], ['F14', 0x10], ['F15', 0x18], ['F16', 0x20], ['F17', 0x28], ['F18', 0x30],
  ['F19', 0x38], ['F20', 0x40], ['F21', 0x48], ['F22', 0x50], ['F23', 0x57], ['F24', 0x5f],

  ['Power', E0 | 0x37], ['Sleep', E0 | 0x3f], ['WakeUp', E0 | 0x5e],
  ['AudioVolumeMute', E0 | 0x23], ['AudioVolumeDown', E0 | 0x21], ['AudioVolumeUp', E0 | 0x32],
  ['MediaPlayPause', E0 | 0x34], ['MediaStop', E0 | 0x3b],
  ['MediaTrackPrevious', E0 | 0x15], ['MediaTrackNext', E0 | 0x4d], ['MediaSelect', E0 | 0x50],
  ['LaunchMail', E0 | 0x48], ['LaunchApp1', E0 | 0x40], ['LaunchApp2', E0 | 0x2b],
  ['BrowserSearch', E0 | 0x10], ['BrowserHome', E0 | 0x3a], ['BrowserBack', E0 | 0x38],
  ['BrowserForward', E0 | 0x30], ['BrowserStop', E0 | 0x28], ['BrowserRefresh', E0 | 0x20],
  ['BrowserFavorites', E0 | 0x18],
]);

/** The KeyboardEvent.code values the keyboard understands. */
export function ps2KeyCodes(): string[] {
  return [...SET2_BY_CODE.keys()];
}

/** Byte queue and the controller-facing side shared by both PS/2 devices. */
abstract class Ps2Device {
  /** Set by the controller: called after bytes were queued. */
  onData: () => void = () => {};
  private readonly buf = new Uint8Array(QUEUE_CAPACITY);
  private head = 0;
  protected count = 0;
  /** Last byte handed to the controller, for the Resend command. */
  protected lastSent = 0;

  hasData(): boolean {
    return this.count > 0;
  }

  /** Next queued byte, or the last one again if the queue is empty. */
  readByte(): number {
    if (this.count === 0) return this.lastSent;
    const b = this.buf[this.head]!;
    this.head = (this.head + 1) % QUEUE_CAPACITY;
    this.count--;
    this.lastSent = b;
    return b;
  }

  /** A byte from the host (controller) to the device. */
  abstract write(byte: number): void;

  protected push(b: number): void {
    if (this.count >= QUEUE_CAPACITY) return;
    this.buf[(this.head + this.count) % QUEUE_CAPACITY] = b;
    this.count++;
  }

  protected clearQueue(): void {
    this.head = 0;
    this.count = 0;
  }
}

export class Ps2Keyboard extends Ps2Device {
  private scanEnabled = true;
  private scanSet: 1 | 2 = 2;
  private leds = 0;
  /** Command waiting for its parameter byte (ED, F3, F0), or 0. */
  private pendingCmd = 0;
  /** Scratch for one key event (the longest, Pause, is 8 bytes). */
  private readonly seq = new Uint8Array(8);

  /** LED state last set by the guest: bit 0 Scroll, 1 Num, 2 Caps. */
  get ledState(): number {
    return this.leds;
  }

  get scancodeSet(): number {
    return this.scanSet;
  }

  reset(): void {
    this.clearQueue();
    this.setDefaults();
    this.pendingCmd = 0;
  }

  write(byte: number): void {
    const b = byte & 0xff;
    if (this.pendingCmd !== 0) {
      this.writeParameter(b);
    } else {
      this.writeCommand(b);
    }
    this.onData();
  }

  /**
   * Press or release the key named by a KeyboardEvent.code. Returns false when the key is
   * unknown, scanning is disabled, or the keyboard buffer is full (the event is dropped whole).
   * Repeated presses without release are typematic repeats.
   */
  pressKey(code: string, down: boolean): boolean {
    if (!this.scanEnabled) return false;
    const key = SET2_BY_CODE.get(code);
    if (key === undefined) return false;
    let n = this.buildSet2(key, down);
    if (n === 0) return true; // Pause has no break code
    if (this.scanSet === 1) n = this.toSet1(n);
    if (this.count + n > QUEUE_KEYS) return false;
    for (let i = 0; i < n; i++) this.push(this.seq[i]!);
    this.onData();
    return true;
  }

  private setDefaults(): void {
    this.scanEnabled = true;
    this.scanSet = 2;
    this.leds = 0;
  }

  private writeCommand(b: number): void {
    switch (b) {
      case 0xff: // reset: self-test passed
        this.reset();
        this.push(ACK);
        this.push(BAT_OK);
        break;
      case 0xfe: // resend
        this.push(this.lastSent);
        break;
      case 0xf6: // set defaults, keep scanning
        this.clearQueue();
        this.setDefaults();
        this.push(ACK);
        break;
      case 0xf5: // set defaults, stop scanning
        this.clearQueue();
        this.setDefaults();
        this.scanEnabled = false;
        this.push(ACK);
        break;
      case 0xf4: // enable scanning
        this.clearQueue();
        this.scanEnabled = true;
        this.push(ACK);
        break;
      case 0xf2: // identify: MF2 keyboard
        this.push(ACK);
        this.push(0xab);
        this.push(0x83);
        break;
      case 0xee: // echo
        this.push(0xee);
        break;
      case 0xed: // set LEDs <param>
      case 0xf3: // typematic rate <param>
      case 0xf0: // scan code set <param>
        this.pendingCmd = b;
        this.push(ACK);
        break;
      default:
        // Set-3 key-type commands and vendor extensions: acknowledged and ignored, as QEMU does.
        this.push(ACK);
        break;
    }
  }

  private writeParameter(b: number): void {
    const cmd = this.pendingCmd;
    this.pendingCmd = 0;
    if (cmd === 0xed) {
      this.leds = b & 7;
      this.push(ACK);
    } else if (cmd === 0xf0) {
      if (b === 0) {
        this.push(ACK);
        this.push(this.scanSet);
      } else if (b === 1 || b === 2) {
        this.scanSet = b;
        this.push(ACK);
      } else if (b === 3) {
        // Set 3 is not implemented: acknowledge but stay in set 2. Linux reads the set back
        // after selecting 3 and falls back to set 2 when it does not stick.
        this.push(ACK);
      } else {
        this.push(RESEND);
      }
    } else {
      this.push(ACK); // typematic rate/delay: repeat comes from the host
    }
  }

  /** Fills `seq` with the set-2 bytes of a key event; returns their count. */
  private buildSet2(key: number, down: boolean): number {
    const s = this.seq;
    if (key === PRINT_SCREEN || key === PAUSE) {
      const bytes = key === PAUSE ? (down ? PAUSE_MAKE : NO_BYTES) : down ? PRTSC_MAKE : PRTSC_BREAK;
      s.set(bytes);
      return bytes.length;
    }
    let n = 0;
    if (key & E0) s[n++] = 0xe0;
    if (!down) s[n++] = 0xf0;
    s[n++] = key & 0xff;
    return n;
  }

  /** Rewrites `seq` (n set-2 bytes) in place as set 1: translated codes, F0 becomes bit 7. */
  private toSet1(n: number): number {
    const s = this.seq;
    let out = 0;
    let brk = 0;
    for (let i = 0; i < n; i++) {
      const b = s[i]!;
      if (b === 0xf0) {
        brk = 0x80;
        continue;
      }
      s[out++] = SET2_TO_SET1[b]! | brk;
      brk = 0;
    }
    return out;
  }
}

/**
 * A plain PS/2 mouse (ID 00), enough for AUX detection and psmouse's probes; `move` produces
 * stream-mode packets.
 */
export class Ps2Mouse extends Ps2Device {
  private enabled = false;
  private remote = false;
  private wrap = false;
  private scaling21 = false;
  private resolution = 2;
  private sampleRate = 100;
  private pendingCmd = 0;
  private buttons = 0;

  reset(): void {
    this.clearQueue();
    this.setDefaults();
    this.wrap = false;
    this.pendingCmd = 0;
  }

  write(byte: number): void {
    const b = byte & 0xff;
    if (this.pendingCmd !== 0) {
      if (this.pendingCmd === 0xe8) this.resolution = b & 3;
      else this.sampleRate = b;
      this.pendingCmd = 0;
      this.push(ACK);
    } else if (this.wrap && b !== 0xec && b !== 0xff) {
      this.push(b); // wrap (echo) mode
    } else {
      this.writeCommand(b);
    }
    this.onData();
  }

  /**
   * Report motion/buttons in stream mode. dx right-positive, dy up-positive (PS/2 convention),
   * buttons bit 0 left, bit 1 right, bit 2 middle. Returns false when not reporting.
   */
  move(dx: number, dy: number, buttons: number): boolean {
    this.buttons = buttons & 7;
    if (!this.enabled || this.remote || this.wrap) return false;
    if (this.count + 3 > QUEUE_KEYS) return false;
    this.pushPacket(dx, dy);
    this.onData();
    return true;
  }

  private setDefaults(): void {
    this.enabled = false;
    this.remote = false;
    this.scaling21 = false;
    this.resolution = 2;
    this.sampleRate = 100;
  }

  private writeCommand(b: number): void {
    switch (b) {
      case 0xff: // reset: ACK, self-test passed, ID
        this.reset();
        this.push(ACK);
        this.push(BAT_OK);
        this.push(0x00);
        break;
      case 0xfe:
        this.push(this.lastSent);
        break;
      case 0xf6:
        this.setDefaults();
        this.push(ACK);
        break;
      case 0xf5:
        this.enabled = false;
        this.push(ACK);
        break;
      case 0xf4:
        this.enabled = true;
        this.push(ACK);
        break;
      case 0xf3: // sample rate <param>
      case 0xe8: // resolution <param>
        this.pendingCmd = b;
        this.push(ACK);
        break;
      case 0xf2: // identify: standard mouse
        this.push(ACK);
        this.push(0x00);
        break;
      case 0xf0:
        this.remote = true;
        this.push(ACK);
        break;
      case 0xee:
        this.wrap = true;
        this.push(ACK);
        break;
      case 0xec:
        this.wrap = false;
        this.push(ACK);
        break;
      case 0xeb: // read data
        this.push(ACK);
        this.pushPacket(0, 0);
        break;
      case 0xea:
        this.remote = false;
        this.push(ACK);
        break;
      case 0xe9: { // status request
        const b0 = this.buttons;
        const status =
          (this.remote ? 0x40 : 0) | (this.enabled ? 0x20 : 0) | (this.scaling21 ? 0x10 : 0) |
          ((b0 & 1) << 2) | ((b0 & 4) >> 1) | ((b0 & 2) >> 1);
        this.push(ACK);
        this.push(status);
        this.push(this.resolution);
        this.push(this.sampleRate);
        break;
      }
      case 0xe7:
        this.scaling21 = true;
        this.push(ACK);
        break;
      case 0xe6:
        this.scaling21 = false;
        this.push(ACK);
        break;
      default:
        this.push(RESEND); // not a mouse command
        break;
    }
  }

  private pushPacket(dx: number, dy: number): void {
    const x = Math.max(-256, Math.min(255, dx | 0));
    const y = Math.max(-256, Math.min(255, dy | 0));
    const xo = dx > 255 || dx < -256 ? 0x40 : 0;
    const yo = dy > 255 || dy < -256 ? 0x80 : 0;
    this.push(0x08 | this.buttons | (x < 0 ? 0x10 : 0) | (y < 0 ? 0x20 : 0) | xo | yo);
    this.push(x & 0xff);
    this.push(y & 0xff);
  }
}
