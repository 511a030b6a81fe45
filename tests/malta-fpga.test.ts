import { describe, expect, it } from 'vitest';
import { BOOT_REVISION, MaltaFpga } from '../src/emu/devices/malta-fpga';

function setup() {
  let resets = 0;
  const fpga = new MaltaFpga({ onReset: () => resets++ });
  return { fpga, resets: () => resets };
}

describe('MaltaFpga registers (malta-hw.md §1.5)', () => {
  it('reads the fixed identification registers', () => {
    const { fpga } = setup();
    expect(fpga.read(0x200, 4)).toBe(0); // SWITCH
    expect(fpga.read(0x208, 4)).toBe(0x10); // STATUS, little-endian
    expect(fpga.read(0x210, 4)).toBe(0); // JMPRS: 33 MHz PCI clock
    fpga.write(0x200, 4, 0xff);
    fpga.write(0x208, 4, 0xff);
    fpga.write(0x210, 4, 0xff);
    expect(fpga.read(0x200, 4)).toBe(0);
    expect(fpga.read(0x208, 4)).toBe(0x10);
    expect(fpga.read(0x210, 4)).toBe(0);
  });

  it('stores 8 bits of LEDBAR', () => {
    const { fpga } = setup();
    expect(fpga.read(0x408, 4)).toBe(0);
    fpga.write(0x408, 4, 0x1a5);
    expect(fpga.read(0x408, 4)).toBe(0xa5);
    expect(fpga.ledBar).toBe(0xa5);
  });

  it('shows ASCIIWORD as 8 hex digits and ASCIIPOS0-7 one character each', () => {
    const { fpga } = setup();
    expect(fpga.display()).toBe('        ');
    fpga.write(0x410, 4, 0xdeadbeef);
    expect(fpga.display()).toBe('DEADBEEF');
    fpga.write(0x410, 4, 0x42);
    expect(fpga.display()).toBe('00000042');
    const text = 'LINUX ON';
    for (let i = 0; i < 8; i++) fpga.write(0x418 + 8 * i, 4, text.charCodeAt(i));
    expect(fpga.display()).toBe('LINUX ON');
    fpga.write(0x41c, 4, 0x21); // between two positions: not a register
    expect(fpga.display()).toBe('LINUX ON');
    expect(fpga.read(0x418, 4)).toBe(0); // write-only
  });

  it('SOFTRES reads 0 and resets the board only on 0x42 (syscon-reboot read-modify-write)', () => {
    const { fpga, resets } = setup();
    const old = fpga.read(0x500, 4);
    expect(old).toBe(0);
    fpga.write(0x500, 4, 0x41);
    expect(resets()).toBe(0);
    fpga.write(0x500, 4, (old & ~0x42) | 0x42);
    expect(resets()).toBe(1);
    fpga.write(0x501, 1, 0x42); // wrong byte lane: 0x4200
    expect(resets()).toBe(1);
  });

  it('BRKRES resets to 0x0A and stores 8 bits', () => {
    const { fpga } = setup();
    expect(fpga.read(0x508, 4)).toBe(0x0a);
    fpga.write(0x508, 4, 0x1ff);
    expect(fpga.read(0x508, 4)).toBe(0xff);
    fpga.reset();
    expect(fpga.read(0x508, 4)).toBe(0x0a);
  });

  it('stores GPOUT and the I2C registers; GPINP follows I2COUT while I2CSEL is set', () => {
    const { fpga } = setup();
    fpga.write(0xa00, 4, 0x5a);
    expect(fpga.read(0xa00, 4)).toBe(0x5a);
    expect(fpga.read(0xb00, 4)).toBe(0x3); // I2CINP: idle bus, lines pulled high
    expect(fpga.read(0xb18, 4)).toBe(0x1); // I2CSEL reset
    fpga.write(0xb08, 4, 0x3);
    expect(fpga.read(0xb08, 4)).toBe(0x3);
    fpga.write(0xb10, 4, 0x2);
    expect(fpga.read(0xb10, 4)).toBe(0x2);
    expect(fpga.read(0xa08, 4)).toBe(0x2);
    fpga.write(0xb18, 4, 0);
    expect(fpga.read(0xb18, 4)).toBe(0);
    expect(fpga.read(0xa08, 4)).toBe(0);
  });

  it('reads 0 and ignores writes elsewhere in the 1 MiB window', () => {
    const { fpga, resets } = setup();
    for (const off of [0x0, 0x100, 0x400, 0x458, 0x600, 0xc00, 0x10000, 0xffffc]) {
      fpga.write(off, 4, 0xffffffff);
      expect(fpga.read(off, 4)).toBe(0);
    }
    expect(resets()).toBe(0);
  });

  it('serves narrow accesses from the little-endian byte lanes', () => {
    const { fpga } = setup();
    fpga.write(0x408, 1, 0x81);
    expect(fpga.read(0x408, 1)).toBe(0x81);
    expect(fpga.read(0x409, 1)).toBe(0);
    expect(fpga.read(0x208, 2)).toBe(0x10);
    fpga.write(0x409, 1, 0xff); // upper lane of LEDBAR: no bits there
    expect(fpga.read(0x408, 4)).toBe(0x81);
  });

  it('exports the boot revision word that makes Linux pick the GT-64120', () => {
    expect(BOOT_REVISION).toBe(0x420);
    expect((BOOT_REVISION >>> 10) & 0x3f).toBe(1); // CORID: Core LV
    expect((BOOT_REVISION >>> 24) & 0xff).toBe(0); // SCONID
  });
});
