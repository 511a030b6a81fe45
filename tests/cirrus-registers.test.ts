import { describe, expect, it } from 'vitest';
import { CIRRUS_BAR0_SIZE, CIRRUS_MMIO_SIZE, CIRRUS_ROM_SIZE } from '../src/emu/devices/cirrus-vga';
import { CirrusRig } from './helpers/cirrus-rig';

// The CL-GD5446's registers as QEMU's cirrus_vga.c and the datasheet define them, and as
// cirrusfb uses them.
describe('Cirrus CL-GD5446 PCI function', () => {
  it('identifies as 1013:00B8, a VGA-compatible display controller', () => {
    const { vga } = new CirrusRig();
    expect(vga.configRead(0x00, 2)).toBe(0x1013);
    expect(vga.configRead(0x02, 2)).toBe(0x00b8);
    expect(vga.configRead(0x08, 4)).toBe(0x03000000); // class 03/00/00, revision 0
    expect(vga.configRead(0x3d, 1)).toBe(0); // no interrupt pin
  });

  it('sizes BAR0 as 32 MiB prefetchable memory, BAR1 as 4 KiB and the ROM as 64 KiB', () => {
    const { vga } = new CirrusRig();
    const size = (reg: number, probe: number, flags: number) => {
      vga.configWrite(reg, 4, probe);
      const v = vga.configRead(reg, 4);
      return { size: (~(v & ~flags) + 1) >>> 0, flags: v & flags };
    };
    expect(size(0x10, 0xffffffff, 0xf)).toEqual({ size: CIRRUS_BAR0_SIZE, flags: 0x8 });
    expect(size(0x14, 0xffffffff, 0xf)).toEqual({ size: CIRRUS_MMIO_SIZE, flags: 0x0 });
    // Linux sizes the ROM with the enable bit clear.
    expect(size(0x30, 0xfffff800, 0x7ff)).toEqual({ size: CIRRUS_ROM_SIZE, flags: 0 });
  });

  it('decodes the framebuffer BAR where the guest puts it once memory decoding is on', () => {
    const { vga } = new CirrusRig();
    vga.configWrite(0x10, 4, 0x10000000);
    expect(vga.bar(0)!.addr).toBeNull();
    vga.configWrite(0x04, 2, 0x0002);
    expect(vga.bar(0)!.addr).toBe(0x10000000);
    vga.configWrite(0x04, 2, 0x0000);
    expect(vga.bar(0)!.addr).toBeNull();
  });
});

describe('Cirrus VGA registers', () => {
  it('has QEMU reset values: extensions locked, 4 MiB, PCI bus, part ID 0xB8', () => {
    const r = new CirrusRig();
    r.outb(0x3c2, 0x01); // colour emulation, to reach the CRTC at 0x3D4
    expect(r.getSr(0x06)).toBe(0x0f);
    expect(r.getSr(0x0f)).toBe(0x98);
    expect(r.getSr(0x15)).toBe(0x04);
    expect(r.getSr(0x17)).toBe(0x20);
    expect(r.getSr(0x1f)).toBe(0x2d);
    expect(r.getGr(0x18)).toBe(0x0f);
    expect(r.getCr(0x27)).toBe(0xb8);
    expect(r.getCr(0x30)).toBe(0xff); // above the last CRTC register
  });

  it('unlocks the extensions only with the key 0x12 in SR06', () => {
    const r = new CirrusRig();
    r.setSr(0x06, 0x12);
    expect(r.getSr(0x06)).toBe(0x12);
    r.setSr(0x06, 0x57); // 0x57 & 0x17 = 0x17: not the key
    expect(r.getSr(0x06)).toBe(0x0f);
  });

  it('answers the CRTC at 0x3B4/0x3B5 in mono mode and at 0x3D4/0x3D5 in colour mode', () => {
    const r = new CirrusRig();
    // After reset MISC bit 0 is clear (mono): the colour ports are not decoded.
    r.setCr(0x13, 0x50);
    expect(r.getCr(0x13)).toBe(0xff);
    r.outb(0x3b4, 0x13);
    expect(r.inb(0x3b5)).toBe(0x00); // the write above never reached the register
    r.outb(0x3b5, 0x28);
    r.outb(0x3c2, 0x0f);
    expect(r.inb(0x3cc)).toBe(0x0f);
    expect(r.getCr(0x13)).toBe(0x28);
    r.setCr(0x13, 0x50);
    expect(r.getCr(0x13)).toBe(0x50);
    expect(r.inb(0x3b5)).toBe(0xff); // mono ports now dead
  });

  it('keeps the full 8 bits of GR00/GR01 (BLT colours) and the 4 VGA bits in the plain register', () => {
    const r = new CirrusRig();
    r.setGr(0x00, 0xa5);
    r.setGr(0x01, 0x5a);
    expect(r.getGr(0x00)).toBe(0xa5);
    expect(r.getGr(0x01)).toBe(0x5a);
    expect(r.vga.gr[0x00]).toBe(0x05);
    expect(r.vga.gr[0x01]).toBe(0x0a);
    expect(r.vga.shadowGr0).toBe(0xa5);
    r.setGr(0x05, 0xff);
    expect(r.getGr(0x05)).toBe(0x7f);
    r.setGr(0x21, 0xff); // BLT width bits 12:8
    expect(r.getGr(0x21)).toBe(0x1f);
  });

  it('protects CR00-CR07 while CR11 bit 7 is set, except the line-compare bit of CR07', () => {
    const r = new CirrusRig();
    r.outb(0x3c2, 0x01);
    r.setCr(0x01, 0x27);
    r.setCr(0x07, 0x00);
    r.setCr(0x11, 0x80);
    r.setCr(0x01, 0x4f);
    r.setCr(0x07, 0xff);
    expect(r.getCr(0x01)).toBe(0x27);
    expect(r.getCr(0x07)).toBe(0x10);
    r.setCr(0x11, 0x20);
    r.setCr(0x01, 0x4f);
    expect(r.getCr(0x01)).toBe(0x4f);
  });

  it('runs the attribute controller index/data flip-flop, reset by reading input status 1', () => {
    const r = new CirrusRig();
    r.outb(0x3c2, 0x01);
    r.inb(0x3da);
    r.outb(0x3c0, 0x10); // index
    expect(r.getCr(0x24)).toBe(0x80); // toggle readback: next write is data
    expect(r.getCr(0x26)).toBe(0x10);
    r.outb(0x3c0, 0xff); // data: AR10 keeps all but bit 4
    expect(r.getCr(0x24)).toBe(0x00);
    r.outb(0x3c0, 0x10);
    expect(r.inb(0x3c1)).toBe(0xef);
    r.inb(0x3da); // back to index
    r.outb(0x3c0, 0x05);
    r.outb(0x3c0, 0xff); // palette registers are 6 bits
    r.outb(0x3c0, 0x25); // index with bit 5: display on
    expect(r.inb(0x3c0)).toBe(0); // QEMU: the index reads back only between data writes
    expect(r.inb(0x3c1)).toBe(0x3f);
    r.outb(0x3c0, 0x3f);
    expect(r.inb(0x3c0)).toBe(0x25);
    expect(r.vga.arIndex & 0x20).toBe(0x20);
  });

  it('auto-increments the DAC write and read indices over R, G, B', () => {
    const r = new CirrusRig();
    r.outb(0x3c8, 0xfe);
    for (const v of [1, 2, 3, 4, 5, 6]) r.outb(0x3c9, v);
    expect(r.inb(0x3c8)).toBe(0x00); // wrapped after entry 0xFF
    r.outb(0x3c7, 0xfe);
    expect(r.inb(0x3c7)).toBe(3);
    expect([1, 2, 3, 4, 5, 6].map(() => r.inb(0x3c9))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reports vertical retrace in input status 1 for part of every 1/60 s frame', () => {
    const r = new CirrusRig();
    r.outb(0x3c2, 0x01);
    const frame = r.clock.hz / 60;
    let retrace = 0;
    let blank = 0;
    const samples = 1000;
    for (let i = 0; i < samples; i++) {
      r.clock.cycles = Math.floor((i * frame) / samples);
      const st = r.inb(0x3da);
      if (st & 0x08) retrace++;
      if (st & 0x01) blank++;
      if (st & 0x08) expect(st & 0x01).toBe(0x01); // retrace is always blanking
    }
    // The default 640x480 layout: 2 retrace lines of 525, 45 + horizontal blanking.
    expect(retrace).toBeGreaterThan(0);
    expect(retrace).toBeLessThan(samples / 50);
    expect(blank).toBeGreaterThan(retrace);
    expect(blank).toBeLessThan(samples / 2);
  });
});

describe('Cirrus hidden DAC register', () => {
  it('is written by four reads of 0x3C6 and a write, and read back on the fifth read', () => {
    const r = new CirrusRig();
    // After reset the count starts used up, so cirrusfb's first WHDR (init_vgachip's HDR = 0)
    // only restarts it; the next one lands.
    r.writeHdr(0xc1);
    expect(r.vga.hiddenDac).toBe(0);
    r.writeHdr(0xc1);
    expect(r.vga.hiddenDac).toBe(0xc1);
    expect(r.readHdr()).toBe(0xc1);
    // The reads before the fifth return 0xFF, and other writes go nowhere.
    r.inb(0x3c8);
    expect(r.inb(0x3c6)).toBe(0xff);
    r.outb(0x3c6, 0x12);
    expect(r.inb(0x3c6)).toBe(0xff);
    expect(r.vga.hiddenDac).toBe(0xc1);
  });

  it('is not written when the counter starts used up (reset), nor after other than four reads', () => {
    const r = new CirrusRig();
    r.outb(0x3c6, 0xc1); // QEMU starts the counter at 5: this write only restarts it
    expect(r.vga.hiddenDac).toBe(0);
    for (let i = 0; i < 3; i++) r.inb(0x3c6);
    r.outb(0x3c6, 0xc1);
    expect(r.vga.hiddenDac).toBe(0);
    for (let i = 0; i < 5; i++) r.inb(0x3c6); // the fifth read returns the HDR and starts over
    r.outb(0x3c6, 0xc1);
    expect(r.vga.hiddenDac).toBe(0);
  });

  it('restarts its count on a read of the DAC write index (0x3C8)', () => {
    const r = new CirrusRig();
    r.inb(0x3c6);
    r.inb(0x3c6);
    r.inb(0x3c8);
    for (let i = 0; i < 4; i++) r.inb(0x3c6);
    r.outb(0x3c6, 0xe1);
    expect(r.vga.hiddenDac).toBe(0xe1);
  });

  it('selects 5:6:5 (low nibble 1) or 5:5:5 at 16 bpp', () => {
    const r = new CirrusRig();
    r.setSr(0x07, 0xa7);
    r.writeHdr(0);
    r.writeHdr(0xc1);
    expect(r.vga.displayBpp()).toBe(16);
    r.writeHdr(0xc0);
    expect(r.vga.displayBpp()).toBe(15);
    r.setSr(0x07, 0xa1);
    expect(r.vga.displayBpp()).toBe(8);
    r.setSr(0x07, 0xa5);
    expect(r.vga.displayBpp()).toBe(24);
    r.setSr(0x07, 0xa9);
    expect(r.vga.displayBpp()).toBe(32);
    r.setSr(0x07, 0xa0);
    expect(r.vga.displayBpp()).toBe(0);
  });
});

describe('Cirrus memory-mapped registers (BAR1)', () => {
  it('reaches the VGA ports below 0x100 and the BLT registers above', () => {
    const r = new CirrusRig();
    const mmio = r.vga.mmio;
    mmio.write(0x04, 1, 0x07); // 0x3C4: SR index
    mmio.write(0x05, 1, 0x12);
    expect(r.getSr(0x07)).toBe(0x12);
    mmio.write(0x100 + 0x08, 2, 0x013f); // BLT width = GR20/GR21
    expect(r.getGr(0x20)).toBe(0x3f);
    expect(r.getGr(0x21)).toBe(0x01);
    mmio.write(0x100 + 0x04, 4, 0x11223344); // foreground colour bytes GR01, GR11, GR13, GR15
    expect([0x01, 0x11, 0x13, 0x15].map((i) => r.getGr(i))).toEqual([0x44, 0x33, 0x22, 0x11]);
    expect(mmio.read(0x100 + 0x04, 4)).toBe(0x11223344);
    expect(mmio.read(0x100 + 0x13, 1)).toBe(0xff); // no register there
  });
});
