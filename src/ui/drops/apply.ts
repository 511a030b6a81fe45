import { parseElf } from '../../emu/boot/elf';
import { SECTOR_SIZE } from '../../storage/block-device';
import { FatVolume } from '../../storage/fat';
import { MemoryDisk } from '../../storage/memory-disk';
import type { SyncDisk } from '../../storage/sync-disk';
import type { DropItem } from './classify';

/** The apps disk (hdb) made for the first dropped .opk: FAT, apps/ at its root (OpenDingux's /media/sdb/apps). */
export const APPS_DISK_BYTES = 64 * 1024 * 1024;

export interface GuestDisks {
  kernel: Uint8Array;
  hda: SyncDisk;
  hdb?: SyncDisk;
}

/**
 * Checks a dropped item on its own (a kernel that parses, an image FAT can open), so a bad one is
 * refused when dropped, not at the next boot. Throws a one-line Error.
 */
export function checkDrop(item: DropItem): void {
  if (item.kind === 'kernel') parseElf(item.data, item.name);
  if (item.kind === 'image') FatVolume.open(MemoryDisk.fromBytes(item.data, { readOnly: true }));
}

/**
 * Applies staged drops while the machine is off: an image replaces the boot disk; a kernel the
 * kernel; rootfs, .dge and local/ files are written into the boot disk's FAT, .opk files into the
 * apps disk's apps/ (made on first use). Each disk's writes are preflighted together first, so a
 * failure (no space, a bad name) throws before that disk is touched.
 */
export function applyDrops(items: DropItem[], disks: GuestDisks): GuestDisks {
  let { kernel, hda, hdb } = disks;
  for (const item of items) {
    if (item.kind === 'image') hda = MemoryDisk.fromBytes(item.data);
    if (item.kind === 'kernel') kernel = item.data;
  }
  const bootFiles = items.flatMap((item): { path: string; data: Uint8Array }[] => {
    if (item.kind === 'rootfs') return [{ path: 'rootfs.bin', data: item.data }];
    if (item.kind === 'dge') return [{ path: `local/apps/${item.name}`, data: item.data }];
    if (item.kind === 'local') return [{ path: `local/${item.name}`, data: item.data }];
    return [];
  });
  if (bootFiles.length) writeFiles(FatVolume.open(hda), bootFiles);
  const apps = items.filter((i) => i.kind === 'opk').map((i) => ({ path: `apps/${i.name}`, data: i.data }));
  if (apps.length) {
    if (!hdb) {
      hdb = new MemoryDisk(APPS_DISK_BYTES / SECTOR_SIZE);
      FatVolume.format(hdb, { label: 'APPS' });
    }
    writeFiles(FatVolume.open(hdb), apps);
  }
  return { kernel, hda, hdb };
}

function writeFiles(vol: FatVolume, given: { path: string; data: Uint8Array }[]): void {
  // The same name dropped twice: the later drop wins (FAT names ignore case).
  const files = [...new Map(given.map((f) => [f.path.toUpperCase(), f])).values()];
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  vol.preflight(
    [...[...dirs].map((path) => ({ path, size: 0, directory: true })), ...files.map((f) => ({ path: f.path, size: f.data.length }))],
    { replace: true },
  );
  for (const d of dirs) if (!vol.stat(d)) vol.mkdir(d, { parents: true });
  for (const f of files) vol.writeFile(f.path, f.data, { replace: true });
}
