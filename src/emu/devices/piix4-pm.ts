/**
 * PIIX4 function 3, power management + SMBus (82371AB, 8086:7113). What Malta Linux needs from
 * it: the PM I/O block at PMBA (config 0x40, enabled by PMREGMISC 0x80 bit 0) whose PM1 control
 * register powers the board off (piix4-poweroff writes SUS_EN with SUS_TYP 0 = soft-off), the
 * ACPI PM timer, and an SMBus host at SMBBA (config 0x90, QEMU presets 0x1100) that answers as
 * an idle host with nothing on the bus.
 */
import type { Clock } from '../clock';
import type { AccessSize, IoDevice } from '../bus/types';
import { PCI_STATUS, PCI_STATUS_DEVSEL_MEDIUM, PCI_STATUS_FAST_BACK, PciFunction, type PciRegion } from './pci';

export const PM_TIMER_HZ = 3_579_545;

const PMBA = 0x40;
const PMREGMISC = 0x80;
const SMBBA = 0x90;
const SMBHSTCFG = 0xd2;

const PM_IO_SIZE = 64;
const SMB_IO_SIZE = 16;

// PM I/O register offsets.
const PMSTS = 0x00;
const PMCNTRL = 0x04;
const PMTMR = 0x08;
const GPSTS = 0x0c;
const P_LVL2 = 0x14;
const P_LVL3 = 0x15;
const GLBSTS = 0x18;
const DEVSTS = 0x1c;
const GPIREG = 0x30;

/** PMCNTRL high byte: SUS_EN (bit 13) and SUS_TYP (bits 12:10). */
const SUS_EN_HI = 0x20;
/** PMCNTRL low byte: GBL_RLS (bit 2) is a write-only strobe. */
const GBL_RLS = 0x04;
const TMROF_STS = 0x01;
const TMR_OVERFLOW_TICKS = 0x800000; // bit 23 toggles

// SMBus host registers.
const SMBHSTSTS = 0x0;
const SMBHSTCNT = 0x2;
const SMB_START = 0x40;
const SMB_DEV_ERR = 0x04;

export interface Piix4PmOptions {
  clock: Clock;
  /** The guest asked for soft-off (PM1 control SUS_EN with SUS_TYP 0). */
  onPowerOff: () => void;
}

/** ACPI-style PM register block (64 bytes at PMBA). */
export class PmRegisters implements IoDevice {
  private readonly b = new Uint8Array(PM_IO_SIZE);
  /** Timer-overflow periods already acknowledged by clearing TMROF_STS. */
  private overflowAcked = 0;

  constructor(
    private readonly clock: Clock,
    private readonly onPowerOff: () => void,
  ) {}

  /** PM timer ticks since power-up, exact for any cycle count a run can reach. */
  ticks(): number {
    const hz = this.clock.hz;
    const c = this.clock.cycles;
    const secs = Math.floor(c / hz);
    return secs * PM_TIMER_HZ + Math.floor(((c - secs * hz) * PM_TIMER_HZ) / hz);
  }

  read(offset: number, size: AccessSize): number {
    // The timer is sampled once per access so a 32-bit read is coherent.
    const t = offset < PMTMR + 4 && offset + size > PMTMR ? this.ticks() : 0;
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.readByte((offset + i) & (PM_IO_SIZE - 1), t) << (8 * i);
    return v >>> 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size; i++) this.writeByte((offset + i) & (PM_IO_SIZE - 1), (value >>> (8 * i)) & 0xff);
  }

  private readByte(a: number, ticks: number): number {
    if (a >= PMTMR && a < PMTMR + 4) {
      return a === PMTMR + 3 ? 0 : Math.floor((ticks % 0x1000000) / 2 ** (8 * (a - PMTMR))) & 0xff;
    }
    if (a === PMSTS) {
      // TMROF_STS is derived lazily: set once bit 23 of the timer toggled since the last clear.
      const overflowed = Math.floor(this.ticks() / TMR_OVERFLOW_TICKS) > this.overflowAcked;
      return this.b[a]! | (overflowed ? TMROF_STS : 0);
    }
    // Reading the C-state levels would put the CPU to sleep; nothing to emulate, reads 0.
    if (a === P_LVL2 || a === P_LVL3) return 0;
    return this.b[a]!;
  }

  private writeByte(a: number, v: number): void {
    if (a >= PMTMR && a < PMTMR + 4) return;
    if (a >= GPIREG && a < GPIREG + 3) return; // input pins
    if (a === PMSTS) {
      if (v & TMROF_STS) this.overflowAcked = Math.floor(this.ticks() / TMR_OVERFLOW_TICKS);
      this.b[a] = this.b[a]! & ~v;
      return;
    }
    if (a === PMSTS + 1 || a === GPSTS || a === GPSTS + 1 || a === GLBSTS || a === GLBSTS + 1 || (a >= DEVSTS && a < DEVSTS + 4)) {
      this.b[a] = this.b[a]! & ~v; // status registers are write-1-to-clear
      return;
    }
    if (a === PMCNTRL) {
      this.b[a] = v & ~GBL_RLS;
      return;
    }
    if (a === PMCNTRL + 1) {
      this.b[a] = v & ~SUS_EN_HI; // SUS_EN is a write-only trigger
      if (v & SUS_EN_HI && ((v >> 2) & 7) === 0) this.onPowerOff();
      return;
    }
    this.b[a] = v;
  }

  /** Inject a status event (e.g. PWRBTN_STS = bit 8) as the hardware would latch it. */
  latchStatus(bits: number): void {
    this.b[PMSTS] = this.b[PMSTS]! | (bits & 0xff);
    this.b[PMSTS + 1] = this.b[PMSTS + 1]! | ((bits >>> 8) & 0xff);
  }
}

/** SMBus host controller with no devices: every transaction ends in a device error. */
export class SmbusHost implements IoDevice {
  private readonly b = new Uint8Array(SMB_IO_SIZE);

  read(offset: number, size: AccessSize): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.b[(offset + i) & (SMB_IO_SIZE - 1)]! << (8 * i);
    return v >>> 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size; i++) {
      const a = (offset + i) & (SMB_IO_SIZE - 1);
      const v = (value >>> (8 * i)) & 0xff;
      if (a === SMBHSTSTS) {
        this.b[a] = this.b[a]! & ~v;
      } else if (a === SMBHSTCNT) {
        this.b[a] = v & ~SMB_START;
        if (v & SMB_START) this.b[SMBHSTSTS] = this.b[SMBHSTSTS]! | SMB_DEV_ERR;
      } else {
        this.b[a] = v;
      }
    }
  }
}

export class Piix4Pm extends PciFunction {
  readonly pmIo: PmRegisters;
  readonly smbusIo = new SmbusHost();
  private readonly pmRegion: PciRegion;
  private readonly smbRegion: PciRegion;

  constructor(opts: Piix4PmOptions) {
    super({ vendorId: 0x8086, deviceId: 0x7113, revision: 0x03, classCode: 0x068000, interruptPin: 1 });
    this.set16(PCI_STATUS, PCI_STATUS_FAST_BACK | PCI_STATUS_DEVSEL_MEDIUM);
    this.pmIo = new PmRegisters(opts.clock, opts.onPowerOff);

    // PMBA: bit 0 hardwired 1 (I/O space), bits 15:6 base of the 64-byte block.
    this.set32(PMBA, 0x00000001);
    this.setWriteMask(PMBA, 4, 0x0000ffc0);
    this.config[PMREGMISC] = 0;
    this.setWriteMask(PMREGMISC, 1, 0x01);
    // SMBBA: QEMU presets 0x1100 with the host enabled (SMBHSTCFG bit 0).
    this.set32(SMBBA, 0x00001101);
    this.setWriteMask(SMBBA, 4, 0x0000fff0);
    this.config[SMBHSTCFG] = 0x09;
    this.setWriteMask(SMBHSTCFG, 1, 0x0f);
    // QEMU's values: SMM marked initialised; device-decode enables for the super-I/O ports.
    this.config[0x5b] = 0x02;
    this.config[0x5f] = 0x90;
    this.config[0x63] = 0x60;
    this.config[0x67] = 0x98;

    this.pmRegion = this.addRegion('io', PM_IO_SIZE, this.pmIo);
    this.smbRegion = this.addRegion('io', SMB_IO_SIZE, this.smbusIo);
    this.updatePm();
    this.updateSmbus();
  }

  /** Current PM I/O base, or null while PMREGMISC leaves it disabled. */
  pmBase(): number | null {
    return this.pmRegion.addr;
  }

  smbusBase(): number | null {
    return this.smbRegion.addr;
  }

  /** Latch a PM1 status event such as the power button (bit 8). No SCI is raised (unused on Malta). */
  latchPm1Status(bits: number): void {
    this.pmIo.latchStatus(bits);
  }

  protected override afterConfigWrite(reg: number, size: AccessSize): void {
    if (PciFunction.rangesOverlap(reg, size, PMBA, 4) || PciFunction.rangesOverlap(reg, size, PMREGMISC, 1)) this.updatePm();
    if (PciFunction.rangesOverlap(reg, size, SMBBA, 4) || PciFunction.rangesOverlap(reg, size, SMBHSTCFG, 1)) this.updateSmbus();
  }

  private updatePm(): void {
    const base = this.get16(PMBA) & 0xffc0;
    // A base of 0 would shadow the DMA controller and PIC; treat it as not yet programmed.
    this.placeRegion(this.pmRegion, this.config[PMREGMISC]! & 1 && base !== 0 ? base : null);
  }

  private updateSmbus(): void {
    const base = this.get16(SMBBA) & 0xfff0;
    this.placeRegion(this.smbRegion, this.config[SMBHSTCFG]! & 1 && base !== 0 ? base : null);
  }
}
