import { closeSync, existsSync, openSync, readSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { SECTOR_SIZE } from '../storage/block-device';
import {
  type BootCheckReport,
  FatError,
  type FatVolume as FatVolumeType,
  FatVolume,
  type FileSource,
  ROOTFS_NAMES,
  checkBootImage,
  checkFat,
  describeSquashfs,
  planFormat,
  validateLongName,
} from '../storage/fat';
import { FileDisk } from '../storage/node/file-disk';
import { DEFAULT_BOOT_DISK_BYTES, writeBootDisk } from '../storage/boot-disk';
import { UsageError } from './args';
import { BUILTIN_DISK_LABEL, readBuiltinDiskParts } from './builtin-guest';
import { hostReason } from './disk-image';
import { formatSize, parseSize } from './size';

export const DISK_HELP = `Usage: odtab disk <command> IMAGE [arguments] [options]

Make and change FAT disk images for the machine's IDE disks (--hda, --hdb): whole-disk FAT as
mkdosfs makes it (no partition table), with long file names. Paths inside the image use '/'
and are case-insensitive, as on FAT.

Commands:
  create IMAGE --size SIZE [--rootfs FILE] [--local DIR]   make a new OpenDingux-style disk
  create IMAGE --builtin [--size SIZE]     the built-in guest's boot disk, to keep (--hda)
  ls IMAGE [PATH]                list a directory (or one file): size, date, name
  add IMAGE FILE... DEST         copy host files or directories into the image
  cat IMAGE PATH...              write files from the image to standard output
  mkdir IMAGE PATH... [-p]       make directories
  rm IMAGE PATH... [-r]          delete files and empty directories (-r: any directory)
  mv IMAGE FROM TO               rename or move a file or directory
  check IMAGE                    can odtab boot this disk? (sound FAT, squashfs rootfs.bin)

Run odtab disk <command> --help for the details of one command.
Exit codes: 0 done, 2 bad input or a disk that cannot be used (one line on stderr), 1 internal error.
`;

const HELP: Record<string, string> = {
  create: `Usage: odtab disk create IMAGE --size SIZE [--rootfs FILE] [--local DIR] [options]
       odtab disk create IMAGE --builtin [--size SIZE] [options]

Make a new disk image laid out like an OpenDingux SD card: FAT on the whole disk (FAT12/16
below 512 MiB, FAT32 from there, chosen as mkfs.vfat chooses for that size), holding the root
file system as rootfs.bin and a local/ folder with apps/, home/ and etc/ (always made, even with
no --local: the guest's /usr/local is /boot/local, root's home is local/home and its boot
scripts are local/etc/init.d). The image file is sparse and is written only when complete.

With --builtin it is the disk odtab boot composes in memory for the built-in guest (its
rootfs.bin and local/ skeleton, label ODTAB, 64M unless --size), so that the guest's changes
can be kept: odtab boot --hda IMAGE.

Options:
  --builtin           store the built-in guest's rootfs.bin and local/ (not with --rootfs/--local)
  --size SIZE         size of the image: a number of bytes or with K, M, G suffix (64M, 1G)
  --rootfs FILE       squashfs root file system to store as rootfs.bin
  --rootfs-name NAME  store it under this name instead (e.g. rootfs.squashfs)
  --local DIR         copy the contents of DIR into local/ (subdirectories included)
  --label TEXT        volume label (up to 11 characters)
  --fat 12|16|32      force the FAT width
  --force             replace IMAGE if it exists
  -h, --help          show this help
`,
  ls: `Usage: odtab disk ls IMAGE [PATH]

List the directory PATH of the image (default: the root), one entry a line with its size,
modification time and name, sorted by name; directories show <DIR> and end with '/'.
With PATH a file, show that file.
`,
  add: `Usage: odtab disk add IMAGE FILE... DEST [--force]

Copy host files into the image. When DEST ends with '/' or is a directory in the image (or more
than one FILE is given), each FILE goes into DEST under its own name; otherwise the one FILE is
stored as DEST. A FILE that is a directory is copied with everything in it. Missing directories
on the way to DEST are made. Nothing is written when the files do not fit or a name is already
taken: the image stays as it was.

Options:
  --force      replace files that already exist in the image
  -h, --help   show this help
`,
  cat: `Usage: odtab disk cat IMAGE PATH...

Write the files at PATH in the image to standard output, one after the other.
`,
  mkdir: `Usage: odtab disk mkdir IMAGE PATH... [-p]

Make directories in the image.

Options:
  -p, --parents   make missing parent directories too; no error if a directory exists
  -h, --help      show this help
`,
  rm: `Usage: odtab disk rm IMAGE PATH... [-r]

Delete files and empty directories from the image. Every PATH is checked before anything is
deleted.

Options:
  -r, --recursive   delete directories with everything in them
  -h, --help        show this help
`,
  mv: `Usage: odtab disk mv IMAGE FROM TO

Rename or move a file or directory inside the image. When TO ends with '/' or is a directory,
FROM moves into it under its own name. TO must not exist otherwise.
`,
  check: `Usage: odtab disk check IMAGE [options]

Check that odtab can boot the disk: a valid FAT boot sector, every cluster chain sound (inside
the volume, no loops, no clusters shared between files, long enough for the file's size), and a
squashfs 4 root file system named rootfs.bin (or rootfs.squashfs) in the root directory. Prints
a summary and exits 0, or prints the first problem and exits 2. Harmless leftovers (lost
clusters) are printed as warnings.

Options:
  --no-rootfs         check the FAT only (a second disk with apps, say)
  --rootfs-name NAME  the root file system's name (default rootfs.bin, then rootfs.squashfs)
  -v, --verbose       list every problem found, not only the first
  -h, --help          show this help
`,
};

type Values = Record<string, string | boolean | undefined>;

function parse(
  command: string,
  argv: string[],
  options: Record<string, { type: 'string' | 'boolean'; short?: string }>,
): { values: Values; positionals: string[] } | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see odtab disk ${command} --help)`);
  }
  if (parsed.values.help) return 'help';
  return { values: parsed.values as Values, positionals: parsed.positionals };
}

/** Runs `odtab disk ...`; returns the exit code, throws UsageError for bad input. */
export async function diskCommand(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(DISK_HELP);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown disk command '${command}' (try odtab disk --help)`);
  return run(rest);
}

const COMMANDS: Record<string, (argv: string[]) => number | Promise<number>> = {
  create: createCommand,
  ls: lsCommand,
  add: addCommand,
  cat: catCommand,
  mkdir: mkdirCommand,
  rm: rmCommand,
  mv: mvCommand,
  check: checkCommand,
};

// ---- opening images ---------------------------------------------------------------------------

interface Opened {
  disk: FileDisk;
  vol: FatVolumeType;
}

function openImage(image: string, writable: boolean): Opened {
  let disk: FileDisk;
  try {
    disk = FileDisk.open(image, { readOnly: !writable });
  } catch (e) {
    throw new UsageError(`cannot open disk image '${image}': ${hostReason(e)}`);
  }
  try {
    return { disk, vol: FatVolume.open(disk) };
  } catch (e) {
    disk.close();
    throw fatFailure(image, e);
  }
}

/** A FAT library error as the one line the user sees; anything else is a host I/O problem. */
function fatFailure(image: string, e: unknown): Error {
  if (e instanceof UsageError) return e;
  if (e instanceof FatError) return new UsageError(`${image}: ${e.message}`);
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code) return new UsageError(`${image}: ${hostReason(e)}`);
  return e as Error;
}

function withImage<T>(image: string, writable: boolean, body: (o: Opened) => T): T {
  const opened = openImage(image, writable);
  try {
    return body(opened);
  } catch (e) {
    throw fatFailure(image, e);
  } finally {
    opened.disk.close();
  }
}

function needPositionals(command: string, positionals: string[], min: number, what: string): void {
  if (positionals.length < min) throw new UsageError(`disk ${command} needs ${what} (see odtab disk ${command} --help)`);
}

// ---- host files ---------------------------------------------------------------------------------

interface HostItem {
  host: string;
  /** Path in the image. */
  path: string;
  directory: boolean;
  size: number;
  mtime: Date;
}

/** Lists a host file or directory tree as items to store under `imagePath`, checking every name. */
function scanHost(host: string, imagePath: string, out: HostItem[], seen = new Set<string>()): void {
  let st;
  try {
    st = statSync(host);
  } catch (e) {
    throw new UsageError(`cannot read '${host}': ${hostReason(e)}`);
  }
  const name = basename(imagePath);
  if (name) {
    try {
      validateLongName(name);
    } catch (e) {
      throw new UsageError(`cannot store '${host}' on FAT: ${(e as Error).message}`);
    }
  }
  if (st.isDirectory()) {
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) throw new UsageError(`'${host}' links back to a directory being copied`);
    seen.add(id);
    out.push({ host, path: imagePath, directory: true, size: 0, mtime: st.mtime });
    let names: string[];
    try {
      names = readdirSync(host).sort();
    } catch (e) {
      throw new UsageError(`cannot read directory '${host}': ${hostReason(e)}`);
    }
    for (const n of names) scanHost(join(host, n), imagePath ? `${imagePath}/${n}` : n, out, seen);
    seen.delete(id);
    return;
  }
  if (!st.isFile()) throw new UsageError(`'${host}' is not a regular file or directory`);
  if (st.size > 0xffffffff) throw new UsageError(`'${host}' is ${formatSize(st.size)}; FAT files stop at 4 GiB`);
  out.push({ host, path: imagePath, directory: false, size: st.size, mtime: st.mtime });
}

/** A host file read in pieces while it is copied, so large files need not fit in memory. */
function hostSource(path: string, size: number): FileSource & { close(): void } {
  let fd: number | undefined;
  return {
    size,
    read(offset, into) {
      try {
        fd ??= openSync(path, 'r');
      } catch (e) {
        throw new UsageError(`cannot read '${path}': ${hostReason(e)}`);
      }
      let done = 0;
      while (done < into.length) {
        const n = readSync(fd, into, done, into.length - done, offset + done);
        if (n === 0) throw new UsageError(`'${path}' got shorter while it was being copied`);
        done += n;
      }
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/** Writes the scanned items (directories first, in order) into the volume. */
function storeItems(vol: FatVolumeType, items: HostItem[], replace: boolean): void {
  for (const item of items) {
    if (item.directory) {
      vol.mkdir(item.path, { parents: true, modified: item.mtime });
      continue;
    }
    const source = hostSource(item.host, item.size);
    try {
      vol.writeFile(item.path, source, { replace, modified: item.mtime });
    } finally {
      source.close();
    }
  }
}

function readHead(path: string, length: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(length);
    const n = readSync(fd, buf, 0, length, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

// ---- commands -----------------------------------------------------------------------------------

function createCommand(argv: string[]): number {
  const p = parse('create', argv, {
    size: { type: 'string' },
    rootfs: { type: 'string' },
    'rootfs-name': { type: 'string' },
    local: { type: 'string' },
    label: { type: 'string' },
    fat: { type: 'string' },
    force: { type: 'boolean' },
    builtin: { type: 'boolean' },
  });
  if (p === 'help') return help('create');
  const { values: v, positionals } = p;
  needPositionals('create', positionals, 1, 'an IMAGE file name');
  if (positionals.length > 1) throw new UsageError(`disk create takes one IMAGE, not '${positionals.slice(1).join(' ')}'`);
  const image = positionals[0];
  if (v.builtin) {
    const other = ['rootfs', 'rootfs-name', 'local'].find((o) => v[o] !== undefined);
    if (other) throw new UsageError(`--builtin brings its own rootfs and local/; it does not go with --${other}`);
  }
  if (v.size === undefined && !v.builtin) throw new UsageError('disk create needs --size (for example --size 64M)');
  const size = v.size === undefined ? DEFAULT_BOOT_DISK_BYTES : parseSize(v.size as string);
  let fatBits: 12 | 16 | 32 | undefined;
  if (v.fat !== undefined) {
    if (!['12', '16', '32'].includes(v.fat as string)) throw new UsageError(`--fat must be 12, 16 or 32, not '${v.fat}'`);
    fatBits = Number(v.fat) as 12 | 16 | 32;
  }
  let layout;
  try {
    layout = planFormat(size / SECTOR_SIZE, fatBits);
  } catch (e) {
    throw new UsageError(`--size ${v.size}: ${(e as Error).message}`);
  }
  if (!v.force && existsSync(image)) throw new UsageError(`'${image}' already exists (use --force to replace it)`);
  if (v.builtin) return createBuiltin(image, size, fatBits, (v.label as string | undefined) ?? BUILTIN_DISK_LABEL);

  // Everything to store, checked before the image file is made.
  const items: HostItem[] = [];
  for (const d of ['local', 'local/apps', 'local/home', 'local/etc']) {
    items.push({ host: '', path: d, directory: true, size: 0, mtime: new Date() });
  }
  const rootfsName = (v['rootfs-name'] as string | undefined) ?? 'rootfs.bin';
  if (v.rootfs !== undefined) {
    const rootfs = v.rootfs as string;
    const before = items.length;
    scanHost(rootfs, rootfsName, items);
    const item = items[before];
    if (item.directory) throw new UsageError(`rootfs '${rootfs}' is a directory, not a squashfs image`);
    const problem = describeSquashfs(readHead(rootfs, 96), item.size, `rootfs '${rootfs}'`);
    if (typeof problem === 'string') throw new UsageError(problem);
  }
  if (v.local !== undefined) {
    const local = v.local as string;
    const before = items.length;
    scanHost(local, 'local', items);
    if (!items[before].directory) throw new UsageError(`--local '${local}' is not a directory`);
    items.splice(before, 1); // local/ itself is already there
  }

  return buildImage(image, size, (disk) => {
    const vol = FatVolume.format(disk, { fatBits, label: v.label as string | undefined });
    vol.preflight(items.map((i) => ({ path: i.path, size: i.size, directory: i.directory })));
    storeItems(vol, items, false);
    const files = items.filter((i) => !i.directory).length;
    return `${formatSize(size)} FAT${layout.fatBits}, ${plural(files, 'file')}` +
      `${v.rootfs !== undefined ? ` (${rootfsName} ${formatSize(items.find((i) => i.path === rootfsName)!.size)})` : ''}` +
      `, ${formatSize(vol.freeBytes)} free`;
  });
}

/**
 * Makes IMAGE of `size` bytes with `fill` (which returns the summary printed after the name). It
 * is built in a temporary file beside IMAGE and renamed into place only when complete, so a
 * failure (or --force over an existing image) never leaves a half-made or lost image.
 */
function buildImage(image: string, size: number, fill: (disk: FileDisk) => string): number {
  const temp = join(dirname(image), `.${basename(image)}.odtab-${process.pid}.tmp`);
  let disk: FileDisk;
  try {
    disk = FileDisk.create(temp, size, { overwrite: true });
  } catch (e) {
    throw new UsageError(`cannot create '${image}': ${hostReason(e)}`);
  }
  let ok = false;
  try {
    const summary = fill(disk);
    disk.flushSync();
    disk.close();
    renameSync(temp, image);
    ok = true;
    process.stdout.write(`${image}: ${summary}\n`);
    return 0;
  } catch (e) {
    throw fatFailure(image, e);
  } finally {
    if (!ok) {
      disk.close();
      try {
        unlinkSync(temp);
      } catch {
        // already gone
      }
    }
  }
}

/** `create --builtin`: the composition odtab boot does in memory, into a file. */
function createBuiltin(image: string, size: number, fatBits: 12 | 16 | 32 | undefined, label: string): number {
  const parts = readBuiltinDiskParts();
  return buildImage(image, size, (disk) => {
    const vol = writeBootDisk(disk, parts, { fatBits, label });
    const files = (parts.rootfs ? 1 : 0) + (parts.local?.length ?? 0);
    const rootfs = parts.rootfs ? ` (${parts.rootfsName ?? 'rootfs.bin'} ${formatSize(parts.rootfs.length)})` : '';
    return `${formatSize(size)} FAT${vol.fatBits}, built-in guest, ${plural(files, 'file')}${rootfs}, ${formatSize(vol.freeBytes)} free`;
  });
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

function listLine(e: { name: string; isDirectory: boolean; size: number; modified: Date }): string {
  const d = e.modified;
  const when = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
  const size = e.isDirectory ? '<DIR>' : String(e.size);
  return `${size.padStart(12)}  ${when}  ${e.name}${e.isDirectory ? '/' : ''}\n`;
}

function lsCommand(argv: string[]): number {
  const p = parse('ls', argv, {});
  if (p === 'help') return help('ls');
  needPositionals('ls', p.positionals, 1, 'an IMAGE');
  if (p.positionals.length > 2) throw new UsageError('disk ls takes IMAGE and at most one PATH');
  const [image, path = '/'] = p.positionals;
  const out = withImage(image, false, ({ vol }) => {
    const entry = vol.stat(path);
    if (!entry) throw new UsageError(`${image}: '${path}': no such file or directory`);
    if (!entry.isDirectory) return listLine(entry);
    return vol
      .list(path)
      .sort((a, b) => (a.name.toUpperCase() < b.name.toUpperCase() ? -1 : a.name.toUpperCase() > b.name.toUpperCase() ? 1 : 0))
      .map(listLine)
      .join('');
  });
  process.stdout.write(out);
  return 0;
}

function addCommand(argv: string[]): number {
  const p = parse('add', argv, { force: { type: 'boolean' } });
  if (p === 'help') return help('add');
  needPositionals('add', p.positionals, 3, 'IMAGE, at least one FILE and a DEST');
  const [image, ...args] = p.positionals;
  const dest = args.pop()!;
  const sources = args;
  const replace = !!p.values.force;
  return withImage(image, true, ({ vol, disk }) => {
    const destEntry = vol.stat(dest);
    const intoDir = dest.endsWith('/') || dest === '' || sources.length > 1 || !!destEntry?.isDirectory;
    if (intoDir && destEntry && !destEntry.isDirectory) throw new UsageError(`${image}: '${dest}' is a file, not a directory`);
    const items: HostItem[] = [];
    const destPath = dest.replace(/\/+$/, '');
    for (const src of sources) {
      const name = basename(src.replace(/\/+$/, ''));
      scanHost(src, intoDir ? (destPath ? `${destPath}/${name}` : name) : destPath, items);
    }
    // Everything is checked (names, clashes, space) before the first byte is written.
    vol.preflight(
      items.map((i) => ({ path: i.path, size: i.size, directory: i.directory })),
      { replace },
    );
    storeItems(vol, items, replace);
    disk.flushSync();
    return 0;
  });
}

async function catCommand(argv: string[]): Promise<number> {
  const p = parse('cat', argv, {});
  if (p === 'help') return help('cat');
  needPositionals('cat', p.positionals, 2, 'IMAGE and a PATH');
  const [image, ...paths] = p.positionals;
  const { disk, vol } = openImage(image, false);
  try {
    for (const path of paths) {
      const entry = vol.stat(path);
      if (!entry) throw new UsageError(`${image}: '${path}': no such file`);
      if (entry.isDirectory) throw new UsageError(`${image}: '${path}' is a directory`);
    }
    for (const path of paths) {
      for (const chunk of vol.readChunks(path)) {
        await new Promise<void>((resolve, reject) => process.stdout.write(chunk, (err) => (err ? reject(err) : resolve())));
      }
    }
    return 0;
  } catch (e) {
    throw fatFailure(image, e);
  } finally {
    disk.close();
  }
}

function mkdirCommand(argv: string[]): number {
  const p = parse('mkdir', argv, { parents: { type: 'boolean', short: 'p' } });
  if (p === 'help') return help('mkdir');
  needPositionals('mkdir', p.positionals, 2, 'IMAGE and a PATH');
  const [image, ...paths] = p.positionals;
  const parents = !!p.values.parents;
  return withImage(image, true, ({ vol, disk }) => {
    for (const path of paths) {
      const parts = path.split('/').filter((s) => s && s !== '.');
      if (parts.length === 0) throw new UsageError(`${image}: '${path}': the root directory exists`);
      if (!parents) {
        const parent = vol.stat(parts.slice(0, -1).join('/'));
        if (!parent) throw new UsageError(`${image}: '${path}': no such directory '${parts.slice(0, -1).join('/')}' (use -p)`);
        if (vol.stat(path)) throw new UsageError(`${image}: '${path}' already exists`);
      }
    }
    vol.preflight(paths.map((path) => ({ path, size: 0, directory: true })));
    for (const path of paths) vol.mkdir(path, { parents });
    disk.flushSync();
    return 0;
  });
}

function rmCommand(argv: string[]): number {
  const p = parse('rm', argv, { recursive: { type: 'boolean', short: 'r' } });
  if (p === 'help') return help('rm');
  needPositionals('rm', p.positionals, 2, 'IMAGE and a PATH');
  const [image, ...paths] = p.positionals;
  const recursive = !!p.values.recursive;
  return withImage(image, true, ({ vol, disk }) => {
    for (const path of paths) {
      const entry = vol.stat(path);
      if (!entry) throw new UsageError(`${image}: '${path}': no such file or directory`);
      if (entry.name === '') throw new UsageError(`${image}: cannot remove the root directory`);
      if (entry.isDirectory && !recursive && vol.list(path).length > 0) {
        throw new UsageError(`${image}: directory '${path}' is not empty (use -r)`);
      }
    }
    for (const path of paths) vol.remove(path, { recursive });
    disk.flushSync();
    return 0;
  });
}

function mvCommand(argv: string[]): number {
  const p = parse('mv', argv, {});
  if (p === 'help') return help('mv');
  needPositionals('mv', p.positionals, 3, 'IMAGE, FROM and TO');
  if (p.positionals.length > 3) throw new UsageError('disk mv takes IMAGE, FROM and TO');
  const [image, from, to] = p.positionals;
  return withImage(image, true, ({ vol, disk }) => {
    const target = vol.stat(to);
    let dest = to;
    if (to.endsWith('/') || target?.isDirectory) {
      const name = from.replace(/\/+$/, '').split('/').pop()!;
      dest = `${to.replace(/\/+$/, '')}/${name}`;
    }
    vol.rename(from, dest);
    disk.flushSync();
    return 0;
  });
}

function checkCommand(argv: string[]): number {
  const p = parse('check', argv, {
    'no-rootfs': { type: 'boolean' },
    'rootfs-name': { type: 'string' },
    verbose: { type: 'boolean', short: 'v' },
  });
  if (p === 'help') return help('check');
  needPositionals('check', p.positionals, 1, 'an IMAGE');
  if (p.positionals.length > 1) throw new UsageError('disk check takes one IMAGE');
  const image = p.positionals[0];
  let disk: FileDisk;
  try {
    disk = FileDisk.open(image, { readOnly: true });
  } catch (e) {
    throw new UsageError(`cannot open disk image '${image}': ${hostReason(e)}`);
  }
  try {
    const names = p.values['rootfs-name'] ? [p.values['rootfs-name'] as string] : ROOTFS_NAMES;
    const report: BootCheckReport = p.values['no-rootfs'] ? checkFat(disk) : checkBootImage(disk, names);
    for (const w of report.warnings) process.stdout.write(`${image}: warning: ${w}\n`);
    if (report.errors.length) {
      if (p.values.verbose) for (const e of report.errors) process.stdout.write(`${image}: ${e}\n`);
      const more = report.errors.length > 1 ? ` (and ${report.errors.length - 1} more problems)` : '';
      throw new UsageError(`${image}: ${report.errors[0]}${more}`);
    }
    const rootfs = report.rootfs ? `, ${report.rootfs.name}: squashfs ${report.rootfs.version}, ${formatSize(report.rootfs.size)}` : '';
    process.stdout.write(
      `${image}: ok: FAT${report.fatBits}, ${plural(report.files, 'file')} in ${plural(report.directories, 'directory', 'directories')}${rootfs}\n`,
    );
    return 0;
  } catch (e) {
    throw fatFailure(image, e);
  } finally {
    disk.close();
  }
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function help(command: string): number {
  process.stdout.write(HELP[command]);
  return 0;
}
