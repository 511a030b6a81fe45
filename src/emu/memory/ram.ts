/**
 * Where things live in the machine's one linear memory. Guest RAM, the software-TLB tables
 * (mmu.ts), the CPU's integer registers and the state translated WebAssembly blocks share with
 * JavaScript (wasm-jit.ts) all sit in one WebAssembly.Memory, so translated code reaches them
 * with plain loads and stores, and the interpreter sees the same bytes through typed arrays.
 */
export const LAYOUT = {
  /** 32 general registers, then LO and HI (HI:LO reads as one little-endian 64-bit value). */
  GPR: 0x0,
  LO: 0x80,
  HI: 0x84,
  /** Where a WebAssembly block leaves the next PC. */
  PC: 0x88,
  /** Nonzero: the WebAssembly dispatcher must hand back to JavaScript (see wasm-jit.ts). */
  EXIT: 0x8c,
  /** Nonzero after a slow-path helper raised an exception: the block leaves at once. */
  FAULT: 0x90,
  /** The virtual time after a slow-path helper ran (a TLB refill served in place moves it). */
  CLK: 0x98,
  /** The WebAssembly jump cache: virtual PC, page tag and table index, 16384 entries each. */
  WJC_PC: 0x10000,
  WJC_PAGE: 0x20000,
  WJC_IDX: 0x30000,
  /** Software-TLB tables, one Int32 per 4 KiB virtual page (mmu.ts). */
  K_READ: 0x100000,
  K_WRITE: 0x500000,
  U_READ: 0x900000,
  U_WRITE: 0xd00000,
  RAM: 0x1100000,
} as const;

const WASM_PAGE = 0x10000;

/**
 * Guest RAM: a window of the linear memory with 8/16/32-bit views. The host is little-endian
 * like the guest (every JS engine we target is), so aligned typed-array accesses give guest byte
 * order.
 */
export class Ram {
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  /** The whole linear memory (see LAYOUT). */
  readonly buffer: ArrayBuffer;
  /** The same memory as WebAssembly sees it; null where the host has no WebAssembly. */
  readonly memory: WebAssembly.Memory | null;

  constructor(readonly size: number) {
    if (size <= 0 || size % 0x100000 !== 0) throw new RangeError('RAM size must be a whole number of MiB');
    const pages = (LAYOUT.RAM + size) / WASM_PAGE;
    let memory: WebAssembly.Memory | null = null;
    if (typeof WebAssembly === 'object') {
      try {
        memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
      } catch {
        memory = null; // address space refused: plain memory, and no WebAssembly blocks
      }
    }
    this.memory = memory;
    this.buffer = memory !== null ? memory.buffer : new ArrayBuffer(LAYOUT.RAM + size);
    this.u8 = new Uint8Array(this.buffer, LAYOUT.RAM, size);
    this.u16 = new Uint16Array(this.buffer, LAYOUT.RAM, size >> 1);
    this.i32 = new Int32Array(this.buffer, LAYOUT.RAM, size >> 2);
  }
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('odtab needs a little-endian host');
}
