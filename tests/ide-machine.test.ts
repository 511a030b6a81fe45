import { describe, expect, it } from 'vitest';
import { Machine } from '../src/emu/machine';
import { SECTOR_SIZE } from '../src/storage/block-device';
import { DeferredDisk, MemoryDisk, fillPattern } from './helpers/ide-disk';
import { ADDIU_LOOP, tinyKernel } from './helpers/ide-kernel';
import { V0, V1, ZERO, addiu, b, nop } from './helpers/mips-asm';

/**
 * The IDE controller as wired into the Malta board: legacy ports in the GT-64120's PCI I/O
 * window, IRQ 14 through the 8259s, the bus-master block behind PIIX4 BAR4, DMA into guest RAM
 * (including over code the JIT translated), and the disks flushed and cut off on reset.
 */

const IO = 0x18000000; // PCI I/O window after the boot stub
const BMIBA = 0x1040;
const PRD = 0x2000;

function board(disks: { hda?: MemoryDisk | DeferredDisk; hdb?: MemoryDisk } = {}): Machine {
  const m = new Machine({ kernel: tinyKernel(ADDIU_LOOP), memMiB: 32, ...disks });
  // What Linux's PCI setup does for 00:0a.1: BMIBA in BAR4, I/O decode and bus mastering on.
  m.pci.configWrite(0, 10, 1, 0x20, 4, BMIBA);
  m.pci.configWrite(0, 10, 1, 0x04, 2, 0x0005);
  return m;
}

const inb = (m: Machine, port: number) => m.bus.read(IO + port, 1);
const outb = (m: Machine, port: number, v: number) => m.bus.write(IO + port, 1, v);
const outl = (m: Machine, port: number, v: number) => m.bus.write(IO + port, 4, v);

/** READ DMA of `count` sectors at `lba` into guest physical `dest` (one PRD entry). */
function readDma(m: Machine, lba: number, count: number, dest: number): void {
  const dv = new DataView(m.ram.u8.buffer, m.ram.u8.byteOffset, m.ram.u8.byteLength);
  dv.setUint32(PRD, dest, true);
  dv.setUint32(PRD + 4, 0x80000000 | (count * SECTOR_SIZE), true);
  outl(m, BMIBA + 4, PRD);
  outb(m, BMIBA, 0x08);
  outb(m, 0x1f6, 0xe0);
  outb(m, 0x1f2, count);
  outb(m, 0x1f3, lba & 0xff);
  outb(m, 0x1f4, (lba >> 8) & 0xff);
  outb(m, 0x1f5, (lba >> 16) & 0xff);
  outb(m, 0x1f7, 0xc8);
  outb(m, BMIBA, 0x09);
}

describe('IDE on the Malta board', () => {
  it('primary master answers at 0x1F0 through the PCI I/O window; its interrupt is ISA IRQ 14', () => {
    const m = board({ hda: new MemoryDisk(2048) });
    expect(inb(m, 0x3f6)).toBe(0x50);
    outb(m, 0x1f6, 0xa0);
    outb(m, 0x1f7, 0xec);
    expect(m.pic.output).toBe(false);
    m.run(200_000); // 1 ms of guest time
    expect(inb(m, 0x3f6)).toBe(0x58);
    expect(m.pic.output).toBe(true);
    expect(m.pic.acknowledge()).toBe(14);
    // 32-bit data reads as ata_piix does them: word 60/61 = capacity.
    const words: number[] = [];
    for (let i = 0; i < 128; i++) {
      const v = m.bus.read(IO + 0x1f0, 4);
      words.push(v & 0xffff, v >>> 16);
    }
    expect(words[60]! | (words[61]! << 16)).toBe(2048);
    expect(inb(m, 0x1f7)).toBe(0x50);
  });

  it('hdb is the primary slave; the secondary channel (IRQ 15) is empty and reads 00h', () => {
    const hdb = new MemoryDisk(4096);
    const m = board({ hda: new MemoryDisk(2048), hdb });
    outb(m, 0x1f6, 0xb0);
    outb(m, 0x1f7, 0xec);
    m.run(200_000);
    const words: number[] = [];
    for (let i = 0; i < 256; i++) words.push(m.bus.read(IO + 0x1f0, 2));
    expect(words[60]).toBe(4096);
    for (const port of [0x171, 0x172, 0x173, 0x174, 0x175, 0x176, 0x177, 0x376]) expect(inb(m, port)).toBe(0);
    const none = board();
    expect(inb(none, 0x1f7)).toBe(0);
    expect(inb(none, 0x3f6)).toBe(0);
  });

  it('DMA lands in guest RAM through BAR4, sets the engine INT bit and raises IRQ 14', () => {
    const disk = new MemoryDisk(2048);
    fillPattern(disk.bytes, 17);
    const m = board({ hda: disk });
    readDma(m, 100, 16, 0x00400000);
    m.run(400_000);
    expect(m.ram.u8.slice(0x400000, 0x400000 + 16 * 512)).toEqual(disk.bytes.slice(100 * 512, 116 * 512));
    expect(inb(m, BMIBA + 2) & 0x05).toBe(0x04);
    expect(m.pic.output).toBe(true);
    // With bus mastering turned off in PCI Command, the engine reaches nothing.
    m.pci.configWrite(0, 10, 1, 0x04, 2, 0x0001);
    outb(m, BMIBA + 2, 0x06);
    readDma(m, 200, 1, 0x00500000);
    m.run(400_000);
    expect(inb(m, BMIBA + 2) & 0x02).toBe(0x02);
    expect(inb(m, 0x1f7) & 0x01).toBe(0x01);
    expect(m.ram.u8[0x500000]).toBe(0);
  });

  it('DMA over code the JIT has translated replaces it: the CPU runs the new instructions', () => {
    const disk = new MemoryDisk(64);
    // Sector 3: `addiu v1, zero, 0x1234; b .-4; nop` to overwrite the kernel's loop at 0x80100000.
    const code = [addiu(V1, ZERO, 0x1234), b(-2), nop()];
    const dv = new DataView(disk.bytes.buffer);
    code.forEach((w, i) => dv.setUint32(3 * 512 + 4 * i, w >>> 0, true));
    const m = board({ hda: disk });
    // The kernel's loop is one block: compile it once hot, without waiting for a batch of others.
    m.cpu.jit!.batchSize = 1;
    m.run(2_000_000);
    expect(m.cpu.jit?.blocksCompiled).toBeGreaterThan(0);
    const before = m.cpu.gpr[V0]!;
    expect(before).toBeGreaterThan(100_000);
    readDma(m, 3, 1, 0x00100000);
    m.run(2_000_000);
    expect(m.cpu.gpr[V1]).toBe(0x1234);
    const after = m.cpu.gpr[V0]!;
    m.run(1_000_000);
    expect(m.cpu.gpr[V0]).toBe(after); // the old loop no longer runs
  });

  it('reset and power-off flush the disks; a request answered after reset changes nothing', () => {
    const inner = new MemoryDisk(2048);
    fillPattern(inner.bytes, 5);
    const disk = new DeferredDisk(inner);
    const m = board({ hda: disk });
    readDma(m, 10, 8, 0x00600000);
    m.run(400_000);
    expect(inb(m, 0x3f6) & 0x80).toBe(0x80);
    m.reset();
    disk.release(); // the abandoned read, then the flush the reset asked for
    expect(inner.flushes).toBe(1);
    m.run(400_000);
    expect(m.ram.u8.slice(0x600000, 0x601000)).toEqual(new Uint8Array(0x1000));
    expect(m.pic.output).toBe(false);
    expect(m.ide[0].irqLevel).toBe(false);
    expect(m.ide[0].drives[0]!.status).toBe(0x50);
    m.powerOff();
    disk.release();
    expect(inner.flushes).toBe(2);
    let flushed = false;
    m.flushDisks((err) => {
      expect(err).toBeUndefined();
      flushed = true;
    });
    disk.release();
    expect(flushed).toBe(true);
  });
});
