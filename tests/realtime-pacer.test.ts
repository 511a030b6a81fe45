import { describe, expect, it } from 'vitest';
import { Machine } from '../src/emu/machine';
import { RealtimePacer, WakeableSleep } from '../src/emu/realtime-pacer';
import { ADDIU_LOOP, tinyKernel } from './helpers/ide-kernel';
import { C0_COMPARE, C0_COUNT, T0, T1, V0, addu, b, li, mfc0, mtc0, nop, wait } from './helpers/mips-asm';

const HZ = 200_000_000;
/** Guest seconds from boot to the CP0 timer the idle kernel sets (Count runs at HZ / 2). */
const TIMER_AT = 0.1;

/** Sets Compare to fire TIMER_AT seconds after boot (interrupts stay off), then idles in WAIT. */
const IDLE_KERNEL = [
  mfc0(T0, C0_COUNT),
  ...li(T1, (TIMER_AT * HZ) / 2),
  addu(T0, T0, T1),
  mtc0(T0, C0_COMPARE),
  wait(),
  b(-2),
  nop(),
];

const machineWith = (code: number[]) => new Machine({ kernel: tinyKernel(code), memMiB: 32 });
const SLICE = 2_000_000; // 10 ms of guest time

describe('pacing guest time to the wall clock', () => {
  it('lets the host sleep until an idle guest next has something to do', () => {
    const m = machineWith(IDLE_KERNEL);
    const pacer = new RealtimePacer(m, 1000);
    m.run(SLICE);
    expect(m.idle).toBe(true);
    expect(m.seconds).toBeCloseTo(0.01, 6);
    // The wall clock has not moved: the host may sleep until the timer, 0.1 s of guest time.
    expect(pacer.wait(1000)).toBeCloseTo(TIMER_AT * 1000, 0);
    // 60 ms later (input woke the host early) the guest's time has gone on with the wall's...
    const instructions = m.instructions;
    pacer.resume(1060);
    expect(m.seconds).toBeCloseTo(0.06, 6);
    // ...without running: WAIT's time is not retired instructions.
    expect(m.instructions).toBe(instructions);
  });

  it('never skips an idle guest past its next event', () => {
    const m = machineWith(IDLE_KERNEL);
    const pacer = new RealtimePacer(m, 0);
    m.run(SLICE);
    pacer.wait(0);
    pacer.resume(400); // the host overslept: the timer was due at 100 ms
    expect(m.seconds).toBeCloseTo(TIMER_AT, 6);
    m.run(SLICE); // the timer fires here, at its own time, and the guest is back in WAIT
    expect(m.idle).toBe(true);
  });

  it('caps the sleep of a guest with nothing due for a long time', () => {
    const m = machineWith([wait(), b(-1), nop()]);
    const pacer = new RealtimePacer(m, 0);
    m.run(SLICE);
    expect(m.idle).toBe(true);
    // Only Count's wrap (43 s away) is due; the host still comes back within half a second.
    expect(m.secondsToNextEvent).toBeGreaterThan(40);
    expect(pacer.wait(0)).toBe(500);
  });

  it('makes a busy guest that ran ahead wait, and never skips its time', () => {
    const m = machineWith(ADDIU_LOOP);
    const pacer = new RealtimePacer(m, 0);
    m.run(SLICE * 3);
    expect(m.idle).toBe(false);
    expect(pacer.wait(10)).toBeCloseTo(20, 3); // 30 ms of guest time after 10 ms of wall time
    const seconds = m.seconds;
    pacer.resume(5000);
    expect(m.seconds).toBe(seconds);
    expect(m.cpu.gpr[V0]).toBe(m.instructions / 3); // the loop ran every cycle
  });

  it('forgets the lag of a busy guest the host could not keep up with', () => {
    const m = machineWith(ADDIU_LOOP);
    const pacer = new RealtimePacer(m, 0);
    m.run(SLICE);
    // A second of wall time for 10 ms of guest time: run on, no waiting...
    expect(pacer.wait(1000)).toBe(0);
    // ...but the guest need only get 50 ms ahead of where it was to be on time again.
    m.run(SLICE * 5);
    expect(pacer.wait(1000)).toBe(0);
    m.run(SLICE * 3);
    expect(pacer.wait(1000)).toBeCloseTo(30, 3);
  });
});

describe('WakeableSleep', () => {
  it('ends a long sleep when woken', async () => {
    const s = new WakeableSleep();
    const slept = s.sleep(600_000);
    s.wake();
    await slept; // would time the test out if wake() did nothing
    s.wake(); // nothing to wake: harmless
  });
});
