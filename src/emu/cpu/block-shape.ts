/**
 * How translated blocks are shaped, shared by the JavaScript and WebAssembly translators: which
 * instructions are branches, which end a block, where an always-taken jump goes.
 */

/**
 * Instructions that a block runs and then leaves by itself: they change the mode, the exception
 * state or the interrupt state, so the dispatcher must look again before going on.
 */
export function endsBlock(insn: number): boolean {
  const op = insn >>> 26;
  if (op === 0) {
    const f = insn & 63;
    return f === 0x0c || f === 0x0d; // SYSCALL, BREAK
  }
  if (op === 0x1f) return (insn & 63) === 0x3b && ((insn >>> 11) & 31) > 3; // RDHWR that always raises RI
  if (op !== 0x10) return false;
  const rs = (insn >>> 21) & 31;
  if (rs === 4) {
    const rd = (insn >>> 11) & 31;
    return rd === 9 || rd === 11 || rd === 12 || rd === 13; // Count, Compare, Status, Cause
  }
  return rs === 11 || (rs >= 16 && (insn & 63) === 0x18); // DI/EI, ERET
}

/** Target of an always-taken direct jump (J, JAL, B, BAL), or null. */
export function directTarget(insn: number, pc: number): number | null {
  const op = insn >>> 26;
  const rs = (insn >>> 21) & 31;
  const rt = (insn >>> 16) & 31;
  if (op === 2 || op === 3) return ((pc + 4) & 0xf0000000) | ((insn & 0x03ffffff) << 2);
  const always = (op === 4 && rs === 0 && rt === 0) || (op === 1 && rs === 0 && (rt === 1 || rt === 0x11));
  return always ? (pc + 4 + ((insn << 16) >> 14)) | 0 : null;
}

/** Stores of every kind (a store in a delay slot cannot leave its block early). */
export function isStore(insn: number): boolean {
  const op = insn >>> 26;
  return (op >= 0x28 && op <= 0x2e) || op === 0x38 || op === 0x39 || op === 0x3d || op === 0x3a || op === 0x3e;
}

/** 'b' conditional branch, 'bl' likely, 'j' jump, or null for a non-branch. */
export function branchKind(insn: number): string | null {
  const op = insn >>> 26;
  if (op === 0) {
    const f = insn & 63;
    return f === 8 || f === 9 ? 'j' : null;
  }
  if (op === 1) {
    const rt = (insn >>> 16) & 31;
    if (rt === 0 || rt === 1 || rt === 0x10 || rt === 0x11) return 'b';
    if (rt === 2 || rt === 3 || rt === 0x12 || rt === 0x13) return 'bl';
    return null;
  }
  if (op === 2 || op === 3) return 'j';
  if (op >= 4 && op <= 7) return 'b';
  if (op >= 0x14 && op <= 0x17) return 'bl';
  return null;
}
