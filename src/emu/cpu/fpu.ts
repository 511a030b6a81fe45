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
import {
  FpCore,
  FL_V,
  RM_RN,
  RM_RZ,
  RM_RP,
  RM_RM,
} from './fpu-arith';

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

/** Rounding modes of ROUND/TRUNC/CEIL/FLOOR, indexed by func & 3. */
const FIXED_RM = [RM_RN, RM_RZ, RM_RP, RM_RM];

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

  private snanS(i: number): boolean {
    return (this.raw[i] & 0x7fc00000) === 0x7fc00000;
  }

  private snanD(i: number): boolean {
    return (this.raw[i + 1] & 0x7ff80000) === 0x7ff80000;
  }

  private putS(fd: number, v: number): void {
    const i = this.ws(fd);
    if (v !== v) this.raw[i] = DNAN_S;
    else this.f32[i] = v;
  }

  private putD(fd: number, v: number): void {
    const i = this.wd(fd);
    if (v !== v) {
      this.raw[i] = DNAN_D_LO;
      this.raw[i + 1] = DNAN_D_HI;
    } else this.f64[i >> 1] = v;
  }

  /** Reading a .S operand; raises Invalid in the core if it is a signalling NaN. */
  private getS(r: number): number {
    const i = this.ws(r);
    const v = this.f32[i];
    if (v !== v && this.snanS(i)) this.core.flags |= FL_V;
    return v;
  }

  private getD(r: number): number {
    const i = this.wd(r);
    const v = this.f64[i >> 1];
    if (v !== v && this.snanD(i)) this.core.flags |= FL_V;
    return v;
  }

  // ---- instruction execution --------------------------------------------------------------

  /**
   * Execute a COP1 (opcode 0x11) or COP1X (0x13) instruction. Returns EXC_NONE, EXC_FPE, EXC_RI,
   * or -1 for instructions the CPU performs itself (BC1 branches, COP1X loads/stores/PREFX).
   */
  execute(insn: number): number {
    const op = insn >>> 26;
    if (op === 0x11) {
      const rs = (insn >>> 21) & 31;
      const ft = (insn >>> 16) & 31;
      const fs = (insn >>> 11) & 31;
      switch (rs) {
        case FMT_S:
          return this.execS(insn & 63, ft, fs, (insn >>> 6) & 31, insn);
        case FMT_D:
          return this.execD(insn & 63, ft, fs, (insn >>> 6) & 31, insn);
        case FMT_W:
        case FMT_L:
          return this.execFixed(rs === FMT_L, insn & 63, fs, (insn >>> 6) & 31);
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
    if (op === 0x13) return this.execCop1x(insn);
    return -1;
  }

  /** FR=0 makes odd registers invalid for 64-bit operands. */
  private oddD(regs: number): boolean {
    return !this.fr && (regs & 1) !== 0;
  }

  // The dispatchers below pass only register numbers: each arithmetic operation lives in a small
  // method so V8 can inline the FpCore call into it and keep the doubles unboxed.

  private execS(func: number, ft: number, fs: number, fd: number, insn: number): number {
    switch (func) {
      case 0:
        return this.addS(fd, fs, ft, false);
      case 1:
        return this.addS(fd, fs, ft, true);
      case 2:
        return this.mulS(fd, fs, ft);
      case 3:
        return this.divS(fd, fs, ft);
      case 4:
        return this.sqrtS(fd, fs, false);
      case 5: // ABS
        this.setWord(fd, this.raw[this.ws(fs)] & 0x7fffffff);
        return EXC_NONE;
      case 6: // MOV
        this.setWord(fd, this.raw[this.ws(fs)]);
        return EXC_NONE;
      case 7: // NEG
        this.setWord(fd, this.raw[this.ws(fs)] ^ 0x80000000);
        return EXC_NONE;
      case 8: case 9: case 10: case 11: // ROUND/TRUNC/CEIL/FLOOR.L.S
        if (!this.fr) return EXC_RI;
        return this.toLong(false, fs, fd, FIXED_RM[func & 3]);
      case 12: case 13: case 14: case 15: // ROUND/TRUNC/CEIL/FLOOR.W.S
        return this.toWord(false, fs, fd, FIXED_RM[func & 3]);
      case 17: // MOVF.S / MOVT.S
        if (this.condition(ft >>> 2) === ((ft & 1) !== 0)) this.setWord(fd, this.raw[this.ws(fs)]);
        return EXC_NONE;
      case 18: // MOVZ.S
        if (this.gpr[ft] === 0) this.setWord(fd, this.raw[this.ws(fs)]);
        return EXC_NONE;
      case 19: // MOVN.S
        if (this.gpr[ft] !== 0) this.setWord(fd, this.raw[this.ws(fs)]);
        return EXC_NONE;
      case 21: // RECIP.S
        return this.recipS(fd, fs);
      case 22: // RSQRT.S
        return this.sqrtS(fd, fs, true);
      case 33: // CVT.D.S
        if (this.oddD(fd)) return EXC_RI;
        return this.cvtDS(fd, fs);
      case 36: // CVT.W.S
        return this.toWord(false, fs, fd, this.fcsr & 3);
      case 37: // CVT.L.S
        if (!this.fr) return EXC_RI;
        return this.toLong(false, fs, fd, this.fcsr & 3);
      default:
        if (func >= 48) return this.compare(false, func & 15, ft, fs, insn);
        return EXC_RI;
    }
  }

  private execD(func: number, ft: number, fs: number, fd: number, insn: number): number {
    switch (func) {
      case 0: case 1: case 2: case 3: // ADD SUB MUL DIV
        if (this.oddD(fs | ft | fd)) return EXC_RI;
        return func === 0 ? this.addD(fd, fs, ft, false) : func === 1 ? this.addD(fd, fs, ft, true)
          : func === 2 ? this.mulD(fd, fs, ft) : this.divD(fd, fs, ft);
      case 4: case 21: case 22: // SQRT RECIP RSQRT
        if (this.oddD(fs | fd)) return EXC_RI;
        return func === 4 ? this.sqrtD(fd, fs, false) : func === 21 ? this.recipD(fd, fs) : this.sqrtD(fd, fs, true);
      case 5: case 6: case 7: { // ABS MOV NEG: sign-bit operations on the raw pair
        if (this.oddD(fs | fd)) return EXC_RI;
        const i = this.wd(fs);
        const hi = this.raw[i + 1];
        this.setDouble(fd, this.raw[i], func === 5 ? hi & 0x7fffffff : func === 7 ? hi ^ 0x80000000 : hi);
        return EXC_NONE;
      }
      case 8: case 9: case 10: case 11: // ROUND/TRUNC/CEIL/FLOOR.L.D
        if (!this.fr) return EXC_RI;
        return this.toLong(true, fs, fd, FIXED_RM[func & 3]);
      case 12: case 13: case 14: case 15: // ROUND/TRUNC/CEIL/FLOOR.W.D
        if (this.oddD(fs)) return EXC_RI;
        return this.toWord(true, fs, fd, FIXED_RM[func & 3]);
      case 17: // MOVF.D / MOVT.D
        if (this.condition(ft >>> 2) === ((ft & 1) !== 0)) this.moveD(fs, fd);
        return EXC_NONE;
      case 18: // MOVZ.D
        if (this.gpr[ft] === 0) this.moveD(fs, fd);
        return EXC_NONE;
      case 19: // MOVN.D
        if (this.gpr[ft] !== 0) this.moveD(fs, fd);
        return EXC_NONE;
      case 32: // CVT.S.D
        if (this.oddD(fs)) return EXC_RI;
        return this.cvtSD(fd, fs);
      case 36: // CVT.W.D
        if (this.oddD(fs)) return EXC_RI;
        return this.toWord(true, fs, fd, this.fcsr & 3);
      case 37: // CVT.L.D
        if (!this.fr) return EXC_RI;
        return this.toLong(true, fs, fd, this.fcsr & 3);
      default:
        if (func >= 48) {
          if (this.oddD(fs | ft)) return EXC_RI;
          return this.compare(true, func & 15, ft, fs, insn);
        }
        return EXC_RI;
    }
  }

  private addD(fd: number, fs: number, ft: number, sub: boolean): number {
    const core = this.begin();
    const a = this.getD(fs);
    const b = this.getD(ft);
    const r = core.addD(a, sub ? -b : b);
    if (this.commit()) return EXC_FPE;
    this.putD(fd, r);
    return EXC_NONE;
  }

  private mulD(fd: number, fs: number, ft: number): number {
    const core = this.begin();
    const a = this.getD(fs);
    const r = core.mulD(a, this.getD(ft));
    if (this.commit()) return EXC_FPE;
    this.putD(fd, r);
    return EXC_NONE;
  }

  private divD(fd: number, fs: number, ft: number): number {
    const core = this.begin();
    const a = this.getD(fs);
    const r = core.divD(a, this.getD(ft));
    if (this.commit()) return EXC_FPE;
    this.putD(fd, r);
    return EXC_NONE;
  }

  private recipD(fd: number, fs: number): number {
    const r = this.begin().divD(1, this.getD(fs));
    if (this.commit()) return EXC_FPE;
    this.putD(fd, r);
    return EXC_NONE;
  }

  /** SQRT.D, or RSQRT.D (1/sqrt, rounded twice as QEMU does). */
  private sqrtD(fd: number, fs: number, rsqrt: boolean): number {
    const core = this.begin();
    let r = core.sqrtD(this.getD(fs));
    if (rsqrt) r = core.divD(1, r);
    if (this.commit()) return EXC_FPE;
    this.putD(fd, r);
    return EXC_NONE;
  }

  private addS(fd: number, fs: number, ft: number, sub: boolean): number {
    const core = this.begin();
    const a = this.getS(fs);
    const b = this.getS(ft);
    const r = core.addS(a, sub ? -b : b);
    if (this.commit()) return EXC_FPE;
    this.putS(fd, r);
    return EXC_NONE;
  }

  private mulS(fd: number, fs: number, ft: number): number {
    const core = this.begin();
    const a = this.getS(fs);
    const r = core.mulS(a, this.getS(ft));
    if (this.commit()) return EXC_FPE;
    this.putS(fd, r);
    return EXC_NONE;
  }

  private divS(fd: number, fs: number, ft: number): number {
    const core = this.begin();
    const a = this.getS(fs);
    const r = core.divS(a, this.getS(ft));
    if (this.commit()) return EXC_FPE;
    this.putS(fd, r);
    return EXC_NONE;
  }

  private recipS(fd: number, fs: number): number {
    const r = this.begin().divS(1, this.getS(fs));
    if (this.commit()) return EXC_FPE;
    this.putS(fd, r);
    return EXC_NONE;
  }

  private sqrtS(fd: number, fs: number, rsqrt: boolean): number {
    const core = this.begin();
    let r = core.sqrtS(this.getS(fs));
    if (rsqrt) r = core.divS(1, r);
    if (this.commit()) return EXC_FPE;
    this.putS(fd, r);
    return EXC_NONE;
  }

  private cvtDS(fd: number, fs: number): number {
    this.begin();
    const r = this.getS(fs); // exact; a NaN becomes the default NaN
    if (this.commit()) return EXC_FPE;
    this.putD(fd, r);
    return EXC_NONE;
  }

  private cvtSD(fd: number, fs: number): number {
    const r = this.begin().cvtSD(this.getD(fs));
    if (this.commit()) return EXC_FPE;
    this.putS(fd, r);
    return EXC_NONE;
  }

  /** W and L formats: only the conversions to S and D exist. */
  private execFixed(long: boolean, func: number, fs: number, fd: number): number {
    if (func !== 32 && func !== 33) return EXC_RI; // includes CVT.PS.PW
    if (long && !this.fr) return EXC_RI;
    const toD = func === 33;
    if (toD && this.oddD(fd)) return EXC_RI;
    const core = this.begin();
    let r: number;
    if (long) {
      const i = this.wd(fs);
      const lo = this.raw[i];
      const hi = this.raw[i + 1] | 0;
      r = toD ? core.cvtDL(lo, hi) : core.cvtSL(lo, hi);
    } else {
      const w = this.raw[this.ws(fs)] | 0;
      r = toD ? w : core.cvtSW(w);
    }
    if (this.commit()) return EXC_FPE;
    if (toD) this.putD(fd, r);
    else this.putS(fd, r);
    return EXC_NONE;
  }

  private moveD(fs: number, fd: number): void {
    const i = this.wd(fs);
    this.setDouble(fd, this.raw[i], this.raw[i + 1]);
  }

  /** CVT.W / ROUND.W / TRUNC.W / CEIL.W / FLOOR.W from .S or .D. */
  private toWord(dbl: boolean, fs: number, fd: number, rm: number): number {
    this.begin();
    const w = this.core.toW(dbl ? this.getD(fs) : this.getS(fs), rm);
    if (this.commit()) return EXC_FPE;
    this.setWord(fd, w);
    return EXC_NONE;
  }

  private toLong(dbl: boolean, fs: number, fd: number, rm: number): number {
    const core = this.begin();
    core.toL(dbl ? this.getD(fs) : this.getS(fs), rm);
    if (this.commit()) return EXC_FPE;
    this.setDouble(fd, core.lo, core.hi);
    return EXC_NONE;
  }

  /**
   * C.cond.fmt. cond bit 0: true if unordered, bit 1: if equal, bit 2: if less; bit 3 makes the
   * predicate signalling (Invalid on any NaN, not only on sNaN).
   */
  private compare(dbl: boolean, cond: number, ft: number, fs: number, insn: number): number {
    if ((insn & 0x40) !== 0) return EXC_RI; // CABS.cond.fmt is MIPS-3D
    this.begin();
    const a = dbl ? this.getD(fs) : this.getS(fs);
    const b = dbl ? this.getD(ft) : this.getS(ft);
    let res: boolean;
    if (a !== a || b !== b) {
      if ((cond & 8) !== 0) this.core.flags |= FL_V;
      res = (cond & 1) !== 0;
    } else if (a < b) res = (cond & 4) !== 0;
    else if (a === b) res = (cond & 2) !== 0;
    else res = false;
    if (this.commit()) return EXC_FPE;
    this.setCondition((insn >>> 8) & 7, res);
    return EXC_NONE;
  }

  /** COP1X: MADD/MSUB/NMADD/NMSUB .S/.D; indexed loads/stores and PREFX go back to the CPU. */
  private execCop1x(insn: number): number {
    const func = insn & 63;
    const fr = (insn >>> 21) & 31;
    const ft = (insn >>> 16) & 31;
    const fs = (insn >>> 11) & 31;
    const fd = (insn >>> 6) & 31;
    if (func < 16) {
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
    const kind = func >>> 3; // 4 MADD, 5 MSUB, 6 NMADD, 7 NMSUB
    const fmt = func & 7; // 0 S, 1 D, 6 PS
    if (kind < 4 || fmt > 1) return EXC_RI;
    if (fmt === 0) return this.maddS(kind, fd, fr, fs, ft);
    if (this.oddD(fd | fs | ft | fr)) return EXC_RI;
    return this.maddD(kind, fd, fr, fs, ft);
  }

  /** kind: 4 MADD, 5 MSUB, 6 NMADD, 7 NMSUB. The product is rounded before the add. */
  private maddD(kind: number, fd: number, fr: number, fs: number, ft: number): number {
    const core = this.begin();
    const a = this.getD(fs);
    const b = this.getD(ft);
    const c = this.getD(fr);
    const p = core.mulD(a, b);
    const r = core.addD(p, (kind & 1) !== 0 ? -c : c);
    if (this.commit()) return EXC_FPE;
    if (kind < 6) this.putD(fd, r);
    else if (r !== r) this.setDouble(fd, DNAN_D_LO, DNAN_D_HI | 0x80000000);
    else this.putD(fd, -r);
    return EXC_NONE;
  }

  private maddS(kind: number, fd: number, fr: number, fs: number, ft: number): number {
    const core = this.begin();
    const a = this.getS(fs);
    const b = this.getS(ft);
    const c = this.getS(fr);
    const p = core.mulS(a, b);
    const r = core.addS(p, (kind & 1) !== 0 ? -c : c);
    if (this.commit()) return EXC_FPE;
    if (kind < 6) this.putS(fd, r);
    else if (r !== r) this.setWord(fd, DNAN_S | 0x80000000);
    else this.putS(fd, -r);
    return EXC_NONE;
  }
}
