/** Watches the serial byte stream for a text (--until), across chunk boundaries. */
export class OutputMatcher {
  matched = false;
  private readonly needle: number[];
  private tail: number[] = [];

  constructor(text: string | undefined) {
    this.needle = text ? Array.from(new TextEncoder().encode(text)) : [];
  }

  push(byte: number): void {
    if (this.matched || this.needle.length === 0) return;
    const t = this.tail;
    t.push(byte);
    if (t.length > this.needle.length) t.shift();
    if (t.length === this.needle.length && t.every((b, i) => b === this.needle[i])) this.matched = true;
  }
}
