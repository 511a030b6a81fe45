import { UsageError } from './args';

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * A size such as 64M, 1.5G, 512K or 65536 (bytes), binary units as mkfs and qemu-img use them;
 * "MiB", "MB" and "m" are read the same way. The result must be a whole number of 512-byte
 * sectors.
 */
export function parseSize(text: string, what = '--size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) throw new UsageError(`${what} must be a size like 64M, 1G or 512K, not '${text}'`);
  const bytes = Number(m[1]) * UNITS[m[2].toUpperCase()];
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new UsageError(`${what} '${text}' is not a usable size`);
  if (bytes % 512 !== 0) throw new UsageError(`${what} '${text}' is not a whole number of 512-byte sectors`);
  return bytes;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 || Number.isInteger(v) ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}
