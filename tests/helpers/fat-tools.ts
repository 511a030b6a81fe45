/**
 * dosfstools and mtools for the FAT tests: images made by mkfs.vfat + mcopy are what our reader
 * must read, fsck.fat -n and mtools are the judges of what our writer writes. Tests that need
 * them are skipped with a message naming what is missing (CI installs both, see .ci/run).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll } from 'vitest';
import type { FatVolume } from '../../src/storage/fat';

const SEARCH = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];

function which(cmd: string): string | undefined {
  for (const dir of SEARCH) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

const TOOLS = ['mkfs.vfat', 'fsck.fat', 'mcopy', 'mdir', 'mtype', 'mmd', 'mdel', 'mdeltree'] as const;
const found = Object.fromEntries(TOOLS.map((t) => [t, which(t)])) as Record<(typeof TOOLS)[number], string | undefined>;
const missing = TOOLS.filter((t) => !found[t]);

export const HAVE_FAT_TOOLS = missing.length === 0;
/** Put in the names of tests that need the tools, so a skip says why. */
export const NEEDS_TOOLS = HAVE_FAT_TOOLS ? '' : ` [SKIPPED: ${missing.join(', ')} not installed; apt-get install dosfstools mtools]`;
if (!HAVE_FAT_TOOLS) {
  console.warn(`FAT tool tests are skipped: ${missing.join(', ')} not found (apt-get install dosfstools mtools)`);
}

export const HAVE_MKSQUASHFS = !!which('mksquashfs');

/** mtools reads and writes long names in the locale's charset: make it UTF-8. */
const TOOL_ENV = { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8', MTOOLS_NO_VFAT: undefined, MTOOLSRC: '/dev/null' };

/** Runs a tool; throws with its output when it fails. */
export function run(cmd: string, args: string[], opts: { allowFail?: boolean; input?: string } = {}) {
  const path = found[cmd as (typeof TOOLS)[number]] ?? which(cmd) ?? cmd;
  const r = spawnSync(path, args, { encoding: 'utf8', env: TOOL_ENV, input: opts.input, maxBuffer: 1 << 28 });
  if (!opts.allowFail && r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tempDirs: string[] = [];
// Each test file loads this module afresh: its directories go when the file's tests are done.
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new directory under the system's temporary directory, removed after the file's tests. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `odtab-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** A sparse file of `bytes` formatted by mkfs.vfat with `args`. */
export function mkfsImage(path: string, bytes: number, args: string[] = []): void {
  writeFileSync(path, '');
  run('truncate', ['-s', String(bytes), path]);
  run('mkfs.vfat', [...args, path]);
}

/** fsck.fat -n: the problems it reports (an empty list for a clean file system). */
export function fsckProblems(image: string): string[] {
  const r = run('fsck.fat', ['-n', image], { allowFail: true });
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
  // A clean run prints the version line and the "N files, M/T clusters" summary, nothing else.
  const problems = lines.filter((l) => !/^fsck\.fat \d/.test(l) && !/: \d+ files, \d+\/\d+ clusters$/.test(l));
  if (r.code !== 0 && problems.length === 0) problems.push(`fsck.fat exited ${r.code}`);
  return problems;
}

/** fsck.fat's count of used clusters ("N files, U/T clusters"). */
export function fsckUsedClusters(image: string): number {
  const r = run('fsck.fat', ['-n', image], { allowFail: true });
  const m = /: \d+ files, (\d+)\/\d+ clusters/.exec(r.stdout);
  if (!m) throw new Error(`no summary from fsck.fat:\n${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

/** A file tree: path ('/'-separated, no leading slash) to content, or null for a directory. */
export type Tree = Map<string, Uint8Array | null>;

/** Reads a host directory as a Tree. */
export function readHostTree(dir: string, prefix = '', out: Tree = new Map()): Tree {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(p).isDirectory()) {
      out.set(rel, null);
      readHostTree(p, rel, out);
    } else {
      out.set(rel, new Uint8Array(readFileSync(p)));
    }
  }
  return out;
}

/** Writes a Tree under a host directory. */
export function writeHostTree(dir: string, tree: Tree): void {
  mkdirSync(dir, { recursive: true });
  for (const [rel, data] of [...tree].sort(([a], [b]) => a.length - b.length)) {
    const p = join(dir, rel);
    if (data === null) mkdirSync(p, { recursive: true });
    else writeFileSync(p, data);
  }
}

/** What mtools sees in the image: everything copied out with mcopy -s. */
export function mtoolsTree(image: string): Tree {
  const out = tempDir('mcopy-out');
  run('mcopy', ['-s', '-n', '-i', image, '::', out]);
  return readHostTree(out);
}

/** mdir's short names for the entries of one directory: long (or short) name to 8.3 name. */
export function mdirShortNames(image: string, dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const r = run('mdir', ['-a', '-i', image, `::${dir}`]);
  for (const line of r.stdout.split('\n')) {
    // "NAME     EXT       size date time  long name"; the short name is the first 12 columns.
    const m = /^(\S.{7}) (.{3}) +(<DIR>|\d[\d ]*) +\d{4}-\d\d-\d\d +\d+:\d\d(?: +(\S.*?))?\s*$/.exec(line);
    if (!m) continue;
    const base = m[1].trimEnd();
    if (base === '.' || base === '..') continue;
    const ext = m[2].trimEnd();
    const short = ext ? `${base}.${ext}` : base;
    out.set(m[4] ?? short, short);
  }
  return out;
}

/** A small deterministic PRNG (mulberry32) so random trees are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-+,;=[]()~!#$%&{}@^\'.éèßÄÖüЖжλ☃中文';

/** A random name FAT can store (long, short, odd characters, unicode), unique in `taken` ignoring case. */
export function randomName(rand: () => number, taken: Set<string>, avoid = ''): string {
  for (;;) {
    const kind = rand();
    let name: string;
    if (kind < 0.25) {
      // A plain 8.3 name, upper or lower case.
      const base = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'[Math.floor(rand() * 36)]).join('');
      const ext = Array.from({ length: Math.floor(rand() * 4) }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[Math.floor(rand() * 26)]).join('');
      name = ext ? `${base}.${ext}` : base;
      if (rand() < 0.5) name = name.toLowerCase();
    } else {
      const len = kind < 0.9 ? 1 + Math.floor(rand() * 30) : 60 + Math.floor(rand() * 190);
      name = Array.from({ length: len }, () => NAME_CHARS[Math.floor(rand() * NAME_CHARS.length)]).join('');
    }
    name = name.replace(/^[ ]+/, '').replace(/[. ]+$/, '');
    if (!name || name === '.' || name === '..') continue;
    // Host file systems take 255 bytes of UTF-8 per name; FAT takes 255 UTF-16 units.
    if (Buffer.byteLength(name) > 255) continue;
    if ([...avoid].some((c) => name.includes(c))) continue;
    const key = name.toUpperCase();
    if (taken.has(key)) continue;
    taken.add(key);
    return name;
  }
}

export function randomBytes(rand: () => number, n: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(n / 4));
  for (let i = 0; i < words.length; i++) words[i] = rand() * 4294967296;
  return new Uint8Array(words.buffer, 0, n);
}

/**
 * A random tree: nested directories, empty files, files of one byte, of exactly one cluster,
 * spanning many clusters; names as randomName makes them.
 */
export function randomTree(
  rand: () => number,
  opts: { files: number; dirs: number; maxSize: number; clusterBytes: number; avoid?: string },
): Tree {
  const tree: Tree = new Map();
  const dirs = [''];
  const taken = new Map<string, Set<string>>([['', new Set()]]);
  for (let i = 0; i < opts.dirs; i++) {
    const parent = dirs[Math.floor(rand() * dirs.length)];
    const name = randomName(rand, taken.get(parent)!, opts.avoid);
    const path = parent ? `${parent}/${name}` : name;
    dirs.push(path);
    taken.set(path, new Set());
    tree.set(path, null);
  }
  for (let i = 0; i < opts.files; i++) {
    const parent = dirs[Math.floor(rand() * dirs.length)];
    const name = randomName(rand, taken.get(parent)!, opts.avoid);
    const r = rand();
    const size =
      r < 0.1 ? 0 : r < 0.15 ? 1 : r < 0.2 ? opts.clusterBytes : r < 0.25 ? opts.clusterBytes * 3 + 1 : Math.floor(rand() * opts.maxSize);
    tree.set(parent ? `${parent}/${name}` : name, randomBytes(rand, size));
  }
  return tree;
}

/** Describes the differences between two trees (empty when equal). */
export function diffTrees(want: Tree, got: Tree): string[] {
  const out: string[] = [];
  for (const [p, data] of want) {
    if (!got.has(p)) out.push(`missing: ${p}`);
    else {
      const g = got.get(p)!;
      if ((data === null) !== (g === null)) out.push(`kind differs: ${p}`);
      else if (data && g && (data.length !== g.length || !data.every((b, i) => b === g[i]))) {
        out.push(`content differs: ${p} (${data.length} vs ${g.length} bytes)`);
      }
    }
  }
  for (const p of got.keys()) if (!want.has(p)) out.push(`unexpected: ${p}`);
  return out;
}

/** What our library sees in a volume, as a Tree. */
export function volumeTree(vol: FatVolume, dir = '', out: Tree = new Map()): Tree {
  for (const e of vol.list(dir)) {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory) {
      out.set(rel, null);
      volumeTree(vol, rel, out);
    } else {
      out.set(rel, vol.readFile(rel));
    }
  }
  return out;
}

/** mtools treats * ? [ ] in image paths as wildcards: paths holding them cannot be named to it. */
export function mtoolsSafe(path: string): boolean {
  return !/[*?[\]]/.test(path);
}
