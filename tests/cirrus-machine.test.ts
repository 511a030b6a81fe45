import { describe, expect, it } from 'vitest';
import { Machine } from '../src/emu/machine';
import { ADDIU_LOOP, tinyKernel } from './helpers/ide-kernel';

// The Cirrus card as wired into the Malta board: slot 18, VGA ports in the PCI I/O window
// whatever its command register says, the framebuffer BAR wherever Linux puts it inside a GT
// memory window, and the picture for hosts.

const IO = 0x18000000; // PCI I/O window after the boot stub
const GT = 0x1be00000; // GT-64120 registers after the boot stub
const LFB = 0x10000000; // where Linux assigns BAR0

function board(): Machine {
  return new Machine({ kernel: tinyKernel(ADDIU_LOOP), memMiB: 32 });
}

const cfgRead = (m: Machine, reg: number, size: 1 | 2 | 4) => m.pci.configRead(0, 18, 0, reg, size);
const cfgWrite = (m: Machine, reg: number, size: 1 | 2 | 4, v: number) => m.pci.configWrite(0, 18, 0, reg, size, v);
const outb = (m: Machine, port: number, v: number) => m.bus.write(IO + port, 1, v);
const inb = (m: Machine, port: number) => m.bus.read(IO + port, 1);

/** What Linux's PCI setup and cirrusfb's pci_enable_device do: BARs assigned, memory decode on. */
function enableCard(m: Machine): void {
  cfgWrite(m, 0x10, 4, LFB);
  cfgWrite(m, 0x14, 4, 0x12010000);
  cfgWrite(m, 0x04, 2, 0x0002);
}

describe('Cirrus on the Malta board', () => {
  it('sits at 00:12.0 as 1013:00B8', () => {
    const m = board();
    expect(cfgRead(m, 0x00, 4)).toBe(0x00b81013);
    expect(m.pci.configRead(0, 19, 0, 0, 4)).toBe(0xffffffff);
  });

  it('answers the VGA ports through the PCI I/O window with its I/O decoding off', () => {
    const m = board();
    expect(cfgRead(m, 0x04, 2) & 0x0001).toBe(0);
    outb(m, 0x3c4, 0x06);
    outb(m, 0x3c5, 0x12);
    expect(inb(m, 0x3c5)).toBe(0x12);
    outb(m, 0x3c2, 0x01);
    outb(m, 0x3d4, 0x27);
    expect(inb(m, 0x3d5)).toBe(0xb8);
    // 16-bit port writes are index + data, as outw(0x3C4) would do them.
    m.bus.write(IO + 0x3c4, 2, 0x5a09);
    expect(m.vga.sr[0x09]).toBe(0x5a);
  });

  it('decodes the framebuffer at its BAR only while memory decoding is on', () => {
    const m = board();
    cfgWrite(m, 0x10, 4, LFB);
    cfgWrite(m, 0x14, 4, 0x12010000);
    m.bus.write(LFB + 0x100, 4, 0x11223344);
    expect(m.vga.vram.i32[0x40]).toBe(0);
    cfgWrite(m, 0x04, 2, 0x0002);
    m.bus.write(LFB + 0x100, 4, 0x11223344);
    expect(m.vga.vram.i32[0x40]).toBe(0x11223344);
    expect(m.bus.read(LFB + 0x102, 2)).toBe(0x1122);
    // The 4 MiB repeat up to the BLT aperture.
    expect(m.bus.read(LFB + 0x400100, 4)).toBe(0x11223344);
    // MMIO BAR: BLT width register GR20 at 0x108.
    m.bus.write(0x12010000 + 0x108, 1, 0x77);
    expect(m.vga.gr[0x20]).toBe(0x77);
  });

  it('follows the BAR when it moves, and stops where the GT no longer forwards it to PCI', () => {
    const m = board();
    enableCard(m);
    cfgWrite(m, 0x10, 4, 0x14000000);
    m.bus.write(0x14000000, 4, 0xcafef00d);
    expect(m.vga.vram.i32[0]! >>> 0).toBe(0xcafef00d);
    expect(m.bus.read(LFB, 4)).toBe(0); // nothing at the old place
    // Move PCI memory window 0 to 0x10000000-0x13FFFFFF: 0x14000000 is no longer PCI memory.
    m.bus.write(GT + 0x060, 4, 0x1f); // M0 high decode first, then low
    m.bus.write(GT + 0x058, 4, 0x80);
    expect(m.bus.read(0x14000000, 4)).toBe(0);
    m.bus.write(0x14000000, 4, 0x12345678);
    expect(m.vga.vram.i32[0]! >>> 0).toBe(0xcafef00d);
    // Back in a window, back on the bus.
    cfgWrite(m, 0x10, 4, 0x12000000);
    expect(m.bus.read(0x12000000, 4)).toBe(0xcafef00d);
  });

  it('gives hosts the picture: blank until a mode is set, then what the framebuffer holds', () => {
    const m = board();
    let f = m.refreshDisplay();
    expect([f.width, f.height, f.mode]).toEqual([640, 480, null]);
    enableCard(m);
    // 320x240x16 as cirrusfb programs it, through the ports (no double scan).
    outb(m, 0x3c2, 0x0f);
    const crtc: Record<number, number> = { 0x11: 0x20, 0x01: 0x27, 0x07: 0x11, 0x09: 0x40, 0x12: 0xef, 0x13: 0x50, 0x18: 0xff, 0x1b: 0x22 };
    for (const [i, v] of Object.entries(crtc)) {
      outb(m, 0x3d4, Number(i));
      outb(m, 0x3d5, v);
    }
    outb(m, 0x3c4, 0x07);
    outb(m, 0x3c5, 0xa7);
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < 4; i++) inb(m, 0x3c6);
      outb(m, 0x3c6, 0xc1);
    }
    inb(m, 0x3da);
    outb(m, 0x3c0, 0x20);
    m.bus.write(LFB + 2 * (320 * 239 + 319), 2, 0xf800);
    f = m.refreshDisplay();
    expect(f.mode).toMatchObject({ width: 320, height: 240, format: 'rgb565' });
    expect(Array.from(f.rgba.subarray(f.rgba.length - 4))).toEqual([255, 0, 0, 255]);
    expect(m.display).toBe(f);
    // Changes are tracked in 256-byte pieces of display memory: pixel (100, 7) is in one that
    // only line 7 uses.
    m.bus.write(LFB + 2 * (320 * 7 + 100), 2, 0xffff);
    expect(m.refreshDisplay().dirty).toEqual({ x: 0, y: 7, width: 320, height: 1 });
    // One shared by lines 6 and 7 redraws both.
    m.bus.write(LFB + 2 * 320 * 7, 2, 0xffff);
    expect(m.refreshDisplay().dirty).toEqual({ x: 0, y: 6, width: 320, height: 2 });
  });

  it('starts over blank with cleared display memory after a board reset', () => {
    const m = board();
    enableCard(m);
    m.bus.write(LFB, 4, 0x01020304);
    m.reset();
    expect(m.vga.vram.i32[0]).toBe(0);
    expect(m.refreshDisplay().mode).toBeNull();
    expect(cfgRead(m, 0x04, 2) & 0x0002).toBe(0);
  });
});
