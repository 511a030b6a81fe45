import { SECTOR_SIZE } from '../block-device';
import type { SyncDisk } from '../sync-disk';
import { type FatGeometry, parseBootSector } from './boot-sector';
import {
  ATTR_ARCHIVE,
  ATTR_DIRECTORY,
  DELETED,
  ENTRY_SIZE,
  type RawEntry,
  dotEntries,
  encodeEntries,
  isDirectory,
  parseDirectory,
  setEntryCluster,
  slotsFor,
  writeShortEntry,
} from './dir-entry';
import { FatError } from './errors';
import { FatTable } from './fat-table';
import { type FormatOptions, buildFsInfo, formatFat } from './format';
import { makeShortName, nameKey, validateLongName } from './names';

/** What a listing says about one entry. */
export interface FatEntryInfo {
  name: string;
  /** The 8.3 name the entry also answers to ("PROGRA~1.TXT"). */
  shortName: string;
  isDirectory: boolean;
  size: number;
  modified: Date;
  created: Date;
  /** DOS attribute bits (read-only 0x01, hidden 0x02, system 0x04, directory 0x10, archive 0x20). */
  attributes: number;
  firstCluster: number;
}

/** Data to store that need not be in memory at once (a large host file). */
export interface FileSource {
  readonly size: number;
  /** Fill `into` with the bytes at `offset` (into.length of them). */
  read(offset: number, into: Uint8Array): void;
}

export interface OpenOptions {
  /** The clock for timestamps of new entries (tests pass a fixed one). */
  now?: () => Date;
}

export interface WriteOptions {
  /** Overwrite a file of that name instead of failing with EEXIST. */
  replace?: boolean;
  /** Modification time to record; default now. */
  modified?: Date;
}

/** A directory loaded whole, with where each of its sectors lives so changes can be written back. */
interface Dir {
  /** First cluster, or 0 for the fixed root directory of FAT12/16. */
  cluster: number;
  /** True for the root directory (FAT32's is a chain but still the root). */
  isRoot: boolean;
  /** What to call it in messages. */
  path: string;
  bytes: Uint8Array;
  /** File system sector of each sector of `bytes`. */
  sectors: number[];
  clusters: number[];
  entries: RawEntry[];
  /** Index of the 0x00 entry that ends the directory (or its capacity). */
  end: number;
}

/** Where new entries go in a directory and how many clusters it must grow by to hold them. */
interface Placement {
  slot: number;
  growClusters: number;
}

/** A directory may hold at most 65536 entries (2 MiB), per the FAT specification. */
const MAX_DIR_ENTRIES = 65536;
/** Bytes moved per disk request when copying file data. */
const IO_CHUNK = 1 << 20;

/**
 * A FAT12/16/32 file system on a synchronous disk: list, read, write, mkdir, delete, rename,
 * with VFAT long names. Every change writes file data and the FAT before the directory entry
 * that points at them, and checks space and name clashes before it writes anything, so a failed
 * call leaves the image as it was.
 */
export class FatVolume {
  readonly geometry: FatGeometry;
  private readonly fat: FatTable;
  /** Device sectors per file system sector. */
  private readonly scale: number;
  private readonly now: () => Date;
  private fsInfoUsable = false;

  private constructor(
    private readonly disk: SyncDisk,
    opts: OpenOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    const boot = new Uint8Array(SECTOR_SIZE);
    if (disk.sectors < 1) throw new FatError('EFORMAT', 'not a FAT file system: the disk is empty');
    disk.readSync(0, 1, boot);
    const g = (this.geometry = parseBootSectorExplained(boot, disk.sectors * SECTOR_SIZE));
    this.scale = g.bytesPerSector / SECTOR_SIZE;
    const copies = g.activeFat >= 0 ? [g.activeFat] : Array.from({ length: g.fatCount }, (_, i) => i);
    const fatStart = (copy: number) => g.reservedSectors + copy * g.fatSectors;
    this.fat = new FatTable(
      g,
      () => this.readSectors(fatStart(copies[0]), g.fatSectors),
      (sector, data) => {
        for (const copy of copies) this.writeSectors(fatStart(copy) + sector, data);
      },
      (sector) => this.readSectors(fatStart(copies[0]) + sector, 1),
    );
    if (g.fatBits === 32 && g.fsInfoSector) {
      const info = this.readSectors(g.fsInfoSector, 1);
      const dv = new DataView(info.buffer, info.byteOffset);
      this.fsInfoUsable = dv.getUint32(0, true) === 0x41615252 && dv.getUint32(484, true) === 0x61417272;
      const next = dv.getUint32(492, true);
      if (this.fsInfoUsable && next >= 2 && next <= g.maxCluster) this.fat.lastAllocated = next;
    }
  }

  /** Opens the file system on `disk`. Throws FatError EFORMAT when it is not FAT. */
  static open(disk: SyncDisk, opts: OpenOptions = {}): FatVolume {
    return new FatVolume(disk, opts);
  }

  /** Formats `disk` (see formatFat) and opens the new, empty file system. */
  static format(disk: SyncDisk, format: FormatOptions = {}, opts: OpenOptions = {}): FatVolume {
    formatFat(disk, { now: opts.now?.(), ...format });
    return new FatVolume(disk, opts);
  }

  get fatBits(): 12 | 16 | 32 {
    return this.geometry.fatBits;
  }

  get clusterBytes(): number {
    return this.geometry.clusterBytes;
  }

  get freeBytes(): number {
    return this.fat.free * this.geometry.clusterBytes;
  }

  get totalBytes(): number {
    return this.geometry.clusterCount * this.geometry.clusterBytes;
  }

  /** The FAT itself, for the checker. */
  get table(): FatTable {
    return this.fat;
  }

  /** Clusters a file of `size` bytes takes. */
  clustersFor(size: number): number {
    return Math.ceil(size / this.geometry.clusterBytes);
  }

  // ---- reading ----------------------------------------------------------------------------

  /** The entry at `path`, or undefined when nothing is there. The root is a nameless directory. */
  stat(path: string): FatEntryInfo | undefined {
    const parts = splitPath(path);
    if (parts.length === 0) return this.rootInfo();
    const parent = this.walk(parts.slice(0, -1), path);
    const entry = findEntry(parent, parts[parts.length - 1]);
    return entry && info(entry);
  }

  /** The entries of the directory at `path` in directory order (no "." and ".."). */
  list(path: string): FatEntryInfo[] {
    return this.walk(splitPath(path), path).entries.map(info);
  }

  /** The whole content of the file at `path`. */
  readFile(path: string): Uint8Array {
    const entry = this.fileEntry(path);
    const out = new Uint8Array(entry.size);
    let at = 0;
    for (const chunk of this.readRuns(entry, path)) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  /** The content of the file at `path` in pieces of up to 1 MiB (for large files). */
  *readChunks(path: string): Generator<Uint8Array> {
    yield* this.readRuns(this.fileEntry(path), path);
  }

  private fileEntry(path: string): RawEntry {
    const parts = splitPath(path);
    if (parts.length === 0) throw new FatError('EISDIR', `'/' is a directory`);
    const parent = this.walk(parts.slice(0, -1), path);
    const entry = findEntry(parent, parts[parts.length - 1]);
    if (!entry) throw new FatError('ENOENT', `'${path}': no such file`);
    if (isDirectory(entry)) throw new FatError('EISDIR', `'${path}' is a directory`);
    return entry;
  }

  private *readRuns(entry: RawEntry, path: string): Generator<Uint8Array> {
    const g = this.geometry;
    const chain = this.fat.chain(entry.firstCluster, `'${path}'`);
    if (chain.length * g.clusterBytes < entry.size) {
      throw new FatError('ECORRUPT', `'${path}': its ${chain.length} clusters hold less than its size of ${entry.size} bytes`);
    }
    let left = entry.size;
    for (const [first, count] of runs(chain, Math.max(1, IO_CHUNK / g.clusterBytes))) {
      if (left <= 0) break;
      const bytes = this.readSectors(this.clusterSector(first), count * g.sectorsPerCluster);
      const n = Math.min(left, bytes.length);
      yield bytes.subarray(0, n);
      left -= n;
    }
  }

  // ---- writing ----------------------------------------------------------------------------

  /**
   * Stores a file at `path` (its directory must exist). Fails with EEXIST when the name is taken
   * (unless `replace`), ENOSPC when it does not fit, before anything is written.
   */
  writeFile(path: string, data: Uint8Array | FileSource, opts: WriteOptions = {}): void {
    this.assertWritable();
    const parts = splitPath(path);
    if (parts.length === 0) throw new FatError('EISDIR', `'/' is a directory`);
    const name = parts[parts.length - 1];
    validateLongName(name);
    const parent = this.walk(parts.slice(0, -1), path);
    const source = asSource(data);
    if (source.size > 0xffffffff) throw new FatError('EINVAL', `'${path}' is larger than FAT's 4 GiB file limit`);
    const modified = opts.modified ?? this.now();
    const existing = findEntry(parent, name);
    const need = this.clustersFor(source.size);

    if (existing) {
      if (isDirectory(existing)) throw new FatError('EISDIR', `'${path}' is a directory`);
      if (!opts.replace) throw new FatError('EEXIST', `'${path}' already exists`);
      const old = this.fat.chain(existing.firstCluster, `'${path}'`);
      if (need > this.fat.free + old.length) throw this.noSpace(path, need);
      if (need > this.fat.free) {
        // Only fits once the old content is gone: empty the entry first, then write as new.
        this.updateShortEntry(parent, existing, 0, 0, modified);
        this.fat.release(old);
        this.commitFat();
        this.writeInto(parent, existing, source, modified, []);
      } else {
        this.writeInto(parent, existing, source, modified, old);
      }
      return;
    }

    const { plan, encoded } = this.newEntry(parent, name, 0, source.size, ATTR_ARCHIVE, modified);
    if (need + plan.growClusters > this.fat.free) throw this.noSpace(path, need + plan.growClusters);
    const clusters = this.fillClusters(source, need);
    try {
      this.grow(parent, plan.growClusters);
    } catch (e) {
      this.fat.rollback();
      throw e;
    }
    this.commitFat();
    if (clusters.length) setEntryCluster(encoded, encoded.length - ENTRY_SIZE, clusters[0], this.fatBits === 32);
    this.placeEntries(parent, plan.slot, encoded);
    this.updateFsInfo();
  }

  /** Creates a directory; with `parents`, missing parents too and no error if it exists. */
  mkdir(path: string, opts: { parents?: boolean; modified?: Date } = {}): void {
    this.assertWritable();
    const parts = splitPath(path);
    if (parts.length === 0) {
      if (opts.parents) return;
      throw new FatError('EEXIST', `'/' already exists`);
    }
    let dir = this.walk([], path);
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      const existing = findEntry(dir, parts[i]);
      const shown = parts.slice(0, i + 1).join('/');
      if (existing) {
        if (!isDirectory(existing)) throw new FatError(last ? 'EEXIST' : 'ENOTDIR', `'${shown}' is a file`);
        if (last && !opts.parents) throw new FatError('EEXIST', `'${shown}' already exists`);
        dir = this.loadDir(existing.firstCluster, shown);
        continue;
      }
      if (!last && !opts.parents) throw new FatError('ENOENT', `'${shown}': no such directory`);
      const cluster = this.createDir(dir, parts[i], opts.modified ?? this.now(), shown);
      dir = this.loadDir(cluster, shown);
    }
  }

  /** Deletes a file or an empty directory (any directory with `recursive`). */
  remove(path: string, opts: { recursive?: boolean } = {}): void {
    this.assertWritable();
    const parts = splitPath(path);
    if (parts.length === 0) throw new FatError('EINVAL', 'cannot remove the root directory');
    const parent = this.walk(parts.slice(0, -1), path);
    const entry = findEntry(parent, parts[parts.length - 1]);
    if (!entry) throw new FatError('ENOENT', `'${path}': no such file or directory`);
    this.removeEntry(parent, entry, path, !!opts.recursive);
    this.updateFsInfo();
  }

  /** Renames or moves a file or directory. The new name must be free. */
  rename(from: string, to: string): void {
    this.assertWritable();
    const src = splitPath(from);
    const dst = splitPath(to);
    if (src.length === 0 || dst.length === 0) throw new FatError('EINVAL', 'cannot rename the root directory');
    const srcParent = this.walk(src.slice(0, -1), from);
    const entry = findEntry(srcParent, src[src.length - 1]);
    if (!entry) throw new FatError('ENOENT', `'${from}': no such file or directory`);
    const name = dst[dst.length - 1];
    validateLongName(name);
    const dstParent = this.walk(dst.slice(0, -1), to);
    const sameDir = dstParent.cluster === srcParent.cluster;
    if (isDirectory(entry) && dst.length > src.length && src.every((p, i) => nameKey(p) === nameKey(dst[i]))) {
      throw new FatError('EINVAL', `cannot move '${from}' into itself`);
    }
    const clash = findEntry(dstParent, name);
    if (clash && !(sameDir && clash.slot === entry.slot)) throw new FatError('EEXIST', `'${to}' already exists`);
    if (sameDir && name === entry.name) return;

    const { plan, encoded } = this.newEntry(dstParent, name, entry.firstCluster, entry.size, entry.attr, entry.modified, {
      created: entry.created,
      ignoreShortKey: sameDir ? entry.shortKey : undefined,
    });
    if (plan.growClusters > this.fat.free) throw this.noSpace(to, plan.growClusters);
    this.grow(dstParent, plan.growClusters);
    this.commitFat();
    this.placeEntries(dstParent, plan.slot, encoded);
    // The old entries may have moved if they sat in the same directory: find them again.
    const again = sameDir ? this.loadDir(srcParent.cluster, srcParent.path, srcParent.isRoot) : srcParent;
    const old = again.entries.find((e) => e.slot === entry.slot);
    if (old) this.markDeleted(again, old);
    if (isDirectory(entry) && !sameDir) {
      const moved = this.loadDir(entry.firstCluster, to);
      // ".." names the parent by its first cluster, 0 for the root.
      setEntryCluster(moved.bytes, ENTRY_SIZE, dstParent.isRoot ? 0 : dstParent.cluster, this.fatBits === 32);
      this.writeDirRange(moved, ENTRY_SIZE, 2 * ENTRY_SIZE);
    }
    this.updateFsInfo();
  }

  /**
   * Checks that a set of additions would succeed, without writing anything: the CLI calls this
   * before a multi-file add so that a set that does not fit, or clashes with what is there,
   * changes nothing. Items are files (with their size) or directories; directories on their way
   * that do not exist count as created. Throws the FatError the writes would meet (EEXIST,
   * ENOTDIR, ENOSPC, EINVAL). Long names are assumed for every new entry, so the space bound
   * errs on the safe side.
   */
  preflight(items: { path: string; size: number; directory?: boolean }[], opts: { replace?: boolean } = {}): void {
    interface Plan {
      dir?: Dir;
      free: boolean[];
      fixed: boolean;
      names: Map<string, boolean>; // name key -> is a directory, for entries added by this plan
    }
    const perCluster = this.geometry.clusterBytes / ENTRY_SIZE;
    const plans = new Map<string, Plan>();
    let clusters = 0;
    let credit = 0;
    const planFor = (parts: string[]): Plan => {
      const key = parts.map(nameKey).join('/');
      let plan = plans.get(key);
      if (!plan) {
        const dir = this.tryWalk(parts);
        if (dir) {
          const free = Array.from({ length: dir.bytes.length / ENTRY_SIZE }, (_, i) => i >= dir.end || dir.bytes[i * ENTRY_SIZE] === DELETED);
          plan = { dir, free, fixed: dir.cluster === 0, names: new Map() };
        } else {
          plan = { free: Array.from({ length: perCluster }, (_, i) => i >= 2), fixed: false, names: new Map() };
        }
        plans.set(key, plan);
      }
      return plan;
    };
    const place = (plan: Plan, slots: number, shown: string) => {
      let run = 0;
      for (let i = 0; i < plan.free.length; i++) {
        run = plan.free[i] ? run + 1 : 0;
        if (run === slots) {
          plan.free.fill(false, i - slots + 1, i + 1);
          return;
        }
      }
      if (plan.fixed) throw new FatError('ENOSPC', `the root directory is full: no room for '${shown}'`);
      const grow = Math.ceil((slots - run) / perCluster);
      if (plan.free.length + grow * perCluster > MAX_DIR_ENTRIES) throw new FatError('ENOSPC', `no room for '${shown}': the directory is full`);
      clusters += grow;
      const start = plan.free.length - run;
      for (let i = 0; i < grow * perCluster; i++) plan.free.push(true);
      plan.free.fill(false, start, start + slots);
    };
    for (const item of items) {
      const parts = splitPath(item.path);
      if (parts.length === 0) {
        if (item.directory) continue;
        throw new FatError('EISDIR', `'/' is a directory`);
      }
      for (let i = 0; i < parts.length; i++) {
        const leaf = i === parts.length - 1;
        const name = parts[i];
        const shown = parts.slice(0, i + 1).join('/');
        const wantDir = !leaf || !!item.directory;
        validateLongName(name);
        const plan = planFor(parts.slice(0, i));
        const existing = plan.dir && findEntry(plan.dir, name);
        const added = plan.names.get(nameKey(name));
        if (existing || added !== undefined) {
          const isDir = existing ? isDirectory(existing) : added!;
          if (wantDir && isDir) continue;
          if (wantDir) throw new FatError(leaf ? 'EEXIST' : 'ENOTDIR', `'${shown}' is a file`);
          if (isDir) throw new FatError('EISDIR', `'${shown}' is a directory`);
          if (added !== undefined) throw new FatError('EEXIST', `'${shown}' is given twice`);
          if (!opts.replace) throw new FatError('EEXIST', `'${shown}' already exists`);
          clusters += this.clustersFor(item.size);
          credit += this.fat.chain(existing!.firstCluster, `'${shown}'`).length;
          plan.names.set(nameKey(name), false);
          continue;
        }
        place(plan, slotsFor(name), shown);
        plan.names.set(nameKey(name), wantDir);
        clusters += wantDir ? 1 : this.clustersFor(item.size);
      }
    }
    if (clusters > this.fat.free + credit) {
      const kib = (n: number) => `${Math.ceil((n * this.geometry.clusterBytes) / 1024)} KiB`;
      throw new FatError('ENOSPC', `not enough space: needs ${kib(clusters)}, ${kib(this.fat.free + credit)} free`);
    }
  }

  /**
   * The raw entries of the directory whose first cluster is `cluster` (0: the root), and the
   * clusters it spans; for the checker, which walks the tree by cluster rather than by name.
   */
  rawDirectory(cluster: number, path: string): { entries: RawEntry[]; clusters: number[] } {
    const dir = cluster === 0 ? this.root() : this.loadDir(cluster, path);
    return { entries: dir.entries, clusters: dir.clusters };
  }

  /** Reads whole file system sectors (for the checker). */
  readFsSectors(sector: number, count: number): Uint8Array {
    return this.readSectors(sector, count);
  }

  // ---- internals: directories ----------------------------------------------------------------

  private rootInfo(): FatEntryInfo {
    const epoch = new Date(1980, 0, 1);
    return { name: '', shortName: '', isDirectory: true, size: 0, modified: epoch, created: epoch, attributes: ATTR_DIRECTORY, firstCluster: this.geometry.rootCluster };
  }

  private root(): Dir {
    const g = this.geometry;
    if (g.fatBits === 32) return this.loadDir(g.rootCluster, '/', true);
    const sectors = Array.from({ length: g.rootDirSectors }, (_, i) => g.rootDirSector + i);
    const bytes = this.readSectors(g.rootDirSector, g.rootDirSectors).subarray(0, g.rootEntries * ENTRY_SIZE);
    const { entries, end } = parseDirectory(bytes, false);
    return { cluster: 0, isRoot: true, path: '/', bytes, sectors, clusters: [], entries, end };
  }

  private loadDir(cluster: number, path: string, isRoot = false): Dir {
    const g = this.geometry;
    if (cluster === 0) {
      // ".." of a top-level directory, or a damaged entry: FAT12/16 root; FAT32 root too.
      return this.root();
    }
    const clusters = this.fat.chain(cluster, `directory '${path}'`);
    if (clusters.length * g.clusterBytes > MAX_DIR_ENTRIES * ENTRY_SIZE) {
      throw new FatError('ECORRUPT', `directory '${path}' is larger than FAT allows`);
    }
    const bytes = new Uint8Array(clusters.length * g.clusterBytes);
    const sectors: number[] = [];
    let at = 0;
    for (const [first, count] of runs(clusters, Infinity)) {
      const n = count * g.sectorsPerCluster;
      const start = this.clusterSector(first);
      bytes.set(this.readSectors(start, n), at);
      for (let i = 0; i < n; i++) sectors.push(start + i);
      at += n * g.bytesPerSector;
    }
    const { entries, end } = parseDirectory(bytes, g.fatBits === 32);
    return { cluster, isRoot, path, bytes, sectors, clusters, entries, end };
  }

  private walk(parts: string[], forPath: string): Dir {
    let dir = this.root();
    for (let i = 0; i < parts.length; i++) {
      const entry = findEntry(dir, parts[i]);
      const shown = parts.slice(0, i + 1).join('/');
      if (!entry) throw new FatError('ENOENT', `'${forPath}': no such directory '${shown}'`);
      if (!isDirectory(entry)) throw new FatError('ENOTDIR', `'${forPath}': '${shown}' is a file, not a directory`);
      dir = this.loadDir(entry.firstCluster, shown);
    }
    return dir;
  }

  private tryWalk(parts: string[]): Dir | undefined {
    try {
      return this.walk(parts, parts.join('/'));
    } catch (e) {
      if (e instanceof FatError && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return undefined;
      throw e;
    }
  }

  /** The encoded entries for a new name in `dir` and where they would go. Writes nothing. */
  private newEntry(
    dir: Dir,
    name: string,
    firstCluster: number,
    size: number,
    attr: number,
    modified: Date,
    extra: { created?: Date; ignoreShortKey?: string } = {},
  ): { plan: Placement; encoded: Uint8Array } {
    const taken = new Set(dir.entries.map((e) => e.shortKey));
    if (extra.ignoreShortKey) taken.delete(extra.ignoreShortKey);
    // "." and ".." live in every subdirectory; no short name may look like them, and none does.
    const short = makeShortName(name, taken);
    const encoded = encodeEntries(
      { shortRaw: short.raw, longName: short.needsLong ? name : undefined, attr, firstCluster, size, created: extra.created ?? this.now(), modified },
      this.fatBits === 32,
    );
    const plan = this.planPlacement(dir, encoded.length / ENTRY_SIZE);
    return { plan, encoded };
  }

  /** Finds room for `slots` consecutive entries, or how far the directory must grow. */
  private planPlacement(dir: Dir, slots: number, estimateOnly = false): Placement {
    const capacity = dir.bytes.length / ENTRY_SIZE;
    let run = 0;
    for (let i = 0; i < capacity; i++) {
      const free = i >= dir.end || dir.bytes[i * ENTRY_SIZE] === DELETED;
      run = free ? run + 1 : 0;
      if (run === slots) return { slot: i - slots + 1, growClusters: 0 };
    }
    if (dir.cluster === 0) {
      if (estimateOnly) return { slot: -1, growClusters: Infinity };
      throw new FatError('ENOSPC', `the root directory is full (${capacity} entries)`);
    }
    const perCluster = this.geometry.clusterBytes / ENTRY_SIZE;
    const growClusters = Math.ceil((slots - run) / perCluster);
    if (capacity + growClusters * perCluster > MAX_DIR_ENTRIES) {
      if (estimateOnly) return { slot: -1, growClusters: Infinity };
      throw new FatError('ENOSPC', `directory '${dir.path}' is full`);
    }
    return { slot: capacity - run, growClusters };
  }

  /** Adds zeroed clusters to the end of a directory (FAT changes stay in memory until commitFat). */
  private grow(dir: Dir, count: number): void {
    if (count === 0) return;
    const g = this.geometry;
    const added = this.fat.allocate(count);
    const zeros = new Uint8Array(g.clusterBytes);
    for (const c of added) this.writeSectors(this.clusterSector(c), zeros);
    this.fat.set(dir.clusters[dir.clusters.length - 1], added[0]);
    const bytes = new Uint8Array(dir.bytes.length + count * g.clusterBytes);
    bytes.set(dir.bytes);
    dir.bytes = bytes;
    for (const c of added) {
      dir.clusters.push(c);
      for (let i = 0; i < g.sectorsPerCluster; i++) dir.sectors.push(this.clusterSector(c) + i);
    }
  }

  /** Writes encoded entries at `slot`, keeping a 0x00 end marker right after them if they pass the old one. */
  private placeEntries(dir: Dir, slot: number, encoded: Uint8Array): void {
    const start = slot * ENTRY_SIZE;
    const stop = start + encoded.length;
    dir.bytes.set(encoded, start);
    let writeStop = stop;
    if (stop > dir.end * ENTRY_SIZE && stop < dir.bytes.length && dir.bytes[stop] !== 0) {
      dir.bytes.fill(0, stop, stop + ENTRY_SIZE);
      writeStop += ENTRY_SIZE;
    }
    this.writeDirRange(dir, start, writeStop);
    const parsed = parseDirectory(dir.bytes, this.fatBits === 32);
    dir.entries = parsed.entries;
    dir.end = parsed.end;
  }

  private writeDirRange(dir: Dir, start: number, stop: number): void {
    const bps = this.geometry.bytesPerSector;
    for (let s = Math.floor(start / bps); s * bps < stop; s++) {
      this.writeSectors(dir.sectors[s], dir.bytes.subarray(s * bps, (s + 1) * bps));
    }
  }

  private markDeleted(dir: Dir, entry: RawEntry): void {
    for (let i = entry.firstSlot; i <= entry.slot; i++) dir.bytes[i * ENTRY_SIZE] = DELETED;
    this.writeDirRange(dir, entry.firstSlot * ENTRY_SIZE, (entry.slot + 1) * ENTRY_SIZE);
    dir.entries = dir.entries.filter((e) => e !== entry);
  }

  private updateShortEntry(dir: Dir, entry: RawEntry, cluster: number, size: number, modified: Date): void {
    const o = entry.slot * ENTRY_SIZE;
    const raw = dir.bytes.slice(o, o + 11);
    const caseFlags = dir.bytes[o + 12];
    writeShortEntry(dir.bytes, o, { shortRaw: raw, attr: entry.attr | ATTR_ARCHIVE, firstCluster: cluster, size, created: entry.created, modified }, this.fatBits === 32);
    dir.bytes[o + 12] = caseFlags; // the NT lower-case flags of a short-only name
    this.writeDirRange(dir, o, o + ENTRY_SIZE);
    entry.firstCluster = cluster;
    entry.size = size;
  }

  private createDir(parent: Dir, name: string, when: Date, shown: string): number {
    validateLongName(name);
    const { plan, encoded } = this.newEntry(parent, name, 0, 0, ATTR_DIRECTORY, when, { created: when });
    if (1 + plan.growClusters > this.fat.free) throw this.noSpace(shown, 1 + plan.growClusters);
    const [cluster] = this.fat.allocate(1);
    try {
      const body = new Uint8Array(this.geometry.clusterBytes);
      body.set(dotEntries(cluster, parent.isRoot ? 0 : parent.cluster, when, this.fatBits === 32));
      this.writeSectors(this.clusterSector(cluster), body);
      this.grow(parent, plan.growClusters);
    } catch (e) {
      this.fat.rollback();
      throw e;
    }
    this.commitFat();
    setEntryCluster(encoded, encoded.length - ENTRY_SIZE, cluster, this.fatBits === 32);
    this.placeEntries(parent, plan.slot, encoded);
    this.updateFsInfo();
    return cluster;
  }

  private removeEntry(parent: Dir, entry: RawEntry, path: string, recursive: boolean): void {
    const chain = this.fat.chain(entry.firstCluster, `'${path}'`);
    if (isDirectory(entry)) {
      const dir = this.loadDir(entry.firstCluster, path);
      if (dir.entries.length > 0) {
        if (!recursive) throw new FatError('ENOTEMPTY', `directory '${path}' is not empty`);
        for (const child of [...dir.entries]) this.removeEntry(dir, child, `${path}/${child.name}`, true);
      }
    }
    // The entry goes first, then its clusters: a crash in between leaves lost clusters, never
    // an entry pointing at free ones.
    this.markDeleted(parent, entry);
    this.fat.release(chain);
    this.commitFat();
  }

  // ---- internals: data --------------------------------------------------------------------

  /** Allocates `count` clusters and writes the source into them; on failure the FAT is untouched. */
  private fillClusters(source: FileSource, count: number): number[] {
    const clusters = this.fat.allocate(count);
    try {
      const g = this.geometry;
      let offset = 0;
      for (const [first, n] of runs(clusters, Math.max(1, IO_CHUNK / g.clusterBytes))) {
        const buf = new Uint8Array(n * g.clusterBytes);
        const len = Math.min(buf.length, source.size - offset);
        source.read(offset, buf.subarray(0, len));
        this.writeSectors(this.clusterSector(first), buf);
        offset += len;
      }
    } catch (e) {
      this.fat.rollback();
      throw e;
    }
    return clusters;
  }

  /** Replaces the content of an existing file entry: new data and chain, then the entry, then the old chain freed. */
  private writeInto(dir: Dir, entry: RawEntry, source: FileSource, modified: Date, oldChain: number[]): void {
    const clusters = this.fillClusters(source, this.clustersFor(source.size));
    this.commitFat();
    this.updateShortEntry(dir, entry, clusters[0] ?? 0, source.size, modified);
    if (oldChain.length) {
      this.fat.release(oldChain);
      this.commitFat();
    }
    this.updateFsInfo();
  }

  private commitFat(): void {
    this.fat.flush();
  }

  private updateFsInfo(): void {
    if (!this.fsInfoUsable) return;
    const next = this.fat.lastAllocated >= 2 ? this.fat.lastAllocated : 0xffffffff;
    const info = this.readSectors(this.geometry.fsInfoSector, 1);
    const fresh = buildFsInfo(this.fat.free, next);
    // Keep whatever else the sector holds; only the two counters change.
    info.set(fresh.subarray(488, 496), 488);
    this.writeSectors(this.geometry.fsInfoSector, info);
  }

  private noSpace(path: string, clusters: number): FatError {
    const kib = (n: number) => `${Math.ceil((n * this.geometry.clusterBytes) / 1024)} KiB`;
    return new FatError('ENOSPC', `no space for '${path}': needs ${kib(clusters)}, ${kib(this.fat.free)} free`);
  }

  private assertWritable(): void {
    if (this.disk.readOnly) throw new FatError('EROFS', 'the disk is read-only');
  }

  private clusterSector(cluster: number): number {
    return this.geometry.firstDataSector + (cluster - 2) * this.geometry.sectorsPerCluster;
  }

  private readSectors(sector: number, count: number): Uint8Array {
    const out = new Uint8Array(count * this.geometry.bytesPerSector);
    this.disk.readSync(sector * this.scale, count * this.scale, out);
    return out;
  }

  private writeSectors(sector: number, data: Uint8Array): void {
    this.disk.writeSync(sector * this.scale, (data.length / SECTOR_SIZE) | 0, data);
  }
}

/** Path components; "" and "." are skipped, ".." is refused (FAT paths here are absolute). */
export function splitPath(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new FatError('EINVAL', `'${path}': '..' is not supported in image paths`);
  return parts;
}

function findEntry(dir: Dir, name: string): RawEntry | undefined {
  const key = nameKey(name);
  return dir.entries.find((e) => nameKey(e.name) === key) ?? dir.entries.find((e) => nameKey(e.shortName) === key);
}

function info(e: RawEntry): FatEntryInfo {
  return {
    name: e.name,
    shortName: e.shortName,
    isDirectory: isDirectory(e),
    size: isDirectory(e) ? 0 : e.size,
    modified: e.modified,
    created: e.created,
    attributes: e.attr,
    firstCluster: e.firstCluster,
  };
}

function asSource(data: Uint8Array | FileSource): FileSource {
  if (data instanceof Uint8Array) {
    return { size: data.length, read: (offset, into) => into.set(data.subarray(offset, offset + into.length)) };
  }
  return data;
}

/** Groups a cluster list into runs of consecutive clusters, at most `max` long: [first, count]. */
function* runs(clusters: readonly number[], max: number): Generator<[number, number]> {
  let i = 0;
  while (i < clusters.length) {
    let n = 1;
    while (i + n < clusters.length && n < max && clusters[i + n] === clusters[i] + n) n++;
    yield [clusters[i], n];
    i += n;
  }
}

/** parseBootSector, with the reason made plainer for the common cases of "not FAT at all". */
function parseBootSectorExplained(boot: Uint8Array, diskBytes: number): FatGeometry {
  try {
    return parseBootSector(boot, diskBytes);
  } catch (e) {
    if (!(e instanceof FatError) || e.code !== 'EFORMAT') throw e;
    if (boot.every((b) => b === 0)) throw new FatError('EFORMAT', 'not a FAT file system: sector 0 is all zeros');
    if (String.fromCharCode(...boot.subarray(0, 4)) === 'hsqs') {
      throw new FatError('EFORMAT', 'not a FAT file system: this is a squashfs image (a rootfs.bin?), not a disk');
    }
    if (boot[510] === 0x55 && boot[511] === 0xaa && [0, 1, 2, 3].some((i) => boot[446 + i * 16 + 4] !== 0)) {
      throw new FatError('EFORMAT', 'not a whole-disk FAT file system: the disk has a partition table (odtab expects FAT on the whole disk, as mkdosfs makes it)');
    }
    throw e;
  }
}
