/**
 * Galileo GT-64120 system controller as QEMU's Malta has it: the 4 KiB internal register block
 * (ISD), whose decode registers place the register block itself, the PCI I/O window and the two
 * PCI memory windows in the CPU physical space; the PCI_0 configuration mechanism (CFGADDR /
 * CFGDATA); and the PCI interrupt-acknowledge register through which Linux reads the pending
 * i8259 vector. Also the controller's own PCI function 00:00.0.
 */
import { type AccessSize, type IoDevice, allOnes } from '../bus/types';
import { PCI_STATUS, PCI_STATUS_DEVSEL_MEDIUM, PCI_STATUS_FAST_BACK, type PciBus, PciFunction } from './pci';

// Register offsets (datasheet names).
export const GT_CPU = 0x000;
export const GT_PCI0IOLD = 0x048;
export const GT_PCI0IOHD = 0x050;
export const GT_PCI0M0LD = 0x058;
export const GT_PCI0M0HD = 0x060;
export const GT_ISD = 0x068;
export const GT_PCI0M1LD = 0x080;
export const GT_PCI0M1HD = 0x088;
export const GT_PCI1IOLD = 0x090;
export const GT_PCI1IOHD = 0x098;
export const GT_PCI1M0LD = 0x0a0;
export const GT_PCI1M0HD = 0x0a8;
export const GT_PCI1M1LD = 0x0b0;
export const GT_PCI1M1HD = 0x0b8;
export const GT_PCI0SYNC = 0x0c0;
export const GT_PCI1SYNC = 0x0c8;
export const GT_PCI0IOREMAP = 0x0f0;
export const GT_PCI0M0REMAP = 0x0f8;
export const GT_PCI0M1REMAP = 0x100;
export const GT_PCI1IOREMAP = 0x108;
export const GT_PCI1M0REMAP = 0x110;
export const GT_PCI1M1REMAP = 0x118;
export const GT_MULTI = 0x120;
export const GT_PCI0_CMD = 0xc00;
export const GT_INTRCAUSE = 0xc18;
export const GT_INTRMASK = 0xc1c;
export const GT_PCI0_ICMASK = 0xc24;
export const GT_PCI0_SERR0MASK = 0xc28;
export const GT_PCI1_IACK = 0xc30;
export const GT_PCI0_IACK = 0xc34;
export const GT_PCI1_CMD = 0xc80;
export const GT_PCI0_CFGADDR = 0xcf8;
export const GT_PCI0_CFGDATA = 0xcfc;

/** GT_CPU bit 12: the CPU interface is little-endian, register values are not byte-swapped. */
const CPU_LITTLE_ENDIAN = 0x1000;
/** PCI_0 command bit 0 (MByteSwap): CFGDATA is little-endian when set. */
const CMD_MBYTESWAP = 0x1;
const CFGADDR_ENABLE = 0x80000000;
/** Decode registers hold CPU address bits 35:21. */
const DECODE_UNIT = 0x200000;
const SYNC_JUNK = 0xc000ffee;

/** Register contents at power-up (datasheet defaults as QEMU sets them for a little-endian Malta). */
const RESET_VALUES: ReadonlyArray<readonly [number, number]> = [
  [GT_CPU, CPU_LITTLE_ENDIAN],
  [GT_MULTI, 0x00000003],
  [0x008, 0x00000000], [0x010, 0x00000007], [0x018, 0x00000008], [0x020, 0x0000000f],
  [0x028, 0x000000e0], [0x030, 0x00000070], [0x038, 0x000000f8], [0x040, 0x0000007f],
  [GT_PCI0IOLD, 0x00000080], [GT_PCI0IOHD, 0x0000000f],
  [GT_PCI0M0LD, 0x00000090], [GT_PCI0M0HD, 0x0000001f],
  [GT_ISD, 0x000000a0],
  [GT_PCI0M1LD, 0x00000790], [GT_PCI0M1HD, 0x0000001f],
  [GT_PCI1IOLD, 0x00000100], [GT_PCI1IOHD, 0x0000000f],
  [GT_PCI1M0LD, 0x00000110], [GT_PCI1M0HD, 0x0000001f],
  [GT_PCI1M1LD, 0x00000120], [GT_PCI1M1HD, 0x0000002f],
  [0x0d0, 0x00000000], [0x0d8, 0x00000008], [0x0e0, 0x000000e0], [0x0e8, 0x000000f8],
  [GT_PCI0IOREMAP, 0x00000080], [GT_PCI0M0REMAP, 0x00000090], [GT_PCI0M1REMAP, 0x00000790],
  [GT_PCI1IOREMAP, 0x00000100], [GT_PCI1M0REMAP, 0x00000110], [GT_PCI1M1REMAP, 0x00000120],
  // CPU error report: no errors ever latch.
  [0x128, 0xffffffff], [0x130, 0xffffffff], [0x138, 0x000000ff],
  // SDRAM and device address decode.
  [0x400, 0x00000000], [0x404, 0x00000007], [0x408, 0x00000008], [0x40c, 0x0000000f],
  [0x410, 0x00000010], [0x414, 0x00000017], [0x418, 0x00000018], [0x41c, 0x0000001f],
  [0x420, 0x000000c0], [0x424, 0x000000c7], [0x428, 0x000000c8], [0x42c, 0x000000cf],
  [0x430, 0x000000d0], [0x434, 0x000000df], [0x438, 0x000000f0], [0x43c, 0x000000fb],
  [0x440, 0x000000fc], [0x444, 0x000000ff], [0x470, 0xffffffff],
  // SDRAM configuration and parameters.
  [0x448, 0x00000200], [0x478, 0x00000007], [0x47c, 0x00000002],
  [0x44c, 0x00000005], [0x450, 0x00000005], [0x454, 0x00000005], [0x458, 0x00000005],
  // Device parameters.
  [0x45c, 0x386fffff], [0x460, 0x386fffff], [0x464, 0x386fffff], [0x468, 0x386fffff], [0x46c, 0x146fffff],
  // Timer/counters.
  [0x850, 0xffffffff], [0x854, 0x00ffffff], [0x858, 0x00ffffff], [0x85c, 0x00ffffff],
  // PCI internal.
  [GT_PCI0_CMD, 0x00010001], [0xc04, 0x0000070f],
  [0xc08, 0x00fff000], [0xc0c, 0x00fff000], [0xc10, 0x01fff000], [0xc14, 0x00fff000],
  [0xc3c, 0x0000000f], [0xc40, 0x00000040],
  [0xc4c, 0x01000000], [0xc50, 0x1c000000], [0xc54, 0x1f000000], [0xc5c, 0x01000000], [0xc64, 0x1f000000],
  [GT_PCI1_CMD, 0x00010001], [0xc84, 0x0000070f],
  [0xc88, 0x00fff000], [0xc8c, 0x00fff000], [0xc90, 0x01fff000], [0xc94, 0x00fff000],
  [0xcbc, 0x0000000f], [0xcc0, 0x00000040],
  [0xccc, 0x01000000], [0xcd0, 0x1c000000], [0xcd4, 0x1f000000], [0xcdc, 0x01000000], [0xce4, 0x1f000000],
];

/** Registers whose writes are dropped (error latches, ECC, multi-GT, sync barriers, IACK). */
const READ_ONLY = new Set<number>([
  GT_MULTI, 0x070, 0x078, 0x128, 0x130, 0x138, GT_PCI0SYNC, GT_PCI1SYNC,
  0x480, 0x484, 0x488, 0x48c, 0x490, GT_PCI0_IACK, GT_PCI1_IACK,
]);

export interface Window {
  base: number;
  size: number;
}

/** Values the QEMU boot stub writes before jumping to the kernel (malta-hw.md §2.2), in order. */
const BOOT_STUB_WRITES: ReadonlyArray<readonly [number, number]> = [
  [GT_ISD, 0xdf],
  [GT_PCI0IOLD, 0xc0],
  [GT_PCI0IOHD, 0x40],
  [GT_PCI0M0LD, 0x80],
  [GT_PCI0M0HD, 0x3f],
  [GT_PCI0M1LD, 0xc1],
  [GT_PCI0M1HD, 0x5e],
];

/**
 * The controller's PCI face, 00:00.0. Its BARs are fixed: QEMU 7.2 ignored writes to them (Linux
 * writes the ISD address into BAR4 and logs "can't size" for the rest, harmlessly).
 */
export class Gt64120Pci extends PciFunction {
  constructor() {
    super({ vendorId: 0x11ab, deviceId: 0x4620, revision: 0x10, classCode: 0x060000, interruptPin: 1 });
    this.set16(PCI_STATUS, PCI_STATUS_FAST_BACK | PCI_STATUS_DEVSEL_MEDIUM);
    const bars = [0x00000008, 0x01000008, 0x1c000000, 0x1f000000, 0x14000000, 0x14000001];
    bars.forEach((v, i) => this.set32(0x10 + 4 * i, v));
  }
}

export interface Gt64120Options {
  bus: PciBus;
  /** Performs an i8259 INTA cycle and returns the vector: PicPair.acknowledge(). */
  iack: () => number;
  /** The register block or a PCI window moved; the physical bus must re-decode. */
  onRemap?: () => void;
}

export class Gt64120 implements IoDevice {
  readonly pci = new Gt64120Pci();
  onRemap: (() => void) | null = null;
  private readonly r = new Uint32Array(0x400);
  private readonly bus: PciBus;
  private readonly iack: () => number;
  private cfgAddr = 0;
  private lastIsd = -1;
  // Windows as last decoded. QEMU leaves a window where it was while LD & 0x7F > HD.
  private io: Window = { base: 0, size: 0 };
  private m0: Window = { base: 0, size: 0 };
  private m1: Window = { base: 0, size: 0 };

  constructor(opts: Gt64120Options) {
    this.bus = opts.bus;
    this.iack = opts.iack;
    this.bus.attach(0, 0, this.pci);
    this.reset();
    this.onRemap = opts.onRemap ?? null;
  }

  /** The register block as an IoDevice: offsets 0..0xFFF from isdBase(). */
  get regs(): IoDevice {
    return this;
  }

  /** Power-up state: registers at 0x14000000, windows where the datasheet defaults put them. */
  reset(): void {
    this.r.fill(0);
    for (const [off, v] of RESET_VALUES) this.r[off >> 2] = v;
    this.cfgAddr = 0;
    this.decodeWindows();
  }

  /** What the QEMU boot stub does before jumping to the kernel (for -kernel boots that skip it). */
  applyBootStub(): void {
    for (const [off, v] of BOOT_STUB_WRITES) this.write(off, 4, v);
  }

  /** CPU physical base of the 4 KiB register block. */
  isdBase(): number {
    return (this.r[GT_ISD >> 2]! & 0x7fff) * DECODE_UNIT;
  }

  /** CPU range that reaches PCI I/O: CPU base + N is port N. */
  ioWindow(): Window {
    return { base: this.io.base, size: this.io.size };
  }

  /** CPU range forwarded to PCI memory, identity-mapped. */
  mem0Window(): Window {
    return { base: this.m0.base, size: this.m0.size };
  }

  mem1Window(): Window {
    return { base: this.m1.base, size: this.m1.size };
  }

  read(offset: number, size: AccessSize): number {
    offset &= 0xfff;
    const reg = offset & ~3;
    if (reg === GT_PCI0_CFGDATA) return this.cfgDataRead(offset & 3, size);
    const v = this.readReg(reg);
    if (size === 4) return v;
    return (v >>> ((offset & 3) * 8)) & allOnes(size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    offset &= 0xfff;
    const reg = offset & ~3;
    if (reg === GT_PCI0_CFGDATA) {
      this.cfgDataWrite(offset & 3, size, value);
      return;
    }
    if (size !== 4) {
      // Only word accesses are defined; merge narrower ones into the stored word.
      const shift = (offset & 3) * 8;
      const mask = allOnes(size) << shift;
      const cur = reg === GT_PCI0_CFGADDR ? this.cfgAddr : this.swapIfBig(this.r[reg >> 2]!);
      value = ((cur & ~mask) | ((value << shift) & mask)) >>> 0;
    }
    this.writeReg(reg, value >>> 0);
  }

  private swapIfBig(v: number): number {
    return this.r[GT_CPU >> 2]! & CPU_LITTLE_ENDIAN ? v : bswap32(v);
  }

  private readReg(reg: number): number {
    switch (reg) {
      case GT_PCI0_CFGADDR:
        // The config-address latch sits outside the GT_CPU byte-swap path, as in QEMU.
        return this.cfgAddr;
      case GT_PCI0SYNC:
      case GT_PCI1SYNC:
        // Reading flushes PCI FIFOs we do not have; the value is meaningless.
        return this.swapIfBig(SYNC_JUNK);
      case GT_PCI0_IACK:
        return this.swapIfBig(this.iack() >>> 0);
      default:
        return this.swapIfBig(this.r[reg >> 2]!);
    }
  }

  private writeReg(reg: number, value: number): void {
    if (reg === GT_PCI0_CFGADDR) {
      this.cfgAddr = value;
      return;
    }
    const v = this.swapIfBig(value);
    const i = reg >> 2;
    switch (reg) {
      case GT_PCI0IOLD:
      case GT_PCI0M0LD:
      case GT_PCI0M1LD:
        this.r[i] = v & 0x7fff;
        this.r[remapOf(reg) >> 2] = v & 0x7ff; // the GT copies LD into the remap register
        this.decodeWindows();
        return;
      case GT_PCI1IOLD:
      case GT_PCI1M0LD:
      case GT_PCI1M1LD:
        this.r[i] = v & 0x7fff;
        this.r[remapOf(reg) >> 2] = v & 0x7ff;
        return;
      case GT_PCI0IOHD:
      case GT_PCI0M0HD:
      case GT_PCI0M1HD:
        this.r[i] = v & 0x7f;
        this.decodeWindows();
        return;
      case GT_PCI1IOHD:
      case GT_PCI1M0HD:
      case GT_PCI1M1HD:
        this.r[i] = v & 0x7f;
        return;
      case GT_ISD:
        this.r[i] = v & 0x7fff;
        this.decodeWindows();
        return;
      case GT_PCI0IOREMAP:
      case GT_PCI0M0REMAP:
      case GT_PCI0M1REMAP:
      case GT_PCI1IOREMAP:
      case GT_PCI1M0REMAP:
      case GT_PCI1M1REMAP:
        // Stored only: the I/O window always starts at port 0 and memory is identity-mapped.
        this.r[i] = v & 0x7ff;
        return;
      case GT_PCI0_CMD:
      case GT_PCI1_CMD:
        this.r[i] = v & 0x0401fc0f;
        return;
      case GT_INTRCAUSE:
        // Write 0 to clear. Nothing ever sets a cause bit (no aborts are emulated), so after
        // Linux's 0xFFF3FFFF clear it reads 0 and config cycles never look aborted.
        this.r[i] = this.r[i]! & v & 0xfffffffe;
        if (this.r[i]! !== 0) this.r[i] = this.r[i]! | 1;
        return;
      case GT_INTRMASK:
        this.r[i] = v & 0x3c3ffffe;
        return;
      case GT_PCI0_ICMASK:
        this.r[i] = v & 0x03fffffe;
        return;
      case GT_PCI0_SERR0MASK:
        this.r[i] = v & 0x3f;
        return;
      default:
        if (!READ_ONLY.has(reg)) this.r[i] = v;
    }
  }

  private cfgTarget(): boolean {
    return (this.cfgAddr & CFGADDR_ENABLE) !== 0;
  }

  private cfgDataRead(byte: number, size: AccessSize): number {
    if (!this.cfgTarget()) return allOnes(size);
    const a = this.cfgAddr;
    const v = this.bus.configRead((a >>> 16) & 0xff, (a >>> 11) & 0x1f, (a >>> 8) & 7, (a & 0xfc) | byte, size);
    return this.r[GT_PCI0_CMD >> 2]! & CMD_MBYTESWAP ? v : swap(v, size);
  }

  private cfgDataWrite(byte: number, size: AccessSize, value: number): void {
    if (!this.cfgTarget()) return;
    const a = this.cfgAddr;
    const v = this.r[GT_PCI0_CMD >> 2]! & CMD_MBYTESWAP ? value : swap(value, size);
    this.bus.configWrite((a >>> 16) & 0xff, (a >>> 11) & 0x1f, (a >>> 8) & 7, (a & 0xfc) | byte, size, v >>> 0);
  }

  private decodeWindows(): void {
    const isd = this.isdBase();
    const io = decodeWindow(this.r[GT_PCI0IOLD >> 2]!, this.r[GT_PCI0IOHD >> 2]!, this.io);
    const m0 = decodeWindow(this.r[GT_PCI0M0LD >> 2]!, this.r[GT_PCI0M0HD >> 2]!, this.m0);
    const m1 = decodeWindow(this.r[GT_PCI0M1LD >> 2]!, this.r[GT_PCI0M1HD >> 2]!, this.m1);
    const changed = isd !== this.lastIsd || io !== this.io || m0 !== this.m0 || m1 !== this.m1;
    this.lastIsd = isd;
    this.io = io;
    this.m0 = m0;
    this.m1 = m1;
    if (changed) this.onRemap?.();
  }
}

function remapOf(ld: number): number {
  switch (ld) {
    case GT_PCI0IOLD:
      return GT_PCI0IOREMAP;
    case GT_PCI0M0LD:
      return GT_PCI0M0REMAP;
    case GT_PCI0M1LD:
      return GT_PCI0M1REMAP;
    case GT_PCI1IOLD:
      return GT_PCI1IOREMAP;
    case GT_PCI1M0LD:
      return GT_PCI1M0REMAP;
    default:
      return GT_PCI1M1REMAP;
  }
}

/**
 * Window [LD << 21, ((HD & 0x7F) | (LD & ~0x7F)) + 1) << 21). While LD's low bits exceed HD the
 * pair is mid-update and, as in QEMU, the old window stays. Returns `cur` when nothing changed.
 */
function decodeWindow(ld: number, hd: number, cur: Window): Window {
  if ((ld & 0x7f) > hd) return cur;
  const base = ld * DECODE_UNIT;
  const size = (hd + 1 - (ld & 0x7f)) * DECODE_UNIT;
  return base === cur.base && size === cur.size ? cur : { base, size };
}

function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

function swap(v: number, size: AccessSize): number {
  if (size === 4) return bswap32(v);
  if (size === 2) return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
  return v;
}
