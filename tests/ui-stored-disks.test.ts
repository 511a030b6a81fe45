import { quota } from './helpers/fake-quota';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { composeBootDisk } from '../src/storage/boot-disk';
import { FatVolume } from '../src/storage/fat';
import type { DiskBase } from '../src/storage/idb';
import { classifyFile } from '../src/ui/drops/classify';
import { StoredDisks } from '../src/ui/worker/stored-disks';
import { NEEDS_TOOLS, fsckProblems, mkfsImage, tempDir } from './helpers/fat-tools';

// The web app's disks over IndexedDB (fake-indexeddb: the environment, not what is tested).
// Each test uses its own preset suffix, i.e. its own stored disks; reopening is a page reload.
let n = 0;
const suffix = () => `-test${++n}`;
const dir = tempDir('ui-stored');
const text = (s: string) => new TextEncoder().encode(s);

function base(): DiskBase {
  const disk = composeBootDisk(
    { rootfs: new Uint8Array(100_000).fill(7), local: [{ path: 'etc/hello.txt', data: text('hello\n') }], dirs: ['apps', 'home'] },
    { size: 4 * 1024 * 1024, now: () => new Date(Date.UTC(2024, 0, 1)), volumeId: 42 },
  );
  return { identity: 'builtin:ui-test', sectors: disk.sectors, disk };
}

async function open(sfx: string, b = base()) {
  const reports: string[] = [];
  const disks = await StoredDisks.open(b, { suffix: sfx, report: (m) => reports.push(m) });
  return { disks, reports };
}

function exported(disks: StoredDisks, which: 'boot' | 'apps'): Promise<Uint8Array> {
  return disks.exportBlob(which)!.arrayBuffer().then((b) => new Uint8Array(b));
}

/** Images are compared by hash: deep equality of megabytes is slow. */
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

afterEach(() => {
  quota.bytesLeft = Infinity;
});

describe('StoredDisks', () => {
  it("keeps the guest's writes across a reload, over the composed base", async () => {
    const sfx = suffix();
    const { disks } = await open(sfx);
    FatVolume.open(disks.hda).writeFile('local/home/x', text('from the guest\n'));
    await disks.flush();
    const again = (await open(sfx)).disks;
    expect(new TextDecoder().decode(FatVolume.open(again.hda).readFile('local/home/x'))).toBe('from the guest\n');
    expect(new TextDecoder().decode(FatVolume.open(again.hda).readFile('local/etc/hello.txt'))).toBe('hello\n');
  });

  it(`applies drops to the stored disks: .dge into local/apps, .opk onto a new apps disk fsck.fat accepts${NEEDS_TOOLS}`, async () => {
    const sfx = suffix();
    const { disks } = await open(sfx);
    const squash = new Uint8Array(4096);
    squash.set([0x68, 0x73, 0x71, 0x73]);
    const items = [classifyFile('hi.dge', text('echo hi\n')), classifyFile('game.opk', squash)];
    expect(items.map((i) => i.kind)).toEqual(['dge', 'opk']);
    await disks.applyDrops(items as never, new Uint8Array(1));
    const again = (await open(sfx)).disks;
    expect(new TextDecoder().decode(FatVolume.open(again.hda).readFile('local/apps/hi.dge'))).toBe('echo hi\n');
    expect(FatVolume.open(again.hdb!).readFile('apps/game.opk')).toEqual(squash);
    const apps = join(dir, `apps-${sfx}.img`);
    writeFileSync(apps, await exported(again, 'apps'));
    expect(fsckProblems(apps)).toEqual([]);
  });

  it(`an imported .img becomes the boot disk (kept on reload); Reset goes back to the built-in guest${NEEDS_TOOLS}`, async () => {
    const sfx = suffix();
    const { disks } = await open(sfx);
    const path = join(dir, `import-${sfx}.img`);
    mkfsImage(path, 2 * 1024 * 1024, ['-n', 'MINE']);
    const image = new Uint8Array(readFileSync(path));
    const item = classifyFile('mine.img', image);
    expect(item.kind).toBe('image');
    await disks.applyDrops([item as never], new Uint8Array(1));
    expect(sha(await exported(disks, 'boot'))).toBe(sha(image));
    const again = (await open(sfx)).disks;
    expect(sha(await exported(again, 'boot'))).toBe(sha(image));
    await again.reset();
    expect(FatVolume.open(again.hda).stat('local/etc/hello.txt')).toBeDefined();
    expect(again.hdb).toBeUndefined();
    const third = (await open(sfx)).disks;
    expect(sha(await exported(third, 'boot'))).toBe(sha(await exported(again, 'boot')));
  });

  it('a full quota fails the drop with a reason and leaves what was stored', async () => {
    const sfx = suffix();
    const { disks } = await open(sfx);
    FatVolume.open(disks.hda).writeFile('local/home/keep', text('kept\n'));
    await disks.flush();
    quota.bytesLeft = 0;
    await expect(disks.applyDrops([classifyFile('big.dge', new Uint8Array(300_000).fill(1)) as never], new Uint8Array(1))).rejects.toThrow(
      /^the dropped files are on the disks for now but could not be saved \(retried\): browser storage is full: /,
    );
    quota.bytesLeft = Infinity;
    const again = (await open(sfx)).disks;
    expect(new TextDecoder().decode(FatVolume.open(again.hda).readFile('local/home/keep'))).toBe('kept\n');
    expect(FatVolume.open(again.hda).stat('local/apps/big.dge')).toBeUndefined();
  });

  it('a boot disk stored over another built-in guest is refused, not mixed with the new one', async () => {
    const sfx = suffix();
    await open(sfx);
    const other = { ...base(), identity: 'builtin:newer' };
    const err = await StoredDisks.open(other, { suffix: sfx, report: () => {} }).catch((e: unknown) => e);
    expect(StoredDisks.isBaseChanged(err)).toBe(true);
    await StoredDisks.resetStore(other, sfx);
    expect((await open(sfx, other)).disks.hda).toBeDefined();
  });
});

describe('StoredDisks without IndexedDB (a private window)', () => {
  /** Runs `body` with the global indexedDB replaced (fake-indexeddb is the environment here). */
  async function withIndexedDb<T>(replacement: unknown, body: () => Promise<T>): Promise<T> {
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'indexedDB')!;
    Object.defineProperty(globalThis, 'indexedDB', { value: replacement, configurable: true, writable: true });
    try {
      return await body();
    } finally {
      Object.defineProperty(globalThis, 'indexedDB', saved);
    }
  }

  const failingOpen = {
    open() {
      throw new DOMException('A mutation operation was attempted on a database that did not allow mutations.', 'InvalidStateError');
    },
  };

  for (const [what, replacement, reason] of [
    ['no indexedDB at all', undefined, /no IndexedDB/],
    ['an indexedDB whose open fails', failingOpen, /IndexedDB fails: A mutation operation/],
  ] as const) {
    it(`with ${what}, the disks work in memory, say a reload starts over, and a drop still lands${NEEDS_TOOLS}`, async () => {
      const sfx = suffix();
      const { disks, reports } = await withIndexedDb(replacement, () => open(sfx));
      expect(disks.persistent).toBe(false);
      expect(reports).toHaveLength(1);
      expect(reports[0]).toMatch(reason);
      expect(reports[0]).toMatch(/the disks live in this tab only and a reload starts over; Export keeps them$/);
      // The built-in guest's files are there, and what the guest and the drops write stays for the tab's life.
      expect(new TextDecoder().decode(FatVolume.open(disks.hda).readFile('local/etc/hello.txt'))).toBe('hello\n');
      FatVolume.open(disks.hda).writeFile('local/home/x', text('from the guest\n'));
      await disks.flush();
      await disks.applyDrops([classifyFile('hi.dge', text('echo hi\n')) as never], new Uint8Array(1));
      const boot = join(dir, `memory-${sfx}.img`);
      writeFileSync(boot, await exported(disks, 'boot'));
      expect(fsckProblems(boot)).toEqual([]);
      const fat = FatVolume.open(disks.hda);
      expect(new TextDecoder().decode(fat.readFile('local/home/x'))).toBe('from the guest\n');
      expect(new TextDecoder().decode(fat.readFile('local/apps/hi.dge'))).toBe('echo hi\n');
      // Reset goes back to the composed built-in disk.
      await disks.reset();
      expect(FatVolume.open(disks.hda).stat('local/home/x')).toBeUndefined();
      // Nothing reached IndexedDB: the same suffix opened with it is a fresh disk.
      const again = (await open(sfx)).disks;
      expect(again.persistent).toBe(true);
      expect(FatVolume.open(again.hda).stat('local/apps/hi.dge')).toBeUndefined();
    });
  }
});
