import { V0, addiu, b, nop } from './mips-asm';

/** `addiu v0, v0, 1; b .-4; nop`: a kernel that only counts, so device tests own the board. */
export const ADDIU_LOOP = [addiu(V0, V0, 1), b(-2), nop()];

/** A little-endian MIPS ELF32 with one PT_LOAD of `code` at 0x80100000, entered at its start. */
export function tinyKernel(code: number[], vaddr = 0x80100000): Uint8Array {
  const ehsize = 52;
  const phsize = 32;
  const off = ehsize + phsize;
  const out = new Uint8Array(off + code.length * 4);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]); // ELF, 32-bit, little-endian, version 1
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 8, true); // EM_MIPS
  dv.setUint32(20, 1, true);
  dv.setUint32(24, vaddr, true); // entry
  dv.setUint32(28, ehsize, true); // phoff
  dv.setUint16(40, ehsize, true);
  dv.setUint16(42, phsize, true);
  dv.setUint16(44, 1, true); // phnum
  dv.setUint32(ehsize, 1, true); // PT_LOAD
  dv.setUint32(ehsize + 4, off, true);
  dv.setUint32(ehsize + 8, vaddr, true);
  dv.setUint32(ehsize + 12, vaddr & 0x1fffffff, true);
  dv.setUint32(ehsize + 16, code.length * 4, true);
  dv.setUint32(ehsize + 20, code.length * 4, true);
  dv.setUint32(ehsize + 24, 7, true);
  dv.setUint32(ehsize + 28, 4, true);
  code.forEach((w, i) => dv.setUint32(off + 4 * i, w >>> 0, true));
  return out;
}
