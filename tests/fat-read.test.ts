/**
 * Our FAT reader against images made by mkfs.vfat and filled by mtools (mcopy, mmd, mdel,
 * mdeltree): every file and directory must list and read exactly as the source tree, with the
 * short names mtools gave them and the modification times it kept.
 */
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FatVolume } from '../src/storage/fat';
import { FileDisk } from '../src/storage/node/file-disk';
import {
  HAVE_FAT_TOOLS,
  NEEDS_TOOLS,
  type Tree,
  diffTrees,
  mdirShortNames,
  mkfsImage,
  mtoolsSafe,
  prng,
  randomTree,
  run,
  tempDir,
  volumeTree,
  writeHostTree,
} from './helpers/fat-tools';

interface Case {
  name: string;
  bytes: number;
  mkfs: string[];
  fatBits: 12 | 16 | 32;
  files: number;
  dirs: number;
  maxSize: number;
}

const CASES: Case[] = [
  { name: 'FAT12 floppy (1440 KiB, 1 sector per cluster, 224 root entries)', bytes: 1440 * 1024, mkfs: [], fatBits: 12, files: 40, dirs: 6, maxSize: 20_000 },
  { name: 'FAT12 4 MiB', bytes: 4 << 20, mkfs: [], fatBits: 12, files: 60, dirs: 8, maxSize: 60_000 },
  { name: 'FAT16 64 MiB', bytes: 64 << 20, mkfs: [], fatBits: 16, files: 120, dirs: 12, maxSize: 300_000 },
  { name: 'FAT16 with 2048-byte sectors', bytes: 32 << 20, mkfs: ['-S', '2048'], fatBits: 16, files: 40, dirs: 5, maxSize: 100_000 },
  { name: 'FAT32 600 MiB', bytes: 600 << 20, mkfs: [], fatBits: 32, files: 120, dirs: 12, maxSize: 300_000 },
  { name: 'FAT32 forced on 40 MiB (-F 32, 512-byte clusters)', bytes: 40 << 20, mkfs: ['-F', '32'], fatBits: 32, files: 60, dirs: 6, maxSize: 100_000 },
];

/** Copies a tree into the image with mtools, keeping modification times (mcopy -m). */
function mcopyTree(image: string, host: string, tree: Tree): void {
  const top = [...tree.keys()].filter((p) => !p.includes('/'));
  run('mcopy', ['-s', '-m', '-Q', '-i', image, ...top.map((p) => join(host, p)), '::/']);
}

function stampTimes(host: string, tree: Tree, rand: () => number): Map<string, Date> {
  const times = new Map<string, Date>();
  for (const p of tree.keys()) {
    // Even seconds between 1990 and 2030: what a FAT timestamp can hold exactly.
    const t = new Date(Date.UTC(1990, 0, 1) + Math.floor(rand() * 40 * 365) * 86400_000 + Math.floor(rand() * 43200) * 2000);
    if (tree.get(p) !== null) utimesSync(join(host, p), t, t);
    times.set(p, t);
  }
  return times;
}

describe.each(CASES)('reading $name made by mkfs.vfat + mtools', (c) => {
  it.skipIf(!HAVE_FAT_TOOLS)(`lists and reads every file exactly${NEEDS_TOOLS}`, () => {
    const dir = tempDir('fat-read');
    const image = join(dir, 'disk.img');
    mkfsImage(image, c.bytes, c.mkfs);
    const rand = prng(c.bytes ^ c.files);
    const host = join(dir, 'src');
    const disk0 = FileDisk.open(image, { readOnly: true });
    const clusterBytes = FatVolume.open(disk0).clusterBytes;
    disk0.close();
    // No '~' in names: mtools 4.0.32 writes a broken short name when one lands in the 8th place.
    const tree = randomTree(rand, { files: c.files, dirs: c.dirs, maxSize: c.maxSize, clusterBytes, avoid: '~' });
    writeHostTree(host, tree);
    const times = stampTimes(host, tree, rand);
    mcopyTree(image, host, tree);

    // Delete some files and a directory with mtools: their entries stay behind, marked deleted.
    const files = [...tree.keys()].filter((p) => tree.get(p) !== null);
    for (const p of files.filter((p, i) => i % 5 === 2 && mtoolsSafe(p))) {
      run('mdel', ['-i', image, `::/${p}`]);
      tree.delete(p);
    }
    const victim = [...tree.keys()].find((p) => tree.get(p) === null && p.includes('/') && mtoolsSafe(p));
    if (victim) {
      run('mdeltree', ['-i', image, `::/${victim}`]);
      for (const p of [...tree.keys()]) if (p === victim || p.startsWith(`${victim}/`)) tree.delete(p);
    }
    // New files after the deletions reuse their entries and clusters.
    const more = randomTree(prng(7), { files: 10, dirs: 0, maxSize: c.maxSize, clusterBytes, avoid: '~' });
    const moreHost = join(dir, 'more');
    const renamed: Tree = new Map();
    for (const [p, data] of more) if (!tree.has(p) && ![...tree.keys()].some((k) => k.toUpperCase() === p.toUpperCase())) renamed.set(p, data);
    writeHostTree(moreHost, renamed);
    mcopyTree(image, moreHost, renamed);
    for (const [p, data] of renamed) tree.set(p, data);

    const disk = FileDisk.open(image, { readOnly: true });
    try {
      const vol = FatVolume.open(disk);
      expect(vol.fatBits).toBe(c.fatBits);
      expect(diffTrees(tree, volumeTree(vol))).toEqual([]);

      // Modification times as mcopy -m kept them (to the 2 seconds FAT stores).
      for (const [p, t] of times) {
        if (!tree.has(p) || tree.get(p) === null) continue;
        const got = vol.stat(p)!.modified.getTime();
        expect(Math.abs(got - t.getTime()), p).toBeLessThan(2000);
      }

      // The 8.3 names mtools made, which our reader reports beside the long names.
      const dirs = ['', ...[...tree.keys()].filter((p) => tree.get(p) === null && mtoolsSafe(p))];
      for (const d of dirs.slice(0, 6)) {
        // Short names with bytes above 0x7f depend on the code page (mtools uses 850, Linux 437).
        const ascii = ([, s]: [string, string]) => /^[\x20-\x7e]+$/.test(s);
        const theirs = new Map([...mdirShortNames(image, `/${d}`)].filter(ascii));
        const ours = new Map(vol.list(d).map((e): [string, string] => [e.name, e.shortName]).filter(ascii));
        expect(ours, `short names in /${d}`).toEqual(theirs);
      }

      // Free space as mtools counts it.
      const minfo = run('minfo', ['-i', image, '::'], { allowFail: true });
      const free = /free clusters=(\d+)/.exec(minfo.stdout);
      if (free) expect(vol.freeBytes / vol.clusterBytes).toBe(Number(free[1]));
    } finally {
      disk.close();
    }
  });
});

describe('reading details', () => {
  it.skipIf(!HAVE_FAT_TOOLS)(`case-insensitive lookups, by long or short name${NEEDS_TOOLS}`, () => {
    const dir = tempDir('fat-read');
    const image = join(dir, 'disk.img');
    mkfsImage(image, 8 << 20);
    const host = join(dir, 'Some Long Directory Name');
    writeHostTree(dir, new Map<string, Uint8Array | null>([
      ['Some Long Directory Name', null],
      ['Some Long Directory Name/ReadMe First.txt', new TextEncoder().encode('first\n')],
    ]));
    run('mcopy', ['-s', '-i', image, host, '::/']);
    const disk = FileDisk.open(image, { readOnly: true });
    try {
      const vol = FatVolume.open(disk);
      const short = vol.list('Some Long Directory Name')[0].shortName;
      expect(short).toMatch(/^README~\d\.TXT$/);
      const want = 'first\n';
      const dec = (b: Uint8Array) => new TextDecoder().decode(b);
      expect(dec(vol.readFile('some long directory name/readme first.TXT'))).toBe(want);
      expect(dec(vol.readFile(`SOMELO~1/${short}`))).toBe(want);
      expect(vol.stat('Some Long Directory Name/nothing')).toBeUndefined();
    } finally {
      disk.close();
    }
  });
});
