/**
 * A Cpu on plain RAM, for hand-assembled instruction tests. Code is loaded through KSEG0 (or
 * KSEG1) addresses, so it lands at physical `va & 0x1FFFFFFF`. Every exception vector used with
 * BEV = 0 and EBase = 0x80000000 (refill +0x000, general +0x180, interrupt +0x200) holds a
 * self-loop, so after an exception the CPU parks on its vector and `parkedAt` can tell which.
 */
import type { AccessSize } from '../../src/emu/bus/types';
import { Clock } from '../../src/emu/clock';
import type { CpuModel } from '../../src/emu/cpu/cp0';
import { Cpu } from '../../src/emu/cpu/cpu';
import type { PhysicalMemory } from '../../src/emu/memory/physical';
import { Ram } from '../../src/emu/memory/ram';
import { halt, tlbwi } from './mips-asm';

export const EBASE = 0x80000000;
export const VEC_REFILL = 0x80000000;
export const VEC_GENERAL = 0x80000180;
export const VEC_IRQ = 0x80000200;
/** Where `program()` puts code unless told otherwise (physical 0x1000). */
export const CODE = 0x80001000;
/** A data area in KSEG0 (physical 0x00100000). */
export const DATA = 0x80100000;
/** Scratch word used by `tlbWrite` to execute one TLBWI. */
const SCRATCH = 0x80000f00;

/** Status bits (MIPS32 PRA). */
export const ST_IE = 1 << 0, ST_EXL = 1 << 1, ST_ERL = 1 << 2, ST_UM = 1 << 4;
export const ST_BEV = 1 << 22, ST_CU0 = 1 << 28, ST_CU1 = 1 << 29;
export const IM = (line: number): number => 1 << (8 + line);
/** Cause bits. */
export const CAUSE_BD = 0x80000000, CAUSE_TI = 1 << 30, CAUSE_IV = 1 << 23;
export const IP = (line: number): number => 1 << (8 + line);

/** Physical memory that is only RAM; anything else reads 0 and ignores writes (and is logged). */
export class RamOnlyMemory implements PhysicalMemory {
  readonly ioLog: { pa: number; size: AccessSize; write: boolean; value: number }[] = [];
  constructor(readonly ram: Ram) {}
  ramPage(pa: number): number {
    const p = pa >>> 0;
    return p < this.ram.size ? p - (p & 0xfff) : -1;
  }
  read(pa: number, size: AccessSize): number {
    this.ioLog.push({ pa: pa >>> 0, size, write: false, value: 0 });
    return 0;
  }
  write(pa: number, size: AccessSize, value: number): void {
    this.ioLog.push({ pa: pa >>> 0, size, write: true, value });
  }
}

const toPhys = (addr: number): number => (addr >>> 0) & 0x1fffffff;

export class CpuHarness {
  readonly clock = new Clock();
  readonly ram: Ram;
  readonly phys: RamOnlyMemory;
  readonly cpu: Cpu;

  constructor(model: CpuModel = '24Kf', ramMiB = 8) {
    this.ram = new Ram(ramMiB << 20);
    this.phys = new RamOnlyMemory(this.ram);
    this.cpu = new Cpu(this.phys, this.clock, model);
    // Kernel mode, BEV = 0, ERL = 0, interrupts off: vectors at EBase.
    this.cpu.setStatus(0);
    for (const v of [VEC_REFILL, VEC_GENERAL, VEC_IRQ]) this.load(v, halt());
  }

  /** Store instruction/data words at a KSEG0/KSEG1 address (or physical address below 512 MiB). */
  load(addr: number, words: readonly number[]): void {
    const p = toPhys(addr);
    words.forEach((w, i) => this.write32(p + 4 * i, w));
  }

  /** Load `words` at `addr` and point pc there (npc = pc + 4, not in a delay slot). */
  program(words: readonly number[], addr = CODE): void {
    this.load(addr, words);
    this.start(addr);
  }

  start(addr: number): void {
    this.cpu.pc = addr | 0;
    this.cpu.npc = (addr + 4) | 0;
    this.cpu.delay = false;
  }

  /** Execute exactly `n` instructions (n cycles; WAIT may skip more time). */
  step(n = 1): void {
    this.cpu.run(this.clock.cycles + n);
  }

  /** Run `cycles` cycles. */
  run(cycles: number): void {
    this.cpu.run(this.clock.cycles + cycles);
  }

  get pc(): number {
    return this.cpu.pc >>> 0;
  }

  /** True when the CPU sits in the two-word self-loop at `addr` (see `halt()`). */
  parkedAt(addr: number): boolean {
    const pc = this.pc;
    return pc === addr >>> 0 || pc === (addr + 4) >>> 0;
  }

  reg(r: number): number {
    return this.cpu.gpr[r] >>> 0;
  }

  setReg(r: number, v: number): void {
    this.cpu.gpr[r] = v | 0;
  }

  get excCode(): number {
    return (this.cpu.cause >>> 2) & 31;
  }

  get ce(): number {
    return (this.cpu.cause >>> 28) & 3;
  }

  get bd(): boolean {
    return (this.cpu.cause & CAUSE_BD) !== 0;
  }

  get epc(): number {
    return this.cpu.epc >>> 0;
  }

  get badVAddr(): number {
    return this.cpu.badVAddr >>> 0;
  }

  // Physical memory accessors (addresses may be given as KSEG0/KSEG1 addresses).
  read32(addr: number): number {
    return this.ram.i32[toPhys(addr) >>> 2] >>> 0;
  }
  write32(addr: number, v: number): void {
    this.ram.i32[toPhys(addr) >>> 2] = v | 0;
  }
  read8(addr: number): number {
    return this.ram.u8[toPhys(addr)];
  }
  writeBytes(addr: number, bytes: readonly number[]): void {
    this.ram.u8.set(bytes, toPhys(addr));
  }

  /**
   * Write TLB entry `index` with the guest's own TLBWI (executed from a scratch word), leaving
   * EntryHi/EntryLo/PageMask/Index holding the values written, as guest code would.
   */
  tlbWrite(index: number, entryHi: number, lo0: number, lo1: number, pageMask = 0): void {
    const cpu = this.cpu;
    const { pc, npc, delay } = cpu;
    cpu.index = index;
    cpu.entryHi = entryHi | 0;
    cpu.entryLo0 = lo0 | 0;
    cpu.entryLo1 = lo1 | 0;
    cpu.pageMask = pageMask | 0;
    this.load(SCRATCH, [tlbwi()]);
    this.start(SCRATCH);
    this.step(1);
    if (this.pc !== SCRATCH + 4) throw new Error('TLBWI from the harness raised an exception');
    cpu.pc = pc;
    cpu.npc = npc;
    cpu.delay = delay;
  }
}

/** EntryLo value: physical page `pa`, cache attribute 3, dirty/valid/global flags. */
export function entryLo(pa: number, flags: { d?: boolean; v?: boolean; g?: boolean } = {}): number {
  const { d = true, v = true, g = false } = flags;
  return (((pa >>> 12) << 6) | (3 << 3) | (d ? 4 : 0) | (v ? 2 : 0) | (g ? 1 : 0)) >>> 0;
}
