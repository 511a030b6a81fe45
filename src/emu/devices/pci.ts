/**
 * Generic conventional-PCI model: a function's 256-byte configuration space with standard header
 * semantics (read-only IDs, per-byte write masks, write-1-to-clear status, BAR sizing, decode
 * enables) and bus 0 of the Malta board, which places BARs in the I/O port space and the memory
 * windows and routes INTx through the PIIX4 PIRQ steering registers to ISA IRQs.
 */
import type { IoSpace } from '../bus/io-space';
import { type AccessSize, type IoDevice, allOnes } from '../bus/types';

export const PCI_VENDOR_ID = 0x00;
export const PCI_DEVICE_ID = 0x02;
export const PCI_COMMAND = 0x04;
export const PCI_STATUS = 0x06;
export const PCI_REVISION_ID = 0x08;
export const PCI_CLASS_PROG = 0x09;
export const PCI_CACHE_LINE_SIZE = 0x0c;
export const PCI_LATENCY_TIMER = 0x0d;
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_BASE_ADDRESS_0 = 0x10;
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
export const PCI_SUBSYSTEM_ID = 0x2e;
export const PCI_INTERRUPT_LINE = 0x3c;
export const PCI_INTERRUPT_PIN = 0x3d;

export const PCI_COMMAND_IO = 0x0001;
export const PCI_COMMAND_MEMORY = 0x0002;
export const PCI_COMMAND_MASTER = 0x0004;
export const PCI_COMMAND_SPECIAL = 0x0008;
export const PCI_COMMAND_INTX_DISABLE = 0x0400;

export const PCI_STATUS_INTERRUPT = 0x0008;
export const PCI_STATUS_FAST_BACK = 0x0080;
export const PCI_STATUS_DEVSEL_MEDIUM = 0x0200;

export const PCI_HEADER_MULTIFUNCTION = 0x80;

/** Command bits software may change: I/O, memory, master, special, MWI, parity, SERR, INTx disable. */
const COMMAND_WMASK = 0x055f;
/** Status error bits (parity, target/master aborts, SERR, detected parity) are write-1-to-clear. */
const STATUS_W1C = 0xf900;

export interface PciIdentity {
  vendorId: number;
  deviceId: number;
  revision: number;
  /** 24-bit class code: base class << 16 | subclass << 8 | programming interface. */
  classCode: number;
  headerType?: number;
  /** 0 = none, 1..4 = INTA..INTD. */
  interruptPin?: number;
  subsystemVendorId?: number;
  subsystemId?: number;
}

export interface BarOptions {
  /** Power of two; at least 4 for I/O and 16 for memory. */
  size: number;
  type: 'io' | 'mem';
  prefetchable?: boolean;
  /**
   * Handler for the decoded range (offsets relative to the BAR base). An I/O BAR is mapped into
   * the bus's IoSpace, a memory BAR is returned by PciBus.findMemory. May be set later with
   * setBarDevice; until then the BAR sizes and programs normally but decodes nothing.
   */
  device?: IoDevice | null;
  /** Told the decoded base whenever it changes, or null when decoding stops. */
  onMap?: (addr: number | null) => void;
}

/** One address range a function decodes: a BAR or a chip-specific base register (PIIX4 PMBA). */
export class PciRegion {
  /** Where the function wants the range decoded (null = off). */
  addr: number | null = null;
  /** Where the bus last placed it (what onMap was last told). */
  placed: number | null = null;
  /** IoSpace handle once an I/O region was first mapped (kept, length 0, while unmapped), else -1. */
  ioHandle = -1;
  constructor(
    readonly kind: 'io' | 'mem',
    readonly size: number,
    public device: IoDevice | null,
    readonly onMap: ((addr: number | null) => void) | null,
  ) {}

  contains(addr: number): boolean {
    return this.placed !== null && addr - this.placed >= 0 && addr - this.placed < this.size;
  }
}

export abstract class PciFunction {
  readonly config = new Uint8Array(256);
  /** Bits software can write, per byte. */
  protected readonly wmask = new Uint8Array(256);
  /** Bits cleared by writing 1, per byte. */
  protected readonly w1cmask = new Uint8Array(256);
  protected readonly regions: PciRegion[] = [];
  private readonly bars: (PciRegion | null)[] = [null, null, null, null, null, null];

  /** Set by PciBus.attach. */
  bus: PciBus | null = null;
  slot = -1;
  fn = -1;
  /** Raw INTx level driven by the device (before the INTx-disable command bit). */
  intxLevel = false;
  /** @internal PIRQ (0..3) this function currently asserts on its bus, or -1. */
  assertedPirq = -1;

  constructor(id: PciIdentity) {
    this.set16(PCI_VENDOR_ID, id.vendorId);
    this.set16(PCI_DEVICE_ID, id.deviceId);
    this.config[PCI_REVISION_ID] = id.revision;
    this.config[PCI_CLASS_PROG] = id.classCode & 0xff;
    this.config[0x0a] = (id.classCode >>> 8) & 0xff;
    this.config[0x0b] = (id.classCode >>> 16) & 0xff;
    this.config[PCI_HEADER_TYPE] = id.headerType ?? 0;
    this.config[PCI_INTERRUPT_PIN] = id.interruptPin ?? 0;
    this.set16(PCI_SUBSYSTEM_VENDOR_ID, id.subsystemVendorId ?? 0);
    this.set16(PCI_SUBSYSTEM_ID, id.subsystemId ?? 0);

    this.setWriteMask(PCI_COMMAND, 2, COMMAND_WMASK);
    this.setW1cMask(PCI_STATUS, 2, STATUS_W1C);
    this.wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    this.wmask[PCI_LATENCY_TIMER] = 0xff;
    this.wmask[PCI_INTERRUPT_LINE] = 0xff;
    // Like QEMU, the device-specific area is plain storage unless a device says otherwise.
    this.wmask.fill(0xff, 0x40, 0x100);
  }

  // ---- configuration space access (from the host bridge) ----

  configRead(reg: number, size: AccessSize): number {
    const c = this.config;
    reg &= 0xff;
    if (size === 1) return c[reg]!;
    if (size === 2) return c[reg]! | (c[(reg + 1) & 0xff]! << 8);
    return (c[reg]! | (c[(reg + 1) & 0xff]! << 8) | (c[(reg + 2) & 0xff]! << 16) | (c[(reg + 3) & 0xff]! << 24)) >>> 0;
  }

  configWrite(reg: number, size: AccessSize, value: number): void {
    reg &= 0xff;
    const c = this.config;
    for (let i = 0; i < size; i++) {
      const a = (reg + i) & 0xff;
      const b = (value >>> (8 * i)) & 0xff;
      const m = this.wmask[a]!;
      c[a] = ((c[a]! & ~m) | (b & m)) & ~(b & this.w1cmask[a]!);
    }
    const end = reg + size;
    if (reg < PCI_COMMAND + 2 && end > PCI_COMMAND) {
      this.updateBars();
      this.bus?.intxChanged(this);
    } else if (reg < 0x28 && end > PCI_BASE_ADDRESS_0) {
      this.updateBars();
    }
    this.afterConfigWrite(reg, size);
  }

  /** Hook for chip-specific registers with side effects; runs after the bytes are stored. */
  protected afterConfigWrite(_reg: number, _size: AccessSize): void {}

  /** Hook run once the bus knows this function (slot/fn/bus are set, regions are placed). */
  protected onAttach(): void {}

  // ---- helpers for subclasses (bypass the write masks) ----

  protected set16(reg: number, v: number): void {
    this.config[reg] = v & 0xff;
    this.config[reg + 1] = (v >>> 8) & 0xff;
  }

  protected set32(reg: number, v: number): void {
    for (let i = 0; i < 4; i++) this.config[reg + i] = (v >>> (8 * i)) & 0xff;
  }

  protected get16(reg: number): number {
    return this.config[reg]! | (this.config[reg + 1]! << 8);
  }

  protected get32(reg: number): number {
    return this.configRead(reg, 4);
  }

  /** Set the writable bits of `len` bytes starting at `reg` (mask is little-endian across them). */
  protected setWriteMask(reg: number, len: number, mask: number): void {
    for (let i = 0; i < len; i++) this.wmask[reg + i] = Math.floor(mask / 2 ** (8 * i)) & 0xff;
  }

  protected setW1cMask(reg: number, len: number, mask: number): void {
    for (let i = 0; i < len; i++) this.w1cmask[reg + i] = Math.floor(mask / 2 ** (8 * i)) & 0xff;
  }

  static rangesOverlap(reg: number, size: number, start: number, len: number): boolean {
    return reg < start + len && start < reg + size;
  }

  // ---- BARs and other decoded regions ----

  /** Declare BAR `index` (0..5): it sizes as ~(size-1)|flags and decodes per the command register. */
  defineBar(index: number, opts: BarOptions): PciRegion {
    const io = opts.type === 'io';
    const size = Math.max(opts.size, io ? 4 : 16);
    if ((size & (size - 1)) !== 0) throw new Error(`BAR size ${size} is not a power of two`);
    const flags = io ? 0x1 : opts.prefetchable ? 0x8 : 0x0;
    const reg = PCI_BASE_ADDRESS_0 + 4 * index;
    const r = new PciRegion(opts.type, size, opts.device ?? null, opts.onMap ?? null);
    this.bars[index] = r;
    this.regions.push(r);
    this.set32(reg, flags);
    this.setWriteMask(reg, 4, (~(size - 1) & ~(io ? 0x3 : 0xf)) >>> 0);
    return r;
  }

  /** Give a BAR its handler (or take it away); the range is re-placed at once if decoded. */
  setBarDevice(index: number, device: IoDevice | null): void {
    const r = this.bars[index];
    if (r) this.setRegionDevice(r, device);
  }

  bar(index: number): PciRegion | null {
    return this.bars[index] ?? null;
  }

  /** A decoded range that is not a standard BAR; place it with placeRegion. */
  protected addRegion(kind: 'io' | 'mem', size: number, device: IoDevice | null, onMap?: (addr: number | null) => void): PciRegion {
    const r = new PciRegion(kind, size, device, onMap ?? null);
    this.regions.push(r);
    return r;
  }

  protected placeRegion(r: PciRegion, addr: number | null): void {
    r.addr = addr;
    this.bus?.applyRegion(r, false);
  }

  protected setRegionDevice(r: PciRegion, device: IoDevice | null): void {
    r.device = device;
    this.bus?.applyRegion(r, true);
  }

  private updateBars(): void {
    const cmd = this.get16(PCI_COMMAND);
    for (let i = 0; i < 6; i++) {
      const r = this.bars[i];
      if (!r) continue;
      const io = r.kind === 'io';
      const raw = this.get32(PCI_BASE_ADDRESS_0 + 4 * i);
      const base = (raw & ~(r.size - 1) & ~(io ? 0x3 : 0xf)) >>> 0;
      const enabled = (cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)) !== 0;
      // Like QEMU, address 0 and ranges running off the end of the space do not decode; that
      // also keeps a BAR that was just sized (all ones) from landing anywhere.
      const limit = io ? 0x10000 : 0xffffffff;
      this.placeRegion(r, enabled && base !== 0 && base + r.size <= limit ? base : null);
    }
  }

  // ---- interrupts ----

  /** Drive this function's INTx pin (level-triggered; the bus ORs functions sharing a PIRQ). */
  setIntx(level: boolean): void {
    if (level === this.intxLevel) return;
    this.intxLevel = level;
    if (level) this.config[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
    else this.config[PCI_STATUS] &= ~PCI_STATUS_INTERRUPT;
    this.bus?.intxChanged(this);
  }

  /** @internal Called by PciBus.attach. */
  attached(bus: PciBus, slot: number, fn: number): void {
    this.bus = bus;
    this.slot = slot;
    this.fn = fn;
    for (const r of this.regions) bus.applyRegion(r, false);
    bus.intxChanged(this);
    this.onAttach();
  }
}

/** Where a CPU physical address landed in a memory BAR; reused between calls (no allocation). */
export interface PciMemoryHit {
  device: IoDevice;
  offset: number;
  region: PciRegion;
}

/** (isaIrq, level): the OR of every PCI INTx routed to that ISA IRQ changed. */
export type IsaIrqRoute = (isaIrq: number, level: boolean) => void;

/** PIIX4 PIRQRC bits 3:0 values that select no IRQ (reserved encodings). */
const RESERVED_PIRQ_IRQS = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 8) | (1 << 13);

/**
 * Bus 0 behind the GT-64120. PCI addresses equal CPU physical addresses (M0/M1 are identity
 * windows) and PCI I/O port N is IoSpace port N.
 */
export class PciBus {
  private readonly devices: (PciFunction | null)[] = new Array<PciFunction | null>(256).fill(null);
  private readonly memRegions: PciRegion[] = [];
  /** Bumped whenever a memory BAR appears, moves or disappears, so callers may cache lookups. */
  memoryGeneration = 0;
  private readonly hit: PciMemoryHit = { device: null as unknown as IoDevice, offset: 0, region: null as unknown as PciRegion };
  /** PIIX4 config 0x60..0x63 as last reported: bit 7 = disabled, bits 3:0 = ISA IRQ. */
  private readonly pirqRoute = Uint8Array.of(0x80, 0x80, 0x80, 0x80);
  /** How many functions assert each PIRQ. */
  private readonly pirqCount = new Int32Array(4);
  private readonly isaLevel = new Uint8Array(16);
  private readonly isaScratch = new Uint8Array(16);

  constructor(
    readonly io: IoSpace,
    private readonly routeIrq: IsaIrqRoute,
  ) {}

  attach(slot: number, fn: number, dev: PciFunction): void {
    const devfn = ((slot & 0x1f) << 3) | (fn & 7);
    if (this.devices[devfn]) throw new Error(`PCI 00:${slot.toString(16)}.${fn} is already occupied`);
    this.devices[devfn] = dev;
    dev.attached(this, slot & 0x1f, fn & 7);
  }

  device(slot: number, fn: number): PciFunction | null {
    if (slot < 0 || slot > 31 || fn < 0 || fn > 7) return null;
    return this.devices[(slot << 3) | fn]!;
  }

  /** Absent devices (and every bus but 0) read all ones, which is how software detects them. */
  configRead(bus: number, slot: number, fn: number, reg: number, size: AccessSize): number {
    const d = bus === 0 ? this.device(slot, fn) : null;
    return d ? d.configRead(reg, size) : allOnes(size);
  }

  configWrite(bus: number, slot: number, fn: number, reg: number, size: AccessSize, value: number): void {
    const d = bus === 0 ? this.device(slot, fn) : null;
    d?.configWrite(reg, size, value);
  }

  /** Memory BAR covering CPU physical `addr`, or null. The returned object is reused. */
  findMemory(addr: number): PciMemoryHit | null {
    const list = this.memRegions;
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      const off = addr - r.placed!;
      if (off >= 0 && off < r.size) {
        this.hit.device = r.device!;
        this.hit.offset = off;
        this.hit.region = r;
        return this.hit;
      }
    }
    return null;
  }

  /** Memory BARs currently decoded (with a handler), in lookup order. Do not modify. */
  get memoryRegions(): readonly PciRegion[] {
    return this.memRegions;
  }

  // ---- INTx routing ----

  /**
   * Board wiring of slot/pin to PIRQ A..D (0..3), as QEMU's Malta wires it and Linux's
   * fixup-malta.c expects: slot 10 (PIIX4 USB) -> D, 11 (ethernet) -> B, 12 (sound) -> C, slots
   * 18..21 rotate. Other slots pass the pin through (Linux gives them no IRQ anyway).
   */
  static pirqFor(slot: number, pin: number): number {
    if (pin < 1 || pin > 4) return -1;
    switch (slot) {
      case 10:
        return 3;
      case 11:
        return 1;
      case 12:
        return 2;
      default:
        if (slot >= 18 && slot <= 21) return (slot - 18 + pin - 1) & 3;
        return pin - 1;
    }
  }

  /** ISA IRQ a PIRQRC byte selects, or -1 (routing disabled or a reserved encoding). */
  static isaIrqOf(pirqrc: number): number {
    if (pirqrc & 0x80) return -1;
    const irq = pirqrc & 0x0f;
    return (RESERVED_PIRQ_IRQS >> irq) & 1 ? -1 : irq;
  }

  /** Called by the PIIX4 ISA function whenever its PIRQRC register `pirq` (0..3) may have changed. */
  setPirqRoute(pirq: number, value: number): void {
    if (this.pirqRoute[pirq] === (value & 0xff)) return;
    this.pirqRoute[pirq] = value;
    this.refreshIsaLevels();
  }

  /** @internal A function's INTx level, pin or INTx-disable bit may have changed. */
  intxChanged(f: PciFunction): void {
    const disabled = (f.config[PCI_COMMAND + 1]! << 8) & PCI_COMMAND_INTX_DISABLE;
    const want = f.intxLevel && !disabled ? PciBus.pirqFor(f.slot, f.config[PCI_INTERRUPT_PIN]!) : -1;
    if (want === f.assertedPirq) return;
    if (f.assertedPirq >= 0) this.pirqCount[f.assertedPirq]!--;
    if (want >= 0) this.pirqCount[want]!++;
    f.assertedPirq = want;
    this.refreshIsaLevels();
  }

  private refreshIsaLevels(): void {
    const next = this.isaScratch;
    next.fill(0);
    for (let p = 0; p < 4; p++) {
      if (this.pirqCount[p]! <= 0) continue;
      const irq = PciBus.isaIrqOf(this.pirqRoute[p]!);
      if (irq >= 0) next[irq] = 1;
    }
    for (let i = 0; i < 16; i++) {
      if (next[i] !== this.isaLevel[i]) {
        this.isaLevel[i] = next[i]!;
        this.routeIrq(i, next[i] === 1);
      }
    }
  }

  // ---- region placement ----

  /** @internal Make the bus decode `r` where its function wants it. */
  applyRegion(r: PciRegion, deviceChanged: boolean): void {
    const want = r.addr;
    if (want === r.placed && !deviceChanged) return;
    if (r.kind === 'io') {
      // The IoSpace binds the handler at map time, so a new handler needs a new mapping; a
      // plain move or decode toggle reuses the handle (Linux toggles decode around BAR sizing).
      if (deviceChanged && r.ioHandle >= 0) {
        this.io.unmap(r.ioHandle);
        r.ioHandle = -1;
      }
      if (want !== null && r.device) {
        if (r.ioHandle >= 0) this.io.remap(r.ioHandle, want, r.size);
        else r.ioHandle = this.io.map(want, r.size, r.device);
      } else if (r.ioHandle >= 0) {
        this.io.unmap(r.ioHandle);
      }
    } else {
      const i = this.memRegions.indexOf(r);
      if (i >= 0) this.memRegions.splice(i, 1);
      if (want !== null && r.device) this.memRegions.push(r);
      this.memoryGeneration++;
    }
    if (want !== r.placed) {
      r.placed = want;
      r.onMap?.(want);
    }
  }
}
