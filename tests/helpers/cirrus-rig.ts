import { Clock } from '../../src/emu/clock';
import { CirrusScanout } from '../../src/emu/devices/cirrus-scanout';
import { BLT_APERTURE, CirrusVga, VGA_PORT_BASE } from '../../src/emu/devices/cirrus-vga';

export interface BltSetup {
  /** Width in bytes and height in lines. */
  width: number;
  height: number;
  dst: number;
  src?: number;
  dstPitch: number;
  srcPitch?: number;
  /** GR30 (pixel width bits included). */
  mode: number;
  rop?: number;
  fg?: number;
  bg?: number;
  modeExt?: number;
  /** GR2F. */
  skip?: number;
  /** GR34/GR35 transparent colour. */
  key?: number;
}

/** A CL-GD5446 on its own, driven through its ports and apertures as a driver would. */
export class CirrusRig {
  readonly clock = new Clock();
  readonly vga = new CirrusVga({ clock: this.clock });
  readonly scanout = new CirrusScanout(this.vga);

  outb(port: number, value: number): void {
    this.vga.ports.write(port - VGA_PORT_BASE, 1, value);
  }

  inb(port: number): number {
    return this.vga.ports.read(port - VGA_PORT_BASE, 1);
  }

  setSr(i: number, v: number): void {
    this.outb(0x3c4, i);
    this.outb(0x3c5, v);
  }

  getSr(i: number): number {
    this.outb(0x3c4, i);
    return this.inb(0x3c5);
  }

  setGr(i: number, v: number): void {
    this.outb(0x3ce, i);
    this.outb(0x3cf, v);
  }

  getGr(i: number): number {
    this.outb(0x3ce, i);
    return this.inb(0x3cf);
  }

  setCr(i: number, v: number): void {
    this.outb(0x3d4, i);
    this.outb(0x3d5, v);
  }

  getCr(i: number): number {
    this.outb(0x3d4, i);
    return this.inb(0x3d5);
  }

  /** Attribute register write the way Linux's vga_wattr does (flip-flop reset first). */
  setAr(i: number, v: number): void {
    this.inb(0x3da);
    this.outb(0x3c0, i);
    this.outb(0x3c0, v);
  }

  /** cirrusfb's WHDR: four reads of the pixel mask port, then the write. */
  writeHdr(v: number): void {
    for (let i = 0; i < 4; i++) this.inb(0x3c6);
    this.outb(0x3c6, v);
  }

  /** Fifth read of the pixel mask port returns the hidden DAC register. */
  readHdr(): number {
    this.inb(0x3c8); // reset the read counter
    for (let i = 0; i < 4; i++) this.inb(0x3c6);
    return this.inb(0x3c6);
  }

  setPalette(index: number, r: number, g: number, b: number): void {
    this.outb(0x3c8, index);
    this.outb(0x3c9, r);
    this.outb(0x3c9, g);
    this.outb(0x3c9, b);
  }

  lfbWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    this.vga.linear.write(offset, size, value);
  }

  lfbRead(offset: number, size: 1 | 2 | 4): number {
    return this.vga.linear.read(offset, size);
  }

  apertureWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    this.vga.linear.write(BLT_APERTURE + offset, size, value);
  }

  /**
   * A graphics mode as cirrusfb programs it: colour emulation, the CRTC timing `crtc`
   * (index -> value), SR07 and the HDR for the depth, pitch in bytes, display enabled.
   */
  setMode(opts: { crtc: Record<number, number>; sr07: number; hdr: number; pitch: number }): void {
    this.outb(0x3c2, 0x0f);
    this.setSr(0x06, 0x12);
    this.setCr(0x11, 0x20); // unlock CR0-7
    for (const [i, v] of Object.entries(opts.crtc)) this.setCr(Number(i), v);
    const units = opts.pitch >> 3;
    this.setCr(0x13, units & 0xff);
    this.setCr(0x1b, 0x22 | (units & 0x100 ? 0x10 : 0));
    this.setSr(0x07, opts.sr07);
    this.setGr(0x05, 0x40);
    this.setGr(0x06, 0x01);
    this.setGr(0x0b, 0x28);
    this.writeHdr(0); // as init_vgachip: the first HDR write after reset is lost (see the register tests)
    this.writeHdr(opts.hdr);
    this.inb(0x3da);
    this.outb(0x3c0, 0x33); // AttrOn: index with the palette-address-source bit
    this.outb(0x3c0, 0x00);
    this.setSr(0x01, 0x01);
  }

  /** Load the BLT registers as cirrusfb_set_blitter does and start (GR31 = 0x02). */
  blt(b: BltSetup): void {
    const fg = b.fg ?? 0;
    const bg = b.bg ?? 0;
    this.setGr(0x00, bg & 0xff);
    this.setGr(0x01, fg & 0xff);
    this.setGr(0x10, (bg >>> 8) & 0xff);
    this.setGr(0x11, (fg >>> 8) & 0xff);
    this.setGr(0x12, (bg >>> 16) & 0xff);
    this.setGr(0x13, (fg >>> 16) & 0xff);
    this.setGr(0x14, (bg >>> 24) & 0xff);
    this.setGr(0x15, (fg >>> 24) & 0xff);
    this.setGr(0x2f, b.skip ?? 0);
    this.setGr(0x33, b.modeExt ?? 0);
    this.setGr(0x34, (b.key ?? 0) & 0xff);
    this.setGr(0x35, ((b.key ?? 0) >>> 8) & 0xff);
    const srcPitch = b.srcPitch ?? b.dstPitch;
    this.setGr(0x24, b.dstPitch & 0xff);
    this.setGr(0x25, b.dstPitch >> 8);
    this.setGr(0x26, srcPitch & 0xff);
    this.setGr(0x27, srcPitch >> 8);
    this.setGr(0x20, (b.width - 1) & 0xff);
    this.setGr(0x21, (b.width - 1) >> 8);
    this.setGr(0x22, (b.height - 1) & 0xff);
    this.setGr(0x23, (b.height - 1) >> 8);
    this.setGr(0x28, b.dst & 0xff);
    this.setGr(0x29, (b.dst >> 8) & 0xff);
    this.setGr(0x2a, (b.dst >> 16) & 0xff);
    const src = b.src ?? 0;
    this.setGr(0x2c, src & 0xff);
    this.setGr(0x2d, (src >> 8) & 0xff);
    this.setGr(0x2e, (src >> 16) & 0xff);
    this.setGr(0x30, b.mode);
    this.setGr(0x32, b.rop ?? 0x0d);
    this.setGr(0x31, 0x02);
  }

  /** GR31 bits 1:0, what cirrusfb_sync waits on. */
  get bltBusy(): boolean {
    return (this.getGr(0x31) & 0x03) !== 0;
  }
}

/** Debian 6.1's cirrusfb at 320x240-16@60 (malta-hw.md 4.10, observed in QEMU): double scan. */
export const CRTC_320x240_DOUBLE: Record<number, number> = {
  0x00: 0x2d, 0x01: 0x27, 0x02: 0x28, 0x03: 0x92, 0x04: 0x2b, 0x05: 0x91, 0x06: 0x0a, 0x07: 0x3e,
  0x09: 0xc0, 0x10: 0xe9, 0x12: 0xdf, 0x15: 0xe0, 0x16: 0x0a, 0x17: 0xc3, 0x18: 0xff, 0x1a: 0x80,
  0x11: 0x6b,
};

/** The OpenDingux qemu kernel's cirrusfb at 320x240 (no double scan; malta-hw.md section 6). */
export const CRTC_320x240_SINGLE: Record<number, number> = {
  0x00: 0x2d, 0x01: 0x27, 0x02: 0x28, 0x03: 0x92, 0x04: 0x2b, 0x05: 0x91, 0x06: 0x04, 0x07: 0x11,
  0x09: 0x40, 0x10: 0xf4, 0x12: 0xef, 0x15: 0xf0, 0x16: 0x04, 0x17: 0xc3, 0x18: 0xff, 0x1a: 0x40,
  0x11: 0x65,
};

/** 640x480 (the default cirrusfb mode): 480 lines, no double scan. */
export const CRTC_640x480: Record<number, number> = {
  0x00: 0x5f, 0x01: 0x4f, 0x02: 0x50, 0x03: 0x82, 0x04: 0x54, 0x05: 0x80, 0x06: 0x0b, 0x07: 0x3e,
  0x09: 0x40, 0x10: 0xea, 0x12: 0xdf, 0x15: 0xe0, 0x16: 0x0b, 0x17: 0xc3, 0x18: 0xff, 0x1a: 0x00,
  0x11: 0x6c,
};
