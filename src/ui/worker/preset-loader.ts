import type { BootDiskParts } from '../../storage/boot-disk';
import { type Preset, builtinGuestFiles, presetFiles, refName } from '../../preset';
import { type DropItem, classifyFile } from '../drops/classify';
import { DownloadError, download, gunzipIfNeeded } from './download';
import type { DownloadProgress } from './protocol';

/** The fields of public/guest/manifest.json read here (see guest/README.md). */
export interface Manifest {
  diskCmdline?: string;
  odtabKernel?: { file?: string; cmdline?: string };
  rootfs?: { file?: string; bootPath?: string };
  local?: { dir?: string; dirs?: string[]; files?: { path: string; size: number; sha256?: string }[] };
  files?: Record<string, { size: number; sha256?: string }>;
}

/**
 * Everything a preset boots, downloaded with one progress bar: the built-in guest's files (from
 * public/guest/, as manifest.json lists them) with the preset's kernel, initrd, rootfs, disk and
 * apps over them. Relative references are resolved against the page; `local:` ones are files
 * already in this browser's disks and are not downloaded.
 */
export interface LoadedPreset {
  kernel: Uint8Array;
  kernelName: string;
  initrd?: Uint8Array;
  commandLine: string;
  disk: BootDiskParts;
  /** Names what the composed boot disk is made of (the stored disk's base identity). */
  diskIdentity: string;
  /** A disk image for the second disk, when the preset gives one. */
  appsImage?: Uint8Array;
  /** The preset's apps, to be written onto the disks before the first boot. */
  apps: DropItem[];
  /** Notes for the user (local files skipped). */
  notes: string[];
}

export async function loadPreset(
  preset: Preset,
  guestUrl: string,
  pageUrl: string,
  progress: (p: DownloadProgress) => void,
): Promise<LoadedPreset> {
  const manifestBytes = await download(guestUrl + 'manifest.json', () => {});
  let manifest: Manifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as Manifest;
  } catch (e) {
    throw new DownloadError(`${guestUrl}manifest.json is not JSON: ${(e as Error).message}`);
  }
  // Without a built-in guest the preset's kernel boots the odtab guest's disk (its rootfs and local/).
  const guest = builtinGuestFiles(preset.builtin ?? 'odtab', manifest);
  const sizes = manifest.files ?? {};
  const jobs: { url: string; label: string; size: number }[] = [];
  const add = (url: string, label: string, size = 0) => {
    jobs.push({ url, label, size });
    return jobs.length - 1;
  };
  const fromGuest = (path: string) => add(guestUrl + path, path, sizes[path]?.size ?? 0);
  const fromPreset = (ref: string) => add(new URL(ref, pageUrl).href, refName(ref));

  const notes: string[] = [];
  const isLocal = (ref?: string) => !!ref && ref.startsWith('local:');
  for (const f of presetFiles(preset)) if (f.local) notes.push(`${f.name} (${f.field}) is a file of this browser's disks: not downloaded`);

  const kernelJob = preset.kernel && !isLocal(preset.kernel) ? fromPreset(preset.kernel) : fromGuest(guest.kernel);
  const initrdRef = preset.initrd && !isLocal(preset.initrd) ? preset.initrd : undefined;
  const initrdJob = initrdRef ? fromPreset(initrdRef) : guest.initrd && !preset.kernel ? fromGuest(guest.initrd) : undefined;
  const rootfsRef = preset.rootfs && !isLocal(preset.rootfs) ? preset.rootfs : undefined;
  const rootfsJob = rootfsRef ? fromPreset(rootfsRef) : fromGuest(guest.rootfs);
  const localJobs = guest.local.map((f) => add(`${guestUrl}${guest.localDir}/${f.path}`, `local/${f.path}`, f.size ?? 0));
  const diskJob = preset.disk && !isLocal(preset.disk) ? fromPreset(preset.disk) : undefined;
  const appJobs = (preset.apps ?? []).filter((a) => !isLocal(a)).map((a) => ({ name: refName(a), job: fromPreset(a) }));

  const total = jobs.reduce((n, j) => n + j.size, 0);
  let loaded = 0;
  const data = await Promise.all(
    jobs.map((j) =>
      download(j.url, (n) => {
        loaded += n;
        progress({ file: j.label, loaded, total: Math.max(total, loaded) });
      }),
    ),
  );
  const kernelName = refName(jobs[kernelJob]!.url).replace(/\.gz$/, '');
  const kernel = await gunzipIfNeeded(data[kernelJob]!, kernelName);
  const initrd = initrdJob === undefined ? undefined : await gunzipIfNeeded(data[initrdJob]!, 'initrd');

  const apps: DropItem[] = [];
  for (const { name, job } of appJobs) {
    const item = classifyFile(name, data[job]!);
    if (item.kind !== 'opk' && item.kind !== 'dge') throw new DownloadError(`${jobs[job]!.url} is not an .opk or .dge: ${item.kind === 'unknown' ? item.reason : item.note}`);
    apps.push(item);
  }
  const commandLine = preset.kernel && !preset.builtin
    ? preset.append ?? ''
    : [guest.cmdline, preset.append ?? ''].map((s) => s.trim()).filter(Boolean).join(' ');
  return {
    kernel,
    kernelName,
    initrd,
    commandLine,
    disk: {
      rootfs: data[rootfsJob]!,
      rootfsName: guest.rootfsBootPath,
      local: guest.local.map((f, i) => ({ path: f.path, data: data[localJobs[i]!]! })),
      dirs: guest.dirs,
    },
    // A rootfs from elsewhere makes another boot disk: named by its URL and size.
    diskIdentity: rootfsRef ? `${guest.identity};rootfs=${new URL(rootfsRef, pageUrl).href}:${data[rootfsJob]!.length}` : guest.identity,
    appsImage: diskJob === undefined ? undefined : data[diskJob],
    apps,
    notes,
  };
}

/**
 * Which stored disks a preset uses: the default ones for every preset that boots the same disks
 * (those that only change the command line, memory, CPU or the app to start), others of its own,
 * so opening a shared link never writes into the disks of the user's own setup.
 */
export function diskSuffix(preset: Preset): string {
  const shape = { g: preset.builtin ?? 'odtab', r: preset.rootfs, d: preset.disk, a: preset.apps };
  if (shape.g === 'odtab' && !shape.r && !shape.d && !shape.a?.length) return '';
  const text = JSON.stringify(shape);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `-${(h >>> 0).toString(16).padStart(8, '0')}`;
}
