import { describe, expect, it } from 'vitest';
import { rop } from '../src/emu/devices/cirrus-blt';
import { VRAM_SIZE } from '../src/emu/devices/cirrus-vram';
import { CirrusRig } from './helpers/cirrus-rig';

// The BitBLT operations cirrusfb issues (cirrusfb_RectFill, cirrusfb_BitBLT, cirrusfb_imageblit
// in Linux 6.1) and the rest of what QEMU's engine does, checked pixel by pixel against a model
// written here from the datasheet's description.

const PITCH = 640;

/** Fill display memory with a byte pattern that differs everywhere (so moves show). */
function scribble(r: CirrusRig, bytes = 64 * 1024): Uint8Array {
  const v = r.vga.vram.u8;
  for (let i = 0; i < bytes; i++) v[i] = (i * 7 + (i >> 8) * 13) & 0xff;
  return v.slice();
}

/** Bytes of pixel colour `c` at pixel width `pw`, little-endian. */
function colourBytes(c: number, pw: number): number[] {
  return Array.from({ length: pw }, (_, i) => (c >>> (8 * i)) & 0xff);
}

/** Compare display memory with `expected` over [0, len) and report the first difference. */
function expectVram(r: CirrusRig, expected: Uint8Array, len = expected.length): void {
  const v = r.vga.vram.u8;
  for (let i = 0; i < len; i++) {
    if (v[i] !== expected[i]) {
      expect({ offset: i, got: v[i] }).toEqual({ offset: i, got: expected[i] });
    }
  }
}

describe('Cirrus BitBLT: rectangle fill as cirrusfb does it (colour-expanded pattern, fg = bg)', () => {
  for (const [bpp, pw, mode] of [
    [8, 1, 0xc0],
    [16, 2, 0xd0],
    [24, 3, 0xe0],
    [32, 4, 0xf0],
  ] as const) {
    it(`fills exactly the rectangle at ${bpp} bpp and goes idle`, () => {
      const r = new CirrusRig();
      const before = scribble(r);
      const colour = [0x5a, 0xf81f, 0x123456, 0x89abcdef][pw - 1]!;
      const x = 3 * pw;
      const y = 5;
      const w = 17 * pw;
      const h = 9;
      r.blt({ width: w, height: h, dst: y * PITCH + x, src: 0, dstPitch: PITCH, mode, fg: colour, bg: colour });
      expect(r.bltBusy).toBe(false);
      const want = before.slice();
      for (let row = 0; row < h; row++) {
        for (let px = 0; px < w; px += pw) want.set(colourBytes(colour, pw), (y + row) * PITCH + x + px);
      }
      expectVram(r, want);
    });
  }

  it('expands the 8x8 pattern from display memory with distinct colours (bit 1 = fg)', () => {
    const r = new CirrusRig();
    const pattern = [0x81, 0x42, 0x24, 0x18, 0xff, 0x00, 0xaa, 0x55];
    r.vga.vram.u8.set(pattern, 0x8000); // aligned to 128: the pattern's place at 16 bpp
    const dst = 20 * PITCH;
    r.blt({ width: 2 * 12, height: 10, dst, src: 0x8000, dstPitch: PITCH, mode: 0xd0, fg: 0xffff, bg: 0x0841 });
    for (let row = 0; row < 10; row++) {
      for (let px = 0; px < 12; px++) {
        const set = (pattern[row & 7]! >> (7 - (px & 7))) & 1;
        expect(r.vga.vram.u16[(dst + row * PITCH) / 2 + px]).toBe(set ? 0xffff : 0x0841);
      }
    }
  });

  it('does a solid fill with GR33 bit 2, using the foreground colour', () => {
    const r = new CirrusRig();
    r.blt({ width: 8, height: 3, dst: 0, dstPitch: 16, mode: 0xd0, fg: 0x1234, bg: 0xeeee, modeExt: 0x04 });
    expect(Array.from(r.vga.vram.u16.subarray(0, 4))).toEqual([0x1234, 0x1234, 0x1234, 0x1234]);
    expect(Array.from(r.vga.vram.u16.subarray(16, 20))).toEqual([0x1234, 0x1234, 0x1234, 0x1234]);
    expect(r.vga.vram.u16[4]).toBe(0);
  });
});

describe('Cirrus BitBLT: copies (cirrusfb_BitBLT, used for scrolling)', () => {
  /** What a byte-by-byte copy in the given direction leaves behind. */
  function modelCopy(mem: Uint8Array, dst: number, src: number, w: number, h: number, backwards: boolean): void {
    for (let row = 0; row < h; row++) {
      for (let i = 0; i < w; i++) {
        const k = backwards ? w - 1 - i : i;
        const rr = backwards ? h - 1 - row : row;
        mem[dst + rr * PITCH + k] = mem[src + rr * PITCH + k]!;
      }
    }
  }

  it('copies forwards, overlapping upwards like a scroll', () => {
    const r = new CirrusRig();
    const want = scribble(r);
    // Scroll 200 lines of 640 bytes up by 10 lines.
    r.blt({ width: 640, height: 200, dst: 0, src: 10 * PITCH, dstPitch: PITCH, mode: 0x00 });
    modelCopy(want, 0, 10 * PITCH, 640, 200, false);
    expectVram(r, want, 64 * 1024);
    expect(r.bltBusy).toBe(false);
  });

  it('copies backwards from the last byte, overlapping downwards', () => {
    const r = new CirrusRig();
    const want = scribble(r);
    // cirrusfb: source below destination -> mode 1, both addresses at the rectangle's end.
    const w = 100;
    const h = 30;
    const src = 2 * PITCH + 6;
    const dst = 5 * PITCH + 10;
    r.blt({
      width: w,
      height: h,
      dst: dst + (h - 1) * PITCH + w - 1,
      src: src + (h - 1) * PITCH + w - 1,
      dstPitch: PITCH,
      mode: 0x01,
    });
    modelCopy(want, dst, src, w, h, true);
    expectVram(r, want, 64 * 1024);
  });

  it('copies within a line rightwards (backwards) without smearing', () => {
    const r = new CirrusRig();
    const want = scribble(r);
    r.blt({ width: 50, height: 1, dst: 3 * PITCH + 60, src: 3 * PITCH + 59, dstPitch: PITCH, mode: 0x01 });
    modelCopy(want, 3 * PITCH + 11, 3 * PITCH + 10, 50, 1, true);
    expectVram(r, want, 64 * 1024);
  });

  it('applies each raster operation to source and destination', () => {
    const codes = [0x00, 0x05, 0x06, 0x09, 0x0b, 0x0d, 0x0e, 0x50, 0x59, 0x6d, 0x90, 0x95, 0xad, 0xd0, 0xd6, 0xda];
    // The datasheet's names for the 16 codes, as bitwise functions of destination and source.
    const fn: Record<number, (d: number, s: number) => number> = {
      0x00: () => 0, 0x05: (d, s) => s & d, 0x06: (d) => d, 0x09: (d, s) => s & ~d, 0x0b: (d) => ~d,
      0x0d: (_d, s) => s, 0x0e: () => 0xff, 0x50: (d, s) => ~s & d, 0x59: (d, s) => s ^ d,
      0x6d: (d, s) => s | d, 0x90: (d, s) => ~s | ~d, 0x95: (d, s) => ~(s ^ d), 0xad: (d, s) => s | ~d,
      0xd0: (_d, s) => ~s, 0xd6: (d, s) => ~s | d, 0xda: (d, s) => ~s & ~d,
    };
    for (const code of codes) {
      const r = new CirrusRig();
      const v = r.vga.vram.u8;
      for (let i = 0; i < 256; i++) {
        v[i] = i; // source: every byte value
        v[1024 + i] = (i * 37) & 0xff; // destination
      }
      r.blt({ width: 256, height: 1, dst: 1024, src: 0, dstPitch: PITCH, mode: 0x00, rop: code });
      for (let i = 0; i < 256; i++) expect(v[1024 + i], `rop ${code.toString(16)} byte ${i}`).toBe(fn[code]!((i * 37) & 0xff, i) & 0xff);
      expect(rop(code, 0x3c, 0xa5) & 0xff).toBe(fn[code]!(0x3c, 0xa5) & 0xff);
    }
  });

  it('leaves pixels equal to the transparent colour alone (16 bpp)', () => {
    const r = new CirrusRig();
    const u16 = r.vga.vram.u16;
    const src = [0x1111, 0xbeef, 0x2222, 0xbeef];
    u16.set(src, 0);
    u16.set([9, 9, 9, 9], 512);
    r.blt({ width: 8, height: 1, dst: 1024, src: 0, dstPitch: PITCH, mode: 0x18, key: 0xbeef });
    expect(Array.from(u16.subarray(512, 516))).toEqual([0x1111, 9, 0x2222, 9]);
  });

  it('drops an operation that would run past the end of display memory', () => {
    const r = new CirrusRig();
    const want = scribble(r);
    r.blt({ width: 640, height: 100, dst: VRAM_SIZE - 10 * PITCH, src: 0, dstPitch: PITCH, mode: 0x00 });
    expect(r.bltBusy).toBe(false);
    expectVram(r, want, 64 * 1024);
    expect(r.vga.vram.u8[VRAM_SIZE - 10 * PITCH]).toBe(0);
  });
});

describe('Cirrus BitBLT: colour expansion fed by the CPU (cirrusfb_imageblit)', () => {
  /** Bit (x, y) of a 1-bpp image whose lines are padded to bytes, MSB first. */
  const bit = (img: number[], lineBytes: number, x: number, y: number) => (img[y * lineBytes + (x >> 3)]! >> (7 - (x & 7))) & 1;

  it('draws each line as its bytes arrive through the framebuffer (16 bpp, 0x94)', () => {
    const r = new CirrusRig();
    const before = scribble(r);
    const wpx = 12; // two source bytes a line
    const h = 10;
    const img = Array.from({ length: 2 * h }, (_, i) => (i * 73 + 11) & 0xff);
    const dst = 7 * PITCH + 2 * 30;
    r.blt({ width: 2 * wpx, height: h, dst, dstPitch: PITCH, mode: 0x94, fg: 0xf800, bg: 0x001f });
    expect(r.bltBusy).toBe(true);
    expect(r.vga.linear.direct).toBe(false);
    // cirrusfb memcpy()s the bitmap to the start of the framebuffer: 32-bit stores, low byte
    // first, and a partial word at the end.
    for (let i = 0; i + 4 <= img.length; i += 4) {
      r.lfbWrite(i, 4, (img[i]! | (img[i + 1]! << 8) | (img[i + 2]! << 16) | (img[i + 3]! << 24)) >>> 0);
      if (i === 0) {
        // Two lines are complete, the engine is still waiting for the rest.
        expect(r.bltBusy).toBe(true);
        expect(r.vga.vram.u16[dst / 2]).toBe(bit(img, 2, 0, 0) ? 0xf800 : 0x001f);
      }
    }
    expect(r.bltBusy).toBe(false);
    expect(r.vga.linear.direct).toBe(true);
    const want = before.slice();
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < wpx; x++) want.set(colourBytes(bit(img, 2, x, y) ? 0xf800 : 0x001f, 2), dst + y * PITCH + 2 * x);
    }
    // The bitmap went to the engine, not to display memory at offset 0.
    expectVram(r, want, 64 * 1024);
    // With the engine idle, the framebuffer is memory again.
    r.lfbWrite(0, 2, 0xabcd);
    expect(r.vga.vram.u16[0]).toBe(0xabcd);
  });

  it('expands at 8 bpp with a width that is not a multiple of 8 (0x84)', () => {
    const r = new CirrusRig();
    const wpx = 6;
    const img = [0b10110100, 0b01001000, 0b11111100];
    r.blt({ width: wpx, height: 3, dst: 100, dstPitch: PITCH, mode: 0x84, fg: 0xee, bg: 0x11 });
    for (const b of img) r.lfbWrite(0, 1, b);
    expect(r.bltBusy).toBe(false);
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < wpx; x++) expect(r.vga.vram.u8[100 + y * PITCH + x]).toBe(bit(img, 1, x, y) ? 0xee : 0x11);
      expect(r.vga.vram.u8[100 + y * PITCH + wpx]).toBe(0); // nothing beyond the width
    }
  });

  it('writes only foreground pixels when transparent, at 24 bpp (cirrusfb: fill, then 0xAC)', () => {
    const r = new CirrusRig();
    const w = 9; // pixels
    const dst = 3 * PITCH;
    r.blt({ width: 3 * w, height: 2, dst, src: 0, dstPitch: PITCH, mode: 0xe0, fg: 0x0000ff, bg: 0x0000ff });
    r.blt({ width: 3 * w, height: 2, dst, dstPitch: PITCH, mode: 0xac, fg: 0xabcdef, bg: 0x111111 });
    const img = [0b10010011, 0b10000000, 0b01100000, 0b00000000];
    for (const b of img) r.apertureWrite(0, 1, b); // the BLT aperture at BAR0 + 16 MiB
    expect(r.bltBusy).toBe(false);
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < w; x++) {
        const p = dst + y * PITCH + 3 * x;
        const got = r.vga.vram.u8[p]! | (r.vga.vram.u8[p + 1]! << 8) | (r.vga.vram.u8[p + 2]! << 16);
        expect(got).toBe(bit(img, 2, x, y) ? 0xabcdef : 0x0000ff);
      }
    }
  });

  it('inverts the expansion with GR33 bit 1 when transparent (background where bits are 0)', () => {
    const r = new CirrusRig();
    r.blt({ width: 8, height: 1, dst: 0, dstPitch: PITCH, mode: 0x8c, fg: 0xaa, bg: 0x55, modeExt: 0x02 });
    r.lfbWrite(0, 1, 0b11110000);
    expect(Array.from(r.vga.vram.u8.subarray(0, 8))).toEqual([0, 0, 0, 0, 0x55, 0x55, 0x55, 0x55]);
  });

  it('stops waiting for data when reset through GR31 bit 2', () => {
    const r = new CirrusRig();
    r.blt({ width: 16, height: 4, dst: 1000, dstPitch: PITCH, mode: 0x84, fg: 1, bg: 2 });
    r.lfbWrite(0, 2, 0xffff);
    expect(r.bltBusy).toBe(true);
    r.setGr(0x31, 0x04);
    r.setGr(0x31, 0x00);
    expect(r.bltBusy).toBe(false);
    r.lfbWrite(0, 1, 0x77);
    expect(r.vga.vram.u8[0]).toBe(0x77);
  });

  it('can be started through the memory-mapped registers, with autostart on the destination', () => {
    const r = new CirrusRig();
    const mmio = r.vga.mmio;
    r.vga.vram.u8.fill(0x3c, 0, 16);
    mmio.write(0x100 + 0x08, 2, 15); // width - 1
    mmio.write(0x100 + 0x0a, 2, 0); // height - 1
    mmio.write(0x100 + 0x0c, 2, PITCH);
    mmio.write(0x100 + 0x0e, 2, PITCH);
    mmio.write(0x100 + 0x14, 4, 0); // source
    mmio.write(0x100 + 0x18, 1, 0x00); // mode: copy
    mmio.write(0x100 + 0x1a, 1, 0x0d);
    mmio.write(0x100 + 0x40, 1, 0x80); // autostart
    mmio.write(0x100 + 0x10, 4, 4096); // destination: its high byte starts the operation
    expect(Array.from(r.vga.vram.u8.subarray(4096, 4096 + 16))).toEqual(new Array(16).fill(0x3c));
  });
});
