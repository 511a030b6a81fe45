/**
 * Differential harness for the block translator: two identical machines, one with the JIT
 * translating every block at first sight (hotThreshold = 1), one interpreter-only
 * (`setJit(false)`), fed the same code and data and compared on architectural state.
 * The interpreter (cpu.ts) is the reference.
 *
 * Also here: a label-resolving assembler on top of mips-asm.ts, an exception recorder for the
 * vectors, a spy that logs which guest instructions ran inside translated blocks, and the
 * seeded random-program generator for the fuzz.
 */
import type { Block, Jit } from '../../src/emu/cpu/jit';
import { CODE, CpuHarness, VEC_GENERAL, VEC_REFILL } from './cpu-harness';
import * as A from './mips-asm';
import {
  C0_BADVADDR, C0_CAUSE, C0_EPC, C0_STATUS, K0, K1, halt, lui, mfc0, ori, sw,
} from './mips-asm';

const hex = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');

// ---------------------------------------------------------------- encoders missing from mips-asm

/** CTC1 rt, fs (FCSR is fs = 31). */
export const ctc1 = (rt: number, fs: number): number => ((0x11 << 26) | (0x06 << 21) | (rt << 16) | (fs << 11)) >>> 0;
/** BC1F/BC1T/BC1FL/BC1TL on condition code cc; offset from the delay slot, in instructions. */
const bc1 = (nd: number, tf: number, cc: number, off: number): number =>
  ((0x11 << 26) | (0x08 << 21) | ((cc & 7) << 18) | (nd << 17) | (tf << 16) | (off & 0xffff)) >>> 0;
export const bc1f = (off: number, cc = 0): number => bc1(0, 0, cc, off);
export const bc1t = (off: number, cc = 0): number => bc1(0, 1, cc, off);
export const bc1fl = (off: number, cc = 0): number => bc1(1, 0, cc, off);
export const bc1tl = (off: number, cc = 0): number => bc1(1, 1, cc, off);
/** FCSR condition code 0 (bit 23). */
export const FCSR_C = 1 << 23;
/** FCSR enable bits (Enables field, bits 11..7: V Z O U I). */
export const FCSR_EN_Z = 1 << 10, FCSR_EN_I = 1 << 7;

export const FMT_S = 16, FMT_D = 17, FMT_W = 20;
/** A COP1 arithmetic instruction: fd <- fs op ft in format `fmt`. */
export const cop1 = (fmt: number, fn: number, fd: number, fs: number, ft = 0): number =>
  ((0x11 << 26) | (fmt << 21) | (ft << 16) | (fs << 11) | (fd << 6) | fn) >>> 0;
export const addF = (fmt: number, fd: number, fs: number, ft: number): number => cop1(fmt, 0x00, fd, fs, ft);
export const subF = (fmt: number, fd: number, fs: number, ft: number): number => cop1(fmt, 0x01, fd, fs, ft);
export const mulF = (fmt: number, fd: number, fs: number, ft: number): number => cop1(fmt, 0x02, fd, fs, ft);
export const divF = (fmt: number, fd: number, fs: number, ft: number): number => cop1(fmt, 0x03, fd, fs, ft);
export const sqrtF = (fmt: number, fd: number, fs: number): number => cop1(fmt, 0x04, fd, fs);
export const negF = (fmt: number, fd: number, fs: number): number => cop1(fmt, 0x07, fd, fs);
export const cvtS = (fmt: number, fd: number, fs: number): number => cop1(fmt, 0x20, fd, fs);
export const cvtD = (fmt: number, fd: number, fs: number): number => cop1(fmt, 0x21, fd, fs);
export const cvtW = (fmt: number, fd: number, fs: number): number => cop1(fmt, 0x24, fd, fs);
/** C.cond.fmt fs, ft on condition code cc (cond 2 = EQ, 12 = LT, 14 = LE). */
export const cCond = (fmt: number, cond: number, fs: number, ft: number, cc = 0): number =>
  cop1(fmt, 0x30 | cond, cc << 2, fs, ft);

// ---------------------------------------------------------------- assembler with labels

type Item = number | (() => number);

/** Sequential code with forward/backward labels; branch offsets are resolved at `assemble()`. */
export class Asm {
  private readonly items: Item[] = [];
  private readonly labels = new Map<string, number>();
  constructor(readonly base: number = CODE) {}

  /** Address of the next instruction. */
  get pc(): number {
    return (this.base + 4 * this.items.length) | 0;
  }

  label(name: string): this {
    if (this.labels.has(name)) throw new Error(`label ${name} defined twice`);
    this.labels.set(name, this.pc);
    return this;
  }

  emit(...ws: (number | readonly number[])[]): this {
    for (const w of ws) {
      if (typeof w === 'number') this.items.push(w);
      else for (const x of w) this.items.push(x);
    }
    return this;
  }

  /** A PC-relative branch to `name`; `mk` receives the offset from the delay slot. */
  br(name: string, mk: (off: number) => number): this {
    const at = this.pc;
    this.items.push(() => mk((this.addr(name) - at - 4) >> 2));
    return this;
  }

  /** An instruction that needs the label's address (J/JAL). */
  to(name: string, mk: (addr: number) => number): this {
    this.items.push(() => mk(this.addr(name)));
    return this;
  }

  /** LUI+ORI of a label's address into `rt`. */
  la(rt: number, name: string): this {
    this.items.push(() => lui(rt, this.addr(name) >>> 16));
    this.items.push(() => ori(rt, rt, this.addr(name) & 0xffff));
    return this;
  }

  addr(name: string): number {
    const a = this.labels.get(name);
    if (a === undefined) throw new Error(`undefined label ${name}`);
    return a;
  }

  assemble(): number[] {
    return this.items.map((it) => (typeof it === 'number' ? it : it()) >>> 0);
  }
}

// ---------------------------------------------------------------- exception recorder

/** Where the recorders at the general and refill vectors store EPC, Cause, BadVAddr, Status. */
export const REC_GENERAL = 0x80100f00;
export const REC_REFILL = 0x80100f40;

/** Handler code: store EPC/Cause/BadVAddr/Status at `rec` (clobbers k0/k1), then park. */
export function recorder(rec: number): number[] {
  return [
    lui(K0, rec >>> 16), ori(K0, K0, rec & 0xffff),
    mfc0(K1, C0_EPC), sw(K1, 0, K0),
    mfc0(K1, C0_CAUSE), sw(K1, 4, K0),
    mfc0(K1, C0_BADVADDR), sw(K1, 8, K0),
    mfc0(K1, C0_STATUS), sw(K1, 12, K0),
    ...halt(),
  ];
}

/** Address of the recorder's self-loop (where a CPU parks after recording). */
export const recorderHalt = (vector: number): number => vector + 4 * 10;

// ---------------------------------------------------------------- block spy

/** One execution of a translated block: its start, instructions retired, and how it left. */
export interface BlockRun {
  start: number;
  insns: number;
  /** The block left through an exception (or a mode change it flagged). */
  exc: boolean;
  pcAfter: number;
}

/**
 * Log every execution of a translated block on `h`. This observes the real translator (it only
 * wraps the block functions it returns) so a test can prove its instruction ran translated.
 */
export function spyBlocks(h: CpuHarness): BlockRun[] {
  const jit = h.cpu.jit;
  if (!jit) throw new Error('no JIT on this machine');
  const cpu = h.cpu;
  const log: BlockRun[] = [];
  const wrapped = new WeakSet<Block>();
  const lookup = jit.lookup.bind(jit);
  jit.lookup = (phys: number, pc: number): Block | undefined => {
    const b = lookup(phys, pc);
    if (b !== undefined && !wrapped.has(b)) {
      const fn = b.fn;
      b.fn = (rmap, depth, until) => {
        const from = h.clock.cycles;
        const end = fn(rmap, depth, until);
        log.push({ start: b.vpc >>> 0, insns: end - from, exc: cpu.excRaised, pcAfter: cpu.pc >>> 0 });
        return end;
      };
      // The dispatcher's jump cache already holds the unwrapped function: point it at the spy.
      for (let j = 0; j < jit.jcFn.length; j++) if (jit.jcFn[j] === fn) jit.jcFn[j] = b.fn;
      wrapped.add(b);
    }
    return b;
  };
  return log;
}

/** Runs whose retired instructions include the one at `pc`. */
export function runsCovering(log: readonly BlockRun[], pc: number): BlockRun[] {
  const p = pc >>> 0;
  return log.filter((r) => p >= r.start && p < r.start + 4 * r.insns);
}

/** Runs whose last retired instruction was at `pc` and that left through an exception. */
export function runsFaultingAt(log: readonly BlockRun[], pc: number): BlockRun[] {
  return log.filter((r) => r.exc && (r.start + 4 * (r.insns - 1)) >>> 0 === pc >>> 0);
}

// ---------------------------------------------------------------- the pair of machines

export interface ArchState {
  gpr: string[];
  hi: string;
  lo: string;
  pc: string;
  status: string;
  cause: string;
  epc: string;
  badVAddr: string;
  entryHi: string;
  context: string;
  index: string;
  llBit: boolean;
  llAddr: string;
  fcsr: string;
  fpr: string[];
}

export function archState(h: CpuHarness): ArchState {
  const c = h.cpu;
  return {
    gpr: Array.from(c.gpr, (v, i) => `${i}:${hex(v)}`),
    hi: hex(c.hi),
    lo: hex(c.lo),
    pc: hex(c.pc),
    status: hex(c.status),
    cause: hex(c.cause),
    epc: hex(c.epc),
    badVAddr: hex(c.badVAddr),
    entryHi: hex(c.entryHi),
    context: hex(c.context),
    index: hex(c.index),
    llBit: c.llBit,
    llAddr: hex(c.llAddr),
    fcsr: hex(c.fpu.fcsr),
    fpr: Array.from({ length: 32 }, (_, i) => `f${i}:${hex(c.fpu.raw[2 * i + 1])}_${hex(c.fpu.raw[2 * i]).slice(2)}`),
  };
}

/** Words of RAM at KSEG0/KSEG1/physical address `addr`, as hex strings tagged with their address. */
export function memWords(h: CpuHarness, addr: number, bytes: number): string[] {
  const out: string[] = [];
  for (let a = addr; a < addr + bytes; a += 4) out.push(`${hex(a)}:${hex(h.read32(a))}`);
  return out;
}

/** First differing RAM words between two machines (whole RAM), at most `max` of them. */
export function ramDiff(a: CpuHarness, b: CpuHarness, max = 8): string[] {
  const x = a.ram.i32, y = b.ram.i32;
  const out: string[] = [];
  // Compare 4 KiB pages as buffers first: the whole 16 MiB costs a few milliseconds.
  const bx = Buffer.from(x.buffer), by = Buffer.from(y.buffer);
  if (bx.equals(by)) return out;
  for (let i = 0; i < x.length && out.length < max; i++) {
    if (x[i] !== y[i]) out.push(`pa ${hex(i * 4)}: jit ${hex(x[i])} ref ${hex(y[i])}`);
  }
  return out;
}

/** Which translator the JIT machine uses: JavaScript blocks or WebAssembly blocks. */
export type Backend = 'js' | 'wasm';
let backend: Backend = 'wasm';

/** The backend of every JitPair made after this (each differential test file sets its own). */
export function setBackend(b: Backend): void {
  backend = b;
}

export function currentBackend(): Backend {
  return backend;
}

export interface PairOptions {
  /** Status for both (kernel mode, BEV = 0 unless told). */
  status?: number;
  /** JIT hotThreshold (1 = translate every block at first sight). */
  threshold?: number;
  /** Recorders at the general and refill vectors (default on). */
  recorders?: boolean;
  /** Log translated block executions on the JIT machine. */
  spy?: boolean;
  /**
   * Let blocks loop and call one another (off by default here: the spy's log tells which
   * instructions ran translated only while each call runs one pass of one block).
   */
  chain?: boolean;
  /**
   * WebAssembly blocks per module (default 1: each compiled as soon as it is translated, so
   * tests see it run at once; more makes blocks wait for their batch in the interpreter).
   */
  batch?: number;
}

function useBackend(j: Jit, batch: number): void {
  if (backend !== 'js' && j.wasm === null) throw new Error('this host has no WebAssembly for the JIT');
  j.useWasm = backend === 'wasm';
  j.batchSize = batch;
}

export class JitPair {
  readonly jit: CpuHarness;
  readonly ref: CpuHarness;
  readonly blocks: BlockRun[] = [];
  private readonly chain: boolean;
  private readonly batch: number;

  constructor(opts: PairOptions = {}) {
    this.jit = new CpuHarness('24Kf', 16);
    this.ref = new CpuHarness('24Kf', 16);
    const j = this.jit.cpu.jit;
    if (!j) throw new Error('the CPU was built without its JIT');
    j.hotThreshold = opts.threshold ?? 1;
    this.chain = opts.chain ?? false;
    j.chain = this.chain;
    this.batch = opts.batch ?? 1;
    useBackend(j, this.batch);
    this.ref.cpu.setJit(false);
    for (const h of this.both) h.cpu.setStatus(opts.status ?? 0);
    if (opts.recorders ?? true) {
      this.load(VEC_GENERAL, recorder(REC_GENERAL));
      this.load(VEC_REFILL, recorder(REC_REFILL));
    }
    if (opts.spy ?? true) this.blocks = spyBlocks(this.jit);
  }

  get both(): CpuHarness[] {
    return [this.jit, this.ref];
  }

  load(addr: number, words: readonly number[]): void {
    for (const h of this.both) h.load(addr, words);
  }

  /** Load code at `addr` and point both CPUs there. */
  program(words: readonly number[], addr = CODE): void {
    for (const h of this.both) h.program(words, addr);
  }

  setReg(r: number, v: number): void {
    for (const h of this.both) h.setReg(r, v);
  }

  /**
   * Run both for at least `cycles` cycles. Programs end in a two-word self-loop; the JIT runs
   * it as one block and stops on the branch, the interpreter may stop on its delay slot, so a
   * CPU left in a delay slot steps once more to the same defined point.
   */
  run(cycles: number): void {
    for (const h of this.both) {
      h.run(cycles);
      if (h.cpu.delay) h.step(1);
    }
  }

  /**
   * Back to power-on state with zeroed RAM and a fresh translator (no block survives), so one
   * pair can serve many random programs: building 2 x 16 MiB machines costs more than a run.
   */
  reset(threshold = 1): void {
    for (const h of this.both) {
      h.clock.cycles = 0;
      h.cpu.setJit(false);
      h.cpu.reset();
      h.cpu.setStatus(0);
      h.cpu.fpu.raw.fill(0);
      h.ram.u8.fill(0);
    }
    this.jit.cpu.setJit(true);
    const j = this.jit.cpu.jit;
    if (!j) throw new Error('setJit(true) gave no JIT');
    j.hotThreshold = threshold;
    j.chain = this.chain;
    useBackend(j, this.batch);
  }


  get translated(): number {
    return this.jit.cpu.jit?.blocksCompiled ?? 0;
  }

  get invalidations(): number {
    return this.jit.cpu.jit?.invalidations ?? 0;
  }

  /** Everything compared, for one machine (registers, CP0 state, `regions` of RAM). */
  state(h: CpuHarness, regions: readonly (readonly [number, number])[] = []): ArchState & { mem: string[] } {
    return { ...archState(h), mem: regions.flatMap(([a, n]) => memWords(h, a, n)) };
  }

  /** Field-by-field differences (empty when the two machines agree, RAM included). */
  differences(regions: readonly (readonly [number, number])[] = []): string[] {
    const s = this.state(this.jit, regions), r = this.state(this.ref, regions);
    const out: string[] = [];
    for (const k of Object.keys(s) as (keyof typeof s)[]) {
      const a = s[k], b = r[k];
      if (Array.isArray(a) && Array.isArray(b)) {
        a.forEach((v, i) => {
          if (v !== b[i]) out.push(`${k}[${i}]: jit ${v} ref ${b[i]}`);
        });
      } else if (a !== b) {
        out.push(`${k}: jit ${String(a)} ref ${String(b)}`);
      }
    }
    for (const d of ramDiff(this.jit, this.ref)) out.push(`ram ${d}`);
    return out;
  }
}

// ---------------------------------------------------------------- seeded random programs

/** mulberry32: a small, well-mixed 32-bit PRNG; the same seed gives the same program. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The data buffer the random loads and stores stay inside (base register k0 = its middle). */
export const FUZZ_DATA = 0x80100000;
export const FUZZ_DATA_BYTES = 0x1000;
export const FUZZ_BASE_REG = K0;
export const FUZZ_LOOP_REG = A.T9;
const FUZZ_BASE = FUZZ_DATA + FUZZ_DATA_BYTES / 2;

export interface FuzzProgram {
  seed: number;
  addr: number;
  words: number[];
  /** Address of the final self-loop. */
  haltAt: number;
  iterations: number;
  threshold: number;
  regs: number[];
  hi: number;
  lo: number;
  data: Uint8Array;
}

const SPECIAL32 = [0, 1, -1, 2, 3, 31, 32, 0x7fffffff, 0x80000000 | 0, 0x8000, 0x7fff, 0xffff, 0x10000, 0x80, 0xff, -2];
const SPECIAL16 = [0, 1, 0xffff, 0x8000, 0x7fff, 31, 0xfffe, 0x80];

/**
 * A random program: `bodyLen` instructions from the translatable integer subset (ALU, shifts,
 * multiply/divide, loads and stores inside the data buffer through k0, forward conditional
 * branches of every kind with random delay slots), run `iterations` times by an outer loop on
 * t9, ending in a self-loop. It never raises an exception and never writes outside the buffer.
 */
export function fuzzProgram(seed: number, bodyLen = 200, iterations = 20): FuzzProgram {
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const chance = (p: number): boolean => rnd() < p;
  const val32 = (): number => (chance(0.35) ? pick(SPECIAL32) : (rnd() * 4294967296) | 0);
  const imm16 = (): number => (chance(0.35) ? pick(SPECIAL16) : int(0x10000));
  // k0 (base) and t9 (loop counter) are never written; $zero is, on purpose.
  const dests = Array.from({ length: 32 }, (_, i) => i).filter((r) => r !== FUZZ_BASE_REG && r !== FUZZ_LOOP_REG);
  const srcs = Array.from({ length: 32 }, (_, i) => i);
  const dst = (): number => (chance(0.03) ? 0 : pick(dests));
  const src = (): number => pick(srcs);
  const off = (align: number): number => (int(FUZZ_DATA_BYTES) - FUZZ_DATA_BYTES / 2) & ~(align - 1);

  /** One non-branch instruction; `d` forces the destination register when >= 0. */
  const plain = (d = -1): number => {
    const rd = d >= 0 ? d : dst();
    switch (int(12)) {
      case 0: case 1:
        return pick([A.addu, A.subu, A.and, A.or, A.xor, A.nor, A.slt, A.sltu, A.movn, A.movz, A.mul])(rd, src(), src());
      case 2:
        return pick([A.sllv, A.srlv, A.srav, A.rotrv])(rd, src(), src());
      case 3:
        return pick([A.sll, A.srl, A.sra, A.rotr])(rd, src(), int(32));
      case 4: case 5:
        if (chance(0.15)) return A.lui(rd, imm16());
        return pick([A.addiu, A.slti, A.sltiu, A.andi, A.ori, A.xori])(rd, src(), imm16());
      case 6: {
        const k = int(7);
        if (k === 0) return A.clz(rd, src());
        if (k === 1) return A.clo(rd, src());
        if (k === 2) return A.wsbh(rd, src());
        if (k === 3) return A.seb(rd, src());
        if (k === 4) return A.seh(rd, src());
        const pos = int(32);
        const size = 1 + int(32 - pos);
        return k === 5 ? A.ext(rd, src(), pos, size) : A.ins(rd, src(), pos, size);
      }
      case 7: {
        const k = int(12);
        if (k < 8) return [A.mult, A.multu, A.div, A.divu, A.madd, A.maddu, A.msub, A.msubu][k](src(), src());
        if (k === 8) return A.mfhi(rd);
        if (k === 9) return A.mflo(rd);
        return k === 10 ? A.mthi(src()) : A.mtlo(src());
      }
      case 8: case 9: {
        const k = int(8);
        const b = FUZZ_BASE_REG;
        if (k === 0) return A.lb(rd, off(1), b);
        if (k === 1) return A.lbu(rd, off(1), b);
        if (k === 2) return A.lh(rd, off(2), b);
        if (k === 3) return A.lhu(rd, off(2), b);
        if (k === 4) return A.lw(rd, off(4), b);
        if (k === 5) return A.ll(rd, off(4), b);
        return k === 6 ? A.lwl(rd, off(1), b) : A.lwr(rd, off(1), b);
      }
      case 10: {
        const k = int(6);
        const b = FUZZ_BASE_REG;
        if (k === 0) return A.sb(src(), off(1), b);
        if (k === 1) return A.sh(src(), off(2), b);
        if (k === 2) return A.sw(src(), off(4), b);
        if (k === 3) return A.sc(rd, off(4), b);
        return k === 4 ? A.swl(src(), off(1), b) : A.swr(src(), off(1), b);
      }
      default:
        return chance(0.5) ? A.nop() : A.addu(rd, src(), A.ZERO);
    }
  };

  type Br = (rs: number, rt: number, off: number) => number;
  const two: Br[] = [A.beq, A.bne, A.beql, A.bnel];
  const one: ((rs: number, off: number) => number)[] = [
    A.blez, A.bgtz, A.bltz, A.bgez, A.bltzal, A.bgezal,
    A.blezl, A.bgtzl, A.bltzl, A.bgezl, A.bltzall, A.bgezall,
  ];

  const body: number[] = new Array(bodyLen);
  for (let i = 0; i < bodyLen; i++) {
    if (i + 1 < bodyLen && chance(0.14)) {
      // Target: any later instruction of the body, or the loop tail (index bodyLen).
      const target = i + 2 + int(Math.min(8, bodyLen - i - 1));
      const o = target - (i + 1);
      const rs = src();
      let enc: number;
      if (chance(0.3)) {
        const rt = chance(0.3) ? rs : chance(0.4) ? A.ZERO : src();
        enc = pick(two)(rs, rt, o);
      } else {
        enc = pick(one)(rs, o);
      }
      body[i] = enc;
      // Delay slot: sometimes it overwrites the register the branch just tested.
      body[i + 1] = plain(chance(0.25) && rs !== FUZZ_BASE_REG && rs !== FUZZ_LOOP_REG ? rs : -1);
      i++;
    } else {
      body[i] = plain();
    }
  }

  const addr = (0x80004000 + int(1024) * 4) | 0; // may straddle a page boundary
  const tail = [
    A.addiu(FUZZ_LOOP_REG, FUZZ_LOOP_REG, -1),
    A.bgtz(FUZZ_LOOP_REG, -(bodyLen + 2)),
    A.nop(),
  ];
  const words = [...body, ...tail, ...halt()].map((w) => w >>> 0);
  const regs = Array.from({ length: 32 }, () => val32());
  regs[0] = 0;
  regs[FUZZ_BASE_REG] = FUZZ_BASE;
  regs[FUZZ_LOOP_REG] = iterations;
  const data = new Uint8Array(FUZZ_DATA_BYTES);
  for (let i = 0; i < data.length; i++) data[i] = int(256);
  return {
    seed,
    addr,
    words,
    haltAt: (addr + 4 * (bodyLen + tail.length)) | 0,
    iterations,
    threshold: pick([1, 1, 1, 2, 5]),
    regs,
    hi: val32(),
    lo: val32(),
    data,
  };
}

/** Run one random program on `pair` (reset first); returns it, for its differences and counters. */
export function runFuzz(p: FuzzProgram, pair: JitPair): JitPair {
  pair.reset(p.threshold);
  for (const h of pair.both) {
    h.ram.u8.set(p.data, FUZZ_DATA & 0x1fffffff);
    h.program(p.words, p.addr);
    p.regs.forEach((v, i) => h.setReg(i, v));
    h.cpu.hi = p.hi;
    h.cpu.lo = p.lo;
  }
  pair.run(p.words.length * p.iterations + 1000);
  return pair;
}
