/**
 * Cirrus Logic CL-GD5446 on PCI (1013:00B8), as QEMU's Malta has it at 00:12.0 and Linux's
 * cirrusfb drives it (malta-hw.md 4.10):
 *
 * - the VGA register ports 0x3B0..0x3DF, decoded whatever the PCI command register says
 *   (cirrusfb enables only memory decoding): sequencer (SR), graphics controller (GR), CRT
 *   controller (CR), attribute controller (AR, index/data flip-flop reset by reading input status
 *   1), MISC, feature control, input status, and the DAC with the hidden DAC register (HDR) that
 *   selects 15/16-bit colour;
 * - BAR0, 32 MiB of prefetchable memory: the 4 MiB linear framebuffer, repeated up to 16 MiB, and
 *   the BitBLT source aperture at +16 MiB; while the BitBLT engine waits for source data from the
 *   CPU, framebuffer writes feed the engine instead of display memory;
 * - BAR1, 4 KiB of memory-mapped registers (VGA ports at 0..0xFF, BLT registers from 0x100);
 * - an expansion ROM base register (64 KiB, sizable as QEMU's is) with no image behind it: on the
 *   Malta no firmware runs a VGA BIOS and Linux only sizes and places the ROM;
 * - 4 MiB of display memory (cirrus-vram.ts) and the BitBLT engine (cirrus-blt.ts).
 *
 * Register semantics follow QEMU's hw/display/cirrus_vga.c (reset values, write masks, which
 * indices exist); departures are noted where they are. The legacy 0xA0000 window is not
 * modelled: on the Malta PCI memory address 0xA0000 is hidden behind RAM, so nothing reaches it.
 */
import type { Clock } from '../clock';
import type { AccessSize, IoDevice } from '../bus/types';
import { BLT_AUTOSTART, type BltRegisterFile, CirrusBlt } from './cirrus-blt';
import { VRAM_SIZE, Vram } from './cirrus-vram';
import { PciFunction } from './pci';

export const CIRRUS_VENDOR_ID = 0x1013;
export const CIRRUS_DEVICE_ID_5446 = 0x00b8;
/** QEMU's Malta puts the VGA card in the first free automatic slot, 18 (00:12.0). */
export const CIRRUS_PCI_SLOT = 18;
/** First VGA I/O port and how many the card decodes. */
export const VGA_PORT_BASE = 0x3b0;
export const VGA_PORT_COUNT = 0x30;
export const CIRRUS_BAR0_SIZE = 32 * 1024 * 1024;
export const CIRRUS_MMIO_SIZE = 0x1000;
export const CIRRUS_ROM_SIZE = 0x10000;
/** Offset of the BitBLT source aperture in BAR0. */
export const BLT_APERTURE = 0x1000000;

/** SR00..SR04 bits that exist (QEMU's sr_mask). */
const SR_MASK = [0x03, 0x3d, 0x0f, 0x3f, 0x0e];
/** GR00..GR08 bits that exist (QEMU's gr_mask). */
const GR_MASK = [0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f, 0xff];
/** Byte offsets of the memory-mapped BLT registers -> graphics controller index (-1: none). */
const MMIO_BLT_GR = new Int16Array(256).fill(-1);
for (const [off, gr] of [
  [0x00, 0x00], [0x01, 0x10], [0x02, 0x12], [0x03, 0x14], // background colour
  [0x04, 0x01], [0x05, 0x11], [0x06, 0x13], [0x07, 0x15], // foreground colour
  [0x08, 0x20], [0x09, 0x21], [0x0a, 0x22], [0x0b, 0x23], // width, height
  [0x0c, 0x24], [0x0d, 0x25], [0x0e, 0x26], [0x0f, 0x27], // pitches
  [0x10, 0x28], [0x11, 0x29], [0x12, 0x2a], // destination
  [0x14, 0x2c], [0x15, 0x2d], [0x16, 0x2e], // source
  [0x17, 0x2f], [0x18, 0x30], [0x1a, 0x32], [0x1b, 0x33], // write mask, mode, ROP, mode ext
  [0x1c, 0x34], [0x1d, 0x35], [0x20, 0x38], [0x21, 0x39], // transparent colour and mask
  [0x40, 0x31], // status / start
] as const) {
  MMIO_BLT_GR[off] = gr;
}

// MISC output bit 0: colour emulation (CRTC at 0x3D4, status at 0x3DA) or mono (0x3B4/0x3BA).
const MISC_COLOR = 0x01;
const SR17_MMIO_IN_LFB = 0x44;

export interface CirrusVgaOptions {
  /** The machine clock: input status 1 reports retrace from virtual time. */
  clock: Clock;
  /** Told where the guest placed the linear framebuffer BAR (null: not decoded). */
  onLfbMap?: (addr: number | null) => void;
}

/**
 * The card's memory BAR 0 (framebuffer). Kept small and monomorphic: plain framebuffer stores
 * are the hot path of every screen update.
 */
export class CirrusLinear implements IoDevice {
  /** Accesses below the aperture go straight to display memory (see CirrusVga.updateDirect). */
  direct = true;
  private readonly u8: Uint8Array;
  private readonly u16: Uint16Array;
  private readonly i32: Int32Array;
  private readonly dirty: Uint8Array;

  constructor(
    private readonly vga: CirrusVga,
    private readonly vram: Vram,
  ) {
    this.u8 = vram.u8;
    this.u16 = vram.u16;
    this.i32 = vram.i32;
    this.dirty = vram.dirty;
  }

  read(offset: number, size: AccessSize): number {
    if (this.direct && offset < BLT_APERTURE && (offset & (size - 1)) === 0) {
      const a = offset & (VRAM_SIZE - 1);
      return size === 4 ? this.i32[a >> 2]! >>> 0 : size === 2 ? this.u16[a >> 1]! : this.u8[a]!;
    }
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.vga.linearReadByte(offset + i) << (8 * i);
    return v >>> 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (this.direct && offset < BLT_APERTURE && (offset & (size - 1)) === 0) {
      const a = offset & (VRAM_SIZE - 1);
      if (size === 4) this.i32[a >> 2] = value;
      else if (size === 2) this.u16[a >> 1] = value;
      else this.u8[a] = value;
      this.dirty[a >>> 8] = 1;
      this.vram.anyDirty = true;
      return;
    }
    // Byte by byte, lowest address first, as QEMU splits wider accesses.
    for (let i = 0; i < size; i++) this.vga.linearWriteByte(offset + i, (value >>> (8 * i)) & 0xff);
  }
}

export class CirrusVga extends PciFunction implements BltRegisterFile {
  readonly vram = new Vram();
  readonly blt: CirrusBlt;
  /** The VGA ports 0x3B0..0x3DF (map at VGA_PORT_BASE). */
  readonly ports: IoDevice;
  /** BAR0: linear framebuffer and BLT aperture. */
  readonly linear: CirrusLinear;
  /** BAR1: memory-mapped VGA and BLT registers. */
  readonly mmio: IoDevice;

  readonly sr = new Uint8Array(256);
  readonly gr = new Uint8Array(256);
  readonly cr = new Uint8Array(256);
  readonly ar = new Uint8Array(32);
  srIndex = 0;
  grIndex = 0;
  crIndex = 0;
  /** AR index register; bit 5 (palette address source) set means the display is enabled. */
  arIndex = 0;
  /** 0: the next 0x3C0 write is an index, 1: data. */
  arFlipFlop = 0;
  misc = 0;
  featureControl = 0;
  st00 = 0;
  st01 = 0;
  shadowGr0 = 0;
  shadowGr1 = 0;

  /** 256 DAC entries of three 6-bit values (stored as written, used masked to 6 bits). */
  readonly palette = new Uint8Array(768);
  /** The 16 extra DAC entries SR12 bit 1 selects (hardware cursor colours). */
  readonly hiddenPalette = new Uint8Array(48);
  dacReadIndex = 0;
  dacWriteIndex = 0;
  dacSubIndex = 0;
  dacState = 0;
  private readonly dacCache = new Uint8Array(3);
  /** Hidden DAC register: bits 7..4 select the extended colour modes, low nibble 1 = 5:6:5. */
  hiddenDac = 0;
  /** Consecutive 0x3C6 reads (the fifth returns the HDR; after exactly four a write sets it). */
  private hiddenDacReads = 5;
  /** Bumped whenever a palette entry or the HDR changes (scan-out redraws). */
  paletteVersion = 0;

  private readonly clock: Clock;

  constructor(opts: CirrusVgaOptions) {
    super({
      vendorId: CIRRUS_VENDOR_ID,
      deviceId: CIRRUS_DEVICE_ID_5446,
      revision: 0x00,
      classCode: 0x030000,
      subsystemVendorId: 0x1af4,
      subsystemId: 0x1100,
    });
    this.clock = opts.clock;
    this.blt = new CirrusBlt(this.vram, this, () => this.updateDirect());
    this.linear = new CirrusLinear(this, this.vram);
    this.ports = {
      read: (offset, size) => {
        let v = 0;
        for (let i = 0; i < size; i++) v |= this.portRead(VGA_PORT_BASE + offset + i) << (8 * i);
        return v >>> 0;
      },
      write: (offset, size, value) => {
        for (let i = 0; i < size; i++) this.portWrite(VGA_PORT_BASE + offset + i, (value >>> (8 * i)) & 0xff);
      },
    };
    this.mmio = {
      read: (offset, size) => {
        let v = 0;
        for (let i = 0; i < size; i++) v |= this.mmioReadByte(offset + i) << (8 * i);
        return v >>> 0;
      },
      write: (offset, size, value) => {
        for (let i = 0; i < size; i++) this.mmioWriteByte(offset + i, (value >>> (8 * i)) & 0xff);
      },
    };
    this.defineBar(0, { size: CIRRUS_BAR0_SIZE, type: 'mem', prefetchable: true, device: this.linear, onMap: opts.onLfbMap });
    this.defineBar(1, { size: CIRRUS_MMIO_SIZE, type: 'mem', device: this.mmio });
    // Expansion ROM base: address bits and the enable bit are writable, so it sizes as 64 KiB.
    this.setWriteMask(0x30, 4, (~(CIRRUS_ROM_SIZE - 1) | 1) >>> 0);
    this.reset();
  }

  /** Power-on register state (QEMU's cirrus_reset for the 5446). */
  reset(): void {
    this.sr.fill(0);
    this.gr.fill(0);
    this.cr.fill(0);
    this.ar.fill(0);
    this.srIndex = this.grIndex = this.crIndex = this.arIndex = this.arFlipFlop = 0;
    this.misc = this.featureControl = this.st00 = this.st01 = 0;
    this.shadowGr0 = this.shadowGr1 = 0;
    this.palette.fill(0);
    this.hiddenPalette.fill(0);
    this.dacReadIndex = this.dacWriteIndex = this.dacSubIndex = this.dacState = 0;
    this.sr[0x06] = 0x0f; // extensions locked
    this.sr[0x0f] = 0x98; // 64-bit DRAM bus, bank switching: cirrusfb reads 4 MiB
    this.sr[0x15] = 0x04;
    this.sr[0x17] = 0x20; // PCI bus
    this.sr[0x1f] = 0x2d; // MCLK
    this.gr[0x18] = 0x0f;
    this.cr[0x27] = CIRRUS_DEVICE_ID_5446; // part ID
    this.hiddenDac = 0;
    this.hiddenDacReads = 5;
    this.paletteVersion++;
    this.blt.reset();
    this.updateDirect();
  }

  /** Bits per pixel of the displayed mode: 8, 15, 16, 24, 32, or 0 outside the extended modes. */
  displayBpp(): number {
    const sr7 = this.sr[0x07]!;
    if ((sr7 & 0x01) === 0) return 0;
    switch (sr7 & 0x0e) {
      case 0x00:
        return 8;
      case 0x02: // 16 bpp at double VCLK
      case 0x06:
        return (this.hiddenDac & 0x0f) === 1 ? 16 : 15;
      case 0x04:
        return 24;
      case 0x08:
        return 32;
      default:
        return 8;
    }
  }

  /**
   * The framebuffer is plain memory unless the BLT engine waits for CPU data, the BLT registers
   * sit at the top of the LFB (SR17), or GR0B asks for address shifting or write modes 4/5.
   */
  private updateDirect(): void {
    this.linear.direct =
      !this.blt.awaitingSource && (this.sr[0x17]! & SR17_MMIO_IN_LFB) !== SR17_MMIO_IN_LFB && (this.gr[0x0b]! & 0x16) === 0;
  }

  // ---------------------------------------------------------------- linear framebuffer

  /** @internal One byte read through BAR0 (the slow path). */
  linearReadByte(offset: number): number {
    if (offset >= BLT_APERTURE) return 0xff;
    let a = offset & this.vram.mask;
    if (this.mmioInLfb(a)) return this.bltRegRead(a & 0xff);
    a = this.shiftAddress(a);
    return this.vram.u8[a]!;
  }

  /** @internal One byte written through BAR0 (the slow path). */
  linearWriteByte(offset: number, value: number): void {
    if (offset >= BLT_APERTURE) {
      this.blt.feed(value);
      return;
    }
    let a = offset & this.vram.mask;
    if (this.mmioInLfb(a)) {
      this.bltRegWrite(a & 0xff, value);
      return;
    }
    if (this.blt.awaitingSource) {
      this.blt.feed(value);
      return;
    }
    a = this.shiftAddress(a);
    const mode = this.gr[0x05]! & 7;
    const gr0b = this.gr[0x0b]!;
    if (mode < 4 || mode > 5 || (gr0b & 0x04) === 0) {
      this.vram.u8[a] = value;
      this.vram.markRange(a, 1);
      return;
    }
    // Write modes 4 and 5: each source bit picks the foreground (1) or, in mode 5, the
    // background colour (0) for one of eight pixels.
    const wide = (gr0b & 0x14) === 0x14;
    const v = this.vram.u8;
    const m = this.vram.mask;
    for (let x = 0; x < 8; x++) {
      const set = (value << x) & 0x80;
      if (!set && mode !== 5) continue;
      if (wide) {
        v[(a + 2 * x) & m] = set ? this.shadowGr1 : this.shadowGr0;
        v[(a + 2 * x + 1) & m] = set ? this.gr[0x11]! : this.gr[0x10]!;
      } else {
        v[(a + x) & m] = set ? this.shadowGr1 : this.shadowGr0;
      }
    }
    this.vram.markRange(a, wide ? 16 : 8);
  }

  private mmioInLfb(a: number): boolean {
    const top = VRAM_SIZE - 256;
    return (this.sr[0x17]! & SR17_MMIO_IN_LFB) === SR17_MMIO_IN_LFB && (a & top) === top;
  }

  /** GR0B bits 1 and 4 scale framebuffer addresses (8-byte and 16-byte granularity modes). */
  private shiftAddress(a: number): number {
    const gr0b = this.gr[0x0b]!;
    if ((gr0b & 0x14) === 0x14) a <<= 4;
    else if (gr0b & 0x02) a <<= 3;
    return a & this.vram.mask;
  }

  // ---------------------------------------------------------------- BAR1

  private mmioReadByte(offset: number): number {
    offset &= CIRRUS_MMIO_SIZE - 1;
    return offset < 0x100 ? this.portRead(0x3c0 + offset) : this.bltRegRead(offset - 0x100);
  }

  private mmioWriteByte(offset: number, value: number): void {
    offset &= CIRRUS_MMIO_SIZE - 1;
    if (offset < 0x100) this.portWrite(0x3c0 + offset, value);
    else this.bltRegWrite(offset - 0x100, value);
  }

  private bltRegRead(offset: number): number {
    const g = offset < 256 ? MMIO_BLT_GR[offset]! : -1;
    return g < 0 ? 0xff : this.readGr(g);
  }

  private bltRegWrite(offset: number, value: number): void {
    const g = offset < 256 ? MMIO_BLT_GR[offset]! : -1;
    if (g >= 0) this.writeGr(g, value);
  }

  // ---------------------------------------------------------------- VGA ports

  /** Mono ports (0x3Bx) answer only in mono mode, colour ports (0x3Dx) only in colour mode. */
  private portInvalid(port: number): boolean {
    return this.misc & MISC_COLOR ? port >= 0x3b0 && port <= 0x3bf : port >= 0x3d0 && port <= 0x3df;
  }

  portRead(port: number): number {
    if (this.portInvalid(port)) return 0xff;
    switch (port) {
      case 0x3c0:
        return this.arFlipFlop === 0 ? this.arIndex : 0;
      case 0x3c1: {
        const i = this.arIndex & 0x1f;
        return i < 21 ? this.ar[i]! : 0;
      }
      case 0x3c2:
        return this.st00;
      case 0x3c4:
        return this.srIndex;
      case 0x3c5:
        return this.readSr(this.srIndex);
      case 0x3c6:
        return this.readHiddenDac();
      case 0x3c7:
        return this.dacState;
      case 0x3c8:
        this.hiddenDacReads = 0;
        return this.dacWriteIndex;
      case 0x3c9:
        return this.readPalette();
      case 0x3ca:
        return this.featureControl;
      case 0x3cc:
        return this.misc;
      case 0x3ce:
        return this.grIndex;
      case 0x3cf:
        return this.readGr(this.grIndex);
      case 0x3b4:
      case 0x3d4:
        return this.crIndex;
      case 0x3b5:
      case 0x3d5:
        return this.readCr(this.crIndex);
      case 0x3ba:
      case 0x3da:
        this.st01 = this.inputStatus1();
        this.arFlipFlop = 0;
        return this.st01;
      default:
        return 0;
    }
  }

  portWrite(port: number, value: number): void {
    if (this.portInvalid(port)) return;
    switch (port) {
      case 0x3c0:
        if (this.arFlipFlop === 0) {
          this.arIndex = value & 0x3f;
        } else {
          this.writeAr(this.arIndex & 0x1f, value);
        }
        this.arFlipFlop ^= 1;
        return;
      case 0x3c2:
        this.misc = value & ~0x10;
        return;
      case 0x3c4:
        this.srIndex = value;
        return;
      case 0x3c5:
        this.writeSr(this.srIndex, value);
        return;
      case 0x3c6:
        this.writeHiddenDac(value);
        return;
      case 0x3c7:
        this.dacReadIndex = value;
        this.dacSubIndex = 0;
        this.dacState = 3;
        return;
      case 0x3c8:
        this.dacWriteIndex = value;
        this.dacSubIndex = 0;
        this.dacState = 0;
        return;
      case 0x3c9:
        this.writePalette(value);
        return;
      case 0x3ce:
        this.grIndex = value;
        return;
      case 0x3cf:
        this.writeGr(this.grIndex, value);
        return;
      case 0x3b4:
      case 0x3d4:
        this.crIndex = value;
        return;
      case 0x3b5:
      case 0x3d5:
        this.writeCr(this.crIndex, value);
        return;
      case 0x3ba:
      case 0x3da:
        this.featureControl = value & 0x10;
        return;
    }
  }

  private writeAr(i: number, value: number): void {
    if (i <= 0x0f) this.ar[i] = value & 0x3f;
    else if (i === 0x10) this.ar[i] = value & ~0x10;
    else if (i === 0x11) this.ar[i] = value;
    else if (i === 0x12) this.ar[i] = value & ~0xc0;
    else if (i === 0x13 || i === 0x14) this.ar[i] = value & ~0xf0;
  }

  /**
   * Input status 1 from virtual time: bit 3 during vertical retrace, bit 0 whenever the beam is
   * not drawing (blanking, horizontal or vertical). Frames are 1/60 s; the line layout comes
   * from the CRTC registers (a plausible 640x480 layout until the guest programs them).
   */
  private inputStatus1(): number {
    const cr = this.cr;
    let vtotal = (cr[0x06]! | ((cr[0x07]! & 0x01) << 8) | ((cr[0x07]! & 0x20) << 4)) + 2;
    let vdisp = (cr[0x12]! | ((cr[0x07]! & 0x02) << 7) | ((cr[0x07]! & 0x40) << 3)) + 1;
    let vrStart = cr[0x10]! | ((cr[0x07]! & 0x04) << 6) | ((cr[0x07]! & 0x80) << 2);
    let htotal = cr[0x00]! + 5;
    let hdisp = cr[0x01]! + 1;
    if (vtotal < 16 || vdisp >= vtotal || vrStart >= vtotal || hdisp >= htotal) {
      vtotal = 525;
      vdisp = 480;
      vrStart = 490;
      htotal = 100;
      hdisp = 80;
    }
    const vrLength = ((cr[0x11]! & 0x0f) - (vrStart & 0x0f)) & 0x0f || 16;
    const frame = this.clock.hz / 60;
    const pos = ((this.clock.cycles % frame) / frame) * vtotal;
    const line = Math.floor(pos);
    const h = (pos - line) * htotal;
    const vretrace = line >= vrStart && line < vrStart + vrLength;
    const blank = line >= vdisp || h >= hdisp;
    return (vretrace ? 0x08 : 0) | (blank ? 0x01 : 0);
  }

  // ---------------------------------------------------------------- DAC

  private readHiddenDac(): number {
    this.hiddenDacReads = (this.hiddenDacReads + 1) & 0xff;
    if (this.hiddenDacReads === 5) {
      this.hiddenDacReads = 0;
      return this.hiddenDac;
    }
    return 0xff;
  }

  /**
   * After exactly four reads a write goes to the HDR; any other write is dropped. As in QEMU,
   * 0x3C6 is not a pixel mask here (reads give 0xFF, what cirrusfb always writes there): with
   * QEMU's count starting used up, cirrusfb's first HDR write after reset misses, and storing
   * it as a mask would blank 8-bit modes until the driver's second pass.
   */
  private writeHiddenDac(value: number): void {
    if (this.hiddenDacReads === 4) {
      this.hiddenDac = value;
      this.paletteVersion++;
    }
    this.hiddenDacReads = 0;
  }

  private writePalette(value: number): void {
    this.dacCache[this.dacSubIndex] = value;
    if (++this.dacSubIndex < 3) return;
    if (this.sr[0x12]! & 0x02) this.hiddenPalette.set(this.dacCache, (this.dacWriteIndex & 0x0f) * 3);
    else this.palette.set(this.dacCache, this.dacWriteIndex * 3);
    this.dacSubIndex = 0;
    this.dacWriteIndex = (this.dacWriteIndex + 1) & 0xff;
    this.paletteVersion++;
  }

  private readPalette(): number {
    const v =
      this.sr[0x12]! & 0x02
        ? this.hiddenPalette[(this.dacReadIndex & 0x0f) * 3 + this.dacSubIndex]!
        : this.palette[this.dacReadIndex * 3 + this.dacSubIndex]!;
    if (++this.dacSubIndex === 3) {
      this.dacSubIndex = 0;
      this.dacReadIndex = (this.dacReadIndex + 1) & 0xff;
    }
    return v;
  }

  // ---------------------------------------------------------------- sequencer

  readSr(i: number): number {
    if (i <= 0x04 || i === 0x06) return this.sr[i]!;
    if ((i & 0x1f) === 0x10) return this.sr[0x10]!; // cursor X, with position bits in the index
    if ((i & 0x1f) === 0x11) return this.sr[0x11]!; // cursor Y
    if (i <= 0x1f) return this.sr[i]!;
    return 0xff;
  }

  writeSr(i: number, value: number): void {
    if (i <= 0x04) {
      this.sr[i] = value & SR_MASK[i]!;
    } else if (i === 0x06) {
      this.sr[i] = (value & 0x17) === 0x12 ? 0x12 : 0x0f; // unlock key
    } else if ((i & 0x1f) === 0x10) {
      this.sr[0x10] = value;
    } else if ((i & 0x1f) === 0x11) {
      this.sr[0x11] = value;
    } else if (i === 0x17) {
      this.sr[i] = (this.sr[i]! & 0x38) | (value & 0xc7); // bus type bits are read-only
      this.updateDirect();
    } else if (i >= 0x07 && i <= 0x1f) {
      this.sr[i] = value;
    }
  }

  // ---------------------------------------------------------------- graphics controller

  readGr(i: number): number {
    if (i === 0x00) return this.shadowGr0;
    if (i === 0x01) return this.shadowGr1;
    return i < 0x3a ? this.gr[i]! : 0xff;
  }

  writeGr(i: number, value: number): void {
    switch (i) {
      case 0x00:
        this.gr[i] = value & GR_MASK[i]!;
        this.shadowGr0 = value;
        return;
      case 0x01:
        this.gr[i] = value & GR_MASK[i]!;
        this.shadowGr1 = value;
        return;
      case 0x02:
      case 0x03:
      case 0x04:
      case 0x06:
      case 0x07:
      case 0x08:
        this.gr[i] = value & GR_MASK[i]!;
        return;
      case 0x05:
        this.gr[i] = value & 0x7f;
        this.updateDirect();
        return;
      case 0x09:
      case 0x0a:
        this.gr[i] = value; // bank offsets of the 0xA0000 window (not reachable on the Malta)
        return;
      case 0x0b:
        this.gr[i] = value;
        this.updateDirect();
        return;
      case 0x10: case 0x11: case 0x12: case 0x13: case 0x14: case 0x15: // colour bytes 1..3
      case 0x20: case 0x22: case 0x24: case 0x26: // width, height, pitches (low)
      case 0x28: case 0x29: case 0x2c: case 0x2d: // addresses (low, middle)
      case 0x2f: case 0x30: case 0x32: case 0x33: // write mask / skip, mode, ROP, mode extensions
      case 0x34: case 0x35: case 0x38: case 0x39: // transparent colour and mask
        this.gr[i] = value;
        return;
      case 0x21: case 0x23: case 0x25: case 0x27:
        this.gr[i] = value & 0x1f;
        return;
      case 0x2a:
        this.gr[i] = value & 0x3f;
        if (this.gr[0x31]! & BLT_AUTOSTART) this.blt.start();
        return;
      case 0x2e:
        this.gr[i] = value & 0x3f;
        return;
      case 0x31: {
        const old = this.gr[0x31]!;
        this.gr[0x31] = value;
        this.blt.controlWritten(old, value);
        return;
      }
    }
  }

  // ---------------------------------------------------------------- CRT controller

  readCr(i: number): number {
    if (i <= 0x18) return this.cr[i]!;
    switch (i) {
      case 0x24:
        return this.arFlipFlop << 7; // attribute controller toggle readback
      case 0x26:
        return this.arIndex & 0x3f;
      case 0x19: case 0x1a: case 0x1b: case 0x1c: case 0x1d: case 0x22: case 0x25: case 0x27:
        return this.cr[i]!;
      default:
        return 0xff;
    }
  }

  writeCr(i: number, value: number): void {
    if (i <= 0x18) {
      // CR11 bit 7 protects CR00..CR07, except the line-compare bit 4 of CR07.
      if (this.cr[0x11]! & 0x80 && i <= 7) {
        if (i === 7) this.cr[7] = (this.cr[7]! & ~0x10) | (value & 0x10);
        return;
      }
      this.cr[i] = value;
    } else if (i >= 0x19 && i <= 0x1d) {
      this.cr[i] = value;
    }
  }
}
