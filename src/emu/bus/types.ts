/** Width in bytes of a device register access. */
export type AccessSize = 1 | 2 | 4;

/**
 * A device window: I/O ports or memory-mapped registers. `offset` is relative to the start of the
 * range the device was mapped at. Values are unsigned (use >>> 0 for 32-bit results) and already
 * in guest (little-endian) byte order: a 16-bit read at offset 0 returns byte0 | byte1 << 8.
 */
export interface IoDevice {
  read(offset: number, size: AccessSize): number;
  write(offset: number, size: AccessSize, value: number): void;
}

/** An interrupt input: devices drive it as a level (true = asserted). */
export type IrqSink = (level: boolean) => void;

export function allOnes(size: AccessSize): number {
  return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
}
