import { describe, expect, it } from 'vitest';
import type { DirtyRect, DisplayFrame } from '../src/emu/devices/cirrus-scanout';
import { type FrameUpdate, SCREEN_HEADER, type SharedScreen } from '../src/ui/worker/protocol';
import { ScreenLink } from '../src/ui/worker/screen-link';

/** A frame as the scanout hands it over: every pixel's red is its x, green its y. */
function frame(width: number, height: number, dirty: DirtyRect | null, seed = 0): DisplayFrame {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) rgba.set([x + seed, y + seed, seed, 255], (y * width + x) * 4);
  return { width, height, rgba, dirty, mode: null };
}

describe('ScreenLink', () => {
  it('transfers only the changed rectangle, and the whole picture after a size change', () => {
    const frames: FrameUpdate[] = [];
    const link = new ScreenLink(false, () => {}, (f) => frames.push(f));
    link.update(frame(8, 4, { x: 2, y: 1, width: 3, height: 2 }));
    expect(frames[0]!.rect).toEqual({ x: 0, y: 0, width: 8, height: 4 });
    link.update(frame(8, 4, { x: 2, y: 1, width: 3, height: 2 }, 10));
    const f = frames[1]!;
    expect(f.rect).toEqual({ x: 2, y: 1, width: 3, height: 2 });
    const px = new Uint8ClampedArray(f.pixels);
    expect(px.length).toBe(3 * 2 * 4);
    expect([...px.subarray(0, 4)]).toEqual([12, 11, 10, 255]); // pixel (2, 1)
    expect([...px.subarray(20, 24)]).toEqual([14, 12, 10, 255]); // pixel (4, 2)
    link.update(frame(8, 4, null));
    expect(frames.length).toBe(2);
  });

  it('writes a shared screen in place and grows the pending rectangle until the page draws', () => {
    let screen: SharedScreen | null = null;
    const link = new ScreenLink(true, (s) => (screen = s), () => {
      throw new Error('no frame may be posted with a shared screen');
    });
    link.update(frame(8, 4, null));
    expect(screen).not.toBeNull();
    const s = screen! as SharedScreen;
    const header = new Int32Array(s.header);
    const pixels = new Uint8ClampedArray(s.pixels);
    const rect = () => [SCREEN_HEADER.x, SCREEN_HEADER.y, SCREEN_HEADER.width, SCREEN_HEADER.height].map((i) => header[i]);
    expect(header[SCREEN_HEADER.generation]).toBe(1);
    expect(rect()).toEqual([0, 0, 8, 4]);
    expect([...pixels.subarray((3 * 8 + 7) * 4, (3 * 8 + 8) * 4)]).toEqual([7, 3, 0, 255]);

    // Not drawn yet: a second change grows the rectangle to cover both.
    link.update(frame(8, 4, { x: 1, y: 1, width: 1, height: 1 }, 5));
    expect(rect()).toEqual([0, 0, 8, 4]);
    header[SCREEN_HEADER.drawn] = header[SCREEN_HEADER.generation]!;
    link.update(frame(8, 4, { x: 5, y: 2, width: 2, height: 1 }, 5));
    expect(rect()).toEqual([5, 2, 2, 1]);
    link.update(frame(8, 4, { x: 1, y: 0, width: 1, height: 1 }, 5));
    expect(rect()).toEqual([1, 0, 6, 3]);
    expect(header[SCREEN_HEADER.generation]).toBe(4);
    // Only the changed rows were written: (5, 2) is new, (0, 3) still the first picture.
    expect([...pixels.subarray((2 * 8 + 5) * 4, (2 * 8 + 6) * 4)]).toEqual([10, 7, 5, 255]);
    expect([...pixels.subarray((3 * 8 + 0) * 4, (3 * 8 + 1) * 4)]).toEqual([0, 3, 0, 255]);

    // A new size is a new shared screen.
    link.update(frame(4, 2, null));
    expect((screen as SharedScreen | null)!.width).toBe(4);
  });
});
