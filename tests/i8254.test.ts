import { beforeEach, describe, expect, it } from 'vitest';
import { IoSpace } from '../src/emu/bus/io-space';
import { Clock } from '../src/emu/clock';
import { PIT_HZ, Pit } from '../src/emu/devices/i8254';

let clock: Clock;
let io: IoSpace;
let pit: Pit;
let irq: boolean;
/** Cycle of every rising edge seen on IRQ0. */
let rises: number[];

const outb = (port: number, v: number) => io.write(port, 1, v);
const inb = (port: number) => io.read(port, 1);

function advance(n: number): void {
  clock.cycles += n;
  if (clock.cycles >= clock.nextDeadline) clock.fireDue();
}

/** Advance to `target` in steps of at most `step` cycles. */
function runTo(target: number, step: number): void {
  while (clock.cycles < target) advance(Math.min(step, target - clock.cycles));
}

/** Advance deadline by deadline (as a CPU idling in WAIT would), never past `target`. */
function runExactTo(target: number): void {
  while (clock.cycles < target) {
    const next = Math.min(clock.nextDeadline, target);
    advance(next - clock.cycles);
  }
}

/** First cycle at which `ticks` oscillator periods have elapsed since cycle `from` (tick-aligned). */
const cyclesFor = (ticks: number) => Math.ceil((ticks * clock.hz) / PIT_HZ);

function program(ctrl: number, count: number): void {
  outb(0x43, ctrl);
  const port = 0x40 + (ctrl >> 6);
  outb(port, count & 0xff);
  outb(port, count >> 8);
}

function latchRead(channel: number): number {
  outb(0x43, channel << 6);
  const lo = inb(0x40 + channel);
  return lo | (inb(0x40 + channel) << 8);
}

beforeEach(() => {
  clock = new Clock();
  io = new IoSpace();
  irq = false;
  rises = [];
  pit = new Pit(clock, (level) => {
    if (level && !irq) rises.push(clock.cycles);
    irq = level;
  });
  io.map(0x40, 4, pit.ports);
  io.map(0x61, 1, pit.portB);
});

describe('i8254 PIT', () => {
  it('produces one IRQ0 edge per LATCH in mode 2 (HZ=250), with coarse CPU batches', () => {
    program(0x34, 4773);
    runTo(clock.hz / 10, 1000);
    // 100 ms is 119318.2 ticks: edges at 4773, 9546, ..., 24 * 4773 = 114552.
    expect(rises.length).toBe(24);
    for (let k = 1; k <= 24; k++) {
      const exact = cyclesFor(k * 4773);
      expect(rises[k - 1]).toBeGreaterThanOrEqual(exact);
      expect(rises[k - 1]! - exact).toBeLessThan(1000);
    }
  });

  it('places mode 2 edges exactly on the reload tick and pulses OUT low one tick before', () => {
    program(0x34, 4773);
    runExactTo(clock.hz / 10);
    expect(rises.length).toBe(24);
    rises.forEach((c, i) => expect(c).toBe(cyclesFor((i + 1) * 4773)));
    // Between edges OUT is high, except during the tick when the count is 1.
    clock.cycles = cyclesFor(25 * 4773 - 1);
    clock.fireDue();
    expect(irq).toBe(false);
    clock.cycles = cyclesFor(25 * 4773);
    clock.fireDue();
    expect(irq).toBe(true);
    expect(rises.length).toBe(25);
  });

  it('latches a counting value and keeps it until both bytes are read', () => {
    program(0x34, 4773);
    runTo(200000, 5000); // 1 ms: floor(200000 * 1193182 / 200e6) = 1193 ticks
    outb(0x43, 0x00);
    runTo(400000, 5000);
    expect(inb(0x40) | (inb(0x40) << 8)).toBe(4773 - 1193);
    // Unlatched reads follow the counter: 2386 ticks at 2 ms.
    expect(inb(0x40) | (inb(0x40) << 8)).toBe(4773 - 2386);
    // A second latch command before reading is ignored.
    outb(0x43, 0x00);
    runTo(600000, 5000);
    outb(0x43, 0x00);
    expect(inb(0x40) | (inb(0x40) << 8)).toBe(4773 - 2386);
  });

  it('fires a mode 0 one-shot exactly once at terminal count', () => {
    program(0x30, 1000);
    expect(irq).toBe(false);
    runTo(clock.hz, 777);
    expect(rises.length).toBe(1);
    expect(rises[0]! - cyclesFor(1000)).toBeLessThan(777);
    expect(irq).toBe(true);
    // Output stays high and nothing remains scheduled.
    expect(clock.nextDeadline).toBe(Infinity);
    // The counter wraps after terminal count: 1 s = 1193182 ticks past a start of 1000.
    expect(latchRead(0)).toBe((((1000 - 1193182) % 65536) + 65536) % 65536);
  });

  it('stops periodic edges on the Linux shutdown sequence 0x30, 0, 0', () => {
    program(0x34, 4773);
    runTo(clock.hz / 10, 1000);
    expect(rises.length).toBe(24);
    const t0 = clock.cycles;
    program(0x30, 0);
    expect(irq).toBe(false); // mode 0 control word drives OUT low
    runTo(t0 + clock.hz, 1000);
    // Count 0 is 65536 in mode 0: per datasheet a single terminal-count edge 54.9 ms later, then nothing.
    expect(rises.length).toBe(25);
    expect(rises[24]! - t0).toBeGreaterThanOrEqual(cyclesFor(65536) - 200);
    expect(rises[24]! - t0).toBeLessThan(cyclesFor(65536) + 1200);
    expect(clock.nextDeadline).toBe(Infinity);
  });

  it('stops for good on a control word without a count (mode 4 shutdown)', () => {
    program(0x34, 4773);
    runTo(clock.hz / 50, 1000);
    const n = rises.length;
    outb(0x43, 0x38);
    clock.recompute(); // a cancelled timer leaves nextDeadline stale-early by design
    expect(clock.nextDeadline).toBe(Infinity);
    runTo(clock.cycles + clock.hz, 10000);
    expect(rises.length).toBe(n);
  });

  it('answers the read-back command with status then count', () => {
    program(0x34, 4773);
    runTo(cyclesFor(100), 50);
    outb(0x43, 0xc2); // latch count and status of counter 0
    expect(inb(0x40)).toBe(0x80 | 0x34); // OUT high, count loaded, rw=3, mode 2, binary
    const expected = 4773 - 100;
    expect(inb(0x40) | (inb(0x40) << 8)).toBe(expected);
    outb(0x43, 0x30);
    outb(0x43, 0xe2); // status only
    expect(inb(0x40)).toBe(0x40 | 0x30); // OUT low, null count, rw=3, mode 0
  });

  it('drives OUT2 and the refresh toggle on port 0x61, gated by bit 0', () => {
    outb(0x43, 0xb0); // counter 2, lobyte/hibyte, mode 0
    outb(0x42, 100);
    outb(0x42, 0);
    expect(inb(0x61) & 0x21).toBe(0); // gate low, OUT2 low
    runTo(cyclesFor(500), 100);
    expect(inb(0x61) & 0x20).toBe(0); // gate low suspends counting
    outb(0x61, 0x03);
    const start = clock.cycles;
    runTo(start + cyclesFor(99), 10);
    expect(inb(0x61) & 0x23).toBe(0x03);
    runTo(start + cyclesFor(101), 10);
    expect(inb(0x61) & 0x23).toBe(0x23);
    // Refresh request toggles every 18 ticks (15.085 us).
    const seen = new Set<number>();
    for (let i = 0; i < 10; i++) {
      seen.add(inb(0x61) & 0x10);
      advance(cyclesFor(18));
    }
    expect(seen.size).toBe(2);
    // Channel 2 never reaches IRQ0.
    expect(rises.length).toBe(0);
  });

  it('generates a square wave in mode 3', () => {
    program(0x36, 1000);
    runExactTo(cyclesFor(5000));
    expect(rises.map((c) => c)).toEqual([1, 2, 3, 4, 5].map((k) => cyclesFor(k * 1000)));
    clock.cycles = cyclesFor(5499);
    expect(irq).toBe(true);
    runExactTo(cyclesFor(5500));
    expect(irq).toBe(false);
    // Counts down by two in each half.
    expect(latchRead(0)).toBe(1000);
    clock.cycles = cyclesFor(5510);
    expect(latchRead(0)).toBe(980);
  });

  it('loads a new mode 2 count at the end of the current period', () => {
    program(0x34, 1000);
    runExactTo(cyclesFor(300));
    outb(0x40, 500 & 0xff);
    outb(0x40, 500 >> 8);
    runExactTo(cyclesFor(2100));
    expect(rises).toEqual([1000, 1500, 2000].map(cyclesFor));
  });

  it('counts in BCD and with single-byte access', () => {
    outb(0x43, 0x21); // counter 0, MSB only, mode 0, BCD
    outb(0x40, 0x10); // count 0x1000 = 1000 decimal
    clock.cycles = cyclesFor(1);
    expect(inb(0x40)).toBe(0x09); // MSB of 0x0999
    outb(0x43, 0x10); // LSB only, mode 0, binary
    outb(0x40, 200);
    expect(irq).toBe(false);
    runExactTo(clock.cycles + cyclesFor(210));
    expect(irq).toBe(true);
  });

  it('stops mode 0 counting on the first byte of a new count', () => {
    program(0x30, 1000);
    runExactTo(cyclesFor(900));
    outb(0x40, 0x10);
    runExactTo(cyclesFor(1500));
    expect(rises.length).toBe(0);
    outb(0x40, 0x00);
    const t = clock.cycles;
    runExactTo(t + cyclesFor(20));
    expect(rises.length).toBe(1);
  });

  it('stays tick-exact after days of virtual time', () => {
    // 3 days: cycles * PIT_HZ is far beyond 2^53, so the device must not compute it directly.
    clock.cycles = 3 * 86400 * clock.hz + 12345;
    program(0x34, 4773);
    const hz = BigInt(clock.hz);
    const p = BigInt(PIT_HZ);
    const startTick = (BigInt(clock.cycles) * p) / hz;
    runExactTo(clock.cycles + clock.hz / 50);
    expect(rises.length).toBe(4);
    rises.forEach((c, i) => {
      const tick = startTick + BigInt((i + 1) * 4773);
      expect(BigInt(c)).toBe((tick * hz + p - 1n) / p);
    });
  });
});
