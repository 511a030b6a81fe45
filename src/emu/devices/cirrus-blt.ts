/**
 * The CL-GD5446 BitBLT engine: the graphics-controller registers GR20..GR33 describe a rectangle
 * operation in display memory, writing GR31 bit 1 starts it. What it does follows QEMU's
 * hw/display/cirrus_vga.c (which Linux's cirrusfb and the X drivers run on) and the 5446
 * datasheet where QEMU leaves something out:
 *
 * - video-to-video copies, forwards and backwards (GR30 bit 0: both addresses name the last byte
 *   and everything counts down), with any of the 16 raster operations (GR32), optionally
 *   transparent (GR30 bit 3: a pixel whose result equals GR34/GR35 is not written, 8/16 bpp);
 * - colour expansion (GR30 bit 7): a 1-bit-per-pixel source, most significant bit first, each
 *   line starting on a new byte, expands to the foreground (GR01/11/13/15) and background
 *   (GR00/10/12/14) colours, or to foreground only when transparent (background when GR33 bit 1
 *   inverts it);
 * - 8x8 patterns (GR30 bit 6), colour or colour-expanded, and the solid fill of GR33 bit 2;
 * - "system to screen" (GR30 bit 2): the source comes from the CPU, which writes it into the
 *   linear framebuffer (or the BLT aperture) while the engine waits; every full source line is
 *   drawn at once, and the engine stays busy (GR31 bits 0 and 1) until the last line arrives.
 *
 * Pixels are 1, 2, 3 or 4 bytes (GR30 bits 5:4). The raster operations are bitwise, so they are
 * applied byte by byte whatever the depth. Addresses wrap at the end of display memory; like
 * QEMU, an operation whose rectangle would run off either end is dropped (the engine goes idle).
 */
import type { Vram } from './cirrus-vram';

// GR30, BLT mode.
export const BLT_BACKWARDS = 0x01;
export const BLT_TO_SYSTEM = 0x02;
export const BLT_FROM_SYSTEM = 0x04;
export const BLT_TRANSPARENT = 0x08;
export const BLT_PIXEL_WIDTH = 0x30;
export const BLT_PATTERN = 0x40;
export const BLT_COLOR_EXPAND = 0x80;
// GR31, BLT start/status.
export const BLT_BUSY = 0x01;
export const BLT_START = 0x02;
export const BLT_RESET = 0x04;
export const BLT_FIFO_USED = 0x10;
export const BLT_AUTOSTART = 0x80;
// GR33, BLT mode extensions.
export const BLTX_DWORD_GRANULARITY = 0x01;
export const BLTX_INVERT_EXPANSION = 0x02;
export const BLTX_SOLID_FILL = 0x04;

/** GR32 raster operation codes (the chip's own numbering). */
export const ROP_0 = 0x00;
export const ROP_SRC_AND_DST = 0x05;
export const ROP_NOP = 0x06;
export const ROP_SRC_AND_NOTDST = 0x09;
export const ROP_NOTDST = 0x0b;
export const ROP_SRC = 0x0d;
export const ROP_1 = 0x0e;
export const ROP_NOTSRC_AND_DST = 0x50;
export const ROP_SRC_XOR_DST = 0x59;
export const ROP_SRC_OR_DST = 0x6d;
export const ROP_NOTSRC_OR_NOTDST = 0x90;
export const ROP_SRC_NOTXOR_DST = 0x95;
export const ROP_SRC_OR_NOTDST = 0xad;
export const ROP_NOTSRC = 0xd0;
export const ROP_NOTSRC_OR_DST = 0xd6;
export const ROP_NOTSRC_AND_NOTDST = 0xda;

/** The widest line (bytes) the engine takes, and the size of its CPU-source line buffer. */
export const BLT_MAX_WIDTH = 8192;

/** A raster operation on one byte (or any bitwise lane); codes the chip does not define keep dst. */
export function rop(code: number, d: number, s: number): number {
  switch (code) {
    case ROP_SRC:
      return s;
    case ROP_0:
      return 0;
    case ROP_SRC_AND_DST:
      return s & d;
    case ROP_SRC_AND_NOTDST:
      return s & ~d;
    case ROP_NOTDST:
      return ~d;
    case ROP_1:
      return 0xff;
    case ROP_NOTSRC_AND_DST:
      return ~s & d;
    case ROP_SRC_XOR_DST:
      return s ^ d;
    case ROP_SRC_OR_DST:
      return s | d;
    case ROP_NOTSRC_OR_NOTDST:
      return ~s | ~d;
    case ROP_SRC_NOTXOR_DST:
      return ~(s ^ d);
    case ROP_SRC_OR_NOTDST:
      return s | ~d;
    case ROP_NOTSRC:
      return ~s;
    case ROP_NOTSRC_OR_DST:
      return ~s | d;
    case ROP_NOTSRC_AND_NOTDST:
      return ~s & ~d;
    default:
      return d;
  }
}

/** What the engine reads from the rest of the chip when an operation starts. */
export interface BltRegisterFile {
  /** Graphics controller registers as stored (GR00/GR01 keep only their VGA bits here). */
  readonly gr: Uint8Array;
  /** The full 8-bit values last written to GR00 and GR01 (colour low bytes). */
  readonly shadowGr0: number;
  readonly shadowGr1: number;
  /** Bits per pixel of the displayed mode (0 outside the extended modes). */
  displayBpp(): number;
}

const enum Op {
  Copy,
  CopyTransparent,
  Expand,
  ExpandTransparent,
  PatternExpand,
  PatternExpandTransparent,
  PatternFill,
}

export class CirrusBlt {
  // The operation being carried out (or the last one).
  private op = Op.Copy;
  private rop = ROP_SRC;
  private pw = 1;
  private width = 0;
  private height = 0;
  private dstPitch = 0;
  private srcPitch = 0;
  private dst = 0;
  private src = 0;
  private mode = 0;
  private modeExt = 0;
  private fg = 0;
  private bg = 0;
  private backwards = false;
  /** Where source bytes come from: display memory, or the CPU line buffer below. */
  private srcBuf: Uint8Array;
  private srcMask: number;

  // System-to-screen: the CPU fills `line` up to `lineEnd`, then the engine draws it.
  private readonly line = new Uint8Array(BLT_MAX_WIDTH);
  private linePos = 0;
  private lineEnd = 0;
  /** Source bytes still expected for the whole operation. */
  private remaining = 0;

  constructor(
    private readonly vram: Vram,
    private readonly regs: BltRegisterFile,
    /** The engine started or stopped taking its source from the CPU. */
    private readonly onSourceChange: () => void = () => {},
  ) {
    this.srcBuf = vram.u8;
    this.srcMask = vram.mask;
  }

  /** True while the engine is waiting for source bytes from the CPU. */
  get awaitingSource(): boolean {
    return this.lineEnd !== 0;
  }

  /** GR31 was written with `value` (the register already holds it). */
  controlWritten(old: number, value: number): void {
    if ((old & BLT_RESET) !== 0 && (value & BLT_RESET) === 0) this.reset();
    else if ((old & BLT_START) === 0 && (value & BLT_START) !== 0) this.start();
  }

  /** Abort whatever runs and go idle (GR31 bit 2 falling, or an operation finished). */
  reset(): void {
    const gr = this.regs.gr;
    gr[0x31] &= ~(BLT_START | BLT_BUSY | BLT_FIFO_USED);
    const wasWaiting = this.lineEnd !== 0;
    this.linePos = 0;
    this.lineEnd = 0;
    this.remaining = 0;
    if (wasWaiting) this.onSourceChange();
  }

  /** Decode GR20..GR33 and carry the operation out (or begin waiting for CPU data). */
  start(): void {
    const gr = this.regs.gr;
    gr[0x31] |= BLT_BUSY;
    const mask = this.vram.mask;
    this.width = (gr[0x20]! | (gr[0x21]! << 8)) + 1;
    this.height = (gr[0x22]! | (gr[0x23]! << 8)) + 1;
    this.dstPitch = gr[0x24]! | (gr[0x25]! << 8);
    this.srcPitch = gr[0x26]! | (gr[0x27]! << 8);
    this.dst = (gr[0x28]! | (gr[0x29]! << 8) | (gr[0x2a]! << 16)) & mask;
    this.src = (gr[0x2c]! | (gr[0x2d]! << 8) | (gr[0x2e]! << 16)) & mask;
    this.rop = gr[0x32]!;
    this.modeExt = gr[0x33]!;
    const mode = gr[0x30]!;
    this.pw = ((mode & BLT_PIXEL_WIDTH) >> 4) + 1;
    this.mode = mode & ~BLT_PIXEL_WIDTH;
    this.backwards = false;
    this.srcBuf = this.vram.u8;
    this.srcMask = mask;
    const m = this.mode;

    if ((m & (BLT_FROM_SYSTEM | BLT_TO_SYSTEM)) === (BLT_FROM_SYSTEM | BLT_TO_SYSTEM)) return this.reset();

    const fillBits = BLT_TO_SYSTEM | BLT_TRANSPARENT | BLT_PATTERN | BLT_COLOR_EXPAND;
    if ((this.modeExt & BLTX_SOLID_FILL) !== 0 && (m & fillBits) === (BLT_PATTERN | BLT_COLOR_EXPAND)) {
      this.fg = this.color(true);
      if (!this.unsafe(true)) this.solidFill();
      return this.reset();
    }

    if ((m & (BLT_COLOR_EXPAND | BLT_PATTERN)) === BLT_COLOR_EXPAND) {
      this.op = m & BLT_TRANSPARENT ? Op.ExpandTransparent : Op.Expand;
    } else if (m & BLT_PATTERN) {
      if (m & BLT_COLOR_EXPAND) this.op = m & BLT_TRANSPARENT ? Op.PatternExpandTransparent : Op.PatternExpand;
      else this.op = Op.PatternFill;
    } else {
      if (m & BLT_TRANSPARENT) {
        if (this.pw > 2) return this.reset(); // the chip compares 8- or 16-bit pixels only
        this.op = Op.CopyTransparent;
      } else {
        this.op = Op.Copy;
      }
      if (m & BLT_BACKWARDS) {
        this.backwards = true;
        this.dstPitch = -this.dstPitch;
        this.srcPitch = -this.srcPitch;
      }
    }
    if (m & BLT_COLOR_EXPAND) {
      this.fg = this.color(true);
      this.bg = this.color(false);
    }

    if (m & BLT_FROM_SYSTEM) this.startFromSystem();
    else if (m & BLT_TO_SYSTEM) this.reset(); // screen-to-system is not implemented (nor in QEMU)
    else this.videoToVideo();
  }

  /** One source byte from the CPU (a write to the framebuffer or the BLT aperture). */
  feed(byte: number): void {
    if (this.lineEnd === 0) return;
    this.line[this.linePos++] = byte;
    if (this.linePos >= this.lineEnd) this.lineReady();
  }

  // ---------------------------------------------------------------- setup

  /** Foreground or background colour for the operation's pixel width. */
  private color(fg: boolean): number {
    const r = this.regs;
    const gr = r.gr;
    const b0 = fg ? r.shadowGr1 : r.shadowGr0;
    const b1 = gr[fg ? 0x11 : 0x10]!;
    const b2 = gr[fg ? 0x13 : 0x12]!;
    const b3 = gr[fg ? 0x15 : 0x14]!;
    switch (this.pw) {
      case 1:
        return b0;
      case 2:
        return b0 | (b1 << 8);
      case 3:
        return b0 | (b1 << 8) | (b2 << 16);
      default:
        return (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0;
    }
  }

  /** Whether a rectangle at `addr` with `pitch` runs outside display memory (QEMU's check). */
  private regionUnsafe(pitch: number, addr: number): boolean {
    if (pitch === 0) return true;
    const size = this.vram.mask + 1;
    if (pitch < 0) {
      const min = addr + (this.height - 1) * pitch - this.width;
      return min < -1 || addr >= size;
    }
    return addr + (this.height - 1) * pitch + this.width > size;
  }

  private unsafe(dstOnly: boolean): boolean {
    if (this.width > BLT_MAX_WIDTH) return true;
    if (this.regionUnsafe(this.dstPitch, this.dst)) return true;
    return !dstOnly && this.regionUnsafe(this.srcPitch, this.src);
  }

  private videoToVideo(): void {
    if (this.mode & BLT_PATTERN) {
      // QEMU aligns a pattern in display memory to its size at the displayed depth.
      const bpp = this.regs.displayBpp();
      const size = bpp === 8 ? 64 : bpp === 15 || bpp === 16 ? 128 : 256;
      this.src &= ~(size - 1);
      if (this.src + size <= this.vram.mask + 1 && !this.unsafe(true)) {
        this.run(this.dst, this.src, this.height, this.src & 7);
      }
    } else if (!this.unsafe(false)) {
      this.run(this.dst, this.src, this.height, 0);
    }
    this.reset();
  }

  private startFromSystem(): void {
    if (this.unsafe(true)) return this.reset();
    let pitch: number;
    if (this.mode & BLT_PATTERN) {
      pitch = this.mode & BLT_COLOR_EXPAND ? 8 : 64 * this.pw;
      this.remaining = pitch;
    } else {
      if (this.mode & BLT_COLOR_EXPAND) {
        const pixels = (this.width / this.pw) | 0;
        // Each source line is padded to a byte, or to a 32-bit word with GR33 bit 0.
        pitch = this.modeExt & BLTX_DWORD_GRANULARITY ? ((pixels + 31) >> 5) << 2 : (pixels + 7) >> 3;
      } else {
        pitch = (this.width + 3) & ~3; // colour data: lines are padded to 32 bits
      }
      this.remaining = pitch * this.height;
    }
    if (pitch <= 0 || pitch > BLT_MAX_WIDTH) return this.reset();
    this.srcPitch = pitch;
    this.srcBuf = this.line;
    this.srcMask = BLT_MAX_WIDTH - 1;
    this.linePos = 0;
    this.lineEnd = pitch;
    this.onSourceChange();
  }

  private lineReady(): void {
    if (this.mode & BLT_PATTERN) {
      // The whole 8x8 pattern arrived: fill the rectangle with it at once.
      this.run(this.dst, 0, this.height, this.src & 7);
      this.reset();
      return;
    }
    this.run(this.dst, 0, 1, 0);
    this.dst = (this.dst + this.dstPitch) & this.vram.mask;
    this.remaining -= this.srcPitch;
    if (this.remaining <= 0) {
      this.reset();
      return;
    }
    this.linePos = 0;
  }

  // ---------------------------------------------------------------- drawing

  private run(dst: number, src: number, height: number, patternY: number): void {
    switch (this.op) {
      case Op.Copy:
      case Op.CopyTransparent:
        if (this.backwards) this.copyBackwards(dst, src, height);
        else this.copyForwards(dst, src, height);
        break;
      case Op.Expand:
      case Op.ExpandTransparent:
        this.expand(dst, src, height);
        break;
      case Op.PatternExpand:
      case Op.PatternExpandTransparent:
        this.patternExpand(dst, src, height, patternY);
        break;
      case Op.PatternFill:
        this.patternFill(dst, src, height, patternY);
        break;
    }
  }

  /** Write one pixel of colour `c` at `addr` through the raster operation. */
  private put(addr: number, c: number): void {
    const v = this.vram.u8;
    const m = this.vram.mask;
    const r = this.rop;
    switch (this.pw) {
      case 1: {
        const a = addr & m;
        v[a] = rop(r, v[a]!, c);
        return;
      }
      case 2: {
        const a = addr & m & ~1;
        v[a] = rop(r, v[a]!, c);
        v[a + 1] = rop(r, v[a + 1]!, c >>> 8);
        return;
      }
      case 3: {
        const a0 = addr & m;
        const a1 = (addr + 1) & m;
        const a2 = (addr + 2) & m;
        v[a0] = rop(r, v[a0]!, c);
        v[a1] = rop(r, v[a1]!, c >>> 8);
        v[a2] = rop(r, v[a2]!, c >>> 16);
        return;
      }
      default: {
        const a = addr & m & ~3;
        v[a] = rop(r, v[a]!, c);
        v[a + 1] = rop(r, v[a + 1]!, c >>> 8);
        v[a + 2] = rop(r, v[a + 2]!, c >>> 16);
        v[a + 3] = rop(r, v[a + 3]!, c >>> 24);
      }
    }
  }

  private copyForwards(dst: number, src: number, height: number): void {
    const w = this.width;
    const dstStep = this.dstPitch - w;
    const srcStep = this.srcPitch - w;
    // Overlapping lines with a pitch below the width: QEMU does nothing, so neither do we.
    if (height > 1 && (dstStep < 0 || srcStep < 0)) return;
    const v = this.vram.u8;
    const m = this.vram.mask;
    const sb = this.srcBuf;
    const sm = this.srcMask;
    const r = this.rop;
    const transparent = this.op === Op.CopyTransparent;
    const key = this.regs.gr[0x34]! | (this.pw === 2 ? this.regs.gr[0x35]! << 8 : 0);
    for (let y = 0; y < height; y++) {
      this.vram.markRange(dst, w);
      if (!transparent) {
        // A plain copy of a line that does not wrap and cannot overrun its own source in the
        // forward direction is a memmove (the byte loop below gives the same bytes).
        if (r === ROP_SRC && sb === v && dst + w <= m + 1 && src + w <= m + 1 && (dst <= src || dst >= src + w)) {
          v.copyWithin(dst, src, src + w);
        } else {
          for (let x = 0; x < w; x++) {
            const a = (dst + x) & m;
            v[a] = rop(r, v[a]!, sb[(src + x) & sm]!);
          }
        }
      } else if (this.pw === 1) {
        for (let x = 0; x < w; x++) {
          const a = (dst + x) & m;
          const p = rop(r, v[a]!, sb[(src + x) & sm]!) & 0xff;
          if (p !== key) v[a] = p;
        }
      } else {
        for (let x = 0; x < w; x += 2) {
          const a = (dst + x) & m & ~1;
          const s = (src + x) & sm & ~1;
          const p = (rop(r, v[a]!, sb[s]!) & 0xff) | ((rop(r, v[a + 1]!, sb[s + 1]!) & 0xff) << 8);
          if (p !== key) {
            v[a] = p;
            v[a + 1] = p >>> 8;
          }
        }
      }
      dst = (dst + w + dstStep) & m;
      src = (src + w + srcStep) & sm;
    }
  }

  /** Both addresses name the last byte of the rectangle; the pitches are already negative. */
  private copyBackwards(dst: number, src: number, height: number): void {
    const w = this.width;
    const v = this.vram.u8;
    const m = this.vram.mask;
    const sb = this.srcBuf;
    const sm = this.srcMask;
    const r = this.rop;
    const transparent = this.op === Op.CopyTransparent;
    const key = this.regs.gr[0x34]! | (this.pw === 2 ? this.regs.gr[0x35]! << 8 : 0);
    for (let y = 0; y < height; y++) {
      this.vram.markRange(dst - w + 1, w);
      if (!transparent) {
        const d0 = dst - w + 1;
        const s0 = src - w + 1;
        if (r === ROP_SRC && sb === v && d0 >= 0 && s0 >= 0 && (dst >= src || dst <= s0 - 1)) {
          v.copyWithin(d0, s0, src + 1);
        } else {
          for (let x = 0; x < w; x++) {
            const a = (dst - x) & m;
            v[a] = rop(r, v[a]!, sb[(src - x) & sm]!);
          }
        }
      } else if (this.pw === 1) {
        for (let x = 0; x < w; x++) {
          const a = (dst - x) & m;
          const p = rop(r, v[a]!, sb[(src - x) & sm]!) & 0xff;
          if (p !== key) v[a] = p;
        }
      } else {
        for (let x = 0; x < w; x += 2) {
          const a = (dst - x - 1) & m & ~1;
          const s = (src - x - 1) & sm & ~1;
          const p = (rop(r, v[a]!, sb[s]!) & 0xff) | ((rop(r, v[a + 1]!, sb[s + 1]!) & 0xff) << 8);
          if (p !== key) {
            v[a] = p;
            v[a + 1] = p >>> 8;
          }
        }
      }
      dst = (dst + this.dstPitch) & m;
      src = (src + this.srcPitch) & sm;
    }
  }

  /**
   * Left-edge clipping of GR2F: source bits and destination bytes to skip on every line. At
   * 24 bpp a transparent expansion takes a byte count (5 bits), the others a pixel count.
   */
  private skips(transparent: boolean): [number, number] {
    const gr2f = this.regs.gr[0x2f]!;
    if (this.pw === 3 && transparent) {
      const dstSkip = gr2f & 0x1f;
      return [(dstSkip / 3) | 0, dstSkip];
    }
    const srcSkip = gr2f & 7;
    return [srcSkip, srcSkip * this.pw];
  }

  private expand(dst: number, src: number, height: number): void {
    const transparent = this.op === Op.ExpandTransparent;
    const [srcSkip, dstSkip] = this.skips(transparent);
    const sb = this.srcBuf;
    const sm = this.srcMask;
    const w = this.width;
    const pw = this.pw;
    const invert = transparent && (this.modeExt & BLTX_INVERT_EXPANSION) !== 0 ? 0xff : 0;
    const only = invert ? this.bg : this.fg;
    for (let y = 0; y < height; y++) {
      let bit = 0x80 >> srcSkip;
      let bits = sb[src++ & sm]! ^ invert;
      let d = dst + dstSkip;
      const fast = this.plainRow(d, w - dstSkip);
      if (fast === 2) {
        // Console text at 16 bpp: whole pixels straight into display memory.
        const u16 = this.vram.u16;
        let i = (d & this.vram.mask) >> 1;
        for (let x = dstSkip; x < w; x += 2) {
          if (bit === 0) {
            bit = 0x80;
            bits = sb[src++ & sm]! ^ invert;
          }
          if (!transparent) u16[i] = bits & bit ? this.fg : this.bg;
          else if (bits & bit) u16[i] = only;
          i++;
          bit >>= 1;
        }
      } else {
        for (let x = dstSkip; x < w; x += pw) {
          if (bit === 0) {
            bit = 0x80;
            bits = sb[src++ & sm]! ^ invert;
          }
          if (transparent) {
            if (bits & bit) this.put(d, only);
          } else {
            this.put(d, bits & bit ? this.fg : this.bg);
          }
          d += pw;
          bit >>= 1;
        }
      }
      this.vram.markRange(dst, w);
      dst += this.dstPitch;
    }
  }

  /**
   * 2 when a line of `bytes` from `addr` can be written as whole 16-bit pixels with no raster
   * operation and no wrap (the common console case), else 0.
   */
  private plainRow(addr: number, bytes: number): number {
    if (this.rop !== ROP_SRC || this.pw !== 2 || (addr & 1) !== 0) return 0;
    const a = addr & this.vram.mask;
    return a + bytes <= this.vram.mask + 1 ? 2 : 0;
  }

  private patternExpand(dst: number, src: number, height: number, patternY: number): void {
    const transparent = this.op === Op.PatternExpandTransparent;
    const [srcSkip, dstSkip] = this.skips(transparent);
    const sb = this.srcBuf;
    const sm = this.srcMask;
    const w = this.width;
    const pw = this.pw;
    const invert = transparent && (this.modeExt & BLTX_INVERT_EXPANSION) !== 0 ? 0xff : 0;
    const only = invert ? this.bg : this.fg;
    let py = patternY;
    for (let y = 0; y < height; y++) {
      const bits = sb[(src + py) & sm]! ^ invert;
      let pos = 7 - srcSkip;
      let d = dst + dstSkip;
      if (this.plainRow(d, w - dstSkip) === 2) {
        // cirrusfb's rectangle fill at 16 bpp.
        const u16 = this.vram.u16;
        let i = (d & this.vram.mask) >> 1;
        for (let x = dstSkip; x < w; x += 2) {
          const set = (bits >> pos) & 1;
          if (!transparent) u16[i] = set ? this.fg : this.bg;
          else if (set) u16[i] = only;
          i++;
          pos = (pos - 1) & 7;
        }
      } else {
        for (let x = dstSkip; x < w; x += pw) {
          const set = (bits >> pos) & 1;
          if (transparent) {
            if (set) this.put(d, only);
          } else {
            this.put(d, set ? this.fg : this.bg);
          }
          d += pw;
          pos = (pos - 1) & 7;
        }
      }
      this.vram.markRange(dst, w);
      py = (py + 1) & 7;
      dst += this.dstPitch;
    }
  }

  /** An 8x8 colour pattern (8 pixels of pw bytes per line; 32 bytes a line at 24 bpp). */
  private patternFill(dst: number, src: number, height: number, patternY: number): void {
    const sb = this.srcBuf;
    const sm = this.srcMask;
    const w = this.width;
    const pw = this.pw;
    const linePitch = pw === 1 ? 8 : pw === 2 ? 16 : 32;
    const gr2f = this.regs.gr[0x2f]!;
    const skip = pw === 3 ? gr2f & 0x1f : (gr2f & 7) * pw;
    let py = patternY;
    for (let y = 0; y < height; y++) {
      const row = src + py * linePitch;
      let px = pw === 3 ? ((skip / 3) | 0) & 7 : skip;
      let d = dst + skip;
      for (let x = skip; x < w; x += pw) {
        let c: number;
        if (pw === 3) {
          const p = row + px * 3;
          c = sb[p & sm]! | (sb[(p + 1) & sm]! << 8) | (sb[(p + 2) & sm]! << 16);
          px = (px + 1) & 7;
        } else {
          c = sb[(row + px) & sm]!;
          if (pw >= 2) c |= sb[(row + px + 1) & sm]! << 8;
          if (pw === 4) c |= (sb[(row + px + 2) & sm]! << 16) | (sb[(row + px + 3) & sm]! << 24);
          px = (px + pw) & (linePitch - 1);
        }
        this.put(d, c);
        d += pw;
      }
      this.vram.markRange(dst, w);
      py = (py + 1) & 7;
      dst += this.dstPitch;
    }
  }

  private solidFill(): void {
    const w = this.width;
    const pw = this.pw;
    let dst = this.dst;
    const c = this.fg;
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < w; x += pw) this.put(dst + x, c);
      this.vram.markRange(dst, w);
      dst += this.dstPitch;
    }
  }
}
