import type { AccessSize, IoDevice } from '../bus/types';

/*
 * Malta board FPGA registers at phys 0x1F000000, a 1 MiB window (malta-hw.md §1.5). The CBUS
 * UART at 0x900-0x93F is a separate Uart16550 mapped over this window. Registers are 32 bits
 * wide; unknown offsets read 0 and ignore writes.
 */

/**
 * The word at phys 0x1FC00010 (boot ROM revision register, §1.6). Linux's prom_init decodes
 * CORID = (v >> 10) & 0x3F = 1 ("Core LV") and SCONID = (v >> 24) & 0xFF = 0, which selects the
 * GT-64120 system controller; any other value sends it down the MSC01/Bonito paths or makes it
 * spin forever.
 */
export const BOOT_REVISION = 0x00000420;

const SWITCH = 0x200;
const STATUS = 0x208;
const JMPRS = 0x210;
const LEDBAR = 0x408;
const ASCIIWORD = 0x410;
const ASCIIPOS0 = 0x418;
const ASCIIPOS7 = 0x450;
const SOFTRES = 0x500;
const BRKRES = 0x508;
const GPOUT = 0xa00;
const GPINP = 0xa08;
const I2CINP = 0xb00;
const I2COE = 0xb08;
const I2COUT = 0xb10;
const I2CSEL = 0xb18;

/** STATUS on a little-endian board (bit 1 would say big-endian). */
const STATUS_LE = 0x10;
const SOFTRES_MAGIC = 0x42;

export interface MaltaFpgaOptions {
  /** The guest wrote 0x42 to SOFTRES: reset the board. */
  onReset: () => void;
}

export class MaltaFpga implements IoDevice {
  private readonly onReset: () => void;
  private leds = 0;
  private brk = 0x0a;
  private gpout = 0;
  private i2cin = 0x3;
  private i2coe = 0;
  private i2cout = 0x3;
  private i2csel = 0x1;
  /** The 8-character ASCII display, one character code per position. */
  private readonly ascii = new Uint8Array(8).fill(0x20);

  constructor(opts: MaltaFpgaOptions) {
    this.onReset = opts.onReset;
  }

  reset(): void {
    this.leds = 0;
    this.brk = 0x0a;
    this.gpout = 0;
    this.i2cin = 0x3;
    this.i2coe = 0;
    this.i2cout = 0x3;
    this.i2csel = 0x1;
    this.ascii.fill(0x20);
  }

  /** The 8 characters currently on the ASCII LED display. */
  display(): string {
    return String.fromCharCode(...this.ascii);
  }

  /** LEDBAR: one bit per LED. */
  get ledBar(): number {
    return this.leds;
  }

  read(offset: number, size: AccessSize): number {
    const word = this.readWord(offset & ~3);
    if (size === 4) return word >>> 0;
    const shift = (offset & 3) * 8;
    return (word >>> shift) & (size === 2 ? 0xffff : 0xff);
  }

  write(offset: number, size: AccessSize, value: number): void {
    // Narrow writes land in their byte lane of the 32-bit register.
    const shift = (offset & 3) * 8;
    const mask = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    const v = ((value & mask) << shift) >>> 0;
    this.writeWord(offset & ~3, v, size === 4 ? 0xffffffff : (mask << shift) >>> 0);
  }

  private readWord(reg: number): number {
    switch (reg) {
      case SWITCH:
        return 0;
      case STATUS:
        return STATUS_LE;
      case JMPRS:
        return 0; // PCI clock index 0 = 33 MHz
      case LEDBAR:
        return this.leds;
      case BRKRES:
        return this.brk;
      case GPOUT:
        return this.gpout;
      case GPINP:
        // No real I2C controller: with I2CSEL set the inputs follow the outputs, as in QEMU.
        return this.i2csel ? this.i2cout : 0;
      case I2CINP:
        return this.i2cin;
      case I2COE:
        return this.i2coe;
      case I2COUT:
        return this.i2cout;
      case I2CSEL:
        return this.i2csel;
      default:
        // SOFTRES reads 0, which syscon-reboot's read-modify-write relies on.
        return 0;
    }
  }

  private writeWord(reg: number, v: number, lanes: number): void {
    switch (reg) {
      case LEDBAR:
        this.leds = merge(this.leds, v, lanes) & 0xff;
        break;
      case ASCIIWORD: {
        // Shown as 8 uppercase hex digits; a narrow write still shows the whole register.
        const hex = v.toString(16).toUpperCase().padStart(8, '0');
        for (let i = 0; i < 8; i++) this.ascii[i] = hex.charCodeAt(i);
        break;
      }
      case SOFTRES:
        if (v === SOFTRES_MAGIC) this.onReset();
        break;
      case BRKRES:
        this.brk = merge(this.brk, v, lanes) & 0xff;
        break;
      case GPOUT:
        this.gpout = merge(this.gpout, v, lanes) & 0xff;
        break;
      case I2COE:
        this.i2coe = merge(this.i2coe, v, lanes) & 0x3;
        break;
      case I2COUT:
        this.i2cout = merge(this.i2cout, v, lanes) & 0x3;
        break;
      case I2CSEL:
        this.i2csel = merge(this.i2csel, v, lanes) & 0x1;
        break;
      default:
        if (reg >= ASCIIPOS0 && reg <= ASCIIPOS7 && (reg - ASCIIPOS0) % 8 === 0 && lanes & 0xff) {
          this.ascii[(reg - ASCIIPOS0) >>> 3] = v & 0xff;
        }
        break;
    }
  }
}

function merge(old: number, v: number, lanes: number): number {
  return ((old & ~lanes) | (v & lanes)) >>> 0;
}
