import { beforeEach, describe, expect, it } from 'vitest';
import { IoSpace } from '../src/emu/bus/io-space';
import { Clock } from '../src/emu/clock';
import { Rtc } from '../src/emu/devices/mc146818';

let clock: Clock;
let io: IoSpace;
let rtc: Rtc;
let irq: boolean;
let irqRises: number;

/** 1999-12-31 23:59:59 UTC, a Friday. */
const Y2K_EVE = Date.UTC(1999, 11, 31, 23, 59, 59) / 1000;

const MIDDAY = Date.UTC(2024, 5, 15, 12, 34, 56) / 1000;

function setup(epochSeconds: number, hz?: number): void {
  clock = new Clock(hz);
  io = new IoSpace();
  irq = false;
  irqRises = 0;
  rtc = new Rtc(
    clock,
    (level) => {
      if (level && !irq) irqRises++;
      irq = level;
    },
    epochSeconds,
  );
  io.map(0x70, 2, rtc.ports);
}

const rd = (i: number) => (io.write(0x70, 1, i), io.read(0x71, 1));
const wr = (i: number, v: number) => (io.write(0x70, 1, i), io.write(0x71, 1, v));
const bcd = (b: number) => (b >> 4) * 10 + (b & 15);

function advance(n: number): void {
  clock.cycles += n;
  if (clock.cycles >= clock.nextDeadline) clock.fireDue();
}

function runTo(target: number, step: number): void {
  while (clock.cycles < target) advance(Math.min(step, target - clock.cycles));
}

function timeRegs(): number[] {
  return [0, 2, 4, 6, 7, 8, 9, 0x32].map(rd);
}

beforeEach(() => setup(Y2K_EVE));

describe('MC146818 RTC', () => {
  it('has the documented reset state and port behaviour', () => {
    expect(rd(0x0a)).toBe(0x26);
    expect(rd(0x0b)).toBe(0x02);
    expect(rd(0x0c)).toBe(0x00);
    expect(rd(0x0d)).toBe(0x80);
    expect(io.read(0x70, 1)).toBe(0xff);
    // Index bit 7 is the NMI mask, not an address bit.
    io.write(0x70, 1, 0x8a);
    expect(io.read(0x71, 1)).toBe(0x26);
    wr(0x40, 0x5a);
    expect(rd(0x40)).toBe(0x5a);
    wr(0x0c, 0xff);
    wr(0x0d, 0x00);
    expect(rd(0x0c)).toBe(0x00);
    expect(rd(0x0d)).toBe(0x80);
    // The start time in BCD, 24-hour, with the century byte.
    expect(timeRegs()).toEqual([0x59, 0x59, 0x23, 0x06, 0x31, 0x12, 0x99, 0x19]);
  });

  it('measures the Count rate exactly like Linux estimate_frequencies', () => {
    for (const hz of [200_000_000, 100_000_000]) {
      setup(Y2K_EVE, hz);
      const count = () => Math.floor(clock.cycles / 2);
      // Each poll of REG_A is a few instructions of the guest's loop.
      const uip = () => {
        advance(125);
        return (rd(0x0a) & 0x80) !== 0;
      };
      // init_rtc
      if ((rd(0x0a) & 0x70) !== 0x20) wr(0x0a, 0x20);
      if (rd(0x0b) & 0x80) wr(0x0b, rd(0x0b) & 0x7f);
      // Start mid-second so the first wait actually waits.
      runTo(clock.hz * 0.3, 1000);
      while (uip());
      while (!uip());
      const start = count();
      while (uip());
      const s1 = bcd(rd(0));
      while (!uip());
      const end = count();
      while (uip());
      const s2 = bcd(rd(0));
      let secs = s2 - s1;
      if (secs < 0) secs += 60;
      expect(secs).toBe(1);
      expect((end - start) / secs).toBe(hz / 2);
    }
  });

  it('asserts UIP for exactly the last 244.14 us before each seconds update', () => {
    const hz = clock.hz;
    const window = (hz * 8) / 32768; // 48828.125 cycles
    for (const second of [1, 2, 7]) {
      const update = second * hz;
      clock.cycles = Math.ceil(update - window) - 1;
      expect(rd(0x0a) & 0x80).toBe(0);
      clock.cycles = Math.ceil(update - window);
      expect(rd(0x0a) & 0x80).toBe(0x80);
      clock.cycles = update - 1;
      expect(rd(0x0a) & 0x80).toBe(0x80);
      const before = (59 + second - 1) % 60;
      expect(bcd(rd(0))).toBe(before);
      clock.cycles = update;
      expect(rd(0x0a) & 0x80).toBe(0);
      expect(bcd(rd(0))).toBe((before + 1) % 60);
    }
  });

  it('rolls seconds over with carry through every field in BCD', () => {
    clock.cycles = clock.hz;
    // 2000-01-01 00:00:00, a Saturday.
    expect(timeRegs()).toEqual([0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00, 0x20]);
    clock.cycles = 61 * clock.hz;
    expect(timeRegs()).toEqual([0x00, 0x01, 0x00, 0x07, 0x01, 0x01, 0x00, 0x20]);
  });

  it('handles leap days, binary mode and 12-hour mode', () => {
    setup(Date.UTC(2024, 1, 28, 23, 59, 59) / 1000);
    clock.cycles = clock.hz;
    expect(timeRegs()).toEqual([0x00, 0x00, 0x00, 0x05, 0x29, 0x02, 0x24, 0x20]);
    wr(0x0b, 0x06); // binary, 24h
    clock.cycles = 13 * 3600 * clock.hz + clock.hz;
    expect(timeRegs()).toEqual([0, 0, 13, 5, 29, 2, 24, 20]);
    wr(0x0b, 0x00); // BCD, 12h: 1 PM
    expect(rd(4)).toBe(0x81);
    clock.cycles += 11 * 3600 * clock.hz; // midnight is 12 AM
    expect(rd(4)).toBe(0x12);
    expect(rd(7)).toBe(0x01);
    expect(rd(8)).toBe(0x03);
  });

  it('freezes the time while SET is 1 and takes the written time when it clears', () => {
    clock.cycles = clock.hz / 4; // a quarter into the second
    wr(0x0b, 0x82);
    clock.cycles += 5 * clock.hz;
    expect(rd(0)).toBe(0x59);
    expect(rd(0x0a) & 0x80).toBe(0);
    clock.cycles = 6 * clock.hz - 1000; // would be inside the UIP window
    expect(rd(0x0a) & 0x80).toBe(0);
    wr(4, 0x10);
    wr(2, 0x20);
    wr(0, 0x30);
    wr(0x0b, 0x02);
    expect([rd(4), rd(2), rd(0)]).toEqual([0x10, 0x20, 0x30]);
    // The divider kept running: the next update is still on the original phase.
    clock.cycles = 6 * clock.hz - 1;
    expect(rd(0)).toBe(0x30);
    clock.cycles = 6 * clock.hz;
    expect(rd(0)).toBe(0x31);
  });

  it('sets the clock on time register writes while running', () => {
    clock.cycles = clock.hz / 2;
    wr(0, 0x45);
    wr(9, 0x23);
    wr(0x32, 0x20);
    expect(rd(0)).toBe(0x45);
    clock.cycles = clock.hz;
    expect(timeRegs()).toEqual([0x46, 0x59, 0x23, 0x06, 0x31, 0x12, 0x23, 0x20]);
    // The guest may set the weekday freely; it then advances at midnight.
    wr(6, 0x02);
    clock.cycles += 86400 * clock.hz;
    expect(rd(6)).toBe(0x03);
  });

  it('stops in divider reset and makes the first update half a second after release', () => {
    clock.cycles = clock.hz / 4;
    wr(0x0a, 0x76);
    clock.cycles += 3 * clock.hz;
    expect(rd(0)).toBe(0x59);
    expect(rd(0x0a)).toBe(0x76);
    wr(0x0a, 0x26);
    const release = clock.cycles;
    clock.cycles = release + clock.hz / 2 - 1;
    expect(rd(0)).toBe(0x59);
    clock.cycles = release + clock.hz / 2;
    expect(rd(0)).toBe(0x00);
    expect(rd(2)).toBe(0x00);
  });

  it('raises IRQ8 on update-ended and clears it on REG_C read', () => {
    setup(MIDDAY); // away from midnight, where the reset alarm registers (00:00:00) would match
    wr(0x0b, 0x12); // UIE
    expect(irq).toBe(false);
    runTo(clock.hz - 1, 100000);
    expect(irq).toBe(false);
    advance(1);
    expect(irq).toBe(true);
    expect(rd(0x0c)).toBe(0xd0); // IRQF | UF, and PF: flags are set whether or not enabled
    expect(irq).toBe(false);
    expect(rd(0x0c)).toBe(0x00);
    runTo(2 * clock.hz, 100000);
    expect(irqRises).toBe(2);
  });

  it('sets flags without raising IRQ8 when the interrupt is disabled', () => {
    setup(MIDDAY);
    clock.cycles = clock.hz + 300_000; // past an update and the first 1024 Hz periodic tick
    expect(rd(0x0c)).toBe(0x50); // PF | UF, no IRQF
    expect(irqRises).toBe(0);
    // Enabling a source whose flag is already set raises IRQ8 at once.
    clock.cycles += clock.hz;
    wr(0x0b, 0x12);
    expect(irq).toBe(true);
    expect(rd(0x0c)).toBe(0xd0);
    expect(irq).toBe(false);
  });

  it('interrupts at 1024 Hz for rate 6 with PIE', () => {
    wr(0x0b, 0x42);
    let handled = 0;
    while (clock.cycles < clock.hz) {
      advance(20_000); // 100 us batches
      if (irq) {
        expect(rd(0x0c) & 0xc0).toBe(0xc0);
        handled++;
      }
    }
    expect(handled).toBe(1024);
    // Rate 3 is 8192 Hz.
    wr(0x0a, 0x23);
    const t0 = clock.cycles;
    handled = 0;
    while (clock.cycles < t0 + clock.hz / 8) {
      advance(2_000);
      if (irq) {
        rd(0x0c);
        handled++;
      }
    }
    expect(handled).toBe(1024);
  });

  it('raises the alarm interrupt when the time matches, honouring dont-care bytes', () => {
    wr(0x05, 0x00);
    wr(0x03, 0x00);
    wr(0x01, 0x02); // 00:00:02, three seconds after start
    wr(0x0b, 0x22); // AIE
    runTo(3 * clock.hz - 1, 1_000_000);
    expect(irq).toBe(false);
    advance(1);
    expect(irq).toBe(true);
    expect(rd(0x0c)).toBe(0xf0); // IRQF | PF | AF | UF
    // All three don't-care: every second.
    wr(0x05, 0xc0);
    wr(0x03, 0xc0);
    wr(0x01, 0xc0);
    runTo(6 * clock.hz, 1_000_000);
    expect(irqRises).toBe(2);
    expect(rd(0x0c) & 0xa0).toBe(0xa0);
    runTo(7 * clock.hz, 1_000_000);
    expect(irqRises).toBe(3);
  });

  it('keeps time but disables interrupt sources on reset', () => {
    wr(0x0b, 0x72);
    clock.cycles = 2 * clock.hz;
    rtc.reset();
    expect(rd(0x0b)).toBe(0x02);
    expect(rd(0x0c)).toBe(0x00);
    expect(irq).toBe(false);
    expect(rd(0)).toBe(0x01);
  });
});
