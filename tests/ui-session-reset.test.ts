import './helpers/fake-quota';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { composeBootDisk } from '../src/storage/boot-disk';
import type { DiskBase } from '../src/storage/idb';
import { classifyFile, type DropItem } from '../src/ui/drops/classify';
import type { WorkerCallbacks } from '../src/ui/worker/protocol';
import { Session } from '../src/ui/worker/session';
import { StoredDisks } from '../src/ui/worker/stored-disks';

// The web app's machine session (what the worker runs), on disks over fake-indexeddb (the
// environment, not what is tested). The two kernels are the built-in guest's own (odtab's) and
// Debian's, told apart by the version line each prints first.
const guest = (f: string) => gunzipSync(readFileSync(new URL(`../public/guest/${f}`, import.meta.url)));
const ODTAB = 'Linux version 6.1.192-odtab';
const DEBIAN = /Linux version 6\.1\.0-\d+-4kc-malta/;

function base(): DiskBase {
  const disk = composeBootDisk(
    { rootfs: new Uint8Array(100_000).fill(7), local: [], dirs: ['apps', 'home'] },
    { size: 4 * 1024 * 1024, now: () => new Date(Date.UTC(2024, 0, 1)), volumeId: 7 },
  );
  return { identity: 'builtin:session-test', sectors: disk.sectors, disk };
}

describe('Session', () => {
  it('"Reset disks" boots the kernel the page loaded again, not a kernel dropped since', async () => {
    const disks = await StoredDisks.open(base(), { suffix: '-session-reset', report: () => {} });
    let serial = '';
    const errors: string[] = [];
    const callbacks: WorkerCallbacks = {
      progress: () => {},
      serial: (b) => { serial += new TextDecoder().decode(b); },
      status: () => {},
      screen: () => {},
      frame: () => {},
      error: (m) => errors.push(m),
    };
    const session = new Session(
      { kernel: guest('vmlinux-odtab.gz'), kernelName: 'vmlinux-odtab', commandLine: 'console=ttyS0', disks, memMiB: 64 },
      callbacks,
      false,
    );
    const until = async (seen: () => boolean, what: string) => {
      const end = Date.now() + 60_000;
      while (!seen()) {
        if (Date.now() > end) throw new Error(`no ${what} on the serial console; it printed:\n${serial.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      const dropped = classifyFile('vmlinux', guest('vmlinux.gz'));
      expect(dropped.kind).toBe('kernel');
      session.stage([dropped as DropItem]);
      await session.boot();
      await until(() => DEBIAN.test(serial), "the dropped (Debian) kernel's version line");
      expect(serial).not.toContain(ODTAB);

      serial = '';
      await session.resetDisks();
      await until(() => serial.includes('Linux version'), 'a version line after "Reset disks"');
      expect(serial).toContain(ODTAB);
      expect(serial).not.toMatch(DEBIAN);
      expect(errors).toEqual([]);
    } finally {
      await session.powerOff();
    }
  });
});
