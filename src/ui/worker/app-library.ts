import { FatVolume } from '../../storage/fat';
import { readOpk } from '../../storage/opk';
import type { SyncDisk } from '../../storage/sync-disk';
import type { DropItem } from '../drops/classify';
import type { AppInfo } from './protocol';

/**
 * The apps on the disks, as the guest's launcher finds them: `.opk` in the apps disk's apps/
 * (/media/sdb/apps) with name, comment and icon from their desktop file, `.dge` in the boot
 * disk's local/apps/ by file name; and the staged ones, which arrive at the next boot. The FATs
 * are only read (the guest may have them mounted; a listing a moment old does no harm).
 */
export async function listApps(hda: SyncDisk, hdb: SyncDisk | undefined, staged: DropItem[]): Promise<AppInfo[]> {
  const apps: AppInfo[] = [];
  const stagedNames = new Set(staged.map((s) => s.name.toLowerCase()));
  if (hdb) {
    for (const [name, data] of readFolder(hdb, 'apps', '.opk')) {
      if (stagedNames.has(name.toLowerCase())) continue;
      apps.push(await opkApp(name, data, false));
    }
  }
  for (const [name] of readFolder(hda, 'local/apps', '.dge', false)) {
    if (stagedNames.has(name.toLowerCase())) continue;
    apps.push(dgeApp(name, false));
  }
  for (const item of staged) {
    if (item.kind === 'opk') apps.push(await opkApp(item.name, item.data, true));
    if (item.kind === 'dge') apps.push(dgeApp(item.name, true));
  }
  return apps.sort((a, b) => a.name.localeCompare(b.name));
}

function dgeApp(name: string, pending: boolean): AppInfo {
  return { kind: 'dge', file: name, guestPath: `/boot/local/apps/${name}`, name, comment: '', pending, problems: [] };
}

async function opkApp(name: string, data: Uint8Array, pending: boolean): Promise<AppInfo> {
  const base: AppInfo = { kind: 'opk', file: name, guestPath: `/media/sdb/apps/${name}`, name, comment: '', pending, problems: [] };
  try {
    const info = await readOpk(data, { name });
    const entry = info.usable[0] ?? info.entries[0];
    return {
      ...base,
      name: entry?.name || name,
      comment: entry?.comment ?? '',
      exec: info.usable[0]?.exec,
      iconPng: entry?.iconPng,
      // The launcher lists only packages with metadata for this device (gcw0 or all).
      warning: info.ok ? undefined : info.verdict,
      problems: entry?.problems ?? [],
    };
  } catch (e) {
    return { ...base, warning: (e as Error).message.split('\n')[0] };
  }
}

/** Files of `folder` ending in `ext` (with their bytes when `withData`), or none when it is not there. */
function readFolder(disk: SyncDisk, folder: string, ext: string, withData = true): [string, Uint8Array][] {
  try {
    const vol = FatVolume.open(disk);
    if (!vol.stat(folder)?.isDirectory) return [];
    return vol
      .list(folder)
      .filter((e) => !e.isDirectory && e.name.toLowerCase().endsWith(ext))
      .map((e): [string, Uint8Array] => [e.name, withData ? vol.readFile(`${folder}/${e.name}`) : new Uint8Array(0)]);
  } catch {
    // Not a FAT we can read (an imported image of another kind): no apps listed from it.
    return [];
  }
}
