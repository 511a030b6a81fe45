import { type FrameUpdate, type Rect, SCREEN_HEADER, type SharedScreen } from '../worker/protocol';

/**
 * The page's end of the framebuffer: keeps the picture in an ImageData and, once per animation
 * frame, repaints only the rectangle that changed. With a shared screen the page sleeps on the
 * header's generation (Atomics.waitAsync, woken by the worker's notify) and reads the changed
 * rows straight from the SharedArrayBuffer (canvas cannot paint from shared memory, so just that
 * rectangle is copied into the ImageData); otherwise transferred frames are applied.
 */
export class ScreenReceiver {
  private image: ImageData | null = null;
  private shared: { pixels: Uint8ClampedArray; header: Int32Array } | null = null;
  private pending: Rect | null = null;
  private canvas: HTMLCanvasElement | null = null;
  private ctx: CanvasRenderingContext2D | null = null;
  private raf = 0;
  /** Repaints so far (the e2e tests read it to see that an idle screen is not redrawn). */
  paints = 0;

  constructor(private readonly onSize: (width: number, height: number) => void) {}

  setShared(s: SharedScreen | null): void {
    if (!s) {
      this.shared = null;
      return;
    }
    const shared = { pixels: new Uint8ClampedArray(s.pixels), header: new Int32Array(s.header) };
    this.shared = shared;
    this.resize(s.width, s.height);
    this.watch(shared);
  }

  /** Schedules a paint whenever the worker bumps this shared screen's generation. */
  private watch(shared: { header: Int32Array }): void {
    const loop = async () => {
      while (this.shared === shared) {
        const drawn = Atomics.load(shared.header, SCREEN_HEADER.drawn);
        if (Atomics.load(shared.header, SCREEN_HEADER.generation) !== drawn) {
          this.schedule();
          // Drawn at the next animation frame; look again after it.
          await new Promise((r) => requestAnimationFrame(r));
          continue;
        }
        if (!waitAsync) await new Promise((r) => requestAnimationFrame(r));
        else {
          const w = waitAsync(shared.header, SCREEN_HEADER.generation, drawn, 1000);
          if (w.async) await w.value;
        }
      }
    };
    void loop();
  }

  frame(f: FrameUpdate): void {
    if (!this.image || this.image.width !== f.width || this.image.height !== f.height) this.resize(f.width, f.height);
    const img = this.image!;
    const src = new Uint8ClampedArray(f.pixels);
    const { x, y, width, height } = f.rect;
    for (let row = 0; row < height; row++) {
      img.data.set(src.subarray(row * width * 4, (row + 1) * width * 4), ((y + row) * img.width + x) * 4);
    }
    this.mark(f.rect);
  }

  /** Paint on this canvas from now on (null: stop). */
  attach(canvas: HTMLCanvasElement | null): void {
    cancelAnimationFrame(this.raf);
    this.canvas = canvas;
    this.ctx = canvas ? canvas.getContext('2d') : null;
    if (!canvas || !this.image) return;
    this.sizeCanvas();
    this.mark({ x: 0, y: 0, width: this.image.width, height: this.image.height });
    this.schedule();
  }

  private resize(width: number, height: number): void {
    this.image = new ImageData(width, height);
    this.pending = null;
    this.onSize(width, height);
    if (this.canvas) {
      this.sizeCanvas();
      this.schedule();
    }
  }

  private sizeCanvas(): void {
    if (!this.canvas || !this.image) return;
    if (this.canvas.width !== this.image.width) this.canvas.width = this.image.width;
    if (this.canvas.height !== this.image.height) this.canvas.height = this.image.height;
  }

  private mark(r: Rect): void {
    const p = this.pending;
    if (!p) this.pending = { ...r };
    else {
      const x1 = Math.max(p.x + p.width, r.x + r.width);
      const y1 = Math.max(p.y + p.height, r.y + r.height);
      p.x = Math.min(p.x, r.x);
      p.y = Math.min(p.y, r.y);
      p.width = x1 - p.x;
      p.height = y1 - p.y;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.canvas && !this.raf) this.raf = requestAnimationFrame(this.tick);
  }

  private readonly tick = (): void => {
    this.raf = 0;
    if (!this.canvas) return;
    if (this.shared) this.pullShared();
    const r = this.pending;
    if (r && this.ctx && this.image) {
      this.pending = null;
      this.ctx.putImageData(this.image, 0, 0, r.x, r.y, r.width, r.height);
      this.paints++;
    }
  };

  private pullShared(): void {
    const { pixels, header } = this.shared!;
    const img = this.image;
    if (!img) return;
    const gen = Atomics.load(header, SCREEN_HEADER.generation);
    if (gen === Atomics.load(header, SCREEN_HEADER.drawn)) return;
    const r = {
      x: header[SCREEN_HEADER.x]!,
      y: header[SCREEN_HEADER.y]!,
      width: header[SCREEN_HEADER.width]!,
      height: header[SCREEN_HEADER.height]!,
    };
    // Taken before the rows are read: whatever the worker changes meanwhile is in the next rectangle.
    Atomics.store(header, SCREEN_HEADER.drawn, gen);
    if (r.x < 0 || r.y < 0 || r.width <= 0 || r.height <= 0 || r.x + r.width > img.width || r.y + r.height > img.height) return;
    const rowBytes = img.width * 4;
    for (let y = r.y; y < r.y + r.height; y++) {
      const start = y * rowBytes + r.x * 4;
      img.data.set(pixels.subarray(start, start + r.width * 4), start);
    }
    this.mark(r);
  }
}

/** Atomics.waitAsync where the browser has it (then an unchanged screen costs no wake-ups at all). */
type WaitAsync = (a: Int32Array, index: number, value: number, timeout?: number) => { async: boolean; value: unknown };
const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync?.bind(Atomics);
