/**
 * A basic-block translator: hot straight-line runs of guest code become WebAssembly functions
 * (wasm-jit.ts), compiled in batches, where the host has WebAssembly and the block holds only
 * integer code; else JavaScript functions that V8 compiles to machine code. Either way register
 * numbers, immediates and branch targets are constants.
 *
 * A block starts at a virtual PC, stays inside one 4 KiB page, and ends at a branch (with its
 * delay slot), at the page end, at a length limit, or just before an instruction it leaves to the
 * interpreter (CP0, CP1, syscalls, traps with immediates, WAIT...). Memory accesses take the same
 * software-TLB fast path as the interpreter and call the interpreter's slow paths otherwise, which
 * raise exceptions precisely (EPC, Cause.BD, BadVAddr). Interrupts are taken between blocks.
 *
 * Blocks are cached per physical page. A page holding translated code is removed from the
 * write fast path, so every store to it goes through the slow path, which drops the page's blocks:
 * self-modifying code (relocation, uasm handlers, ftrace, module loading) stays correct.
 */
import type { Clock } from '../clock';
import { branchKind, isStore, walkBlock } from './block-shape';
import { CP0_FIELDS } from './cp0';
import { type Compiled, type WasmHost, WasmBlocks } from './wasm-jit';

export interface JitHost {
  gpr: Int32Array;
  hi: number;
  lo: number;
  pc: number;
  npc: number;
  llBit: boolean;
  llAddr: number;
  badVAddr: number;
  excPc: number;
  excDelay: boolean;
  excRaised: boolean;
  loadSlow(va: number, size: 1 | 2 | 4): number;
  storeSlow(va: number, size: 1 | 2 | 4, value: number): void;
  loadJit(va: number, size: 1 | 2 | 4): number;
  storeJit(va: number, size: 1 | 2 | 4, value: number): void;
  raiseFromJit(code: number): void;
  readCp0(reg: number, sel: number): number;
  writeCp0(reg: number, sel: number, v: number): void;
  tlbRead(): void;
  tlbProbe(): void;
  tlbWriteIndexed(): void;
  tlbWriteRandom(): void;
  eret(): void;
  setInterruptEnable(on: boolean): number;
  count(): number;
  readonly kernelMode: boolean;
  entryLo0: number;
  entryLo1: number;
  context: number;
  pageMask: number;
  entryHi: number;
  status: number;
  cause: number;
  epc: number;
  readonly intPending: boolean;
  /** The software-TLB tables of the current mode (see Mmu). */
  readonly rmap: Int32Array;
  readonly wmap: Int32Array;
  ebase: number;
  hwrEna: number;
  fpuUsableOrRaise(): boolean;
  addressErrorFromJit(va: number, write: boolean): void;
  cop1OrRaise(insn: number): boolean;
  fpu: {
    getWord(r: number): number;
    setWord(r: number, v: number): void;
    setDouble(r: number, lo: number, hi: number): void;
    getDoubleLo(r: number): number;
    getDoubleHi(r: number): number;
    fr: boolean;
  };
}

/**
 * A translated block. It runs from virtual time clk.cycles and returns the virtual time after
 * its last retired instruction (more than one cycle per instruction when a TLB refill was served
 * in place), with cpu.pc/npc set to where execution goes on.
 */
export type BlockFn = (rmap: Int32Array, depth: number, until: number) => number;

export interface Block {
  vpc: number;
  fn: BlockFn;
  /** Its slot in the WebAssembly table, or -1 for a JavaScript block. */
  wasm: number;
}

/**
 * How a block leaves for a constant address. A jump back to the block's own start loops inside
 * the function; a jump elsewhere in its page calls that block directly once it exists (its
 * function is kept in a link slot of the caller), a chain as deep as MAX_CHAIN; anything else
 * returns to the dispatcher. Blocks of one page share its mapping and are invalidated together,
 * so a link never outlives its target. Chains and loops stop at `until` (the dispatcher's next
 * deadline) and when an interrupt is pending, as the dispatcher would.
 */
class Exits {
  /** Link slots used so far (L0, L1, ...). */
  slots = 0;
  /** The block jumps back to its start: its body runs in a loop. */
  loops = false;
  /**
   * The branch being emitted has a store in its delay slot. That store may have dropped
   * translated code, this block's page included, and cannot leave the block: when it did, the
   * branch's exits neither loop nor link but go back to the dispatcher, which looks anew.
   */
  afterStore = false;
  constructor(
    readonly start: number,
    readonly pageIndex: number,
    /** Loops and links allowed (tests that observe single block runs turn them off). */
    readonly chain: boolean,
  ) {}

  /** Code that leaves after `n` instructions for the constant address `target`. */
  to(target: number, n: number): string {
    const t = lit(target);
    if (!this.chain) return `cpu.pc = ${t}; return c0 + ${n};`;
    // After a store in the delay slot, a loop or link may only go on if no code was dropped.
    const go = `cpu.intPending !== true${this.afterStore ? ' && J.codeWritten !== true' : ''}`;
    if ((target | 0) === this.start) {
      this.loops = true;
      return `c0 += ${n}; if (c0 < until && ${go}) continue; cpu.pc = ${t}; return c0;`;
    }
    if (((target ^ this.start) >>> 12) !== 0) return `cpu.pc = ${t}; return c0 + ${n};`;
    // The call is written out in each block, not made by a helper all blocks share: then each
    // call site has one target, which V8 calls directly (or inlines) instead of through its
    // generic call path. The link slot is a variable of the block's closure (an array literal
    // of nulls would have copy-on-write elements, and the first link stored would throw the
    // block's optimized code away).
    const L = `L${this.slots++}`;
    return `{ const t = c0 + ${n}; if (t < until && depth < ${MAX_CHAIN} && ${go}) {
if (${L} === null) ${L} = LK(${t}, ${this.pageIndex}); if (${L} !== null) { clk.cycles = t; return ${L}(rmap, depth + 1, until); } }
cpu.pc = ${t}; return t; }`;
  }
}

const MAX_BLOCK = 64;
/**
 * WebAssembly blocks are compiled this many to a module (see wasm-jit.ts), or fewer once the
 * first has waited WASM_BATCH_WAIT cycles; meanwhile the interpreter runs them. A workload's
 * warm-up makes hundreds of blocks hot within a few million instructions, so batches fill; the
 * wait bounds how long a lone hot loop stays interpreted (batches of 32 to 256 and waits of 2 to
 * 50 million cycles measured alike on the shell loop, 2 million a few percent slower).
 */
const WASM_BATCH = 64;
const WASM_BATCH_WAIT = 5_000_000;
/** Blocks that call one another directly before control goes back to the dispatcher. */
const MAX_CHAIN = 32;
/**
 * Entries of the jump cache: the dispatcher's first look for a block, by virtual PC, before the
 * per-page tables (which cost several dependent loads).
 */
export const JUMP_CACHE_SIZE = 16384;
/** Generated source kept alive before a full flush (V8 keeps source, bytecode and code per block). */
const CODE_BUDGET = 12 * 1024 * 1024;
/** Times a block start is reached before it is translated: cold boot code stays interpreted. */
const HOT = 2000;

const EXC_OV = 12;
const EXC_TR = 13;

function mulHiSigned(a: number, b: number): number {
  const al = a & 0xffff, ah = a >> 16, bl = b & 0xffff, bh = b >> 16;
  const t = al * bl;
  const mid = ah * bl + al * bh + (t >>> 16);
  return (ah * bh + Math.floor(mid / 65536)) | 0;
}

function mulHiUnsigned(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const t = al * bl;
  const mid = ah * bl + al * bh + (t >>> 16);
  return (ah * bh + Math.floor(mid / 65536)) | 0;
}

export { mulHiSigned, mulHiUnsigned };

const noBlock: BlockFn = () => 0;

const hex = (v: number) => '0x' + (v >>> 0).toString(16);
/** An int32 literal. */
const lit = (v: number) => String(v | 0);

export class Jit {
  private readonly pages: (Block[] | undefined)[];
  /** 1 for RAM pages that hold translated code (no write fast path). */
  readonly codePage: Uint8Array;
  private readonly heat = new Uint16Array(1 << 16);
  private factory: ((...deps: unknown[]) => BlockFn) | null = null;
  /** Executions of a block start before it is translated (tests set 1 to translate at once). */
  hotThreshold = HOT;
  /** WebAssembly blocks compiled together in one module (tests set 1 to compile each at once). */
  batchSize = WASM_BATCH;
  /** Blocks loop and call one another (see Exits); off, every block returns to the dispatcher. */
  chain = true;
  /** A store dropped translated code; running blocks leave after the store (see emit). */
  codeWritten = false;
  blocksCompiled = 0;
  /** Characters of generated source alive; past the budget all translations are dropped. */
  private codeSize = 0;
  flushes = 0;
  invalidations = 0;
  /**
   * Jump cache, indexed by (pc >>> 2) & (JUMP_CACHE_SIZE - 1): the virtual PC, the software-TLB
   * entry its page had (RAM offset + 1, so a remapped page misses) and the block's function.
   * An odd jcPc never matches an instruction address: that marks a free slot.
   */
  readonly jcPc = new Int32Array(JUMP_CACHE_SIZE).fill(1);
  readonly jcPage = new Int32Array(JUMP_CACHE_SIZE);
  readonly jcFn: BlockFn[] = new Array(JUMP_CACHE_SIZE).fill(noBlock);

  /** The WebAssembly backend (wasm-jit.ts), when the host has WebAssembly. */
  readonly wasm: WasmBlocks | null = null;
  /** Translate to WebAssembly where that backend can (tests turn it off to test the other). */
  useWasm = true;
  /** Blocks translated to WebAssembly (statistics; also counted in blocksCompiled). */
  wasmBlocks = 0;

  constructor(
    private readonly ram32: Int32Array,
    private readonly ram16: Uint16Array,
    private readonly ram8: Uint8Array,
    private readonly clock: Clock,
    private readonly protect: (pageOffset: number) => void,
    private readonly unprotect: (pageOffset: number) => void,
    /** The CPU whose blocks these are: its object and register file are constants in them. */
    private readonly host: JitHost & WasmHost,
    memory: WebAssembly.Memory | null = null,
  ) {
    const pageCount = ram32.length >> 10;
    this.pages = new Array(pageCount);
    this.codePage = new Uint8Array(pageCount);
    if (memory !== null) {
      try {
        const slow = { load: this.slowLoad, store: this.slowStore, raise: this.raiseAt };
        this.wasm = new WasmBlocks(memory, ram32, clock, host, slow, () => this.codeWritten);
      } catch {
        this.wasm = null; // no usable WebAssembly: JavaScript blocks only
      }
    }
  }

  /** The block translated for guest `pc` at RAM byte offset `phys`, if any. */
  private translated(phys: number, pc: number): Block | undefined {
    const b = this.pages[phys >>> 12]?.[(phys & 0xfff) >> 2];
    return b !== undefined && b.vpc === pc ? b : undefined;
  }

  /** The block for guest `pc` at RAM byte offset `phys`, translating it once it is hot. */
  lookup(phys: number, pc: number): Block | undefined {
    // A misaligned pc must fault on its fetch (AdEL), which only the interpreter raises.
    if ((pc & 3) !== 0) return undefined;
    let b = this.translated(phys, pc);
    const wasm = this.wasm;
    if (b === undefined && wasm !== null && wasm.pendingCount > 0 && this.clock.cycles - wasm.pendingSince > WASM_BATCH_WAIT) {
      // A batch waited long enough for more blocks: compile it (it may hold this one).
      this.compilePending();
      b = this.translated(phys, pc);
    }
    if (b === undefined) {
      const h = (phys >>> 2) & 0xffff;
      if (++this.heat[h] < this.hotThreshold) return undefined;
      this.heat[h] = 0;
      b = this.compile(phys, pc);
      if (b === undefined) return undefined;
    }
    const j = (pc >>> 2) & (JUMP_CACHE_SIZE - 1);
    this.jcPc[j] = pc;
    this.jcPage[j] = (phys & ~0xfff) + 1;
    this.jcFn[j] = b.fn;
    if (b.wasm >= 0 && wasm !== null) {
      wasm.wjcPc[j] = pc;
      wasm.wjcPage[j] = (phys & ~0xfff) + 1;
      wasm.wjcIdx[j] = b.wasm;
    }
    return b;
  }

  /**
   * Forget every translation (as QEMU flushes its code buffer when full): memory stays bounded
   * however much different code the guest runs; hot code is translated again.
   */
  flushAll(): void {
    for (let i = 0; i < this.codePage.length; i++) if (this.codePage[i]) this.invalidatePage(i);
    this.pages.fill(undefined);
    this.jcPc.fill(1);
    this.wasm?.releaseAll();
    this.codeSize = 0;
    this.flushes++;
  }

  // Helpers shared by all blocks for what is rare in any one of them: the generated code stays
  // short, so V8 compiles blocks faster, and their cold paths hold no operations of their own.
  // `at` is the instruction's address with bit 0 set when it sits in a delay slot; `t` the
  // virtual time once it has run.

  /** A load's slow path; kind 0 LB, 1 LBU, 2 LH, 3 LHU, 4 LW. Returns 0.5 (no int32) when it faulted. */
  private readonly slowLoad = (a: number, t: number, at: number, kind: number): number => {
    const cpu = this.host;
    this.clock.cycles = t;
    cpu.excPc = at & ~1;
    cpu.excDelay = (at & 1) !== 0;
    const v = cpu.loadJit(a, kind < 2 ? 1 : kind < 4 ? 2 : 4);
    if (cpu.excRaised) return 0.5;
    return kind === 0 ? (v << 24) >> 24 : kind === 2 ? (v << 16) >> 16 : kind === 4 ? v | 0 : v;
  };

  /**
   * A store's slow path. Returns 1 when the block must leave: the store faulted, or it hit
   * translated code (then execution goes on at the next instruction, fetched anew; a store in a
   * delay slot cannot leave, and blocks never inline a jump with such a slot).
   */
  private readonly slowStore = (a: number, value: number, t: number, at: number, size: 1 | 2 | 4): number => {
    const cpu = this.host;
    this.clock.cycles = t;
    cpu.excPc = at & ~1;
    cpu.excDelay = (at & 1) !== 0;
    cpu.storeJit(a, size, value);
    if (cpu.excRaised) return 1;
    if (this.codeWritten && (at & 1) === 0) {
      cpu.pc = ((at & ~1) + 4) | 0;
      return 1;
    }
    return 0;
  };

  /** Raise exception `code` for the instruction at `at`; the block returns `t`. */
  private readonly raiseAt = (t: number, at: number, code: number): number => {
    const cpu = this.host;
    cpu.excPc = at & ~1;
    cpu.excDelay = (at & 1) !== 0;
    cpu.raiseFromJit(code);
    return t;
  };

  /** The function of the block at `target` in page `pageIndex`, or null while it has none. */
  private readonly linkTo = (target: number, pageIndex: number): BlockFn | null =>
    this.translated((pageIndex << 12) | (target & 0xfff), target)?.fn ?? null;

  /** Drop every block of a RAM page (a store hit it) and give the page its write fast path back. */
  invalidatePage(pageIndex: number): void {
    this.wasm?.dropPending(pageIndex);
    const page = this.pages[pageIndex];
    if (page !== undefined) {
      const tag = (pageIndex << 12) + 1;
      const jcPage = this.jcPage;
      for (let j = 0; j < JUMP_CACHE_SIZE; j++) if (jcPage[j] === tag) this.jcPc[j] = 1;
      const wasm = this.wasm;
      if (wasm !== null) {
        // Free the slot through its PC, as above, not its page: a cleared page (0) would match
        // the software-TLB entry of any page the TLB no longer maps, and the dispatcher would
        // call whatever block has reused the slot since.
        const wjcPage = wasm.wjcPage;
        for (let j = 0; j < JUMP_CACHE_SIZE; j++) if (wjcPage[j] === tag) wasm.wjcPc[j] = 1;
        for (const b of page) {
          if (b !== undefined && b.wasm >= 0) {
            wasm.release(b.wasm);
            b.wasm = -1; // its function now runs nothing (see wasmBlock)
          }
        }
      }
    }
    this.pages[pageIndex] = undefined;
    if (this.codePage[pageIndex]) {
      this.codePage[pageIndex] = 0;
      this.codeWritten = true;
      this.invalidations++;
      this.unprotect(pageIndex << 12);
    }
  }

  private compilePending(): void {
    let made: Compiled[] = [];
    try {
      made = this.wasm!.compilePending();
    } catch {
      // The host refused to compile (a page's content security policy, a main thread's size
      // limit): JavaScript blocks from now on; the waiting ones are translated again when hot.
      this.useWasm = false;
      this.wasm!.releaseAll();
    }
    for (const c of made) {
      this.wasmBlocks++;
      // Machine code and module: a few times the bytes of the function.
      this.register(c.phys, this.wasmBlock(c.pc, c.slot), 4 * c.bytes);
    }
  }

  private compile(phys: number, pc: number): Block | undefined {
    if (this.codeSize > CODE_BUDGET) this.flushAll();
    if (this.wasm !== null && this.useWasm) {
      // A block waiting for its batch runs in the interpreter. Its page counts as code already,
      // so a store to it drops the waiting block (see invalidatePage).
      if (this.wasm.isPending(phys)) return undefined;
      if (this.wasm.add(phys, pc, this.chain)) {
        this.markCode(phys >>> 12);
        if (this.wasm.pendingCount < this.batchSize) return undefined;
        this.compilePending();
        return this.translated(phys, pc);
      }
    }
    const exits = new Exits(pc, phys >>> 12, this.chain);
    const body: string[] = [];
    const k = walkBlock(this.ram32, phys, pc, MAX_BLOCK, 1, {
      instruction: emit,
      add: (code) => body.push(code),
      jumpInPage: (insn, at, slot) => body.push(`${directLink(insn, at)}\n${slot}`),
      branch: (insn, at, n, slot, slotInsn, side) => {
        exits.afterStore = isStore(slotInsn);
        body.push(emitBranch(insn, at, n, slot, side, exits));
        exits.afterStore = false;
      },
      exitTo: (to, n) => body.push(exits.to(to, n)),
    });
    if (k === 0) return undefined;
    const links = exits.slots > 0 ? `let ${Array.from({ length: exits.slots }, (_, i) => `L${i} = null`).join(', ')};\n` : '';
    const code = exits.loops ? `for (;;) {\n${body.join('\n')}\n}` : body.join('\n');
    // cpu, r and the mode's software-TLB tables are constants of the enclosing scope: as such,
    // V8 drops their map and bounds checks (r[5] needs none on a known 32-entry array,
    // rmap[a >>> 12] none on a 2^20-entry one), which makes a block's machine code markedly
    // smaller. A block runs in the mode it was translated in (kernel code never runs in user
    // mode, nor user code in kernel mode, on Linux): the caller passes the current mode's rmap,
    // and in the other mode the block hands its first instruction to the interpreter.
    const src = `${links}return (function block_${(pc >>> 0).toString(16)}(rmap_, depth, until) {\n` +
      `if (rmap_ !== rmap) { cpu.pc = ${lit(pc)}; return clk.cycles; }\nlet c0 = clk.cycles;\n${code}\n});`;
    const make = new Function('cpu', 'r', 'rmap', 'wmap', 'ram32', 'ram16', 'ram8', 'clk', 'J', 'mulHiS', 'mulHiU', 'LD', 'ST', 'RX', 'LK', src) as (
      ...deps: unknown[]
    ) => BlockFn;
    const host = this.host;
    const fn = make(host, host.gpr, host.rmap, host.wmap, this.ram32, this.ram16, this.ram8, this.clock, this, mulHiSigned, mulHiUnsigned, this.slowLoad, this.slowStore, this.raiseAt, this.linkTo);
    return this.register(phys, { vpc: pc, fn, wasm: -1 }, src.length);
  }

  /**
   * A WebAssembly block as the dispatcher calls blocks: a function that enters the WebAssembly
   * dispatcher there. Once its page is invalidated it runs nothing and hands the PC back.
   */
  private wasmBlock(pc: number, slot: number): Block {
    const wasm = this.wasm!;
    const clock = this.clock;
    const host = this.host;
    const block: Block = {
      vpc: pc,
      wasm: slot,
      fn: (rmap, _depth, until) => {
        if (block.wasm < 0) {
          host.pc = pc;
          return clock.cycles;
        }
        return wasm.enter(block.wasm, rmap, host.wmap, until, !this.chain);
      },
    };
    return block;
  }

  private register(phys: number, block: Block, size: number): Block {
    this.codeSize += size;
    const pageIndex = phys >>> 12;
    let page = this.pages[pageIndex];
    if (page === undefined) page = this.pages[pageIndex] = new Array(1024);
    page[(phys & 0xfff) >> 2] = block;
    this.markCode(pageIndex);
    this.blocksCompiled++;
    return block;
  }

  /** RAM page `pageIndex` holds translated code: stores to it leave the fast path. */
  private markCode(pageIndex: number): void {
    if (!this.codePage[pageIndex]) {
      this.codePage[pageIndex] = 1;
      this.protect(pageIndex << 12);
    }
  }
}

/** The link register write of JAL / BAL, if any. */
function directLink(insn: number, pc: number): string {
  const op = insn >>> 26;
  const isLink = op === 3 || (op === 1 && ((insn >>> 16) & 31) === 0x11);
  return isLink ? `r[31] = ${lit(pc + 8)};` : '';
}

function emitBranch(insn: number, pc: number, k: number, slot: string, side: boolean, exits: Exits): string {
  const op = insn >>> 26;
  const rs = (insn >>> 21) & 31;
  const rt = (insn >>> 16) & 31;
  const target = (pc + 4 + ((insn << 16) >> 14)) | 0;
  const fall = (pc + 8) | 0;
  const R = (n: number) => (n === 0 ? '0' : `r[${n}]`);
  if (op === 2 || op === 3) {
    const t = ((pc + 4) & 0xf0000000) | ((insn & 0x03ffffff) << 2);
    return `${op === 3 ? `r[31] = ${lit(fall)};` : ''}\n${slot}\n${exits.to(t, k + 2)}`;
  }
  if (op === 0) {
    const rd = (insn >>> 11) & 31;
    const link = (insn & 63) === 9 && rd !== 0 ? `r[${rd}] = ${lit(fall)};` : '';
    return `{ const t = ${R(rs)}; ${link}\n${slot}\ncpu.pc = t; return c0 + ${k + 2}; }`;
  }
  let cond: string;
  let link = '';
  if (op === 1) {
    const ge = (rt & 1) === 1;
    cond = `${R(rs)} ${ge ? '>=' : '<'} 0`;
    if (rt >= 0x10) link = `r[31] = ${lit(fall)};`;
  } else {
    switch (op & 3) {
      case 0: cond = `${R(rs)} === ${R(rt)}`; break;
      case 1: cond = `${R(rs)} !== ${R(rt)}`; break;
      case 2: cond = `${R(rs)} <= 0`; break;
      default: cond = `${R(rs)} > 0`; break;
    }
  }
  if (branchKind(insn) === 'bl') {
    // Branch likely: the delay slot runs only when the branch is taken.
    return `{ const c = ${cond}; ${link}\nif (c) {\n${slot}\n${exits.to(target, k + 2)} }\n${exits.to(fall, k + 1)} }`;
  }
  if (side) return `{ const c = ${cond}; ${link}\n${slot}\nif (c) { ${exits.to(target, k + 2)} } }`;
  return `{ const c = ${cond}; ${link}\n${slot}\nif (c) { ${exits.to(target, k + 2)} }\n${exits.to(fall, k + 2)} }`;
}

/**
 * JavaScript for one non-branch instruction at `pc`, the k-th of its block, or null when the
 * interpreter must run it. `d`: the instruction sits in a delay slot.
 */
function emit(insn: number, pc: number, k: number, d: boolean): string | null {
  const op = insn >>> 26;
  const rs = (insn >>> 21) & 31;
  const rt = (insn >>> 16) & 31;
  const rd = (insn >>> 11) & 31;
  const sa = (insn >>> 6) & 31;
  const simm = (insn << 16) >> 16;
  const uimm = insn & 0xffff;
  const R = (n: number) => (n === 0 ? '0' : `r[${n}]`);
  // The instruction's address with the delay-slot flag in bit 0, for the slow-path helpers.
  const at = lit(pc | (d ? 1 : 0));
  const exc = (code: number) => `return RX(c0 + ${k + 1}, ${at}, ${code});`;
  const sync = `clk.cycles = c0 + ${k + 1}; cpu.excPc = ${lit(pc)}; cpu.excDelay = ${d};`;
  // The load/store helpers may serve a TLB refill in place, running the handler: time moved on.
  const resync = `c0 = clk.cycles - ${k + 1};`;
  const set = (n: number, expr: string) => (n === 0 ? '' : `r[${n}] = ${expr};`);
  // After a slow-path store: if it hit translated code, leave so the next instruction is fetched
  // anew (a delay-slot store cannot leave here; blocks never inline a jump with such a slot).
  const codeExit = d ? '' : ` if (J.codeWritten) { cpu.pc = ${lit(pc + 4)}; return c0 + ${k + 1}; }`;
  const addr = `(${R(rs)} + ${simm}) | 0`;
  /** Slow path of a load of `kind` (see slowLoad) into register `n`. */
  const loadSlow = (n: number, kind: number) =>
    `{ const v = LD(a, c0 + ${k + 1}, ${at}, ${kind}); if (v === 0.5) return clk.cycles; ${resync} ${set(n, 'v')} }`;
  /** Slow path of a store of `size` bytes of `value`. */
  const storeSlow = (value: string, size: number) =>
    `{ if (ST(a, ${value}, c0 + ${k + 1}, ${at}, ${size}) !== 0) return clk.cycles; ${resync} }`;

  switch (op) {
    case 0x00: {
      switch (insn & 63) {
        case 0x00: return set(rd, sa === 0 ? R(rt) : `${R(rt)} << ${sa}`);
        case 0x02:
          if (insn & 0x00200000) return set(rd, sa === 0 ? R(rt) : `(${R(rt)} >>> ${sa}) | (${R(rt)} << ${32 - sa})`);
          return set(rd, `${R(rt)} >>> ${sa}`);
        case 0x03: return set(rd, `${R(rt)} >> ${sa}`);
        case 0x04: return set(rd, `${R(rt)} << (${R(rs)} & 31)`);
        case 0x06:
          if (insn & 0x40) return set(rd, `((${R(rt)} >>> (${R(rs)} & 31)) | (${R(rt)} << (32 - (${R(rs)} & 31))))`);
          return set(rd, `${R(rt)} >>> (${R(rs)} & 31)`);
        case 0x07: return set(rd, `${R(rt)} >> (${R(rs)} & 31)`);
        case 0x0a: return rd === 0 ? '' : `if (${R(rt)} === 0) r[${rd}] = ${R(rs)};`;
        case 0x0b: return rd === 0 ? '' : `if (${R(rt)} !== 0) r[${rd}] = ${R(rs)};`;
        case 0x0c: return exc(8); // SYSCALL
        case 0x0d: return exc(9); // BREAK
        case 0x0f: return ''; // SYNC
        case 0x10: return set(rd, 'cpu.hi');
        case 0x11: return `cpu.hi = ${R(rs)};`;
        case 0x12: return set(rd, 'cpu.lo');
        case 0x13: return `cpu.lo = ${R(rs)};`;
        case 0x18: return `{ const a = ${R(rs)}, b = ${R(rt)}; cpu.lo = Math.imul(a, b); cpu.hi = mulHiS(a, b); }`;
        case 0x19: return `{ const a = ${R(rs)}, b = ${R(rt)}; cpu.lo = Math.imul(a, b); cpu.hi = mulHiU(a, b); }`;
        case 0x1a:
          return `{ const a = ${R(rs)}, b = ${R(rt)}; if (b === 0 || (a === -2147483648 && b === -1)) { cpu.lo = a; cpu.hi = 0; } else { cpu.lo = (a / b) | 0; cpu.hi = a % b | 0; } }`;
        case 0x1b:
          return `{ const a = ${R(rs)} >>> 0, b = ${R(rt)} >>> 0; if (b === 0) { cpu.lo = a | 0; cpu.hi = 0; } else { cpu.lo = Math.floor(a / b) | 0; cpu.hi = a % b | 0; } }`;
        case 0x20: return `{ const s = ${R(rs)} + ${R(rt)}; if (s > 2147483647 || s < -2147483648) ${exc(EXC_OV)} ${set(rd, 's')} }`;
        case 0x21: return set(rd, `(${R(rs)} + ${R(rt)}) | 0`);
        case 0x22: return `{ const s = ${R(rs)} - ${R(rt)}; if (s > 2147483647 || s < -2147483648) ${exc(EXC_OV)} ${set(rd, 's')} }`;
        case 0x23: return set(rd, `(${R(rs)} - ${R(rt)}) | 0`);
        case 0x24: return set(rd, `${R(rs)} & ${R(rt)}`);
        case 0x25: return set(rd, `${R(rs)} | ${R(rt)}`);
        case 0x26: return set(rd, `${R(rs)} ^ ${R(rt)}`);
        case 0x27: return set(rd, `~(${R(rs)} | ${R(rt)})`);
        case 0x2a: return set(rd, `${R(rs)} < ${R(rt)} ? 1 : 0`);
        case 0x2b: return set(rd, `${R(rs)} >>> 0 < ${R(rt)} >>> 0 ? 1 : 0`);
        case 0x30: return `if (${R(rs)} >= ${R(rt)}) ${exc(EXC_TR)}`;
        case 0x31: return `if (${R(rs)} >>> 0 >= ${R(rt)} >>> 0) ${exc(EXC_TR)}`;
        case 0x32: return `if (${R(rs)} < ${R(rt)}) ${exc(EXC_TR)}`;
        case 0x33: return `if (${R(rs)} >>> 0 < ${R(rt)} >>> 0) ${exc(EXC_TR)}`;
        case 0x34: return `if (${R(rs)} === ${R(rt)}) ${exc(EXC_TR)}`;
        case 0x36: return `if (${R(rs)} !== ${R(rt)}) ${exc(EXC_TR)}`;
        default: return null;
      }
    }
    case 0x08: return `{ const s = ${R(rs)} + ${simm}; if (s > 2147483647 || s < -2147483648) ${exc(EXC_OV)} ${set(rt, 's')} }`;
    case 0x09: return set(rt, `(${R(rs)} + ${simm}) | 0`);
    case 0x0a: return set(rt, `${R(rs)} < ${simm} ? 1 : 0`);
    case 0x0b: return set(rt, `${R(rs)} >>> 0 < ${simm >>> 0} ? 1 : 0`);
    case 0x0c: return set(rt, `${R(rs)} & ${uimm}`);
    case 0x0d: return set(rt, `${R(rs)} | ${uimm}`);
    case 0x0e: return set(rt, `${R(rs)} ^ ${uimm}`);
    case 0x0f: return set(rt, lit(insn << 16));
    case 0x1c: {
      switch (insn & 63) {
        case 0x00: case 0x01: case 0x04: case 0x05: {
          const f = insn & 63;
          const hiFn = f & 1 ? 'mulHiU' : 'mulHiS';
          const acc = f < 4
            ? `const s = (cpu.lo >>> 0) + (pl >>> 0); cpu.hi = (cpu.hi + ph + (s > 0xffffffff ? 1 : 0)) | 0; cpu.lo = s | 0;`
            : `const s = (cpu.lo >>> 0) - (pl >>> 0); cpu.hi = (cpu.hi - ph - (s < 0 ? 1 : 0)) | 0; cpu.lo = s | 0;`;
          return `{ const a = ${R(rs)}, b = ${R(rt)}; const pl = Math.imul(a, b), ph = ${hiFn}(a, b); ${acc} }`;
        }
        case 0x02: return set(rd, `Math.imul(${R(rs)}, ${R(rt)})`);
        case 0x20: return set(rd, `Math.clz32(${R(rs)})`);
        case 0x21: return set(rd, `Math.clz32(~${R(rs)})`);
        default: return null;
      }
    }
    case 0x1f: {
      switch (insn & 63) {
        case 0x00: {
          const size = rd + 1;
          if (size >= 32) return set(rt, `${R(rs)} >>> ${sa}`);
          return set(rt, `(${R(rs)} >>> ${sa}) & ${hex((1 << size) - 1)}`);
        }
        case 0x04: {
          if (rd < sa) return '';
          const width = rd - sa + 1;
          const mask = ((width >= 32 ? -1 : (1 << width) - 1) << sa) | 0;
          return set(rt, `(${R(rt)} & ${lit(~mask)}) | ((${R(rs)} << ${sa}) & ${lit(mask)})`);
        }
        case 0x3b: {
          // RDHWR: CPUNum, SYNCI_Step, CC, CCRes; user mode needs the HWREna bit. Register 29
          // (UserLocal, absent here) raises RI, which Linux emulates for every TLS access.
          if (rd > 3) return exc(10);
          const value = rd === 0 ? 'cpu.ebase & 0x3ff' : rd === 1 ? '32' : rd === 2 ? 'cpu.count()' : '2';
          const check = pc >= 0 ? `if ((cpu.hwrEna & ${1 << rd}) === 0 && !cpu.kernelMode) ${exc(10)} ` : '';
          return `${check}${rd === 2 ? `clk.cycles = c0 + ${k + 1}; ` : ''}${set(rt, value)}`;
        }
        case 0x20:
          if (sa === 0x02) return set(rd, `((${R(rt)} & 0x00ff00ff) << 8) | ((${R(rt)} >>> 8) & 0x00ff00ff)`);
          if (sa === 0x10) return set(rd, `(${R(rt)} << 24) >> 24`);
          if (sa === 0x18) return set(rd, `(${R(rt)} << 16) >> 16`);
          return null;
        default: return null;
      }
    }
    case 0x33: return ''; // PREF
    case 0x11: {
      // CP1 arithmetic and moves (BC1 branches stay with the interpreter).
      if (rs === 8) return null;
      const x = `cpu.excPc = ${lit(pc)}; cpu.excDelay = ${d};`;
      return `${x} if (!cpu.fpuUsableOrRaise() || !cpu.cop1OrRaise(${lit(insn)})) return c0 + ${k + 1};`;
    }
    case 0x31: case 0x39: {
      // LWC1 / SWC1
      const x = `cpu.excPc = ${lit(pc)}; cpu.excDelay = ${d}; if (!cpu.fpuUsableOrRaise()) return c0 + ${k + 1};`;
      if (op === 0x31) {
        return `{ ${x} const a = ${addr}; const e = rmap[a >>> 12];
if (e > 0 && (a & 3) === 0) cpu.fpu.setWord(${rt}, ram32[(e + (a & 0xfff)) >> 2]); else { const v = LD(a, c0 + ${k + 1}, ${at}, 4); if (v === 0.5) return clk.cycles; ${resync} cpu.fpu.setWord(${rt}, v); } }`;
      }
      return `{ ${x} const a = ${addr}; const e = wmap[a >>> 12]; const v = cpu.fpu.getWord(${rt});
if (e > 0 && (a & 3) === 0) ram32[(e + (a & 0xfff)) >> 2] = v; else ${storeSlow('v', 4)} }`;
    }
    case 0x35: case 0x3d: {
      // LDC1 / SDC1: 8-byte aligned, as two words.
      const x = `cpu.excPc = ${lit(pc)}; cpu.excDelay = ${d}; if (!cpu.fpuUsableOrRaise()) return c0 + ${k + 1};` +
        (rt & 1 ? ` if (!cpu.fpu.fr) { cpu.raiseFromJit(10); return c0 + ${k + 1}; }` : '');
      const misaligned = `if ((a & 7) !== 0) { cpu.addressErrorFromJit(a, ${op === 0x3d}); return c0 + ${k + 1}; }`;
      if (op === 0x35) {
        return `{ ${x} const a = ${addr}; const e = rmap[a >>> 12];
if (e > 0 && (a & 7) === 0) { const i = (e + (a & 0xfff)) >> 2; cpu.fpu.setDouble(${rt}, ram32[i], ram32[i + 1]); }
else { ${sync} ${misaligned} const lo = cpu.loadSlow(a, 4); if (cpu.excRaised) return c0 + ${k + 1};
const hi = cpu.loadSlow((a + 4) | 0, 4); if (cpu.excRaised) return c0 + ${k + 1}; cpu.fpu.setDouble(${rt}, lo, hi); } }`;
      }
      return `{ ${x} const a = ${addr}; const e = wmap[a >>> 12];
if (e > 0 && (a & 7) === 0) { const i = (e + (a & 0xfff)) >> 2; ram32[i] = cpu.fpu.getDoubleLo(${rt}); ram32[i + 1] = cpu.fpu.getDoubleHi(${rt}); }
else { ${sync} ${misaligned} cpu.storeSlow(a, 4, cpu.fpu.getDoubleLo(${rt})); if (cpu.excRaised) return c0 + ${k + 1};
cpu.storeSlow((a + 4) | 0, 4, cpu.fpu.getDoubleHi(${rt})); if (cpu.excRaised) return c0 + ${k + 1};${codeExit} } }`;
    }
    case 0x10: {
      // CP0. Only kernel code (KSEG0/KSEG1 addresses) is translated here, so no CpU check.
      if (pc >= 0) return null;
      const flagged = 'cpu.excRaised = true;';
      const field = CP0_FIELDS[(rd << 3) | (insn & 7)];
      if (rs === 0 && field !== undefined) return set(rt, `cpu.${field.field}`);
      if (rs === 4 && field?.writeMask !== undefined) return `cpu.${field.field} = ${R(rt)} & ${lit(field.writeMask)};`;
      if (rs === 0) return `clk.cycles = c0 + ${k + 1}; ${set(rt, `cpu.readCp0(${rd}, ${insn & 7})`)}`;
      if (rs === 4) {
        const ends = rd === 9 || rd === 11 || rd === 12 || rd === 13;
        return `clk.cycles = c0 + ${k + 1}; cpu.writeCp0(${rd}, ${insn & 7}, ${R(rt)});${ends ? ` ${flagged} cpu.pc = ${lit(pc + 4)}; return c0 + ${k + 1};` : ''}`;
      }
      if (rs === 11) {
        return `{ const o = cpu.setInterruptEnable(${(insn & 0x20) !== 0}); ${set(rt, 'o')} ${flagged} cpu.pc = ${lit(pc + 4)}; return c0 + ${k + 1}; }`;
      }
      if (rs >= 16) {
        switch (insn & 63) {
          case 0x01: return 'cpu.tlbRead();';
          case 0x02: return 'cpu.tlbWriteIndexed();';
          case 0x06: return `clk.cycles = c0 + ${k + 1}; cpu.tlbWriteRandom();`;
          case 0x08: return 'cpu.tlbProbe();';
          case 0x18: return `cpu.eret(); ${flagged} return c0 + ${k + 1};`;
          default: return null;
        }
      }
      return null;
    }

    // Loads: fast path through the software TLB, else the interpreter's slow path.
    case 0x20: case 0x24: case 0x21: case 0x25: case 0x23: case 0x30: {
      const size = op === 0x20 || op === 0x24 ? 1 : op === 0x21 || op === 0x25 ? 2 : 4;
      const fast = size === 1 ? 'ram8[(e - 1 + (a & 0xfff)) | 0]' : size === 2 ? 'ram16[(e + (a & 0xfff)) >> 1]' : 'ram32[(e + (a & 0xfff)) >> 2]';
      const align = size === 1 ? '' : ` && (a & ${size - 1}) === 0`;
      const value = op === 0x20 ? `(${fast} << 24) >> 24` : op === 0x21 ? `(${fast} << 16) >> 16` : fast;
      const kind = op === 0x20 ? 0 : op === 0x24 ? 1 : op === 0x21 ? 2 : op === 0x25 ? 3 : 4;
      const ll = op === 0x30 ? ' cpu.llBit = true; cpu.llAddr = a;' : '';
      const fastSet = rt === 0 ? `{}` : `r[${rt}] = ${value};`;
      return `{ const a = ${addr}; const e = rmap[a >>> 12];
if (e > 0${align}) ${fastSet} else ${loadSlow(rt, kind)}${ll} }`;
    }
    case 0x22: case 0x26: {
      const merge = op === 0x22
        ? `const sh = (3 - (a & 3)) * 8; ${rt === 0 ? '' : `r[${rt}] = sh === 0 ? w : (r[${rt}] & ((1 << sh) - 1)) | (w << sh);`}`
        : `const sh = (a & 3) * 8; ${rt === 0 ? '' : `r[${rt}] = sh === 0 ? w : (r[${rt}] & ~(-1 >>> sh)) | (w >>> sh);`}`;
      return `{ const a = ${addr}; const aw = a & ~3; const e = rmap[aw >>> 12]; let w;
if (e > 0) w = ram32[(e + (aw & 0xfff)) >> 2]; else { ${sync} w = cpu.loadSlow(aw, 4); if (cpu.excRaised) { cpu.badVAddr = a; return c0 + ${k + 1}; } }
${merge} }`;
    }
    case 0x28: case 0x29: case 0x2b: {
      const size = op === 0x28 ? 1 : op === 0x29 ? 2 : 4;
      const fast = size === 1 ? `ram8[(e - 1 + (a & 0xfff)) | 0] = ${R(rt)}` : size === 2 ? `ram16[(e + (a & 0xfff)) >> 1] = ${R(rt)}` : `ram32[(e + (a & 0xfff)) >> 2] = ${R(rt)}`;
      const align = size === 1 ? '' : ` && (a & ${size - 1}) === 0`;
      return `{ const a = ${addr}; const e = wmap[a >>> 12];
if (e > 0${align}) ${fast}; else ${storeSlow(R(rt), size)} }`;
    }
    case 0x38: {
      // SC: succeeds only while the LL bit from the matching LL survives (ERET clears it).
      return `{ const a = ${addr};
if (!cpu.llBit) { if ((a & 3) !== 0) { ${sync} cpu.storeSlow(a, 4, 0); return c0 + ${k + 1}; } ${set(rt, '0')} }
else { const e = wmap[a >>> 12];
if (e > 0 && (a & 3) === 0) ram32[(e + (a & 0xfff)) >> 2] = ${R(rt)}; else ${storeSlow(R(rt), 4)}
cpu.llBit = false; ${set(rt, '1')} } }`;
    }
    default:
      return null;
  }
}
