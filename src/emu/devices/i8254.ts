import type { AccessSize, IoDevice, IrqSink } from '../bus/types';
import type { Clock, Timer } from '../clock';

/**
 * Intel 8254 PIT (ports 0x40-0x43) and the PIIX4 port B at 0x61. The counters are never ticked:
 * every value and output level is computed from `clock.cycles` on demand. The input clock is a
 * free-running 1.193182 MHz oscillator, so a channel's position is the number of oscillator edges
 * since it was (re)started. Only channel 0 drives an interrupt (ISA IRQ0); it keeps one Timer armed
 * at its next output transition, and only while that output can still change.
 */
export const PIT_HZ = 1_193_182;

/** Access/read/write state. LSB and MSB are the single-byte modes; WORD0/WORD1 the two halves. */
const LSB = 1;
const MSB = 2;
const WORD0 = 3;
const WORD1 = 4;

function toBcd(v: number): number {
  return (
    ((Math.floor(v / 1000) % 10) << 12) |
    ((Math.floor(v / 100) % 10) << 8) |
    ((Math.floor(v / 10) % 10) << 4) |
    v % 10
  );
}

function fromBcd(v: number): number {
  return ((v >> 12) & 15) * 1000 + ((v >> 8) & 15) * 100 + ((v >> 4) & 15) * 10 + (v & 15);
}

/**
 * One counter. Power-on state is undefined per the datasheet; we start as if control word "mode 3,
 * lobyte/hibyte" had been written without a count: not counting, OUT high (QEMU also resets to mode 3).
 */
class PitChannel {
  /** M2..M0 as programmed (status reports them); 6 and 7 behave as modes 2 and 3. */
  modeBits = 3;
  mode = 3;
  bcd = false;
  rw = WORD0;
  readState = WORD0;
  writeState = WORD0;
  writeLatch = 0;
  /** Output latch of the counter-latch command; latchState uses the read-state encoding, 0 = empty. */
  latched = 0;
  latchState = 0;
  statusLatched = false;
  status = 0;
  gate: boolean;
  /** A count has been written since the last control word. */
  loaded = false;
  /** Modes 1 and 5 count only after a gate trigger. */
  triggered = false;
  /** Count in the counting element (1..65536, or 1..10000 in BCD). */
  n = 0x10000;
  /** Count register: the last count written, waiting to be transferred in modes 1, 2, 3, 5. */
  cr = 0x10000;
  /** Oscillator tick at which the current count started (elapsed = 0). */
  start = 0;
  /** Elapsed ticks frozen while the gate is low, or -1. */
  pausedD = -1;
  /** Modes 2/3: tick at which `cr` replaces `n` (end of the current period), or -1. */
  pendingAt = -1;
  /** Counter value shown while nothing is counting. */
  hold = 0;
  nullCount = true;

  constructor(gate: boolean) {
    this.gate = gate;
  }

  private get counting(): boolean {
    return this.loaded && (this.mode === 1 || this.mode === 5 ? this.triggered : true);
  }

  /** Apply a reload that became due by tick `t`. */
  settle(t: number): void {
    if (this.pendingAt >= 0 && t >= this.pendingAt) {
      this.start = this.pendingAt;
      this.n = this.cr;
      this.pendingAt = -1;
      this.nullCount = false;
    }
  }

  // The evaluation functions below are pure: they look through a pending reload without applying
  // it, so they may be asked about a future tick.
  private effN(t: number): number {
    return this.pendingAt >= 0 && t >= this.pendingAt ? this.cr : this.n;
  }

  private elapsed(t: number): number {
    if (this.pausedD >= 0) return this.pausedD;
    return t - (this.pendingAt >= 0 && t >= this.pendingAt ? this.pendingAt : this.start);
  }

  out(t: number): boolean {
    const n = this.effN(t);
    const d = this.elapsed(t);
    switch (this.mode) {
      case 0:
        return this.loaded && d >= n;
      case 1:
        return !this.triggered || d >= n;
      case 2:
        return !this.loaded || !this.gate || d % n !== n - 1;
      case 3:
        return !this.loaded || !this.gate || d % n < (n + 1) >> 1;
      case 4:
        return !this.loaded || d !== n;
      default:
        return !this.triggered || d !== n;
    }
  }

  /** The counting element as the bus would read it (BCD-encoded in BCD mode). */
  value(t: number): number {
    if (!this.counting) return this.hold;
    const n = this.effN(t);
    const d = this.elapsed(t);
    const m = this.bcd ? 10000 : 0x10000;
    let v: number;
    switch (this.mode) {
      case 2:
        v = n - (d % n);
        break;
      case 3: {
        // Counts down by two; odd counts spend one extra clock in the high half.
        const p = d % n;
        const h = (n + 1) >> 1;
        if ((n & 1) === 0) v = n - 2 * (p % h);
        else if (p < h) v = p === 0 ? n : n + 1 - 2 * p;
        else v = p === h ? n : n - 1 - 2 * (p - h);
        break;
      }
      default:
        v = (((n - d) % m) + m) % m;
        break;
    }
    v %= m;
    return this.bcd ? toBcd(v) : v;
  }

  /** Absolute tick of the next output change after `t`, or -1 when the output is now constant. */
  nextTransition(t: number): number {
    if (!this.counting || this.pausedD >= 0) return -1;
    const n = this.effN(t);
    const start = this.pendingAt >= 0 && t >= this.pendingAt ? this.pendingAt : this.start;
    const d = t - start;
    switch (this.mode) {
      case 0:
      case 1:
        return d < n ? start + n : -1;
      case 2: {
        if (n < 2) return -1;
        const p = d % n;
        return start + d - p + (p < n - 1 ? n - 1 : n);
      }
      case 3: {
        if (n < 2) return -1;
        const p = d % n;
        const h = (n + 1) >> 1;
        return start + d - p + (p < h ? h : n);
      }
      default:
        if (d < n) return start + n;
        return d === n ? start + n + 1 : -1;
    }
  }

  control(v: number, t: number): void {
    this.hold = this.value(t);
    this.modeBits = (v >> 1) & 7;
    this.mode = this.modeBits > 5 ? this.modeBits - 4 : this.modeBits;
    this.bcd = (v & 1) !== 0;
    this.rw = (v >> 4) & 3;
    this.readState = this.rw;
    this.writeState = this.rw;
    this.latchState = 0;
    this.statusLatched = false;
    this.loaded = false;
    this.triggered = false;
    this.pausedD = -1;
    this.pendingAt = -1;
    this.nullCount = true;
  }

  latch(t: number): void {
    if (this.latchState !== 0) return;
    this.latched = this.value(t);
    this.latchState = this.rw;
  }

  latchStatus(t: number): void {
    if (this.statusLatched) return;
    this.settle(t);
    this.status =
      (this.out(t) ? 0x80 : 0) |
      (this.nullCount ? 0x40 : 0) |
      (this.rw << 4) |
      (this.modeBits << 1) |
      (this.bcd ? 1 : 0);
    this.statusLatched = true;
  }

  private startCount(t: number): void {
    this.n = this.cr;
    this.start = t;
    this.loaded = true;
    this.nullCount = false;
    this.pendingAt = -1;
    this.pausedD = this.gate ? -1 : 0;
  }

  private loadCount(raw: number, t: number): void {
    this.settle(t);
    const v = this.bcd ? fromBcd(raw) % 10000 : raw;
    this.cr = v === 0 ? (this.bcd ? 10000 : 0x10000) : v;
    this.nullCount = true;
    switch (this.mode) {
      case 0:
      case 4:
        this.startCount(t);
        break;
      case 1:
      case 5:
        // Armed; the count is transferred by the next gate trigger.
        this.loaded = true;
        break;
      default:
        if (!this.loaded) {
          this.startCount(t);
        } else if (this.pausedD < 0) {
          // A new count in a running rate/square-wave generator takes effect at the next reload.
          const d = t - this.start;
          this.pendingAt = this.start + (Math.floor(d / this.n) + 1) * this.n;
        }
        // With the gate low the gate's rising edge reloads from `cr`.
        break;
    }
  }

  writeData(v: number, t: number): void {
    switch (this.writeState) {
      case LSB:
        this.loadCount(v, t);
        break;
      case MSB:
        this.loadCount(v << 8, t);
        break;
      case WORD0:
        if (this.mode === 0 && this.loaded) {
          // Mode 0: the first byte of a new count stops counting and drives OUT low.
          this.hold = this.value(t);
          this.loaded = false;
        }
        this.writeLatch = v;
        this.writeState = WORD1;
        break;
      default:
        this.loadCount(this.writeLatch | (v << 8), t);
        this.writeState = WORD0;
        break;
    }
  }

  readData(t: number): number {
    if (this.statusLatched) {
      this.statusLatched = false;
      return this.status;
    }
    if (this.latchState !== 0) {
      switch (this.latchState) {
        case MSB:
          this.latchState = 0;
          return this.latched >> 8;
        case WORD0:
          this.latchState = MSB;
          return this.latched & 0xff;
        default:
          this.latchState = 0;
          return this.latched & 0xff;
      }
    }
    const v = this.value(t);
    switch (this.readState) {
      case MSB:
        return v >> 8;
      case WORD0:
        this.readState = WORD1;
        return v & 0xff;
      case WORD1:
        this.readState = WORD0;
        return v >> 8;
      default:
        return v & 0xff;
    }
  }

  setGate(level: boolean, t: number): void {
    this.settle(t);
    if (level === this.gate) return;
    this.gate = level;
    switch (this.mode) {
      case 0:
      case 4:
        // Gate low suspends counting.
        if (!this.loaded) break;
        if (!level) this.pausedD = t - this.start;
        else if (this.pausedD >= 0) {
          this.start = t - this.pausedD;
          this.pausedD = -1;
        }
        break;
      case 1:
      case 5:
        // A rising gate (re)triggers.
        if (level && this.loaded) {
          this.startCount(t);
          this.triggered = true;
        }
        break;
      default:
        // Gate low stops the generator with OUT high; the rising edge reloads it.
        if (!this.loaded) break;
        if (!level) {
          this.pausedD = t - this.start;
          this.pendingAt = -1;
        } else {
          this.startCount(t);
        }
        break;
    }
  }
}

export class Pit {
  private readonly channels: PitChannel[];
  private readonly timer: Timer;
  /**
   * Level last driven onto IRQ0. OUT starts high, but the PIC input starts low and is not told:
   * IRQ0 is edge-only (ELCR bit 0 is hard-wired), so this only avoids a phantom power-on edge.
   */
  private irqLevel = true;
  private scheduledLevel = true;
  private speakerData = false;
  /** PIIX4 port B bits 2-3 (PCHK/IOCHK enables): stored, no NMI source exists here. */
  private nmiEnables = 0;

  /** Counters 0-2 and the control word, mapped at 0x40 (4 ports). */
  readonly ports: IoDevice;
  /** NMI status and control (speaker, gate 2, OUT2), mapped at 0x61 (1 port). */
  readonly portB: IoDevice;

  constructor(
    private readonly clock: Clock,
    private readonly irq0: IrqSink,
  ) {
    // Channel 0 and 1 gates are tied high; channel 2's gate is port B bit 0.
    this.channels = [new PitChannel(true), new PitChannel(true), new PitChannel(false)];
    this.timer = clock.createTimer(() => this.onTimer());
    // Wider accesses split into byte accesses at consecutive ports, as on the ISA bus.
    this.ports = {
      read: (offset: number, size: AccessSize) => {
        let v = 0;
        for (let i = 0; i < size; i++) v |= (offset + i < 4 ? this.readPort(offset + i) : 0xff) << (8 * i);
        return v >>> 0;
      },
      write: (offset: number, size: AccessSize, value: number) => {
        for (let i = 0; i < size && offset + i < 4; i++) this.writePort(offset + i, (value >>> (8 * i)) & 0xff);
      },
    };
    this.portB = {
      read: (offset: number, size: AccessSize) => {
        let v = 0;
        for (let i = 0; i < size; i++) v |= (offset + i === 0 ? this.readPortB() : 0xff) << (8 * i);
        return v >>> 0;
      },
      write: (offset: number, _size: AccessSize, value: number) => {
        if (offset === 0) this.writePortB(value & 0xff);
      },
    };
  }

  /** Board reset: every channel back to its power-on state (OUT high, not counting), port B cleared. */
  reset(): void {
    for (let i = 0; i < 3; i++) this.channels[i] = new PitChannel(i !== 2);
    this.timer.cancel();
    this.speakerData = false;
    this.nmiEnables = 0;
    this.drive(true);
  }

  /** Oscillator ticks since cycle 0; split into whole seconds so the products stay exact. */
  private tickAt(cycles: number): number {
    const hz = this.clock.hz;
    const q = Math.floor(cycles / hz);
    return q * PIT_HZ + Math.floor(((cycles - q * hz) * PIT_HZ) / hz);
  }

  /** First cycle at which `tickAt` reaches `tick`. */
  private cyclesAt(tick: number): number {
    const hz = this.clock.hz;
    const q = Math.floor(tick / PIT_HZ);
    return q * hz + Math.ceil(((tick - q * PIT_HZ) * hz) / PIT_HZ);
  }

  private now(): number {
    return this.tickAt(this.clock.cycles);
  }

  private drive(level: boolean): void {
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    this.irq0(level);
  }

  /** Bring IRQ0 in line with channel 0 and arm the timer for its next transition. */
  private refresh0(t: number): void {
    const ch = this.channels[0]!;
    this.drive(ch.out(t));
    const next = ch.nextTransition(t);
    if (next < 0) {
      this.timer.cancel();
      return;
    }
    this.scheduledLevel = ch.out(next);
    this.timer.arm(this.cyclesAt(next));
  }

  private onTimer(): void {
    const t = this.now();
    this.channels[0]!.settle(t);
    // The CPU may reach the deadline late, past the following transition too (mode 2's low pulse
    // is one tick). Driving the scheduled level first keeps the edge the guest is waiting for.
    this.drive(this.scheduledLevel);
    this.refresh0(t);
  }

  private readPort(p: number): number {
    // The control word register cannot be read; QEMU returns 0.
    if (p === 3) return 0;
    return this.channels[p]!.readData(this.now()) & 0xff;
  }

  private writePort(p: number, v: number): void {
    const t = this.now();
    if (p === 3) {
      const sel = v >> 6;
      if (sel === 3) {
        // Read-back: bit 5 = 0 latches counts, bit 4 = 0 latches status, bits 1-3 select counters.
        for (let i = 0; i < 3; i++) {
          if (!(v & (2 << i))) continue;
          const ch = this.channels[i]!;
          if (!(v & 0x20)) ch.latch(t);
          if (!(v & 0x10)) ch.latchStatus(t);
        }
        return;
      }
      const ch = this.channels[sel]!;
      if ((v & 0x30) === 0) ch.latch(t);
      else ch.control(v, t);
    } else {
      this.channels[p]!.writeData(v, t);
    }
    if (p === 0 || (p === 3 && v >> 6 === 0)) this.refresh0(t);
  }

  private readPortB(): number {
    const t = this.now();
    const ch2 = this.channels[2]!;
    // Bit 4 toggles on every DRAM refresh request: one per 18 oscillator ticks (15.085 us).
    const refresh = Math.floor(t / 18) & 1;
    return (
      (ch2.gate ? 1 : 0) |
      (this.speakerData ? 2 : 0) |
      this.nmiEnables |
      (refresh << 4) |
      (ch2.out(t) ? 0x20 : 0)
    );
  }

  private writePortB(v: number): void {
    this.speakerData = (v & 2) !== 0;
    this.nmiEnables = v & 0x0c;
    this.channels[2]!.setGate((v & 1) !== 0, this.now());
  }
}
