import { type AccessSize, type IoDevice, allOnes } from './types';

interface Mapping {
  start: number;
  length: number;
  device: IoDevice;
}

/**
 * The ISA/PCI I/O port space (CPU physical 0x18000000 + port). Unclaimed ports read all-ones,
 * as QEMU's unassigned I/O does: the 8250 driver relies on that to reject absent UARTs.
 * Ports below 64 KiB are found through a per-port table; PCI BARs may be remapped at any time.
 */
export class IoSpace {
  private readonly table = new Int16Array(0x10000).fill(-1);
  private readonly mappings: (Mapping | null)[] = [];

  /** Claim ports [start, start+length) for `device`; returns a handle for unmap/remap. */
  map(start: number, length: number, device: IoDevice): number {
    const handle = this.mappings.length;
    this.mappings.push({ start, length, device });
    this.fill(start, length, handle);
    return handle;
  }

  unmap(handle: number): void {
    const m = this.mappings[handle];
    if (!m) return;
    this.fill(m.start, m.length, -1);
    m.length = 0;
    this.refill();
  }

  remap(handle: number, start: number, length?: number): void {
    const m = this.mappings[handle];
    if (!m) return;
    this.fill(m.start, m.length, -1);
    m.start = start;
    if (length !== undefined) m.length = length;
    this.refill();
  }

  private fill(start: number, length: number, handle: number): void {
    const end = Math.min(start + length, 0x10000);
    for (let p = Math.max(start, 0); p < end; p++) this.table[p] = handle;
  }

  /** Later mappings win where ranges overlap; re-applying all keeps that rule after a remap. */
  private refill(): void {
    this.table.fill(-1);
    this.mappings.forEach((m, h) => m && m.length > 0 && this.fill(m.start, m.length, h));
  }

  read(port: number, size: AccessSize): number {
    const h = port < 0x10000 ? this.table[port] : -1;
    if (h < 0) return allOnes(size);
    const m = this.mappings[h]!;
    return m.device.read(port - m.start, size);
  }

  write(port: number, size: AccessSize, value: number): void {
    const h = port < 0x10000 ? this.table[port] : -1;
    if (h < 0) return;
    const m = this.mappings[h]!;
    m.device.write(port - m.start, size, value);
  }
}
