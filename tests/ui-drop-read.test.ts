import { describe, expect, it } from 'vitest';
import { pickedFiles, type ReadProgress } from '../src/ui/services/drops';

// Dropped and picked files are read with progress over the whole drop, so a big rootfs or disk
// image shows a moving bar; the bytes must come out exactly as they went in.

function bytes(n: number, seed: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    b[i] = x >>> 24;
  }
  return b;
}

describe('reading dropped files', () => {
  it('reads every file whole and reports bytes over all of them, ending at the total', async () => {
    const contents = [bytes(3 << 20, 1), bytes(0, 2), bytes(70_001, 3)];
    // Built from 64 KiB parts, as a browser streams a file from disk.
    const parts = (c: Uint8Array<ArrayBuffer>) => Array.from({ length: Math.ceil(c.length / 65536) }, (_, k) => c.subarray(k * 65536, (k + 1) * 65536));
    const files = contents.map((c, i) => new File(parts(c), `f${i}.bin`));
    const seen: ReadProgress[] = [];
    const got = await pickedFiles(files as unknown as FileList, (p) => seen.push({ ...p }));
    expect(got.map((f) => f.name)).toEqual(['f0.bin', 'f1.bin', 'f2.bin']);
    got.forEach((f, i) => expect(Buffer.from(f.data).equals(Buffer.from(contents[i])), f.name).toBe(true));
    const total = contents.reduce((n, c) => n + c.length, 0);
    expect(seen.length, 'progress reported as the big file streams').toBeGreaterThan(2);
    for (let i = 1; i < seen.length; i++) expect(seen[i].loaded).toBeGreaterThanOrEqual(seen[i - 1].loaded);
    expect(seen.every((p) => p.total === total && p.loaded <= total)).toBe(true);
    expect(seen[seen.length - 1].loaded).toBe(total);
    expect(seen.some((p) => p.file === 'f0.bin' && p.loaded > 0 && p.loaded < contents[0].length), 'mid-file progress').toBe(true);
  });
});
