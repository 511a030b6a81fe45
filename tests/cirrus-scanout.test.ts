import { describe, expect, it } from 'vitest';
import { decodeMode } from '../src/emu/devices/cirrus-scanout';
import { CRTC_320x240_DOUBLE, CRTC_320x240_SINGLE, CRTC_640x480, CirrusRig } from './helpers/cirrus-rig';
import { rgbAt, savePng } from './helpers/cirrus-screen';

// The visible mode derived from the registers cirrusfb programs, and the picture rendered from
// display memory, with the dirty region a host repaints.

/** 5:6:5 -> 8-bit components, widening by repeating the top bits. */
function from565(v: number): [number, number, number] {
  const r = v >> 11;
  const g = (v >> 5) & 63;
  const b = v & 31;
  return [(r << 3) | (r >> 2), (g << 2) | (g >> 4), (b << 3) | (b >> 2)];
}

describe('Cirrus scan-out: mode from the registers', () => {
  it("decodes Debian cirrusfb's 320x240-16 (480 double-scanned lines) as 320x240 RGB565", () => {
    const r = new CirrusRig();
    r.setMode({ crtc: CRTC_320x240_DOUBLE, sr07: 0xa7, hdr: 0xc1, pitch: 640 });
    expect(decodeMode(r.vga)).toEqual({
      width: 320, height: 240, bpp: 16, format: 'rgb565', pitch: 640, start: 0, scanRepeat: 2, splitLine: 240,
    });
  });

  it("decodes the OpenDingux kernel's 320x240-16 (240 lines, no double scan) the same way", () => {
    const r = new CirrusRig();
    r.setMode({ crtc: CRTC_320x240_SINGLE, sr07: 0xa7, hdr: 0xc1, pitch: 640 });
    expect(decodeMode(r.vga)).toMatchObject({ width: 320, height: 240, format: 'rgb565', pitch: 640, scanRepeat: 1 });
  });

  it('decodes 640x480 at 8, 24 and 32 bpp and a pitch above 2040 bytes (CR1B bit 4)', () => {
    const r = new CirrusRig();
    r.setMode({ crtc: CRTC_640x480, sr07: 0xa1, hdr: 0, pitch: 640 });
    expect(decodeMode(r.vga)).toMatchObject({ width: 640, height: 480, bpp: 8, format: 'pal8', pitch: 640 });
    r.setMode({ crtc: CRTC_640x480, sr07: 0xa5, hdr: 0xc5, pitch: 1920 });
    expect(decodeMode(r.vga)).toMatchObject({ bpp: 24, format: 'rgb888', pitch: 1920 });
    r.setMode({ crtc: CRTC_640x480, sr07: 0xa9, hdr: 0xc5, pitch: 2560 });
    expect(decodeMode(r.vga)).toMatchObject({ bpp: 32, format: 'xrgb8888', pitch: 2560 });
  });

  it('takes the start address from CR0C/CR0D/CR1B/CR1D (panning), in units of 4 bytes', () => {
    const r = new CirrusRig();
    r.setMode({ crtc: CRTC_320x240_SINGLE, sr07: 0xa7, hdr: 0xc1, pitch: 640 });
    // cirrusfb_pan_display to yoffset 240: base = 240 * 640 / 4 = 0x9600.
    r.setCr(0x0c, 0x96);
    r.setCr(0x0d, 0x00);
    expect(decodeMode(r.vga)!.start).toBe(240 * 640);
    r.setCr(0x1b, r.getCr(0x1b) | 0x01 | 0x04 | 0x08); // address bits 16, 17, 18
    r.setCr(0x1d, 0x80); // bit 19
    expect(decodeMode(r.vga)!.start).toBe(4 * (0x9600 | 0x10000 | 0x20000 | 0x40000 | 0x80000));
  });

  it('shows nothing until the attribute controller enables the display, or when SR01 blanks it', () => {
    const r = new CirrusRig();
    expect(decodeMode(r.vga)).toBeNull(); // reset state: standard VGA, display off
    r.setMode({ crtc: CRTC_320x240_SINGLE, sr07: 0xa7, hdr: 0xc1, pitch: 640 });
    expect(decodeMode(r.vga)).not.toBeNull();
    r.setAr(0x10, 0x01); // a plain index write clears the palette-address-source bit
    expect(decodeMode(r.vga)).toBeNull();
    r.inb(0x3da);
    r.outb(0x3c0, 0x20);
    expect(decodeMode(r.vga)).not.toBeNull();
    r.setSr(0x01, 0x21);
    expect(decodeMode(r.vga)).toBeNull();
  });
});

describe('Cirrus scan-out: pixels', () => {
  it('renders RGB565 exactly, double-scanned or not', () => {
    for (const crtc of [CRTC_320x240_DOUBLE, CRTC_320x240_SINGLE]) {
      const r = new CirrusRig();
      r.setMode({ crtc, sr07: 0xa7, hdr: 0xc1, pitch: 640 });
      const values = [0xffff, 0xf800, 0x07e0, 0x001f, 0x0000, 0x8410, 0x1234, 0xabcd];
      for (let y = 0; y < 240; y++) {
        for (let x = 0; x < 320; x++) r.vga.vram.u16[y * 320 + x] = values[((x >> 3) + y) % values.length]!;
      }
      const f = r.scanout.refresh();
      expect([f.width, f.height]).toEqual([320, 240]);
      for (const [x, y] of [[0, 0], [8, 0], [319, 239], [100, 17], [37, 120]] as const) {
        expect(rgbAt(f, x, y)).toEqual(from565(values[((x >> 3) + y) % values.length]!));
      }
      expect(rgbAt(f, 0, 0)).toEqual([255, 255, 255]);
      expect(f.rgba[3]).toBe(255);
    }
  });

  it('renders 8 bpp through the 6-bit palette', () => {
    const r = new CirrusRig();
    r.setMode({ crtc: CRTC_640x480, sr07: 0xa1, hdr: 0, pitch: 640 });
    r.setPalette(1, 63, 0, 0);
    r.setPalette(2, 0, 32, 63);
    r.vga.vram.u8[0] = 1;
    r.vga.vram.u8[640 * 479 + 639] = 2;
    let f = r.scanout.refresh();
    expect(rgbAt(f, 0, 0)).toEqual([255, 0, 0]);
    expect(rgbAt(f, 639, 479)).toEqual([0, 130, 255]);
    expect(rgbAt(f, 1, 0)).toEqual([0, 0, 0]);
    // A palette change alone redraws everything.
    r.setPalette(0, 10, 20, 30);
    f = r.scanout.refresh();
    expect(f.dirty).toEqual({ x: 0, y: 0, width: 640, height: 480 });
    expect(rgbAt(f, 1, 0)).toEqual([40, 81, 121]);
  });

  it('renders 24 and 32 bpp from blue, green, red bytes', () => {
    const r = new CirrusRig();
    r.setMode({ crtc: CRTC_640x480, sr07: 0xa5, hdr: 0xc5, pitch: 1920 });
    r.vga.vram.u8.set([0x10, 0x20, 0x30, 0x40, 0x50, 0x60], 1920 * 2 + 3 * 5);
    let f = r.scanout.refresh();
    expect(rgbAt(f, 5, 2)).toEqual([0x30, 0x20, 0x10]);
    expect(rgbAt(f, 6, 2)).toEqual([0x60, 0x50, 0x40]);
    r.setMode({ crtc: CRTC_640x480, sr07: 0xa9, hdr: 0xc5, pitch: 2560 });
    r.vga.vram.u8.set([0x01, 0x02, 0x03, 0xff], 2560 * 2 + 4 * 6);
    f = r.scanout.refresh();
    expect(rgbAt(f, 6, 2)).toEqual([0x03, 0x02, 0x01]);
  });

  it('follows the start address when the guest pans', () => {
    const r = new CirrusRig();
    r.setMode({ crtc: CRTC_320x240_SINGLE, sr07: 0xa7, hdr: 0xc1, pitch: 640 });
    r.vga.vram.u16[240 * 320 + 5] = 0xf800; // line 0, pixel 5 of the second page
    expect(rgbAt(r.scanout.refresh(), 5, 0)).toEqual([0, 0, 0]);
    r.setCr(0x0c, 0x96);
    const f = r.scanout.refresh();
    expect(f.dirty).toEqual({ x: 0, y: 0, width: 320, height: 240 });
    expect(rgbAt(f, 5, 0)).toEqual([255, 0, 0]);
  });
});

describe('Cirrus scan-out: dirty region', () => {
  it('reports only the lines whose display memory changed, and nothing when idle', () => {
    const r = new CirrusRig();
    r.setMode({ crtc: CRTC_320x240_DOUBLE, sr07: 0xa7, hdr: 0xc1, pitch: 640 });
    let f = r.scanout.refresh();
    expect(f.dirty).toEqual({ x: 0, y: 0, width: 320, height: 240 }); // first picture: all of it
    expect(r.scanout.refresh().dirty).toBeNull();

    r.lfbWrite(100 * 640 + 2 * 10, 2, 0x07e0); // through the framebuffer BAR, line 100
    f = r.scanout.refresh();
    expect(f.dirty).toEqual({ x: 0, y: 100, width: 320, height: 1 });
    expect(rgbAt(f, 10, 100)).toEqual([0, 255, 0]);
    expect(r.scanout.refresh().dirty).toBeNull();

    // A BLT fill of lines 50..59 marks exactly those.
    r.blt({ width: 640, height: 10, dst: 50 * 640, dstPitch: 640, mode: 0xd0, fg: 0x001f, bg: 0x001f });
    f = r.scanout.refresh();
    expect(f.dirty).toEqual({ x: 0, y: 50, width: 320, height: 10 });
    expect(rgbAt(f, 319, 59)).toEqual([0, 0, 255]);
    savePng(f, 'unit-320x240.png');

    // Memory outside the visible page changes nothing on screen.
    r.lfbWrite(300 * 640, 4, 0xffffffff);
    expect(r.scanout.refresh().dirty).toBeNull();
  });

  it('goes black when the display is switched off and redraws all when it comes back', () => {
    const r = new CirrusRig();
    r.setMode({ crtc: CRTC_320x240_SINGLE, sr07: 0xa7, hdr: 0xc1, pitch: 640 });
    r.vga.vram.u16.fill(0xffff, 0, 320 * 240);
    expect(rgbAt(r.scanout.refresh(), 7, 7)).toEqual([255, 255, 255]);
    r.setSr(0x01, 0x21);
    let f = r.scanout.refresh();
    expect(f.mode).toBeNull();
    expect(f.dirty).toEqual({ x: 0, y: 0, width: 320, height: 240 });
    expect(rgbAt(f, 7, 7)).toEqual([0, 0, 0]);
    expect(r.scanout.refresh().dirty).toBeNull();
    r.setSr(0x01, 0x01);
    f = r.scanout.refresh();
    expect(f.dirty).toEqual({ x: 0, y: 0, width: 320, height: 240 });
    expect(rgbAt(f, 7, 7)).toEqual([255, 255, 255]);
  });
});
