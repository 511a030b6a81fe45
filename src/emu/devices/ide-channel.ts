import type { Clock, Timer } from '../clock';
import type { AccessSize, IoDevice, IrqSink } from '../bus/types';
import { ATA_BSY, ATA_DRQ, AtaDrive, type AtaDriveConfig, type AtaDriveHost } from './ata-drive';
import type { BusMasterChannel } from './ide-bmdma';

/*
 * One parallel ATA channel of the PIIX4 in legacy mode: the command block (8 ports at 0x1F0 or
 * 0x170: data, error/features, sector count, LBA low/mid/high, device, status/command), the
 * control block (one port at 0x3F6 or 0x376: alternate status / device control), up to two
 * drives and the INTRQ line to the 8259 (IRQ 14 or 15).
 *
 * Both drives latch every register write; reads and commands go to the drive selected by the
 * DEV bit. An absent device 1 reads as ATA says device 0 answers for it (status 00h, the other
 * registers device 0's), which Linux's ata_sff_dev_classify turns into "no device" without
 * sending it a command. A channel with no drive reads 00h everywhere, as QEMU's does.
 */

const CTL_NIEN = 0x02;
const CTL_SRST = 0x04;
const CTL_HOB = 0x80;

const CMD_EXECUTE_DIAGNOSTIC = 0x90;

/** How long drives stay busy after SRST is released (ATA allows up to 31 s; Linux polls after 150 ms). */
const RESET_NS = 2_000_000;
const DIAGNOSTIC_NS = 2_000;

export interface IdeChannelOptions {
  clock: Clock;
  /** INTRQ (the PIIX4 routes the legacy channels to ISA IRQ 14 and 15). */
  irq: IrqSink;
  /** This channel's bus-master engine. */
  dma: BusMasterChannel;
  master?: AtaDriveConfig | null;
  slave?: AtaDriveConfig | null;
}

export class IdeChannel implements IoDevice {
  readonly drives: [AtaDrive | null, AtaDrive | null];
  /** The control block (alternate status / device control), mapped at 0x3F6 or 0x376. */
  readonly control: IoDevice;
  /** Drive selected by the DEV bit of the last Device register write. */
  unit = 0;
  devctl = 0;
  /** INTRQ asserted by a drive and not yet acknowledged by a Status read or a command. */
  private pending = false;
  private line = false;
  private irq: IrqSink;
  private readonly dma: BusMasterChannel;
  private readonly resetTimer: Timer;
  private readonly diagTimer: Timer;

  constructor(opts: IdeChannelOptions) {
    this.irq = opts.irq;
    this.dma = opts.dma;
    const host: AtaDriveHost = { interrupt: () => this.driveInterrupt(), dma: opts.dma };
    const make = (cfg: AtaDriveConfig | null | undefined, unit: 0 | 1) =>
      cfg ? new AtaDrive(host, opts.clock, { ...cfg, unit }) : null;
    this.drives = [make(opts.master, 0), make(opts.slave, 1)];
    this.resetTimer = opts.clock.createTimer(() => this.resetDone());
    this.diagTimer = opts.clock.createTimer(() => this.diagnosticDone());
    this.control = {
      read: (_offset, _size) => this.alternateStatus(),
      write: (_offset, _size, value) => this.writeDeviceControl(value),
    };
  }

  /**
   * The board is rebuilt or switched off: abandon every command, so that a backend answering
   * later changes neither guest memory nor an interrupt line of the new board.
   */
  detach(): void {
    this.irq = () => {};
    this.resetTimer.cancel();
    this.diagTimer.cancel();
    this.drives[0]?.resetBegin();
    this.drives[1]?.resetBegin();
  }

  get irqLevel(): boolean {
    return this.line;
  }

  private get selected(): AtaDrive | null {
    return this.drives[this.unit];
  }

  // ---------------------------------------------------------------- command block

  read(offset: number, size: AccessSize): number {
    if (offset === 0) return this.selected?.readData(size) ?? 0;
    let v = 0;
    for (let i = 0; i < size && offset + i < 8; i++) v |= this.readRegister(offset + i) << (8 * i);
    return v >>> 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (offset === 0) {
      this.selected?.writeData(size, value);
      return;
    }
    for (let i = 0; i < size && offset + i < 8; i++) this.writeRegister(offset + i, (value >>> (8 * i)) & 0xff);
  }

  private readRegister(reg: number): number {
    if (reg === 7) {
      this.pending = false;
      this.updateLine();
    }
    const d = this.selected;
    if (d) return d.readRegister(reg, (this.devctl & CTL_HOB) !== 0);
    const other = this.drives[this.unit ^ 1];
    if (!other || reg === 7) return 0;
    return other.readRegister(reg, (this.devctl & CTL_HOB) !== 0);
  }

  private writeRegister(reg: number, value: number): void {
    const d = this.selected;
    if (reg === 7) {
      this.command(value);
      return;
    }
    // Writes to the command block are ignored while the drive answering for the selected
    // device is busy.
    const answering = d ?? this.drives[this.unit ^ 1];
    if (answering && (answering.status & (ATA_BSY | ATA_DRQ)) !== 0) return;
    this.devctl &= ~CTL_HOB;
    this.drives[0]?.writeRegister(reg, value);
    this.drives[1]?.writeRegister(reg, value);
    if (reg === 6) this.unit = (value >> 4) & 1;
  }

  private command(cmd: number): void {
    this.devctl &= ~CTL_HOB;
    this.pending = false;
    this.updateLine();
    const d = this.selected;
    if (cmd === CMD_EXECUTE_DIAGNOSTIC) {
      // Both devices run it; device 0 answers for the pair, even when device 1 was selected.
      if (this.drives.every((x) => !x || !x.busy) && (this.drives[0] || this.drives[1])) this.runDiagnostic();
      return;
    }
    // Commands to an absent device, or while the drive is busy, go nowhere.
    if (!d || d.busy) return;
    d.execute(cmd);
  }

  // ---------------------------------------------------------------- control block

  private alternateStatus(): number {
    const d = this.selected;
    return d ? d.status : 0;
  }

  private writeDeviceControl(value: number): void {
    const old = this.devctl;
    this.devctl = value & (CTL_HOB | CTL_SRST | CTL_NIEN);
    if (!(old & CTL_SRST) && value & CTL_SRST) {
      // Software reset: both drives drop what they do and stay busy until SRST is released.
      this.resetTimer.cancel();
      this.diagTimer.cancel();
      this.drives[0]?.resetBegin();
      this.drives[1]?.resetBegin();
      this.pending = false;
    } else if (old & CTL_SRST && !(value & CTL_SRST)) {
      this.resetTimer.armAfterNs(RESET_NS);
    }
    this.updateLine();
  }

  private resetDone(): void {
    this.unit = 0; // reset selects device 0
    this.drives[0]?.resetEnd();
    this.drives[1]?.resetEnd();
  }

  private runDiagnostic(): void {
    this.drives[0]?.diagnosticBegin();
    this.drives[1]?.diagnosticBegin();
    this.diagTimer.armAfterNs(DIAGNOSTIC_NS);
  }

  private diagnosticDone(): void {
    this.unit = 0;
    this.drives[0]?.diagnosticEnd();
    this.drives[1]?.diagnosticEnd();
    this.driveInterrupt();
  }

  // ---------------------------------------------------------------- INTRQ

  private driveInterrupt(): void {
    this.pending = true;
    // The PIIX's interrupt bit follows the INTRQ pin, which nIEN keeps low.
    if (!(this.devctl & CTL_NIEN)) this.dma.interrupt();
    this.updateLine();
  }

  private updateLine(): void {
    const level = this.pending && !(this.devctl & CTL_NIEN);
    if (level !== this.line) {
      this.line = level;
      this.irq(level);
    }
  }
}
