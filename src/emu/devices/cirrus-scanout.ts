/**
 * What the CL-GD5446 shows: the visible mode decoded from its registers and the picture rendered
 * from display memory into an RGBA buffer, redrawing only the lines that changed (the display
 * memory's dirty granules, see cirrus-vram.ts). A host calls refresh() whenever it wants a new
 * picture (say 60 times a second) and repaints the returned dirty rectangle.
 *
 * Mode rules (malta-hw.md 4.10, QEMU's cirrus_get_resolution/get_offsets/get_bpp):
 * - width (CR01 + 1) * 8; lines (CR12 | CR07 bit 1 << 8 | CR07 bit 6 << 9) + 1, doubled when
 *   CR1A bit 0 (interlace) is set;
 * - every memory line is scanned ((CR09 & 0x1F) + 1) times, twice again with double scan
 *   (CR09 bit 7): the picture has the distinct lines only, so Debian's 320x240 mode (480 scan
 *   lines, double scan) and the OpenDingux one (240 lines, no double scan) both give 320x240;
 * - pitch (CR13 | CR1B bit 4 << 4) * 8 bytes, start address 4 * (CR0D | CR0C << 8 | CR1B bit 0
 *   << 16 | CR1B bits 3:2 << 15 | CR1D bit 7 << 12) bytes, line compare (CR18, CR07 bit 4,
 *   CR09 bit 6) restarts the picture at address 0;
 * - depth from SR07 and the hidden DAC (8 bpp through the palette, 15 and 16 bpp, 24 and 32 bpp
 *   as B, G, R bytes); outside the extended modes (SR07 bit 0 clear: text and planar VGA, which
 *   Linux never sets up here) or while the attribute controller has the display off (AR index
 *   bit 5 clear) or the sequencer blanks it (SR01 bit 5), the screen is black.
 * Colour components are widened by repeating their top bits, so 5:6:5 white is 255, 255, 255.
 */
import type { CirrusVga } from './cirrus-vga';

export type PixelFormat = 'pal8' | 'rgb555' | 'rgb565' | 'rgb888' | 'xrgb8888';

export interface DisplayMode {
  /** Visible pixels per line and distinct lines. */
  width: number;
  height: number;
  bpp: number;
  format: PixelFormat;
  /** Bytes from one line to the next in display memory. */
  pitch: number;
  /** Byte address of the top-left pixel in display memory. */
  start: number;
  /** How many scan lines show each memory line (2 for a double-scanned mode). */
  scanRepeat: number;
  /** First picture line that starts over at address 0 (line compare), or height if none. */
  splitLine: number;
}

export interface DirtyRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The picture a host gets: reused from one refresh to the next (copy what you keep). */
export interface DisplayFrame {
  readonly width: number;
  readonly height: number;
  /** width * height * 4 bytes, R, G, B, A (always 255), top line first. */
  readonly rgba: Uint8ClampedArray;
  /** What the last refresh() changed, or null when the picture is unchanged. */
  readonly dirty: DirtyRect | null;
  /** The mode shown, or null when the screen is blank. */
  readonly mode: DisplayMode | null;
}

const BYTES: Record<PixelFormat, number> = { pal8: 1, rgb555: 2, rgb565: 2, rgb888: 3, xrgb8888: 4 };

/** Decode the displayed mode, or null when the screen shows nothing (see the file comment). */
export function decodeMode(vga: CirrusVga): DisplayMode | null {
  const { cr, sr } = vga;
  if ((vga.arIndex & 0x20) === 0 || (sr[0x01]! & 0x20) !== 0) return null;
  const bpp = vga.displayBpp();
  if (bpp === 0) return null;
  const format: PixelFormat = bpp === 8 ? 'pal8' : bpp === 15 ? 'rgb555' : bpp === 16 ? 'rgb565' : bpp === 24 ? 'rgb888' : 'xrgb8888';
  const width = (cr[0x01]! + 1) * 8;
  let lines = (cr[0x12]! | ((cr[0x07]! & 0x02) << 7) | ((cr[0x07]! & 0x40) << 3)) + 1;
  if (cr[0x1a]! & 0x01) lines *= 2;
  const scanRepeat = ((cr[0x09]! & 0x1f) + 1) << (cr[0x09]! >> 7);
  const height = Math.max(1, Math.floor(lines / scanRepeat));
  const pitch = (cr[0x13]! | ((cr[0x1b]! & 0x10) << 4)) << 3;
  const start =
    4 *
    (cr[0x0d]! | (cr[0x0c]! << 8) | ((cr[0x1b]! & 0x01) << 16) | ((cr[0x1b]! & 0x0c) << 15) | ((cr[0x1d]! & 0x80) << 12));
  const lineCompare = cr[0x18]! | ((cr[0x07]! & 0x10) << 4) | ((cr[0x09]! & 0x40) << 3);
  const splitLine = lineCompare < lines - 1 ? Math.min(height, Math.floor(lineCompare / scanRepeat) + 1) : height;
  return { width, height, bpp, format, pitch, start, scanRepeat, splitLine };
}

function sameMode(a: DisplayMode, b: DisplayMode): boolean {
  return (
    a.width === b.width &&
    a.height === b.height &&
    a.format === b.format &&
    a.pitch === b.pitch &&
    a.start === b.start &&
    a.scanRepeat === b.scanRepeat &&
    a.splitLine === b.splitLine
  );
}

/** An opaque RGBA pixel as a little-endian 32-bit word. */
function pixel(r: number, g: number, b: number): number {
  return (0xff000000 | (b << 16) | (g << 8) | r) >>> 0;
}

let lut565: Uint32Array | null = null;
let lut555: Uint32Array | null = null;

/** RGBA for every 16-bit pixel value (built once, 256 KiB each). */
function table16(format: 'rgb565' | 'rgb555'): Uint32Array {
  if (format === 'rgb565') {
    if (!lut565) {
      lut565 = new Uint32Array(65536);
      for (let v = 0; v < 65536; v++) {
        const r = v >> 11;
        const g = (v >> 5) & 63;
        const b = v & 31;
        lut565[v] = pixel((r << 3) | (r >> 2), (g << 2) | (g >> 4), (b << 3) | (b >> 2));
      }
    }
    return lut565;
  }
  if (!lut555) {
    lut555 = new Uint32Array(65536);
    for (let v = 0; v < 65536; v++) {
      const r = (v >> 10) & 31;
      const g = (v >> 5) & 31;
      const b = v & 31;
      lut555[v] = pixel((r << 3) | (r >> 2), (g << 3) | (g >> 2), (b << 3) | (b >> 2));
    }
  }
  return lut555;
}

class Frame implements DisplayFrame {
  width = 640;
  height = 480;
  rgba = new Uint8ClampedArray(640 * 480 * 4);
  dirty: DirtyRect | null = null;
  mode: DisplayMode | null = null;
}

export class CirrusScanout {
  private readonly frame = new Frame();
  private out32: Uint32Array;
  private readonly rect: DirtyRect = { x: 0, y: 0, width: 0, height: 0 };
  private readonly palette32 = new Uint32Array(256);
  private paletteVersion = -1;
  /** What the buffer shows now: a mode, blank (null), or nothing drawn yet (undefined). */
  private shown: DisplayMode | null | undefined = undefined;

  constructor(private readonly vga: CirrusVga) {
    this.out32 = new Uint32Array(this.frame.rgba.buffer);
  }

  /** The picture as it was last refreshed. */
  get current(): DisplayFrame {
    return this.frame;
  }

  /** Bring the picture up to date with display memory and the registers. */
  refresh(): DisplayFrame {
    const f = this.frame;
    const vram = this.vga.vram;
    const mode = decodeMode(this.vga);
    f.dirty = null;
    if (!mode) {
      if (this.shown !== null) {
        this.out32.fill(pixel(0, 0, 0));
        this.markAll();
      }
      this.shown = null;
      f.mode = null;
      vram.clearDirty();
      return f;
    }

    let full = this.shown === null || this.shown === undefined || !sameMode(this.shown, mode);
    if (mode.format === 'pal8' && this.paletteVersion !== this.vga.paletteVersion) {
      this.buildPalette();
      full = true;
    }
    if (f.width !== mode.width || f.height !== mode.height) {
      f.width = mode.width;
      f.height = mode.height;
      f.rgba = new Uint8ClampedArray(mode.width * mode.height * 4);
      this.out32 = new Uint32Array(f.rgba.buffer);
    }
    this.shown = mode;
    f.mode = mode;
    if (!full && !vram.anyDirty) return f;

    const rowBytes = mode.width * BYTES[mode.format];
    let top = -1;
    let bottom = -1;
    for (let y = 0; y < mode.height; y++) {
      const addr = y < mode.splitLine ? mode.start + y * mode.pitch : (y - mode.splitLine) * mode.pitch;
      if (!full && !vram.isDirty(addr, rowBytes)) continue;
      this.drawLine(mode, y, addr & vram.mask);
      if (top < 0) top = y;
      bottom = y;
    }
    vram.clearDirty();
    if (top >= 0) {
      const r = this.rect;
      r.x = 0;
      r.y = top;
      r.width = mode.width;
      r.height = bottom - top + 1;
      f.dirty = r;
    }
    return f;
  }

  private markAll(): void {
    const r = this.rect;
    r.x = 0;
    r.y = 0;
    r.width = this.frame.width;
    r.height = this.frame.height;
    this.frame.dirty = r;
  }

  /** Palette entries are 6-bit values. */
  private buildPalette(): void {
    const p = this.vga.palette;
    for (let i = 0; i < 256; i++) {
      const e = i * 3;
      const r = p[e]! & 0x3f;
      const g = p[e + 1]! & 0x3f;
      const b = p[e + 2]! & 0x3f;
      this.palette32[i] = pixel((r << 2) | (r >> 4), (g << 2) | (g >> 4), (b << 2) | (b >> 4));
    }
    this.paletteVersion = this.vga.paletteVersion;
  }

  private drawLine(mode: DisplayMode, y: number, addr: number): void {
    const vram = this.vga.vram;
    const v = vram.u8;
    const m = vram.mask;
    const out = this.out32;
    const w = mode.width;
    let o = y * w;
    const wraps = addr + w * BYTES[mode.format] > m + 1;
    switch (mode.format) {
      case 'pal8': {
        const pal = this.palette32;
        for (let x = 0; x < w; x++) out[o++] = pal[v[(addr + x) & m]!]!;
        return;
      }
      case 'rgb565':
      case 'rgb555': {
        const lut = table16(mode.format);
        if (!wraps && (addr & 1) === 0) {
          const u16 = vram.u16;
          let a = addr >> 1;
          for (let x = 0; x < w; x++) out[o++] = lut[u16[a++]!]!;
        } else {
          for (let x = 0; x < w; x++) {
            const a = addr + 2 * x;
            out[o++] = lut[v[a & m]! | (v[(a + 1) & m]! << 8)]!;
          }
        }
        return;
      }
      default: {
        const step = mode.format === 'rgb888' ? 3 : 4;
        for (let x = 0; x < w; x++) {
          const a = addr + step * x;
          out[o++] = pixel(v[(a + 2) & m]!, v[(a + 1) & m]!, v[a & m]!);
        }
      }
    }
  }
}
