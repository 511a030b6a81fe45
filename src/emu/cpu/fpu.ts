/**
 * CP1: the 24Kf floating-point unit (MIPS32 release 2, legacy NaN encoding, FIR.F64 = 1).
 *
 * Behaviour follows QEMU 7.2 (target/mips fpu_helper.c + translate.c) where the architecture
 * leaves room:
 *  - every NaN result is the default NaN (0x7FBFFFFF / 0x7FF7FFFF_FFFFFFFF); sNaN operands
 *    (fraction MSB set) raise Invalid;
 *  - ABS/NEG/MOV are bit operations: no flags, FCSR.Cause untouched;
 *  - FCSR.FS flushes results that are tiny before rounding to zero without raising any flag,
 *    and inputs are never flushed; the Unimplemented (E) cause is never produced by arithmetic;
 *  - MADD/MSUB/NMADD/NMSUB round the product, then the sum (not fused); NMADD/NMSUB flip the
 *    sign of the rounded result, NaN included;
 *  - with Status.FR = 0, .D operands in odd registers raise RI (except MOVF/MOVT/MOVZ/MOVN.D,
 *    which use the even pair), and every .L format instruction raises RI;
 *  - PS format and MIPS-3D encodings raise RI (FIR.PS = FIR.3D = 0).
 * On an enabled exception the cause bits are written, the flag bits and the destination are not.
 */
import { FpCore, FL_V, X_A, X_B, X_C, X_R } from './fpu-arith';

export const EXC_NONE = 0,
  EXC_RI = 10,
  EXC_FPE = 15;

/** FCSR bits 22..18 (FO, FN, MAC2008, ABS2008, NAN2008) read as zero on the 24Kf. */
const FCSR_WRITABLE = 0xff83ffff;
const CAUSE_SHIFT = 12;
const CAUSE_MASK = 0x3f << CAUSE_SHIFT;
const CAUSE_E = 0x20;
const DNAN_S = 0x7fbfffff;
const DNAN_D_HI = 0x7ff7ffff;
const DNAN_D_LO = 0xffffffff;

const FMT_S = 16,
  FMT_D = 17,
  FMT_W = 20,
  FMT_L = 21;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  // raw/f32/f64 share one buffer and index 64-bit registers as (lo, hi) word pairs.
  throw new Error('fpu: little-endian host required');
}

export class Fpu {
  fir = 0x00739300;
  /** FCSR (fcr31), kept unsigned. */
  fcsr = 0;
  /** Mirror of Status.FR. */
  fr = false;
  /** 32 x 64-bit FPRs: register i is raw[2i] (low word) and raw[2i+1] (high word). */
  readonly raw: Uint32Array;
  readonly f32: Float32Array;
  readonly f64: Float64Array;

  private readonly gpr: Int32Array;
  private readonly core = new FpCore();

  constructor(gpr: Int32Array) {
    this.gpr = gpr;
    const buf = new ArrayBuffer(32 * 8);
    this.raw = new Uint32Array(buf);
    this.f32 = new Float32Array(buf);
    this.f64 = new Float64Array(buf);
  }

  reset(): void {
    this.raw.fill(0);
    this.fcsr = 0;
    this.fr = false;
  }

  // ---- register file views ----------------------------------------------------------------

  /** Word index of 32-bit register r: with FR=0, odd r is the high half of pair r-1. */
  private ws(r: number): number {
    return this.fr ? r << 1 : ((r & 30) << 1) | (r & 1);
  }

  /** Word index of the low half of 64-bit register r (FR=0: the even/odd pair r&~1). */
  private wd(r: number): number {
    return this.fr ? r << 1 : (r & 30) << 1;
  }

  getWord(fs: number): number {
    return this.raw[this.ws(fs)] | 0;
  }

  setWord(fs: number, v: number): void {
    this.raw[this.ws(fs)] = v;
  }

  getHigh(fs: number): number {
    return this.raw[this.wd(fs) + 1] | 0;
  }

  setHigh(fs: number, v: number): void {
    this.raw[this.wd(fs) + 1] = v;
  }

  getDoubleLo(ft: number): number {
    return this.raw[this.wd(ft)] | 0;
  }

  getDoubleHi(ft: number): number {
    return this.raw[this.wd(ft) + 1] | 0;
  }

  setDouble(ft: number, lo: number, hi: number): void {
    const i = this.wd(ft);
    this.raw[i] = lo;
    this.raw[i + 1] = hi;
  }

  // ---- control registers ------------------------------------------------------------------

  readControl(fs: number): number {
    const c = this.fcsr;
    switch (fs) {
      case 0:
        return this.fir | 0;
      case 25: // FCCR: FCC7..1 in bits 7..1, FCC0 in bit 0
        return ((c >>> 24) & 0xfe) | ((c >>> 23) & 1);
      case 26: // FEXR: cause and flags
        return c & 0x0003f07c;
      case 28: // FENR: enables, FS in bit 2, RM
        return (c & 0x00000f83) | ((c >>> 22) & 4);
      case 31:
        return c | 0;
      default:
        return 0;
    }
  }

  writeControl(fs: number, v: number): number {
    let c = this.fcsr;
    switch (fs) {
      case 25:
        if ((v & 0xffffff00) !== 0) return EXC_NONE;
        c = (c & 0x017fffff) | ((v & 0xfe) << 24) | ((v & 1) << 23);
        break;
      case 26:
        if ((v & 0x007c0000) !== 0) return EXC_NONE;
        c = (c & 0xfffc0f83) | (v & 0x0003f07c);
        break;
      case 28:
        if ((v & 0x007c0000) !== 0) return EXC_NONE;
        c = (c & 0xfefff07c) | (v & 0x00000f83) | ((v & 4) << 22);
        break;
      case 31:
        c = (v & FCSR_WRITABLE) | (c & ~FCSR_WRITABLE);
        break;
      default:
        return EXC_NONE;
    }
    this.fcsr = c >>> 0;
    // A cause bit whose enable is set (or the E cause, which has no enable) traps right away.
    const cause = (c >>> CAUSE_SHIFT) & 0x3f;
    return (cause & (((c >>> 7) & 0x1f) | CAUSE_E)) !== 0 ? EXC_FPE : EXC_NONE;
  }

  condition(cc: number): boolean {
    return ((this.fcsr >>> (cc === 0 ? 23 : 24 + cc)) & 1) !== 0;
  }

  private setCondition(cc: number, v: boolean): void {
    const bit = 1 << (cc === 0 ? 23 : 24 + cc);
    this.fcsr = (v ? this.fcsr | bit : this.fcsr & ~bit) >>> 0;
  }

  // ---- exception bookkeeping --------------------------------------------------------------

  /** Prepare the arithmetic core from FCSR before an operation that updates Cause. */
  private begin(): FpCore {
    const core = this.core;
    core.flags = 0;
    core.rm = this.fcsr & 3;
    core.ftz = (this.fcsr & 0x01000000) !== 0;
    return core;
  }

  /** Write Cause; trap if enabled (flags untouched), else accumulate Flags. */
  private commit(): boolean {
    const fl = this.core.flags;
    const c = (this.fcsr & ~CAUSE_MASK) | (fl << CAUSE_SHIFT);
    if ((fl & (c >>> 7) & 0x1f) !== 0) {
      this.fcsr = c >>> 0;
      return true;
    }
    this.fcsr = (c | (fl << 2)) >>> 0;
    return false;
  }

  /** Store the binary32 result x[R] in fd; any NaN becomes the default NaN. */
  private stS(fd: number): void {
    const v = this.core.x[X_R];
    const i = this.ws(fd);
    if (v !== v) this.raw[i] = DNAN_S;
    else this.f32[i] = v;
  }

  private stD(fd: number): void {
    const v = this.core.x[X_R];
    const i = this.wd(fd);
    if (v !== v) {
      this.raw[i] = DNAN_D_LO;
      this.raw[i + 1] = DNAN_D_HI;
    } else this.f64[i >> 1] = v;
  }

  /** Load .S register r into core slot; a signalling NaN raises Invalid. */
  private ldS(r: number, slot: number): void {
    const i = this.ws(r);
    const v = this.f32[i];
    this.core.x[slot] = v;
    if (v !== v && (this.raw[i] & 0x7fc00000) === 0x7fc00000) this.core.flags |= FL_V;
  }

  private ldD(r: number, slot: number): void {
    const i = this.wd(r);
    const v = this.f64[i >> 1];
    this.core.x[slot] = v;
    if (v !== v && (this.raw[i + 1] & 0x7ff80000) === 0x7ff80000) this.core.flags |= FL_V;
  }

  // ---- instruction execution --------------------------------------------------------------
  //
  // Dispatch goes through per-format tables of handlers (indexed by the function field), so the
  // call site is megamorphic and V8 compiles every handler on its own: each then has the whole
  // inlining budget for its FpCore fast path and its doubles are never boxed. Handlers receive
  // (fpu, ft, fs, fd, insn) and return EXC_NONE / EXC_FPE / EXC_RI.

  /**
   * Execute a COP1 (opcode 0x11) or COP1X (0x13) instruction. Returns EXC_NONE, EXC_FPE, EXC_RI,
   * or -1 for instructions the CPU performs itself (BC1 branches, COP1X loads/stores/PREFX).
   */
  execute(insn: number): number {
    const op = insn >>> 26;
    const ft = (insn >>> 16) & 31;
    const fs = (insn >>> 11) & 31;
    const fd = (insn >>> 6) & 31;
    if (op === 0x11) {
      const rs = (insn >>> 21) & 31;
      switch (rs) {
        case FMT_S:
          return Fpu.opsS[insn & 63](this, ft, fs, fd, insn);
        case FMT_D:
          return Fpu.opsD[insn & 63](this, ft, fs, fd, insn);
        case FMT_W:
        case FMT_L:
          return Fpu.cvtFixed(this, ft, fs, fd, insn);
        case 0: // MFC1
          if (ft !== 0) this.gpr[ft] = this.getWord(fs);
          return EXC_NONE;
        case 2: // CFC1
          if (ft !== 0) this.gpr[ft] = this.readControl(fs);
          return EXC_NONE;
        case 3: // MFHC1
          if (ft !== 0) this.gpr[ft] = this.getHigh(fs);
          return EXC_NONE;
        case 4: // MTC1
          this.setWord(fs, this.gpr[ft]);
          return EXC_NONE;
        case 6: // CTC1
          return this.writeControl(fs, this.gpr[ft]);
        case 7: // MTHC1
          this.setHigh(fs, this.gpr[ft]);
          return EXC_NONE;
        case 8: // BC1*: a branch, handled by the CPU
          return -1;
        default: // DMFC1/DMTC1, BC1ANY2/4 (MIPS-3D), PS and reserved formats
          return EXC_RI;
      }
    }
    if (op === 0x13) {
      const func = insn & 63;
      if (func < 16) return this.cop1xMemory(func, fs, fd);
      return Fpu.opsX[func](this, ft, fs, fd, insn);
    }
    return -1;
  }

  /** FR=0 makes odd registers invalid for 64-bit operands. */
  private oddD(regs: number): boolean {
    return !this.fr && (regs & 1) !== 0;
  }

  private moveD(fs: number, fd: number): void {
    const i = this.wd(fs);
    this.setDouble(fd, this.raw[i], this.raw[i + 1]);
  }

  /** COP1X LWXC1...SUXC1 and PREFX: validated here, performed by the CPU. */
  private cop1xMemory(func: number, fs: number, fd: number): number {
    switch (func) {
      case 0x01: // LDXC1
        return this.oddD(fd) ? EXC_RI : -1;
      case 0x09: // SDXC1
        return this.oddD(fs) ? EXC_RI : -1;
      case 0x05: // LUXC1
      case 0x0d: // SUXC1
        return this.fr ? -1 : EXC_RI;
      case 0x00: // LWXC1
      case 0x08: // SWXC1
      case 0x0f: // PREFX
        return -1;
      default:
        return EXC_RI;
    }
  }

  // Function-field layouts (MIPS32 r2 vol. II, COP1 encoding table). Gaps are RI on the 24Kf:
  // PS, MIPS-3D (RECIP1/2, RSQRT1/2) and release-6 encodings.
  private static readonly opsS = table([
    [0, 0, Fpu.addS], [1, 1, Fpu.subS], [2, 2, Fpu.mulS], [3, 3, Fpu.divS], [4, 4, Fpu.sqrtS],
    [5, 5, Fpu.absS], [6, 6, Fpu.movS], [7, 7, Fpu.negS], [8, 11, Fpu.cvtLS], [12, 15, Fpu.cvtWS],
    [17, 17, Fpu.movcfS], [18, 18, Fpu.movzS], [19, 19, Fpu.movnS], [21, 21, Fpu.recipS],
    [22, 22, Fpu.rsqrtS], [33, 33, Fpu.cvtDS], [36, 36, Fpu.cvtWS], [37, 37, Fpu.cvtLS],
    [48, 63, Fpu.cmpS],
  ]);
  private static readonly opsD = table([
    [0, 0, Fpu.addD], [1, 1, Fpu.subD], [2, 2, Fpu.mulD], [3, 3, Fpu.divD], [4, 4, Fpu.sqrtD],
    [5, 7, Fpu.signD], [8, 11, Fpu.cvtLD], [12, 15, Fpu.cvtWD], [17, 17, Fpu.movcfD],
    [18, 18, Fpu.movzD], [19, 19, Fpu.movnD], [21, 21, Fpu.recipD], [22, 22, Fpu.rsqrtD],
    [32, 32, Fpu.cvtSD], [36, 36, Fpu.cvtWD], [37, 37, Fpu.cvtLD], [48, 63, Fpu.cmpD],
  ]);
  private static readonly opsX = table([
    [0x20, 0x20, Fpu.maddS], [0x21, 0x21, Fpu.maddD], [0x28, 0x28, Fpu.maddS], [0x29, 0x29, Fpu.maddD],
    [0x30, 0x30, Fpu.maddS], [0x31, 0x31, Fpu.maddD], [0x38, 0x38, Fpu.maddS], [0x39, 0x39, Fpu.maddD],
  ]);

  // ---- handlers: .S -----------------------------------------------------------------------

  private static addS(f: Fpu, ft: number, fs: number, fd: number): number {
    f.begin();
    f.ldS(fs, X_A);
    f.ldS(ft, X_B);
    f.core.addS(false);
    return f.endS(fd);
  }

  private static subS(f: Fpu, ft: number, fs: number, fd: number): number {
    f.begin();
    f.ldS(fs, X_A);
    f.ldS(ft, X_B);
    f.core.addS(true);
    return f.endS(fd);
  }

  private static mulS(f: Fpu, ft: number, fs: number, fd: number): number {
    f.begin();
    f.ldS(fs, X_A);
    f.ldS(ft, X_B);
    f.core.mulS();
    return f.endS(fd);
  }

  private static divS(f: Fpu, ft: number, fs: number, fd: number): number {
    f.begin();
    f.ldS(fs, X_A);
    f.ldS(ft, X_B);
    f.core.divS();
    return f.endS(fd);
  }

  private static sqrtS(f: Fpu, _ft: number, fs: number, fd: number): number {
    f.begin();
    f.ldS(fs, X_A);
    f.core.sqrtS();
    return f.endS(fd);
  }

  private static recipS(f: Fpu, _ft: number, fs: number, fd: number): number {
    f.begin();
    f.ldS(fs, X_A);
    f.core.recipS();
    return f.endS(fd);
  }

  private static rsqrtS(f: Fpu, _ft: number, fs: number, fd: number): number {
    f.begin();
    f.ldS(fs, X_A);
    f.core.rsqrtS();
    return f.endS(fd);
  }

  private static absS(f: Fpu, _ft: number, fs: number, fd: number): number {
    f.setWord(fd, f.raw[f.ws(fs)] & 0x7fffffff);
    return EXC_NONE;
  }

  private static movS(f: Fpu, _ft: number, fs: number, fd: number): number {
    f.setWord(fd, f.raw[f.ws(fs)]);
    return EXC_NONE;
  }

  private static negS(f: Fpu, _ft: number, fs: number, fd: number): number {
    f.setWord(fd, f.raw[f.ws(fs)] ^ 0x80000000);
    return EXC_NONE;
  }

  /** MOVF.S / MOVT.S: ft holds cc (bits 4..2) and tf (bit 0). */
  private static movcfS(f: Fpu, ft: number, fs: number, fd: number): number {
    if (f.condition(ft >>> 2) === ((ft & 1) !== 0)) f.setWord(fd, f.raw[f.ws(fs)]);
    return EXC_NONE;
  }

  private static movzS(f: Fpu, ft: number, fs: number, fd: number): number {
    if (f.gpr[ft] === 0) f.setWord(fd, f.raw[f.ws(fs)]);
    return EXC_NONE;
  }

  private static movnS(f: Fpu, ft: number, fs: number, fd: number): number {
    if (f.gpr[ft] !== 0) f.setWord(fd, f.raw[f.ws(fs)]);
    return EXC_NONE;
  }

  /** CVT.D.S: exact; a NaN becomes the default NaN. */
  private static cvtDS(f: Fpu, _ft: number, fs: number, fd: number): number {
    if (f.oddD(fd)) return EXC_RI;
    f.begin();
    f.ldS(fs, X_R);
    return f.endD(fd);
  }

  /** CVT.W.S, and ROUND/TRUNC/CEIL/FLOOR.W.S (func & 3 is RN/RZ/RP/RM). */
  private static cvtWS(f: Fpu, _ft: number, fs: number, fd: number, insn: number): number {
    const core = f.begin();
    f.ldS(fs, X_A);
    return f.endW(fd, core.toW((insn & 32) !== 0 ? core.rm : insn & 3));
  }

  private static cvtLS(f: Fpu, _ft: number, fs: number, fd: number, insn: number): number {
    if (!f.fr) return EXC_RI;
    const core = f.begin();
    f.ldS(fs, X_A);
    core.toL((insn & 32) !== 0 ? core.rm : insn & 3);
    return f.endL(fd);
  }

  /** C.cond.S */
  private static cmpS(f: Fpu, ft: number, fs: number, _fd: number, insn: number): number {
    if ((insn & 0x40) !== 0) return EXC_RI; // CABS.cond.fmt is MIPS-3D
    const core = f.begin();
    f.ldS(fs, X_A);
    f.ldS(ft, X_B);
    return f.endC(insn, core.compare(insn & 15));
  }

  // ---- handlers: .D -----------------------------------------------------------------------

  private static addD(f: Fpu, ft: number, fs: number, fd: number): number {
    if (f.oddD(fs | ft | fd)) return EXC_RI;
    f.begin();
    f.ldD(fs, X_A);
    f.ldD(ft, X_B);
    f.core.addD(false);
    return f.endD(fd);
  }

  private static subD(f: Fpu, ft: number, fs: number, fd: number): number {
    if (f.oddD(fs | ft | fd)) return EXC_RI;
    f.begin();
    f.ldD(fs, X_A);
    f.ldD(ft, X_B);
    f.core.addD(true);
    return f.endD(fd);
  }

  private static mulD(f: Fpu, ft: number, fs: number, fd: number): number {
    if (f.oddD(fs | ft | fd)) return EXC_RI;
    f.begin();
    f.ldD(fs, X_A);
    f.ldD(ft, X_B);
    f.core.mulD();
    return f.endD(fd);
  }

  private static divD(f: Fpu, ft: number, fs: number, fd: number): number {
    if (f.oddD(fs | ft | fd)) return EXC_RI;
    f.begin();
    f.ldD(fs, X_A);
    f.ldD(ft, X_B);
    f.core.divD();
    return f.endD(fd);
  }

  private static sqrtD(f: Fpu, _ft: number, fs: number, fd: number): number {
    if (f.oddD(fs | fd)) return EXC_RI;
    f.begin();
    f.ldD(fs, X_A);
    f.core.sqrtD();
    return f.endD(fd);
  }

  private static recipD(f: Fpu, _ft: number, fs: number, fd: number): number {
    if (f.oddD(fs | fd)) return EXC_RI;
    f.begin();
    f.ldD(fs, X_A);
    f.core.recipD();
    return f.endD(fd);
  }

  private static rsqrtD(f: Fpu, _ft: number, fs: number, fd: number): number {
    if (f.oddD(fs | fd)) return EXC_RI;
    f.begin();
    f.ldD(fs, X_A);
    f.core.rsqrtD();
    return f.endD(fd);
  }

  /** ABS.D / MOV.D / NEG.D: sign-bit operations on the raw pair. */
  private static signD(f: Fpu, _ft: number, fs: number, fd: number, insn: number): number {
    if (f.oddD(fs | fd)) return EXC_RI;
    const i = f.wd(fs);
    const hi = f.raw[i + 1];
    const func = insn & 63;
    f.setDouble(fd, f.raw[i], func === 5 ? hi & 0x7fffffff : func === 7 ? hi ^ 0x80000000 : hi);
    return EXC_NONE;
  }

  private static movcfD(f: Fpu, ft: number, fs: number, fd: number): number {
    if (f.condition(ft >>> 2) === ((ft & 1) !== 0)) f.moveD(fs, fd);
    return EXC_NONE;
  }

  private static movzD(f: Fpu, ft: number, fs: number, fd: number): number {
    if (f.gpr[ft] === 0) f.moveD(fs, fd);
    return EXC_NONE;
  }

  private static movnD(f: Fpu, ft: number, fs: number, fd: number): number {
    if (f.gpr[ft] !== 0) f.moveD(fs, fd);
    return EXC_NONE;
  }

  private static cvtSD(f: Fpu, _ft: number, fs: number, fd: number): number {
    if (f.oddD(fs)) return EXC_RI;
    f.begin();
    f.ldD(fs, X_A);
    f.core.cvtSD();
    return f.endS(fd);
  }

  private static cvtWD(f: Fpu, _ft: number, fs: number, fd: number, insn: number): number {
    if (f.oddD(fs)) return EXC_RI;
    const core = f.begin();
    f.ldD(fs, X_A);
    return f.endW(fd, core.toW((insn & 32) !== 0 ? core.rm : insn & 3));
  }

  private static cvtLD(f: Fpu, _ft: number, fs: number, fd: number, insn: number): number {
    if (!f.fr) return EXC_RI;
    const core = f.begin();
    f.ldD(fs, X_A);
    core.toL((insn & 32) !== 0 ? core.rm : insn & 3);
    return f.endL(fd);
  }

  private static cmpD(f: Fpu, ft: number, fs: number, _fd: number, insn: number): number {
    if ((insn & 0x40) !== 0) return EXC_RI;
    if (f.oddD(fs | ft)) return EXC_RI;
    const core = f.begin();
    f.ldD(fs, X_A);
    f.ldD(ft, X_B);
    return f.endC(insn, core.compare(insn & 15));
  }

  // ---- handlers: .W / .L sources ----------------------------------------------------------

  /** CVT.S.W, CVT.D.W, CVT.S.L, CVT.D.L; nothing else exists for these formats. */
  private static cvtFixed(f: Fpu, _ft: number, fs: number, fd: number, insn: number): number {
    const func = insn & 63;
    if (func !== 32 && func !== 33) return EXC_RI; // includes CVT.PS.PW
    const long = ((insn >>> 21) & 31) === FMT_L;
    if (long && !f.fr) return EXC_RI;
    const toD = func === 33;
    if (toD && f.oddD(fd)) return EXC_RI;
    const core = f.begin();
    if (long) {
      const i = f.wd(fs);
      const lo = f.raw[i];
      const hi = f.raw[i + 1] | 0;
      if (toD) core.cvtDL(lo, hi);
      else core.cvtSL(lo, hi);
    } else {
      const w = f.raw[f.ws(fs)] | 0;
      if (toD) core.x[X_R] = w;
      else core.cvtSW(w);
    }
    return toD ? f.endD(fd) : f.endS(fd);
  }

  // ---- handlers: COP1X multiply-add -------------------------------------------------------
  //
  // func = kind << 3 | fmt with kind 4 MADD, 5 MSUB, 6 NMADD, 7 NMSUB; fr is insn bits 25..21.
  // The product is rounded before the add (not fused); the N forms negate the rounded result,
  // NaN included (QEMU flips the sign of the default NaN).

  private static maddS(f: Fpu, ft: number, fs: number, fd: number, insn: number): number {
    f.begin();
    f.ldS(fs, X_A);
    f.ldS(ft, X_B);
    f.ldS((insn >>> 21) & 31, X_C);
    f.core.maddS((insn & 8) !== 0);
    if (f.commit()) return EXC_FPE;
    if ((insn & 16) === 0) f.stS(fd);
    else if (f.core.x[X_R] !== f.core.x[X_R]) f.setWord(fd, DNAN_S | 0x80000000);
    else {
      f.core.x[X_R] = -f.core.x[X_R];
      f.stS(fd);
    }
    return EXC_NONE;
  }

  private static maddD(f: Fpu, ft: number, fs: number, fd: number, insn: number): number {
    const fr = (insn >>> 21) & 31;
    if (f.oddD(fd | fs | ft | fr)) return EXC_RI;
    f.begin();
    f.ldD(fs, X_A);
    f.ldD(ft, X_B);
    f.ldD(fr, X_C);
    f.core.maddD((insn & 8) !== 0);
    if (f.commit()) return EXC_FPE;
    if ((insn & 16) === 0) f.stD(fd);
    else if (f.core.x[X_R] !== f.core.x[X_R]) f.setDouble(fd, DNAN_D_LO, DNAN_D_HI | 0x80000000);
    else {
      f.core.x[X_R] = -f.core.x[X_R];
      f.stD(fd);
    }
    return EXC_NONE;
  }

  // ---- completion: Cause/Flags, then the destination unless the exception traps -----------

  private endS(fd: number): number {
    if (this.commit()) return EXC_FPE;
    this.stS(fd);
    return EXC_NONE;
  }

  private endD(fd: number): number {
    if (this.commit()) return EXC_FPE;
    this.stD(fd);
    return EXC_NONE;
  }

  private endW(fd: number, w: number): number {
    if (this.commit()) return EXC_FPE;
    this.setWord(fd, w);
    return EXC_NONE;
  }

  private endL(fd: number): number {
    if (this.commit()) return EXC_FPE;
    this.setDouble(fd, this.core.lo, this.core.hi);
    return EXC_NONE;
  }

  private endC(insn: number, res: boolean): number {
    if (this.commit()) return EXC_FPE;
    this.setCondition((insn >>> 8) & 7, res);
    return EXC_NONE;
  }
}

type Handler = (f: Fpu, ft: number, fs: number, fd: number, insn: number) => number;

/** A 64-entry handler table from [first func, last func, handler] ranges; gaps raise RI. */
function table(entries: [number, number, Handler][]): Handler[] {
  const t: Handler[] = new Array<Handler>(64).fill(reserved);
  for (const [from, to, h] of entries) for (let i = from; i <= to; i++) t[i] = h;
  return t;
}

function reserved(): number {
  return EXC_RI;
}
