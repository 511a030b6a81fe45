/**
 * Guest RAM: one ArrayBuffer with 8/16/32-bit views. The host is little-endian like the guest
 * (every JS engine we target is), so aligned typed-array accesses give guest byte order.
 */
export class Ram {
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  constructor(readonly size: number) {
    if (size <= 0 || size % 0x100000 !== 0) throw new RangeError('RAM size must be a whole number of MiB');
    const buffer = new ArrayBuffer(size);
    this.u8 = new Uint8Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.i32 = new Int32Array(buffer);
  }
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('odtab needs a little-endian host');
}
