import type { Clock, Timer } from '../clock';
import type { PhysicalMemory } from '../memory/physical';
import { LAYOUT } from '../memory/ram';
import {
  CAUSE_BD, CAUSE_IV, CAUSE_TI, type CpuModel, ENTRYLO_MASK, EXC_ADEL, EXC_ADES, EXC_BP, EXC_CPU, EXC_INT, EXC_MOD,
  EXC_OV, EXC_RI, EXC_SYS, EXC_TLBL, EXC_TLBS, EXC_TR, EXC_FPE, MODELS, type ModelInfo, ST_BEV, ST_CU0,
  ST_CU1, ST_ERL, ST_EXL, ST_FR, ST_IE, ST_UM,
} from './cp0';
import { Fpu } from './fpu';
import { type BlockFn, JUMP_CACHE_SIZE, Jit, mulHiSigned, mulHiUnsigned } from './jit';
import { Mmu, TLB_ENTRIES, XLAT_MODIFIED, XLAT_REFILL } from './mmu';

/** Receives every executed PC and every exception when tracing is on. */
export interface CpuTracer {
  exec(pc: number): void;
  exception(code: number, pc: number, vector: number): void;
}

/**
 * A MIPS32 release 2 core as QEMU's 24Kf (or 4KEc): integer ISA, CP0 with a 16-entry TLB,
 * precise exceptions, Count/Compare on the virtual clock, and the CP1 FPU (fpu.ts).
 *
 * The interpreter keeps pc/npc in locals: every instruction moves pc <- npc, npc <- npc + 4,
 * and a branch overwrites npc, so the instruction after it runs as the delay slot.
 * `delay` tells whether the instruction at pc sits in a delay slot (for EPC and Cause.BD).
 */
export class Cpu {
  readonly gpr: Int32Array;
  /** LO and HI, in the linear memory beside the registers (see LAYOUT). */
  private readonly loHi: Int32Array;
  get hi(): number {
    return this.loHi[1];
  }
  set hi(v: number) {
    this.loHi[1] = v;
  }
  get lo(): number {
    return this.loHi[0];
  }
  set lo(v: number) {
    this.loHi[0] = v;
  }
  pc = 0;
  npc = 4;
  delay = false;

  readonly model: ModelInfo;
  readonly fpu: Fpu;
  readonly mmu: Mmu;

  // CP0
  index = 0;
  entryLo0 = 0;
  entryLo1 = 0;
  context = 0;
  pageMask = 0;
  wired = 0;
  hwrEna = 0;
  badVAddr = 0;
  entryHi = 0;
  compare = 0;
  status = 0;
  intCtl = 0xe0000000 | 0;
  cause = 0;
  epc = 0;
  ebase = 0x80000000 | 0;
  config0 = 0;
  llAddr = 0;
  errorEpc = 0;
  desave = 0;
  readonly watchLo = new Int32Array(8);
  readonly watchHi = new Int32Array(8);
  private countOffset = 0;
  private randomSeed = 1;
  private randomPrev = 0;
  llBit = false;
  /** Hardware interrupt lines IP2..IP6 as Cause bits (IP7 is the timer). */
  private hwLines = 0;

  /** Interrupt ready to be taken at the next instruction boundary. */
  intPending = false;
  /** Set when the machine must leave `run` (power-off, reset, breakpoint). */
  stopRequested = false;
  /** The last WAIT found nothing to wake it before the run limit: the guest is idle. */
  idle = false;
  /**
   * Cycles skipped by WAIT; instructions retired = clock cycles - idleCycles. It starts as -0,
   * a heap number, so V8 stores the field as a double from the start: starting from the small
   * integer 0, the first WAIT (often at the first shell prompt) changed the CPU object's shape,
   * and every optimized function that uses the CPU was thrown away and compiled again.
   */
  idleCycles = -0;
  tracer: CpuTracer | null = null;

  /** The software-TLB tables of the current mode (the kernel's or the user's). */
  rmap: Int32Array;
  wmap: Int32Array;
  private readonly ram32: Int32Array;
  private readonly ram16: Uint16Array;
  private readonly ram8: Uint8Array;
  private readonly timer: Timer;

  // Where the slow paths record the faulting instruction (also set by translated blocks).
  excPc = 0;
  excDelay = false;
  excRaised = false;
  /** Block translator; null runs everything in the interpreter (and always while tracing). */
  jit: Jit | null;

  constructor(
    private readonly phys: PhysicalMemory,
    private readonly clock: Clock,
    modelName: CpuModel = '24Kf',
  ) {
    this.model = MODELS[modelName];
    this.gpr = new Int32Array(phys.ram.buffer, LAYOUT.GPR, 32);
    this.loHi = new Int32Array(phys.ram.buffer, LAYOUT.LO, 2);
    this.mmu = new Mmu(phys);
    this.fpu = new Fpu(this.gpr);
    this.ram32 = phys.ram.i32;
    this.ram16 = phys.ram.u16;
    this.ram8 = phys.ram.u8;
    this.rmap = this.mmu.kRead;
    this.wmap = this.mmu.kWrite;
    this.timer = clock.createTimer(() => this.compareMatch());
    this.jit = null;
    this.setJit(true);
    this.reset();
  }

  /** Turn block translation on or off (off: pure interpreter, e.g. to compare the two). */
  setJit(enabled: boolean): void {
    if (enabled && !this.jit) {
      const mmu = this.mmu;
      this.jit = new Jit(
        this.ram32, this.ram16, this.ram8, this.clock, (off) => mmu.protect(off), (off) => mmu.unprotect(off),
        this, this.phys.ram.memory,
      );
      mmu.codePage = this.jit.codePage;
    } else if (!enabled && this.jit) {
      const pages = this.jit.codePage;
      for (let i = 0; i < pages.length; i++) if (pages[i]) this.jit.invalidatePage(i);
      this.jit = null;
      this.mmu.codePage = null;
    }
  }

  /**
   * For translated blocks: whether CP1 is usable; if not, raises Coprocessor Unusable (CE=1) for the
   * instruction recorded in excPc/excDelay (lazy FPU switching and FPU emulation rely on it).
   */
  fpuUsableOrRaise(): boolean {
    if (this.model.hasFpu && (this.status & ST_CU1) !== 0) return true;
    this.raise(EXC_CPU, false, 1);
    return false;
  }

  /** For translated blocks: address error for the instruction recorded in excPc/excDelay. */
  addressErrorFromJit(va: number, write: boolean): void {
    this.addressError(va, write);
  }

  /** For translated blocks: a CP1 operation; false when it raised FPE or RI. */
  cop1OrRaise(insn: number): boolean {
    const res = this.fpu.execute(insn);
    if (res === 0) return true;
    this.raise(res === EXC_FPE ? EXC_FPE : EXC_RI);
    return false;
  }

  /** For translated blocks: raise `code` for the instruction they recorded in excPc/excDelay. */
  raiseFromJit(code: number): void {
    this.raise(code);
  }

  reset(): void {
    this.gpr.fill(0);
    this.hi = this.lo = 0;
    this.pc = 0xbfc00000 | 0;
    this.npc = (this.pc + 4) | 0;
    this.delay = false;
    this.mmu.reset();
    this.index = this.entryLo0 = this.entryLo1 = this.context = this.pageMask = this.wired = 0;
    this.hwrEna = this.badVAddr = this.entryHi = this.compare = 0;
    this.status = ST_BEV | ST_ERL;
    this.intCtl = 0xe0000000 | 0;
    this.cause = 0;
    this.epc = this.errorEpc = this.desave = this.llAddr = 0;
    this.ebase = 0x80000000 | 0;
    this.config0 = this.model.config0;
    this.watchLo.fill(0);
    for (let i = 0; i < 8; i++) this.watchHi[i] = i < 7 ? 0x80000000 | 0 : 0;
    this.llBit = false;
    this.randomSeed = 1;
    this.randomPrev = 0;
    this.hwLines = 0;
    this.stopRequested = false;
    this.fpu.fcsr = 0;
    this.fpu.fr = false;
    // Count is 1 right after reset on QEMU; tie it to the current virtual time.
    this.countOffset = (1 - Math.floor(this.clock.cycles / 2)) | 0;
    this.armCompare();
    this.modeChanged();
  }

  /** Set Status directly (boot without a stub) and update what depends on it. */
  setStatus(v: number): void {
    this.status = v;
    this.mmu.flush();
    this.modeChanged();
  }

  // ---------------------------------------------------------------- interrupts and time

  /** Drive hardware interrupt line IP2..IP6 (level). */
  setIrqLine(line: number, level: boolean): void {
    const bit = 1 << (8 + line);
    const lines = level ? this.hwLines | bit : this.hwLines & ~bit;
    if (lines === this.hwLines) return;
    this.hwLines = lines;
    this.cause = (this.cause & ~0x7c00) | lines;
    this.updateIntPending();
  }

  /**
   * Let guest time pass while the CPU sits in WAIT, up to `cycles` (absolute) or the next device
   * event, whichever is first: what the WAIT would have done had the run gone on. Only when the
   * last run ended idle and no enabled interrupt line is up (WAIT wakes on those even with IE=0).
   */
  skipIdle(cycles: number): void {
    if (!this.idle || (this.cause & this.status & 0xff00) !== 0) return;
    const clock = this.clock;
    const to = Math.min(cycles, clock.nextDeadline);
    if (to <= clock.cycles) return;
    this.idleCycles += to - clock.cycles;
    clock.cycles = to;
  }

  private updateIntPending(): void {
    this.intPending =
      (this.cause & this.status & 0xff00) !== 0 && (this.status & (ST_IE | ST_EXL | ST_ERL)) === ST_IE;
  }

  count(): number {
    return (Math.floor(this.clock.cycles / 2) + this.countOffset) | 0;
  }

  /** Arm the timer for the moment Count next equals Compare (Count runs at half the CPU clock). */
  private armCompare(): void {
    const ticks = (this.compare - this.count()) >>> 0 || 0x100000000;
    const base = Math.floor(this.clock.cycles / 2) * 2;
    this.timer.arm(base + ticks * 2);
  }

  private compareMatch(): void {
    this.cause |= CAUSE_TI | 0x8000;
    this.updateIntPending();
    this.armCompare();
  }

  // ---------------------------------------------------------------- modes

  get kernelMode(): boolean {
    return (this.status & (ST_UM | ST_EXL | ST_ERL)) !== ST_UM;
  }

  /** Called whenever KSU/EXL/ERL may have changed: pick the software TLB for the mode. */
  private modeChanged(): void {
    if (this.kernelMode) {
      this.rmap = this.mmu.kRead;
      this.wmap = this.mmu.kWrite;
    } else {
      this.rmap = this.mmu.uRead;
      this.wmap = this.mmu.uWrite;
    }
    this.fpu.fr = (this.status & ST_FR) !== 0;
    this.updateIntPending();
  }

  // ---------------------------------------------------------------- exceptions

  /**
   * Enter exception `code` for the instruction recorded in excPc/excDelay.
   * `refill` selects the TLB refill vector (only when EXL was clear).
   */
  private raise(code: number, refill = false, ce = 0): void {
    const st = this.status;
    let offset = 0x180;
    if ((st & ST_EXL) === 0) {
      if (this.excDelay) {
        this.epc = (this.excPc - 4) | 0;
        this.cause |= CAUSE_BD;
      } else {
        this.epc = this.excPc;
        this.cause &= ~CAUSE_BD;
      }
      if (refill) offset = 0;
      else if (code === EXC_INT && (this.cause & CAUSE_IV) !== 0) offset = 0x200;
    } else if (code === EXC_INT && (this.cause & CAUSE_IV) !== 0) {
      offset = 0x200;
    }
    this.cause = (this.cause & ~(0x7c | (3 << 28))) | (code << 2) | (ce << 28);
    this.status = st | ST_EXL;
    const base = (st & ST_BEV) !== 0 ? 0xbfc00200 | 0 : this.ebase & 0xfffff000;
    const vector = (base + offset) | 0;
    if (this.tracer) this.tracer.exception(code, this.excPc, vector);
    this.pc = vector;
    this.npc = (vector + 4) | 0;
    this.delay = false;
    this.excRaised = true;
    this.modeChanged();
  }

  private addressError(va: number, write: boolean): void {
    this.badVAddr = va;
    this.raise(write ? EXC_ADES : EXC_ADEL);
  }

  private tlbError(va: number, write: boolean, kind: number): void {
    this.badVAddr = va;
    this.context = (this.context & 0xff800000) | ((va >>> 9) & 0x007ffff0);
    this.entryHi = (va & 0xffffe000) | (this.entryHi & 0xff);
    if (kind === XLAT_MODIFIED) this.raise(EXC_MOD);
    else this.raise(write ? EXC_TLBS : EXC_TLBL, kind === XLAT_REFILL && (this.status & ST_EXL) === 0);
  }

  /** Virtual to physical, raising the exception on failure (returns -1 then). */
  private translate(va: number, write: boolean): number {
    if (va < 0) {
      if (!this.kernelMode) {
        this.addressError(va, write);
        return -1;
      }
      if (va < (0xc0000000 | 0)) return va & 0x1fffffff;
    } else if ((this.status & ST_ERL) !== 0) {
      return va;
    }
    const pa = this.mmu.translateMapped(va, write, this.entryHi & 0xff);
    if (pa < 0) {
      if (pa === XLAT_REFILL && this.refillInPlace && (this.status & (ST_EXL | ST_BEV)) === 0) {
        return this.refillAndRetry(va, write);
      }
      this.tlbError(va, write, pa);
      return -1;
    }
    return pa;
  }

  /**
   * A TLB refill met by a translated block's load or store. When the refill handler at the
   * vector is translated too, run it right here (exception entry, handler, ERET back to the
   * access) and retry, instead of leaving the block, dispatching the handler and coming back:
   * with 16 TLB entries Linux takes a refill every ~100 instructions in busy user code.
   * Registers, CP0, the TLB and the cycle count end up as on the long way round; only
   * interrupts wait for the end of the block, as they always do inside one. Returns the
   * physical address, or -1 with an exception entered.
   */
  private refillAndRetry(va: number, write: boolean): number {
    const faultPc = this.excPc;
    const faultDelay = this.excDelay;
    // ERET goes back to the access, or to its branch when it sits in a delay slot.
    const back = faultDelay ? (faultPc - 4) | 0 : faultPc;
    const codePage = this.rmap[back >>> 12]; // the block's own code, as this mode fetches it
    this.tlbError(va, write, XLAT_REFILL);
    const vector = this.pc;
    const be = this.rmap[vector >>> 12];
    const block = be > 0 ? this.jit!.lookup(be - 1 + (vector & 0xfff), vector) : undefined;
    if (block === undefined) return -1; // the dispatcher runs the handler
    const clock = this.clock;
    const end = block.fn(this.rmap, 0, clock.nextDeadline);
    clock.cycles = end;
    // Leave the block, at the handler's end, when it went elsewhere (a nested exception) or when
    // the entry it replaced mapped this code: then the fetch after ERET misses in its turn.
    if (
      this.pc !== back || (this.status & (ST_EXL | ST_ERL)) !== 0 || this.delay ||
      (!this.fetchRefill && this.rmap[back >>> 12] !== codePage)
    ) {
      this.excRaised = true;
      return -1;
    }
    this.excRaised = false;
    this.excPc = faultPc;
    this.excDelay = faultDelay;
    this.refillsInPlace++;
    // The access runs again, after its branch again when it is in a delay slot.
    clock.cycles = end + (faultDelay ? 2 : 1);
    const pa = this.mmu.translateMapped(va, write, this.entryHi & 0xff);
    if (pa < 0) {
      this.tlbError(va, write, pa);
      return -1;
    }
    return pa;
  }

  // ---------------------------------------------------------------- slow memory paths

  /** Set while a translated block's access takes the slow path (see refillAndRetry). */
  private refillInPlace = false;
  /** ... and while the dispatcher translates an instruction fetch the same way. */
  private fetchRefill = false;
  /** TLB refills served inside a translated block (statistics). */
  refillsInPlace = 0;

  /** For translated blocks: loadSlow, serving a TLB refill in place when it can. */
  loadJit(va: number, size: 1 | 2 | 4): number {
    this.refillInPlace = true;
    const v = this.loadSlow(va, size);
    this.refillInPlace = false;
    return v;
  }

  /** For translated blocks: storeSlow, serving a TLB refill in place when it can. */
  storeJit(va: number, size: 1 | 2 | 4, value: number): void {
    this.refillInPlace = true;
    this.storeSlow(va, size, value);
    this.refillInPlace = false;
  }

  loadSlow(va: number, size: 1 | 2 | 4): number {
    this.excRaised = false;
    if ((va & (size - 1)) !== 0) {
      this.addressError(va, false);
      return 0;
    }
    const pa = this.translate(va, false);
    if (pa < 0) return 0;
    const page = this.phys.ramPage(pa);
    if (page >= 0) {
      const off = page + (pa & 0xfff);
      return size === 4 ? this.ram32[off >> 2] : size === 2 ? this.ram16[off >> 1] : this.ram8[off];
    }
    return this.phys.read(pa, size);
  }

  storeSlow(va: number, size: 1 | 2 | 4, value: number): void {
    this.excRaised = false;
    if ((va & (size - 1)) !== 0) {
      this.addressError(va, true);
      return;
    }
    const pa = this.translate(va, true);
    if (pa < 0) return;
    const page = this.phys.ramPage(pa);
    if (page >= 0) {
      const jit = this.jit;
      if (jit !== null && jit.codePage[page >>> 12] !== 0) jit.invalidatePage(page >>> 12);
      const off = page + (pa & 0xfff);
      if (size === 4) this.ram32[off >> 2] = value;
      else if (size === 2) this.ram16[off >> 1] = value;
      else this.ram8[off] = value;
      return;
    }
    this.phys.write(pa, size, size === 4 ? value >>> 0 : size === 2 ? value & 0xffff : value & 0xff);
  }

  private fetchSlow(va: number): number {
    this.excRaised = false;
    if ((va & 3) !== 0) {
      this.addressError(va, false);
      return 0;
    }
    const pa = this.translate(va, false);
    if (pa < 0) return 0;
    const page = this.phys.ramPage(pa);
    if (page >= 0) return this.ram32[(page + (pa & 0xfff)) >> 2];
    return this.phys.read(pa, 4) | 0;
  }

  // ---------------------------------------------------------------- CP0 access

  readCp0(reg: number, sel: number): number {
    switch ((reg << 3) | sel) {
      case 0 << 3: return this.index;
      case 1 << 3: return this.random();
      case 2 << 3: return this.entryLo0;
      case 3 << 3: return this.entryLo1;
      case 4 << 3: return this.context;
      case 5 << 3: return this.pageMask;
      case 6 << 3: return this.wired;
      case 7 << 3: return this.hwrEna;
      case 8 << 3: return this.badVAddr;
      case 9 << 3: return this.count();
      case 10 << 3: return this.entryHi;
      case 11 << 3: return this.compare;
      case 12 << 3: return this.status;
      case (12 << 3) | 1: return this.intCtl;
      case (12 << 3) | 2: return 0; // SRSCtl: one shadow set
      case (12 << 3) | 3: return 0; // SRSMap
      case 13 << 3: return this.cause;
      case 14 << 3: return this.epc;
      case 15 << 3: return this.model.prid;
      case (15 << 3) | 1: return this.ebase;
      case 16 << 3: return this.config0;
      case (16 << 3) | 1: return this.model.config1;
      case (16 << 3) | 2: return this.model.config2;
      case (16 << 3) | 3: return this.model.config3;
      case 17 << 3: return this.llAddr;
      case 23 << 3: return 0x02000000 | 0x00008000 | 0; // Debug: CNT-style defaults, never used
      case 30 << 3: return this.errorEpc;
      case 31 << 3: return this.desave;
    }
    if (reg === 18) return this.watchLo[sel];
    if (reg === 19) return this.watchHi[sel];
    return 0; // ErrCtl, CacheErr, TagLo/Hi, DataLo/Hi, Config7 and the rest read 0.
  }

  writeCp0(reg: number, sel: number, v: number): void {
    switch ((reg << 3) | sel) {
      case 0 << 3: this.index = (this.index & 0x80000000) | (v & (TLB_ENTRIES - 1)); return;
      case 2 << 3: this.entryLo0 = v & ENTRYLO_MASK; return;
      case 3 << 3: this.entryLo1 = v & ENTRYLO_MASK; return;
      case 4 << 3: this.context = (this.context & 0x007ffff0) | (v & 0xff800000); return;
      case 5 << 3: this.pageMask = v & 0x1fffe000; return;
      case 6 << 3: this.wired = v & (TLB_ENTRIES - 1); return;
      case 7 << 3: this.hwrEna = v & 0x0000000f; return;
      case 9 << 3:
        this.countOffset = (v - Math.floor(this.clock.cycles / 2)) | 0;
        this.armCompare();
        return;
      case 10 << 3: {
        const nv = v & (0xffffe0ff | 0);
        if ((nv & 0xff) !== (this.entryHi & 0xff)) this.mmu.flush();
        this.entryHi = nv;
        return;
      }
      case 11 << 3:
        this.compare = v;
        this.cause &= ~(CAUSE_TI | 0x8000);
        this.armCompare();
        this.updateIntPending();
        return;
      case 12 << 3: {
        const old = this.status;
        const mask = this.model.statusMask;
        this.status = (old & ~mask) | (v & mask);
        if (((old ^ this.status) & ST_ERL) !== 0) this.mmu.flush();
        this.modeChanged();
        return;
      }
      case 13 << 3:
        this.cause = (this.cause & ~(CAUSE_IV | 0x300)) | (v & (CAUSE_IV | 0x300));
        this.updateIntPending();
        return;
      case 14 << 3: this.epc = v; return;
      case (15 << 3) | 1: this.ebase = (0x80000000 | (v & 0x3ffff000)) | 0; return;
      case 16 << 3: this.config0 = (this.config0 & ~7) | (v & 7); return;
      case 17 << 3: this.llAddr = v; return;
      case 30 << 3: this.errorEpc = v; return;
      case 31 << 3: this.desave = v; return;
    }
    if (reg === 18) this.watchLo[sel] = v & ~7; // QEMU 7.2 keeps the I/R/W enables at 0
    else if (reg === 19) this.watchHi[sel] = (this.watchHi[sel] & (0x80000000 | 0)) | (v & 0x40ff0ff8 & ~0x7);
    // Everything else (ErrCtl, TagLo, ...) ignores writes, as on QEMU.
  }

  /**
   * Random: QEMU 7.2's generator (ISO C's LCG, never the same index twice running), stepped on
   * each read and each TLBWR. Deterministic, and unlike a value derived from the cycle count it
   * cannot fall into step with a periodic loop and evict the same few entries again and again.
   */
  private random(): number {
    const span = TLB_ENTRIES - this.wired;
    if (span <= 0) return TLB_ENTRIES - 1;
    let idx: number;
    do {
      this.randomSeed = (Math.imul(this.randomSeed, 1103515245) + 12345) | 0;
      idx = ((this.randomSeed >>> 16) % span) + this.wired;
    } while (idx === this.randomPrev && span > 1);
    this.randomPrev = idx;
    return idx;
  }

  tlbRead(): void {
    const i = this.index & (TLB_ENTRIES - 1);
    const mmu = this.mmu;
    const oldAsid = this.entryHi & 0xff;
    this.entryHi = mmu.entryHi[i];
    this.pageMask = mmu.pageMask[i];
    this.entryLo0 = mmu.lo0[i] | mmu.global[i];
    this.entryLo1 = mmu.lo1[i] | mmu.global[i];
    if ((this.entryHi & 0xff) !== oldAsid) mmu.flush();
  }

  tlbWriteIndexed(): void {
    this.mmu.writeIndexed(this.index & (TLB_ENTRIES - 1), this.entryHi, this.pageMask, this.entryLo0, this.entryLo1);
    if ((this.status & ST_ERL) !== 0) this.mmu.flush(); // KUSEG is unmapped under ERL: no fast entries
  }

  tlbWriteRandom(): void {
    this.mmu.writeRandom(this.random(), this.entryHi, this.pageMask, this.entryLo0, this.entryLo1, this.entryHi & 0xff);
    if ((this.status & ST_ERL) !== 0) this.mmu.flush();
  }

  /** ERET: back to EPC (ErrorEPC with ERL), leaving exception level; clears the LL bit. */
  eret(): void {
    if ((this.status & ST_ERL) !== 0) {
      this.pc = this.errorEpc;
      this.status &= ~ST_ERL;
      this.mmu.flush();
    } else {
      this.pc = this.epc;
      this.status &= ~ST_EXL;
    }
    this.npc = (this.pc + 4) | 0;
    this.delay = false;
    this.llBit = false;
    this.modeChanged();
  }

  /** DI/EI: returns the old Status. */
  setInterruptEnable(on: boolean): number {
    const old = this.status;
    if (on) this.status |= ST_IE;
    else this.status &= ~ST_IE;
    this.updateIntPending();
    return old;
  }

  tlbProbe(): void {
    const i = this.mmu.probe(this.entryHi, this.entryHi & 0xff);
    if (i < 0) this.mmu.probeMissed(this.entryHi, this.entryHi & 0xff);
    this.index = i < 0 ? this.index | 0x80000000 : i;
  }

  // ---------------------------------------------------------------- the dispatcher

  /**
   * Execute until virtual time reaches `limit` cycles (absolute), the machine asks to stop,
   * or forever when tracing. Device deadlines and interrupts are served in between.
   *
   * This loop only serves time and interrupts and calls translated blocks; code without a block
   * runs in `interpret`, a stretch at a time. Keeping the two apart matters for V8: the
   * interpreter's big switch meets new paths for a long while (each one a deoptimisation), and
   * the hot loop that calls blocks must not be thrown back to baseline code with it.
   */
  run(limit: number): void {
    const clock = this.clock;
    let rmap = this.rmap;
    let pc = this.pc;
    let npc = this.npc;
    let delay = this.delay;
    let now = clock.cycles;
    let deadline = 0; // force the service block first
    this.idle = false;
    const jit = this.tracer === null ? this.jit : null;
    const jcPc = jit !== null ? jit.jcPc : null;
    const jcPage = jit !== null ? jit.jcPage : null;
    const jcFn = jit !== null ? jit.jcFn : null;
    // Blocks are looked up where control arrives from elsewhere: branch targets, vectors, returns.
    let entry = true;

    for (;;) {
      if (now >= deadline) {
        clock.cycles = now;
        if (now >= clock.nextDeadline) clock.fireDue();
        if (this.intPending) {
          this.excPc = pc;
          this.excDelay = delay;
          this.raise(EXC_INT);
          pc = this.pc;
          npc = this.npc;
          delay = false;
          entry = true;
          rmap = this.rmap;
        }
        if (now >= limit || this.stopRequested) break;
        deadline = clock.nextDeadline < limit ? clock.nextDeadline : limit;
      }

      let unmapped = false;
      if (entry && jcPc !== null && !delay) {
        const be = rmap[pc >>> 12];
        if (be > 0) {
          const j = (pc >>> 2) & (JUMP_CACHE_SIZE - 1);
          let fn: BlockFn | null = null;
          if (jcPc[j] === pc && jcPage![j] === be) fn = jcFn![j];
          else {
            const block = jit!.lookup(be - 1 + (pc & 0xfff), pc);
            if (block !== undefined) fn = block.fn;
          }
          if (fn !== null) {
            clock.cycles = now;
            this.excRaised = false;
            jit!.codeWritten = false;
            const end = fn(rmap, 0, deadline);
            // A block that ran nothing hands the instruction to the interpreter (never loop on it).
            if (end === now) entry = false;
            now = end;
            pc = this.pc;
            npc = (pc + 4) | 0; // blocks never end in a delay slot
            // Blocks flag exceptions, ERET and CP0 writes that can change mode or interrupts.
            if (this.excRaised) {
              rmap = this.rmap;
              deadline = now;
            }
            continue;
          }
        } else if ((pc & 3) === 0) {
          // Not in the software TLB: translate the fetch here, a TLB refill served in place as a
          // block's would be, then look for the block again.
          const served = this.refillsInPlace;
          clock.cycles = now + 1; // a fetch that faults takes a cycle, as in the interpreter
          this.excPc = pc;
          this.excDelay = false;
          this.excRaised = false;
          this.refillInPlace = true;
          this.fetchRefill = true;
          const pa = this.translate(pc, false);
          this.refillInPlace = false;
          this.fetchRefill = false;
          if (pa < 0) {
            now = clock.cycles;
            pc = this.pc;
            npc = this.npc;
            delay = false;
            rmap = this.rmap;
            deadline = now;
            continue;
          }
          // After a refill in place the clock has also counted the instruction: not yet.
          now = this.refillsInPlace !== served ? clock.cycles - 1 : now;
          clock.cycles = now;
          if (rmap[pc >>> 12] > 0) continue;
          unmapped = true; // not RAM (or unmapped under ERL): the interpreter fetches it
        }
      }

      this.pc = pc;
      this.npc = npc;
      this.delay = delay;
      now = this.interpret(now, deadline, limit, jcPc !== null, unmapped);
      pc = this.pc;
      npc = this.npc;
      delay = this.delay;
      rmap = this.rmap;
      entry = true;
      deadline = now; // serve devices before going on: the stretch may have touched them
    }

    clock.cycles = now;
    this.pc = pc;
    this.npc = npc;
    this.delay = delay;
  }

  // ---------------------------------------------------------------- the interpreter

  /**
   * Interpret from this.pc until virtual time reaches `deadline`, an exception or a device access
   * asks for service, or (with `toEntry`) control reaches a place where a block may start: the end
   * of a delay slot, an exception vector, a return from one. With `mapRetry` the stretch begins
   * on a page the software TLB did not hold: once the fetch has mapped it, return at once so the
   * dispatcher can look for a block there. Returns the virtual time reached.
   */
  private interpret(now: number, deadline: number, limit: number, toEntry: boolean, mapRetry: boolean): number {
    const clock = this.clock;
    const r = this.gpr;
    const ram32 = this.ram32;
    const ram16 = this.ram16;
    const ram8 = this.ram8;
    const fpu = this.fpu;
    const tracer = this.tracer;
    let rmap = this.rmap;
    let wmap = this.wmap;
    let pc = this.pc;
    let npc = this.npc;
    let delay = this.delay;
    let entry = false;

    for (;;) {
      if (now >= deadline || (entry && toEntry && !delay)) break;
      let insn: number;
      const fe = rmap[pc >>> 12];
      if (fe > 0 && (pc & 3) === 0) {
        insn = ram32[(fe + (pc & 0xfff)) >> 2];
      } else {
        clock.cycles = now;
        this.excPc = pc;
        this.excDelay = delay;
        insn = this.fetchSlow(pc);
        if (this.excRaised) {
          now++; // a fetch that faults still takes time, so a guest can never stall the clock
          pc = this.pc;
          npc = this.npc;
          delay = false;
          entry = true;
          rmap = this.rmap;
          wmap = this.wmap;
          deadline = now;
          continue;
        }
        // The fetch put the page in the software TLB: let the dispatcher look for a block there.
        if (mapRetry && rmap[pc >>> 12] > 0) break;
      }
      mapRetry = false;
      if (tracer !== null) tracer.exec(pc);

      const cur = pc;
      const curDelay = delay;
      entry = curDelay;
      pc = npc;
      npc = (npc + 4) | 0;
      delay = false;
      now++;
      r[0] = 0;

      const rs = (insn >>> 21) & 31;
      const rt = (insn >>> 16) & 31;

      exc: {
        switch (insn >>> 26) {
          case 0x00: {
            // SPECIAL
            const rd = (insn >>> 11) & 31;
            switch (insn & 63) {
              case 0x00: r[rd] = r[rt] << ((insn >>> 6) & 31); break; // SLL (incl. NOP, EHB, SSNOP)
              case 0x01: {
                // MOVF / MOVT
                this.excPc = cur; this.excDelay = curDelay;
                if (!this.fpuUsableOrRaise()) break exc;
                if (fpu.condition((insn >>> 18) & 7) === ((insn >>> 16) & 1) > 0) r[rd] = r[rs];
                break;
              }
              case 0x02: {
                const sa = (insn >>> 6) & 31;
                if ((insn & 0x00200000) !== 0) r[rd] = (r[rt] >>> sa) | (r[rt] << (32 - sa)); // ROTR
                else r[rd] = r[rt] >>> sa; // SRL
                break;
              }
              case 0x03: r[rd] = r[rt] >> ((insn >>> 6) & 31); break; // SRA
              case 0x04: r[rd] = r[rt] << (r[rs] & 31); break; // SLLV
              case 0x06: {
                const sa = r[rs] & 31;
                if ((insn & 0x40) !== 0) r[rd] = (r[rt] >>> sa) | (r[rt] << (32 - sa)); // ROTRV
                else r[rd] = r[rt] >>> sa; // SRLV
                break;
              }
              case 0x07: r[rd] = r[rt] >> (r[rs] & 31); break; // SRAV
              case 0x08: npc = r[rs]; delay = true; break; // JR (JR.HB)
              case 0x09: { // JALR (JALR.HB)
                const t = r[rs];
                r[rd] = (cur + 8) | 0;
                npc = t;
                delay = true;
                break;
              }
              case 0x0a: if (r[rt] === 0) r[rd] = r[rs]; break; // MOVZ
              case 0x0b: if (r[rt] !== 0) r[rd] = r[rs]; break; // MOVN
              case 0x0c: this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_SYS); break exc;
              case 0x0d: this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_BP); break exc;
              case 0x0f: break; // SYNC
              case 0x10: r[rd] = this.hi; break;
              case 0x11: this.hi = r[rs]; break;
              case 0x12: r[rd] = this.lo; break;
              case 0x13: this.lo = r[rs]; break;
              case 0x18: { const a = r[rs], b = r[rt]; this.lo = Math.imul(a, b); this.hi = mulHiSigned(a, b); break; }
              case 0x19: { const a = r[rs], b = r[rt]; this.lo = Math.imul(a, b); this.hi = mulHiUnsigned(a, b); break; }
              case 0x1a: { // DIV
                const a = r[rs], b = r[rt];
                // Division by zero is UNPREDICTABLE; QEMU divides by 1 instead (LO = rs, HI = 0).
                if (b === 0) { this.lo = a; this.hi = 0; break; }
                if (a === -2147483648 && b === -1) { this.lo = a; this.hi = 0; break; }
                this.lo = (a / b) | 0;
                this.hi = a % b | 0;
                break;
              }
              case 0x1b: { // DIVU
                const a = r[rs] >>> 0, b = r[rt] >>> 0;
                if (b === 0) { this.lo = a | 0; this.hi = 0; break; }
                this.lo = Math.floor(a / b) | 0;
                this.hi = a % b | 0;
                break;
              }
              case 0x20: { // ADD
                const s = r[rs] + r[rt];
                if (s > 2147483647 || s < -2147483648) { this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_OV); break exc; }
                r[rd] = s;
                break;
              }
              case 0x21: r[rd] = (r[rs] + r[rt]) | 0; break; // ADDU
              case 0x22: { // SUB
                const s = r[rs] - r[rt];
                if (s > 2147483647 || s < -2147483648) { this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_OV); break exc; }
                r[rd] = s;
                break;
              }
              case 0x23: r[rd] = (r[rs] - r[rt]) | 0; break; // SUBU
              case 0x24: r[rd] = r[rs] & r[rt]; break;
              case 0x25: r[rd] = r[rs] | r[rt]; break;
              case 0x26: r[rd] = r[rs] ^ r[rt]; break;
              case 0x27: r[rd] = ~(r[rs] | r[rt]); break;
              case 0x2a: r[rd] = r[rs] < r[rt] ? 1 : 0; break;
              case 0x2b: r[rd] = r[rs] >>> 0 < r[rt] >>> 0 ? 1 : 0; break;
              case 0x30: if (r[rs] >= r[rt]) { this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_TR); break exc; } break; // TGE
              case 0x31: if (r[rs] >>> 0 >= r[rt] >>> 0) { this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_TR); break exc; } break;
              case 0x32: if (r[rs] < r[rt]) { this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_TR); break exc; } break;
              case 0x33: if (r[rs] >>> 0 < r[rt] >>> 0) { this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_TR); break exc; } break;
              case 0x34: if (r[rs] === r[rt]) { this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_TR); break exc; } break; // TEQ
              case 0x36: if (r[rs] !== r[rt]) { this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_TR); break exc; } break; // TNE
              default: this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_RI); break exc;
            }
            continue;
          }

          case 0x01: {
            // REGIMM
            const v = r[rs];
            switch (rt) {
              case 0x00: if (v < 0) npc = (cur + 4 + ((insn << 16) >> 14)) | 0; delay = true; break; // BLTZ
              case 0x01: if (v >= 0) npc = (cur + 4 + ((insn << 16) >> 14)) | 0; delay = true; break; // BGEZ
              case 0x02: if (v < 0) { npc = (cur + 4 + ((insn << 16) >> 14)) | 0; delay = true; } else { pc = npc; npc = (npc + 4) | 0; } break;
              case 0x03: if (v >= 0) { npc = (cur + 4 + ((insn << 16) >> 14)) | 0; delay = true; } else { pc = npc; npc = (npc + 4) | 0; } break;
              case 0x10: r[31] = (cur + 8) | 0; if (v < 0) npc = (cur + 4 + ((insn << 16) >> 14)) | 0; delay = true; break; // BLTZAL
              case 0x11: r[31] = (cur + 8) | 0; if (v >= 0) npc = (cur + 4 + ((insn << 16) >> 14)) | 0; delay = true; break; // BGEZAL (BAL)
              case 0x12: r[31] = (cur + 8) | 0; if (v < 0) { npc = (cur + 4 + ((insn << 16) >> 14)) | 0; delay = true; } else { pc = npc; npc = (npc + 4) | 0; } break;
              case 0x13: r[31] = (cur + 8) | 0; if (v >= 0) { npc = (cur + 4 + ((insn << 16) >> 14)) | 0; delay = true; } else { pc = npc; npc = (npc + 4) | 0; } break;
              case 0x08: if (v >= ((insn << 16) >> 16)) { this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_TR); break exc; } break; // TGEI
              case 0x09: if (v >>> 0 >= ((insn << 16) >> 16) >>> 0) { this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_TR); break exc; } break;
              case 0x0a: if (v < ((insn << 16) >> 16)) { this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_TR); break exc; } break;
              case 0x0b: if (v >>> 0 < ((insn << 16) >> 16) >>> 0) { this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_TR); break exc; } break;
              case 0x0c: if (v === ((insn << 16) >> 16)) { this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_TR); break exc; } break;
              case 0x0e: if (v !== ((insn << 16) >> 16)) { this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_TR); break exc; } break;
              case 0x1f: break; // SYNCI: no caches to synchronise
              default: this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_RI); break exc;
            }
            continue;
          }

          case 0x02: npc = ((cur + 4) & 0xf0000000) | ((insn & 0x03ffffff) << 2); delay = true; continue; // J
          case 0x03: r[31] = (cur + 8) | 0; npc = ((cur + 4) & 0xf0000000) | ((insn & 0x03ffffff) << 2); delay = true; continue; // JAL
          case 0x04: if (r[rs] === r[rt]) npc = (cur + 4 + ((insn << 16) >> 14)) | 0; delay = true; continue; // BEQ
          case 0x05: if (r[rs] !== r[rt]) npc = (cur + 4 + ((insn << 16) >> 14)) | 0; delay = true; continue; // BNE
          case 0x06: if (r[rs] <= 0) npc = (cur + 4 + ((insn << 16) >> 14)) | 0; delay = true; continue; // BLEZ
          case 0x07: if (r[rs] > 0) npc = (cur + 4 + ((insn << 16) >> 14)) | 0; delay = true; continue; // BGTZ
          case 0x08: { // ADDI
            const s = r[rs] + ((insn << 16) >> 16);
            if (s > 2147483647 || s < -2147483648) { this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_OV); break exc; }
            r[rt] = s;
            continue;
          }
          case 0x09: r[rt] = (r[rs] + ((insn << 16) >> 16)) | 0; continue; // ADDIU
          case 0x0a: r[rt] = r[rs] < ((insn << 16) >> 16) ? 1 : 0; continue; // SLTI
          case 0x0b: r[rt] = r[rs] >>> 0 < ((insn << 16) >> 16) >>> 0 ? 1 : 0; continue; // SLTIU
          case 0x0c: r[rt] = r[rs] & (insn & 0xffff); continue; // ANDI
          case 0x0d: r[rt] = r[rs] | (insn & 0xffff); continue; // ORI
          case 0x0e: r[rt] = r[rs] ^ (insn & 0xffff); continue; // XORI
          case 0x0f: r[rt] = insn << 16; continue; // LUI

          case 0x10: {
            // COP0
            if (!this.kernelMode && (this.status & ST_CU0) === 0) {
              this.excPc = cur; this.excDelay = curDelay;
              this.raise(EXC_CPU, false, 0);
              break exc;
            }
            clock.cycles = now;
            entry = true; // the translator may stop before CP0 instructions: look for a block after it
            if (rs === 0) {
              r[rt] = this.readCp0((insn >>> 11) & 31, insn & 7); // MFC0
            } else if (rs === 4) {
              this.writeCp0((insn >>> 11) & 31, insn & 7, r[rt]); // MTC0
              rmap = this.rmap;
              wmap = this.wmap;
              deadline = now;
            } else if (rs === 11) {
              // DI / EI
              r[rt] = this.setInterruptEnable((insn & 0x20) !== 0);
              deadline = now;
            } else if (rs >= 16) {
              switch (insn & 63) {
                case 0x01: this.tlbRead(); break;
                case 0x02: this.tlbWriteIndexed(); break;
                case 0x06: this.tlbWriteRandom(); break;
                case 0x08: this.tlbProbe(); break;
                case 0x18: { // ERET
                  this.eret();
                  pc = this.pc;
                  npc = this.npc;
                  delay = false;
                  entry = true;
                  rmap = this.rmap;
                  wmap = this.wmap;
                  deadline = now;
                  break;
                }
                case 0x20: { // WAIT: sleep until the next device event
                  if (!this.intPending) {
                    const next = clock.nextDeadline < limit ? clock.nextDeadline : limit;
                    if (next > now) {
                      this.idleCycles += next - now;
                      now = next;
                    }
                    if (next === limit && clock.nextDeadline > limit) this.idle = true;
                  }
                  deadline = now;
                  break;
                }
                default: this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_RI); break exc;
              }
            } else if (rs === 10 || rs === 14) {
              r[(insn >>> 11) & 31] = r[rt]; // RDPGPR / WRPGPR: with one shadow set both are a move
            } else {
              this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_RI); break exc;
            }
            continue;
          }

          case 0x11: {
            // COP1
            this.excPc = cur; this.excDelay = curDelay;
            if (!this.fpuUsableOrRaise()) break exc;
            if (rs === 8) {
              // BC1F / BC1T / BC1FL / BC1TL
              const taken = fpu.condition((insn >>> 18) & 7) === ((insn & 0x10000) !== 0);
              if (taken) {
                npc = (cur + 4 + ((insn << 16) >> 14)) | 0;
                delay = true;
              } else if ((insn & 0x20000) !== 0) {
                pc = npc;
                npc = (npc + 4) | 0;
              } else delay = true;
              continue;
            }
            const res = fpu.execute(insn);
            if (res !== 0) {
              this.excPc = cur; this.excDelay = curDelay;
              this.raise(res === EXC_FPE ? EXC_FPE : EXC_RI);
              break exc;
            }
            continue;
          }

          case 0x13: {
            // COP1X
            this.excPc = cur; this.excDelay = curDelay;
            if (!this.fpuUsableOrRaise()) break exc;
            const fn = insn & 63;
            entry = true;
            if (fn < 16) {
              const base = (r[rs] + r[rt]) | 0;
              const fd = (insn >>> 6) & 31;
              const fs = (insn >>> 11) & 31;
              clock.cycles = now;
              this.excPc = cur; this.excDelay = curDelay;
              if (fn === 0x00) { // LWXC1
                const v = this.loadSlow(base, 4);
                if (this.excRaised) break exc;
                fpu.setWord(fd, v);
              } else if (fn === 0x01 || fn === 0x05) { // LDXC1, LUXC1
                // Odd pairs with FR=0 and LUXC1 without FR=1 are reserved, as QEMU treats them.
                if (!fpu.fr && (fn === 0x05 || (fd & 1) !== 0)) { this.raise(EXC_RI); break exc; }
                const a = fn === 0x05 ? base & ~7 : base;
                if ((a & 7) !== 0) { this.addressError(a, false); break exc; }
                const lo = this.loadSlow(a, 4);
                if (this.excRaised) break exc;
                const hi = this.loadSlow((a + 4) | 0, 4);
                if (this.excRaised) break exc;
                fpu.setDouble(fd, lo, hi);
              } else if (fn === 0x08) { // SWXC1
                this.storeSlow(base, 4, fpu.getWord(fs));
                if (this.excRaised) break exc;
              } else if (fn === 0x09 || fn === 0x0d) { // SDXC1, SUXC1
                if (!fpu.fr && (fn === 0x0d || (fs & 1) !== 0)) { this.raise(EXC_RI); break exc; }
                const a = fn === 0x0d ? base & ~7 : base;
                if ((a & 7) !== 0) { this.addressError(a, true); break exc; }
                this.storeSlow(a, 4, fpu.getDoubleLo(fs));
                if (this.excRaised) break exc;
                this.storeSlow((a + 4) | 0, 4, fpu.getDoubleHi(fs));
                if (this.excRaised) break exc;
              } else if (fn === 0x0f) {
                // PREFX
              } else {
                this.raise(EXC_RI);
                break exc;
              }
              deadline = now;
              continue;
            }
            const res = fpu.execute(insn);
            if (res !== 0) {
              this.excPc = cur; this.excDelay = curDelay;
              this.raise(res === EXC_FPE ? EXC_FPE : EXC_RI);
              break exc;
            }
            continue;
          }

          case 0x12: case 0x32: case 0x36: case 0x3a: case 0x3e: // COP2, LWC2, LDC2, SWC2, SDC2
            this.excPc = cur; this.excDelay = curDelay;
            this.raise(EXC_CPU, false, 2);
            break exc;
          case 0x33: continue; // PREF
          case 0x2f: // CACHE
            if (!this.kernelMode && (this.status & ST_CU0) === 0) {
              this.excPc = cur; this.excDelay = curDelay;
              this.raise(EXC_CPU, false, 0);
              break exc;
            }
            continue;

          case 0x14: if (r[rs] === r[rt]) { npc = (cur + 4 + ((insn << 16) >> 14)) | 0; delay = true; } else { pc = npc; npc = (npc + 4) | 0; } continue; // BEQL
          case 0x15: if (r[rs] !== r[rt]) { npc = (cur + 4 + ((insn << 16) >> 14)) | 0; delay = true; } else { pc = npc; npc = (npc + 4) | 0; } continue; // BNEL
          case 0x16: if (r[rs] <= 0) { npc = (cur + 4 + ((insn << 16) >> 14)) | 0; delay = true; } else { pc = npc; npc = (npc + 4) | 0; } continue; // BLEZL
          case 0x17: if (r[rs] > 0) { npc = (cur + 4 + ((insn << 16) >> 14)) | 0; delay = true; } else { pc = npc; npc = (npc + 4) | 0; } continue; // BGTZL

          case 0x1c: {
            // SPECIAL2
            const rd = (insn >>> 11) & 31;
            switch (insn & 63) {
              case 0x00: case 0x01: case 0x04: case 0x05: { // MADD, MADDU, MSUB, MSUBU
                const a = r[rs], b = r[rt];
                const f = insn & 63;
                const pl = Math.imul(a, b);
                const ph = f & 1 ? mulHiUnsigned(a, b) : mulHiSigned(a, b);
                const accLo = this.lo >>> 0;
                let lo: number, hi: number;
                if (f < 4) {
                  const s = accLo + (pl >>> 0);
                  lo = s | 0;
                  hi = (this.hi + ph + (s > 0xffffffff ? 1 : 0)) | 0;
                } else {
                  const s = accLo - (pl >>> 0);
                  lo = s | 0;
                  hi = (this.hi - ph - (s < 0 ? 1 : 0)) | 0;
                }
                this.lo = lo;
                this.hi = hi;
                break;
              }
              case 0x02: r[rd] = Math.imul(r[rs], r[rt]); break; // MUL
              case 0x20: r[rd] = Math.clz32(r[rs]); break; // CLZ
              case 0x21: r[rd] = Math.clz32(~r[rs]); break; // CLO
              case 0x3f: this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_BP); break exc; // SDBBP (no EJTAG probe)
              default: this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_RI); break exc;
            }
            continue;
          }

          case 0x1f: {
            // SPECIAL3
            const rd = (insn >>> 11) & 31;
            const sa = (insn >>> 6) & 31;
            switch (insn & 63) {
              case 0x00: { // EXT: size = msbd + 1
                const size = rd + 1;
                const v = r[rs] >>> sa;
                r[rt] = size >= 32 ? v : v & ((1 << size) - 1);
                break;
              }
              case 0x04: { // INS: msb in rd, lsb in sa
                if (rd < sa) break; // UNPREDICTABLE
                const width = rd - sa + 1;
                const mask = (width >= 32 ? -1 : ((1 << width) - 1)) << sa;
                r[rt] = (r[rt] & ~mask) | ((r[rs] << sa) & mask);
                break;
              }
              case 0x20: { // BSHFL
                const v = r[rt];
                if (sa === 0x02) r[rd] = ((v & 0x00ff00ff) << 8) | ((v >>> 8) & 0x00ff00ff); // WSBH
                else if (sa === 0x10) r[rd] = (v << 24) >> 24; // SEB
                else if (sa === 0x18) r[rd] = (v << 16) >> 16; // SEH
                else { this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_RI); break exc; }
                break;
              }
              case 0x3b: { // RDHWR
                const user = !this.kernelMode;
                if (rd > 3 || (user && (this.hwrEna & (1 << rd)) === 0)) {
                  this.excPc = cur; this.excDelay = curDelay;
                  this.raise(EXC_RI);
                  break exc;
                }
                clock.cycles = now;
                entry = true;
                r[rt] = rd === 0 ? this.ebase & 0x3ff : rd === 1 ? 32 : rd === 2 ? this.count() : 2;
                break;
              }
              default: this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_RI); break exc;
            }
            continue;
          }

          // ---------------------------------------------------------- loads
          // Each access is spelled out in full on purpose: this is the hottest path, and a shared
          // helper would cost a call per guest load or store.
          case 0x20: { // LB
            const a = (r[rs] + ((insn << 16) >> 16)) | 0;
            const e = rmap[a >>> 12];
            let v: number;
            if (e > 0) v = (ram8[e - 1 + (a & 0xfff)] << 24) >> 24;
            else {
              clock.cycles = now; this.excPc = cur; this.excDelay = curDelay;
              v = this.loadSlow(a, 1);
              if (this.excRaised) break exc;
              v = (v << 24) >> 24;
              deadline = now;
            }
            r[rt] = v;
            continue;
          }
          case 0x24: { // LBU
            const a = (r[rs] + ((insn << 16) >> 16)) | 0;
            const e = rmap[a >>> 12];
            let v: number;
            if (e > 0) v = ram8[e - 1 + (a & 0xfff)];
            else {
              clock.cycles = now; this.excPc = cur; this.excDelay = curDelay;
              v = this.loadSlow(a, 1) & 0xff;
              if (this.excRaised) break exc;
              deadline = now;
            }
            r[rt] = v;
            continue;
          }
          case 0x21: { // LH
            const a = (r[rs] + ((insn << 16) >> 16)) | 0;
            const e = rmap[a >>> 12];
            let v: number;
            if (e > 0 && (a & 1) === 0) v = (ram16[(e + (a & 0xfff)) >> 1] << 16) >> 16;
            else {
              clock.cycles = now; this.excPc = cur; this.excDelay = curDelay;
              v = this.loadSlow(a, 2);
              if (this.excRaised) break exc;
              v = (v << 16) >> 16;
              deadline = now;
            }
            r[rt] = v;
            continue;
          }
          case 0x25: { // LHU
            const a = (r[rs] + ((insn << 16) >> 16)) | 0;
            const e = rmap[a >>> 12];
            let v: number;
            if (e > 0 && (a & 1) === 0) v = ram16[(e + (a & 0xfff)) >> 1];
            else {
              clock.cycles = now; this.excPc = cur; this.excDelay = curDelay;
              v = this.loadSlow(a, 2) & 0xffff;
              if (this.excRaised) break exc;
              deadline = now;
            }
            r[rt] = v;
            continue;
          }
          case 0x23: { // LW
            const a = (r[rs] + ((insn << 16) >> 16)) | 0;
            const e = rmap[a >>> 12];
            let v: number;
            if (e > 0 && (a & 3) === 0) v = ram32[(e + (a & 0xfff)) >> 2];
            else {
              clock.cycles = now; this.excPc = cur; this.excDelay = curDelay;
              v = this.loadSlow(a, 4);
              if (this.excRaised) break exc;
              deadline = now;
            }
            r[rt] = v;
            continue;
          }
          case 0x30: { // LL
            const a = (r[rs] + ((insn << 16) >> 16)) | 0;
            const e = rmap[a >>> 12];
            let v: number;
            if (e > 0 && (a & 3) === 0) v = ram32[(e + (a & 0xfff)) >> 2];
            else {
              clock.cycles = now; this.excPc = cur; this.excDelay = curDelay;
              v = this.loadSlow(a, 4);
              if (this.excRaised) break exc;
              deadline = now;
            }
            this.llBit = true;
            this.llAddr = a;
            r[rt] = v;
            continue;
          }
          case 0x22: case 0x26: { // LWL, LWR
            const a = (r[rs] + ((insn << 16) >> 16)) | 0;
            const aw = a & ~3;
            const e = rmap[aw >>> 12];
            let w: number;
            if (e > 0) w = ram32[(e + (aw & 0xfff)) >> 2];
            else {
              clock.cycles = now; this.excPc = cur; this.excDelay = curDelay;
              w = this.loadSlow(aw, 4);
              if (this.excRaised) {
                this.badVAddr = a; // the architectural BadVAddr is the unaligned address
                break exc;
              }
              deadline = now;
            }
            const b = a & 3;
            if ((insn >>> 26) === 0x22) {
              const sh = (3 - b) * 8;
              r[rt] = sh === 0 ? w : (r[rt] & ((1 << sh) - 1)) | (w << sh);
            } else {
              const sh = b * 8;
              r[rt] = sh === 0 ? w : (r[rt] & ~(-1 >>> sh)) | (w >>> sh);
            }
            continue;
          }
          case 0x31: { // LWC1
            this.excPc = cur; this.excDelay = curDelay;
            if (!this.fpuUsableOrRaise()) break exc;
            const a = (r[rs] + ((insn << 16) >> 16)) | 0;
            const e = rmap[a >>> 12];
            let v: number;
            if (e > 0 && (a & 3) === 0) v = ram32[(e + (a & 0xfff)) >> 2];
            else {
              clock.cycles = now; this.excPc = cur; this.excDelay = curDelay;
              v = this.loadSlow(a, 4);
              if (this.excRaised) break exc;
              deadline = now;
            }
            fpu.setWord(rt, v);
            continue;
          }
          case 0x35: { // LDC1
            this.excPc = cur; this.excDelay = curDelay;
            if (!this.fpuUsableOrRaise()) break exc;
            // With FR=0 a double lives in an even/odd pair: an odd register is reserved (QEMU: RI).
            if (!fpu.fr && (rt & 1) !== 0) { this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_RI); break exc; }
            const a = (r[rs] + ((insn << 16) >> 16)) | 0;
            const e = rmap[a >>> 12];
            if (e > 0 && (a & 7) === 0) {
              const i = (e + (a & 0xfff)) >> 2;
              fpu.setDouble(rt, ram32[i], ram32[i + 1]);
            } else {
              clock.cycles = now; this.excPc = cur; this.excDelay = curDelay;
              entry = true;
              if ((a & 7) !== 0) { this.addressError(a, false); break exc; }
              const lo = this.loadSlow(a, 4);
              if (this.excRaised) break exc;
              const hi = this.loadSlow((a + 4) | 0, 4);
              if (this.excRaised) break exc;
              fpu.setDouble(rt, lo, hi);
              deadline = now;
            }
            continue;
          }

          // ---------------------------------------------------------- stores
          case 0x28: { // SB
            const a = (r[rs] + ((insn << 16) >> 16)) | 0;
            const e = wmap[a >>> 12];
            if (e > 0) ram8[e - 1 + (a & 0xfff)] = r[rt];
            else {
              clock.cycles = now; this.excPc = cur; this.excDelay = curDelay;
              this.storeSlow(a, 1, r[rt]);
              if (this.excRaised) break exc;
              deadline = now;
            }
            continue;
          }
          case 0x29: { // SH
            const a = (r[rs] + ((insn << 16) >> 16)) | 0;
            const e = wmap[a >>> 12];
            if (e > 0 && (a & 1) === 0) ram16[(e + (a & 0xfff)) >> 1] = r[rt];
            else {
              clock.cycles = now; this.excPc = cur; this.excDelay = curDelay;
              this.storeSlow(a, 2, r[rt]);
              if (this.excRaised) break exc;
              deadline = now;
            }
            continue;
          }
          case 0x2b: { // SW
            const a = (r[rs] + ((insn << 16) >> 16)) | 0;
            const e = wmap[a >>> 12];
            if (e > 0 && (a & 3) === 0) ram32[(e + (a & 0xfff)) >> 2] = r[rt];
            else {
              clock.cycles = now; this.excPc = cur; this.excDelay = curDelay;
              this.storeSlow(a, 4, r[rt]);
              if (this.excRaised) break exc;
              deadline = now;
            }
            continue;
          }
          case 0x38: { // SC
            const a = (r[rs] + ((insn << 16) >> 16)) | 0;
            if (!this.llBit) {
              // Still check the address so a bad SC faults like a store would.
              if ((a & 3) !== 0) { this.excPc = cur; this.excDelay = curDelay; this.addressError(a, true); break exc; }
              r[rt] = 0;
              continue;
            }
            const e = wmap[a >>> 12];
            if (e > 0 && (a & 3) === 0) ram32[(e + (a & 0xfff)) >> 2] = r[rt];
            else {
              clock.cycles = now; this.excPc = cur; this.excDelay = curDelay;
              this.storeSlow(a, 4, r[rt]);
              if (this.excRaised) break exc;
              deadline = now;
            }
            this.llBit = false;
            r[rt] = 1;
            continue;
          }
          case 0x2a: case 0x2e: { // SWL, SWR
            const a = (r[rs] + ((insn << 16) >> 16)) | 0;
            const aw = a & ~3;
            const e = wmap[aw >>> 12];
            let w: number;
            let idx = -1;
            if (e > 0) {
              idx = (e + (aw & 0xfff)) >> 2;
              w = ram32[idx];
            } else {
              clock.cycles = now; this.excPc = cur; this.excDelay = curDelay;
              // Probe writability first so a read-only page raises TLBS/Mod, not TLBL.
              const pa = this.translate(aw, true);
              if (pa < 0) { this.badVAddr = a; break exc; }
              w = this.loadSlow(aw, 4);
              if (this.excRaised) break exc;
            }
            const b = a & 3;
            const v = r[rt];
            let nw: number;
            if ((insn >>> 26) === 0x2a) {
              const sh = (3 - b) * 8;
              nw = sh === 0 ? v : (w & ~(-1 >>> sh)) | (v >>> sh);
            } else {
              const sh = b * 8;
              nw = sh === 0 ? v : (w & ((1 << sh) - 1)) | (v << sh);
            }
            if (idx >= 0) ram32[idx] = nw;
            else {
              this.storeSlow(aw, 4, nw);
              if (this.excRaised) break exc;
              deadline = now;
            }
            continue;
          }
          case 0x39: { // SWC1
            this.excPc = cur; this.excDelay = curDelay;
            if (!this.fpuUsableOrRaise()) break exc;
            const a = (r[rs] + ((insn << 16) >> 16)) | 0;
            const e = wmap[a >>> 12];
            const v = fpu.getWord(rt);
            if (e > 0 && (a & 3) === 0) ram32[(e + (a & 0xfff)) >> 2] = v;
            else {
              clock.cycles = now; this.excPc = cur; this.excDelay = curDelay;
              this.storeSlow(a, 4, v);
              if (this.excRaised) break exc;
              deadline = now;
            }
            continue;
          }
          case 0x3d: { // SDC1
            this.excPc = cur; this.excDelay = curDelay;
            if (!this.fpuUsableOrRaise()) break exc;
            // With FR=0 a double lives in an even/odd pair: an odd register is reserved (QEMU: RI).
            if (!fpu.fr && (rt & 1) !== 0) { this.excPc = cur; this.excDelay = curDelay; this.raise(EXC_RI); break exc; }
            const a = (r[rs] + ((insn << 16) >> 16)) | 0;
            const e = wmap[a >>> 12];
            if (e > 0 && (a & 7) === 0) {
              const i = (e + (a & 0xfff)) >> 2;
              ram32[i] = fpu.getDoubleLo(rt);
              ram32[i + 1] = fpu.getDoubleHi(rt);
            } else {
              clock.cycles = now; this.excPc = cur; this.excDelay = curDelay;
              entry = true;
              if ((a & 7) !== 0) { this.addressError(a, true); break exc; }
              // Check both words are writable before changing either.
              if (this.translate(a, true) < 0) break exc;
              this.storeSlow(a, 4, fpu.getDoubleLo(rt));
              if (this.excRaised) break exc;
              this.storeSlow((a + 4) | 0, 4, fpu.getDoubleHi(rt));
              if (this.excRaised) break exc;
              deadline = now;
            }
            continue;
          }

          default:
            this.excPc = cur; this.excDelay = curDelay;
            this.raise(EXC_RI);
            break exc;
        }
      }
      // An exception was raised: continue at its vector.
      pc = this.pc;
      npc = this.npc;
      delay = false;
      entry = true;
      rmap = this.rmap;
      wmap = this.wmap;
      deadline = now;
    }

    clock.cycles = now;
    this.pc = pc;
    this.npc = npc;
    this.delay = delay;
    r[0] = 0;
    return now;
  }
}
