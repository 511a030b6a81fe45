import { describe, expect, it } from 'vitest';
import { type BlockDevice, type IoDone, SECTOR_SIZE } from '../src/storage/block-device';
import { DeferredDisk, MemoryDisk, fillPattern } from './helpers/ide-disk';
import { COMMAND, DATA, DEVICE, ERROR, FEATURE, IdeRig, LBAH, LBAL, LBAM, NSECT, PRI, PRI_CTL, SEC, SEC_CTL, STATUS, ataString } from './helpers/ide-rig';

/**
 * Register-level behaviour of the ATA disk on the PIIX4 primary channel, checked against the
 * ATA-7 protocol and what QEMU's IDE model (which Linux's ata_piix runs on) does.
 */

const BSY = 0x80, DRDY = 0x40, DSC = 0x10, DRQ = 0x08, ERR = 0x01;
const ABRT = 0x04, IDNF = 0x10;

function patternDisk(sectors: number, seed = 7): MemoryDisk {
  const d = new MemoryDisk(sectors);
  fillPattern(d.bytes, seed);
  return d;
}

/** A disk bigger than any test could hold: sector n reads as its own number unless written. */
class SparseDisk implements BlockDevice {
  readonly readOnly = false;
  readonly written = new Map<number, Uint8Array>();
  readonly log: string[] = [];
  constructor(readonly sectors: number) {}
  read(lba: number, count: number, into: Uint8Array, done: IoDone): void {
    this.log.push(`r${lba}+${count}`);
    for (let i = 0; i < count; i++) {
      const s = this.written.get(lba + i) ?? SparseDisk.sector(lba + i);
      into.set(s, i * SECTOR_SIZE);
    }
    done();
  }
  write(lba: number, count: number, from: Uint8Array, done: IoDone): void {
    this.log.push(`w${lba}+${count}`);
    for (let i = 0; i < count; i++) this.written.set(lba + i, from.slice(i * SECTOR_SIZE, (i + 1) * SECTOR_SIZE));
    done();
  }
  flush(done: IoDone): void {
    done();
  }
  static sector(n: number): Uint8Array {
    const s = new Uint8Array(SECTOR_SIZE);
    const dv = new DataView(s.buffer);
    dv.setUint32(0, n % 2 ** 32, true);
    dv.setUint32(4, Math.floor(n / 2 ** 32), true);
    s.fill(0xa5, 8);
    return s;
  }
}

const sectorOf = (d: MemoryDisk, lba: number, n = 1) => d.bytes.slice(lba * SECTOR_SIZE, (lba + n) * SECTOR_SIZE);

describe('IDENTIFY DEVICE', () => {
  it('answers after a modelled delay with DRQ and one interrupt, then goes idle', () => {
    const rig = new IdeRig({ master: new MemoryDisk(200_000) });
    rig.setReg(DEVICE, 0xa0);
    rig.setReg(COMMAND, 0xec);
    expect(rig.altStatus() & BSY).toBe(BSY);
    expect(rig.irq14Edges).toBe(0);
    rig.waitNotBusy();
    expect(rig.altStatus()).toBe(DRDY | DSC | DRQ);
    expect(rig.irq14Level).toBe(true);
    expect(rig.reg(STATUS)).toBe(DRDY | DSC | DRQ);
    expect(rig.irq14Level).toBe(false); // reading Status acknowledges INTRQ
    rig.readWords(256);
    expect(rig.altStatus()).toBe(DRDY | DSC);
    expect(rig.irq14Edges).toBe(1); // no interrupt at the end of a PIO data-in command
  });

  it('describes the disk the way libata reads it', () => {
    const rig = new IdeRig({ master: new MemoryDisk(200_000) });
    const id = rig.identify();
    expect(id[0]).toBe(0x0040); // ATA, not a packet device
    expect(ataString(id, 27, 20).trimEnd()).toBe('ODTAB HARDDISK');
    expect(ataString(id, 10, 10).trimEnd()).toBe('OD00001');
    expect(ataString(id, 23, 4).trimEnd()).toBe('1.0');
    expect(id[60]! | (id[61]! << 16)).toBe(200_000);
    expect(id[100]! + id[101]! * 2 ** 16 + id[102]! * 2 ** 32 + id[103]! * 2 ** 48).toBe(200_000);
    // ata_id_has_lba48: word 83 valid (bits 15:14 = 01) with bit 10; FLUSH CACHE (EXT) too.
    expect(id[83]! & 0xc000).toBe(0x4000);
    expect(id[83]! & (1 << 10)).toBeTruthy();
    expect(id[83]! & (3 << 12)).toBe(3 << 12);
    expect(id[86]! & (1 << 10)).toBeTruthy();
    expect(id[49]! & (3 << 8)).toBe(3 << 8); // LBA and DMA
    expect(31 - Math.clz32(id[80]!)).toBe(7); // "ATA-7"
    expect(id[53]! & 0x06).toBe(0x06); // words 64-70 and 88 valid
    expect(id[64]! & 0x03).toBe(0x03); // PIO 3 and 4
    expect(id[63]! & 0x07).toBe(0x07); // MWDMA 0-2
    expect(id[88]! & 0xff).toBe(0x3f); // UDMA 0-5
    expect(id[47]).toBe(0x8010); // READ/WRITE MULTIPLE up to 16 sectors
    expect(id[59]).toBe(0x0110); // multiple mode on, 16 sectors
    expect(id[85]! & (1 << 5)).toBeTruthy(); // write cache enabled
    // Integrity word: signature A5h and all 512 bytes summing to zero.
    expect(id[255]! & 0xff).toBe(0xa5);
    const bytes = new Uint8Array(id.buffer);
    expect(bytes.reduce((a, b) => (a + b) & 0xff, 0)).toBe(0);
  });

  it('caps the LBA28 capacity words of a disk past 128 GiB', () => {
    const big = 2 ** 28 + 12345;
    const rig = new IdeRig({ master: new SparseDisk(big) });
    const id = rig.identify();
    expect(id[60]! | (id[61]! << 16)).toBe(0x0fffffff);
    expect(id[100]! + id[101]! * 2 ** 16 + id[102]! * 2 ** 32).toBe(big);
  });

  it('answers 32-bit data reads (ata_piix uses PIO32) with the same bytes', () => {
    const rig = new IdeRig({ master: new MemoryDisk(5000) });
    const w16 = rig.identify();
    rig.setReg(COMMAND, 0xec);
    rig.waitNotBusy();
    const w32 = new Uint16Array(rig.readWords(256, 4).buffer);
    expect(w32).toEqual(w16);
  });

  it('SET FEATURES selects the transfer mode in words 63 and 88, and refuses modes it lacks', () => {
    const rig = new IdeRig({ master: new MemoryDisk(5000) });
    const setXfer = (mode: number) => {
      rig.setReg(FEATURE, 0x03);
      rig.setReg(NSECT, mode);
      rig.setReg(COMMAND, 0xef);
      return rig.waitNotBusy();
    };
    expect(setXfer(0x42)).toBe(DRDY | DSC); // UDMA2, as ata_piix picks on a PIIX4
    let id = rig.identify();
    expect(id[88]).toBe(0x3f | (1 << 10));
    expect(id[63]).toBe(0x07);
    expect(setXfer(0x22)).toBe(DRDY | DSC); // MWDMA2
    id = rig.identify();
    expect(id[63]).toBe(0x07 | (1 << 10));
    expect(id[88]).toBe(0x3f);
    expect(setXfer(0x0c)).toBe(DRDY | DSC); // PIO4
    expect(setXfer(0x46)).toBe(DRDY | ERR); // UDMA6: not supported
    expect(rig.reg(ERROR)).toBe(ABRT);
    expect(setXfer(0x0d)).toBe(DRDY | ERR); // PIO5
  });

  it('SET FEATURES turns the write cache off (flushing what it held) and on', () => {
    const disk = new MemoryDisk(5000);
    const rig = new IdeRig({ master: disk });
    rig.setReg(FEATURE, 0x82);
    rig.setReg(COMMAND, 0xef);
    expect(rig.waitNotBusy()).toBe(DRDY | DSC);
    expect(disk.flushes).toBe(1);
    expect(rig.identify()[85]! & (1 << 5)).toBe(0);
    rig.setReg(FEATURE, 0x02);
    rig.setReg(COMMAND, 0xef);
    rig.waitNotBusy();
    expect(rig.identify()[85]! & (1 << 5)).toBe(1 << 5);
    rig.setReg(FEATURE, 0x5a); // no such feature
    rig.setReg(COMMAND, 0xef);
    expect(rig.waitNotBusy()).toBe(DRDY | ERR);
    expect(rig.reg(ERROR)).toBe(ABRT);
  });
});

describe('PIO reads and writes', () => {
  it('READ SECTORS: one interrupt per sector, data in order, LBA registers advance', () => {
    const disk = patternDisk(1000);
    const rig = new IdeRig({ master: disk });
    rig.lba28(100, 3);
    rig.setReg(COMMAND, 0x20);
    const got: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      expect(rig.waitNotBusy()).toBe(DRDY | DSC | DRQ);
      expect(rig.irq14Edges).toBe(i + 1);
      rig.reg(STATUS);
      got.push(rig.readWords(256));
    }
    expect(rig.altStatus()).toBe(DRDY | DSC);
    expect(Buffer.concat(got)).toEqual(Buffer.from(sectorOf(disk, 100, 3)));
    expect(rig.reg(LBAL) | (rig.reg(LBAM) << 8) | (rig.reg(LBAH) << 16)).toBe(103);
    expect(rig.reg(NSECT)).toBe(0);
    expect(rig.irq14Edges).toBe(3);
  });

  it('READ SECTORS with count 0 reads 256 sectors', () => {
    const disk = patternDisk(1000);
    const rig = new IdeRig({ master: disk });
    rig.lba28(10, 0);
    rig.setReg(COMMAND, 0x20);
    const got: Uint8Array[] = [];
    for (let i = 0; i < 256; i++) {
      rig.waitAndAck();
      got.push(rig.readWords(256, 4));
    }
    expect(Buffer.concat(got)).toEqual(Buffer.from(sectorOf(disk, 10, 256)));
    expect(rig.irq14Edges).toBe(256);
  });

  it('READ MULTIPLE moves blocks of the multiple count; SET MULTIPLE MODE changes it', () => {
    const disk = patternDisk(1000);
    const rig = new IdeRig({ master: disk });
    const readMultiple = (lba: number, count: number, blocks: number[]) => {
      const before = rig.irq14Edges;
      rig.lba28(lba, count);
      rig.setReg(COMMAND, 0xc4);
      const got: Uint8Array[] = [];
      for (const n of blocks) {
        expect(rig.waitAndAck() & DRQ).toBe(DRQ);
        got.push(rig.readWords(256 * n));
        expect(rig.altStatus() & DRQ).toBe(0);
      }
      expect(rig.altStatus()).toBe(DRDY | DSC);
      expect(rig.irq14Edges - before).toBe(blocks.length);
      expect(Buffer.concat(got)).toEqual(Buffer.from(sectorOf(disk, lba, count)));
    };
    readMultiple(3, 40, [16, 16, 8]);
    rig.setReg(NSECT, 4);
    rig.setReg(COMMAND, 0xc6);
    expect(rig.waitNotBusy()).toBe(DRDY | DSC);
    expect(rig.identify()[59]).toBe(0x0104);
    readMultiple(50, 10, [4, 4, 2]);
    // Not a power of two, or above the maximum: aborted, setting unchanged.
    for (const bad of [3, 32]) {
      rig.setReg(NSECT, bad);
      rig.setReg(COMMAND, 0xc6);
      expect(rig.waitNotBusy()).toBe(DRDY | ERR);
      expect(rig.reg(ERROR)).toBe(ABRT);
    }
    expect(rig.identify()[59]).toBe(0x0104);
    // Multiple mode off: READ MULTIPLE is aborted without touching the disk.
    rig.setReg(NSECT, 0);
    rig.setReg(COMMAND, 0xc6);
    rig.waitNotBusy();
    const reads = disk.reads;
    rig.lba28(0, 1);
    rig.setReg(COMMAND, 0xc4);
    expect(rig.waitNotBusy()).toBe(DRDY | ERR);
    expect(rig.reg(ERROR)).toBe(ABRT);
    expect(disk.reads).toBe(reads);
  });

  it('WRITE SECTORS: DRQ at once without an interrupt, then one interrupt per sector written', () => {
    const disk = new MemoryDisk(1000);
    const rig = new IdeRig({ master: disk });
    const data = new Uint8Array(2 * SECTOR_SIZE);
    fillPattern(data, 99);
    rig.lba28(500, 2);
    rig.setReg(COMMAND, 0x30);
    expect(rig.altStatus()).toBe(DRDY | DSC | DRQ);
    expect(rig.irq14Edges).toBe(0);
    rig.writeWords(data.subarray(0, 512));
    expect(rig.altStatus() & BSY).toBe(BSY);
    expect(rig.waitAndAck()).toBe(DRDY | DSC | DRQ);
    expect(rig.irq14Edges).toBe(1);
    expect(sectorOf(disk, 500)).toEqual(data.subarray(0, 512));
    rig.writeWords(data.subarray(512), 4);
    expect(rig.waitNotBusy()).toBe(DRDY | DSC);
    expect(rig.irq14Edges).toBe(2);
    expect(sectorOf(disk, 500, 2)).toEqual(data);
    expect(sectorOf(disk, 502)).toEqual(new Uint8Array(512));
  });

  it('WRITE MULTIPLE EXT and READ SECTORS EXT address sectors above 2^32 (LBA48)', () => {
    const disk = new SparseDisk(2 ** 36);
    const rig = new IdeRig({ master: disk });
    const lba = 0x9_8765_4321;
    const data = new Uint8Array(20 * SECTOR_SIZE);
    fillPattern(data, 5);
    rig.lba48(lba, 20);
    rig.setReg(COMMAND, 0x39);
    for (const n of [16, 4]) {
      expect(rig.waitNotBusy() & DRQ).toBe(DRQ);
      const off = n === 16 ? 0 : 16 * 512;
      rig.writeWords(data.subarray(off, off + n * 512));
    }
    expect(rig.waitNotBusy()).toBe(DRDY | DSC);
    expect(disk.log).toEqual([`w${lba}+16`, `w${lba + 16}+4`]);
    expect(disk.written.get(lba + 19)).toEqual(data.subarray(19 * 512));
    // The registers now point past the data, high-order bytes readable with HOB.
    const end = lba + 20;
    expect(rig.reg(LBAL) | (rig.reg(LBAM) << 8) | (rig.reg(LBAH) << 16)).toBe(end % 2 ** 24);
    rig.outb(PRI_CTL, 0x80);
    expect(rig.reg(LBAL) | (rig.reg(LBAM) << 8) | (rig.reg(LBAH) << 16)).toBe(Math.floor(end / 2 ** 24));
    rig.outb(PRI_CTL, 0x00);
    // Read back across the written range and one untouched sector after it.
    rig.lba48(lba + 19, 2);
    rig.setReg(COMMAND, 0x24);
    rig.waitNotBusy();
    expect(rig.readWords(256)).toEqual(data.subarray(19 * 512));
    rig.waitNotBusy();
    expect(rig.readWords(256)).toEqual(SparseDisk.sector(lba + 20));
  });

  it('LBA48 count 0 means 65536 sectors (READ VERIFY EXT checks the range)', () => {
    const disk = new SparseDisk(200_000);
    const rig = new IdeRig({ master: disk });
    rig.lba48(200_000 - 65536, 0);
    rig.setReg(COMMAND, 0x42);
    expect(rig.waitNotBusy()).toBe(DRDY | DSC);
    rig.lba48(200_000 - 65535, 0);
    rig.setReg(COMMAND, 0x42);
    expect(rig.waitNotBusy()).toBe(DRDY | ERR);
    expect(rig.reg(ERROR)).toBe(IDNF);
  });

  it('HOB reads back the previous contents of the LBA48 register pairs', () => {
    const rig = new IdeRig({ master: new MemoryDisk(100) });
    rig.setReg(NSECT, 0x12);
    rig.setReg(NSECT, 0x34);
    rig.setReg(LBAM, 0x56);
    rig.setReg(LBAM, 0x78);
    expect(rig.reg(NSECT)).toBe(0x34);
    rig.outb(PRI_CTL, 0x80);
    expect(rig.reg(NSECT)).toBe(0x12);
    expect(rig.reg(LBAM)).toBe(0x56);
    rig.setReg(LBAL, 1); // any register write clears HOB
    expect(rig.reg(LBAM)).toBe(0x78);
  });

  it('addresses sectors by cylinder/head/sector with the current geometry', () => {
    const disk = patternDisk(20_000);
    const rig = new IdeRig({ master: disk });
    const chs = (c: number, h: number, s: number, heads: number, spt: number) => {
      rig.setReg(DEVICE, 0xa0 | h);
      rig.setReg(NSECT, 1);
      rig.setReg(LBAL, s);
      rig.setReg(LBAM, c & 0xff);
      rig.setReg(LBAH, c >> 8);
      rig.setReg(COMMAND, 0x20);
      rig.waitNotBusy();
      expect(rig.readWords(256)).toEqual(sectorOf(disk, (c * heads + h) * spt + s - 1));
    };
    chs(3, 5, 7, 16, 63);
    // INITIALIZE DEVICE PARAMETERS: 8 heads, 32 sectors per track.
    rig.setReg(DEVICE, 0xa0 | 7);
    rig.setReg(NSECT, 32);
    rig.setReg(COMMAND, 0x91);
    expect(rig.waitNotBusy()).toBe(DRDY | DSC);
    const id = rig.identify();
    expect([id[55], id[56]]).toEqual([8, 32]);
    chs(3, 5, 7, 8, 32);
    // Sector 0 does not exist in CHS.
    rig.setReg(DEVICE, 0xa0);
    rig.setReg(NSECT, 1);
    rig.setReg(LBAL, 0);
    rig.setReg(COMMAND, 0x20);
    expect(rig.waitNotBusy()).toBe(DRDY | ERR);
    expect(rig.reg(ERROR)).toBe(IDNF);
  });

  it('READ NATIVE MAX ADDRESS (EXT) reports the last sector', () => {
    const rig = new IdeRig({ master: new SparseDisk(0x1_2345_6789) });
    rig.setReg(DEVICE, 0x40);
    rig.setReg(COMMAND, 0x27);
    expect(rig.waitNotBusy()).toBe(DRDY | DSC);
    const low = rig.reg(LBAL) | (rig.reg(LBAM) << 8) | (rig.reg(LBAH) << 16);
    rig.outb(PRI_CTL, 0x80);
    const high = rig.reg(LBAL) | (rig.reg(LBAM) << 8) | (rig.reg(LBAH) << 16);
    expect(high * 2 ** 24 + low).toBe(0x1_2345_6788);
  });
});

describe('errors a drive reports', () => {
  it('a read past the end: ERR with IDNF and an interrupt, the disk never asked', () => {
    const disk = patternDisk(1000);
    const rig = new IdeRig({ master: disk });
    for (const [lba, count] of [
      [1000, 1],
      [999, 2],
    ]) {
      const edges = rig.irq14Edges;
      rig.lba28(lba!, count!);
      rig.setReg(COMMAND, 0x20);
      expect(rig.waitNotBusy()).toBe(DRDY | ERR);
      expect(rig.reg(ERROR)).toBe(IDNF);
      expect(rig.irq14Edges).toBe(edges + 1);
    }
    expect(disk.reads).toBe(0);
    // The drive takes the next command as usual.
    rig.lba28(999, 1);
    rig.setReg(COMMAND, 0x20);
    expect(rig.waitNotBusy()).toBe(DRDY | DSC | DRQ);
  });

  it('a write past the end: IDNF before any data is asked for', () => {
    const disk = new MemoryDisk(64);
    const rig = new IdeRig({ master: disk });
    rig.lba48(60, 5);
    rig.setReg(COMMAND, 0x34);
    expect(rig.altStatus() & DRQ).toBe(0);
    expect(rig.waitNotBusy()).toBe(DRDY | ERR);
    expect(rig.reg(ERROR)).toBe(IDNF);
    expect(disk.writes).toBe(0);
  });

  it('unknown, packet, SMART, NOP and DEVICE RESET commands are aborted with an interrupt', () => {
    const rig = new IdeRig({ master: new MemoryDisk(100) });
    for (const cmd of [0x00, 0xa0, 0xa1, 0x08, 0xb0, 0xf1, 0x5c]) {
      const edges = rig.irq14Edges;
      rig.setReg(DEVICE, 0xa0);
      rig.setReg(COMMAND, cmd);
      expect(rig.waitNotBusy(), `command ${cmd.toString(16)}`).toBe(DRDY | ERR);
      expect(rig.reg(ERROR)).toBe(ABRT);
      expect(rig.irq14Edges).toBe(edges + 1);
    }
  });

  it('a failing backend gives ERR/ABRT on reads, writes and flushes', () => {
    const disk = patternDisk(100);
    const rig = new IdeRig({ master: disk });
    disk.failWith = new Error('medium gone');
    rig.lba28(10, 4);
    rig.setReg(COMMAND, 0x20);
    expect(rig.waitNotBusy()).toBe(DRDY | ERR);
    expect(rig.reg(ERROR)).toBe(ABRT);
    // The registers name the sector that failed.
    expect(rig.reg(LBAL)).toBe(10);
    rig.lba28(10, 1);
    rig.setReg(COMMAND, 0x30);
    rig.writeWords(new Uint8Array(512));
    expect(rig.waitNotBusy()).toBe(DRDY | ERR);
    expect(rig.reg(ERROR)).toBe(ABRT);
    rig.setReg(COMMAND, 0xe7);
    expect(rig.waitNotBusy()).toBe(DRDY | ERR);
    disk.failWith = null;
    rig.setReg(COMMAND, 0xea);
    expect(rig.waitNotBusy()).toBe(DRDY | DSC);
  });

  it('a backend that throws is a failed command, not an exception', () => {
    const disk = patternDisk(100);
    const throwing: BlockDevice = {
      sectors: 100,
      readOnly: false,
      read: () => {
        throw new Error('boom');
      },
      write: (l, c, f, d) => disk.write(l, c, f, d),
      flush: (d) => d(),
    };
    const rig = new IdeRig({ master: throwing });
    rig.lba28(1, 1);
    rig.setReg(COMMAND, 0x20);
    expect(rig.waitNotBusy()).toBe(DRDY | ERR);
    expect(rig.reg(ERROR)).toBe(ABRT);
  });

  it('writes to a read-only disk are aborted and change nothing', () => {
    const disk = new MemoryDisk(patternDisk(100).bytes, true);
    const before = disk.bytes.slice();
    const rig = new IdeRig({ master: disk });
    for (const cmd of [0x30, 0x34, 0xc5, 0x39]) {
      rig.lba28(5, 1);
      rig.setReg(COMMAND, cmd);
      expect(rig.altStatus() & DRQ).toBe(0);
      expect(rig.waitNotBusy()).toBe(DRDY | ERR);
      expect(rig.reg(ERROR)).toBe(ABRT);
    }
    expect(disk.writes).toBe(0);
    expect(disk.bytes).toEqual(before);
    // Reads still work.
    rig.lba28(5, 1);
    rig.setReg(COMMAND, 0x20);
    expect(rig.waitNotBusy() & DRQ).toBe(DRQ);
  });
});

describe('software reset, diagnostics and absent devices', () => {
  it('SRST: busy while asserted and for a while after, then the ATA signature, no interrupt', () => {
    const rig = new IdeRig({ master: new MemoryDisk(100), slave: new MemoryDisk(100) });
    rig.setReg(DEVICE, 0xb0);
    rig.setReg(NSECT, 0x55);
    rig.setReg(LBAH, 0x77);
    rig.outb(PRI_CTL, 0x04 | 0x02); // SRST with nIEN, as libata does
    expect(rig.altStatus()).toBe(BSY);
    rig.advance(1_000_000);
    expect(rig.altStatus()).toBe(BSY);
    rig.outb(PRI_CTL, 0x02);
    expect(rig.altStatus()).toBe(BSY);
    rig.waitNotBusy();
    // Device 0 is selected after reset.
    expect(rig.reg(DEVICE) & 0x10).toBe(0);
    for (const dev of [0, 1]) {
      rig.setReg(DEVICE, dev << 4);
      expect(rig.reg(STATUS)).toBe(DRDY | DSC);
      expect([rig.reg(ERROR), rig.reg(NSECT), rig.reg(LBAL), rig.reg(LBAM), rig.reg(LBAH)]).toEqual([0x01, 1, 1, 0x00, 0x00]);
    }
    expect(rig.irq14).toEqual([]);
  });

  it('SRST abandons a command whose backend answers later; the late answer changes nothing', () => {
    const mem = patternDisk(100);
    const disk = new DeferredDisk(mem);
    const rig = new IdeRig({ master: disk });
    rig.lba28(7, 1);
    rig.setReg(COMMAND, 0x20);
    rig.advance(10_000_000);
    expect(rig.altStatus() & BSY).toBe(BSY);
    rig.outb(PRI_CTL, 0x04);
    rig.outb(PRI_CTL, 0x00);
    rig.waitNotBusy();
    expect(rig.reg(STATUS)).toBe(DRDY | DSC);
    // A new read, then the old request answers: the new one still gets its own data.
    rig.lba28(9, 1);
    rig.setReg(COMMAND, 0x20);
    disk.release(1); // the abandoned read of sector 7
    rig.advance(10_000_000);
    expect(rig.altStatus() & BSY).toBe(BSY);
    disk.release();
    expect(rig.waitNotBusy()).toBe(DRDY | DSC | DRQ);
    expect(rig.readWords(256)).toEqual(sectorOf(mem, 9));
    expect(rig.irq14Edges).toBe(1);
  });

  it('EXECUTE DEVICE DIAGNOSTIC: both signatures, Error 01h, one interrupt from device 0', () => {
    const rig = new IdeRig({ master: new MemoryDisk(100), slave: new MemoryDisk(100) });
    rig.setReg(DEVICE, 0xb0);
    rig.setReg(LBAM, 0x12);
    rig.setReg(COMMAND, 0x90);
    rig.waitNotBusy();
    expect(rig.irq14Edges).toBe(1);
    for (const dev of [0, 1]) {
      rig.setReg(DEVICE, dev << 4);
      expect([rig.reg(STATUS), rig.reg(ERROR), rig.reg(NSECT), rig.reg(LBAL), rig.reg(LBAM), rig.reg(LBAH)]).toEqual([DRDY | DSC, 1, 1, 1, 0, 0]);
    }
  });

  it('an absent slave reads status 00h, device 0 answers the other registers, commands go nowhere', () => {
    const rig = new IdeRig({ master: new MemoryDisk(100) });
    // libata's ata_devchk pattern test on device 1.
    rig.setReg(DEVICE, 0xb0);
    for (const [n, l] of [
      [0x55, 0xaa],
      [0xaa, 0x55],
      [0x55, 0xaa],
    ]) {
      rig.setReg(NSECT, n!);
      rig.setReg(LBAL, l!);
    }
    expect([rig.reg(NSECT), rig.reg(LBAL)]).toEqual([0x55, 0xaa]);
    expect(rig.reg(STATUS)).toBe(0);
    expect(rig.altStatus()).toBe(0);
    rig.setReg(COMMAND, 0xec);
    rig.advance(10_000_000);
    expect(rig.irq14).toEqual([]);
    expect(rig.inw(PRI + DATA)).toBe(0);
    // After SRST, ata_sff_dev_classify on device 1 sees Error 01h, signature 00/00 (ATA) and
    // Status 00h: no device.
    rig.outb(PRI_CTL, 0x04);
    rig.outb(PRI_CTL, 0x00);
    rig.advance(10_000_000);
    rig.setReg(DEVICE, 0xb0);
    expect([rig.reg(ERROR), rig.reg(LBAM), rig.reg(LBAH), rig.reg(STATUS)]).toEqual([0x01, 0, 0, 0]);
    // Device 0 is untouched and still works.
    rig.setReg(DEVICE, 0xa0);
    expect(rig.reg(STATUS)).toBe(DRDY | DSC);
    expect(rig.identify()[0]).toBe(0x0040);
  });

  it('a channel with no drives reads 00h everywhere and never interrupts', () => {
    const rig = new IdeRig({ master: new MemoryDisk(100) });
    for (const r of [1, 2, 3, 4, 5, 6, 7]) expect(rig.inb(SEC + r)).toBe(0);
    expect(rig.inb(SEC_CTL)).toBe(0);
    rig.outb(SEC + NSECT, 0x55);
    expect(rig.inb(SEC + NSECT)).toBe(0);
    rig.outb(SEC + COMMAND, 0xec);
    rig.outb(SEC_CTL, 0x04);
    rig.outb(SEC_CTL, 0x00);
    rig.advance(10_000_000);
    expect(rig.irq15).toEqual([]);
  });

  it('a slave without a master answers as device 1; device 0 reads status 00h', () => {
    const slave = patternDisk(300);
    const rig = new IdeRig({ slave });
    rig.setReg(DEVICE, 0xa0);
    expect(rig.reg(STATUS)).toBe(0);
    rig.lba28(42, 1, 1);
    rig.setReg(COMMAND, 0x20);
    rig.waitNotBusy();
    expect(rig.readWords(256)).toEqual(sectorOf(slave, 42));
    expect(rig.identify(1)[93]! & 0xff00).toBe(0x6300);
  });
});

describe('interrupts', () => {
  it('nIEN keeps INTRQ low; the pending interrupt shows once nIEN is cleared', () => {
    const rig = new IdeRig({ master: new MemoryDisk(100) });
    rig.outb(PRI_CTL, 0x02);
    rig.setReg(DEVICE, 0xa0);
    rig.setReg(COMMAND, 0xe1); // IDLE IMMEDIATE
    expect(rig.waitNotBusy()).toBe(DRDY | DSC);
    expect(rig.irq14).toEqual([]);
    expect(rig.bm.channels[0].status & 0x04).toBe(0);
    rig.outb(PRI_CTL, 0x00);
    expect(rig.irq14).toEqual([true]);
    rig.reg(STATUS);
    expect(rig.irq14).toEqual([true, false]);
    // Acknowledged while masked: nothing when the mask is lifted.
    rig.outb(PRI_CTL, 0x02);
    rig.setReg(COMMAND, 0xe1);
    rig.waitNotBusy();
    rig.reg(STATUS);
    rig.outb(PRI_CTL, 0x00);
    expect(rig.irq14).toEqual([true, false]);
  });

  it('a new command withdraws a pending interrupt, and every interrupt sets the bus-master INT bit', () => {
    const rig = new IdeRig({ master: new MemoryDisk(100) });
    rig.setReg(DEVICE, 0xa0);
    rig.setReg(COMMAND, 0xe1);
    rig.waitNotBusy();
    expect(rig.irq14Level).toBe(true);
    expect(rig.inb(0xc040 + 2) & 0x04).toBe(0x04);
    rig.outb(0xc040 + 2, 0x04); // write 1 to clear
    expect(rig.inb(0xc040 + 2) & 0x04).toBe(0);
    rig.setReg(COMMAND, 0xe3);
    expect(rig.irq14Level).toBe(false);
    rig.waitNotBusy();
    expect(rig.irq14Level).toBe(true);
  });
});

describe('a backend that answers later', () => {
  it('keeps BSY (and no DRQ, no interrupt) until the read data is there', () => {
    const mem = patternDisk(100);
    const disk = new DeferredDisk(mem);
    const rig = new IdeRig({ master: disk });
    rig.lba28(20, 2);
    rig.setReg(COMMAND, 0x20);
    rig.advance(100_000_000);
    expect(rig.altStatus()).toBe(DRDY | DSC | BSY);
    expect(rig.irq14).toEqual([]);
    // Writes to the task file are ignored while busy.
    rig.setReg(LBAL, 0x99);
    disk.release(); // the modelled time is long over: data is ready as the answer comes
    expect(rig.reg(STATUS)).toBe(DRDY | DSC | DRQ);
    expect(rig.irq14Edges).toBe(1);
    expect(rig.readWords(256)).toEqual(sectorOf(mem, 20));
    rig.advance(100_000_000);
    expect(rig.altStatus() & BSY).toBe(BSY); // second sector outstanding
    disk.release();
    rig.waitNotBusy();
    expect(rig.readWords(256)).toEqual(sectorOf(mem, 21));
    expect(rig.irq14Edges).toBe(2);
  });

  it('an answer inside the call still waits for the modelled time', () => {
    const rig = new IdeRig({ master: patternDisk(100) });
    rig.lba28(1, 1);
    rig.setReg(COMMAND, 0x20);
    expect(rig.altStatus() & BSY).toBe(BSY);
    rig.advance(1000);
    expect(rig.altStatus() & BSY).toBe(BSY);
    rig.advance(10_000);
    expect(rig.altStatus() & BSY).toBe(0);
  });

  it('keeps BSY until a PIO write and a FLUSH CACHE are done', () => {
    const mem = new MemoryDisk(100);
    const disk = new DeferredDisk(mem);
    const rig = new IdeRig({ master: disk });
    const data = new Uint8Array(512).fill(0x3c);
    rig.lba28(3, 1);
    rig.setReg(COMMAND, 0x30);
    rig.writeWords(data);
    rig.advance(100_000_000);
    expect(rig.altStatus() & BSY).toBe(BSY);
    expect(sectorOf(mem, 3)).toEqual(new Uint8Array(512));
    disk.release();
    expect(rig.waitNotBusy()).toBe(DRDY | DSC);
    expect(sectorOf(mem, 3)).toEqual(data);
    rig.setReg(COMMAND, 0xe7);
    rig.advance(100_000_000);
    expect(rig.altStatus() & BSY).toBe(BSY);
    expect(mem.flushes).toBe(0);
    disk.release();
    expect(rig.waitNotBusy()).toBe(DRDY | DSC);
    expect(mem.flushes).toBe(1);
  });

  it('with the write cache off, a write completes only after the disk flushed it', () => {
    const mem = new MemoryDisk(100);
    const rig = new IdeRig({ master: mem });
    rig.setReg(FEATURE, 0x82);
    rig.setReg(COMMAND, 0xef);
    rig.waitNotBusy();
    mem.log.length = 0;
    rig.lba28(3, 2);
    rig.setReg(COMMAND, 0x30);
    rig.writeWords(new Uint8Array(512).fill(1));
    rig.waitNotBusy();
    rig.writeWords(new Uint8Array(512).fill(2));
    rig.waitNotBusy();
    expect(mem.log).toEqual(['w3+1', 'f', 'w4+1', 'f']);
  });
});

describe('power management', () => {
  it('STANDBY IMMEDIATE and IDLE are answered; CHECK POWER MODE tells which', () => {
    const rig = new IdeRig({ master: patternDisk(100) });
    const power = () => {
      rig.setReg(NSECT, 0x12);
      rig.setReg(COMMAND, 0xe5);
      expect(rig.waitNotBusy()).toBe(DRDY | DSC);
      return rig.reg(NSECT);
    };
    rig.setReg(DEVICE, 0xa0);
    expect(power()).toBe(0xff);
    rig.setReg(COMMAND, 0xe0);
    expect(rig.waitNotBusy()).toBe(DRDY | DSC);
    expect(power()).toBe(0x00);
    expect(power()).toBe(0x00);
    rig.lba28(0, 1); // a media access spins the disk up
    rig.setReg(COMMAND, 0x20);
    rig.waitNotBusy();
    rig.readWords(256);
    expect(power()).toBe(0xff);
    for (const cmd of [0xe1, 0xe2, 0xe3, 0x10, 0x70]) {
      rig.setReg(COMMAND, cmd);
      expect(rig.waitNotBusy(), cmd.toString(16)).toBe(DRDY | DSC);
    }
  });
});
