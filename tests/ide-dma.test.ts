import { describe, expect, it } from 'vitest';
import { SECTOR_SIZE } from '../src/storage/block-device';
import { DeferredDisk, MemoryDisk, fillPattern } from './helpers/ide-disk';
import { BMIBA, COMMAND, ERROR, IdeRig, STATUS } from './helpers/ide-rig';

/**
 * Bus-master DMA through PRD tables in guest RAM, driven the way libata-sff does it:
 * ata_bmdma_setup (PRD address, direction), the ATA command, ata_bmdma_start (START), then on
 * the interrupt ata_bmdma_status / ata_bmdma_stop / ata_bmdma_irq_clear.
 */

const DRDY = 0x40, DSC = 0x10, ERR = 0x01, BSY = 0x80;
const ABRT = 0x04, IDNF = 0x10;
const BM_CMD = BMIBA, BM_STATUS = BMIBA + 2, BM_PRD = BMIBA + 4;
const ACTIVE = 0x01, BM_ERROR = 0x02, INT = 0x04;
const START = 0x01, TO_MEMORY = 0x08;
const PRD_AT = 0x1000;

function patternDisk(sectors: number): MemoryDisk {
  const d = new MemoryDisk(sectors);
  fillPattern(d.bytes, 3);
  return d;
}
const sectorsOf = (d: MemoryDisk, lba: number, n: number) => d.bytes.slice(lba * SECTOR_SIZE, (lba + n) * SECTOR_SIZE);

/** libata's order: engine set up, command issued, engine started. */
function dma(rig: IdeRig, cmd: number, write: boolean): void {
  rig.outl(BM_PRD, PRD_AT);
  rig.outb(BM_CMD, write ? 0 : TO_MEMORY);
  rig.setReg(COMMAND, cmd);
  rig.outb(BM_CMD, (write ? 0 : TO_MEMORY) | START);
}

/** What ata_bmdma_port_intr does on the interrupt; returns the engine status it saw. */
function interrupt(rig: IdeRig): { bm: number; status: number } {
  const bm = rig.inb(BM_STATUS);
  rig.outb(BM_CMD, rig.inb(BM_CMD) & ~START);
  const status = rig.reg(STATUS);
  rig.outb(BM_STATUS, rig.inb(BM_STATUS)); // clear INT/ERR
  return { bm, status };
}

describe('READ/WRITE DMA', () => {
  it('READ DMA scatters the sectors over the PRD regions, then INT, not Active, IRQ', () => {
    const disk = patternDisk(1000);
    const rig = new IdeRig({ master: disk });
    rig.prd(PRD_AT, [
      [0x10000, 4096],
      [0x30000, 1024],
      [0x20200, 1024],
    ]);
    rig.lba28(33, 12);
    dma(rig, 0xc8, false);
    expect(rig.altStatus() & BSY).toBe(BSY);
    expect(rig.inb(BM_STATUS) & ACTIVE).toBe(ACTIVE);
    rig.waitNotBusy();
    expect(rig.irq14Edges).toBe(1);
    const want = sectorsOf(disk, 33, 12);
    expect(rig.ram.slice(0x10000, 0x11000)).toEqual(want.subarray(0, 4096));
    expect(rig.ram.slice(0x30000, 0x30400)).toEqual(want.subarray(4096, 5120));
    expect(rig.ram.slice(0x20200, 0x20600)).toEqual(want.subarray(5120));
    expect(rig.ram[0x30400]).toBe(0); // nothing past the region
    expect(rig.dmaWritten).toBe(12 * 512);
    const seen = interrupt(rig);
    expect(seen.bm).toBe(INT);
    expect(seen.status).toBe(DRDY | DSC);
    expect(rig.inb(BM_STATUS)).toBe(0);
  });

  it('WRITE DMA EXT gathers from the PRD regions onto the disk (LBA48, several chunks)', () => {
    const disk = new MemoryDisk(4000);
    const rig = new IdeRig({ master: disk });
    const n = 300; // more than one 64 KiB piece of the drive's buffer
    const src = new Uint8Array(n * 512);
    fillPattern(src, 11);
    rig.ram.set(src.subarray(0, 131072), 0x40000);
    rig.ram.set(src.subarray(131072), 0x80000);
    // Count 0 means 64 KiB; the last region is exactly what is left.
    rig.prd(PRD_AT, [
      [0x40000, 0],
      [0x50000, 0],
      [0x80000, n * 512 - 131072],
    ]);
    rig.lba48(3000, n);
    dma(rig, 0x35, true);
    rig.waitNotBusy();
    const seen = interrupt(rig);
    expect(seen).toEqual({ bm: INT, status: DRDY | DSC });
    expect(sectorsOf(disk, 3000, n)).toEqual(src);
    expect(disk.log).toEqual(['w3000+128', 'w3128+128', 'w3256+44']);
  });

  it('the engine may be started before the command', () => {
    const disk = patternDisk(100);
    const rig = new IdeRig({ master: disk });
    rig.prd(PRD_AT, [[0x5000, 1024]]);
    rig.outl(BM_PRD, PRD_AT);
    rig.outb(BM_CMD, TO_MEMORY | START);
    rig.lba28(4, 2);
    rig.setReg(COMMAND, 0xc8);
    rig.waitNotBusy();
    expect(rig.ram.slice(0x5000, 0x5400)).toEqual(sectorsOf(disk, 4, 2));
    expect(interrupt(rig).bm).toBe(INT);
  });

  it('PRDs longer than the transfer leave Active set with INT (PIIX4/QEMU behaviour)', () => {
    const rig = new IdeRig({ master: patternDisk(100) });
    rig.prd(PRD_AT, [
      [0x5000, 1024],
      [0x6000, 1024],
    ]);
    rig.lba28(0, 2);
    dma(rig, 0xc8, false);
    rig.waitNotBusy();
    expect(rig.inb(BM_STATUS)).toBe(ACTIVE | INT);
    expect(rig.ram[0x6000]).toBe(0);
  });

  it('a PRD table shorter than the transfer stops the engine without an interrupt', () => {
    const rig = new IdeRig({ master: patternDisk(100) });
    rig.prd(PRD_AT, [[0x5000, 512]]);
    rig.lba28(0, 4);
    dma(rig, 0xc8, false);
    rig.advance(10_000_000);
    expect(rig.inb(BM_STATUS)).toBe(0);
    expect(rig.irq14).toEqual([]);
    expect(rig.altStatus() & BSY).toBe(0);
  });

  it('a failing bus master (BME off, or no RAM at the address) sets Error and fails the command', () => {
    const rig = new IdeRig({ master: patternDisk(100) });
    rig.busMaster = false;
    rig.prd(PRD_AT, [[0x5000, 512]]);
    rig.lba28(0, 1);
    dma(rig, 0xc8, false);
    rig.waitNotBusy();
    let seen = interrupt(rig);
    expect(seen.bm & (BM_ERROR | INT | ACTIVE)).toBe(BM_ERROR | INT);
    expect(seen.status).toBe(DRDY | ERR);
    expect(rig.reg(ERROR)).toBe(ABRT);
    rig.busMaster = true;
    rig.prd(PRD_AT, [[0xfff000, 512]]); // past the end of the 1 MiB RAM
    dma(rig, 0xc8, false);
    rig.waitNotBusy();
    seen = interrupt(rig);
    expect(seen.bm & BM_ERROR).toBe(BM_ERROR);
    expect(seen.status & ERR).toBe(ERR);
    expect(rig.inb(BM_STATUS)).toBe(0);
  });

  it('a DMA past the end of the disk is IDNF with an interrupt, and no data moves', () => {
    const rig = new IdeRig({ master: patternDisk(100) });
    rig.prd(PRD_AT, [[0x5000, 4096]]);
    rig.lba28(98, 4);
    dma(rig, 0xc8, false);
    rig.waitNotBusy();
    const seen = interrupt(rig);
    expect(seen.bm & INT).toBe(INT);
    expect(seen.status).toBe(DRDY | ERR);
    expect(rig.reg(ERROR)).toBe(IDNF);
    expect(rig.dmaWritten).toBe(0);
  });

  it('a read-only disk refuses WRITE DMA', () => {
    const disk = new MemoryDisk(new Uint8Array(100 * 512), true);
    const rig = new IdeRig({ master: disk });
    rig.prd(PRD_AT, [[0x5000, 512]]);
    rig.lba28(1, 1);
    dma(rig, 0xca, true);
    rig.waitNotBusy();
    expect(interrupt(rig).status).toBe(DRDY | ERR);
    expect(rig.reg(ERROR)).toBe(ABRT);
    expect(disk.writes).toBe(0);
  });
});

describe('DMA with a backend that answers later', () => {
  it('stays BSY with Active set and memory untouched until the data is there', () => {
    const mem = patternDisk(400);
    const disk = new DeferredDisk(mem);
    const rig = new IdeRig({ master: disk });
    rig.prd(PRD_AT, [
      [0x10000, 0],
      [0x20000, 200 * 512 - 65536],
    ]);
    rig.lba28(100, 200);
    dma(rig, 0xc8, false);
    rig.advance(1_000_000_000);
    expect(rig.altStatus() & BSY).toBe(BSY);
    expect(rig.inb(BM_STATUS)).toBe(ACTIVE);
    expect(rig.irq14).toEqual([]);
    expect(rig.dmaWritten).toBe(0);
    disk.release(1); // first 128 sectors
    rig.advance(1_000_000_000);
    expect(rig.altStatus() & BSY).toBe(BSY);
    expect(rig.dmaWritten).toBe(128 * 512);
    expect(rig.irq14).toEqual([]);
    disk.release();
    rig.waitNotBusy();
    expect(rig.ram.slice(0x10000, 0x10000 + 200 * 512)).toEqual(sectorsOf(mem, 100, 200));
    expect(mem.log).toEqual(['r100+128', 'r228+72']);
    expect(interrupt(rig)).toEqual({ bm: INT, status: DRDY | DSC });
  });

  it('stopping the engine mid-command holds the data until it is started again', () => {
    const mem = patternDisk(100);
    const disk = new DeferredDisk(mem);
    const rig = new IdeRig({ master: disk });
    rig.prd(PRD_AT, [[0x8000, 2048]]);
    rig.lba28(10, 4);
    dma(rig, 0xc8, false);
    rig.outb(BM_CMD, TO_MEMORY); // stop
    expect(rig.inb(BM_STATUS) & ACTIVE).toBe(0);
    disk.release();
    rig.advance(10_000_000);
    expect(rig.dmaWritten).toBe(0);
    expect(rig.altStatus() & BSY).toBe(BSY);
    rig.outb(BM_CMD, TO_MEMORY | START);
    rig.waitNotBusy();
    expect(rig.ram.slice(0x8000, 0x8800)).toEqual(sectorsOf(mem, 10, 4));
    expect(interrupt(rig).bm).toBe(INT);
  });

  it('WRITE DMA: the disk sees the data only when it answers; BSY until then', () => {
    const mem = new MemoryDisk(100);
    const disk = new DeferredDisk(mem);
    const rig = new IdeRig({ master: disk });
    rig.ram.fill(0x6b, 0x9000, 0x9400);
    rig.prd(PRD_AT, [[0x9000, 1024]]);
    rig.lba28(50, 2);
    dma(rig, 0xca, true);
    rig.advance(1_000_000_000);
    expect(rig.altStatus() & BSY).toBe(BSY);
    expect(mem.writes).toBe(0);
    disk.release();
    rig.waitNotBusy();
    expect(sectorsOf(mem, 50, 2)).toEqual(new Uint8Array(1024).fill(0x6b));
    expect(interrupt(rig).status).toBe(DRDY | DSC);
  });
});

describe('bus-master registers', () => {
  it('PRD address ignores bits 1:0; INT/ERR write-1-to-clear; DMA-capable bits plain; Active read-only', () => {
    const rig = new IdeRig({ master: new MemoryDisk(10) });
    rig.outl(BM_PRD, 0x12345677);
    expect(rig.inl(BM_PRD)).toBe(0x12345674);
    rig.outb(BM_PRD + 1, 0xab);
    expect(rig.inl(BM_PRD)).toBe(0x1234ab74);
    rig.outb(BM_STATUS, 0x60 | ACTIVE);
    expect(rig.inb(BM_STATUS)).toBe(0x60);
    rig.outb(BM_CMD, START);
    expect(rig.inb(BM_STATUS)).toBe(0x60 | ACTIVE);
    rig.outb(BM_CMD, 0);
    expect(rig.inb(BM_STATUS)).toBe(0x60);
    expect(rig.inb(BM_CMD)).toBe(0);
    rig.outb(BM_CMD, 0xff);
    expect(rig.inb(BM_CMD)).toBe(START | TO_MEMORY);
    // The secondary channel's engine is separate, 8 bytes up.
    rig.outl(BM_PRD + 8, 0x4000);
    expect(rig.inl(BM_PRD)).toBe(0x1234ab74);
    expect(rig.inl(BM_PRD + 8)).toBe(0x4000);
  });
});
