import type { AccessSize, IoDevice, IrqSink } from '../bus/types';
import type { Clock, Timer } from '../clock';

/**
 * MC146818 RTC + 128 bytes of CMOS (index port 0x70, data port 0x71, IRQ8) in the PIIX4.
 *
 * The RTC follows the virtual clock, never the host: one RTC second is exactly `clock.hz` cycles.
 * Linux measures the CPU frequency by timing UIP rising edges against Count (malta-hw.md §4.4),
 * so the UIP window must sit at an exact, fixed phase of each RTC second.
 *
 * Time is kept as "an update happens at cycle `anchor` + k·hz, after which the seconds counter is
 * `anchorSec` + k". The calendar registers are rendered from that counter when read. Interrupt
 * flags are computed lazily for the interval since the last look; a Timer is armed only for an
 * enabled interrupt that could raise IRQ8.
 */

const REG_A = 0x0a;
const REG_B = 0x0b;
const REG_C = 0x0c;
const REG_D = 0x0d;
const CENTURY = 0x32;

const A_UIP = 0x80;
const B_SET = 0x80;
const B_PIE = 0x40;
const B_AIE = 0x20;
const B_UIE = 0x10;
const B_SQWE = 0x08;
const B_DM_BINARY = 0x04;
const B_24H = 0x02;
const C_IRQF = 0x80;
const C_PF = 0x40;
const C_AF = 0x20;
const C_UF = 0x10;

const SECS_PER_DAY = 86400;

function isTimeRegister(i: number): boolean {
  return i === 0 || i === 2 || i === 4 || (i >= 6 && i <= 9) || i === CENTURY;
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

export class Rtc {
  private readonly cmos = new Uint8Array(128);
  private index = 0;
  private anchor: number;
  private anchorSec: number;
  /** Day-of-week register offset from the computed weekday (the guest may set it freely). */
  private dowAdjust = 0;
  /** Cycle up to which interrupt flags have been accounted for. */
  private lastSync: number;
  private irqLevel = false;
  private readonly timer: Timer;
  /** UIP is asserted for the last 8 periods of the 32.768 kHz time base (244.14 us) of each second. */
  private readonly uipCycles: number;

  // Calendar scratch, written by `civil` (avoids allocating a result object).
  private cy = 0;
  private cm = 0;
  private cd = 0;

  /** Index (0x70) and data (0x71) ports, mapped at 0x70 (2 ports). */
  readonly ports: IoDevice;

  constructor(
    private readonly clock: Clock,
    private readonly irq8: IrqSink,
    epochSeconds: number,
  ) {
    this.cmos[REG_A] = 0x26;
    this.cmos[REG_B] = 0x02;
    this.cmos[REG_C] = 0x00;
    this.cmos[REG_D] = 0x80;
    this.anchor = clock.cycles;
    this.anchorSec = Math.floor(epochSeconds);
    this.lastSync = clock.cycles;
    this.uipCycles = (clock.hz * 8) / 32768;
    this.timer = clock.createTimer(() => this.onTimer());
    this.renderTime();
    this.ports = {
      read: (offset: number, size: AccessSize) => {
        let v = 0;
        for (let i = 0; i < size; i++) v |= (offset + i === 1 ? this.readData() : 0xff) << (8 * i);
        return v >>> 0;
      },
      write: (offset: number, size: AccessSize, value: number) => {
        for (let i = 0; i < size; i++) {
          const b = (value >>> (8 * i)) & 0xff;
          // Bit 7 of the index is the NMI mask on PCs; it does not address CMOS.
          if (offset + i === 0) this.index = b & 0x7f;
          else if (offset + i === 1) this.writeData(b);
        }
      },
    };
  }

  /**
   * Board reset (the chip's RESET pin). The RTC is battery-backed: time and CMOS survive; the
   * datasheet clears PIE, AIE, UIE, SQWE and the REG_C flags.
   */
  reset(): void {
    this.syncFlags();
    this.cmos[REG_B] &= ~(B_PIE | B_AIE | B_UIE | B_SQWE);
    this.cmos[REG_C] = 0;
    this.updateIrq();
    this.schedule();
  }

  // ---- time base -------------------------------------------------------------------------

  /** The divider chain runs (DV = 000/001/010); 11x holds it in reset. */
  private get dividerRunning(): boolean {
    return (this.cmos[REG_A] & 0x70) <= 0x20;
  }

  /** Time registers advance: divider running and not frozen by SET. */
  private get clockRunning(): boolean {
    return this.dividerRunning && (this.cmos[REG_B] & B_SET) === 0;
  }

  /** Number of updates since `anchor` (negative before it). */
  private updatesAt(cycles: number): number {
    return Math.floor((cycles - this.anchor) / this.clock.hz);
  }

  private secondsAt(cycles: number): number {
    return this.anchorSec + this.updatesAt(cycles);
  }

  private uip(): boolean {
    if (!this.clockRunning) return false;
    const hz = this.clock.hz;
    return mod(this.clock.cycles - this.anchor, hz) >= hz - this.uipCycles;
  }

  /** Periodic rate in interrupts per second (RS in REG_A), 0 when off. */
  private periodicRate(): number {
    const rs = this.cmos[REG_A] & 0x0f;
    if (rs === 0) return 0;
    // RS 1 and 2 are 256 Hz and 128 Hz with the 32.768 kHz time base; 3..15 are 8192 Hz down to 2 Hz.
    return rs <= 2 ? 512 >> rs : 65536 >> rs;
  }

  /** Periodic ticks since `anchor`; the periodic divider taps are phase-locked to the update. */
  private periodicIndex(cycles: number, rate: number): number {
    const hz = this.clock.hz;
    const delta = cycles - this.anchor;
    const q = Math.floor(delta / hz);
    return q * rate + Math.floor(((delta - q * hz) * rate) / hz);
  }

  private periodicCycle(index: number, rate: number): number {
    const q = Math.floor(index / rate);
    return this.anchor + q * this.clock.hz + Math.ceil(((index - q * rate) * this.clock.hz) / rate);
  }

  // ---- calendar --------------------------------------------------------------------------

  /** Days since 1970-01-01 to proleptic Gregorian y/m/d (H. Hinnant's civil_from_days). */
  private civil(days: number): void {
    const z = days + 719468;
    const era = Math.floor(z / 146097);
    const doe = z - era * 146097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    this.cd = doy - Math.floor((153 * mp + 2) / 5) + 1;
    this.cm = mp < 10 ? mp + 3 : mp - 9;
    this.cy = yoe + era * 400 + (this.cm <= 2 ? 1 : 0);
  }

  private static daysFromCivil(y: number, m: number, d: number): number {
    y -= m <= 2 ? 1 : 0;
    const era = Math.floor(y / 400);
    const yoe = y - era * 400;
    const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
    return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
  }

  private static weekday(days: number): number {
    return mod(days + 4, 7); // 1970-01-01 was a Thursday; 0 = Sunday
  }

  private get binary(): boolean {
    return (this.cmos[REG_B] & B_DM_BINARY) !== 0;
  }

  private enc(v: number): number {
    return this.binary ? v : (Math.floor(v / 10) << 4) | v % 10;
  }

  /** Register byte to number; -1 when it is not a valid BCD value. */
  private dec(b: number): number {
    if (this.binary) return b;
    const hi = b >> 4;
    const lo = b & 15;
    return hi > 9 || lo > 9 ? -1 : hi * 10 + lo;
  }

  private encHour(h: number): number {
    if (this.cmos[REG_B] & B_24H) return this.enc(h);
    return this.enc(h % 12 === 0 ? 12 : h % 12) | (h >= 12 ? 0x80 : 0);
  }

  /** Hours register byte to 0..23, or -1 when invalid in the current format. */
  private decHour(b: number): number {
    if (this.cmos[REG_B] & B_24H) return this.dec(b);
    const h = this.dec(b & 0x7f);
    if (h < 1 || h > 12) return -1;
    return (h % 12) + (b & 0x80 ? 12 : 0);
  }

  /** Write the calendar registers for the current seconds counter. */
  private renderTime(): void {
    const s = this.secondsAt(this.clock.cycles);
    const days = Math.floor(s / SECS_PER_DAY);
    const tod = s - days * SECS_PER_DAY;
    this.civil(days);
    const c = this.cmos;
    c[0] = this.enc(tod % 60);
    c[2] = this.enc(Math.floor(tod / 60) % 60);
    c[4] = this.encHour(Math.floor(tod / 3600));
    c[6] = this.enc(mod(Rtc.weekday(days) + this.dowAdjust, 7) + 1);
    c[7] = this.enc(this.cd);
    c[8] = this.enc(this.cm);
    c[9] = this.enc(mod(this.cy, 100));
    c[CENTURY] = this.enc(mod(Math.floor(this.cy / 100), 100));
  }

  /** Take the seconds counter from the registers, keeping the phase of the divider chain. */
  private loadTime(): void {
    const c = this.cmos;
    const sec = Math.max(0, this.dec(c[0]));
    const min = Math.max(0, this.dec(c[2]));
    const hour = Math.max(0, this.decHour(c[4]));
    const day = Math.max(1, this.dec(c[7]));
    const month = Math.max(1, this.dec(c[8]));
    const year = Math.max(0, this.dec(c[CENTURY])) * 100 + Math.max(0, this.dec(c[9]));
    const days = Rtc.daysFromCivil(year, month, day);
    const s = days * SECS_PER_DAY + hour * 3600 + min * 60 + sec;
    this.anchorSec = s - this.updatesAt(this.clock.cycles);
    const dow = this.dec(c[6]);
    if (dow >= 1 && dow <= 7) this.dowAdjust = mod(dow - 1 - Rtc.weekday(days), 7);
  }

  // ---- alarm -----------------------------------------------------------------------------

  /** Alarm byte as a number to match, -1 for "don't care" (11xxxxxx), -2 for never. */
  private alarmField(b: number, hour: boolean): number {
    if ((b & 0xc0) === 0xc0) return -1;
    const v = hour ? this.decHour(b) : this.dec(b);
    return v < 0 ? -2 : v;
  }

  /** First seconds-counter value >= `from` whose time of day matches the alarm, or -1. */
  private nextAlarm(from: number): number {
    const as = this.alarmField(this.cmos[1], false);
    const am = this.alarmField(this.cmos[3], false);
    const ah = this.alarmField(this.cmos[5], true);
    if (as === -2 || am === -2 || ah === -2 || as > 59 || am > 59 || ah > 23) return -1;
    const tod0 = mod(from, SECS_PER_DAY);
    const base = from - tod0;
    for (let day = 0; day < 2; day++) {
      for (let h = 0; h < 24; h++) {
        if (ah >= 0 && h !== ah) continue;
        for (let m = 0; m < 60; m++) {
          if (am >= 0 && m !== am) continue;
          const minute = day * SECS_PER_DAY + h * 3600 + m * 60;
          if (minute + 59 < tod0) continue;
          if (as < 0) return base + Math.max(minute, tod0);
          if (minute + as >= tod0) return base + minute + as;
        }
      }
    }
    return -1;
  }

  // ---- interrupts ------------------------------------------------------------------------

  /** Set PF/UF/AF for everything that happened in (lastSync, now]. */
  private syncFlags(): void {
    const a = this.lastSync;
    const b = this.clock.cycles;
    if (b <= a) return;
    this.lastSync = b;
    let flags = 0;
    const rate = this.periodicRate();
    if (this.dividerRunning && rate > 0 && this.periodicIndex(b, rate) > this.periodicIndex(a, rate)) {
      flags |= C_PF;
    }
    if (this.clockRunning) {
      const ka = this.updatesAt(a);
      const kb = this.updatesAt(b);
      if (kb > ka) {
        flags |= C_UF;
        if (!(this.cmos[REG_C] & C_AF)) {
          const hit = this.nextAlarm(this.anchorSec + ka + 1);
          if (hit >= 0 && hit <= this.anchorSec + kb) flags |= C_AF;
        }
      }
    }
    this.cmos[REG_C] |= flags;
    this.updateIrq();
  }

  /** IRQF = PF·PIE + AF·AIE + UF·UIE, and IRQ8 follows it. */
  private updateIrq(): void {
    const c = this.cmos[REG_C];
    const level = (c & this.cmos[REG_B] & 0x70) !== 0;
    this.cmos[REG_C] = level ? c | C_IRQF : c & ~C_IRQF;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq8(level);
    }
  }

  /** Arm the timer for the earliest enabled event that would raise IRQ8. */
  private schedule(): void {
    const b = this.cmos[REG_B];
    const now = this.clock.cycles;
    let next = Infinity;
    // With IRQF set the line cannot change until REG_C is read; the flags are caught up then.
    if (!(this.cmos[REG_C] & C_IRQF)) {
      const rate = this.periodicRate();
      if (b & B_PIE && this.dividerRunning && rate > 0) {
        next = this.periodicCycle(this.periodicIndex(now, rate) + 1, rate);
      }
      if (this.clockRunning) {
        const k = this.updatesAt(now);
        if (b & B_UIE) next = Math.min(next, this.anchor + (k + 1) * this.clock.hz);
        if (b & B_AIE) {
          const hit = this.nextAlarm(this.anchorSec + k + 1);
          if (hit >= 0) next = Math.min(next, this.anchor + (hit - this.anchorSec) * this.clock.hz);
        }
      }
    }
    if (next === Infinity) this.timer.cancel();
    else this.timer.arm(next);
  }

  private onTimer(): void {
    this.syncFlags();
    this.schedule();
  }

  // ---- registers -------------------------------------------------------------------------

  private readData(): number {
    const i = this.index;
    switch (i) {
      case REG_A:
        return (this.cmos[REG_A] & 0x7f) | (this.uip() ? A_UIP : 0);
      case REG_C: {
        this.syncFlags();
        const v = this.cmos[REG_C];
        this.cmos[REG_C] = 0;
        this.updateIrq();
        this.schedule();
        return v;
      }
      case REG_D:
        return 0x80; // VRT: the battery is always good
      default:
        if (isTimeRegister(i) && this.clockRunning) this.renderTime();
        return this.cmos[i];
    }
  }

  private writeData(v: number): void {
    const i = this.index;
    switch (i) {
      case REG_A:
        this.writeRegA(v);
        break;
      case REG_B:
        this.writeRegB(v);
        break;
      case REG_C:
      case REG_D:
        break; // read-only
      case 1:
      case 3:
      case 5:
        this.syncFlags();
        this.cmos[i] = v;
        this.schedule();
        break;
      default:
        if (!isTimeRegister(i)) {
          this.cmos[i] = v;
        } else if (!this.clockRunning) {
          this.cmos[i] = v; // taken over when SET clears or the divider starts
        } else {
          this.syncFlags();
          this.renderTime();
          this.cmos[i] = v;
          this.loadTime();
          this.schedule();
        }
        break;
    }
  }

  private writeRegA(v: number): void {
    this.syncFlags();
    const wasRunning = this.dividerRunning;
    if (this.clockRunning) this.renderTime();
    this.cmos[REG_A] = v & 0x7f; // UIP is read-only
    if (!wasRunning && this.dividerRunning) {
      // Leaving divider reset: the first update comes half a second later.
      this.anchor = this.clock.cycles + Math.floor(this.clock.hz / 2);
      this.loadTime();
    }
    this.schedule();
  }

  private writeRegB(v: number): void {
    this.syncFlags();
    const old = this.cmos[REG_B];
    if (v & B_SET) {
      if (this.clockRunning) this.renderTime();
      v &= ~B_UIE; // the datasheet clears UIE while SET is 1
    }
    this.cmos[REG_B] = v;
    if (old & B_SET && !(v & B_SET) && this.dividerRunning) this.loadTime();
    this.updateIrq();
    this.schedule();
  }
}
