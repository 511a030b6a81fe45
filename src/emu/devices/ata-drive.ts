import type { Clock, Timer } from '../clock';
import { type BlockDevice, SECTOR_SIZE } from '../../storage/block-device';

/*
 * An ATA hard disk (ATA/ATAPI-7 command set, no packet interface) as it sits on a parallel IDE
 * channel: its own copy of the task-file registers (both devices on a channel latch every
 * register write), IDENTIFY DEVICE, PIO and DMA reads and writes in LBA28, LBA48 and CHS, the
 * non-data commands Linux's libata issues, and the power-management commands drives answer.
 *
 * Every command completes on the machine's virtual clock: the drive stays BSY for a modelled
 * time and for as long as its BlockDevice request is outstanding, whichever is longer, then
 * raises INTRQ. A backend that answers inside the call and one that answers later behave the
 * same way to the guest. Failures (a request past the end of the disk, a backend error, a write
 * to a read-only disk) end the command with ERR set, as a drive reports them; nothing throws.
 */

// Status register
export const ATA_BSY = 0x80;
export const ATA_DRDY = 0x40;
export const ATA_DSC = 0x10;
export const ATA_DRQ = 0x08;
export const ATA_ERR = 0x01;
// Error register
export const ATA_ABRT = 0x04;
export const ATA_IDNF = 0x10;
// Device register
export const ATA_DEV_LBA = 0x40;
export const ATA_DEV_DEV = 0x10;

/** Status of an idle drive that completed its last command: ready, seek complete. */
const STATUS_READY = ATA_DRDY | ATA_DSC;
const STATUS_BUSY = ATA_BSY | ATA_DRDY | ATA_DSC;
const STATUS_DATA = ATA_DRDY | ATA_DSC | ATA_DRQ;
/** A failed command: QEMU reports DRDY|ERR without DSC, so Linux's logs match. */
const STATUS_FAILED = ATA_DRDY | ATA_ERR;

/** READ/WRITE MULTIPLE block size limit (IDENTIFY word 47) and the power-on multiple setting. */
export const ATA_MAX_MULTIPLE = 16;
/** Largest piece of a DMA command the drive buffers at once (bounded host memory per drive). */
const DMA_CHUNK_SECTORS = 128;
const BUFFER_BYTES = DMA_CHUNK_SECTORS * SECTOR_SIZE;

/*
 * Modelled times (guest nanoseconds). A command costs a fixed overhead plus the media transfer
 * at 100 MB/s (UDMA/100 class). They are far below anything Linux waits for, and only exist so
 * completion is an event on the virtual clock rather than a side effect of the command write.
 */
const COMMAND_NS = 2_000;
const SECTOR_NS = 5_120;
/** From the DMA engine's start bit to the first data moved. */
const DMA_START_NS = 200;

export const DMA_DONE = 0;
/** The PRD table ended before the data did. */
export const DMA_SHORT = 1;
/** The engine could not reach guest memory (bus mastering off, no RAM there). */
export const DMA_FAULT = 2;

/** The bus-master DMA engine of the drive's channel, as the drive uses it. */
export interface DmaEngine {
  /** START is set and the engine has not stopped. */
  readonly active: boolean;
  /** The drive has a DMA command; the engine calls `client.dmaStart()` once it is (or now if) active. */
  claim(client: DmaClient): void;
  /** Move `len` bytes between `buf` and the PRD regions (toMemory: device-to-memory). */
  transfer(buf: Uint8Array, len: number, toMemory: boolean): number;
  /** The drive's DMA command is over; `ok` with PRD bytes left keeps Active set, as the PIIX does. */
  release(client: DmaClient, ok: boolean): void;
}

export interface DmaClient {
  dmaStart(): void;
}

/** What a drive needs from its channel. */
export interface AtaDriveHost {
  /** The drive asserts INTRQ (the channel applies nIEN and the bus-master interrupt bit). */
  interrupt(): void;
  readonly dma: DmaEngine;
}

export interface AtaDriveConfig {
  disk: BlockDevice;
  /** Up to 20 characters. */
  serial: string;
  /** Up to 40 characters. */
  model?: string;
  /** Up to 8 characters. */
  firmware?: string;
  /** 0 = master (device 0), 1 = slave (device 1): only word 93 (reset results) depends on it. */
  unit?: 0 | 1;
}

export const ATA_DEFAULT_MODEL = 'ODTAB HARDDISK';
export const ATA_DEFAULT_FIRMWARE = '1.0';

// What the drive is doing between the command write and its completion.
const P_IDLE = 0;
const P_NODATA = 1; // a non-data command (or IDENTIFY) finishes when the timer fires
const P_PIO_READ = 2; // reading the next PIO block from the disk
const P_PIO_WRITE = 3; // writing the PIO block the guest sent
const P_DMA_READ = 4; // reading a DMA chunk from the disk
const P_DMA_WRITE = 5; // writing a DMA chunk to the disk
const P_DMA_RESUME = 6; // the engine (re)started: move data
const P_FLUSH = 7;
const P_FAIL = 8; // report `failError` when the timer fires
const P_WRITE_FLUSH = 9; // write cache off: the written block must be durable before completion

// Direction of the data register while DRQ is set.
const PIO_NONE = 0;
const PIO_IN = 1; // device to host
const PIO_OUT = 2; // host to device

// Power modes (CHECK POWER MODE answers).
const POWER_ACTIVE = 0xff;
const POWER_STANDBY = 0x00;

const DEFAULT_XFER_MODE = 0x45; // UDMA5 selected, as QEMU's drives come up

export class AtaDrive implements DmaClient {
  readonly disk: BlockDevice;
  /** Logical geometry from power-on (IDENTIFY words 1, 3, 6). */
  readonly cylinders: number;
  readonly heads: number;
  readonly sectorsPerTrack: number;

  // Task-file registers (current and previous contents for LBA48's high-order bytes).
  feature = 0;
  nsect = 0;
  lbal = 0;
  lbam = 0;
  lbah = 0;
  hobFeature = 0;
  hobNsect = 0;
  hobLbal = 0;
  hobLbam = 0;
  hobLbah = 0;
  device = 0;
  status = STATUS_READY;
  error = 0x01;

  // Settings (SET MULTIPLE MODE, INITIALIZE DEVICE PARAMETERS, SET FEATURES).
  multiple = ATA_MAX_MULTIPLE;
  private curHeads: number;
  private curSectors: number;
  private xferMode = DEFAULT_XFER_MODE;
  private writeCache = true;
  private revertOnReset = true;
  private power = POWER_ACTIVE;

  // The command in progress.
  private phase = P_IDLE;
  private command = 0;
  private lba48 = false;
  /** Sector the next block or chunk starts at, and sectors still to go. */
  private lba = 0;
  private remaining = 0;
  /** Sectors per PIO block (1, or the multiple count) and in the block or chunk under way. */
  private blockSectors = 1;
  private pieceSectors = 0;
  private dmaWrite = false;
  /** The DMA data for this chunk is ready but the engine is stopped: wait for dmaStart. */
  private dmaParked = false;
  /** This drive's DMA command holds the channel's engine. */
  private dmaOwner = false;
  private failError = 0;

  private pio = PIO_NONE;
  private dataPos = 0;
  private dataEnd = 0;
  private buf = new Uint8Array(BUFFER_BYTES);

  /** A phase completes when both the modelled time and the backend request are over. */
  private readonly timer: Timer;
  private timerDue = false;
  private ioDue = false;
  private ioError: Error | undefined = undefined;
  /** Bumped when a reset abandons the command: late backend answers are then ignored. */
  private generation = 0;

  private readonly identifyWords = new Uint16Array(256);
  private readonly ioDoneFor = (gen: number) => (err?: Error) => {
    if (gen === this.generation) this.ioDone(err);
  };

  constructor(
    private readonly host: AtaDriveHost,
    clock: Clock,
    config: AtaDriveConfig,
  ) {
    this.disk = config.disk;
    this.timer = clock.createTimer(() => this.timerFired());
    // QEMU's guess for a disk without a partition table to go by: 16 heads, 63 sectors.
    const cyl = Math.floor(this.disk.sectors / (16 * 63));
    this.cylinders = Math.max(2, Math.min(16383, cyl));
    this.heads = 16;
    this.sectorsPerTrack = 63;
    this.curHeads = this.heads;
    this.curSectors = this.sectorsPerTrack;
    this.buildIdentify(config);
    this.setSignature();
  }

  get busy(): boolean {
    return (this.status & (ATA_BSY | ATA_DRQ)) !== 0;
  }

  // ---------------------------------------------------------------- registers

  /** Register 1..6 as the host reads it (`hob`: Device Control HOB set). */
  readRegister(reg: number, hob: boolean): number {
    switch (reg) {
      case 1:
        return hob ? this.hobFeature : this.error;
      case 2:
        return hob ? this.hobNsect : this.nsect & 0xff;
      case 3:
        return hob ? this.hobLbal : this.lbal;
      case 4:
        return hob ? this.hobLbam : this.lbam;
      case 5:
        return hob ? this.hobLbah : this.lbah;
      case 6:
        return this.device;
      default:
        return this.status;
    }
  }

  /** Register 1..6 written by the host (the channel sends it to both devices). */
  writeRegister(reg: number, value: number): void {
    value &= 0xff;
    switch (reg) {
      case 1:
        this.hobFeature = this.feature;
        this.feature = value;
        break;
      case 2:
        this.hobNsect = this.nsect & 0xff;
        this.nsect = value;
        break;
      case 3:
        this.hobLbal = this.lbal;
        this.lbal = value;
        break;
      case 4:
        this.hobLbam = this.lbam;
        this.lbam = value;
        break;
      case 5:
        this.hobLbah = this.lbah;
        this.lbah = value;
        break;
      case 6:
        this.device = value;
        break;
    }
  }

  // ---------------------------------------------------------------- data register

  readData(size: 1 | 2 | 4): number {
    if (this.pio !== PIO_IN || (this.status & ATA_DRQ) === 0 || size === 1) return 0;
    const p = this.dataPos;
    if (p + size > this.dataEnd) return 0;
    const b = this.buf;
    let v = b[p]! | (b[p + 1]! << 8);
    if (size === 4) v = (v | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
    this.dataPos = p + size;
    if (this.dataPos >= this.dataEnd) this.pioBlockRead();
    return v;
  }

  writeData(size: 1 | 2 | 4, value: number): void {
    if (this.pio !== PIO_OUT || (this.status & ATA_DRQ) === 0 || size === 1) return;
    const p = this.dataPos;
    if (p + size > this.dataEnd) return;
    const b = this.buf;
    b[p] = value;
    b[p + 1] = value >>> 8;
    if (size === 4) {
      b[p + 2] = value >>> 16;
      b[p + 3] = value >>> 24;
    }
    this.dataPos = p + size;
    if (this.dataPos >= this.dataEnd) this.pioBlockWritten();
  }

  // ---------------------------------------------------------------- commands

  /** A command written to this drive's Command register (the channel has checked BSY/DRQ). */
  execute(cmd: number): void {
    this.command = cmd;
    this.error = 0;
    if (cmd !== 0xe5 && cmd !== 0x98) this.power = POWER_ACTIVE;
    switch (cmd) {
      case 0x20: // READ SECTORS
      case 0x21: // READ SECTORS without retries
        return this.startPioRead(false, 1);
      case 0x24: // READ SECTORS EXT
        return this.startPioRead(true, 1);
      case 0xc4: // READ MULTIPLE
        return this.startPioRead(false, this.multiple);
      case 0x29: // READ MULTIPLE EXT
        return this.startPioRead(true, this.multiple);
      case 0x30: // WRITE SECTORS
      case 0x31: // WRITE SECTORS without retries
        return this.startPioWrite(false, 1);
      case 0x34: // WRITE SECTORS EXT
        return this.startPioWrite(true, 1);
      case 0xc5: // WRITE MULTIPLE
        return this.startPioWrite(false, this.multiple);
      case 0x39: // WRITE MULTIPLE EXT
        return this.startPioWrite(true, this.multiple);
      case 0xc8: // READ DMA
      case 0xc9: // READ DMA without retries
        return this.startDma(false, false);
      case 0x25: // READ DMA EXT
        return this.startDma(true, false);
      case 0xca: // WRITE DMA
      case 0xcb: // WRITE DMA without retries
        return this.startDma(false, true);
      case 0x35: // WRITE DMA EXT
        return this.startDma(true, true);
      case 0xe7: // FLUSH CACHE
      case 0xea: // FLUSH CACHE EXT
        this.status = STATUS_BUSY;
        this.phase = P_FLUSH;
        return this.flushDisk(COMMAND_NS);
      default:
        this.status = STATUS_BUSY;
        this.phase = P_NODATA;
        this.beginWait(COMMAND_NS, false);
    }
  }

  /** The part of a non-data command that happens when the drive finishes it. */
  private finishNoData(): void {
    const cmd = this.command;
    switch (cmd) {
      case 0xec: // IDENTIFY DEVICE
        this.fillIdentify();
        this.startDataIn(SECTOR_SIZE);
        this.host.interrupt();
        return;
      case 0xc6: // SET MULTIPLE MODE: a power of two up to the maximum; 0 turns multiple off
        {
          const n = this.nsect & 0xff;
          if (n > ATA_MAX_MULTIPLE || (n & (n - 1)) !== 0) return this.fail(ATA_ABRT);
          this.multiple = n;
        }
        break;
      case 0x91: // INITIALIZE DEVICE PARAMETERS: logical heads and sectors per track for CHS
        {
          const spt = this.nsect & 0xff;
          if (spt === 0) return this.fail(ATA_ABRT);
          this.curHeads = (this.device & 0x0f) + 1;
          this.curSectors = spt;
        }
        break;
      case 0xef:
        if (!this.setFeatures()) return this.fail(ATA_ABRT);
        if (this.phase === P_FLUSH) return; // write cache turned off: flushing first
        break;
      case 0xf8: // READ NATIVE MAX ADDRESS
      case 0x27: // READ NATIVE MAX ADDRESS EXT
        this.lba48 = cmd === 0x27;
        this.device |= ATA_DEV_LBA;
        this.setPosition(Math.max(0, this.disk.sectors - 1));
        break;
      case 0x40: // READ VERIFY SECTORS
      case 0x41:
      case 0x42: // READ VERIFY SECTORS EXT
        this.lba48 = cmd === 0x42;
        {
          const count = this.takeCount();
          const start = this.position();
          if (start < 0 || start + count > this.disk.sectors) return this.fail(ATA_IDNF);
        }
        break;
      case 0x70: // SEEK
        this.lba48 = false;
        if (this.position() < 0 || this.position() >= this.disk.sectors) return this.fail(ATA_IDNF);
        break;
      case 0xe0: // STANDBY IMMEDIATE
      case 0x94:
      case 0xe2: // STANDBY
      case 0x96:
      case 0xe6: // SLEEP: answered like STANDBY; the next command wakes the disk
      case 0x99:
        this.power = POWER_STANDBY;
        break;
      case 0xe1: // IDLE IMMEDIATE
      case 0x95:
      case 0xe3: // IDLE
      case 0x97:
        break;
      case 0xe5: // CHECK POWER MODE
      case 0x98:
        this.nsect = this.power;
        break;
      default:
        if (cmd >= 0x10 && cmd <= 0x1f) break; // RECALIBRATE
        // Everything else, including NOP, DEVICE RESET, PACKET and IDENTIFY PACKET DEVICE
        // (this is not a packet device), SMART and security: command aborted.
        return this.fail(ATA_ABRT);
    }
    this.complete();
  }

  /** SET FEATURES; false aborts the command. */
  private setFeatures(): boolean {
    switch (this.feature) {
      case 0x03: {
        // Set transfer mode: PIO default/0..4, multiword DMA 0..2, Ultra DMA 0..5.
        const v = this.nsect & 0xff;
        const mode = v & 7;
        if (v === 0x00 || v === 0x01 || (v >> 3 === 1 && mode <= 4) || (v >> 3 === 4 && mode <= 2) || (v >> 3 === 8 && mode <= 5)) {
          this.xferMode = v;
          return true;
        }
        return false;
      }
      case 0x02: // enable write cache
        this.writeCache = true;
        return true;
      case 0x82: // disable write cache: what is cached must reach the disk first
        this.writeCache = false;
        this.phase = P_FLUSH;
        this.flushDisk(0);
        return true;
      case 0x66: // keep settings over a software reset
        this.revertOnReset = false;
        return true;
      case 0xcc: // revert to power-on defaults on software reset
        this.revertOnReset = true;
        return true;
      case 0xaa: // read look-ahead on/off: nothing to model
      case 0x55:
        return true;
      default:
        return false;
    }
  }

  private startPioRead(lba48: boolean, perBlock: number): void {
    if (perBlock === 0) return this.failLater(ATA_ABRT); // READ MULTIPLE with multiple mode off
    if (!this.startTransfer(lba48)) return;
    this.blockSectors = perBlock;
    this.readPioBlock();
  }

  private startPioWrite(lba48: boolean, perBlock: number): void {
    if (perBlock === 0) return this.failLater(ATA_ABRT);
    if (this.disk.readOnly) return this.failLater(ATA_ABRT);
    if (!this.startTransfer(lba48)) return;
    this.blockSectors = perBlock;
    // The first block is asked for at once, without an interrupt (PIO data-out protocol).
    this.pieceSectors = Math.min(this.remaining, perBlock);
    this.startDataOut(this.pieceSectors * SECTOR_SIZE);
  }

  private startDma(lba48: boolean, write: boolean): void {
    if (write && this.disk.readOnly) return this.failLater(ATA_ABRT);
    if (!this.startTransfer(lba48)) return;
    this.dmaWrite = write;
    this.status = STATUS_BUSY;
    this.dmaOwner = true;
    // A read starts on the media at once, while the host starts the engine; a write waits for it.
    this.dmaParked = write;
    if (!write) this.readDmaChunk();
    this.host.dma.claim(this);
  }

  private releaseDma(ok: boolean): void {
    if (!this.dmaOwner) return;
    this.dmaOwner = false;
    this.host.dma.release(this, ok);
  }

  /** Latch the count and start sector of a read/write command; false if it already failed. */
  private startTransfer(lba48: boolean): boolean {
    this.lba48 = lba48;
    this.remaining = this.takeCount();
    this.lba = this.position();
    if (this.lba < 0 || this.lba + this.remaining > this.disk.sectors) {
      this.failLater(ATA_IDNF);
      return false;
    }
    return true;
  }

  /** Sector count of the command: 0 means 256 (LBA28) or 65536 (LBA48). */
  private takeCount(): number {
    if (!this.lba48) return this.nsect & 0xff || 256;
    const n = ((this.hobNsect & 0xff) << 8) | (this.nsect & 0xff);
    return n || 65536;
  }

  /** Sector addressed by the task file, or -1 for a CHS address that names no sector. */
  private position(): number {
    if (this.device & ATA_DEV_LBA) {
      if (this.lba48) {
        return (
          (this.hobLbah * 2 ** 40 + this.hobLbam * 2 ** 32 + this.hobLbal * 2 ** 24) +
          ((this.lbah << 16) | (this.lbam << 8) | this.lbal)
        );
      }
      return ((this.device & 0x0f) * 2 ** 24) + ((this.lbah << 16) | (this.lbam << 8) | this.lbal);
    }
    const cyl = (this.lbah << 8) | this.lbam;
    const head = this.device & 0x0f;
    const sector = this.lbal;
    if (sector === 0 || sector > this.curSectors || head >= this.curHeads) return -1;
    return (cyl * this.curHeads + head) * this.curSectors + sector - 1;
  }

  /** Point the task file at sector `s` (the next one after a transfer, or the native max). */
  private setPosition(s: number): void {
    if (this.device & ATA_DEV_LBA) {
      const low = s % 2 ** 24;
      const high = Math.floor(s / 2 ** 24);
      this.lbal = low & 0xff;
      this.lbam = (low >>> 8) & 0xff;
      this.lbah = (low >>> 16) & 0xff;
      if (this.lba48) {
        this.hobLbal = high & 0xff;
        this.hobLbam = (high >>> 8) & 0xff;
        this.hobLbah = (high >>> 16) & 0xff;
      } else {
        this.device = (this.device & 0xf0) | (high & 0x0f);
      }
      return;
    }
    const perCyl = this.curHeads * this.curSectors;
    const cyl = Math.floor(s / perCyl);
    const r = s % perCyl;
    this.lbah = (cyl >>> 8) & 0xff;
    this.lbam = cyl & 0xff;
    this.device = (this.device & 0xf0) | Math.floor(r / this.curSectors);
    this.lbal = (r % this.curSectors) + 1;
  }

  /** After a block or chunk of `n` sectors: registers advance past it. */
  private advance(n: number): void {
    this.lba += n;
    this.remaining -= n;
    this.nsect = this.remaining & 0xff;
    this.setPosition(this.lba);
  }

  // ---------------------------------------------------------------- PIO

  private readPioBlock(): void {
    const n = Math.min(this.remaining, this.blockSectors);
    this.pieceSectors = n;
    this.status = STATUS_BUSY;
    this.pio = PIO_NONE;
    this.phase = P_PIO_READ;
    this.beginWait(COMMAND_NS + n * SECTOR_NS, true);
    this.diskRead(this.lba, n);
  }

  /** The guest has read the whole PIO block. */
  private pioBlockRead(): void {
    this.status &= ~ATA_DRQ;
    this.pio = PIO_NONE;
    if (this.phase === P_PIO_READ && this.remaining > 0) {
      this.readPioBlock();
      return;
    }
    // IDENTIFY, or the last block of a read: done, without an interrupt.
    this.phase = P_IDLE;
    this.status = STATUS_READY;
  }

  /** The guest has written the whole PIO block. */
  private pioBlockWritten(): void {
    this.pio = PIO_NONE;
    this.status = STATUS_BUSY;
    this.phase = P_PIO_WRITE;
    const n = this.pieceSectors;
    this.beginWait(COMMAND_NS + n * SECTOR_NS, true);
    this.diskWrite(this.lba, n);
  }

  private startDataIn(bytes: number): void {
    this.dataPos = 0;
    this.dataEnd = bytes;
    this.pio = PIO_IN;
    this.status = STATUS_DATA;
  }

  private startDataOut(bytes: number): void {
    this.dataPos = 0;
    this.dataEnd = bytes;
    this.pio = PIO_OUT;
    this.status = STATUS_DATA;
  }

  // ---------------------------------------------------------------- DMA

  private readDmaChunk(): void {
    const n = Math.min(this.remaining, DMA_CHUNK_SECTORS);
    this.pieceSectors = n;
    this.phase = P_DMA_READ;
    this.beginWait(COMMAND_NS + n * SECTOR_NS, true);
    this.diskRead(this.lba, n);
  }

  /** Engine started (or restarted after a stop): move what is waiting. */
  dmaStart(): void {
    if (!this.dmaParked) return;
    this.dmaParked = false;
    this.phase = P_DMA_RESUME;
    this.beginWait(DMA_START_NS, false);
  }

  private dmaToMemory(): void {
    const dma = this.host.dma;
    if (!dma.active) {
      this.dmaParked = true;
      return;
    }
    const n = this.pieceSectors;
    const r = dma.transfer(this.buf, n * SECTOR_SIZE, true);
    if (r !== DMA_DONE) return this.dmaStopped(r);
    this.advance(n);
    if (this.remaining > 0) this.readDmaChunk();
    else this.dmaComplete();
  }

  private dmaFromMemory(): void {
    const dma = this.host.dma;
    if (!dma.active) {
      this.dmaParked = true;
      return;
    }
    const n = Math.min(this.remaining, DMA_CHUNK_SECTORS);
    this.pieceSectors = n;
    const r = dma.transfer(this.buf, n * SECTOR_SIZE, false);
    if (r !== DMA_DONE) return this.dmaStopped(r);
    this.phase = P_DMA_WRITE;
    this.beginWait(COMMAND_NS + n * SECTOR_NS, true);
    this.diskWrite(this.lba, n);
  }

  /** The engine ran out of PRDs or could not reach memory. */
  private dmaStopped(result: number): void {
    if (result === DMA_FAULT) {
      this.fail(ATA_ABRT);
      return;
    }
    // PRD table too short: as QEMU, the command ends without error and without an interrupt;
    // the host notices by its timeout.
    this.releaseDma(false);
    this.phase = P_IDLE;
    this.status = STATUS_READY;
  }

  private dmaComplete(): void {
    this.phase = P_IDLE;
    this.status = STATUS_READY;
    this.host.interrupt();
    this.releaseDma(true);
  }

  // ---------------------------------------------------------------- completion

  private beginWait(ns: number, withIo: boolean): void {
    this.timerDue = true;
    this.ioDue = withIo;
    this.ioError = undefined;
    this.timer.armAfterNs(ns);
  }

  private diskRead(lba: number, n: number): void {
    const done = this.ioDoneFor(this.generation);
    try {
      this.disk.read(lba, n, this.buf, done);
    } catch (e) {
      done(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private diskWrite(lba: number, n: number): void {
    const done = this.ioDoneFor(this.generation);
    try {
      this.disk.write(lba, n, this.buf, done);
    } catch (e) {
      done(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private flushDisk(ns: number): void {
    this.beginWait(ns, true);
    const done = this.ioDoneFor(this.generation);
    try {
      this.disk.flush(done);
    } catch (e) {
      done(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private ioDone(err?: Error): void {
    if (!this.ioDue) return; // a backend that answered twice
    this.ioDue = false;
    this.ioError = err;
    if (!this.timerDue) this.proceed();
  }

  private timerFired(): void {
    if (!this.timerDue) return;
    this.timerDue = false;
    if (!this.ioDue) this.proceed();
  }

  /** Both the modelled time and the backend request of the current phase are over. */
  private proceed(): void {
    const err = this.ioError;
    this.ioError = undefined;
    switch (this.phase) {
      case P_NODATA:
        return this.finishNoData();
      case P_FAIL:
        return this.fail(this.failError);
      case P_FLUSH:
        if (err) return this.fail(ATA_ABRT);
        return this.complete();
      case P_PIO_READ:
        if (err) return this.fail(ATA_ABRT);
        this.advance(this.pieceSectors);
        this.startDataIn(this.pieceSectors * SECTOR_SIZE);
        this.host.interrupt();
        return;
      case P_PIO_WRITE:
      case P_DMA_WRITE:
        if (err) return this.fail(ATA_ABRT);
        if (!this.writeCache) {
          // Write-through: the block is only done once the disk says it is durable.
          this.writePhase = this.phase;
          this.phase = P_WRITE_FLUSH;
          return this.flushDisk(0);
        }
        return this.written(this.phase);
      case P_WRITE_FLUSH:
        if (err) return this.fail(ATA_ABRT);
        return this.written(this.writePhase);
      case P_DMA_READ:
        if (err) return this.fail(ATA_ABRT);
        return this.dmaToMemory();
      case P_DMA_RESUME:
        return this.dmaWrite ? this.dmaFromMemory() : this.dmaToMemory();
    }
  }

  private writePhase = P_PIO_WRITE;

  private written(phase: number): void {
    this.advance(this.pieceSectors);
    if (phase === P_PIO_WRITE) {
      if (this.remaining > 0) {
        this.phase = P_PIO_WRITE;
        this.pieceSectors = Math.min(this.remaining, this.blockSectors);
        this.startDataOut(this.pieceSectors * SECTOR_SIZE);
        this.host.interrupt();
      } else {
        this.complete();
      }
      return;
    }
    if (this.remaining > 0) this.dmaFromMemory();
    else this.dmaComplete();
  }

  private complete(): void {
    this.phase = P_IDLE;
    this.pio = PIO_NONE;
    this.status = STATUS_READY;
    this.host.interrupt();
  }

  /** End the command with ERR and `err` in the Error register, raising INTRQ. */
  private fail(err: number): void {
    this.phase = P_IDLE;
    this.pio = PIO_NONE;
    this.error = err;
    this.status = STATUS_FAILED;
    this.host.interrupt();
    this.releaseDma(false);
  }

  /** Refuse the command after the usual command time (no data phase happens). */
  private failLater(err: number): void {
    this.failError = err;
    this.status = STATUS_BUSY;
    this.phase = P_FAIL;
    this.beginWait(COMMAND_NS, false);
  }

  // ---------------------------------------------------------------- reset and diagnostics

  /** SRST asserted: abandon the command; the drive is busy until reset ends. */
  resetBegin(): void {
    this.abandon();
    this.status = ATA_BSY;
  }

  /** SRST released and the drive's reset is over: power-on settings (unless kept) and signature. */
  resetEnd(): void {
    if (this.revertOnReset) {
      this.multiple = ATA_MAX_MULTIPLE;
      this.xferMode = DEFAULT_XFER_MODE;
      this.writeCache = true;
      this.curHeads = this.heads;
      this.curSectors = this.sectorsPerTrack;
    }
    this.setSignature();
    this.status = STATUS_READY;
  }

  /** EXECUTE DEVICE DIAGNOSTIC started on the channel. */
  diagnosticBegin(): void {
    this.abandon();
    this.status = STATUS_BUSY;
  }

  /** Diagnostics passed: signature and Error = 01h. */
  diagnosticEnd(): void {
    this.setSignature();
    this.status = STATUS_READY;
  }

  private abandon(): void {
    if (this.timerDue || this.ioDue || this.phase !== P_IDLE) {
      this.generation++;
      // A backend still working on the old request may yet read or fill this buffer.
      if (this.ioDue) this.buf = new Uint8Array(BUFFER_BYTES);
    }
    this.timer.cancel();
    this.timerDue = false;
    this.ioDue = false;
    this.phase = P_IDLE;
    this.pio = PIO_NONE;
    this.dmaParked = false;
    this.releaseDma(false);
  }

  /** ATA device signature after reset or diagnostics; Error 01h = device 0 (and 1) passed. */
  private setSignature(): void {
    this.nsect = 1;
    this.lbal = 1;
    this.lbam = 0;
    this.lbah = 0;
    this.hobNsect = this.hobLbal = this.hobLbam = this.hobLbah = this.hobFeature = 0;
    this.device = 0;
    this.error = 0x01;
  }

  // ---------------------------------------------------------------- IDENTIFY DEVICE

  private buildIdentify(config: AtaDriveConfig): void {
    const w = this.identifyWords;
    const total = this.disk.sectors;
    w[0] = 0x0040; // fixed (non-removable) ATA device
    w[1] = this.cylinders;
    w[2] = 0xc837; // no SET FEATURES spin-up needed, IDENTIFY data complete
    w[3] = this.heads;
    w[6] = this.sectorsPerTrack;
    putString(w, 10, 20, config.serial);
    putString(w, 23, 8, config.firmware ?? ATA_DEFAULT_FIRMWARE);
    putString(w, 27, 40, config.model ?? ATA_DEFAULT_MODEL);
    w[47] = 0x8000 | ATA_MAX_MULTIPLE;
    w[49] = (1 << 11) | (1 << 9) | (1 << 8); // IORDY, LBA, DMA
    w[50] = 0x4000;
    w[53] = 0x0007; // words 54-58, 64-70 and 88 are valid
    const lba28 = Math.min(total, 0x0fffffff);
    w[60] = lba28 & 0xffff;
    w[61] = lba28 >>> 16;
    w[64] = 0x0003; // PIO 3 and 4
    w[65] = 120; // multiword DMA cycle times (ns)
    w[66] = 120;
    w[67] = 120; // PIO cycle times
    w[68] = 120;
    w[80] = 0x00f0; // ATA-4 to ATA-7
    w[82] = 1 << 5; // write cache
    w[83] = (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10); // FLUSH CACHE EXT, FLUSH CACHE, LBA48
    w[84] = 1 << 14;
    w[86] = (1 << 13) | (1 << 12) | (1 << 10);
    w[87] = 1 << 14;
    // Reset results: diagnostics passed, device number set by jumper, 80-conductor cable.
    w[93] = (config.unit ?? 0) === 0 ? 0x600b : 0x6300;
    for (let i = 0; i < 4; i++) w[100 + i] = Math.floor(total / 2 ** (16 * i)) & 0xffff;
  }

  /** IDENTIFY data with the current settings, checksummed, into the data buffer. */
  private fillIdentify(): void {
    const w = this.identifyWords;
    const curCyl = Math.min(65535, Math.floor(Math.min(this.disk.sectors, 16514064) / (this.curHeads * this.curSectors)));
    const curCap = curCyl * this.curHeads * this.curSectors;
    w[54] = curCyl;
    w[55] = this.curHeads;
    w[56] = this.curSectors;
    w[57] = curCap & 0xffff;
    w[58] = curCap >>> 16;
    w[59] = 0x0100 | this.multiple;
    const mode = this.xferMode;
    w[63] = 0x0007 | (mode >> 3 === 4 ? 0x100 << (mode & 7) : 0);
    w[88] = 0x003f | (mode >> 3 === 8 ? 0x100 << (mode & 7) : 0);
    w[85] = (this.writeCache ? 1 << 5 : 0) | (1 << 14);
    // Word 255: signature A5h and a checksum making the 512 bytes sum to zero.
    w[255] = 0x00a5;
    let sum = 0;
    for (let i = 0; i < 255; i++) sum += (w[i]! & 0xff) + (w[i]! >>> 8);
    sum += 0xa5;
    w[255] = 0x00a5 | (((256 - (sum & 0xff)) & 0xff) << 8);
    const b = this.buf;
    for (let i = 0; i < 256; i++) {
      b[2 * i] = w[i]! & 0xff;
      b[2 * i + 1] = w[i]! >>> 8;
    }
  }
}

/** ATA string: two characters per word, the first in the high byte, padded with spaces. */
function putString(w: Uint16Array, word: number, chars: number, s: string): void {
  for (let i = 0; i < chars; i += 2) {
    const a = i < s.length ? s.charCodeAt(i) & 0x7f : 0x20;
    const b = i + 1 < s.length ? s.charCodeAt(i + 1) & 0x7f : 0x20;
    w[word + i / 2] = (a << 8) | b;
  }
}
