import type { AccessSize, IoDevice } from '../bus/types';
import { DMA_DONE, DMA_FAULT, DMA_SHORT, type DmaClient, type DmaEngine } from './ata-drive';

/*
 * PIIX4 bus-master IDE (BMIBA, PCI function 1 BAR4, 16 bytes of I/O): one engine per channel at
 * +0 (primary) and +8 (secondary), each with a command register (+0), a status register (+2)
 * and the physical address of its PRD table (+4). A PRD entry is a 32-bit buffer address and a
 * 16-bit byte count (0 = 64 KiB, bit 0 ignored) with bit 31 of the second word marking the last
 * entry. PCI bus addresses are CPU physical addresses on the Malta, so the buffers are in RAM.
 * Register behaviour follows QEMU's hw/ide/piix.c and pci.c, which Linux's ata_piix is known to
 * run on.
 */

export const BM_CMD_START = 0x01;
/** Direction: 1 = the engine writes memory (device-to-memory reads). */
export const BM_CMD_READ = 0x08;
export const BM_STATUS_ACTIVE = 0x01;
export const BM_STATUS_ERROR = 0x02;
export const BM_STATUS_INT = 0x04;
/** Drive 0/1 DMA capable: plain read/write bits for the BIOS to fill in. */
export const BM_STATUS_DMA_CAPABLE = 0x60;

/** QEMU stops walking a PRD table that runs past one page; so do we. */
const PRD_TABLE_LIMIT = 4096;

/** Guest memory as a bus master sees it. */
export interface DmaMemory {
  readonly u8: Uint8Array;
  /** RAM byte offset of bus addresses [addr, addr+len), or -1 unless all of it is RAM. */
  ramOffset(addr: number, len: number): number;
  /** A device wrote RAM [offset, offset+len): translated code there must go. */
  written(offset: number, len: number): void;
}

/** One channel's engine. */
export class BusMasterChannel implements DmaEngine {
  command = 0;
  status = 0;
  /** PRD table address (bits 1:0 read 0). */
  prdTable = 0;

  // Walk through the PRD table during a transfer.
  private next = 0;
  private segAddr = 0;
  private segLeft = 0;
  private segLast = false;
  private client: DmaClient | null = null;

  constructor(
    private readonly memory: DmaMemory,
    /** PCI Command.BME of the IDE function: without it the engine reaches nothing. */
    private readonly busMaster: () => boolean,
  ) {}

  get active(): boolean {
    return (this.status & BM_STATUS_ACTIVE) !== 0;
  }

  // ---------------------------------------------------------------- registers

  writeCommand(value: number): void {
    if ((value ^ this.command) & BM_CMD_START) {
      if (value & BM_CMD_START) {
        this.rewind();
        if (!this.active) {
          this.status |= BM_STATUS_ACTIVE;
          this.client?.dmaStart();
        }
      } else {
        // Stopping the engine mid-command leaves the drive waiting for it (see AtaDrive).
        this.status &= ~BM_STATUS_ACTIVE;
      }
    }
    this.command = value & (BM_CMD_START | BM_CMD_READ);
  }

  /** Interrupt and Error are write-1-to-clear, the DMA-capable bits are plain, Active is read-only. */
  writeStatus(value: number): void {
    this.status = (value & BM_STATUS_DMA_CAPABLE) | (this.status & BM_STATUS_ACTIVE) | (this.status & ~value & (BM_STATUS_ERROR | BM_STATUS_INT));
  }

  /** The channel's drive raised INTRQ. */
  interrupt(): void {
    this.status |= BM_STATUS_INT;
  }

  // ---------------------------------------------------------------- engine

  claim(client: DmaClient): void {
    this.client = client;
    if (this.active) client.dmaStart();
  }

  release(client: DmaClient, ok: boolean): void {
    if (this.client !== client) return;
    this.client = null;
    // PRDs describing more than the command moved keep Active set (PIIX4 datasheet, QEMU).
    const prdsLeft = this.segLeft > 0 || (!this.segLast && this.next - this.prdTable < PRD_TABLE_LIMIT);
    if (!ok || !prdsLeft) this.status &= ~BM_STATUS_ACTIVE;
  }

  private rewind(): void {
    this.next = this.prdTable;
    this.segAddr = 0;
    this.segLeft = 0;
    this.segLast = false;
  }

  transfer(buf: Uint8Array, len: number, toMemory: boolean): number {
    if (!this.busMaster()) return this.fault();
    const mem = this.memory;
    let done = 0;
    while (done < len) {
      if (this.segLeft === 0) {
        if (this.segLast || this.next - this.prdTable >= PRD_TABLE_LIMIT) return DMA_SHORT;
        const at = mem.ramOffset(this.next, 8);
        if (at < 0) return this.fault();
        const m = mem.u8;
        this.segAddr = (m[at]! | (m[at + 1]! << 8) | (m[at + 2]! << 16) | (m[at + 3]! << 24)) >>> 0;
        const count = m[at + 4]! | (m[at + 5]! << 8);
        this.segLeft = count & 0xfffe || 0x10000;
        this.segLast = (m[at + 7]! & 0x80) !== 0;
        this.next += 8;
      }
      const n = Math.min(this.segLeft, len - done);
      const off = mem.ramOffset(this.segAddr, n);
      if (off < 0) return this.fault();
      if (toMemory) {
        mem.u8.set(buf.subarray(done, done + n), off);
        mem.written(off, n);
      } else {
        buf.set(mem.u8.subarray(off, off + n), done);
      }
      this.segAddr = (this.segAddr + n) >>> 0;
      this.segLeft -= n;
      done += n;
    }
    return DMA_DONE;
  }

  /** Master abort: the PIIX sets Error and stops. */
  private fault(): number {
    this.status |= BM_STATUS_ERROR;
    return DMA_FAULT;
  }

  // ---------------------------------------------------------------- byte access

  readByte(reg: number): number {
    switch (reg) {
      case 0:
        return this.command;
      case 2:
        return this.status;
      case 4:
      case 5:
      case 6:
      case 7:
        return (this.prdTable >>> (8 * (reg - 4))) & 0xff;
      default:
        return 0xff;
    }
  }

  writeByte(reg: number, value: number): void {
    switch (reg) {
      case 0:
        this.writeCommand(value);
        break;
      case 2:
        this.writeStatus(value);
        break;
      case 4:
      case 5:
      case 6:
      case 7: {
        const shift = 8 * (reg - 4);
        const v = (this.prdTable & ~(0xff << shift)) | ((value & 0xff) << shift);
        this.prdTable = (v & ~3) >>> 0;
        break;
      }
    }
  }
}

/** The 16-byte BMIBA block with both channels' engines. */
export class IdeBusMaster implements IoDevice {
  readonly channels: readonly [BusMasterChannel, BusMasterChannel];

  constructor(memory: DmaMemory, busMaster: () => boolean) {
    this.channels = [new BusMasterChannel(memory, busMaster), new BusMasterChannel(memory, busMaster)];
  }

  read(offset: number, size: AccessSize): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.readByte(offset + i) << (8 * i);
    return v >>> 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size; i++) this.writeByte(offset + i, (value >>> (8 * i)) & 0xff);
  }

  private readByte(offset: number): number {
    const ch = this.channels[(offset >> 3) & 1]!;
    return ch.readByte(offset & 7);
  }

  private writeByte(offset: number, value: number): void {
    const ch = this.channels[(offset >> 3) & 1]!;
    ch.writeByte(offset & 7, value);
  }
}
