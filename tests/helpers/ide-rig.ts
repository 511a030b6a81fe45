import { IoSpace } from '../../src/emu/bus/io-space';
import { Clock } from '../../src/emu/clock';
import type { AtaDriveConfig } from '../../src/emu/devices/ata-drive';
import { type DmaMemory, IdeBusMaster } from '../../src/emu/devices/ide-bmdma';
import { IdeChannel } from '../../src/emu/devices/ide-channel';
import type { BlockDevice } from '../../src/storage/block-device';

export const BMIBA = 0xc040;
export const PRI = 0x1f0;
export const PRI_CTL = 0x3f6;
export const SEC = 0x170;
export const SEC_CTL = 0x376;

/** Register offsets in the command block. */
export const DATA = 0, ERROR = 1, FEATURE = 1, NSECT = 2, LBAL = 3, LBAM = 4, LBAH = 5, DEVICE = 6, STATUS = 7, COMMAND = 7;

/**
 * The PIIX4 IDE function's devices on their own: both legacy channels and the bus-master block
 * at the I/O ports Linux uses, a 1 MiB RAM for DMA at bus address 0, and the two IRQ lines
 * recorded. Time moves only when a test says so.
 */
export class IdeRig {
  readonly clock = new Clock();
  readonly io = new IoSpace();
  readonly ram = new Uint8Array(1 << 20);
  readonly bm: IdeBusMaster;
  readonly ch: [IdeChannel, IdeChannel];
  /** Every level change of IRQ 14 / 15, in order. */
  readonly irq14: boolean[] = [];
  readonly irq15: boolean[] = [];
  busMaster = true;
  /** RAM bytes DMA wrote (as the JIT would be told). */
  dmaWritten = 0;

  constructor(disks: { master?: BlockDevice; slave?: BlockDevice; secondary?: BlockDevice } = {}) {
    const ram = this.ram;
    const memory: DmaMemory = {
      u8: ram,
      ramOffset: (addr, len) => (addr >= 0 && len > 0 && addr + len <= ram.length ? addr : -1),
      written: (_off, len) => {
        this.dmaWritten += len;
      },
    };
    this.bm = new IdeBusMaster(memory, () => this.busMaster);
    const cfg = (d: BlockDevice | undefined, n: number): AtaDriveConfig | null => (d ? { disk: d, serial: `OD0000${n}` } : null);
    this.ch = [
      new IdeChannel({
        clock: this.clock,
        irq: (l) => this.irq14.push(l),
        dma: this.bm.channels[0],
        master: cfg(disks.master, 1),
        slave: cfg(disks.slave, 2),
      }),
      new IdeChannel({ clock: this.clock, irq: (l) => this.irq15.push(l), dma: this.bm.channels[1], master: cfg(disks.secondary, 3) }),
    ];
    this.io.map(PRI, 8, this.ch[0]);
    this.io.map(PRI_CTL, 1, this.ch[0].control);
    this.io.map(SEC, 8, this.ch[1]);
    this.io.map(SEC_CTL, 1, this.ch[1].control);
    this.io.map(BMIBA, 16, this.bm);
  }

  inb(port: number): number {
    return this.io.read(port, 1);
  }
  inw(port: number): number {
    return this.io.read(port, 2);
  }
  inl(port: number): number {
    return this.io.read(port, 4);
  }
  outb(port: number, v: number): void {
    this.io.write(port, 1, v);
  }
  outw(port: number, v: number): void {
    this.io.write(port, 2, v);
  }
  outl(port: number, v: number): void {
    this.io.write(port, 4, v);
  }

  /** Primary channel registers. */
  reg(r: number): number {
    return this.inb(PRI + r);
  }
  setReg(r: number, v: number): void {
    this.outb(PRI + r, v);
  }
  altStatus(): number {
    return this.inb(PRI_CTL);
  }

  /** Let `ns` of guest time pass, firing device timers on the way. */
  advance(ns: number): void {
    const end = this.clock.cycles + this.clock.nsToCycles(ns);
    while (this.clock.nextDeadline <= end) {
      this.clock.cycles = Math.max(this.clock.cycles, this.clock.nextDeadline);
      this.clock.fireDue();
    }
    this.clock.cycles = end;
  }

  /** Run device time until the primary drive is neither busy nor (optionally) waiting; fail after `maxNs`. */
  waitNotBusy(maxNs = 50_000_000): number {
    for (let t = 0; t < maxNs; t += 1000) {
      const s = this.altStatus();
      if (!(s & 0x80)) return s;
      this.advance(1000);
    }
    throw new Error(`drive still busy after ${maxNs} ns (status ${this.altStatus().toString(16)})`);
  }

  /** As an interrupt handler does: wait for the drive, then read Status (acknowledging INTRQ). */
  waitAndAck(maxNs?: number): number {
    this.waitNotBusy(maxNs);
    return this.reg(STATUS);
  }

  /** Rising edges seen on IRQ 14. */
  get irq14Edges(): number {
    let n = 0;
    let prev = false;
    for (const l of this.irq14) {
      if (l && !prev) n++;
      prev = l;
    }
    return n;
  }
  get irq14Level(): boolean {
    return this.irq14.length > 0 && this.irq14[this.irq14.length - 1]!;
  }

  /** Task file for an LBA28 command on the primary channel (`dev` 0 master, 1 slave). */
  lba28(lba: number, count: number, dev = 0): void {
    this.setReg(DEVICE, 0xe0 | (dev << 4) | ((lba >>> 24) & 0x0f));
    this.setReg(NSECT, count & 0xff);
    this.setReg(LBAL, lba & 0xff);
    this.setReg(LBAM, (lba >>> 8) & 0xff);
    this.setReg(LBAH, (lba >>> 16) & 0xff);
  }

  /** Task file for an LBA48 command, high-order bytes first as libata writes them. */
  lba48(lba: number, count: number, dev = 0): void {
    this.setReg(DEVICE, 0x40 | (dev << 4));
    const hi = Math.floor(lba / 2 ** 24);
    this.setReg(NSECT, (count >>> 8) & 0xff);
    this.setReg(LBAL, hi & 0xff);
    this.setReg(LBAM, (hi >>> 8) & 0xff);
    this.setReg(LBAH, (hi >>> 16) & 0xff);
    this.setReg(NSECT, count & 0xff);
    this.setReg(LBAL, lba & 0xff);
    this.setReg(LBAM, (lba >>> 8) & 0xff);
    this.setReg(LBAH, (lba >>> 16) & 0xff);
  }

  /** Read `words` 16-bit words from the primary data port. */
  readWords(words: number, width: 2 | 4 = 2): Uint8Array {
    const out = new Uint8Array(words * 2);
    for (let i = 0; i < out.length; i += width) {
      const v = width === 2 ? this.inw(PRI) : this.inl(PRI);
      for (let k = 0; k < width; k++) out[i + k] = (v >>> (8 * k)) & 0xff;
    }
    return out;
  }

  writeWords(data: Uint8Array, width: 2 | 4 = 2): void {
    for (let i = 0; i < data.length; i += width) {
      let v = 0;
      for (let k = 0; k < width; k++) v |= data[i + k]! << (8 * k);
      if (width === 2) this.outw(PRI, v);
      else this.outl(PRI, v >>> 0);
    }
  }

  /** A PRD table at `at` in RAM: [address, bytes] pairs, the last one marked end-of-table. */
  prd(at: number, entries: [number, number][]): void {
    const dv = new DataView(this.ram.buffer);
    entries.forEach(([addr, bytes], i) => {
      dv.setUint32(at + 8 * i, addr, true);
      dv.setUint32(at + 8 * i + 4, (bytes & 0xffff) | (i === entries.length - 1 ? 0x80000000 : 0), true);
    });
  }

  /** IDENTIFY DEVICE on the primary channel; returns the 256 words. */
  identify(dev = 0): Uint16Array {
    this.setReg(DEVICE, 0xa0 | (dev << 4));
    this.setReg(COMMAND, 0xec);
    this.waitNotBusy();
    const bytes = this.readWords(256);
    return new Uint16Array(bytes.buffer);
  }
}

/** An ATA string from IDENTIFY words (two characters per word, first in the high byte). */
export function ataString(id: Uint16Array, word: number, words: number): string {
  let s = '';
  for (let i = 0; i < words; i++) s += String.fromCharCode(id[word + i]! >> 8, id[word + i]! & 0xff);
  return s;
}
