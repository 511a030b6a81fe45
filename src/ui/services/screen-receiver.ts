import { type FrameUpdate, type Rect, SCREEN_HEADER, type SharedScreen } from '../worker/protocol';

/**
 * The page's end of the framebuffer: keeps the picture in an ImageData and, once per animation
 * frame, repaints only the rectangle that changed. With a shared screen the changed rows are read
 * straight from the worker's SharedArrayBuffer (canvas cannot paint from shared memory, so just
 * that rectangle is copied into the ImageData); otherwise transferred frames are applied.
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
    this.shared = { pixels: new Uint8ClampedArray(s.pixels), header: new Int32Array(s.header) };
    this.resize(s.width, s.height);
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
    // A shared screen changes without telling: keep looking, one cheap read per frame.
    if (this.shared) this.schedule();
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
