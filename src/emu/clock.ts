/**
 * The one virtual clock of the machine. Guest time is derived from retired instructions
 * (one instruction = one CPU cycle at `hz`), so a run is deterministic: the same images and
 * input give the same output. Every device reads time from here and schedules its future
 * events (timer expiry, RTC second, UART character time) as deadlines here.
 */
export const CPU_HZ = 200_000_000;

export class Timer {
  /** Absolute deadline in cycles, or Infinity when disarmed. */
  deadline = Infinity;
  constructor(
    private readonly clock: Clock,
    readonly callback: () => void,
  ) {}
  /** Fire `callback` once when the clock reaches `deadlineCycles` (absolute). */
  arm(deadlineCycles: number): void {
    this.deadline = deadlineCycles;
    if (deadlineCycles < this.clock.nextDeadline) this.clock.nextDeadline = deadlineCycles;
  }
  /** Fire `callback` once after `ns` nanoseconds of guest time from now. */
  armAfterNs(ns: number): void {
    this.arm(this.clock.cycles + Math.max(1, Math.ceil((ns * this.clock.hz) / 1e9)));
  }
  cancel(): void {
    this.deadline = Infinity;
  }
  get armed(): boolean {
    return this.deadline !== Infinity;
  }
}

export class Clock {
  /** Current virtual time in CPU cycles. The CPU keeps it current before any device access. */
  cycles = 0;
  /** Earliest armed deadline (cycles); may be stale-early, never stale-late. */
  nextDeadline = Infinity;
  private readonly timers: Timer[] = [];

  constructor(readonly hz: number = CPU_HZ) {}

  createTimer(callback: () => void): Timer {
    const t = new Timer(this, callback);
    this.timers.push(t);
    return t;
  }

  /** Guest time in nanoseconds. */
  nowNs(): number {
    return (this.cycles * 1e9) / this.hz;
  }

  nsToCycles(ns: number): number {
    return Math.ceil((ns * this.hz) / 1e9);
  }

  /** Drop every timer (a board reset rebuilds the devices that own them); time goes on. */
  clearTimers(): void {
    for (const t of this.timers) t.deadline = Infinity;
    this.timers.length = 0;
    this.nextDeadline = Infinity;
  }

  /** Run every timer whose deadline has passed, then recompute nextDeadline. */
  fireDue(): void {
    const now = this.cycles;
    for (let again = true; again; ) {
      again = false;
      for (const t of this.timers) {
        if (t.deadline <= now) {
          t.deadline = Infinity;
          t.callback();
          again = true;
        }
      }
    }
    this.recompute();
  }

  recompute(): void {
    let next = Infinity;
    for (const t of this.timers) if (t.deadline < next) next = t.deadline;
    this.nextDeadline = next;
  }
}
