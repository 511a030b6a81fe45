import { describe, expect, it } from 'vitest';
import { EXC_FPE, EXC_NONE, EXC_RI, Fpu } from '../src/emu/cpu/fpu';
import { xorshift32 } from './helpers/xorshift';

// ---- instruction encoders (MIPS32 r2 COP1 / COP1X) --------------------------------------------

const S = 16, D = 17, W = 20, L = 21, PS = 22;
const F = {
  add: 0, sub: 1, mul: 2, div: 3, sqrt: 4, abs: 5, mov: 6, neg: 7,
  roundL: 8, truncL: 9, ceilL: 10, floorL: 11, roundW: 12, truncW: 13, ceilW: 14, floorW: 15,
  movcf: 17, movz: 18, movn: 19, recip: 21, rsqrt: 22, cvtS: 32, cvtD: 33, cvtW: 36, cvtL: 37,
};
const COND = {
  f: 0, un: 1, eq: 2, ueq: 3, olt: 4, ult: 5, ole: 6, ule: 7,
  sf: 8, ngle: 9, seq: 10, ngl: 11, lt: 12, nge: 13, le: 14, ngt: 15,
};

/** COP1 register-format instruction: fmt ft fs fd func. */
function fr(fmt: number, func: number, fd: number, fs: number, ft = 0): number {
  return ((0x11 << 26) | (fmt << 21) | (ft << 16) | (fs << 11) | (fd << 6) | func) >>> 0;
}
/** C.cond.fmt fs, ft, with condition code cc. */
function cmp(fmt: number, cond: number, fs: number, ft: number, cc = 0): number {
  return ((0x11 << 26) | (fmt << 21) | (ft << 16) | (fs << 11) | (cc << 8) | 0x30 | cond) >>> 0;
}
/** MOVF.fmt (tf=0) / MOVT.fmt (tf=1). */
function movcf(fmt: number, fd: number, fs: number, cc: number, tf: number): number {
  return fr(fmt, F.movcf, fd, fs, (cc << 2) | tf);
}
/** MFC1/CFC1/MFHC1/MTC1/CTC1/MTHC1 (rs = 0,2,3,4,6,7). */
function mv(rs: number, rt: number, fs: number): number {
  return ((0x11 << 26) | (rs << 21) | (rt << 16) | (fs << 11)) >>> 0;
}
/** COP1X arithmetic: op4 = 4 MADD, 5 MSUB, 6 NMADD, 7 NMSUB; fmt 0 S / 1 D. */
function madd(op4: number, fmt: number, fd: number, fr_: number, fs: number, ft: number): number {
  return ((0x13 << 26) | (fr_ << 21) | (ft << 16) | (fs << 11) | (fd << 6) | (op4 << 3) | fmt) >>> 0;
}

// ---- helpers -----------------------------------------------------------------------------------

const I = 1, U = 2, O = 4, Z = 8, V = 16;
const cause = (f: Fpu) => (f.fcsr >>> 12) & 0x3f;
const flags = (f: Fpu) => (f.fcsr >>> 2) & 0x1f;

const cvBuf = new ArrayBuffer(8);
const cvF64 = new Float64Array(cvBuf);
const cvF32 = new Float32Array(cvBuf, 0, 1);
const cvU32 = new Uint32Array(cvBuf);
const cvU64 = new BigUint64Array(cvBuf);
function dbits(x: number): bigint {
  cvF64[0] = x;
  return cvU64[0];
}
function fromDbits(b: bigint): number {
  cvU64[0] = b;
  return cvF64[0];
}
function sbits(x: number): number {
  cvF32[0] = x;
  return cvU32[0];
}
function fromSbits(b: number): number {
  cvU32[0] = b;
  return cvF32[0];
}

function mk(frMode = true): { f: Fpu; gpr: Int32Array } {
  const gpr = new Int32Array(32);
  const f = new Fpu(gpr);
  f.fr = frMode;
  return { f, gpr };
}
function setD(f: Fpu, r: number, x: number): void {
  const b = dbits(x);
  f.setDouble(r, Number(b & 0xffffffffn), Number(b >> 32n));
}
function setDbits(f: Fpu, r: number, b: bigint): void {
  f.setDouble(r, Number(b & 0xffffffffn), Number(b >> 32n));
}
function getDbits(f: Fpu, r: number): bigint {
  return (BigInt(f.getDoubleHi(r) >>> 0) << 32n) | BigInt(f.getDoubleLo(r) >>> 0);
}
function getD(f: Fpu, r: number): number {
  return fromDbits(getDbits(f, r));
}
function setS(f: Fpu, r: number, x: number): void {
  f.setWord(r, sbits(x));
}
function getSbits(f: Fpu, r: number): number {
  return f.getWord(r) >>> 0;
}
function setRM(f: Fpu, rm: number): void {
  f.fcsr = ((f.fcsr & ~3) | rm) >>> 0;
}
const RN = 0, RZ = 1, RP = 2, RM = 3;

// ---- basic arithmetic --------------------------------------------------------------------------

describe('double arithmetic', () => {
  it('add.d 1.0 + 2.0 = 3.0 exactly, clearing stale cause bits', () => {
    const { f } = mk();
    f.fcsr = 0x0001f000; // stale cause bits from an earlier op
    setD(f, 2, 1.0);
    setD(f, 4, 2.0);
    expect(f.execute(fr(D, F.add, 0, 2, 4))).toBe(EXC_NONE);
    expect(getDbits(f, 0)).toBe(0x4008000000000000n);
    expect(cause(f)).toBe(0);
    expect(flags(f)).toBe(0);
  });

  it('add.d 0.1 + 0.2 = 0x3FD3333333333334 with Inexact cause and flag', () => {
    const { f } = mk();
    setD(f, 2, 0.1);
    setD(f, 4, 0.2);
    expect(f.execute(fr(D, F.add, 6, 2, 4))).toBe(EXC_NONE);
    expect(getDbits(f, 6)).toBe(0x3fd3333333333334n);
    expect(cause(f)).toBe(I);
    expect(flags(f)).toBe(I);
  });

  it('flags are sticky across operations while cause is per-operation', () => {
    const { f } = mk();
    setD(f, 2, 0.1);
    setD(f, 4, 0.2);
    f.execute(fr(D, F.add, 6, 2, 4)); // inexact
    setD(f, 8, 1.0);
    f.execute(fr(D, F.add, 10, 8, 8)); // exact
    expect(cause(f)).toBe(0);
    expect(flags(f)).toBe(I);
  });

  it('sub/mul/div/sqrt.d exact cases', () => {
    const { f } = mk();
    setD(f, 2, 7.5);
    setD(f, 4, 2.5);
    f.execute(fr(D, F.sub, 6, 2, 4));
    expect(getD(f, 6)).toBe(5);
    f.execute(fr(D, F.mul, 6, 2, 4));
    expect(getD(f, 6)).toBe(18.75);
    f.execute(fr(D, F.div, 6, 2, 4));
    expect(getD(f, 6)).toBe(3);
    setD(f, 8, 6.25);
    f.execute(fr(D, F.sqrt, 6, 8));
    expect(getD(f, 6)).toBe(2.5);
    expect(flags(f)).toBe(0);
  });

  it('sqrt.d(2) is the correctly rounded value and Inexact', () => {
    const { f } = mk();
    setD(f, 2, 2);
    f.execute(fr(D, F.sqrt, 4, 2));
    expect(getDbits(f, 4)).toBe(0x3ff6a09e667f3bcdn);
    expect(cause(f)).toBe(I);
  });

  it('abs/neg/mov.d are bit operations that leave Cause alone', () => {
    const { f } = mk();
    f.fcsr = I << 12;
    setDbits(f, 2, 0xfff8000000000001n); // negative sNaN
    f.execute(fr(D, F.abs, 4, 2));
    expect(getDbits(f, 4)).toBe(0x7ff8000000000001n);
    f.execute(fr(D, F.neg, 6, 4));
    expect(getDbits(f, 6)).toBe(0xfff8000000000001n);
    f.execute(fr(D, F.mov, 8, 6));
    expect(getDbits(f, 8)).toBe(0xfff8000000000001n);
    expect(cause(f)).toBe(I);
  });

  it('recip.d and rsqrt.d', () => {
    const { f } = mk();
    setD(f, 2, 4);
    f.execute(fr(D, F.recip, 4, 2));
    expect(getD(f, 4)).toBe(0.25);
    f.execute(fr(D, F.rsqrt, 4, 2));
    expect(getD(f, 4)).toBe(0.5);
    expect(cause(f)).toBe(0);
    setD(f, 2, 3);
    f.execute(fr(D, F.recip, 4, 2));
    expect(getD(f, 4)).toBe(1 / 3);
    expect(cause(f)).toBe(I);
    setD(f, 2, 0);
    f.execute(fr(D, F.rsqrt, 4, 2));
    expect(getD(f, 4)).toBe(Infinity);
    expect(cause(f)).toBe(Z);
  });
});

describe('single arithmetic', () => {
  it('add.s rounds to binary32 (ties to even) and reports Inexact', () => {
    const { f } = mk();
    setS(f, 1, 16777216);
    setS(f, 2, 1);
    f.execute(fr(S, F.add, 3, 1, 2));
    expect(fromSbits(getSbits(f, 3))).toBe(16777216);
    expect(cause(f)).toBe(I);
    setS(f, 1, 16777218);
    f.execute(fr(S, F.add, 3, 1, 2));
    expect(fromSbits(getSbits(f, 3))).toBe(16777220);
    expect(cause(f)).toBe(I);
  });

  it('add.s 0.1f + 0.2f gives 0x3E99999A (not the double sum)', () => {
    const { f } = mk();
    setS(f, 1, 0.1);
    setS(f, 2, 0.2);
    f.execute(fr(S, F.add, 3, 1, 2));
    expect(getSbits(f, 3)).toBe(0x3e99999a);
    expect(cause(f)).toBe(I);
  });

  it('mul.s / div.s / sqrt.s', () => {
    const { f } = mk();
    setS(f, 1, 3);
    setS(f, 2, 0.5);
    f.execute(fr(S, F.mul, 3, 1, 2));
    expect(fromSbits(getSbits(f, 3))).toBe(1.5);
    expect(cause(f)).toBe(0);
    f.execute(fr(S, F.div, 3, 2, 1)); // 0.5 / 3
    expect(getSbits(f, 3)).toBe(0x3e2aaaab);
    expect(cause(f)).toBe(I);
    setS(f, 1, 2);
    f.execute(fr(S, F.sqrt, 3, 1));
    expect(getSbits(f, 3)).toBe(0x3fb504f3);
    expect(cause(f)).toBe(I);
  });

  it('abs/neg/mov.s', () => {
    const { f } = mk();
    f.setWord(1, 0xbf800000);
    f.execute(fr(S, F.abs, 2, 1));
    expect(getSbits(f, 2)).toBe(0x3f800000);
    f.execute(fr(S, F.neg, 3, 2));
    expect(getSbits(f, 3)).toBe(0xbf800000);
    f.execute(fr(S, F.mov, 4, 3));
    expect(getSbits(f, 4)).toBe(0xbf800000);
  });

  it('recip.s and rsqrt.s', () => {
    const { f } = mk();
    setS(f, 1, 16);
    f.execute(fr(S, F.rsqrt, 2, 1));
    expect(fromSbits(getSbits(f, 2))).toBe(0.25);
    f.execute(fr(S, F.recip, 2, 1));
    expect(fromSbits(getSbits(f, 2))).toBe(0.0625);
    setS(f, 1, 3);
    f.execute(fr(S, F.recip, 2, 1));
    expect(getSbits(f, 2)).toBe(0x3eaaaaab);
    expect(cause(f)).toBe(I);
  });
});

// ---- NaN handling and invalid operations -------------------------------------------------------

describe('NaNs (legacy encoding)', () => {
  it('sqrt.d(-1) gives the default qNaN 0x7FF7FFFFFFFFFFFF and Invalid', () => {
    const { f } = mk();
    setD(f, 2, -1);
    expect(f.execute(fr(D, F.sqrt, 4, 2))).toBe(EXC_NONE);
    expect(getDbits(f, 4)).toBe(0x7ff7ffffffffffffn);
    expect(cause(f)).toBe(V);
    expect(flags(f)).toBe(V);
  });

  it('sqrt.s(-1) gives 0x7FBFFFFF; sqrt(-0) = -0 without flags', () => {
    const { f } = mk();
    setS(f, 1, -1);
    f.execute(fr(S, F.sqrt, 2, 1));
    expect(getSbits(f, 2)).toBe(0x7fbfffff);
    expect(cause(f)).toBe(V);
    f.setWord(1, 0x80000000);
    f.execute(fr(S, F.sqrt, 2, 1));
    expect(getSbits(f, 2)).toBe(0x80000000);
    expect(cause(f)).toBe(0);
  });

  it('an sNaN operand (fraction MSB set) gives the default qNaN and Invalid', () => {
    const { f } = mk();
    setDbits(f, 2, 0x7ff8000000000000n); // signalling in legacy mode
    setD(f, 4, 1);
    f.execute(fr(D, F.add, 6, 4, 2));
    expect(getDbits(f, 6)).toBe(0x7ff7ffffffffffffn);
    expect(cause(f)).toBe(V);
    f.setWord(1, 0x7fc00000);
    setS(f, 2, 1);
    f.execute(fr(S, F.mul, 3, 2, 1));
    expect(getSbits(f, 3)).toBe(0x7fbfffff);
    expect(cause(f)).toBe(V);
  });

  it('a qNaN operand propagates as the default NaN without Invalid', () => {
    const { f } = mk();
    setDbits(f, 2, 0xfff0000000001234n); // quiet (fraction MSB clear), negative
    setD(f, 4, 1);
    f.execute(fr(D, F.mul, 6, 2, 4));
    expect(getDbits(f, 6)).toBe(0x7ff7ffffffffffffn);
    expect(cause(f)).toBe(0);
  });

  it('inf - inf, 0 * inf, 0 / 0, inf / inf are Invalid', () => {
    const { f } = mk();
    setD(f, 2, Infinity);
    setD(f, 4, 0);
    f.execute(fr(D, F.sub, 6, 2, 2));
    expect(getDbits(f, 6)).toBe(0x7ff7ffffffffffffn);
    expect(cause(f)).toBe(V);
    f.execute(fr(D, F.mul, 6, 2, 4));
    expect(cause(f)).toBe(V);
    f.execute(fr(D, F.div, 6, 4, 4));
    expect(cause(f)).toBe(V);
    f.execute(fr(D, F.div, 6, 2, 2));
    expect(cause(f)).toBe(V);
    setS(f, 1, Infinity);
    setS(f, 3, 0);
    f.execute(fr(S, F.mul, 5, 1, 3));
    expect(getSbits(f, 5)).toBe(0x7fbfffff);
    expect(cause(f)).toBe(V);
  });

  it('cvt.d.s and cvt.s.d of NaNs: default NaN of the target, Invalid only for sNaN', () => {
    const { f } = mk();
    f.setWord(1, 0x7f800001); // quiet
    f.execute(fr(S, F.cvtD, 2, 1));
    expect(getDbits(f, 2)).toBe(0x7ff7ffffffffffffn);
    expect(cause(f)).toBe(0);
    f.setWord(1, 0xffc00001); // signalling
    f.execute(fr(S, F.cvtD, 2, 1));
    expect(cause(f)).toBe(V);
    setDbits(f, 4, 0x7ffc000000000000n); // signalling
    f.execute(fr(D, F.cvtS, 6, 4));
    expect(getSbits(f, 6)).toBe(0x7fbfffff);
    expect(cause(f)).toBe(V);
  });
});

// ---- exceptions and traps ----------------------------------------------------------------------

describe('exceptions', () => {
  it('div.d 1/0 = +inf with DivByZero; -1/0 = -inf; inf/0 = inf without flags', () => {
    const { f } = mk();
    setD(f, 2, 1);
    setD(f, 4, 0);
    f.execute(fr(D, F.div, 6, 2, 4));
    expect(getD(f, 6)).toBe(Infinity);
    expect(cause(f)).toBe(Z);
    expect(flags(f)).toBe(Z);
    setD(f, 2, -1);
    f.execute(fr(D, F.div, 6, 2, 4));
    expect(getD(f, 6)).toBe(-Infinity);
    setD(f, 2, Infinity);
    f.execute(fr(D, F.div, 6, 2, 4));
    expect(getD(f, 6)).toBe(Infinity);
    expect(cause(f)).toBe(0);
  });

  it('enabled DivByZero traps: FPE, cause set, flags and destination untouched', () => {
    const { f } = mk();
    f.fcsr = Z << 7; // Enable.Z
    setD(f, 2, 1);
    setD(f, 4, 0);
    setD(f, 6, 42);
    expect(f.execute(fr(D, F.div, 6, 2, 4))).toBe(EXC_FPE);
    expect(getD(f, 6)).toBe(42);
    expect(cause(f)).toBe(Z);
    expect(flags(f)).toBe(0);
    setS(f, 1, 1);
    setS(f, 3, 0);
    setS(f, 5, 7);
    expect(f.execute(fr(S, F.div, 5, 1, 3))).toBe(EXC_FPE);
    expect(fromSbits(getSbits(f, 5))).toBe(7);
  });

  it('a disabled exception does not trap even when another enable is set', () => {
    const { f } = mk();
    f.fcsr = (O << 7) | (V << 7);
    setD(f, 2, 1);
    setD(f, 4, 3);
    expect(f.execute(fr(D, F.div, 6, 2, 4))).toBe(EXC_NONE);
    expect(flags(f)).toBe(I);
  });

  it('enabled Inexact traps on an inexact result', () => {
    const { f } = mk();
    f.fcsr = I << 7;
    setD(f, 2, 1);
    setD(f, 4, 3);
    setD(f, 6, 5);
    expect(f.execute(fr(D, F.div, 6, 2, 4))).toBe(EXC_FPE);
    expect(getD(f, 6)).toBe(5);
    expect(cause(f)).toBe(I);
  });

  it('overflow to +inf with Overflow+Inexact; RZ gives MAX', () => {
    const { f } = mk();
    setD(f, 2, Number.MAX_VALUE);
    setD(f, 4, 2);
    f.execute(fr(D, F.mul, 6, 2, 4));
    expect(getD(f, 6)).toBe(Infinity);
    expect(cause(f)).toBe(O | I);
    setRM(f, RZ);
    f.execute(fr(D, F.mul, 6, 2, 4));
    expect(getD(f, 6)).toBe(Number.MAX_VALUE);
    expect(cause(f)).toBe(O | I);
    setRM(f, RM);
    f.execute(fr(D, F.mul, 6, 2, 4));
    expect(getD(f, 6)).toBe(Number.MAX_VALUE);
    setD(f, 4, -2);
    f.execute(fr(D, F.mul, 6, 2, 4));
    expect(getD(f, 6)).toBe(-Infinity);
    expect(cause(f)).toBe(O | I);
    setRM(f, RP);
    f.execute(fr(D, F.mul, 6, 2, 4));
    expect(getD(f, 6)).toBe(-Number.MAX_VALUE);
  });

  it('single overflow: MAX_S * 2 = inf, and MAX_S + half-ulp ties up to inf', () => {
    const { f } = mk();
    setS(f, 1, 3.4028234663852886e38);
    setS(f, 2, 2);
    f.execute(fr(S, F.mul, 3, 1, 2));
    expect(getSbits(f, 3)).toBe(0x7f800000);
    expect(cause(f)).toBe(O | I);
    setS(f, 2, 2 ** 103); // half an ulp of MAX_S
    f.execute(fr(S, F.add, 3, 1, 2));
    expect(getSbits(f, 3)).toBe(0x7f800000);
    expect(cause(f)).toBe(O | I);
    setRM(f, RZ);
    f.execute(fr(S, F.add, 3, 1, 2));
    expect(getSbits(f, 3)).toBe(0x7f7fffff);
    expect(cause(f)).toBe(I); // exact value < 2^128: no overflow in RZ
  });

  it('directed-mode overflow threshold for doubles (exact sum between MAX and 2^1024)', () => {
    const { f } = mk();
    setD(f, 2, Number.MAX_VALUE);
    setD(f, 4, 2 ** 970); // exactly half an ulp of MAX
    f.execute(fr(D, F.add, 6, 2, 4));
    expect(getD(f, 6)).toBe(Infinity); // tie, rounds to even = 2^1024
    expect(cause(f)).toBe(O | I);
    setRM(f, RZ);
    f.execute(fr(D, F.add, 6, 2, 4));
    expect(getD(f, 6)).toBe(Number.MAX_VALUE);
    expect(cause(f)).toBe(I);
    setRM(f, RP);
    f.execute(fr(D, F.add, 6, 2, 4));
    expect(getD(f, 6)).toBe(Infinity);
    expect(cause(f)).toBe(O | I);
    // exact just above MAX (RN keeps MAX): RP must round up to 2^1024, i.e. overflow
    setD(f, 4, 2 ** 960);
    f.execute(fr(D, F.add, 6, 2, 4));
    expect(getD(f, 6)).toBe(Infinity);
    expect(cause(f)).toBe(O | I);
    setRM(f, RN);
    f.execute(fr(D, F.add, 6, 2, 4));
    expect(getD(f, 6)).toBe(Number.MAX_VALUE);
    expect(cause(f)).toBe(I);
    setS(f, 1, 3.4028234663852886e38);
    setS(f, 3, 2 ** 90);
    f.execute(fr(S, F.add, 5, 1, 3));
    expect(getSbits(f, 5)).toBe(0x7f7fffff);
    expect(cause(f)).toBe(I);
    setRM(f, RP);
    f.execute(fr(S, F.add, 5, 1, 3));
    expect(getSbits(f, 5)).toBe(0x7f800000);
    expect(cause(f)).toBe(O | I);
  });

  it('underflow: exact tiny results raise nothing, inexact tiny results raise U+I', () => {
    const { f } = mk();
    setD(f, 2, 2 ** -1022);
    setD(f, 4, 0.5);
    f.execute(fr(D, F.mul, 6, 2, 4));
    expect(getD(f, 6)).toBe(2 ** -1023);
    expect(cause(f)).toBe(0);
    setD(f, 2, 3 * 2 ** -1074);
    f.execute(fr(D, F.mul, 6, 2, 4)); // 1.5 * 2^-1074 -> 2^-1073 (tie to even)
    expect(getD(f, 6)).toBe(2 ** -1073);
    expect(cause(f)).toBe(U | I);
    setD(f, 2, 2 ** -1074);
    f.execute(fr(D, F.mul, 6, 2, 4)); // 0.5 ulp -> 0 (tie to even)
    expect(getDbits(f, 6)).toBe(0n);
    expect(cause(f)).toBe(U | I);
    setS(f, 1, 2 ** -149);
    setS(f, 2, 0.75);
    f.execute(fr(S, F.mul, 3, 1, 2));
    expect(getSbits(f, 3)).toBe(1);
    expect(cause(f)).toBe(U | I);
  });

  it('tininess is detected after rounding', () => {
    const { f } = mk();
    // (2^-1022 - 2^-1075): below MIN before rounding, rounds to MIN with unbounded exponent.
    setD(f, 2, 2 ** -1022 - 2 ** -1074);
    setD(f, 4, 1 + 2 ** -52);
    f.execute(fr(D, F.mul, 6, 2, 4));
    // exact = 2^-1022 - 2^-1074 + 2^-1074 - 2^-1126 ~= 2^-1022 - 2^-1126: rounds to 2^-1022
    expect(getD(f, 6)).toBe(2 ** -1022);
    expect(cause(f)).toBe(I);
  });

  it('FS=1 flushes tiny results to signed zero without flags (QEMU)', () => {
    const { f } = mk();
    f.fcsr = 1 << 24;
    setD(f, 2, -(2 ** -1022));
    setD(f, 4, 0.5);
    f.execute(fr(D, F.mul, 6, 2, 4));
    expect(getDbits(f, 6)).toBe(0x8000000000000000n);
    expect(cause(f)).toBe(0);
    setD(f, 2, 2 ** -1022 + 2 ** -1074);
    setD(f, 4, -(2 ** -1022));
    f.execute(fr(D, F.add, 6, 2, 4));
    expect(getDbits(f, 6)).toBe(0n);
    setS(f, 1, 2 ** -126);
    setS(f, 2, 0.5);
    f.execute(fr(S, F.mul, 3, 1, 2));
    expect(getSbits(f, 3)).toBe(0);
    // denormal inputs are not flushed
    setS(f, 1, 2 ** -140);
    setS(f, 2, 2 ** 20);
    f.execute(fr(S, F.mul, 3, 1, 2));
    expect(fromSbits(getSbits(f, 3))).toBe(2 ** -120);
  });

  it('no E cause is ever raised by arithmetic on denormals', () => {
    const { f } = mk();
    setD(f, 2, 2 ** -1070);
    setD(f, 4, 2 ** -1071);
    f.execute(fr(D, F.add, 6, 2, 4));
    expect(getD(f, 6)).toBe(3 * 2 ** -1071);
    expect(cause(f)).toBe(0);
  });
});

// ---- rounding modes ----------------------------------------------------------------------------

describe('rounding modes', () => {
  it('div.d 1/3 and -1/3 under RN/RZ/RP/RM', () => {
    const { f } = mk();
    setD(f, 2, 1);
    setD(f, 4, 3);
    setD(f, 8, -1);
    const pos = [0x3fd5555555555555n, 0x3fd5555555555555n, 0x3fd5555555555556n, 0x3fd5555555555555n];
    const neg = [0xbfd5555555555555n, 0xbfd5555555555555n, 0xbfd5555555555555n, 0xbfd5555555555556n];
    for (let rm = 0; rm < 4; rm++) {
      setRM(f, rm);
      f.execute(fr(D, F.div, 6, 2, 4));
      expect(getDbits(f, 6)).toBe(pos[rm]);
      expect(cause(f)).toBe(I);
      f.execute(fr(D, F.div, 6, 8, 4));
      expect(getDbits(f, 6)).toBe(neg[rm]);
    }
  });

  it('div.s 1/3 under RN/RZ/RP/RM', () => {
    const { f } = mk();
    setS(f, 1, 1);
    setS(f, 2, 3);
    const want = [0x3eaaaaab, 0x3eaaaaaa, 0x3eaaaaab, 0x3eaaaaaa];
    for (let rm = 0; rm < 4; rm++) {
      setRM(f, rm);
      f.execute(fr(S, F.div, 3, 1, 2));
      expect(getSbits(f, 3)).toBe(want[rm]);
    }
  });

  it('exact cancellation gives -0 only in RM', () => {
    const { f } = mk();
    setD(f, 2, 1.5);
    for (let rm = 0; rm < 4; rm++) {
      setRM(f, rm);
      f.execute(fr(D, F.sub, 4, 2, 2));
      expect(getDbits(f, 4)).toBe(rm === RM ? 0x8000000000000000n : 0n);
    }
    setRM(f, RN);
    f.setDouble(6, 0, 0x80000000); // -0
    f.execute(fr(D, F.add, 4, 6, 6));
    expect(getDbits(f, 4)).toBe(0x8000000000000000n);
  });

  it('cvt.w.d of 2.5 / -2.5 follows FCSR.RM; round/trunc/ceil/floor ignore it', () => {
    const { f } = mk();
    setD(f, 2, 2.5);
    setD(f, 4, -2.5);
    const pos = [2, 2, 3, 2];
    const neg = [-2, -2, -2, -3];
    for (let rm = 0; rm < 4; rm++) {
      setRM(f, rm);
      f.execute(fr(D, F.cvtW, 6, 2));
      expect(f.getWord(6)).toBe(pos[rm]);
      expect(cause(f)).toBe(I);
      f.execute(fr(D, F.cvtW, 6, 4));
      expect(f.getWord(6)).toBe(neg[rm]);
      f.execute(fr(D, F.roundW, 6, 2));
      expect(f.getWord(6)).toBe(2);
      f.execute(fr(D, F.roundW, 6, 4));
      expect(f.getWord(6)).toBe(-2);
      f.execute(fr(D, F.truncW, 6, 4));
      expect(f.getWord(6)).toBe(-2);
      f.execute(fr(D, F.ceilW, 6, 4));
      expect(f.getWord(6)).toBe(-2);
      f.execute(fr(D, F.floorW, 6, 4));
      expect(f.getWord(6)).toBe(-3);
    }
    setD(f, 2, 3.5);
    f.execute(fr(D, F.roundW, 6, 2));
    expect(f.getWord(6)).toBe(4);
    setD(f, 2, 7);
    f.execute(fr(D, F.cvtW, 6, 2));
    expect(f.getWord(6)).toBe(7);
    expect(cause(f)).toBe(0);
  });

  it('add.d in directed modes steps one ulp in the right direction', () => {
    const { f } = mk();
    setD(f, 2, 1);
    setD(f, 4, 2 ** -60);
    const want = [1, 1, 1 + 2 ** -52, 1];
    for (let rm = 0; rm < 4; rm++) {
      setRM(f, rm);
      f.execute(fr(D, F.add, 6, 2, 4));
      expect(getD(f, 6)).toBe(want[rm]);
      expect(cause(f)).toBe(I);
    }
    setD(f, 4, -(2 ** -60));
    const want2 = [1, 1 - 2 ** -53, 1, 1 - 2 ** -53];
    for (let rm = 0; rm < 4; rm++) {
      setRM(f, rm);
      f.execute(fr(D, F.add, 6, 2, 4));
      expect(getD(f, 6)).toBe(want2[rm]);
    }
  });

  it('sqrt.s and sqrt.d of 2 in RZ/RP', () => {
    const { f } = mk();
    setS(f, 1, 2);
    setD(f, 2, 2);
    setRM(f, RZ);
    f.execute(fr(S, F.sqrt, 3, 1));
    expect(getSbits(f, 3)).toBe(0x3fb504f3);
    f.execute(fr(D, F.sqrt, 4, 2));
    expect(getDbits(f, 4)).toBe(0x3ff6a09e667f3bccn);
    setRM(f, RP);
    f.execute(fr(S, F.sqrt, 3, 1));
    expect(getSbits(f, 3)).toBe(0x3fb504f4);
    f.execute(fr(D, F.sqrt, 4, 2));
    expect(getDbits(f, 4)).toBe(0x3ff6a09e667f3bcdn);
  });
});

// ---- exact-rational reference check of correct rounding ----------------------------------------

/** Exact rationals n/d (d > 0) built from binary floating-point values. */
type Q = { n: bigint; d: bigint };
function q(x: number): Q {
  const b = dbits(x);
  const neg = b >> 63n !== 0n;
  const e = Number((b >> 52n) & 0x7ffn);
  let m = b & 0xfffffffffffffn;
  let ex: number;
  if (e === 0) ex = -1074;
  else {
    m |= 1n << 52n;
    ex = e - 1075;
  }
  if (neg) m = -m;
  return ex >= 0 ? { n: m << BigInt(ex), d: 1n } : { n: m, d: 1n << BigInt(-ex) };
}
const qadd = (a: Q, b: Q): Q => ({ n: a.n * b.d + b.n * a.d, d: a.d * b.d });
const qmul = (a: Q, b: Q): Q => ({ n: a.n * b.n, d: a.d * b.d });
const qdiv = (a: Q, b: Q): Q => (b.n < 0n ? { n: -a.n * b.d, d: a.d * -b.n } : { n: a.n * b.d, d: a.d * b.n });
const qcmp = (a: Q, b: Q): number => {
  const x = a.n * b.d - b.n * a.d;
  return x > 0n ? 1 : x < 0n ? -1 : 0;
};

function nextUp(x: number, single: boolean): number {
  if (single) {
    const b = sbits(x);
    if (x === 0) return fromSbits(1);
    return fromSbits(x > 0 ? b + 1 : b - 1);
  }
  const b = dbits(x);
  if (x === 0) return fromDbits(1n);
  return fromDbits(x > 0 ? b + 1n : b - 1n);
}
function nextDown(x: number, single: boolean): number {
  return -nextUp(-x, single);
}

/**
 * Checks that r is the rounding of the exact value in mode rm using only order relations:
 * RD: r <= exact < up(r); RU: down(r) < exact <= r; RN: nearest, ties to even.
 * For sqrt, `exact` is compared through squares (cmpExact returns sign(exact - y)).
 */
function checkRounded(r: number, cmpExact: (y: number) => number, rm: number, single: boolean): void {
  expect(Number.isFinite(r)).toBe(true);
  const c = cmpExact(r);
  const signPos = cmpExact(0) > 0 || (cmpExact(0) === 0 && !(1 / r < 0));
  let mode = rm;
  if (rm === RZ) mode = signPos ? RM : RP;
  if (mode === RM) {
    expect(c).toBeGreaterThanOrEqual(0);
    expect(cmpExact(nextUp(r, single))).toBeLessThan(0);
  } else if (mode === RP) {
    expect(c).toBeLessThanOrEqual(0);
    expect(cmpExact(nextDown(r, single))).toBeGreaterThan(0);
  } else if (c !== 0) {
    // nearest: the exact value lies within half a gap; at a tie the even neighbour wins
    const other = c > 0 ? nextUp(r, single) : nextDown(r, single);
    const mid = qmul(qadd(q(r), q(other)), { n: 1n, d: 2n });
    const cm = cmpExactQ(mid);
    expect(c > 0 ? cm <= 0 : cm >= 0).toBe(true);
    if (cm === 0) {
      const lsb = single ? sbits(r) & 1 : Number(dbits(r) & 1n);
      expect(lsb).toBe(0);
    }
  }
}
let cmpExactQ: (y: Q) => number = () => 0;

function randomDouble(next: () => number, expSpan: number, expBase: number): number {
  const hi = ((next() & 0x800fffff) | ((((expBase + (next() % expSpan)) & 0x7ff) << 20) >>> 0)) >>> 0;
  return fromDbits((BigInt(hi) << 32n) | BigInt(next()));
}
function randomSingle(next: () => number, expSpan: number, expBase: number): number {
  return fromSbits(((next() & 0x807fffff) | (((expBase + (next() % expSpan)) & 0xff) << 23)) >>> 0);
}

/** FPU_FUZZ_ITERS=200000 npx vitest run tests/fpu.test.ts for a deeper run. */
const FUZZ_ITERS = Number(process.env.FPU_FUZZ_ITERS ?? 1200);

describe('correct rounding against exact rationals', () => {
  const ops = ['add', 'sub', 'mul', 'div', 'sqrt'] as const;
  for (const single of [false, true]) {
    for (const op of ops) {
      it(`${op}.${single ? 's' : 'd'} in all four modes, including the denormal range`, () => {
        const next = xorshift32(single ? 77 + op.length : 1234 + op.length * 7);
        const { f } = mk();
        const fmt = single ? S : D;
        const func = F[op];
        let checked = 0;
        let tinyInexact = 0;
        let tiny = 0;
        let overflows = 0;
        let flushed = 0;
        let directedInexact = 0;
        for (let iter = 0; iter < FUZZ_ITERS; iter++) {
          // mix of ordinary magnitudes and operands that land near/below the underflow threshold
          const far = iter % 3 === 0;
          let a: number, b: number;
          if (single) {
            a = randomSingle(next, far ? 40 : 8, far ? 1 : 120);
            b = randomSingle(next, far ? 40 : 8, far ? 100 : 122);
            if (op === 'mul' && far) b = randomSingle(next, 20, 40);
          } else {
            a = randomDouble(next, far ? 60 : 8, far ? 1 : 1019);
            b = randomDouble(next, far ? 60 : 8, far ? 1000 : 1021);
            if (op === 'mul' && far) b = randomDouble(next, 60, 10);
          }
          if ((op === 'add' || op === 'sub') && far) {
            // near-cancellation of tiny operands: results land in and around the denormal range
            const k = next() % 4096;
            b = single ? fromSbits((sbits(a) + k) >>> 0) : fromDbits(dbits(a) + BigInt(k));
            if (op === 'add') b = -b;
          }
          if (op === 'sqrt') a = Math.abs(a);
          if (op === 'div' && far) b = single ? randomSingle(next, 20, 160) : randomDouble(next, 60, 1060);
          if (iter % 3 === 1 && op !== 'sqrt') {
            // operands whose result lands around the overflow threshold
            const eMax = single ? 254 : 2046;
            const half = single ? 127 + 63 : 1023 + 511;
            if (op === 'mul') {
              a = single ? randomSingle(next, 4, half) : randomDouble(next, 4, half);
              b = single ? randomSingle(next, 4, half - 2) : randomDouble(next, 4, half - 2);
            } else if (op === 'div') {
              a = single ? randomSingle(next, 3, eMax - 2) : randomDouble(next, 3, eMax - 2);
              b = single ? randomSingle(next, 3, 125) : randomDouble(next, 3, 1021);
            } else {
              a = single ? randomSingle(next, 2, eMax - 1) : randomDouble(next, 2, eMax - 1);
              const span = iter % 2 === 0 ? 4 : single ? 28 : 58; // near MAX, or down to ~ulp(MAX)
              b = single ? randomSingle(next, span, eMax + 1 - span) : randomDouble(next, span, eMax + 1 - span);
              if ((a < 0) !== (b < 0) === (op === 'add')) b = -b; // same-sign magnitudes add up
            }
          }
          const qa = q(a);
          const qb = q(b);
          let exact: Q | null = null;
          if (op === 'add') exact = qadd(qa, qb);
          else if (op === 'sub') exact = qadd(qa, { n: -qb.n, d: qb.d });
          else if (op === 'mul') exact = qmul(qa, qb);
          else if (op === 'div') exact = qdiv(qa, qb);
          if (exact) {
            const ex = exact;
            cmpExactQ = (y: Q) => qcmp(ex, y);
          } else {
            cmpExactQ = (y: Q) => (y.n < 0n ? 1 : qcmp(qa, qmul(y, y)));
          }
          for (let rm = 0; rm < 4; rm++) {
            f.fcsr = rm;
            if (single) {
              setS(f, 1, a);
              setS(f, 2, b);
            } else {
              setD(f, 2, a);
              setD(f, 4, b);
            }
            const insn = op === 'sqrt' ? fr(fmt, func, 6, single ? 1 : 2) : fr(fmt, func, 6, single ? 1 : 2, single ? 2 : 4);
            expect(f.execute(insn)).toBe(EXC_NONE);
            const r = single ? fromSbits(getSbits(f, 6)) : getD(f, 6);
            // FS=1 (QEMU): a result that is tiny before rounding becomes a zero of the same sign
            // with no flags at all; every other result is unchanged.
            {
              const bits0 = single ? BigInt(getSbits(f, 6)) : getDbits(f, 6);
              const cause0 = cause(f);
              const minQ = q(single ? 2 ** -126 : 2 ** -1022);
              const tinyExact = cmpExactQ(minQ) < 0 && cmpExactQ({ n: -minQ.n, d: minQ.d }) > 0 && cmpExactQ(q(0)) !== 0;
              f.fcsr = rm | (1 << 24);
              expect(f.execute(insn)).toBe(EXC_NONE);
              const bits1 = single ? BigInt(getSbits(f, 6)) : getDbits(f, 6);
              if (tinyExact) {
                const negZero = single ? 0x80000000n : 0x8000000000000000n;
                expect(bits1).toBe(cmpExactQ(q(0)) < 0 ? negZero : 0n);
                expect(cause(f)).toBe(0);
                flushed++;
              } else {
                expect(bits1).toBe(bits0);
                expect(cause(f)).toBe(cause0);
              }
              f.fcsr = rm;
              expect(f.execute(insn)).toBe(EXC_NONE); // restore the FS=0 result and cause
            }
            const max = single ? 3.4028234663852886e38 : Number.MAX_VALUE;
            const negExact = cmpExactQ(q(0)) < 0;
            // IEEE overflow: the result rounded with an unbounded exponent exceeds MAX. For a
            // positive exact value x: RN overflows iff x >= MAX + ulp/2, RZ and RM iff x >= 2^(emax+1),
            // RP iff x > MAX (mirrored for negative values).
            const topHalf = single ? 2 ** 127 : 2 ** 1023; // 2^(emax+1) / 2, finite
            const halfUlp = single ? 2 ** 103 : 2 ** 970;
            const mag = (y: number) => (negExact ? -y : y);
            const away = rm === RN ? RN : rm === RZ ? RZ : (rm === RP) !== negExact ? RP : RZ;
            let overflow: boolean;
            if (away === RN) overflow = cmpExactQ(qadd(q(mag(max)), q(mag(halfUlp)))) * (negExact ? -1 : 1) >= 0;
            else if (away === RP) overflow = cmpExactQ(q(mag(max))) * (negExact ? -1 : 1) > 0;
            else overflow = cmpExactQ(qmul(q(mag(topHalf)), { n: 2n, d: 1n })) * (negExact ? -1 : 1) >= 0;
            expect((cause(f) & O) !== 0).toBe(overflow);
            if (overflow) {
              expect(Math.abs(r)).toBe(away === RZ ? max : Infinity);
              expect(cause(f) & I).toBe(I);
              overflows++;
              continue;
            }
            checkRounded(r, (y) => cmpExactQ(q(y)), rm, single);
            const isExact = cmpExactQ(q(r)) === 0;
            expect((cause(f) & I) !== 0).toBe(!isExact);
            // Underflow can only accompany a result below 2^emin (or at it, after rounding up).
            const min = single ? 2 ** -126 : 2 ** -1022;
            if (Math.abs(r) > min) expect(cause(f) & U).toBe(0);
            if (r !== 0 && Math.abs(r) < min) tiny++;
            if (Math.abs(r) < min && !isExact) {
              expect(cause(f) & U).toBe(U);
              tinyInexact++;
            }
            if (rm !== RN && !isExact) directedInexact++;
            checked++;
          }
        }
        expect(checked).toBeGreaterThan(FUZZ_ITERS * 2);
        // coverage of the interesting regions (the defaults give a few hundred of each)
        const some = Math.floor(FUZZ_ITERS / 24);
        expect(directedInexact).toBeGreaterThan(some * 20);
        // sqrt never produces tiny or huge results, and tiny sums are always exact
        if (op !== 'sqrt') expect(tiny).toBeGreaterThan(some);
        if (op !== 'sqrt') expect(overflows).toBeGreaterThan(some);
        if (op === 'mul' || op === 'div') expect(tinyInexact).toBeGreaterThan(some);
        if (op !== 'sqrt') expect(flushed).toBeGreaterThan(some);
      });
    }
  }
});

// ---- conversions -------------------------------------------------------------------------------

describe('conversions', () => {
  it('cvt.w of NaN, inf and out-of-range values gives 0x7FFFFFFF with Invalid only', () => {
    const { f } = mk();
    setDbits(f, 2, 0x7ff0000000000001n);
    f.execute(fr(D, F.cvtW, 6, 2));
    expect(f.getWord(6) >>> 0).toBe(0x7fffffff);
    expect(cause(f)).toBe(V);
    for (const x of [3e9, -3e9, Infinity, -Infinity, 2147483647.5, -2147483649]) {
      setD(f, 2, x);
      f.execute(fr(D, F.cvtW, 6, 2));
      expect(f.getWord(6)).toBe(0x7fffffff);
      expect(cause(f)).toBe(V);
    }
    setD(f, 2, -2147483648.25);
    f.execute(fr(D, F.cvtW, 6, 2));
    expect(f.getWord(6)).toBe(-2147483648);
    expect(cause(f)).toBe(I);
    f.setWord(1, 0x7fc00000);
    f.execute(fr(S, F.truncW, 3, 1));
    expect(f.getWord(3)).toBe(0x7fffffff);
    expect(cause(f)).toBe(V);
  });

  it('enabled Invalid on cvt.w traps and keeps the destination', () => {
    const { f } = mk();
    f.fcsr = V << 7;
    setD(f, 2, NaN);
    f.setWord(6, 1234);
    expect(f.execute(fr(D, F.cvtW, 6, 2))).toBe(EXC_FPE);
    expect(f.getWord(6)).toBe(1234);
    expect(cause(f)).toBe(V);
  });

  it('64-bit conversions: cvt.l.d, trunc.l.s, overflow, cvt.d.l, cvt.s.l', () => {
    const { f } = mk();
    setD(f, 2, -(2 ** 40) - 0.5);
    f.execute(fr(D, F.cvtL, 4, 2)); // RN: tie to even
    expect(getDbits(f, 4)).toBe(BigInt.asUintN(64, -(2n ** 40n)));
    expect(cause(f)).toBe(I);
    f.execute(fr(D, F.floorL, 4, 2));
    expect(getDbits(f, 4)).toBe(BigInt.asUintN(64, -(2n ** 40n) - 1n));
    setD(f, 2, 2 ** 63);
    f.execute(fr(D, F.truncL, 4, 2));
    expect(getDbits(f, 4)).toBe(0x7fffffffffffffffn);
    expect(cause(f)).toBe(V);
    setD(f, 2, -(2 ** 63));
    f.execute(fr(D, F.truncL, 4, 2));
    expect(getDbits(f, 4)).toBe(0x8000000000000000n);
    expect(cause(f)).toBe(0);
    setS(f, 1, 123456.75);
    f.execute(fr(S, F.truncL, 4, 1));
    expect(getDbits(f, 4)).toBe(123456n);
    f.execute(fr(S, F.ceilL, 4, 1));
    expect(getDbits(f, 4)).toBe(123457n);
    f.execute(fr(S, F.roundL, 4, 1));
    expect(getDbits(f, 4)).toBe(123457n);

    setDbits(f, 2, 0x7fffffffffffffffn);
    f.execute(fr(L, F.cvtD, 4, 2));
    expect(getD(f, 4)).toBe(2 ** 63);
    expect(cause(f)).toBe(I);
    setRM(f, RZ);
    f.execute(fr(L, F.cvtD, 4, 2));
    expect(getDbits(f, 4)).toBe(0x43dfffffffffffffn);
    setRM(f, RN);
    setDbits(f, 2, BigInt.asUintN(64, -123456789n));
    f.execute(fr(L, F.cvtD, 4, 2));
    expect(getD(f, 4)).toBe(-123456789);
    expect(cause(f)).toBe(0);
    // 2^40 + 2^16 + 1 is 41 bits: needs rounding to 24 bits (RN gives 2^40 + 2^17)
    setDbits(f, 2, 2n ** 40n + 2n ** 16n + 1n);
    f.execute(fr(L, F.cvtS, 5, 2));
    expect(fromSbits(getSbits(f, 5))).toBe(2 ** 40 + 2 ** 17);
    expect(cause(f)).toBe(I);
    // 2^62 + 2^38 + 1: a double-rounding trap (via binary64 it would tie down to 2^62)
    setDbits(f, 2, 2n ** 62n + 2n ** 38n + 1n);
    f.execute(fr(L, F.cvtS, 5, 2));
    expect(fromSbits(getSbits(f, 5))).toBe(2 ** 62 + 2 ** 39);
    setRM(f, RZ);
    f.execute(fr(L, F.cvtS, 5, 2));
    expect(fromSbits(getSbits(f, 5))).toBe(2 ** 62);
  });

  it('cvt.s.w, cvt.d.w, cvt.w.s', () => {
    const { f } = mk();
    f.setWord(1, 16777217);
    f.execute(fr(W, F.cvtS, 2, 1));
    expect(fromSbits(getSbits(f, 2))).toBe(16777216);
    expect(cause(f)).toBe(I);
    setRM(f, RP);
    f.execute(fr(W, F.cvtS, 2, 1));
    expect(fromSbits(getSbits(f, 2))).toBe(16777218);
    setRM(f, RN);
    f.setWord(1, -7);
    f.execute(fr(W, F.cvtD, 4, 1));
    expect(getD(f, 4)).toBe(-7);
    expect(cause(f)).toBe(0);
    setS(f, 3, -1.5);
    f.execute(fr(S, F.cvtW, 5, 3));
    expect(f.getWord(5)).toBe(-2);
  });

  it('cvt.s.d rounds per mode; cvt.d.s is exact (denormal singles included)', () => {
    const { f } = mk();
    setD(f, 2, 0.1);
    f.execute(fr(D, F.cvtS, 4, 2));
    expect(getSbits(f, 4)).toBe(0x3dcccccd);
    expect(cause(f)).toBe(I);
    setRM(f, RZ);
    f.execute(fr(D, F.cvtS, 4, 2));
    expect(getSbits(f, 4)).toBe(0x3dcccccc);
    setRM(f, RN);
    setD(f, 2, 1e39);
    f.execute(fr(D, F.cvtS, 4, 2));
    expect(getSbits(f, 4)).toBe(0x7f800000);
    expect(cause(f)).toBe(O | I);
    setD(f, 2, 1e-50);
    f.execute(fr(D, F.cvtS, 4, 2));
    expect(getSbits(f, 4)).toBe(0);
    expect(cause(f)).toBe(U | I);
    f.setWord(5, 0x00000003); // 3 * 2^-149
    f.execute(fr(S, F.cvtD, 6, 5));
    expect(getD(f, 6)).toBe(3 * 2 ** -149);
    expect(cause(f)).toBe(0);
  });
});

// ---- register file and FR modes ----------------------------------------------------------------

describe('register file', () => {
  it('FR=0: an LDC1-style setDouble on an even register fills the odd single', () => {
    const { f } = mk(false);
    f.setDouble(2, 0x11111111, 0x22222222);
    expect(f.getWord(2)).toBe(0x11111111);
    expect(f.getWord(3)).toBe(0x22222222);
    expect(f.getHigh(2)).toBe(0x22222222);
    expect(f.raw[4]).toBe(0x11111111);
    expect(f.raw[5]).toBe(0x22222222);
    f.setWord(3, 0x33333333);
    expect(f.getDoubleHi(2)).toBe(0x33333333);
    f.setHigh(2, 0x44444444);
    expect(f.getWord(3)).toBe(0x44444444);
  });

  it('FR=1: every register is 64-bit; MTC1 keeps the upper half', () => {
    const { f } = mk(true);
    f.setDouble(3, 0x11111111, 0x22222222);
    expect(f.getWord(3)).toBe(0x11111111);
    expect(f.getHigh(3)).toBe(0x22222222);
    expect(f.raw[6]).toBe(0x11111111);
    expect(f.raw[7]).toBe(0x22222222);
    expect(f.getWord(2)).toBe(0);
    f.setWord(3, 0x55555555);
    expect(f.getDoubleHi(3)).toBe(0x22222222);
    expect(f.getDoubleLo(3)).toBe(0x55555555);
    expect(f.f64[3]).toBe(fromDbits(0x2222222255555555n));
  });

  it('FR=0 vs FR=1 views of the same storage', () => {
    const { f } = mk(true);
    f.setDouble(0, 0xaaaaaaaa, 0xbbbbbbbb);
    f.setDouble(1, 0xcccccccc, 0xdddddddd);
    f.fr = false;
    expect(f.getWord(0) >>> 0).toBe(0xaaaaaaaa);
    expect(f.getWord(1) >>> 0).toBe(0xbbbbbbbb);
  });

  it('single ops on odd registers with FR=0 use the high halves', () => {
    const { f } = mk(false);
    setS(f, 1, 1.5);
    setS(f, 3, 2.5);
    f.execute(fr(S, F.add, 5, 1, 3));
    // single 5 is the high word of 64-bit register 4
    expect(fromSbits(f.raw[9])).toBe(4);
    expect(f.raw[8]).toBe(0);
  });

  it('MFC1/MTC1/MFHC1/MTHC1 through the GPRs; $zero is never written', () => {
    const { f, gpr } = mk(true);
    gpr[5] = -123;
    gpr[6] = 0x3ff00000;
    f.execute(mv(4, 5, 8)); // mtc1 $5, $f8
    f.execute(mv(7, 6, 8)); // mthc1 $6, $f8
    expect(f.getDoubleLo(8)).toBe(-123);
    expect(f.getDoubleHi(8)).toBe(0x3ff00000);
    f.execute(mv(0, 9, 8)); // mfc1 $9, $f8
    f.execute(mv(3, 10, 8)); // mfhc1 $10, $f8
    expect(gpr[9]).toBe(-123);
    expect(gpr[10]).toBe(0x3ff00000);
    f.execute(mv(0, 0, 8));
    expect(gpr[0]).toBe(0);
  });

  it('MOVN.fmt / MOVZ.fmt test the GPR', () => {
    const { f, gpr } = mk(true);
    setD(f, 2, 1.25);
    setD(f, 4, 9);
    gpr[7] = 0;
    f.execute(fr(D, F.movn, 4, 2, 7));
    expect(getD(f, 4)).toBe(9);
    f.execute(fr(D, F.movz, 4, 2, 7));
    expect(getD(f, 4)).toBe(1.25);
    gpr[7] = 5;
    setS(f, 6, 3);
    f.execute(fr(S, F.movn, 8, 6, 7));
    expect(fromSbits(getSbits(f, 8))).toBe(3);
    setS(f, 6, 4);
    f.execute(fr(S, F.movz, 8, 6, 7));
    expect(fromSbits(getSbits(f, 8))).toBe(3);
  });

  it('MOVF/MOVT.fmt test the condition code', () => {
    const { f } = mk(true);
    setD(f, 2, 1.5);
    setD(f, 4, 0);
    f.fcsr = 1 << 27; // FCC3
    f.execute(movcf(D, 4, 2, 3, 0)); // movf: cc3 set -> no move
    expect(getD(f, 4)).toBe(0);
    f.execute(movcf(D, 4, 2, 3, 1)); // movt
    expect(getD(f, 4)).toBe(1.5);
    f.execute(movcf(S, 6, 2, 0, 0)); // movf.s on cc0 (clear)
    expect(f.getWord(6)).toBe(f.getWord(2));
  });
});

// ---- compares ----------------------------------------------------------------------------------

describe('C.cond.fmt', () => {
  it('all 16 predicates on less / equal / greater / unordered', () => {
    const { f } = mk();
    const table: Record<keyof typeof COND, [boolean, boolean, boolean, boolean]> = {
      // [less, equal, greater, unordered]
      f: [false, false, false, false], un: [false, false, false, true],
      eq: [false, true, false, false], ueq: [false, true, false, true],
      olt: [true, false, false, false], ult: [true, false, false, true],
      ole: [true, true, false, false], ule: [true, true, false, true],
      sf: [false, false, false, false], ngle: [false, false, false, true],
      seq: [false, true, false, false], ngl: [false, true, false, true],
      lt: [true, false, false, false], nge: [true, false, false, true],
      le: [true, true, false, false], ngt: [true, true, false, true],
    };
    const pairs: [number, number][] = [[1, 2], [2, 2], [3, 2], [NaN, 2]];
    for (const [name, want] of Object.entries(table) as [keyof typeof COND, boolean[]][]) {
      for (let k = 0; k < 4; k++) {
        if (k === 3) {
          // legacy quiet NaNs (fraction MSB clear); JS NaN would store a signalling pattern
          setDbits(f, 2, 0x7ff4000000000000n);
          f.setWord(1, 0x7fa00000);
        } else {
          setD(f, 2, pairs[k][0]);
          setS(f, 1, pairs[k][0]);
        }
        setD(f, 4, pairs[k][1]);
        setS(f, 3, pairs[k][1]);
        f.fcsr = 0;
        expect(f.execute(cmp(D, COND[name], 2, 4, 0))).toBe(EXC_NONE);
        expect(f.condition(0)).toBe(want[k]);
        f.fcsr = 0;
        expect(f.execute(cmp(S, COND[name], 1, 3, 0))).toBe(EXC_NONE);
        expect(f.condition(0)).toBe(want[k]);
        const signalling = COND[name] >= 8;
        expect(cause(f)).toBe(k === 3 && signalling ? V : 0);
      }
    }
  });

  it('c.lt.d with a qNaN raises Invalid; c.ult.d and c.olt.d do not', () => {
    const { f } = mk();
    setDbits(f, 2, 0x7ff0000000000001n); // qNaN
    setD(f, 4, 1);
    f.execute(cmp(D, COND.lt, 2, 4));
    expect(f.condition(0)).toBe(false);
    expect(cause(f)).toBe(V);
    f.execute(cmp(D, COND.ult, 2, 4));
    expect(f.condition(0)).toBe(true);
    expect(cause(f)).toBe(0);
    f.execute(cmp(D, COND.olt, 2, 4));
    expect(f.condition(0)).toBe(false);
    expect(cause(f)).toBe(0);
    expect(flags(f)).toBe(V);
    setDbits(f, 2, 0x7ff8000000000000n); // sNaN makes even quiet predicates signal
    f.execute(cmp(D, COND.eq, 2, 4));
    expect(cause(f)).toBe(V);
  });

  it('an enabled Invalid compare traps and leaves the condition code', () => {
    const { f } = mk();
    f.fcsr = (V << 7) | (1 << 23);
    setD(f, 2, NaN);
    setD(f, 4, 1);
    expect(f.execute(cmp(D, COND.lt, 2, 4))).toBe(EXC_FPE);
    expect(f.condition(0)).toBe(true);
  });

  it('condition codes cc1..7 live in FCSR bits 25..31 and show in FCCR', () => {
    const { f } = mk();
    setS(f, 1, 1);
    setS(f, 2, 2);
    for (let cc = 1; cc < 8; cc++) {
      f.execute(cmp(S, COND.olt, 1, 2, cc));
      expect(f.condition(cc)).toBe(true);
      expect((f.fcsr >>> (24 + cc)) & 1).toBe(1);
    }
    expect(f.condition(0)).toBe(false);
    expect(f.readControl(25)).toBe(0xfe);
    f.execute(cmp(S, COND.olt, 2, 1, 5));
    expect(f.condition(5)).toBe(false);
    expect(f.readControl(25)).toBe(0xde);
    f.execute(cmp(S, COND.eq, 1, 1, 0));
    expect(f.fcsr & (1 << 23)).not.toBe(0);
    expect(f.readControl(25)).toBe(0xdf);
    expect(f.condition(0)).toBe(true);
  });
});

// ---- COP1X multiply-add ------------------------------------------------------------------------

describe('madd/msub/nmadd/nmsub', () => {
  it('madd.d fd = fs*ft + fr', () => {
    const { f } = mk();
    setD(f, 2, 2);
    setD(f, 4, 3);
    setD(f, 6, 1);
    expect(f.execute(madd(4, 1, 8, 6, 2, 4))).toBe(EXC_NONE);
    expect(getD(f, 8)).toBe(7);
    f.execute(madd(5, 1, 8, 6, 2, 4));
    expect(getD(f, 8)).toBe(5);
    f.execute(madd(6, 1, 8, 6, 2, 4));
    expect(getD(f, 8)).toBe(-7);
    f.execute(madd(7, 1, 8, 6, 2, 4));
    expect(getD(f, 8)).toBe(-5);
  });

  it('madd.d rounds the product before adding (not fused)', () => {
    const { f } = mk();
    setD(f, 2, 1 + 2 ** -30);
    setD(f, 4, 1 - 2 ** -30);
    setD(f, 6, -1);
    f.execute(madd(4, 1, 8, 6, 2, 4)); // fused would give -2^-60
    expect(getD(f, 8)).toBe(0);
    expect(cause(f)).toBe(I);
  });

  it('madd.s and nmadd of a NaN result', () => {
    const { f } = mk();
    setS(f, 1, 1.5);
    setS(f, 2, 2);
    setS(f, 3, 0.25);
    f.execute(madd(4, 0, 4, 3, 1, 2));
    expect(fromSbits(getSbits(f, 4))).toBe(3.25);
    setS(f, 1, Infinity);
    setS(f, 2, 0);
    f.execute(madd(6, 0, 4, 3, 1, 2)); // -(inf*0 + 0.25): QEMU flips the default NaN's sign
    expect(getSbits(f, 4)).toBe(0xffbfffff);
    expect(cause(f)).toBe(V);
  });

  it('COP1X indexed loads/stores are left to the CPU; PS and odd FR=0 doubles are RI', () => {
    const { f } = mk(false);
    const x = (func: number, fd = 0, fs = 0) => ((0x13 << 26) | (fs << 11) | (fd << 6) | func) >>> 0;
    expect(f.execute(x(0x00))).toBe(-1); // LWXC1
    expect(f.execute(x(0x01, 2))).toBe(-1); // LDXC1
    expect(f.execute(x(0x01, 3))).toBe(EXC_RI);
    expect(f.execute(x(0x05))).toBe(EXC_RI); // LUXC1 needs FR=1
    expect(f.execute(madd(4, 6, 0, 0, 0, 0))).toBe(EXC_RI); // MADD.PS
    expect(f.execute(madd(4, 1, 1, 0, 2, 4))).toBe(EXC_RI); // MADD.D odd fd
    f.fr = true;
    expect(f.execute(x(0x05))).toBe(-1);
  });
});

// ---- control registers and reserved encodings --------------------------------------------------

describe('control registers', () => {
  it('FIR reads 0x00739300; unknown control registers read 0', () => {
    const { f, gpr } = mk();
    f.execute(mv(2, 3, 0));
    expect(gpr[3]).toBe(0x00739300);
    expect(f.readControl(5)).toBe(0);
  });

  it('CTC1 31 honours the writable mask 0xFF83FFFF (cause E included)', () => {
    const { f } = mk();
    expect(f.writeControl(31, 0xfffc0fff)).toBe(EXC_NONE); // everything but the cause bits
    expect(f.fcsr).toBe(0xff800fff);
    f.writeControl(31, 0);
    expect(f.writeControl(31, 0x007c0000)).toBe(EXC_NONE);
    expect(f.fcsr).toBe(0);
  });

  it('CTC1 raises FPE when a cause bit is enabled, or when cause E is set', () => {
    const { f } = mk();
    expect(f.writeControl(31, (Z << 12) | (Z << 7))).toBe(EXC_FPE);
    expect(f.fcsr).toBe(((Z << 12) | (Z << 7)) >>> 0); // the write itself happened
    expect(f.writeControl(31, 0x20 << 12)).toBe(EXC_FPE);
    expect(f.writeControl(31, (I << 12) | (Z << 7))).toBe(EXC_NONE);
  });

  it('FCCR, FEXR and FENR are views of FCSR', () => {
    const { f } = mk();
    f.writeControl(25, 0xa5);
    expect(f.fcsr).toBe(((0xa4 << 24) | (1 << 23)) >>> 0);
    expect(f.readControl(25)).toBe(0xa5);
    f.writeControl(25, 0x100); // bits above 7 set: write ignored
    expect(f.readControl(25)).toBe(0xa5);
    f.writeControl(26, 0x0003f07c & ~(0x3f << 12)); // flags only
    expect(f.readControl(26)).toBe(0x7c);
    f.writeControl(28, 0x00000f87); // enables + FS + RM
    expect(f.fcsr & 0x01000f83).toBe(0x01000f83);
    expect(f.readControl(28)).toBe(0xf87);
    expect(f.readControl(31) >>> 0).toBe(f.fcsr);
  });

  it('CTC1/CFC1 through execute and GPRs', () => {
    const { f, gpr } = mk();
    gpr[4] = 3;
    expect(f.execute(mv(6, 4, 31))).toBe(EXC_NONE);
    expect(f.fcsr & 3).toBe(3);
    f.execute(mv(2, 5, 31));
    expect(gpr[5]).toBe(3);
    gpr[4] = (V << 12) | (V << 7);
    expect(f.execute(mv(6, 4, 31))).toBe(EXC_FPE);
  });

  it('reserved encodings raise RI', () => {
    const { f } = mk(false);
    expect(f.execute(fr(PS, F.add, 0, 2, 4))).toBe(EXC_RI);
    expect(f.execute(fr(D, F.add, 0, 3, 4))).toBe(EXC_RI); // odd register, FR=0
    expect(f.execute(fr(D, F.cvtL, 0, 2))).toBe(EXC_RI); // .L needs FR=1
    expect(f.execute(fr(L, F.cvtD, 0, 2))).toBe(EXC_RI);
    expect(f.execute(fr(S, F.cvtS, 0, 2))).toBe(EXC_RI); // cvt.s.s
    expect(f.execute(fr(D, F.cvtD, 0, 2))).toBe(EXC_RI); // cvt.d.d
    expect(f.execute(fr(W, F.add, 0, 2, 4))).toBe(EXC_RI);
    expect(f.execute(fr(S, 38, 0, 2, 4))).toBe(EXC_RI); // cvt.ps.s
    expect(f.execute(fr(S, 28, 0, 2, 4))).toBe(EXC_RI); // recip2 (MIPS-3D)
    expect(f.execute(cmp(S, COND.eq, 2, 4) | 0x40)).toBe(EXC_RI); // cabs
    expect(f.execute(mv(1, 2, 2))).toBe(EXC_RI); // dmfc1
    expect(f.execute(mv(9, 0, 0))).toBe(EXC_RI); // bc1any2
    expect(f.execute(fr(24, 0, 0, 0))).toBe(EXC_RI);
    // but MOVZ.D on an odd register is accepted (QEMU uses the even pair)
    expect(f.execute(fr(D, F.movz, 3, 5, 0))).toBe(EXC_NONE);
    f.fr = true;
    expect(f.execute(fr(D, F.add, 0, 3, 5))).toBe(EXC_NONE);
  });

  it('RI and FPE leave state unchanged for the RI case', () => {
    const { f } = mk(false);
    f.fcsr = 0x00003000;
    expect(f.execute(fr(D, F.add, 1, 2, 4))).toBe(EXC_RI);
    expect(f.fcsr).toBe(0x00003000);
  });
});
