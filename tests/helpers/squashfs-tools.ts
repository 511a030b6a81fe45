/**
 * mksquashfs for the squashfs and opk tests: images it makes are what our reader must read.
 * Tests that need it are skipped with a message naming it (CI installs squashfs-tools, see .ci/run).
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { HAVE_MKSQUASHFS } from './fat-tools';
import { xorshift32 } from './xorshift';

export { HAVE_MKSQUASHFS };
export const NEEDS_MKSQUASHFS = HAVE_MKSQUASHFS ? '' : ' [SKIPPED: mksquashfs not installed; apt-get install squashfs-tools]';

/** mksquashfs `dir` into `image` with extra options; fixed times so images are reproducible. */
export function mksquashfs(dir: string, image: string, args: string[] = []): void {
  const r = spawnSync('mksquashfs', [dir, image, '-noappend', '-quiet', '-no-progress', '-all-time', '1700000000', '-mkfs-time', '1700000000', ...args], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`mksquashfs ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

export interface TreeEntry {
  kind: 'dir' | 'file' | 'symlink' | 'fifo' | 'other';
  data?: Uint8Array;
  target?: string;
  mode: number;
}

/** The tree under `root` as path -> entry (paths '/'-separated, no leading '/'). */
export function readTree(root: string): Map<string, TreeEntry> {
  const out = new Map<string, TreeEntry>();
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        out.set(r, { kind: 'dir', mode });
        walk(p, r);
      } else if (st.isFile()) out.set(r, { kind: 'file', data: readFileSync(p), mode });
      else if (st.isSymbolicLink()) out.set(r, { kind: 'symlink', target: readlinkSync(p), mode });
      else if (st.isFIFO()) out.set(r, { kind: 'fifo', mode });
      else out.set(r, { kind: 'other', mode });
    }
  };
  walk(root, '');
  return out;
}

export function randomBytes(n: number, seed: number): Uint8Array {
  const r = xorshift32(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r() & 0xff;
  return b;
}

/** Text-like bytes that compress well but not trivially. */
export function textBytes(n: number, seed: number): Uint8Array {
  const words = ['mips', 'malta', 'opendingux', 'squashfs', 'block', 'inode', 'fragment', 'gcw0', '\n'];
  const r = xorshift32(seed);
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    const w = words[r() % words.length] + ' ';
    parts.push(w);
    len += w.length;
  }
  return new TextEncoder().encode(parts.join('')).subarray(0, n);
}
