/**
 * IEEE 754 arithmetic for the CP1 model: correctly rounded + - * / sqrt, conversions, in all four
 * rounding modes, with the exception flags QEMU's softfloat reports for MIPS (legacy NaN mode).
 *
 * Operands and results travel through the Float64Array slots `x` (binary32 values are exact
 * doubles): the Fpu loads x[A], x[B], x[C], calls an operation, and stores x[R]. Only register
 * and slot numbers cross function boundaries, so no double is ever boxed, whatever V8 decides
 * to inline. A NaN operand is treated as quiet (no flag); the Fpu raises Invalid for signalling
 * NaNs from the raw bits and stores the default NaN for any NaN result, because in legacy mode
 * every NaN result is the default NaN (QEMU runs softfloat in default-NaN mode when NAN2008 = 0).
 *
 * Strategy: the host computes the round-to-nearest double result; an error-free transformation
 * (TwoSum, Dekker's TwoProduct) gives the sign of (exact - rounded), which is all that is needed
 * to set Inexact and to step one ulp for the directed modes. Results near the underflow or
 * overflow thresholds, where the transformations are not exact or tininess/flush-to-zero must be
 * judged, take an exact BigInt path. That path allocates; the common path does not.
 *
 * Single precision (binary32) + - * / sqrt are computed in binary64 then rounded to binary32.
 * Why that is exact: for these five operations, rounding the exact result first to a format of
 * p' bits and then to p bits gives the same value as rounding directly to p bits whenever
 * p' >= 2p + 2 (Figueroa, "When is double rounding innocuous?", SIGNUM 1995). Here p = 24 and
 * p' = 53 >= 50. Intuitively: the exact result of one operation on two 24-bit values is either
 * representable in 53 bits or lies too far (in 53-bit ulps) from any 24-bit rounding midpoint for
 * the first rounding to land exactly on one. In addition, for the directed modes we never rely on
 * the double result alone: the sign of (exact - single result) is computed exactly (products of
 * two 24-bit values are exact in binary64, and the TwoSum error tells what the double add lost).
 * Conversions from 64-bit integers have no such bound (63 significant bits), so CVT.S.L takes
 * the exact path whenever the value does not fit 53 bits.
 */

export const FL_I = 1; // Inexact
export const FL_U = 2; // Underflow
export const FL_O = 4; // Overflow
export const FL_Z = 8; // Division by zero
export const FL_V = 16; // Invalid operation

export const RM_RN = 0;
export const RM_RZ = 1;
export const RM_RP = 2;
export const RM_RM = 3;

/** Slots of FpCore.x: result, operands. */
export const X_R = 0;
export const X_A = 1;
export const X_B = 2;
export const X_C = 3;

const OP_ADD = 0;
const OP_MUL = 1;
const OP_DIV = 2;
const OP_SQRT = 3;
const OP_CVT = 4;

const scratch = new ArrayBuffer(8);
const sF64 = new Float64Array(scratch);
const sF32 = new Float32Array(scratch, 0, 1);
const sU32 = new Uint32Array(scratch);

const MIN_D = 2.2250738585072014e-308; // 2^-1022
const MAX_D = Number.MAX_VALUE;
const MIN_S = 1.1754943508222875e-38; // 2^-126
const MAX_S = 3.4028234663852886e38;
const TWO_MIN_S = 2 * MIN_S;
// Inside [LO_D, HI_D] the rounding error of a product is itself a double (no underflow) and the
// Dekker splitting cannot overflow (operands up to SPLIT_MAX).
const LO_D = 2 ** -960;
const HI_D = 2 ** 1020;
const SPLIT_MAX = 2 ** 995;
const SPLITTER = 134217729; // 2^27 + 1
const TWO32 = 4294967296;
const TWO52 = 4503599627370496;

function bitLen(m: bigint): number {
  return m === 0n ? 0 : m.toString(2).length;
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLen(n) >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

// Decomposition of a double into (-1)^neg * m * 2^e, written to these module slots.
let dNeg = false;
let dM = 0n;
let dE = 0;
function decompose(x: number): void {
  sF64[0] = x;
  const hi = sU32[1];
  const be = (hi >>> 20) & 0x7ff;
  dNeg = hi >>> 31 !== 0;
  dM = (BigInt(hi & 0xfffff) << 32n) | BigInt(sU32[0]);
  if (be === 0) dE = -1074;
  else {
    dM |= 1n << 52n;
    dE = be - 1075;
  }
}

/**
 * Arithmetic state for one FPU: rounding mode and flush-to-zero in, accumulated flags out.
 * The Fpu sets rm/ftz and clears flags before each instruction.
 */
export class FpCore {
  flags = 0;
  rm = RM_RN;
  /** FCSR.FS: results that are tiny before rounding become signed zero, with no flags (QEMU). */
  ftz = false;
  /** Operand/result slots (X_R, X_A, X_B, X_C). */
  readonly x = new Float64Array(4);
  private readonly xu = new Uint32Array(this.x.buffer);
  /** 64-bit integer results of toL(): low and high words. */
  lo = 0;
  hi = 0;

  // ---- rounding helpers -------------------------------------------------------------------
  //
  // Each operation has a compact fast path guarded by one range test on the result, which also
  // rules out NaN, infinities, zeros and tiny values (comparisons with NaN are false); the rest
  // goes to an out-of-line *Special method, where boxing a double is acceptable.

  /**
   * x[R] holds an inexact round-to-nearest double, c = sign(exact - x[R]): raise Inexact and,
   * in a directed mode, step x[R] one ulp if the exact value lies on the other side.
   */
  private inexactD(c: number): void {
    this.flags |= FL_I;
    const rm = this.rm;
    if (rm === RM_RN) return;
    const v = this.x[X_R];
    let up: boolean;
    if (rm === RM_RZ) {
      if (v > 0 ? c > 0 : c < 0) return;
      up = v < 0;
    } else if (rm === RM_RP) {
      if (c < 0) return;
      up = true;
    } else {
      if (c > 0) return;
      up = false;
    }
    const xu = this.xu;
    let lo = xu[0];
    let hi = xu[1];
    if ((v > 0) === up) {
      lo = (lo + 1) >>> 0;
      if (lo === 0) hi = (hi + 1) >>> 0;
    } else {
      if (lo === 0) hi = (hi - 1) >>> 0;
      lo = (lo - 1) >>> 0;
    }
    xu[0] = lo;
    xu[1] = hi;
    if ((hi & 0x7ff00000) === 0x7ff00000) this.flags |= FL_O; // stepped from MAX to infinity
  }

  /** Same for a binary32 result held in x[R]. */
  private inexactS(c: number): void {
    this.flags |= FL_I;
    const rm = this.rm;
    if (rm === RM_RN) return;
    const v = this.x[X_R];
    let up: boolean;
    if (rm === RM_RZ) {
      if (v > 0 ? c > 0 : c < 0) return;
      up = v < 0;
    } else if (rm === RM_RP) {
      if (c < 0) return;
      up = true;
    } else {
      if (c > 0) return;
      up = false;
    }
    sF32[0] = v;
    const w = (v > 0) === up ? sU32[0] + 1 : sU32[0] - 1;
    sU32[0] = w;
    this.x[X_R] = sF32[0];
    if ((w & 0x7f800000) === 0x7f800000) this.flags |= FL_O;
  }

  /** Sign of a zero produced by adding a and b (exact cancellation or two zeros). */
  private zeroSum(a: number, b: number, s: number): number {
    if (this.rm !== RM_RM) return s;
    return a === 0 && b === 0 && 1 / a > 0 && 1 / b > 0 ? 0 : -0;
  }

  /** Result overflowed to infinity in round-to-nearest (exact value >= MAX + ulp/2). */
  private overflowRN(v: number): number {
    this.flags |= FL_O | FL_I;
    return v;
  }

  // ---- double precision: x[R] = x[A] op x[B] ----------------------------------------------

  /** ADD.D (SUB.D with neg: x[A] - x[B]). */
  addD(neg: boolean): void {
    const x = this.x;
    const a = x[X_A];
    const b = neg ? -x[X_B] : x[X_B];
    const s = a + b;
    const as = Math.abs(s);
    if (as >= MIN_D && as <= MAX_D) {
      const bv = s - a;
      const err = a - (s - bv) + (b - bv); // TwoSum: exact error of s
      x[X_R] = s;
      if (err === 0) return;
      if (err === err) {
        this.inexactD(err > 0 ? 1 : -1);
        return;
      }
    }
    x[X_R] = this.addSpecialD(a, b, s);
  }

  private addSpecialD(a: number, b: number, s: number): number {
    if (s !== s) {
      if (a === a && b === b) this.flags |= FL_V; // inf - inf
      return NaN;
    }
    if (s === 0) return this.zeroSum(a, b, s);
    const as = Math.abs(s);
    if (as === Infinity) {
      if (Math.abs(a) === Infinity || Math.abs(b) === Infinity) return s;
      if (this.rm === RM_RN) return this.overflowRN(s);
      return this.slow(OP_ADD, a, b, false);
    }
    // A sum below 2^-1022 is a multiple of 2^-1074 with few bits: always exact.
    if (as < MIN_D) return this.ftz ? (s > 0 ? 0 : -0) : s;
    return this.slow(OP_ADD, a, b, false); // TwoSum overflowed internally
  }

  mulD(): void {
    const x = this.x;
    const a = x[X_A];
    const b = x[X_B];
    const p = a * b;
    const ap = Math.abs(p);
    if (ap >= LO_D && ap <= HI_D && Math.abs(a) <= SPLIT_MAX && Math.abs(b) <= SPLIT_MAX) {
      // Dekker's TwoProduct: e = a*b - p exactly
      let t = SPLITTER * a;
      const ah = t - (t - a);
      const al = a - ah;
      t = SPLITTER * b;
      const bh = t - (t - b);
      const bl = b - bh;
      const e = ah * bh - p + ah * bl + al * bh + al * bl;
      x[X_R] = p;
      if (e !== 0) this.inexactD(e > 0 ? 1 : -1);
      return;
    }
    x[X_R] = this.mulSpecialD(a, b, p);
  }

  private mulSpecialD(a: number, b: number, p: number): number {
    if (p !== p) {
      if (a === a && b === b) this.flags |= FL_V; // 0 * inf
      return NaN;
    }
    if (a === 0 || b === 0 || Math.abs(a) === Infinity || Math.abs(b) === Infinity) return p;
    if (Math.abs(p) === Infinity && this.rm === RM_RN) return this.overflowRN(p);
    return this.slow(OP_MUL, a, b, false);
  }

  divD(): void {
    const x = this.x;
    const a = x[X_A];
    const b = x[X_B];
    const q = a / b;
    const aq = Math.abs(q);
    const aa = Math.abs(a);
    if (aq >= LO_D && aq <= SPLIT_MAX && aa >= LO_D && aa <= HI_D && Math.abs(b) <= SPLIT_MAX) {
      // remainder a - q*b via Dekker's TwoProduct of q and b: its sign is exact
      const p = q * b;
      let t = SPLITTER * q;
      const qh = t - (t - q);
      const ql = q - qh;
      t = SPLITTER * b;
      const bh = t - (t - b);
      const bl = b - bh;
      const rem = a - p - (qh * bh - p + qh * bl + ql * bh + ql * bl);
      x[X_R] = q;
      if (rem !== 0) this.inexactD(rem > 0 === b > 0 ? 1 : -1);
      return;
    }
    x[X_R] = this.divSpecialD(a, b, q);
  }

  private divSpecialD(a: number, b: number, q: number): number {
    if (a !== a || b !== b) return NaN;
    if (b === 0) {
      if (a === 0) {
        this.flags |= FL_V;
        return NaN;
      }
      if (Math.abs(a) !== Infinity) this.flags |= FL_Z;
      return q;
    }
    if (q !== q) {
      this.flags |= FL_V; // inf / inf
      return NaN;
    }
    if (a === 0 || Math.abs(a) === Infinity || Math.abs(b) === Infinity) return q;
    if (Math.abs(q) === Infinity && this.rm === RM_RN) return this.overflowRN(q);
    return this.slow(OP_DIV, a, b, false);
  }

  /** SQRT.D of x[A]. */
  sqrtD(): void {
    const x = this.x;
    const a = x[X_A];
    if (a >= LO_D && a <= HI_D) {
      const r = Math.sqrt(a);
      const p = r * r;
      const t = SPLITTER * r;
      const rh = t - (t - r);
      const rl = r - rh;
      const rem = a - p - (rh * rh - p + 2 * rh * rl + rl * rl); // a - r*r, sign exact
      x[X_R] = r;
      if (rem !== 0) this.inexactD(rem > 0 ? 1 : -1);
      return;
    }
    x[X_R] = this.sqrtSpecialD(a);
  }

  private sqrtSpecialD(a: number): number {
    if (a !== a) return NaN;
    if (a < 0) {
      this.flags |= FL_V;
      return NaN;
    }
    if (a === 0 || a === Infinity) return a;
    return this.slow(OP_SQRT, a, 0, false);
  }

  /** RECIP.D: 1 / x[A]. */
  recipD(): void {
    const x = this.x;
    x[X_B] = x[X_A];
    x[X_A] = 1;
    this.divD();
  }

  /** RSQRT.D: 1 / sqrt(x[A]), rounded twice as QEMU does. */
  rsqrtD(): void {
    const x = this.x;
    this.sqrtD();
    x[X_B] = x[X_R];
    x[X_A] = 1;
    this.divD();
  }

  /** MADD/MSUB.D: x[R] = x[A]*x[B] +/- x[C], product rounded first (not fused). */
  maddD(sub: boolean): void {
    const x = this.x;
    this.mulD();
    x[X_A] = x[X_R];
    x[X_B] = x[X_C];
    this.addD(sub);
  }

  // ---- single precision: operands and results are binary32 values in the slots -------------
  //
  // r = the binary64 result; rs = fround(r) is the correctly rounded binary32 (see the header).
  // sign(exact - rs) is sign(r - rs) when they differ (that difference is exact and larger than
  // any error of r), else the sign of r's own error.

  addS(neg: boolean): void {
    const x = this.x;
    const a = x[X_A];
    const b = neg ? -x[X_B] : x[X_B];
    const s = a + b;
    const rs = Math.fround(s);
    const ars = Math.abs(rs);
    if (ars >= TWO_MIN_S && ars <= MAX_S) {
      x[X_R] = rs;
      const d = s - rs;
      if (d !== 0) {
        this.inexactS(d > 0 ? 1 : -1);
        return;
      }
      const bv = s - a;
      const err = a - (s - bv) + (b - bv);
      if (err !== 0) this.inexactS(err > 0 ? 1 : -1);
      return;
    }
    x[X_R] = this.addSpecialS(a, b, s);
  }

  private addSpecialS(a: number, b: number, s: number): number {
    if (s !== s) {
      if (a === a && b === b) this.flags |= FL_V;
      return NaN;
    }
    if (s === 0) return this.zeroSum(a, b, s);
    if (Math.abs(a) === Infinity || Math.abs(b) === Infinity) return s;
    const rs = Math.fround(s);
    if (Math.abs(rs) === Infinity && this.rm === RM_RN) return this.overflowRN(rs);
    return this.slow(OP_ADD, a, b, true);
  }

  mulS(): void {
    const x = this.x;
    const a = x[X_A];
    const b = x[X_B];
    const p = a * b; // exact: 24 x 24 bits, far from the binary64 limits
    const rs = Math.fround(p);
    const ars = Math.abs(rs);
    if (ars >= TWO_MIN_S && ars <= MAX_S) {
      x[X_R] = rs;
      const d = p - rs;
      if (d !== 0) this.inexactS(d > 0 ? 1 : -1);
      return;
    }
    x[X_R] = this.mulSpecialS(a, b, p);
  }

  private mulSpecialS(a: number, b: number, p: number): number {
    if (p !== p) {
      if (a === a && b === b) this.flags |= FL_V;
      return NaN;
    }
    if (a === 0 || b === 0 || Math.abs(a) === Infinity || Math.abs(b) === Infinity) return p;
    const rs = Math.fround(p);
    if (Math.abs(rs) === Infinity && this.rm === RM_RN) return this.overflowRN(rs);
    return this.slow(OP_MUL, a, b, true);
  }

  divS(): void {
    const x = this.x;
    const a = x[X_A];
    const b = x[X_B];
    const q = a / b;
    const rs = Math.fround(q);
    const ars = Math.abs(rs);
    if (ars >= TWO_MIN_S && ars <= MAX_S) {
      x[X_R] = rs;
      const pb = rs * b; // exact in binary64
      if (a !== pb) this.inexactS(a > pb === b > 0 ? 1 : -1);
      return;
    }
    x[X_R] = this.divSpecialS(a, b, q);
  }

  private divSpecialS(a: number, b: number, q: number): number {
    if (a !== a || b !== b) return NaN;
    if (b === 0) {
      if (a === 0) {
        this.flags |= FL_V;
        return NaN;
      }
      if (Math.abs(a) !== Infinity) this.flags |= FL_Z;
      return q;
    }
    if (q !== q) {
      this.flags |= FL_V;
      return NaN;
    }
    if (a === 0 || Math.abs(a) === Infinity || Math.abs(b) === Infinity) return q;
    const rs = Math.fround(q);
    if (Math.abs(rs) === Infinity && this.rm === RM_RN) return this.overflowRN(rs);
    return this.slow(OP_DIV, a, b, true);
  }

  sqrtS(): void {
    const x = this.x;
    const a = x[X_A];
    const rs = Math.fround(Math.sqrt(a));
    // sqrt of a binary32 is never tiny nor huge: only NaN, negative, zero and inf are special.
    if (rs > 0 && rs < Infinity) {
      x[X_R] = rs;
      const sq = rs * rs; // exact in binary64
      if (a !== sq) this.inexactS(a > sq ? 1 : -1);
      return;
    }
    if (a < 0) this.flags |= FL_V;
    x[X_R] = a < 0 ? NaN : a; // NaN, -0, +0, +inf
  }

  recipS(): void {
    const x = this.x;
    x[X_B] = x[X_A];
    x[X_A] = 1;
    this.divS();
  }

  rsqrtS(): void {
    const x = this.x;
    this.sqrtS();
    x[X_B] = x[X_R];
    x[X_A] = 1;
    this.divS();
  }

  maddS(sub: boolean): void {
    const x = this.x;
    this.mulS();
    x[X_A] = x[X_R];
    x[X_B] = x[X_C];
    this.addS(sub);
  }

  // ---- format conversions -----------------------------------------------------------------

  /** CVT.S.D of x[A]. */
  cvtSD(): void {
    const x = this.x;
    const d = x[X_A];
    const rs = Math.fround(d);
    const ars = Math.abs(rs);
    if (ars >= TWO_MIN_S && ars <= MAX_S) {
      x[X_R] = rs;
      if (d !== rs) this.inexactS(d > rs ? 1 : -1);
      return;
    }
    x[X_R] = this.cvtSpecialS(d, rs);
  }

  private cvtSpecialS(d: number, rs: number): number {
    if (d !== d) return NaN;
    if (d === 0 || Math.abs(d) === Infinity) return d;
    if (Math.abs(rs) === Infinity && this.rm === RM_RN) return this.overflowRN(rs);
    return this.slow(OP_CVT, d, 0, true);
  }

  /** CVT.S.W of the int32 i. */
  cvtSW(i: number): void {
    const rs = Math.fround(i);
    this.x[X_R] = rs;
    if (i !== rs) this.inexactS(i > rs ? 1 : -1);
  }

  /** CVT.D.L: (hi:lo) is a two's complement 64-bit integer, lo unsigned. */
  cvtDL(lo: number, hi: number): void {
    const h = hi * TWO32;
    const s = h + lo;
    this.x[X_R] = s;
    if (hi >= -0x200000 && hi < 0x200000) return; // |value| < 2^53: exact
    const bv = s - h;
    const err = h - (s - bv) + (lo - bv);
    if (err !== 0) this.inexactD(err > 0 ? 1 : -1);
  }

  /** CVT.S.L: 64-bit values beyond 53 bits would round twice through binary64, so go exact. */
  cvtSL(lo: number, hi: number): void {
    if (hi >= -0x200000 && hi < 0x200000) {
      const v = hi * TWO32 + lo;
      const rs = Math.fround(v);
      this.x[X_R] = rs;
      if (v !== rs) this.inexactS(v > rs ? 1 : -1);
      return;
    }
    let v = (BigInt(hi) << 32n) | BigInt(lo);
    const neg = v < 0n;
    if (neg) v = -v;
    this.x[X_R] = this.roundBig(neg, v, 0, false, true);
  }

  /**
   * x[A] rounded to an integral double in mode rm, left in x[R]; false if x[A] is NaN or
   * infinite.
   */
  private roundInt(rm: number): boolean {
    const x = this.x;
    const v = x[X_A];
    let r: number;
    if (!(Math.abs(v) < TWO52)) {
      if (v !== v || Math.abs(v) === Infinity) return false;
      r = v; // already integral
    } else if (rm === RM_RN) {
      const f = Math.floor(v);
      const d = v - f; // exact below 2^52
      r = d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
    } else if (rm === RM_RZ) r = Math.trunc(v);
    else if (rm === RM_RP) r = Math.ceil(v);
    else r = Math.floor(v);
    x[X_R] = r;
    return true;
  }

  /**
   * x[A] to int32 in mode rm. NaN, infinities and out-of-range values raise Invalid only and
   * give 0x7FFFFFFF (MIPS legacy behaviour, QEMU FP_TO_INT32_OVERFLOW).
   */
  toW(rm: number): number {
    const x = this.x;
    if (this.roundInt(rm)) {
      const r = x[X_R];
      if (r >= -2147483648 && r <= 2147483647) {
        if (r !== x[X_A]) this.flags |= FL_I;
        return r | 0;
      }
    }
    this.flags |= FL_V;
    return 0x7fffffff;
  }

  /** x[A] to int64 in mode rm, result in this.lo / this.hi. Invalid gives 0x7FFF...FFFF. */
  toL(rm: number): void {
    const x = this.x;
    if (this.roundInt(rm)) {
      const r = x[X_R];
      if (r >= -9223372036854775808 && r < 9223372036854775808) {
        if (r !== x[X_A]) this.flags |= FL_I;
        const h = Math.floor(r / TWO32); // exact: r is an integer below 2^63
        this.hi = h | 0;
        this.lo = (r - h * TWO32) >>> 0;
        return;
      }
    }
    this.flags |= FL_V;
    this.lo = 0xffffffff;
    this.hi = 0x7fffffff;
  }

  /**
   * C.cond of x[A], x[B]. cond bit 0: true if unordered, bit 1: if equal, bit 2: if less;
   * bit 3 makes the predicate signalling (Invalid on any NaN, not only on sNaN).
   */
  compare(cond: number): boolean {
    const x = this.x;
    const a = x[X_A];
    const b = x[X_B];
    if (a < b) return (cond & 4) !== 0;
    if (a === b) return (cond & 2) !== 0;
    if (a > b) return false;
    if ((cond & 8) !== 0) this.flags |= FL_V;
    return (cond & 1) !== 0;
  }

  // ---- exact path -------------------------------------------------------------------------

  /** Exact evaluation with BigInt; operands are finite (and non-zero for MUL/DIV/SQRT/CVT). */
  private slow(op: number, a: number, b: number, single: boolean): number {
    const p = single ? 24 : 53;
    decompose(a);
    const an = dNeg;
    const am = dM;
    const ae = dE;
    switch (op) {
      case OP_ADD: {
        decompose(b);
        const e = Math.min(ae, dE);
        let x = am << BigInt(ae - e);
        let y = dM << BigInt(dE - e);
        if (an) x = -x;
        if (dNeg) y = -y;
        const s = x + y;
        if (s === 0n) return this.zeroSum(a, b, 0);
        return this.roundBig(s < 0n, s < 0n ? -s : s, e, false, single);
      }
      case OP_MUL:
        decompose(b);
        return this.roundBig(an !== dNeg, am * dM, ae + dE, false, single);
      case OP_DIV: {
        decompose(b);
        const k = Math.max(0, p + 3 + bitLen(dM) - bitLen(am));
        const n = am << BigInt(k);
        const q = n / dM;
        return this.roundBig(an !== dNeg, q, ae - dE - k, q * dM !== n, single);
      }
      case OP_SQRT: {
        let k = Math.max(0, 2 * (p + 3) - bitLen(am));
        if (((ae - k) & 1) !== 0) k++;
        const n = am << BigInt(k);
        const r = isqrt(n);
        return this.roundBig(false, r, (ae - k) / 2, r * r !== n, single);
      }
      default:
        return this.roundBig(an, am, ae, false, single);
    }
  }

  /**
   * Round (-1)^neg * (m + sticky) * 2^e to binary32/64 in the current mode and raise flags.
   * sticky means "plus a non-zero amount smaller than 2^e"; m must then have >= p+2 bits.
   * Underflow follows softfloat's default for MIPS: tininess after rounding, and only if inexact.
   */
  private roundBig(neg: boolean, m: bigint, e: number, sticky: boolean, single: boolean): number {
    if (m === 0n) return neg ? -0 : 0;
    const p = single ? 24 : 53;
    const emin = single ? -126 : -1022;
    const emax = single ? 127 : 1023;
    const rm = this.rm;
    const E = e + bitLen(m) - 1;
    if (this.ftz && E < emin) return neg ? -0 : 0;

    const roundAt = (lsb: number): [bigint, boolean] => {
      const shift = lsb - e;
      if (shift <= 0) return [m << BigInt(-shift), sticky];
      const sh = BigInt(shift);
      let q = m >> sh;
      const rem = m & ((1n << sh) - 1n);
      const half = 1n << (sh - 1n);
      const inexact = rem !== 0n || sticky;
      let up: boolean;
      if (rm === RM_RN) up = rem > half || (rem === half && (sticky || (q & 1n) === 1n));
      else if (rm === RM_RZ) up = false;
      else if (rm === RM_RP) up = inexact && !neg;
      else up = inexact && neg;
      if (up) q += 1n;
      return [q, inexact];
    };

    let lsb = Math.max(E, emin) - p + 1;
    const first = roundAt(lsb);
    let q = first[0];
    const inexact = first[1];
    if (q === 1n << BigInt(p)) {
      q >>= 1n;
      lsb++;
    }
    let tiny = false;
    if (E < emin) {
      tiny = true;
      if (E === emin - 1) {
        // Tiny after rounding: would rounding to p bits with unbounded exponent reach 2^emin?
        const [qu] = roundAt(E - p + 1);
        if (qu === 1n << BigInt(p)) tiny = false;
      }
    }
    if (q >= 1n << BigInt(p - 1) && lsb + p - 1 > emax) {
      this.flags |= FL_O | FL_I;
      const max = single ? MAX_S : MAX_D;
      let v: number;
      if (rm === RM_RN) v = Infinity;
      else if (rm === RM_RZ) v = max;
      else if (rm === RM_RP) v = neg ? max : Infinity;
      else v = neg ? Infinity : max;
      return neg ? -v : v;
    }
    if (inexact) this.flags |= tiny ? FL_I | FL_U : FL_I;
    const v = Number(q) * 2 ** lsb;
    return neg ? -v : v;
  }
}
