import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Preset, PresetError, decodePresetFragment, hasPresetFragment, localEntries, refName, validatePreset } from '../preset';
import { SECTOR_SIZE } from '../storage/block-device';
import { type BootDiskFile, composeBootDisk } from '../storage/boot-disk';
import { FatError, FatVolume } from '../storage/fat';
import { MemoryDisk } from '../storage/memory-disk';
import { type BootOptions, UsageError } from './args';
import { readBuiltinDiskParts } from './builtin-guest';
import { launchCommand } from '../preset/launch';
import { readOpk } from '../storage/opk';
import { formatSize } from './size';

/**
 * `odtab boot --preset URL-or-file`: the web app's preset drives the CLI. The argument is
 *   - a file holding a JSON preset, or a preset link (a URL with #v=1&..., or just the fragment);
 *   - an http(s) URL: a preset link (its #fragment is the preset), or a JSON preset / link to fetch.
 * Relative file references resolve against where the preset came from (the file's folder, the
 * fetched URL or the link's page). The preset's files are fetched or read, the boot disk (rootfs,
 * built-in local/, .dge apps in local/apps) and the apps disk (.opk in apps/, over the preset's
 * disk image if it has one) are composed in a temporary folder removed at exit, and boot runs
 * on them as on --kernel/--initrd/--hda/--hdb --snapshot.
 */

/** Largest file a preset may fetch (a whole disk image at most). */
const MAX_DOWNLOAD = 1024 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 120_000;
/** Room an apps disk gets beyond its .opk files (saves, config), and its smallest size. */
const APPS_DISK_SLACK = 16 * 1024 * 1024;

export interface LoadedPreset {
  preset: Preset;
  /** Where relative references resolve: an http(s) URL or a file: URL of a folder. */
  base: string;
}

/** Reads a preset from a file, a link or a URL (see above); every failure is a UsageError. */
export async function loadPreset(arg: string, fetchImpl: typeof fetch = fetch): Promise<LoadedPreset> {
  try {
    if (/^https?:\/\//i.test(arg)) {
      if (hasPresetFragment(arg)) return { preset: decodePresetFragment(arg), base: arg.split('#')[0] };
      const text = new TextDecoder().decode(await download(arg, 'preset', fetchImpl, 1 << 20));
      return { preset: parsePresetText(text, arg), base: arg };
    }
    let text: string;
    try {
      if (statSync(arg).size > 1 << 20) throw new UsageError(`preset file '${arg}' is too large for a preset`);
      text = readFileSync(arg, 'utf8');
    } catch (e) {
      if (e instanceof UsageError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`cannot read preset '${arg}': ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
    }
    const base = pathToFileURL(resolve(arg)).href;
    const preset = parsePresetText(text, base);
    // A link in a file resolves against its page; a JSON preset against the file's folder.
    const link = text.trim();
    return { preset, base: /^https?:\/\//i.test(link) ? link.split('#')[0] : base };
  } catch (e) {
    if (e instanceof PresetError) throw new UsageError(`preset: ${e.message}`);
    throw e;
  }
}

function parsePresetText(text: string, from: string): Preset {
  const t = text.trim();
  if (t.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(t);
    } catch (e) {
      throw new UsageError(`preset '${from}' is not valid JSON: ${(e as Error).message}`);
    }
    return validatePreset(obj);
  }
  if (!t.includes('\n') && hasPresetFragment(t)) return decodePresetFragment(t);
  throw new UsageError(`preset '${from}' is neither a JSON preset nor a preset link (#v=1&...)`);
}

/** Fetches a URL with a size limit; failures are one line naming what and where. */
async function download(url: string, what: string, fetchImpl: typeof fetch, limit = MAX_DOWNLOAD): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetchImpl(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new UsageError(`cannot download ${what} from ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
  if (!res.ok) throw new UsageError(`cannot download ${what} from ${url}: HTTP ${res.status} ${res.statusText}`.trim());
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > limit) throw new UsageError(`${what} at ${url} is ${formatSize(declared)}, over the ${formatSize(limit)} limit`);
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array(0);
  for (;;) {
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await reader.read();
    } catch (e) {
      throw new UsageError(`download of ${what} from ${url} broke off: ${(e as Error).message}`);
    }
    if (r.done) break;
    total += r.value.length;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw new UsageError(`${what} at ${url} is over the ${formatSize(limit)} limit`);
    }
    parts.push(r.value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The bytes of one reference, fetched (http(s)) or read (file:), relative to `base`. */
async function fetchRef(ref: string, base: string, what: string, fetchImpl: typeof fetch): Promise<Uint8Array> {
  let url: URL;
  try {
    url = new URL(ref, base);
  } catch {
    throw new UsageError(`preset: ${what} '${ref}' is not a valid URL`);
  }
  if (url.protocol === 'file:') {
    const path = fileURLToPath(url);
    try {
      const bytes = readFileSync(path);
      if (!bytes.length) throw new UsageError(`preset: ${what} '${path}' is empty`);
      return bytes;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`preset: cannot read ${what} '${path}': ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
  }
  const bytes = await download(url.href, what, fetchImpl);
  if (!bytes.length) throw new UsageError(`preset: ${what} at ${url.href} is empty`);
  return bytes;
}

/**
 * Turns `--preset` into ordinary boot options: files fetched into a temporary folder (removed at
 * exit), disks composed there and attached with --snapshot semantics. `note` gets status lines.
 */
export async function applyPreset(opts: BootOptions, note: (line: string) => void, fetchImpl: typeof fetch = fetch): Promise<BootOptions> {
  if (opts.kernel || opts.guest || opts.initrd) throw new UsageError('--preset sets the kernel and guest; it does not go with --kernel, --initrd or --guest');
  const { preset: p, base } = await loadPreset(opts.preset!, fetchImpl);
  const local = localEntries(p);
  if (local.length) {
    throw new UsageError(`preset: ${local.map((l) => l.name).join(', ')} ${local.length > 1 ? 'are files' : 'is a file'} from a browser (local:), which the CLI cannot load`);
  }
  note(`preset${p.name ? ` '${p.name}'` : ''}: ${[p.builtin && `built-in ${p.builtin} guest`, p.kernel && `kernel ${refName(p.kernel)}`, p.rootfs && `rootfs ${refName(p.rootfs)}`, ...(p.apps ?? []).map(refName), p.disk && `disk ${refName(p.disk)}`].filter(Boolean).join(', ')}`);
  const get = async (ref: string, what: string) => {
    const bytes = await fetchRef(ref, base, what, fetchImpl);
    note(`preset: ${what} ${refName(ref)} (${formatSize(bytes.length)})`);
    return bytes;
  };

  const dir = mkdtempSync(join(tmpdir(), 'odtab-preset-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const out: BootOptions = { ...opts, preset: undefined, snapshot: true };
  const save = (name: string, bytes: Uint8Array) => {
    const path = join(dir, name);
    const fd = openSync(path, 'w');
    try {
      writeSync(fd, bytes);
    } finally {
      closeSync(fd);
    }
    return path;
  };

  if (p.kernel) out.kernel = save('kernel-' + safeName(refName(p.kernel)), await get(p.kernel, 'kernel'));
  else out.guest = p.builtin;
  if (p.initrd) out.initrd = save('initrd-' + safeName(refName(p.initrd)), await get(p.initrd, 'initrd'));
  if (p.mem !== undefined) out.mem = p.mem;
  if (p.cpu !== undefined) out.cpu = p.cpu;
  // The built-in guest adds its own command line first; a preset kernel gets the preset's line.
  out.append = [p.append, opts.append].map((s) => s?.trim()).filter(Boolean).join(' ') || undefined;

  const apps = await Promise.all((p.apps ?? []).map(async (ref) => ({ name: refName(ref), data: await get(ref, 'app') })));
  const dges = apps.filter((a) => a.name.toLowerCase().endsWith('.dge'));
  const opks = apps.filter((a) => a.name.toLowerCase().endsWith('.opk'));
  /** The options, with the start command when the preset names an app among `onAppsDisk` or the .dge files. */
  const finish = async (onAppsDisk: { name: string; data: Uint8Array }[]) => {
    if (p.start) out.startCommand = await startCommand(p.start, onAppsDisk, [...dges.map((a) => a.name), ...(p.builtin ? builtinApps() : [])], note);
    return out;
  };

  // The boot disk: composed when the preset changes what the built-in one holds, or brings a rootfs.
  if (p.rootfs || dges.length || (p.builtin && p.kernel)) {
    if (opts.hda) throw new UsageError('--preset makes the boot disk from its rootfs and apps; it does not go with --hda');
    const parts = p.builtin ? readBuiltinDiskParts() : { local: [] as BootDiskFile[], dirs: [] as string[] };
    if (p.rootfs) {
      parts.rootfs = await get(p.rootfs, 'rootfs');
      parts.rootfsModified = undefined;
    }
    parts.local = [...(parts.local ?? []), ...dges.map((a) => ({ path: `apps/${a.name}`, data: a.data }))];
    out.hda = saveDisk(dir, 'boot.img', composeOrExplain(() => composeBootDisk(parts), 'boot disk'));
    note(`preset: boot disk with ${p.rootfs ? refName(p.rootfs) : 'the built-in rootfs.bin'}${dges.length ? ` and ${dges.map((a) => a.name).join(', ')} in local/apps` : ''}`);
  }

  // The apps disk (the second disk, /media/sdb): the preset's image, or a fresh FAT one, with the .opk files in apps/.
  if (p.disk || opks.length) {
    if (opts.hdb) throw new UsageError('--preset brings the second disk (its disk image or apps); it does not go with --hdb');
    let disk: MemoryDisk;
    let vol: FatVolume;
    if (p.disk) {
      const image = await get(p.disk, 'disk image');
      if (image.length % SECTOR_SIZE) throw new UsageError(`preset: disk image ${refName(p.disk)} is not a whole number of 512-byte sectors`);
      disk = MemoryDisk.fromBytes(image);
      if (!opks.length) {
        out.hdb = saveDisk(dir, 'disk.img', disk);
        return finish(diskOpks(disk));
      }
      vol = composeOrExplain(() => FatVolume.open(disk), `disk image ${refName(p.disk!)} (to add the .opk apps to)`);
    } else {
      const bytes = opks.reduce((n, a) => n + a.data.length, 0) + APPS_DISK_SLACK;
      disk = new MemoryDisk(Math.ceil(bytes / (1 << 20)) * ((1 << 20) / SECTOR_SIZE));
      vol = FatVolume.format(disk, { label: 'APPS' });
    }
    composeOrExplain(() => {
      vol.mkdir('apps', { parents: true });
      vol.preflight(opks.map((a) => ({ path: `apps/${a.name}`, size: a.data.length })), { replace: true });
      for (const a of opks) vol.writeFile(`apps/${a.name}`, a.data);
    }, 'apps disk');
    out.hdb = saveDisk(dir, 'apps.img', disk);
    note(`preset: apps disk (/dev/sdb) with ${opks.map((a) => a.name).join(', ')} in apps/`);
  }
  return finish(opks);
}

/**
 * The shell line that starts the preset's app, as the web app types it once the guest's serial
 * shell shows its prompt: an .opk from the preset's apps (run by its desktop file's Exec), or a
 * .dge in local/apps. A name that is not there is said, and the guest boots all the same.
 */
async function startCommand(
  name: string,
  opks: { name: string; data: Uint8Array }[],
  dges: string[],
  note: (line: string) => void,
): Promise<string | undefined> {
  const same = (a: string) => a.toLowerCase() === name.toLowerCase();
  const opk = opks.find((a) => same(a.name));
  if (opk) {
    let info;
    try {
      info = await readOpk(opk.data, { name: opk.name });
    } catch (e) {
      note(`preset: ${name} cannot be started: ${(e as Error).message.split('\n')[0]}`);
      return undefined;
    }
    const exec = info.usable[0]?.exec;
    if (!exec) {
      note(`preset: ${name} cannot be started: ${info.verdict}`);
      return undefined;
    }
    note(`preset: starts ${opk.name} at the first shell prompt`);
    return launchCommand({ kind: 'opk', guestPath: `/media/sdb/apps/${opk.name}`, exec });
  }
  const dge = dges.find(same);
  if (dge) {
    note(`preset: starts ${dge} at the first shell prompt`);
    return launchCommand({ kind: 'dge', guestPath: `/boot/local/apps/${dge}` });
  }
  note(`preset: starts ${name}, but no app of that name is in the preset or the built-in guest`);
  return undefined;
}

/** The .opk files in a preset disk image's apps/ (none when it is not a FAT with that folder). */
function diskOpks(disk: MemoryDisk): { name: string; data: Uint8Array }[] {
  try {
    const vol = FatVolume.open(disk);
    if (!vol.stat('apps')?.isDirectory) return [];
    return vol.list('apps').filter((e) => !e.isDirectory && /\.opk$/i.test(e.name)).map((e) => ({ name: e.name, data: vol.readFile(`apps/${e.name}`) }));
  } catch {
    return [];
  }
}

/** The .dge apps the built-in guest's local/apps holds. */
function builtinApps(): string[] {
  return (readBuiltinDiskParts().local ?? []).map((f) => f.path).filter((p) => /^apps\/[^/]+\.dge$/i.test(p)).map((p) => p.slice(5));
}

function composeOrExplain<T>(make: () => T, what: string): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof FatError) throw new UsageError(`preset: cannot make the ${what}: ${e.message}`);
    throw e;
  }
}

/** Writes a memory disk to a sparse file (only its non-zero chunks). */
function saveDisk(dir: string, name: string, disk: MemoryDisk): string {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, disk.sectors * SECTOR_SIZE);
    const step = 128;
    const buf = new Uint8Array(step * SECTOR_SIZE);
    for (let lba = 0; lba < disk.sectors; lba += step) {
      const n = Math.min(step, disk.sectors - lba);
      const part = buf.subarray(0, n * SECTOR_SIZE);
      disk.readSync(lba, n, part);
      if (part.some((b) => b !== 0)) writeSync(fd, part, 0, part.length, lba * SECTOR_SIZE);
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80) || 'file';
}

