/** What the pacer needs of a machine (Machine has it; tests can hand it a real one). */
export interface PacedMachine {
  readonly seconds: number;
  readonly idle: boolean;
  readonly secondsToNextEvent: number;
  skipIdleTo(seconds: number): void;
}

/** A guest this far ahead of the wall clock (s) makes the host wait; less is not worth a timer. */
const AHEAD_SLACK_S = 0.002;
/** A guest further behind than this (s) is let off the rest: lag is forgotten, never made up. */
const MAX_LAG_S = 0.05;
/** Longest wait while the guest is busy and ahead, so a run never stalls for long. */
const MAX_BUSY_WAIT_MS = 50;
/** Longest wait while the guest is idle: its uptime, and the host's status, still move on. */
const MAX_IDLE_WAIT_MS = 500;

/**
 * Paces guest time to the wall clock for interactive runs (the web app, `odtab boot --realtime`),
 * so a guest `sleep 5` takes five seconds, and makes an idle guest cost the host nothing.
 *
 * The host runs a slice of guest time, then asks `wait(now)` how long to wait before the next.
 * A busy guest that got ahead waits out the difference. A guest idle in WAIT has nothing to do
 * until its next timer (a tickless kernel may have none for a second or more), so the host
 * sleeps until then, woken early by input, and `resume(now)` lets the guest's time catch up
 * with the wall time that passed: what its WAIT would have done, without running slices for it.
 * A busy guest that falls behind (the host is slower than the guest's clock) is not made to
 * catch up: the lag beyond MAX_LAG_S is forgotten.
 */
export class RealtimePacer {
  /** Wall time (ms) and guest time (s) that are taken to be the same moment. */
  private wallMs: number;
  private guestS: number;

  constructor(private readonly machine: PacedMachine, nowMs: number) {
    this.wallMs = nowMs;
    this.guestS = machine.seconds;
  }

  /** After a slice: how long (ms) the host should wait before the next; 0 means run on now. */
  wait(nowMs: number): number {
    const m = this.machine;
    let ahead = m.seconds - this.guestS - (nowMs - this.wallMs) / 1000;
    if (ahead < -MAX_LAG_S) {
      this.wallMs = nowMs - (m.seconds - this.guestS + MAX_LAG_S) * 1000;
      ahead = -MAX_LAG_S;
    }
    if (m.idle) {
      const ms = (ahead + m.secondsToNextEvent) * 1000;
      return ms > AHEAD_SLACK_S * 1000 ? Math.min(ms, MAX_IDLE_WAIT_MS) : 0;
    }
    return ahead > AHEAD_SLACK_S ? Math.min(ahead * 1000, MAX_BUSY_WAIT_MS) : 0;
  }

  /** Before the next slice: an idle guest's time moves on to now (or its next event, if sooner). */
  resume(nowMs: number): void {
    const m = this.machine;
    if (m.idle) m.skipIdleTo(this.guestS + (nowMs - this.wallMs) / 1000);
  }
}

/** A host-side wait that input can end early (setTimeout exists in Node and in workers). */
export class WakeableSleep {
  private done: (() => void) | null = null;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        if (this.done === finish) this.done = null;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.done = finish;
    });
  }

  /** Ends the current sleep, if any, now. */
  wake(): void {
    this.done?.();
  }
}
