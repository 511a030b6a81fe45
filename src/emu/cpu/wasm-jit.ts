/**
 * The WebAssembly backend of the block translator: hot blocks of integer code become WebAssembly
 * functions that read the registers, the software-TLB tables and guest RAM straight from the
 * machine's linear memory (see LAYOUT), and a small WebAssembly dispatcher goes from one block to
 * the next through a jump cache in that memory with `call_indirect`.
 *
 * Why: a block costs little more than its own work this way. As JavaScript functions, V8's call
 * between hundreds of small generated functions costs about as much as the work in them, and each
 * needs several runs before it is optimised (scripts/dispatch-microbench.mjs measures both);
 * WebAssembly code is fast from its first run (V8's baseline compiler, then its optimising one in
 * the background).
 *
 * Blocks are compiled in batches, one module for many blocks (jit.ts decides when), so their
 * machine code lies side by side. A module per block put each in a page of its own: in the shell
 * loop, over half the time in blocks went to fetching their first instruction (perf samples at
 * function entry), and the loop ran slower than with JavaScript blocks.
 *
 * The blocks have the shape of the JavaScript translator's (jit.ts): same start, same end, same
 * virtual time at every exit, same slow paths (the interpreter's, through imported helpers) with
 * precise exceptions. Instructions this backend does not translate (CP0, CP1, LL/SC, RDHWR of
 * real registers) end a block; the JavaScript blocks and the interpreter run them. Control goes
 * back to JavaScript when the jump cache misses, at the dispatcher's deadline, and after a helper
 * raised an exception, made an interrupt pending or wrote translated code (the EXIT flag).
 */
import type { Clock } from '../clock';
import { LAYOUT } from '../memory/ram';
import { branchKind, walkBlock } from './block-shape';
import { OP, TYPE, WasmCode, moduleBytes, type FuncType, type Import } from './wasm-code';

/** A block compiled by WasmBlocks.compilePending: its table slot and size of code. */
export interface Compiled {
  phys: number;
  pc: number;
  slot: number;
  bytes: number;
}

/** What the helpers need of the CPU (a subset of JitHost). */
export interface WasmHost {
  pc: number;
  badVAddr: number;
  excPc: number;
  excDelay: boolean;
  excRaised: boolean;
  readonly intPending: boolean;
  loadSlow(va: number, size: 1 | 2 | 4): number;
}

/**
 * The JavaScript blocks' slow paths (jit.ts), which the helpers here wrap: `at` is the
 * instruction's address with bit 0 set in a delay slot, `t` the time once it has run.
 */
export interface SlowPaths {
  /** Kind 0 LB, 1 LBU, 2 LH, 3 LHU, 4 LW; 0.5 when it faulted. */
  load(a: number, t: number, at: number, kind: number): number;
  /** 1 when the block must leave (a fault, or translated code written outside a delay slot). */
  store(a: number, value: number, t: number, at: number, size: 1 | 2 | 4): number;
  raise(t: number, at: number, code: number): number;
}

const { i32: I32, i64: I64, f64: F64 } = TYPE;

const TYPES: FuncType[] = [
  // 0: a block (t, until, rmap, wmap) -> time
  { params: [F64, F64, I32, I32], results: [F64] },
  // 1: ld (va, t, at, kind) -> value
  { params: [I32, F64, I32, I32], results: [I32] },
  // 2: st (va, value, t, at, size) -> leave
  { params: [I32, I32, F64, I32, I32], results: [I32] },
  // 3: rx (t, at, code) -> time
  { params: [F64, I32, I32], results: [F64] },
  // 4: lw (va, t, at) -> word (LWL/LWR)
  { params: [I32, F64, I32], results: [I32] },
  // 5: run (t, until, rmap, wmap, first table index, single) -> time
  { params: [F64, F64, I32, I32, I32, I32], results: [F64] },
];

const BLOCK_IMPORTS: Import[] = [
  { module: 'm', name: 'mem', kind: 'memory' },
  { module: 'm', name: 'ld', kind: 'func', type: 1 },
  { module: 'm', name: 'st', kind: 'func', type: 2 },
  { module: 'm', name: 'rx', kind: 'func', type: 3 },
  { module: 'm', name: 'lw', kind: 'func', type: 4 },
];
const F_LD = 0;
const F_ST = 1;
const F_RX = 2;
const F_LW = 3;

// Locals of a block: the parameters, then scratch.
const T = 0; // virtual time at the block's start (c0 in jit.ts)
const UNTIL = 1;
const RMAP = 2;
const WMAP = 3;
const A = 4;
const E = 5;
const V = 6;
const X = 7;
const Y = 8;
const TGT = 9;
const C = 10;
const P = 11; // i64
const BLOCK_LOCALS = [I32, I32, I32, I32, I32, I32, I32, I64];

const MAX_BLOCK = 64;
/** Blocks shorter than this that stop at an instruction left to JavaScript stay JavaScript. */
const MIN_PARTIAL = 4;
export const WASM_JUMP_CACHE_SIZE = 16384;

/** EXIT: the dispatcher must look again (an exception, a pending interrupt, code written). */
const EXIT_SERVICE = 1;


const EXC_OV = 12;
const EXC_TR = 13;

const { GPR, LO, PC, EXIT, FAULT, CLK, WJC_PC, WJC_PAGE, WJC_IDX, RAM } = LAYOUT;

/** Emits one block's body (see WasmBlocks.translate for its shape). */
class BlockEmitter {
  readonly w = new WasmCode();
  /** The block jumps back to its start (else its body needs no loop). */
  loops = false;

  constructor(
    private readonly start: number,
    /** Self-loops allowed (off when tests observe single block runs). */
    private readonly chain: boolean,
  ) {}

  /** Leave for the constant address `target` after `n` instructions. */
  exitTo(target: number, n: number): void {
    const w = this.w;
    if (this.chain && (target | 0) === this.start) {
      this.loops = true;
      // Back to the block's own start: loop inside the function, as jit.ts does, while the
      // deadline is ahead and no helper asked to leave.
      w.get(T).f64(n).op(OP.f64Add).set(T);
      w.get(T).get(UNTIL).op(OP.f64Lt).i32(0).mem(OP.i32Load, 2, EXIT).op(OP.i32Eqz, OP.i32And);
      w.op(OP.brIf).uleb(w.depth - 1); // the loop opened first, at depth 0
      w.i32(0).i32(target).mem(OP.i32Store, 2, PC);
      w.get(T).op(OP.return);
      return;
    }
    w.i32(0).i32(target).mem(OP.i32Store, 2, PC);
    w.get(T).f64(n).op(OP.f64Add, OP.return);
  }
}

/** Push register n. */
function reg(w: WasmCode, n: number): void {
  if (n === 0) w.i32(0);
  else w.i32(0).mem(OP.i32Load, 2, GPR + 4 * n);
}

/** Store into register n the value `value` pushes (nothing for $0). */
function setReg(w: WasmCode, n: number, value: () => void): void {
  if (n === 0) return;
  w.i32(0);
  value();
  w.mem(OP.i32Store, 2, GPR + 4 * n);
}

/** Push the virtual time after the k-th instruction (counted from 0) has run. */
function timeAfter(w: WasmCode, k: number): void {
  w.get(T).f64(k + 1).op(OP.f64Add);
}

/** After a helper: leave at the time it reached if it raised an exception, else resync T. */
function afterHelper(w: WasmCode, k: number): void {
  w.i32(0).mem(OP.i32Load, 2, FAULT).open(OP.if);
  w.i32(0).mem(OP.f64Load, 3, CLK).op(OP.return);
  w.end();
  // A TLB refill served in place ran the handler: time moved on (as jit.ts's resync).
  w.i32(0).mem(OP.f64Load, 3, CLK).f64(k + 1).op(OP.f64Sub).set(T);
}

/** Software-TLB entry of the page of local `addr` in the table at local `map`, into E. */
function lookup(w: WasmCode, map: number, addr: number): void {
  w.get(map).get(addr).i32(12).op(OP.i32ShrU).i32(2).op(OP.i32Shl, OP.i32Add).mem(OP.i32Load, 2, 0).set(E);
}

/** Push whether E holds a RAM page and local `addr` is aligned for `size`. */
function fastCond(w: WasmCode, addr: number, size: number): void {
  w.get(E).i32(0).op(OP.i32GtS);
  if (size > 1) w.get(addr).i32(size - 1).op(OP.i32And, OP.i32Eqz, OP.i32And);
}

/** Push the RAM address (less RAM - 1, which the access's offset adds) of local `addr` in page E. */
function ramAddr(w: WasmCode, addr: number): void {
  w.get(E).get(addr).i32(0xfff).op(OP.i32And, OP.i32Add);
}

/**
 * Code for one non-branch instruction at `pc`, the k-th of its block, or null when it is left to
 * JavaScript. `d`: it sits in a delay slot.
 */
function instruction(insn: number, pc: number, k: number, d: boolean): WasmCode | null {
  const w = new WasmCode();
  const op = insn >>> 26;
  const rs = (insn >>> 21) & 31;
  const rt = (insn >>> 16) & 31;
  const rd = (insn >>> 11) & 31;
  const sa = (insn >>> 6) & 31;
  const simm = (insn << 16) >> 16;
  const uimm = insn & 0xffff;
  const at = pc | (d ? 1 : 0);
  const R = (n: number) => () => reg(w, n);
  const exc = (code: number) => {
    timeAfter(w, k);
    w.i32(at).i32(code).op(OP.call).uleb(F_RX).op(OP.return);
  };
  const excIf = (cond: () => void, code: number) => {
    cond();
    w.open(OP.if);
    exc(code);
    w.end();
  };
  const binary = (dst: number, a: number, b: number, o: number) =>
    setReg(w, dst, () => {
      reg(w, a);
      reg(w, b);
      w.op(o);
    });
  const immediate = (o: number, v: number) =>
    setReg(w, rt, () => {
      reg(w, rs);
      w.i32(v).op(o);
    });
  const address = () => {
    reg(w, rs);
    if (simm !== 0) w.i32(simm).op(OP.i32Add);
    w.set(A);
  };
  const storeLoHi64 = (value: () => void) => {
    w.i32(0);
    value();
    w.mem(OP.i64Store, 3, LO);
  };

  switch (op) {
    case 0x00:
      switch (insn & 63) {
        case 0x00: setReg(w, rd, () => { reg(w, rt); if (sa !== 0) w.i32(sa).op(OP.i32Shl); }); return w;
        case 0x02: setReg(w, rd, () => { reg(w, rt); if (sa !== 0) w.i32(sa).op(insn & 0x00200000 ? OP.i32Rotr : OP.i32ShrU); }); return w;
        case 0x03: setReg(w, rd, () => { reg(w, rt); if (sa !== 0) w.i32(sa).op(OP.i32ShrS); }); return w;
        // (WebAssembly shifts take the count mod 32, as MIPS does.)
        case 0x04: binary(rd, rt, rs, OP.i32Shl); return w;
        case 0x06: binary(rd, rt, rs, insn & 0x40 ? OP.i32Rotr : OP.i32ShrU); return w;
        case 0x07: binary(rd, rt, rs, OP.i32ShrS); return w;
        case 0x0a: case 0x0b:
          if (rd === 0) return w;
          reg(w, rt);
          if ((insn & 63) === 0x0a) w.op(OP.i32Eqz);
          w.open(OP.if);
          setReg(w, rd, R(rs));
          w.end();
          return w;
        case 0x0c: exc(8); return w; // SYSCALL
        case 0x0d: exc(9); return w; // BREAK
        case 0x0f: return w; // SYNC
        case 0x10: setReg(w, rd, () => w.i32(0).mem(OP.i32Load, 2, LO + 4)); return w;
        case 0x11: w.i32(0); reg(w, rs); w.mem(OP.i32Store, 2, LO + 4); return w;
        case 0x12: setReg(w, rd, () => w.i32(0).mem(OP.i32Load, 2, LO)); return w;
        case 0x13: w.i32(0); reg(w, rs); w.mem(OP.i32Store, 2, LO); return w;
        case 0x18: case 0x19: {
          const ext = (insn & 1) !== 0 ? OP.i64ExtendI32U : OP.i64ExtendI32S;
          storeLoHi64(() => { reg(w, rs); w.op(ext); reg(w, rt); w.op(ext, OP.i64Mul); });
          return w;
        }
        case 0x1a: case 0x1b: {
          // Division by zero (and INT_MIN / -1) leaves LO = rs, HI = 0, as the interpreter does.
          const signed = (insn & 1) === 0;
          reg(w, rs);
          w.set(X);
          reg(w, rt);
          w.tee(Y).op(OP.i32Eqz);
          if (signed) w.get(X).i32(-2147483648).op(OP.i32Eq).get(Y).i32(-1).op(OP.i32Eq, OP.i32And, OP.i32Or);
          w.open(OP.if);
          w.i32(0).get(X).mem(OP.i32Store, 2, LO).i32(0).i32(0).mem(OP.i32Store, 2, LO + 4);
          w.byte(OP.else);
          w.i32(0).get(X).get(Y).op(signed ? OP.i32DivS : OP.i32DivU).mem(OP.i32Store, 2, LO);
          w.i32(0).get(X).get(Y).op(signed ? OP.i32RemS : OP.i32RemU).mem(OP.i32Store, 2, LO + 4);
          w.end();
          return w;
        }
        case 0x20: case 0x22: {
          // ADD / SUB: Overflow leaves rd alone.
          const add = (insn & 63) === 0x20;
          reg(w, rs);
          w.set(X);
          reg(w, rt);
          w.set(Y);
          w.get(X).get(Y).op(add ? OP.i32Add : OP.i32Sub).set(V);
          excIf(() => {
            if (add) w.get(X).get(V).op(OP.i32Xor).get(Y).get(V).op(OP.i32Xor, OP.i32And);
            else w.get(X).get(Y).op(OP.i32Xor).get(X).get(V).op(OP.i32Xor, OP.i32And);
            w.i32(0).op(OP.i32LtS);
          }, EXC_OV);
          setReg(w, rd, () => w.get(V));
          return w;
        }
        case 0x21: binary(rd, rs, rt, OP.i32Add); return w;
        case 0x23: binary(rd, rs, rt, OP.i32Sub); return w;
        case 0x24: binary(rd, rs, rt, OP.i32And); return w;
        case 0x25: binary(rd, rs, rt, OP.i32Or); return w;
        case 0x26: binary(rd, rs, rt, OP.i32Xor); return w;
        case 0x27: setReg(w, rd, () => { reg(w, rs); reg(w, rt); w.op(OP.i32Or).i32(-1).op(OP.i32Xor); }); return w;
        case 0x2a: binary(rd, rs, rt, OP.i32LtS); return w;
        case 0x2b: binary(rd, rs, rt, OP.i32LtU); return w;
        case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x36: {
          const cmp = [OP.i32GeS, OP.i32GeU, OP.i32LtS, OP.i32LtU, OP.i32Eq, 0, OP.i32Ne][(insn & 63) - 0x30];
          excIf(() => { reg(w, rs); reg(w, rt); w.op(cmp); }, EXC_TR);
          return w;
        }
        default: return null;
      }
    case 0x08: {
      reg(w, rs);
      w.tee(X).i32(simm).op(OP.i32Add).set(V);
      excIf(() => w.get(X).get(V).op(OP.i32Xor).i32(simm).get(V).op(OP.i32Xor, OP.i32And).i32(0).op(OP.i32LtS), EXC_OV);
      setReg(w, rt, () => w.get(V));
      return w;
    }
    case 0x09: immediate(OP.i32Add, simm); return w;
    case 0x0a: immediate(OP.i32LtS, simm); return w;
    case 0x0b: immediate(OP.i32LtU, simm); return w;
    case 0x0c: immediate(OP.i32And, uimm); return w;
    case 0x0d: immediate(OP.i32Or, uimm); return w;
    case 0x0e: immediate(OP.i32Xor, uimm); return w;
    case 0x0f: setReg(w, rt, () => w.i32(insn << 16)); return w;
    case 0x1c:
      switch (insn & 63) {
        case 0x00: case 0x01: case 0x04: case 0x05: {
          // MADD(U) / MSUB(U) on HI:LO as one 64-bit value.
          const ext = (insn & 1) !== 0 ? OP.i64ExtendI32U : OP.i64ExtendI32S;
          storeLoHi64(() => {
            w.i32(0).mem(OP.i64Load, 3, LO);
            reg(w, rs);
            w.op(ext);
            reg(w, rt);
            w.op(ext, OP.i64Mul, (insn & 4) !== 0 ? OP.i64Sub : OP.i64Add);
          });
          return w;
        }
        case 0x02: binary(rd, rs, rt, OP.i32Mul); return w;
        case 0x20: setReg(w, rd, () => { reg(w, rs); w.op(OP.i32Clz); }); return w;
        case 0x21: setReg(w, rd, () => { reg(w, rs); w.i32(-1).op(OP.i32Xor, OP.i32Clz); }); return w;
        default: return null;
      }
    case 0x1f:
      switch (insn & 63) {
        case 0x00: {
          const size = rd + 1;
          setReg(w, rt, () => {
            reg(w, rs);
            if (sa !== 0) w.i32(sa).op(OP.i32ShrU);
            if (size < 32) w.i32((1 << size) - 1).op(OP.i32And);
          });
          return w;
        }
        case 0x04: {
          if (rd < sa) return w;
          const width = rd - sa + 1;
          const mask = ((width >= 32 ? -1 : (1 << width) - 1) << sa) | 0;
          setReg(w, rt, () => {
            reg(w, rt);
            w.i32(~mask).op(OP.i32And);
            reg(w, rs);
            w.i32(sa).op(OP.i32Shl).i32(mask).op(OP.i32And, OP.i32Or);
          });
          return w;
        }
        case 0x3b:
          // RDHWR of UserLocal and beyond always raises RI (Linux emulates it); the real
          // registers need the mode and HWREna, which the JavaScript blocks check.
          if (rd > 3) {
            exc(10);
            return w;
          }
          return null;
        case 0x20:
          if (sa === 0x02) {
            setReg(w, rd, () => {
              reg(w, rt);
              w.i32(0x00ff00ff).op(OP.i32And).i32(8).op(OP.i32Shl);
              reg(w, rt);
              w.i32(8).op(OP.i32ShrU).i32(0x00ff00ff).op(OP.i32And, OP.i32Or);
            });
            return w;
          }
          if (sa === 0x10) { setReg(w, rd, () => { reg(w, rt); w.op(OP.i32Extend8S); }); return w; }
          if (sa === 0x18) { setReg(w, rd, () => { reg(w, rt); w.op(OP.i32Extend16S); }); return w; }
          return null;
        default: return null;
      }
    case 0x33: return w; // PREF

    // Loads: fast path through the software TLB, else the interpreter's slow path.
    case 0x20: case 0x24: case 0x21: case 0x25: case 0x23: {
      const size = op === 0x20 || op === 0x24 ? 1 : op === 0x21 || op === 0x25 ? 2 : 4;
      const load = op === 0x20 ? OP.i32Load8S : op === 0x24 ? OP.i32Load8U : op === 0x21 ? OP.i32Load16S : op === 0x25 ? OP.i32Load16U : OP.i32Load;
      const kind = op === 0x20 ? 0 : op === 0x24 ? 1 : op === 0x21 ? 2 : op === 0x25 ? 3 : 4;
      address();
      lookup(w, RMAP, A);
      fastCond(w, A, size);
      w.open(OP.if);
      setReg(w, rt, () => { ramAddr(w, A); w.mem(load, 0, RAM - 1); });
      w.byte(OP.else);
      w.get(A);
      timeAfter(w, k);
      w.i32(at).i32(kind).op(OP.call).uleb(F_LD).set(V);
      afterHelper(w, k);
      setReg(w, rt, () => w.get(V));
      w.end();
      return w;
    }
    case 0x22: case 0x26: {
      // LWL / LWR: merge the aligned word into rt (shifts by 0 leave it whole).
      address();
      w.get(A).i32(-4).op(OP.i32And).set(X);
      lookup(w, RMAP, X);
      w.get(E).i32(0).op(OP.i32GtS).open(OP.if);
      ramAddr(w, X);
      w.mem(OP.i32Load, 0, RAM - 1).set(V);
      w.byte(OP.else);
      w.get(A);
      timeAfter(w, k);
      w.i32(at).op(OP.call).uleb(F_LW).set(V);
      afterHelper(w, k);
      w.end();
      if (op === 0x22) {
        // sh = (3 - (a & 3)) * 8; rt = (rt & ((1 << sh) - 1)) | (w << sh)
        w.i32(3).get(A).i32(3).op(OP.i32And, OP.i32Sub).i32(3).op(OP.i32Shl).set(Y);
        setReg(w, rt, () => {
          reg(w, rt);
          w.i32(1).get(Y).op(OP.i32Shl).i32(1).op(OP.i32Sub, OP.i32And).get(V).get(Y).op(OP.i32Shl, OP.i32Or);
        });
      } else {
        // sh = (a & 3) * 8; rt = (rt & ~(-1 >>> sh)) | (w >>> sh)
        w.get(A).i32(3).op(OP.i32And).i32(3).op(OP.i32Shl).set(Y);
        setReg(w, rt, () => {
          reg(w, rt);
          w.i32(-1).get(Y).op(OP.i32ShrU).i32(-1).op(OP.i32Xor, OP.i32And).get(V).get(Y).op(OP.i32ShrU, OP.i32Or);
        });
      }
      return w;
    }
    case 0x28: case 0x29: case 0x2b: {
      const size = op === 0x28 ? 1 : op === 0x29 ? 2 : 4;
      const store = size === 1 ? OP.i32Store8 : size === 2 ? OP.i32Store16 : OP.i32Store;
      address();
      lookup(w, WMAP, A);
      fastCond(w, A, size);
      w.open(OP.if);
      ramAddr(w, A);
      reg(w, rt);
      w.mem(store, 0, RAM - 1);
      w.byte(OP.else);
      w.get(A);
      reg(w, rt);
      timeAfter(w, k);
      w.i32(at).i32(size).op(OP.call).uleb(F_ST);
      // The helper says leave: a fault, or translated code was written (it set the PC).
      w.open(OP.if);
      w.i32(0).mem(OP.f64Load, 3, CLK).op(OP.return);
      w.end();
      w.i32(0).mem(OP.f64Load, 3, CLK).f64(k + 1).op(OP.f64Sub).set(T);
      w.end();
      return w;
    }
    default:
      return null;
  }
}

/** A branch or jump at `pc` (k-th instruction) with its delay slot's code. */
function branch(em: BlockEmitter, insn: number, pc: number, k: number, slot: WasmCode, side: boolean): void {
  const w = em.w;
  const op = insn >>> 26;
  const rs = (insn >>> 21) & 31;
  const rt = (insn >>> 16) & 31;
  const target = (pc + 4 + ((insn << 16) >> 14)) | 0;
  const fall = (pc + 8) | 0;
  if (op === 2 || op === 3) {
    if (op === 3) setReg(w, 31, () => w.i32(fall));
    w.append(slot);
    em.exitTo(((pc + 4) & 0xf0000000) | ((insn & 0x03ffffff) << 2), k + 2);
    return;
  }
  if (op === 0) {
    // JR / JALR: the target is read before the delay slot runs.
    const rd = (insn >>> 11) & 31;
    reg(w, rs);
    w.set(TGT);
    if ((insn & 63) === 9) setReg(w, rd, () => w.i32(fall));
    w.append(slot);
    w.i32(0).get(TGT).mem(OP.i32Store, 2, PC);
    w.get(T).f64(k + 2).op(OP.f64Add, OP.return);
    return;
  }
  if (op === 1) {
    reg(w, rs);
    w.i32(0).op((rt & 1) === 1 ? OP.i32GeS : OP.i32LtS);
  } else if ((op & 3) === 0 || (op & 3) === 1) {
    reg(w, rs);
    reg(w, rt);
    w.op((op & 3) === 0 ? OP.i32Eq : OP.i32Ne);
  } else {
    reg(w, rs);
    w.i32(0).op((op & 3) === 2 ? OP.i32LeS : OP.i32GtS);
  }
  w.set(C);
  if (op === 1 && rt >= 0x10) setReg(w, 31, () => w.i32(fall));
  if (branchKind(insn) === 'bl') {
    // Branch likely: the delay slot runs only when the branch is taken.
    w.get(C).open(OP.if);
    w.append(slot);
    em.exitTo(target, k + 2);
    w.end();
    em.exitTo(fall, k + 1);
    return;
  }
  w.append(slot);
  w.get(C).open(OP.if);
  em.exitTo(target, k + 2);
  w.end();
  if (!side) em.exitTo(fall, k + 2);
}

/**
 * The WebAssembly blocks of one machine: translation, the function table, the jump cache in the
 * linear memory, the dispatcher and the slow-path helpers.
 */
export class WasmBlocks {
  private readonly table: WebAssembly.Table;
  private readonly runFn: (t: number, until: number, rmap: number, wmap: number, first: number, single: number) => number;
  private readonly imports: WebAssembly.Imports;
  private readonly m32: Int32Array;
  private readonly m64: Float64Array;
  readonly wjcPc: Int32Array;
  readonly wjcPage: Int32Array;
  readonly wjcIdx: Int32Array;
  /**
   * Blocks emitted, not yet compiled (see compilePending), and their RAM byte offsets. Until
   * their batch is compiled the interpreter runs them.
   */
  private pending: { phys: number; pc: number; body: WasmCode }[] = [];
  private readonly pendingAt = new Set<number>();
  /** Virtual time when the oldest waiting block was emitted. */
  pendingSince = 0;
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;

  constructor(
    memory: WebAssembly.Memory,
    private readonly ram32: Int32Array,
    private readonly clock: Clock,
    private readonly host: WasmHost,
    private readonly slow: SlowPaths,
    /** Whether a store hit translated code (jit.ts's flag). */
    private readonly codeWritten: () => boolean,
  ) {
    const buffer = memory.buffer;
    this.m32 = new Int32Array(buffer, 0, 0x10000 >> 2);
    this.m64 = new Float64Array(buffer, 0, 0x10000 >> 3);
    this.wjcPc = new Int32Array(buffer, WJC_PC, WASM_JUMP_CACHE_SIZE).fill(1);
    this.wjcPage = new Int32Array(buffer, WJC_PAGE, WASM_JUMP_CACHE_SIZE).fill(0);
    this.wjcIdx = new Int32Array(buffer, WJC_IDX, WASM_JUMP_CACHE_SIZE);
    this.table = new WebAssembly.Table({ element: 'anyfunc', initial: 1024 });
    this.imports = { m: { mem: memory, ld: this.ld, st: this.st, rx: this.rx, lw: this.lw } };
    const dispatcher = new WebAssembly.Instance(new WebAssembly.Module(dispatcherBytes()), {
      m: { mem: memory, table: this.table },
    });
    this.runFn = dispatcher.exports.run as WasmBlocks['runFn'];
  }

  /**
   * Emit the block at virtual `pc`, RAM byte offset `phys`, into the next batch. False when
   * JavaScript should translate it (it starts with, or soon meets, an instruction this backend
   * leaves to JavaScript).
   */
  add(phys: number, pc: number, chain: boolean): boolean {
    const body = this.emit(phys, pc, chain);
    if (body === null) return false;
    if (this.pending.length === 0) this.pendingSince = this.clock.cycles;
    this.pending.push({ phys, pc, body });
    this.pendingAt.add(phys);
    return true;
  }

  /** Blocks emitted and waiting for their batch to be compiled. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Whether the block at RAM byte offset `phys` waits for its batch. */
  isPending(phys: number): boolean {
    return this.pendingAt.has(phys);
  }

  /** Forget the waiting blocks of RAM page `pageIndex` (a store hit it). */
  dropPending(pageIndex: number): void {
    if (this.pending.length === 0) return;
    this.pending = this.pending.filter((p) => p.phys >>> 12 !== pageIndex);
    this.pendingAt.clear();
    for (const p of this.pending) this.pendingAt.add(p.phys);
  }

  /** Compile the waiting blocks into one module (see the file comment) and give each a table slot. */
  compilePending(): Compiled[] {
    const list = this.pending;
    this.pending = [];
    this.pendingAt.clear();
    if (list.length === 0) return [];
    const names = list.map((_, i) => 'b' + i);
    const bytes = moduleBytes(TYPES, BLOCK_IMPORTS, 0, names, BLOCK_LOCALS, list.map((p) => p.body));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), this.imports);
    return list.map((p, i) => {
      const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.nextSlot++;
      while (slot >= this.table.length) this.table.grow(this.table.length);
      this.table.set(slot, instance.exports[names[i]] as WebAssembly.ExportValue as never);
      return { phys: p.phys, pc: p.pc, slot, bytes: p.body.bytes.length };
    });
  }

  /** The code of one block, or null when JavaScript should translate it. */
  private emit(phys: number, pc: number, chain: boolean): WasmCode | null {
    const em = new BlockEmitter(pc, chain);
    const w = em.w;
    w.open(OP.loop);
    const k = walkBlock(this.ram32, phys, pc, MAX_BLOCK, MIN_PARTIAL, {
      instruction,
      add: (code) => w.append(code),
      jumpInPage: (insn, at, slot) => {
        const op = insn >>> 26;
        if (op === 3 || (op === 1 && ((insn >>> 16) & 31) === 0x11)) setReg(w, 31, () => w.i32((at + 8) | 0));
        w.append(slot);
      },
      branch: (insn, at, n, slot, _slotInsn, side) => branch(em, insn, at, n, slot, side),
      exitTo: (to, n) => em.exitTo(to, n),
    });
    if (k === 0) return null;
    w.end();
    w.op(OP.unreachable);
    // A body that never jumps back to its start sits in a plain block instead: same labels, but
    // no loop header (TurboFan puts a stack check there).
    if (!em.loops) w.bytes[0] = OP.block;
    return w;
  }


  /** Give a dropped block's table slot back (its jump-cache entries are gone already). */
  release(slot: number): void {
    this.table.set(slot, null as never);
    this.freeSlots.push(slot);
  }

  /** Forget every block: empty jump cache, empty table, none waiting. */
  releaseAll(): void {
    this.pending = [];
    this.pendingAt.clear();
    this.wjcPc.fill(1);
    this.wjcPage.fill(0);
    for (let i = 0; i < this.nextSlot; i++) this.table.set(i, null as never);
    this.freeSlots.length = 0;
    this.nextSlot = 0;
  }

  /**
   * Run the block in table slot `first` from the clock's time, then (unless `single`) the blocks
   * the jump cache finds after it, until `until` or an exit. Returns the time reached with
   * host.pc set to where execution goes on; sets host.excRaised when a helper asked to leave
   * (an exception, a pending interrupt, code written), so the dispatcher looks again.
   */
  enter(first: number, rmap: Int32Array, wmap: Int32Array, until: number, single: boolean): number {
    const m = this.m32;
    // A block can run inside a helper of another (a TLB refill served in place): keep its flag.
    const outer = m[EXIT >> 2];
    m[EXIT >> 2] = 0;
    const t = this.runFn(this.clock.cycles, until, rmap.byteOffset, wmap.byteOffset, first, single ? 1 : 0);
    const host = this.host;
    host.pc = m[PC >> 2];
    if (m[EXIT >> 2] !== 0) host.excRaised = true;
    m[EXIT >> 2] = outer;
    return t;
  }

  // Slow-path helpers, imported by every block: the JavaScript blocks' own (SlowPaths), then
  // what the WebAssembly side reads in the linear memory. Each leaves the clock in CLK.

  /** A load's slow path; kind 0 LB, 1 LBU, 2 LH, 3 LHU, 4 LW. */
  private readonly ld = (a: number, t: number, at: number, kind: number): number =>
    this.loaded(this.slow.load(a, t, at, kind) | 0); // (0.5, a fault, reads 0: loaded sees the fault)

  /** LWL/LWR's slow path: the aligned word, BadVAddr the unaligned address on a fault. */
  private readonly lw = (a: number, t: number, at: number): number => {
    const host = this.host;
    this.clock.cycles = t;
    host.excPc = at & ~1;
    host.excDelay = (at & 1) !== 0;
    const v = host.loadSlow(a & ~3, 4);
    if (host.excRaised) host.badVAddr = a;
    return this.loaded(v | 0);
  };

  private loaded(v: number): number {
    const host = this.host;
    const m = this.m32;
    this.m64[CLK >> 3] = this.clock.cycles;
    if (host.excRaised) {
      m[FAULT >> 2] = 1;
      m[EXIT >> 2] = EXIT_SERVICE;
      m[PC >> 2] = host.pc;
      return 0;
    }
    m[FAULT >> 2] = 0;
    if (host.intPending) m[EXIT >> 2] = EXIT_SERVICE;
    return v;
  }

  /** A store's slow path: 1 when the block must leave (a fault, or translated code written). */
  private readonly st = (a: number, v: number, t: number, at: number, size: number): number => {
    const m = this.m32;
    const leave = this.slow.store(a, v, t, at, size as 1 | 2 | 4);
    this.m64[CLK >> 3] = this.clock.cycles;
    // The PC is the exception vector after a fault, the next instruction after a code write.
    if (leave !== 0) {
      m[EXIT >> 2] = EXIT_SERVICE;
      m[PC >> 2] = this.host.pc;
      return 1;
    }
    // A code write from a delay slot, which cannot leave here: leave after the branch.
    if (this.codeWritten() || this.host.intPending) m[EXIT >> 2] = EXIT_SERVICE;
    return 0;
  };

  /** Raise exception `code` for the instruction at `at`; the block returns `t`. */
  private readonly rx = (t: number, at: number, code: number): number => {
    const time = this.slow.raise(t, at, code);
    this.m32[PC >> 2] = this.host.pc;
    this.m32[EXIT >> 2] = EXIT_SERVICE;
    return time;
  };
}

/**
 * The dispatcher: call the first block, then while no helper asked to leave and the deadline is
 * ahead, look the next PC up in the jump cache (its page must still map to the same RAM page in
 * the current mode's table, as in Cpu.run) and call that block.
 */
function dispatcherBytes(): Uint8Array<ArrayBuffer> {
  const w = new WasmCode();
  const [t, until, rmap, wmap, first, single, pc, j] = [0, 1, 2, 3, 4, 5, 6, 7];
  const callBlock = () => w.op(OP.callIndirect).uleb(0).uleb(0).set(t);
  const leaveIf = () => {
    w.open(OP.if);
    w.get(t).op(OP.return);
    w.end();
  };
  w.get(t).get(until).get(rmap).get(wmap).get(first);
  callBlock();
  w.get(single);
  leaveIf();
  w.open(OP.loop);
  w.i32(0).mem(OP.i32Load, 2, EXIT);
  leaveIf();
  w.get(t).get(until).op(OP.f64Ge);
  leaveIf();
  w.i32(0).mem(OP.i32Load, 2, PC).set(pc);
  w.get(pc).i32(2).op(OP.i32ShrU).i32(WASM_JUMP_CACHE_SIZE - 1).op(OP.i32And).i32(2).op(OP.i32Shl).set(j);
  w.get(j).mem(OP.i32Load, 2, WJC_PC).get(pc).op(OP.i32Ne);
  leaveIf();
  w.get(j).mem(OP.i32Load, 2, WJC_PAGE);
  w.get(rmap).get(pc).i32(12).op(OP.i32ShrU).i32(2).op(OP.i32Shl, OP.i32Add).mem(OP.i32Load, 2, 0);
  w.op(OP.i32Ne);
  leaveIf();
  w.get(t).get(until).get(rmap).get(wmap);
  w.get(j).mem(OP.i32Load, 2, WJC_IDX);
  callBlock();
  w.op(OP.br).uleb(0);
  w.end();
  w.op(OP.unreachable);
  const imports: Import[] = [
    { module: 'm', name: 'mem', kind: 'memory' },
    { module: 'm', name: 'table', kind: 'table' },
  ];
  return moduleBytes(TYPES, imports, 5, ['run'], [I32, I32], [w]);
}
