import type { AccessSize } from '../bus/types';
import type { Ram } from './ram';

/**
 * What the CPU sees below its MMU: RAM (fast path, by page) and everything else (slow path).
 * Physical addresses are unsigned 32-bit numbers.
 */
export interface PhysicalMemory {
  readonly ram: Ram;
  /** RAM byte offset of the 4 KiB page holding `pa`, or -1 when that page is not plain RAM. */
  ramPage(pa: number): number;
  read(pa: number, size: AccessSize): number;
  write(pa: number, size: AccessSize, value: number): void;
}
