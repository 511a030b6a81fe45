/** A loadable ELF image for the Malta: little-endian 32-bit MIPS, loaded by physical address. */
export interface ElfImage {
  entry: number;
  segments: { paddr: number; data: Uint8Array; memsz: number }[];
  /** Lowest and highest physical byte touched (highest is exclusive). */
  low: number;
  high: number;
}

export class BadImageError extends Error {}

const PT_LOAD = 1;
const EM_MIPS = 8;

/** Parse and validate a kernel ELF. Every problem becomes one clear BadImageError line. */
export function parseElf(bytes: Uint8Array, what = 'kernel'): ElfImage {
  if (bytes.length < 52 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new BadImageError(`${what}: not an ELF file`);
  }
  if (bytes[4] !== 1) throw new BadImageError(`${what}: 64-bit ELF; the Malta needs a 32-bit MIPS kernel`);
  if (bytes[5] !== 1) {
    throw new BadImageError(`${what}: big-endian ELF; odtab emulates little-endian MIPS (mipsel)`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const machine = dv.getUint16(18, true);
  if (machine !== EM_MIPS) throw new BadImageError(`${what}: ELF for machine ${machine}, not MIPS (8)`);
  const entry = dv.getUint32(24, true);
  const phoff = dv.getUint32(28, true);
  const phentsize = dv.getUint16(42, true);
  const phnum = dv.getUint16(44, true);
  if (phnum === 0 || phentsize < 32 || phoff + phnum * phentsize > bytes.length) {
    throw new BadImageError(`${what}: truncated ELF program header table`);
  }
  const segments: ElfImage['segments'] = [];
  let low = Infinity;
  let high = 0;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (dv.getUint32(p, true) !== PT_LOAD) continue;
    const offset = dv.getUint32(p + 4, true);
    const vaddr = dv.getUint32(p + 8, true);
    const filesz = dv.getUint32(p + 16, true);
    const memsz = dv.getUint32(p + 20, true);
    if (memsz === 0) continue;
    if (filesz > memsz) throw new BadImageError(`${what}: segment ${i} has filesz > memsz`);
    if (offset + filesz > bytes.length) {
      throw new BadImageError(`${what}: segment ${i} is truncated (needs ${offset + filesz} bytes, file has ${bytes.length})`);
    }
    // QEMU loads KSEG0/KSEG1 addresses at their physical alias.
    const paddr = vaddr >= 0x80000000 && vaddr < 0xc0000000 ? vaddr & 0x1fffffff : vaddr;
    segments.push({ paddr, data: bytes.subarray(offset, offset + filesz), memsz });
    low = Math.min(low, paddr);
    high = Math.max(high, paddr + memsz);
  }
  if (segments.length === 0) throw new BadImageError(`${what}: ELF has no loadable segment`);
  return { entry: entry | 0, segments, low, high };
}
