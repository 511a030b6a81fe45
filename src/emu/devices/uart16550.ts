import type { Clock, Timer } from '../clock';
import type { AccessSize, IoDevice, IrqSink } from '../bus/types';

/*
 * National Semiconductor 16550A UART (malta-hw.md §4.5): COM1/COM2 on the ISA bus and the
 * CBUS UART in the FPGA window. Only what Linux's 8250 driver can observe is modelled; there is
 * deliberately no EFR, so its 16650/16750/XScale/NatSemi probes all fail and it settles on
 * "16550A".
 */

const IER_ERBFI = 0x01; // receive data available
const IER_ETBEI = 0x02; // transmit holding register empty
const IER_ELSI = 0x04; // receiver line status
const IER_EDSSI = 0x08; // modem status

const IIR_NONE = 0x01;
const IIR_MSR = 0x00;
const IIR_THRE = 0x02;
const IIR_RDA = 0x04;
const IIR_RLS = 0x06;
const IIR_TIMEOUT = 0x0c;
const IIR_FIFO_ON = 0xc0;

const FCR_ENABLE = 0x01;
const FCR_CLEAR_RX = 0x02;
const FCR_CLEAR_TX = 0x04;
/** FCR bits that stick: enable, DMA mode, trigger level. Bit 5 (16750 64-byte FIFO) is absent. */
const FCR_STORED = 0xc9;

const LCR_DLAB = 0x80;

const MCR_LOOP = 0x10;
const MCR_MASK = 0x1f;

const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_PE = 0x04;
const LSR_FE = 0x08;
const LSR_BI = 0x10;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
const LSR_ERRORS = LSR_OE | LSR_PE | LSR_FE | LSR_BI;

/** CTS, DSR and DCD asserted, RI not: a terminal that is always there and ready. */
const MSR_LINES_IDLE = 0xb0;
const MSR_DELTAS = 0x0f;
const MSR_TERI = 0x04;
const MSR_RI = 0x40;

const FIFO_SIZE = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14] as const;

/** The PC UART crystal; COM1/COM2 use it, the CBUS UART runs at twice that. */
export const UART_CLOCK_HZ = 1_843_200;

export interface Uart16550Options {
  /** Called with every byte the guest transmits (not in loopback mode). */
  onTransmit: (byte: number) => void;
  /**
   * Called when the receiver has room for more host input: after the guest reads RBR, resets
   * the receive FIFO, leaves loopback, or enables the receive interrupt.
   */
  onRxSpace?: () => void;
  /** log2 of the register stride: 0 for ISA ports, 3 for the CBUS UART (one register per 8 bytes). */
  regShift?: 0 | 3;
  /** Input clock of the baud generator (baud = clockHz / 16 / divisor). Default 1.8432 MHz. */
  clockHz?: number;
}

export class Uart16550 implements IoDevice {
  private readonly onTransmit: (byte: number) => void;
  private readonly onRxSpace: (() => void) | undefined;
  private readonly regShift: number;
  private readonly clockHz: number;
  private readonly timeoutTimer: Timer;

  private ier = 0;
  private fcr = 0;
  private lcr = 0;
  private mcr = 0;
  private lsr = LSR_THRE | LSR_TEMT;
  /** Upper nibble: the modem input lines; lower nibble: their latched deltas. */
  private msr = MSR_LINES_IDLE;
  private scr = 0;
  private divisor = 12;

  /** Receive FIFO; with FIFOs disabled it degenerates to the one-byte RBR. */
  private readonly rx = new Uint8Array(FIFO_SIZE);
  private rxHead = 0;
  private rxCount = 0;
  private rxTrigger = 1;
  private lastRbr = 0;

  /** THRE interrupt source: set when the holding register empties, cleared by IIR read / THR write. */
  private thrPending = false;
  /** Character-timeout interrupt source (FIFO mode only). */
  private timeoutPending = false;
  private charTimeNs = 0;
  private irqLevel = false;

  constructor(
    private readonly clock: Clock,
    private readonly irq: IrqSink,
    opts: Uart16550Options,
  ) {
    this.onTransmit = opts.onTransmit;
    this.onRxSpace = opts.onRxSpace;
    this.regShift = opts.regShift ?? 0;
    this.clockHz = opts.clockHz ?? UART_CLOCK_HZ;
    this.timeoutTimer = clock.createTimer(() => this.onCharTimeout());
    this.updateCharTime();
  }

  reset(): void {
    this.ier = 0;
    this.fcr = 0;
    this.lcr = 0;
    this.mcr = 0;
    this.lsr = LSR_THRE | LSR_TEMT;
    this.msr = MSR_LINES_IDLE;
    this.scr = 0;
    this.divisor = 12;
    this.rxHead = 0;
    this.rxCount = 0;
    this.rxTrigger = 1;
    this.lastRbr = 0;
    this.thrPending = false;
    this.timeoutPending = false;
    this.timeoutTimer.cancel();
    this.updateCharTime();
    this.updateIrq();
  }

  // ---- host side -------------------------------------------------------------------------

  /** True when the receiver can take a byte without overrun (the serial line is connected). */
  canReceive(): boolean {
    if (this.mcr & MCR_LOOP) return false;
    return this.rxCount < this.rxCapacity();
  }

  /**
   * A byte arrives on the serial line. Returns false (and drops it) in loopback mode, where the
   * line is disconnected from the receiver. A byte pushed while !canReceive() overruns, as on
   * real hardware.
   */
  pushRx(byte: number): boolean {
    if (this.mcr & MCR_LOOP) return false;
    this.receive(byte & 0xff);
    return true;
  }

  /** Whether the guest has the receive-data interrupt enabled (IER.ERBFI), i.e. is reading. */
  get rxInterruptEnabled(): boolean {
    return (this.ier & IER_ERBFI) !== 0;
  }

  /** Whether the FIFOs are on (FCR bit 0): Linux turns them on last when it opens the port. */
  get fifoEnabled(): boolean {
    return (this.fcr & FCR_ENABLE) !== 0;
  }

  /** Duration of one character frame in guest nanoseconds, from divisor and LCR. */
  get characterTimeNs(): number {
    return this.charTimeNs;
  }

  // ---- guest side ------------------------------------------------------------------------

  read(offset: number, _size: AccessSize): number {
    const shift = this.regShift;
    // The CBUS UART holds each register in the low byte of a 32-bit LE word; the rest read 0.
    if (shift !== 0 && (offset & ((1 << shift) - 1)) !== 0) return 0;
    switch ((offset >>> shift) & 7) {
      case 0:
        return this.lcr & LCR_DLAB ? this.divisor & 0xff : this.readRbr();
      case 1:
        return this.lcr & LCR_DLAB ? (this.divisor >>> 8) & 0xff : this.ier;
      case 2:
        return this.readIir();
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5:
        return this.readLsr();
      case 6:
        return this.readMsr();
      default:
        return this.scr;
    }
  }

  write(offset: number, _size: AccessSize, value: number): void {
    const shift = this.regShift;
    if (shift !== 0 && (offset & ((1 << shift) - 1)) !== 0) return;
    const v = value & 0xff;
    switch ((offset >>> shift) & 7) {
      case 0:
        if (this.lcr & LCR_DLAB) {
          this.divisor = (this.divisor & 0xff00) | v;
          this.updateCharTime();
        } else {
          this.writeThr(v);
        }
        break;
      case 1:
        if (this.lcr & LCR_DLAB) {
          this.divisor = (this.divisor & 0x00ff) | (v << 8);
          this.updateCharTime();
        } else {
          this.writeIer(v);
        }
        break;
      case 2:
        this.writeFcr(v);
        break;
      case 3:
        this.lcr = v;
        this.updateCharTime();
        break;
      case 4:
        this.writeMcr(v);
        break;
      case 5:
      case 6:
        // LSR/MSR writes are a factory-test feature; ignored.
        break;
      default:
        this.scr = v;
        break;
    }
  }

  // ---- registers -------------------------------------------------------------------------

  private readRbr(): number {
    const popped = this.rxCount > 0;
    if (popped) {
      this.lastRbr = this.rx[this.rxHead]!;
      this.rxHead = (this.rxHead + 1) % FIFO_SIZE;
      this.rxCount--;
    }
    this.timeoutPending = false;
    if (this.rxCount === 0) {
      this.lsr &= ~(LSR_DR | LSR_BI);
      this.timeoutTimer.cancel();
    } else if (this.fcr & FCR_ENABLE) {
      // The timeout counts from the last FIFO activity, and a read is activity.
      this.armTimeout();
    }
    this.updateIrq();
    if (popped && this.onRxSpace && !(this.mcr & MCR_LOOP)) this.onRxSpace();
    return this.lastRbr;
  }

  private readIir(): number {
    const id = this.interruptId();
    // Reading IIR is how the 16550 acknowledges a THRE interrupt; Linux's THRE test relies on it.
    if (id === IIR_THRE) {
      this.thrPending = false;
      this.updateIrq();
    }
    return this.fcr & FCR_ENABLE ? id | IIR_FIFO_ON : id;
  }

  private readLsr(): number {
    const v = this.lsr;
    if (v & LSR_ERRORS) {
      this.lsr &= ~LSR_ERRORS;
      this.updateIrq();
    }
    return v;
  }

  private readMsr(): number {
    const v = this.msr;
    if (v & MSR_DELTAS) {
      this.msr &= ~MSR_DELTAS;
      this.updateIrq();
    }
    return v;
  }

  private writeThr(v: number): void {
    this.thrPending = false;
    this.lsr &= ~(LSR_THRE | LSR_TEMT);
    this.updateIrq();
    // Transmission is instantaneous: the byte leaves and the holding register is empty again,
    // which the guest sees as a fresh THRE interrupt (the i8259 gets a new edge per byte).
    if (this.mcr & MCR_LOOP) this.receive(v);
    else this.onTransmit(v);
    this.lsr |= LSR_THRE | LSR_TEMT;
    this.thrPending = true;
    this.updateIrq();
  }

  private writeIer(v: number): void {
    const old = this.ier;
    this.ier = v & 0x0f;
    // A real 16550 raises THRE as soon as ETBEI is enabled with the holding register empty.
    // Without it Linux flags UART_BUG_THRE and falls back to a polling timer.
    if (!(old & IER_ETBEI) && this.ier & IER_ETBEI && this.lsr & LSR_THRE) this.thrPending = true;
    this.updateIrq();
    // A guest that starts listening may have input waiting on the host side.
    if (!(old & IER_ERBFI) && this.ier & IER_ERBFI && this.onRxSpace && this.canReceive()) {
      this.onRxSpace();
    }
  }

  private writeFcr(v: number): void {
    let cmd = v;
    const enabling = (v & FCR_ENABLE) !== 0 && (this.fcr & FCR_ENABLE) === 0;
    // Switching the FIFOs on or off empties both of them.
    if ((v ^ this.fcr) & FCR_ENABLE) cmd |= FCR_CLEAR_RX | FCR_CLEAR_TX;
    this.fcr = v & FCR_STORED;
    this.rxTrigger = TRIGGER_LEVELS[(v >>> 6) & 3]!;
    let freed = false;
    if (cmd & FCR_CLEAR_RX) {
      freed = this.rxCount > 0;
      this.rxHead = 0;
      this.rxCount = 0;
      this.lsr &= ~(LSR_DR | LSR_BI);
      this.timeoutPending = false;
      this.timeoutTimer.cancel();
    }
    // The transmit FIFO is always empty (transmission is instantaneous), so FCR_CLEAR_TX is a no-op.
    this.updateIrq();
    if ((freed || enabling) && this.onRxSpace && !(this.mcr & MCR_LOOP)) this.onRxSpace();
  }

  private writeMcr(v: number): void {
    const wasLoop = (this.mcr & MCR_LOOP) !== 0;
    this.mcr = v & MCR_MASK;
    this.setModemInputs(this.modemInputs());
    this.updateIrq();
    if (wasLoop && !(this.mcr & MCR_LOOP) && this.onRxSpace && this.canReceive()) this.onRxSpace();
  }

  /** Modem input lines: fixed "ready" from the host, or the MCR outputs looped back. */
  private modemInputs(): number {
    const m = this.mcr;
    if (!(m & MCR_LOOP)) return MSR_LINES_IDLE;
    // Loopback wiring: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD.
    return ((m & 0x02) << 3) | ((m & 0x01) << 5) | ((m & 0x04) << 4) | ((m & 0x08) << 4);
  }

  private setModemInputs(lines: number): void {
    const old = this.msr & 0xf0;
    if (lines === old) return;
    const changed = (lines ^ old) >>> 4;
    // DCTS/DDSR/DDCD latch any change; TERI only the trailing (1 -> 0) edge of RI.
    let deltas = changed & ~MSR_TERI;
    if (old & MSR_RI && !(lines & MSR_RI)) deltas |= MSR_TERI;
    this.msr = lines | (this.msr & MSR_DELTAS) | deltas;
  }

  // ---- receiver --------------------------------------------------------------------------

  private rxCapacity(): number {
    return this.fcr & FCR_ENABLE ? FIFO_SIZE : 1;
  }

  private receive(byte: number): void {
    if (this.fcr & FCR_ENABLE) {
      // On overrun the FIFO keeps its contents; the new character is lost.
      if (this.rxCount < FIFO_SIZE) {
        this.rx[(this.rxHead + this.rxCount) % FIFO_SIZE] = byte;
        this.rxCount++;
      } else {
        this.lsr |= LSR_OE;
      }
      this.armTimeout();
    } else {
      // Without FIFOs the new character overwrites an unread RBR.
      if (this.rxCount > 0) this.lsr |= LSR_OE;
      this.rx[this.rxHead] = byte;
      this.rxCount = 1;
    }
    this.lsr |= LSR_DR;
    this.updateIrq();
  }

  private armTimeout(): void {
    this.timeoutTimer.armAfterNs(4 * this.charTimeNs);
  }

  private onCharTimeout(): void {
    if (this.rxCount > 0 && this.fcr & FCR_ENABLE) {
      this.timeoutPending = true;
      this.updateIrq();
    }
  }

  private updateCharTime(): void {
    const lcr = this.lcr;
    // start + data + parity + stop bits
    const bits = 1 + 5 + (lcr & 3) + (lcr & 0x08 ? 1 : 0) + (lcr & 0x04 ? 2 : 1);
    // A zero divisor stops the baud clock on real parts; use the fastest rate instead so the
    // timeout still fires.
    const div = this.divisor === 0 ? 1 : this.divisor;
    this.charTimeNs = (bits * 16 * div * 1e9) / this.clockHz;
  }

  // ---- interrupts ------------------------------------------------------------------------

  /** Highest-priority enabled pending condition, as IIR bits 3:0. */
  private interruptId(): number {
    const ier = this.ier;
    if (ier & IER_ELSI && this.lsr & (LSR_OE | LSR_PE | LSR_FE | LSR_BI)) return IIR_RLS;
    if (ier & IER_ERBFI) {
      if (this.timeoutPending) return IIR_TIMEOUT;
      if (this.lsr & LSR_DR && (!(this.fcr & FCR_ENABLE) || this.rxCount >= this.rxTrigger)) {
        return IIR_RDA;
      }
    }
    if (ier & IER_ETBEI && this.thrPending) return IIR_THRE;
    if (ier & IER_EDSSI && this.msr & MSR_DELTAS) return IIR_MSR;
    return IIR_NONE;
  }

  private updateIrq(): void {
    const level = this.interruptId() !== IIR_NONE;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq(level);
    }
  }
}
