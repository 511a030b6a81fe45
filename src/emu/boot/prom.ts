/**
 * The YAMON-style argument/environment block QEMU writes at physical 0x2000 before jumping to a
 * `-kernel` (malta-hw.md 2.3): 16 pointers, argv in slots 0-1, envp from slot 2 as name/value pairs.
 */
export const PROM_BASE = 0x2000;

export interface PromArgs {
  kernelName: string;
  commandLine: string;
  initrd?: { kseg0Start: number; size: number };
  ramLowSize: number;
  ramSize: number;
  rngSeed: string;
}

export function buildPromBlock(args: PromArgs): Uint8Array {
  const block = new Uint8Array(0x40 + 16 * 256);
  const dv = new DataView(block.buffer);
  const strings: string[] = [];
  let cmd = args.commandLine;
  if (args.initrd) {
    // QEMU prints the start as a sign-extended 64-bit value; Linux's memparse truncates it back.
    const start = `0xffffffff${(args.initrd.kseg0Start >>> 0).toString(16).padStart(8, '0')}`;
    cmd = `rd_start=${start} rd_size=${args.initrd.size}${cmd ? ' ' + cmd : ''}`;
  }
  strings.push(args.kernelName, cmd);
  strings.push('memsize', String(args.ramLowSize));
  strings.push('ememsize', String(args.ramSize));
  strings.push('modetty0', '38400n8r');
  strings.push('rngseed', args.rngSeed);
  strings.forEach((s, i) => {
    const bytes = new TextEncoder().encode(s);
    if (bytes.length > 255) throw new RangeError(`PROM string ${i} is longer than 255 bytes`);
    dv.setUint32(i * 4, 0x80000000 + PROM_BASE + 0x40 + i * 256, true);
    block.set(bytes, 0x40 + i * 256);
  });
  dv.setUint32(strings.length * 4, 0, true);
  return block;
}

/** Initrd placement below the top of low RAM, as QEMU's malta does. */
export function initrdOffset(ramLowSize: number, size: number): number {
  const unaligned = ramLowSize - (size + 128 * 1024);
  return Math.ceil(unaligned / 0x10000) * 0x10000;
}
