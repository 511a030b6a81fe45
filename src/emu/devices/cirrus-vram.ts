/**
 * The CL-GD5446's 4 MiB of display memory, with the record of which parts changed since the
 * screen was last drawn. Writers (the linear framebuffer, the BitBLT engine) mark what they touch
 * in 256-byte granules; the scan-out redraws only the lines that overlap a marked granule and then
 * clears the marks. Marking is one store per write, so it costs next to nothing on the CPU's path.
 */

export const VRAM_SIZE = 4 * 1024 * 1024;
/** log2 of the dirty granule size: 256 bytes is less than one line of any mode cirrusfb sets. */
export const DIRTY_SHIFT = 8;

export class Vram {
  readonly u8 = new Uint8Array(VRAM_SIZE);
  readonly u16 = new Uint16Array(this.u8.buffer);
  readonly i32 = new Int32Array(this.u8.buffer);
  /** Addresses wrap at the end of the memory, as the chip's address counters do. */
  readonly mask = VRAM_SIZE - 1;
  /** One byte per granule: nonzero when written since the last clearDirty(). */
  readonly dirty = new Uint8Array(VRAM_SIZE >>> DIRTY_SHIFT);
  /** Some granule is marked (lets an idle screen skip the per-line checks). */
  anyDirty = false;

  /** Mark [start, start + len) as changed; the range may wrap around the end. */
  markRange(start: number, len: number): void {
    if (len <= 0) return;
    if (len >= VRAM_SIZE) {
      this.dirty.fill(1);
      this.anyDirty = true;
      return;
    }
    start &= this.mask;
    const end = start + len - 1;
    const d = this.dirty;
    if (end <= this.mask) {
      for (let g = start >>> DIRTY_SHIFT; g <= end >>> DIRTY_SHIFT; g++) d[g] = 1;
    } else {
      for (let g = start >>> DIRTY_SHIFT; g < d.length; g++) d[g] = 1;
      for (let g = 0; g <= (end & this.mask) >>> DIRTY_SHIFT; g++) d[g] = 1;
    }
    this.anyDirty = true;
  }

  /** Whether any granule of [start, start + len) is marked (the range may wrap). */
  isDirty(start: number, len: number): boolean {
    if (!this.anyDirty || len <= 0) return false;
    start &= this.mask;
    const end = start + len - 1;
    const d = this.dirty;
    if (end <= this.mask) {
      for (let g = start >>> DIRTY_SHIFT; g <= end >>> DIRTY_SHIFT; g++) if (d[g] !== 0) return true;
      return false;
    }
    return this.isDirty(start, VRAM_SIZE - start) || this.isDirty(0, (end & this.mask) + 1);
  }

  clearDirty(): void {
    if (!this.anyDirty) return;
    this.dirty.fill(0);
    this.anyDirty = false;
  }
}
