import type { AccessSize, IoDevice } from '../bus/types';
import type { IoSpace } from '../bus/io-space';
import type { PhysicalMemory } from './physical';
import type { Ram } from './ram';

/** A movable window of physical address space handled by a device. */
export interface Window {
  base: number;
  size: number;
  device: IoDevice;
}

/** Resolves PCI memory BARs (PCI address = CPU physical address on the Malta). */
export interface PciMemoryResolver {
  findMemory(addr: number): { device: IoDevice; offset: number } | null;
}

/**
 * The Malta physical address map (malta-hw.md 1.2). RAM is answered by page for the CPU's fast
 * path; everything else comes here: the GT-64120 register block and PCI windows (which the
 * guest can move), the FPGA, the CBUS UART and the boot ROM. Unclaimed addresses below 512 MiB
 * read 0 and ignore writes (QEMU's "GT-64120 empty slot"), never a bus error.
 */
export class MaltaBus implements PhysicalMemory {
  private readonly lowEnd: number;
  /** Fixed devices, checked in order (first match wins). */
  readonly fixed: Window[] = [];
  /**
   * The GT register block and the PCI I/O and memory windows, as the guest last programmed them.
   * The board calls `setWindows` whenever the GT decodes them anew (they move rarely; accesses
   * are frequent, so they are kept as plain numbers).
   */
  private gtBase = -1;
  private gtDevice: IoDevice | null = null;
  private ioBase = -1;
  private ioSize = 0;
  private pciWindows: { base: number; size: number }[] = [];
  pci: PciMemoryResolver | null = null;

  constructor(
    readonly ram: Ram,
    private readonly io: IoSpace,
  ) {
    this.lowEnd = Math.min(ram.size, 0x10000000);
  }

  setWindows(gt: Window | null, io: { base: number; size: number } | null, pciMem: { base: number; size: number }[]): void {
    this.gtBase = gt ? gt.base : -1;
    this.gtDevice = gt ? gt.device : null;
    this.ioBase = io ? io.base : -1;
    this.ioSize = io ? io.size : 0;
    this.pciWindows = pciMem.map((w) => ({ base: w.base, size: w.size }));
  }

  ramPage(pa: number): number {
    const page = pa - (pa & 0xfff);
    if (page < this.lowEnd) return page;
    if (page >= 0x80000000 && page - 0x80000000 < this.ram.size) return page - 0x80000000;
    return -1;
  }

  read(pa: number, size: AccessSize): number {
    const off = this.ramPage(pa);
    if (off >= 0) return this.readRam(off + (pa & 0xfff), size);
    if (pa >= this.ioBase && pa < this.ioBase + this.ioSize) return this.io.read(pa - this.ioBase, size);
    if (pa >= this.gtBase && pa < this.gtBase + 0x1000) return this.gtDevice!.read(pa - this.gtBase, size);
    for (const w of this.fixed) if (pa >= w.base && pa < w.base + w.size) return w.device.read(pa - w.base, size);
    const pci = this.findPci(pa);
    if (pci) return pci.device.read(pci.offset, size);
    return 0;
  }

  write(pa: number, size: AccessSize, value: number): void {
    const off = this.ramPage(pa);
    if (off >= 0) {
      this.writeRam(off + (pa & 0xfff), size, value);
      return;
    }
    if (pa >= this.ioBase && pa < this.ioBase + this.ioSize) return this.io.write(pa - this.ioBase, size, value);
    if (pa >= this.gtBase && pa < this.gtBase + 0x1000) return this.gtDevice!.write(pa - this.gtBase, size, value);
    for (const w of this.fixed) {
      if (pa >= w.base && pa < w.base + w.size) return w.device.write(pa - w.base, size, value);
    }
    const pci = this.findPci(pa);
    if (pci) pci.device.write(pci.offset, size, value);
  }

  private findPci(pa: number): { device: IoDevice; offset: number } | null {
    if (!this.pci) return null;
    for (const w of this.pciWindows) {
      if (pa >= w.base && pa < w.base + w.size) return this.pci.findMemory(pa);
    }
    return null;
  }

  private readRam(off: number, size: AccessSize): number {
    const r = this.ram;
    return size === 4 ? r.i32[off >> 2] >>> 0 : size === 2 ? r.u16[off >> 1] : r.u8[off];
  }

  private writeRam(off: number, size: AccessSize, value: number): void {
    const r = this.ram;
    if (size === 4) r.i32[off >> 2] = value;
    else if (size === 2) r.u16[off >> 1] = value;
    else r.u8[off] = value;
  }
}

/** Read-only memory (the boot ROM at 0x1FC00000 with the revision word at 0x10). */
export class Rom implements IoDevice {
  constructor(private readonly data: Uint8Array) {}
  read(offset: number, size: AccessSize): number {
    const d = this.data;
    if (offset + size > d.length) return 0;
    if (size === 1) return d[offset];
    if (size === 2) return d[offset] | (d[offset + 1] << 8);
    return (d[offset] | (d[offset + 1] << 8) | (d[offset + 2] << 16) | (d[offset + 3] << 24)) >>> 0;
  }
  write(): void {}
}
