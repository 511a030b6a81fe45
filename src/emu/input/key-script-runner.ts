/**
 * Carries out a parsed key script on guest time. The host runs the machine in slices and, between
 * them, calls poll(), which does everything that is due and says how much guest time may pass
 * before it has to be called again; every serial byte the guest prints goes to serial().
 *
 * What a wait sees: wait:TEXT and wait:prompt look at the serial output printed since the last
 * key step began (so what a key press prints while the key is still held counts) or since the
 * end of what the previous wait matched, whichever is later. A prompt is a line whose printable
 * text (escape sequences left out) ends in "# " and then either nothing more is printed for
 * 20 ms of guest time (the shell waits; a kernel message that happens to contain "# " goes on
 * printing) or the shell asks for the cursor position (ESC [ 6 n) straight away, as busybox's
 * line editor does, after which other programs' output may follow on the same line.
 */
import type { KeyOp, KeyStep } from './key-script';

/** What the runner drives: the Machine, or anything with its clock and keyEvent(). */
export interface KeyTarget {
  readonly clock: { readonly cycles: number; readonly hz: number };
  /** Press or release a key; false when the keyboard would not take it now. */
  keyEvent(code: string, down: boolean): boolean;
}

export interface KeyScriptHooks {
  /** A shot: step. */
  shot?(file: string): void;
  /** The quit step: the host ends the run. */
  quit?(): void;
  /** Something the user should hear about, one line (a key the keyboard would not take). */
  note?(line: string): void;
}

/** A key the keyboard refuses (its buffer is full, or the guest has scanning off) is retried this often ... */
const KEY_RETRY_MS = 1;
/** ... for this long, then skipped with a note. */
const KEY_GIVE_UP_MS = 2000;
/** A prompt is a prompt once the guest has printed nothing more for this long. */
const PROMPT_QUIET_MS = 20;
/** Output kept for a wait at most; older bytes are dropped (a wait needs the recent ones). */
const MAX_LOG = 1 << 22;

const ESC = 0x1b;

export class KeyScriptRunner {
  private stepIdx = 0;
  private opIdx = 0;
  /** Guest cycle before which nothing is due (a delay or a key retry), or -1. */
  private dueAt = -1;
  private retryingSince = -1;
  /** The current step has started (its mark is set). */
  private begun = false;
  /** The last step holding a wait: output is recorded only while one lies ahead. */
  private readonly lastWaitStep: number;

  // Serial output since `logBase` (absolute byte offset of log[0]); `total` counts every byte.
  private log = new Uint8Array(4096);
  private logLen = 0;
  private logBase = 0;
  private total = 0;
  /** Absolute offset from which a wait looks. */
  private mark = 0;
  /** Absolute offset up to which the current wait:TEXT has searched. */
  private searched = 0;
  // Prompt detection: escape-sequence state, last printable byte, where the current line's
  // text last ended in "# " (absolute offset of that space) or -1.
  private escState = 0;
  private lastVisible = 0;
  private promptAt = -1;
  /** The last prompt the shell's cursor query confirmed (absolute offset of its space), or -1. */
  private confirmedPromptAt = -1;
  /** Parameters of the control sequence being read: 0 none yet, 1 just "6", 2 anything else. */
  private csi = 0;
  /** Guest cycle of the last serial byte. */
  private lastByteAt = 0;

  constructor(
    private readonly steps: readonly KeyStep[],
    private readonly target: KeyTarget,
    private readonly hooks: KeyScriptHooks = {},
  ) {
    let last = -1;
    steps.forEach((s, i) => {
      if (s.ops.some((o) => o.op === 'wait' || o.op === 'prompt')) last = i;
    });
    this.lastWaitStep = last;
  }

  /**
   * Every step has done its work: keys sent, waits matched, sleeps over. The gap after the last
   * key step's release does not count.
   */
  get finished(): boolean {
    const n = this.steps.length;
    if (this.stepIdx >= n) return true;
    const step = this.steps[this.stepIdx]!;
    return this.stepIdx === n - 1 && (step.kind === 'press' || step.kind === 'type') && this.opIdx >= step.ops.length - 1;
  }

  /** Index of the step under way (steps.length when done). */
  get stepIndex(): number {
    return this.stepIdx;
  }

  /** "step 3 of 7 (wait:foo)", or "done". */
  describePosition(): string {
    if (this.stepIdx >= this.steps.length) return 'done';
    return `step ${this.stepIdx + 1} of ${this.steps.length} (${this.steps[this.stepIdx]!.source})`;
  }

  /** A byte the guest printed on the serial console. */
  serial(byte: number): void {
    if (this.stepIdx > this.lastWaitStep) return;
    const at = this.total++;
    this.lastByteAt = this.target.clock.cycles;
    if (this.logLen === this.log.length) this.growLog();
    this.log[this.logLen++] = byte;
    this.trackPrompt(byte, at);
  }

  /**
   * Do what is due now. Returns the guest cycles the host may run before calling again:
   * Infinity when the runner waits for output or is done (call again after the next slice).
   */
  poll(): number {
    const now = this.target.clock.cycles;
    while (this.stepIdx < this.steps.length) {
      if (this.dueAt >= 0) {
        if (now < this.dueAt) return this.dueAt - now;
        this.dueAt = -1;
      }
      const step = this.steps[this.stepIdx]!;
      if (this.opIdx >= step.ops.length) {
        this.stepIdx++;
        this.opIdx = 0;
        this.begun = false;
        continue;
      }
      const op = step.ops[this.opIdx]!;
      if (!this.begun) {
        this.begun = true;
        // What a key step makes the guest print counts from its first key event on.
        if (step.kind === 'press' || step.kind === 'type' || step.kind === 'down' || step.kind === 'up') this.setMark(this.total);
      }
      if (!this.doOp(op, now)) return this.dueAt >= 0 ? this.dueAt - now : Infinity;
      this.opIdx++;
    }
    return Infinity;
  }

  /** Carry out one op; false when it has to wait (output, or a retry set in dueAt). */
  private doOp(op: KeyOp, now: number): boolean {
    switch (op.op) {
      case 'key': {
        if (this.target.keyEvent(op.code, op.down)) {
          this.retryingSince = -1;
          return true;
        }
        if (this.retryingSince < 0) this.retryingSince = now;
        if (now - this.retryingSince >= this.msToCycles(KEY_GIVE_UP_MS)) {
          this.hooks.note?.(
            `${this.describePosition()}: the keyboard did not take ${op.code} ${op.down ? 'down' : 'up'} for ${KEY_GIVE_UP_MS} ms of guest time; skipped`,
          );
          this.retryingSince = -1;
          return true;
        }
        this.dueAt = now + this.msToCycles(KEY_RETRY_MS);
        return false;
      }
      case 'delay':
        if (op.ms > 0) this.dueAt = now + this.msToCycles(op.ms);
        return true;
      case 'shot':
        this.hooks.shot?.(op.file);
        return true;
      case 'quit':
        this.hooks.quit?.();
        // Nothing after quit runs, even if the host goes on.
        this.stepIdx = this.steps.length - 1;
        this.opIdx = this.steps[this.stepIdx]!.ops.length - 1;
        return true;
      case 'prompt': {
        if (this.confirmedPromptAt >= this.mark) {
          this.setMark(this.confirmedPromptAt + 1);
          return true;
        }
        if (this.promptAt < 0 || this.promptAt < this.mark) return false;
        const quietUntil = this.lastByteAt + this.msToCycles(PROMPT_QUIET_MS);
        if (now < quietUntil) {
          this.dueAt = quietUntil;
          return false;
        }
        this.setMark(this.promptAt + 1);
        return true;
      }
      case 'wait': {
        const end = this.find(op.bytes);
        if (end < 0) return false;
        this.setMark(end);
        return true;
      }
    }
  }

  private msToCycles(ms: number): number {
    return Math.max(1, Math.round((ms * this.target.clock.hz) / 1000));
  }

  /** Search the log for `needle` from where the last search stopped; absolute end offset or -1. */
  private find(needle: Uint8Array): number {
    const n = needle.length;
    const from = Math.max(this.mark, this.searched - n + 1, this.logBase);
    const log = this.log;
    const last = this.logBase + this.logLen - n;
    for (let a = from; a <= last; a++) {
      const i = a - this.logBase;
      let k = 0;
      while (k < n && log[i + k] === needle[k]) k++;
      if (k === n) return a + n;
    }
    this.searched = this.logBase + this.logLen;
    return -1;
  }

  /** Waits look from `at` on: older output is dropped. */
  private setMark(at: number): void {
    this.mark = at;
    this.searched = at;
    const drop = Math.min(at - this.logBase, this.logLen);
    if (drop > 0) {
      this.log.copyWithin(0, drop, this.logLen);
      this.logLen -= drop;
      this.logBase += drop;
    }
  }

  private growLog(): void {
    if (this.log.length < MAX_LOG) {
      const bigger = new Uint8Array(this.log.length * 2);
      bigger.set(this.log);
      this.log = bigger;
      return;
    }
    // Full: keep the newer half.
    const keep = this.log.length >> 1;
    this.log.copyWithin(0, this.logLen - keep, this.logLen);
    this.logBase += this.logLen - keep;
    this.logLen = keep;
  }

  private trackPrompt(b: number, at: number): void {
    if (this.escState === 1) {
      // ESC [ starts a control sequence; any other byte ends a two-byte escape.
      this.escState = b === 0x5b ? 2 : 0;
      this.csi = 0;
      return;
    }
    if (this.escState === 2) {
      if (b >= 0x40 && b <= 0x7e) {
        this.escState = 0;
        // ESC [ 6 n right after "# ": the shell asks where the cursor is, as busybox's line
        // editor does after each prompt, so this is a prompt whatever is printed next.
        if (b === 0x6e && this.csi === 1 && this.promptAt >= 0) this.confirmedPromptAt = this.promptAt;
      } else {
        this.csi = this.csi === 0 && b === 0x36 ? 1 : 2;
      }
      return;
    }
    if (b === ESC) {
      this.escState = 1;
    } else if (b === 0x0a) {
      this.lastVisible = 0;
      this.promptAt = -1;
    } else if (b >= 0x20 && b !== 0x7f) {
      this.promptAt = b === 0x20 && this.lastVisible === 0x23 ? at : -1;
      this.lastVisible = b;
    }
  }
}
