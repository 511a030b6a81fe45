/**
 * A tiny MIPS32r2 encoder for hand-assembled CPU tests. Every function returns one instruction
 * word (unsigned). Branch offsets are in instructions, relative to the delay slot (PC + 4), as
 * the hardware counts them: `beq(ZERO, ZERO, -1)` branches to itself.
 * Encodings follow the MIPS32 Release 2 instruction set manual (MD00086).
 */

// ---------------------------------------------------------------- registers

export const ZERO = 0, AT = 1, V0 = 2, V1 = 3, A0 = 4, A1 = 5, A2 = 6, A3 = 7;
export const T0 = 8, T1 = 9, T2 = 10, T3 = 11, T4 = 12, T5 = 13, T6 = 14, T7 = 15;
export const S0 = 16, S1 = 17, S2 = 18, S3 = 19, S4 = 20, S5 = 21, S6 = 22, S7 = 23;
export const T8 = 24, T9 = 25, K0 = 26, K1 = 27, GP = 28, SP = 29, FP = 30, RA = 31;

/** CP0 register numbers (select 0 unless noted). */
export const C0_INDEX = 0, C0_RANDOM = 1, C0_ENTRYLO0 = 2, C0_ENTRYLO1 = 3, C0_CONTEXT = 4;
export const C0_PAGEMASK = 5, C0_WIRED = 6, C0_HWRENA = 7, C0_BADVADDR = 8, C0_COUNT = 9;
export const C0_ENTRYHI = 10, C0_COMPARE = 11, C0_STATUS = 12, C0_CAUSE = 13, C0_EPC = 14;
export const C0_PRID = 15; // sel 1 = EBase
export const C0_CONFIG = 16, C0_LLADDR = 17, C0_ERROREPC = 30;

// ---------------------------------------------------------------- field packers

const u = (x: number): number => x >>> 0;
const imm16 = (v: number): number => v & 0xffff;

function check(reg: number): number {
  if (!Number.isInteger(reg) || reg < 0 || reg > 31) throw new RangeError(`bad register ${reg}`);
  return reg;
}

function iType(op: number, rs: number, rt: number, imm: number): number {
  return u((op << 26) | (check(rs) << 21) | (check(rt) << 16) | imm16(imm));
}

function rType(fn: number, rs: number, rt: number, rd: number, sa = 0): number {
  return u((check(rs) << 21) | (check(rt) << 16) | (check(rd) << 11) | ((sa & 31) << 6) | fn);
}

function special2(fn: number, rs: number, rt: number, rd: number): number {
  return u((0x1c << 26) | rType(fn, rs, rt, rd));
}

function special3(fn: number, rs: number, rt: number, rd: number, sa: number): number {
  return u((0x1f << 26) | rType(fn, rs, rt, rd, sa));
}

function regimm(sub: number, rs: number, imm: number): number {
  return iType(0x01, rs, sub, imm);
}

// ---------------------------------------------------------------- SPECIAL

export const nop = (): number => 0;
export const sll = (rd: number, rt: number, sa: number) => rType(0x00, 0, rt, rd, sa);
export const srl = (rd: number, rt: number, sa: number) => rType(0x02, 0, rt, rd, sa);
/** ROTR is SRL with the rs field = 1. */
export const rotr = (rd: number, rt: number, sa: number) => rType(0x02, 1, rt, rd, sa);
export const sra = (rd: number, rt: number, sa: number) => rType(0x03, 0, rt, rd, sa);
export const sllv = (rd: number, rt: number, rs: number) => rType(0x04, rs, rt, rd);
export const srlv = (rd: number, rt: number, rs: number) => rType(0x06, rs, rt, rd);
/** ROTRV is SRLV with the sa field = 1. */
export const rotrv = (rd: number, rt: number, rs: number) => rType(0x06, rs, rt, rd, 1);
export const srav = (rd: number, rt: number, rs: number) => rType(0x07, rs, rt, rd);
export const jr = (rs: number) => rType(0x08, rs, 0, 0);
export const jalr = (rs: number, rd: number = RA) => rType(0x09, rs, 0, rd);
export const movz = (rd: number, rs: number, rt: number) => rType(0x0a, rs, rt, rd);
export const movn = (rd: number, rs: number, rt: number) => rType(0x0b, rs, rt, rd);
export const syscall = (code = 0) => u(((code & 0xfffff) << 6) | 0x0c);
export const brk = (code = 0) => u(((code & 0xfffff) << 6) | 0x0d);
export const sync = () => 0x0f;
export const mfhi = (rd: number) => rType(0x10, 0, 0, rd);
export const mthi = (rs: number) => rType(0x11, rs, 0, 0);
export const mflo = (rd: number) => rType(0x12, 0, 0, rd);
export const mtlo = (rs: number) => rType(0x13, rs, 0, 0);
export const mult = (rs: number, rt: number) => rType(0x18, rs, rt, 0);
export const multu = (rs: number, rt: number) => rType(0x19, rs, rt, 0);
export const div = (rs: number, rt: number) => rType(0x1a, rs, rt, 0);
export const divu = (rs: number, rt: number) => rType(0x1b, rs, rt, 0);
export const add = (rd: number, rs: number, rt: number) => rType(0x20, rs, rt, rd);
export const addu = (rd: number, rs: number, rt: number) => rType(0x21, rs, rt, rd);
export const sub = (rd: number, rs: number, rt: number) => rType(0x22, rs, rt, rd);
export const subu = (rd: number, rs: number, rt: number) => rType(0x23, rs, rt, rd);
export const and = (rd: number, rs: number, rt: number) => rType(0x24, rs, rt, rd);
export const or = (rd: number, rs: number, rt: number) => rType(0x25, rs, rt, rd);
export const xor = (rd: number, rs: number, rt: number) => rType(0x26, rs, rt, rd);
export const nor = (rd: number, rs: number, rt: number) => rType(0x27, rs, rt, rd);
export const slt = (rd: number, rs: number, rt: number) => rType(0x2a, rs, rt, rd);
export const sltu = (rd: number, rs: number, rt: number) => rType(0x2b, rs, rt, rd);
export const tge = (rs: number, rt: number) => rType(0x30, rs, rt, 0);
export const tgeu = (rs: number, rt: number) => rType(0x31, rs, rt, 0);
export const tlt = (rs: number, rt: number) => rType(0x32, rs, rt, 0);
export const tltu = (rs: number, rt: number) => rType(0x33, rs, rt, 0);
export const teq = (rs: number, rt: number) => rType(0x34, rs, rt, 0);
export const tne = (rs: number, rt: number) => rType(0x36, rs, rt, 0);
/** MOVF (tf = 0) / MOVT (tf = 1) on FP condition code cc. */
export const movf = (rd: number, rs: number, cc: number) => rType(0x01, rs, (cc & 7) << 2, rd);
export const movt = (rd: number, rs: number, cc: number) => rType(0x01, rs, ((cc & 7) << 2) | 1, rd);
export const ehb = () => sll(0, 0, 3);

// ---------------------------------------------------------------- REGIMM

export const bltz = (rs: number, off: number) => regimm(0x00, rs, off);
export const bgez = (rs: number, off: number) => regimm(0x01, rs, off);
export const bltzl = (rs: number, off: number) => regimm(0x02, rs, off);
export const bgezl = (rs: number, off: number) => regimm(0x03, rs, off);
export const tgei = (rs: number, imm: number) => regimm(0x08, rs, imm);
export const tgeiu = (rs: number, imm: number) => regimm(0x09, rs, imm);
export const tlti = (rs: number, imm: number) => regimm(0x0a, rs, imm);
export const tltiu = (rs: number, imm: number) => regimm(0x0b, rs, imm);
export const teqi = (rs: number, imm: number) => regimm(0x0c, rs, imm);
export const tnei = (rs: number, imm: number) => regimm(0x0e, rs, imm);
export const bltzal = (rs: number, off: number) => regimm(0x10, rs, off);
export const bgezal = (rs: number, off: number) => regimm(0x11, rs, off);
export const bltzall = (rs: number, off: number) => regimm(0x12, rs, off);
export const bgezall = (rs: number, off: number) => regimm(0x13, rs, off);
export const bal = (off: number) => bgezal(ZERO, off);
export const synci = (off: number, base: number) => regimm(0x1f, base, off);

// ---------------------------------------------------------------- jumps and branches

/** J/JAL take the full target address; only its bits 27:2 are encoded. */
export const j = (target: number) => u((0x02 << 26) | ((target >>> 2) & 0x03ffffff));
export const jal = (target: number) => u((0x03 << 26) | ((target >>> 2) & 0x03ffffff));
export const beq = (rs: number, rt: number, off: number) => iType(0x04, rs, rt, off);
export const bne = (rs: number, rt: number, off: number) => iType(0x05, rs, rt, off);
export const blez = (rs: number, off: number) => iType(0x06, rs, 0, off);
export const bgtz = (rs: number, off: number) => iType(0x07, rs, 0, off);
export const beql = (rs: number, rt: number, off: number) => iType(0x14, rs, rt, off);
export const bnel = (rs: number, rt: number, off: number) => iType(0x15, rs, rt, off);
export const blezl = (rs: number, off: number) => iType(0x16, rs, 0, off);
export const bgtzl = (rs: number, off: number) => iType(0x17, rs, 0, off);
export const b = (off: number) => beq(ZERO, ZERO, off);

// ---------------------------------------------------------------- immediates

export const addi = (rt: number, rs: number, imm: number) => iType(0x08, rs, rt, imm);
export const addiu = (rt: number, rs: number, imm: number) => iType(0x09, rs, rt, imm);
export const slti = (rt: number, rs: number, imm: number) => iType(0x0a, rs, rt, imm);
export const sltiu = (rt: number, rs: number, imm: number) => iType(0x0b, rs, rt, imm);
export const andi = (rt: number, rs: number, imm: number) => iType(0x0c, rs, rt, imm);
export const ori = (rt: number, rs: number, imm: number) => iType(0x0d, rs, rt, imm);
export const xori = (rt: number, rs: number, imm: number) => iType(0x0e, rs, rt, imm);
export const lui = (rt: number, imm: number) => iType(0x0f, 0, rt, imm);

// ---------------------------------------------------------------- loads and stores

export const lb = (rt: number, off: number, base: number) => iType(0x20, base, rt, off);
export const lh = (rt: number, off: number, base: number) => iType(0x21, base, rt, off);
export const lwl = (rt: number, off: number, base: number) => iType(0x22, base, rt, off);
export const lw = (rt: number, off: number, base: number) => iType(0x23, base, rt, off);
export const lbu = (rt: number, off: number, base: number) => iType(0x24, base, rt, off);
export const lhu = (rt: number, off: number, base: number) => iType(0x25, base, rt, off);
export const lwr = (rt: number, off: number, base: number) => iType(0x26, base, rt, off);
export const sb = (rt: number, off: number, base: number) => iType(0x28, base, rt, off);
export const sh = (rt: number, off: number, base: number) => iType(0x29, base, rt, off);
export const swl = (rt: number, off: number, base: number) => iType(0x2a, base, rt, off);
export const sw = (rt: number, off: number, base: number) => iType(0x2b, base, rt, off);
export const swr = (rt: number, off: number, base: number) => iType(0x2e, base, rt, off);
export const cache = (op: number, off: number, base: number) => iType(0x2f, base, op, off);
export const ll = (rt: number, off: number, base: number) => iType(0x30, base, rt, off);
export const lwc1 = (ft: number, off: number, base: number) => iType(0x31, base, ft, off);
export const pref = (hint: number, off: number, base: number) => iType(0x33, base, hint, off);
export const ldc1 = (ft: number, off: number, base: number) => iType(0x35, base, ft, off);
export const sc = (rt: number, off: number, base: number) => iType(0x38, base, rt, off);
export const swc1 = (ft: number, off: number, base: number) => iType(0x39, base, ft, off);
export const sdc1 = (ft: number, off: number, base: number) => iType(0x3d, base, ft, off);

// ---------------------------------------------------------------- SPECIAL2 / SPECIAL3

export const madd = (rs: number, rt: number) => special2(0x00, rs, rt, 0);
export const maddu = (rs: number, rt: number) => special2(0x01, rs, rt, 0);
export const mul = (rd: number, rs: number, rt: number) => special2(0x02, rs, rt, rd);
export const msub = (rs: number, rt: number) => special2(0x04, rs, rt, 0);
export const msubu = (rs: number, rt: number) => special2(0x05, rs, rt, 0);
/** CLZ/CLO: the architecture requires rt = rd. */
export const clz = (rd: number, rs: number) => special2(0x20, rs, rd, rd);
export const clo = (rd: number, rs: number) => special2(0x21, rs, rd, rd);

/** EXT rt, rs, pos, size: msbd = size - 1 in the rd field, lsb = pos in the sa field. */
export const ext = (rt: number, rs: number, pos: number, size: number) => special3(0x00, rs, rt, size - 1, pos);
/** INS rt, rs, pos, size: msb = pos + size - 1 in the rd field, lsb = pos in the sa field. */
export const ins = (rt: number, rs: number, pos: number, size: number) =>
  special3(0x04, rs, rt, pos + size - 1, pos);
export const wsbh = (rd: number, rt: number) => special3(0x20, 0, rt, rd, 0x02);
export const seb = (rd: number, rt: number) => special3(0x20, 0, rt, rd, 0x10);
export const seh = (rd: number, rt: number) => special3(0x20, 0, rt, rd, 0x18);
/** RDHWR rt, $rd (hardware register number in the rd field). */
export const rdhwr = (rt: number, hwr: number) => special3(0x3b, 0, rt, hwr, 0);

// ---------------------------------------------------------------- COP0

const cop0 = (rs: number, rt: number, rd: number, low11: number) =>
  u((0x10 << 26) | (rs << 21) | (check(rt) << 16) | (check(rd) << 11) | (low11 & 0x7ff));
export const mfc0 = (rt: number, rd: number, sel = 0) => cop0(0x00, rt, rd, sel & 7);
export const mtc0 = (rt: number, rd: number, sel = 0) => cop0(0x04, rt, rd, sel & 7);
/** DI/EI: MFMC0 with rd = 12 (Status), sc bit 5 = 0 (DI) or 1 (EI). */
export const di = (rt: number = ZERO) => cop0(0x0b, rt, 12, 0x000);
export const ei = (rt: number = ZERO) => cop0(0x0b, rt, 12, 0x020);
const co = (fn: number) => u((0x10 << 26) | (1 << 25) | fn);
export const tlbr = () => co(0x01);
export const tlbwi = () => co(0x02);
export const tlbwr = () => co(0x06);
export const tlbp = () => co(0x08);
export const eret = () => co(0x18);
export const wait = () => co(0x20);

// ---------------------------------------------------------------- COP1 (only what the CpU tests need)

export const mfc1 = (rt: number, fs: number) => u((0x11 << 26) | (0x00 << 21) | (check(rt) << 16) | (check(fs) << 11));
export const mtc1 = (rt: number, fs: number) => u((0x11 << 26) | (0x04 << 21) | (check(rt) << 16) | (check(fs) << 11));
export const cfc1 = (rt: number, fs: number) => u((0x11 << 26) | (0x02 << 21) | (check(rt) << 16) | (check(fs) << 11));

// ---------------------------------------------------------------- pseudo-instructions

export const move = (rd: number, rs: number) => addu(rd, rs, ZERO);
/** Always two words (LUI + ORI), so code layout does not depend on the value. */
export const li = (rt: number, value: number): number[] => [lui(rt, value >>> 16), ori(rt, rt, value & 0xffff)];
/** A self-loop (`b .` + delay-slot NOP): the program parks here; pc stays on these two words. */
export const halt = (): number[] => [b(-1), nop()];
