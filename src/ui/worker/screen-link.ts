import type { DirtyRect, DisplayFrame } from '../../emu/devices/cirrus-scanout';
import { type FrameUpdate, SCREEN_HEADER, type SharedScreen } from './protocol';

/**
 * Carries the guest's screen to the page, only what changed. Cross-origin isolated pages share
 * the pixels (SharedArrayBuffer): the worker writes the changed rows in place, bumps a
 * generation and notifies it; the page waits on it (Atomics.waitAsync), so nothing is posted per
 * frame and an unchanged screen wakes nobody. Otherwise
 * the changed rectangle's rows go over in a transferred buffer.
 */
export class ScreenLink {
  private shared: SharedScreen | null = null;
  private pixels: Uint8ClampedArray | null = null;
  private header: Int32Array | null = null;
  private width = 0;
  private height = 0;

  constructor(
    private readonly useShared: boolean,
    private readonly onScreen: (s: SharedScreen | null) => void,
    private readonly onFrame: (f: FrameUpdate) => void,
  ) {}

  /** Hand over what `frame` (fresh from refreshDisplay) changed. */
  update(frame: DisplayFrame): void {
    let dirty: DirtyRect | null = frame.dirty;
    if (frame.width !== this.width || frame.height !== this.height) {
      this.width = frame.width;
      this.height = frame.height;
      if (this.useShared) this.newSharedScreen();
      dirty = { x: 0, y: 0, width: frame.width, height: frame.height };
    }
    if (!dirty || dirty.width <= 0 || dirty.height <= 0) return;
    if (this.useShared) this.writeShared(frame, dirty);
    else this.onFrame(this.copyRect(frame, dirty));
  }

  /** Forget the screen (a new boot starts with a new one). */
  clear(): void {
    this.width = this.height = 0;
  }

  private newSharedScreen(): void {
    const pixels = new SharedArrayBuffer(this.width * this.height * 4);
    const header = new SharedArrayBuffer(SCREEN_HEADER.length * 4);
    this.shared = { width: this.width, height: this.height, pixels, header };
    this.pixels = new Uint8ClampedArray(pixels);
    this.header = new Int32Array(header);
    this.onScreen(this.shared);
  }

  private writeShared(frame: DisplayFrame, r: DirtyRect): void {
    const px = this.pixels!;
    const h = this.header!;
    const rowBytes = frame.width * 4;
    for (let y = r.y; y < r.y + r.height; y++) {
      const start = y * rowBytes + r.x * 4;
      px.set(frame.rgba.subarray(start, start + r.width * 4), start);
    }
    const gen = Atomics.load(h, SCREEN_HEADER.generation);
    if (Atomics.load(h, SCREEN_HEADER.drawn) === gen) {
      // The page has drawn everything so far: this rectangle is all that is new.
      h[SCREEN_HEADER.x] = r.x;
      h[SCREEN_HEADER.y] = r.y;
      h[SCREEN_HEADER.width] = r.width;
      h[SCREEN_HEADER.height] = r.height;
    } else {
      // Not drawn yet: grow the pending rectangle so nothing is missed.
      const x0 = Math.min(h[SCREEN_HEADER.x]!, r.x);
      const y0 = Math.min(h[SCREEN_HEADER.y]!, r.y);
      const x1 = Math.max(h[SCREEN_HEADER.x]! + h[SCREEN_HEADER.width]!, r.x + r.width);
      const y1 = Math.max(h[SCREEN_HEADER.y]! + h[SCREEN_HEADER.height]!, r.y + r.height);
      h[SCREEN_HEADER.x] = x0;
      h[SCREEN_HEADER.y] = y0;
      h[SCREEN_HEADER.width] = x1 - x0;
      h[SCREEN_HEADER.height] = y1 - y0;
    }
    Atomics.store(h, SCREEN_HEADER.generation, gen + 1);
    // Wakes the page's Atomics.waitAsync: it sleeps until there is something to draw.
    Atomics.notify(h, SCREEN_HEADER.generation);
  }

  private copyRect(frame: DisplayFrame, r: DirtyRect): FrameUpdate {
    const out = new Uint8ClampedArray(r.width * r.height * 4);
    const rowBytes = frame.width * 4;
    for (let y = 0; y < r.height; y++) {
      const start = (r.y + y) * rowBytes + r.x * 4;
      out.set(frame.rgba.subarray(start, start + r.width * 4), y * r.width * 4);
    }
    return { width: frame.width, height: frame.height, rect: { x: r.x, y: r.y, width: r.width, height: r.height }, pixels: out.buffer };
  }
}
