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

/** What a translator gives walkBlock: its code for each instruction, and how the block goes on. */
export interface BlockBuilder<C> {
  /**
   * Code for the non-branch `insn` at `pc`, the k-th of the block (`d`: in a delay slot), or
   * null when this translator leaves it to another.
   */
  instruction(insn: number, pc: number, k: number, d: boolean): C | null;
  /** Append the code of a non-branch instruction. */
  add(code: C): void;
  /**
   * An always-taken jump (J, JAL, B, BAL) to its own page, with the code of its delay slot:
   * append its link, if any, and the slot; the block goes on at the target.
   */
  jumpInPage(insn: number, pc: number, slot: C): void;
  /**
   * A branch or jump at `pc`, the k-th instruction, with its delay slot `slotInsn` (code `slot`).
   * `side`: the fall-through path goes on in the block; else the block ends with it.
   */
  branch(insn: number, pc: number, k: number, slot: C, slotInsn: number, side: boolean): void;
  /** Leave for `pc` after `k` instructions: the block stopped before a branch ended it. */
  exitTo(pc: number, k: number): void;
}

/**
 * The shape both translators give a block at virtual `pc` (RAM byte offset `phys`): it stays in
 * its page, runs at most `maxLength` instructions, ends at a branch (with its delay slot) unless
 * the branch only leaves when taken (a superblock), follows always-taken jumps within the page,
 * and stops before an instruction the builder leaves to another translator. Returns the number
 * of instructions, 0 when there are none or fewer than `minLength` before such an instruction.
 */
export function walkBlock<C>(ram32: Int32Array, phys: number, pc: number, maxLength: number, minLength: number, b: BlockBuilder<C>): number {
  let k = 0;
  let p = phys;
  let vpc = pc;
  let ended = false;
  while ((k < maxLength && (p & 0xfff) !== 0) || k === 0) {
    const insn = ram32[p >> 2];
    const term = branchKind(insn);
    if (term !== null) {
      // The delay slot must be in this page and translatable on its own.
      if (((p + 4) & 0xfff) === 0) break;
      const slotInsn = ram32[(p + 4) >> 2];
      // (An RDHWR that always raises may sit there: its exception path handles the slot.)
      if (branchKind(slotInsn) !== null || (endsBlock(slotInsn) && (slotInsn >>> 26) !== 0x1f)) break;
      const slot = b.instruction(slotInsn, (vpc + 4) | 0, k + 1, true);
      if (slot === null) break;
      const direct = directTarget(insn, vpc);
      if (direct !== null && direct >>> 12 === vpc >>> 12 && k + 2 < maxLength && !isStore(slotInsn)) {
        // An unconditional jump within the page: translate straight on at its target, so a
        // loop body or a local call does not cost a return to the dispatcher.
        b.jumpInPage(insn, vpc, slot);
        k += 2;
        p = (p & ~0xfff) | (direct & 0xfff);
        vpc = direct;
        continue;
      }
      // (A branch that is always taken, such as BAL to another page, ends the block.)
      const side = term === 'b' && direct === null && ((p + 8) & 0xfff) !== 0 && k + 2 < maxLength;
      b.branch(insn, vpc, k, slot, slotInsn, side);
      k += 2;
      if (!side) {
        ended = true;
        break;
      }
      // Superblock: a conditional branch leaves the block only when taken; the fall-through
      // path goes on in the same block, so one call runs several basic blocks.
      p += 8;
      vpc = (vpc + 8) | 0;
      continue;
    }
    const code = b.instruction(insn, vpc, k, false);
    if (code === null) {
      if (k < minLength) return 0;
      break;
    }
    b.add(code);
    k++;
    if (endsBlock(insn)) {
      ended = true;
      break;
    }
    p += 4;
    vpc = (vpc + 4) | 0;
    if ((p & 0xfff) === 0) break;
  }
  if (k === 0) return 0;
  if (!ended) b.exitTo(vpc, k);
  return k;
}
