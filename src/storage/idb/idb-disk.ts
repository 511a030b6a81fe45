import { type IoDone, SECTOR_SIZE } from '../block-device';
import { type SyncDisk, SyncBlockDevice, assertRequest } from '../sync-disk';
import { CHUNK_BYTES, ChunkDb, type ChunkStore, type DiskMeta, META_VERSION, chunkKey, metaKey, storeFailure } from './chunk-store';

const CHUNK_SECTORS = CHUNK_BYTES / SECTOR_SIZE;
/** Chunks per transaction when a whole image is stored: bounds the memory one transaction holds. */
const IMPORT_BATCH = 64;
/** A background flush starts this long after the last write (a burst of guest writes is one store). */
const DEFAULT_FLUSH_DELAY_MS = 1000;

/**
 * What a disk's chunks are written over. For the composed boot disk the app recomputes `disk`
 * each time from the guest files and names it by `identity`; for an imported image the base is
 * zeros ('zero', no disk) and every non-zero chunk is stored.
 */
export interface DiskBase {
  identity: string;
  sectors: number;
  /** The base content; zeros when absent. */
  disk?: SyncDisk;
  label?: string;
}

export interface IdbDiskOptions {
  /** Called when a background flush fails (the disk keeps the data in memory and retries). */
  onError?: (error: Error) => void;
  /** Called when the number of unsaved chunks changes (disk activity for the status bar). */
  onDirty?: (dirtyChunks: number) => void;
  /** Delay of the background flush after a write; 0 flushes only when asked. Default 1000 ms. */
  flushDelayMs?: number;
}

export class IdbDiskError extends Error {
  constructor(
    readonly code: 'BASE_CHANGED' | 'SIZE' | 'STORE',
    message: string,
  ) {
    super(message);
    this.name = 'IdbDiskError';
  }
}

/**
 * The chunked disk store on IndexedDB: disks that survive a reload, stored as their written 64 KiB
 * chunks over a base. Browser/worker only (needs `indexedDB`); open disks in the worker that
 * runs the machine.
 */
export class IdbDiskStore {
  readonly db: ChunkStore;

  /** On IndexedDB database `dbName`, or on another chunk store (`db`: memory, when there is no IndexedDB). */
  constructor(opts: { dbName?: string; storeName?: string; db?: ChunkStore } = {}) {
    this.db = opts.db ?? new ChunkDb(opts);
  }

  /** Every stored disk's metadata. */
  list(): Promise<DiskMeta[]> {
    return this.db.listMeta();
  }

  info(id: string): Promise<DiskMeta | undefined> {
    return this.db.getMeta(id);
  }

  /**
   * Opens disk `id` over `base`, creating it when absent, and loads its stored chunks into memory
   * (so the emulator reads and writes it synchronously). A stored disk made over another base
   * (another built-in guest version) is refused with BASE_CHANGED: reset it, or export it first.
   */
  async open(id: string, base: DiskBase, opts: IdbDiskOptions = {}): Promise<IdbDisk> {
    let meta = await this.db.getMeta(id);
    if (meta && meta.base !== base.identity) {
      throw new IdbDiskError('BASE_CHANGED', `stored disk '${id}' was made over '${meta.base}', not '${base.identity}': reset it to use the new one`);
    }
    if (meta && meta.sectors !== base.sectors) {
      throw new IdbDiskError('SIZE', `stored disk '${id}' has ${meta.sectors} sectors, its base ${base.sectors}`);
    }
    if (!meta) {
      meta = { version: META_VERSION, id, sectors: base.sectors, base: base.identity, generation: 1, chunks: [], label: base.label, updated: Date.now() };
      try {
        await this.db.atomic([[metaKey(id), meta]]);
      } catch (e) {
        throw storeFailure(e, `the new disk '${id}'`);
      }
    }
    const data = await this.db.getChunks(id, meta.generation, meta.chunks);
    const chunks = new Map<number, Uint8Array>();
    meta.chunks.forEach((index, i) => {
      const c = data[i];
      if (c && c.length === CHUNK_BYTES) chunks.set(index, c);
    });
    return new IdbDisk(this, meta, base, chunks, opts);
  }

  /** Opens a disk stored whole (an imported image, base 'zero') without knowing its size beforehand. */
  async openStored(id: string, opts: IdbDiskOptions = {}): Promise<IdbDisk> {
    const meta = await this.db.getMeta(id);
    if (!meta) throw new IdbDiskError('STORE', `no stored disk '${id}'`);
    if (meta.base !== 'zero') throw new IdbDiskError('BASE_CHANGED', `stored disk '${id}' is written over '${meta.base}': open it with that base`);
    return this.open(id, { identity: 'zero', sectors: meta.sectors, label: meta.label }, opts);
  }

  /**
   * Stores an image as disk `id` (replacing what it held): a `.img` the user imports. Chunks are
   * written under a new generation first and the metadata switched last, so a failure (full
   * quota) leaves the previous disk whole. Zero chunks are not stored.
   */
  async importImage(
    id: string,
    image: Blob | Uint8Array,
    opts: { label?: string; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<DiskMeta> {
    const size = image instanceof Uint8Array ? image.length : image.size;
    if (size === 0 || size % SECTOR_SIZE !== 0) {
      throw new IdbDiskError('SIZE', `a disk image must be a non-empty whole number of 512-byte sectors, not ${size} bytes`);
    }
    const old = await this.db.getMeta(id);
    const gen = (old?.generation ?? 0) + 1;
    const chunks: number[] = [];
    const total = Math.ceil(size / CHUNK_BYTES);
    let batch: [IDBValidKey, unknown][] = [];
    const store = async () => {
      try {
        await this.db.atomic(batch);
      } catch (e) {
        await this.db.deleteGeneration(id, gen).catch(() => {});
        throw storeFailure(e, `the imported image (${size} bytes)`);
      }
      batch = [];
    };
    for (let i = 0; i < total; i++) {
      const part = image instanceof Uint8Array
        ? image.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES)
        : new Uint8Array(await image.slice(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES).arrayBuffer());
      if (!isZero(part)) {
        const chunk = new Uint8Array(CHUNK_BYTES);
        chunk.set(part);
        batch.push([chunkKey(id, gen, i), chunk]);
        chunks.push(i);
      }
      if (batch.length >= IMPORT_BATCH) await store();
      opts.onProgress?.(i + 1, total);
    }
    if (batch.length) await store();
    const meta: DiskMeta = { version: META_VERSION, id, sectors: size / SECTOR_SIZE, base: 'zero', generation: gen, chunks, label: opts.label, updated: Date.now() };
    try {
      await this.db.atomic([[metaKey(id), meta]]);
    } catch (e) {
      await this.db.deleteGeneration(id, gen).catch(() => {});
      throw storeFailure(e, 'the imported image');
    }
    // The old content is unreachable now; removing it only frees space.
    if (old) await this.db.deleteAllChunks(id, gen).catch(() => {});
    return meta;
  }

  /** Forgets the written chunks of disk `id`: it reads as its base again (the built-in guest). */
  async reset(id: string, base: DiskBase): Promise<DiskMeta> {
    const old = await this.db.getMeta(id);
    const meta: DiskMeta = {
      version: META_VERSION,
      id,
      sectors: base.sectors,
      base: base.identity,
      generation: (old?.generation ?? 0) + 1,
      chunks: [],
      label: base.label,
      updated: Date.now(),
    };
    try {
      await this.db.atomic([[metaKey(id), meta]]);
    } catch (e) {
      throw storeFailure(e, `the reset of disk '${id}'`);
    }
    await this.db.deleteAllChunks(id, meta.generation).catch(() => {});
    return meta;
  }

  /** Removes disk `id` and all its chunks. */
  delete(id: string): Promise<void> {
    return this.db.deleteAllChunks(id);
  }
}

/**
 * An open stored disk: a BlockDevice and SyncDisk the machine (and the FAT library) use
 * synchronously. Every stored chunk is in memory; a write copies its chunk from the base on first
 * touch and marks it dirty; dirty chunks are stored in the background (after `flushDelayMs`), on
 * the guest's FLUSH CACHE and on `flush()`/`close()`. A failed store (full quota) keeps the chunks
 * dirty in memory, reports through onError and leaves the stored copy as it was.
 */
export class IdbDisk extends SyncBlockDevice {
  readonly sectors: number;
  readonly readOnly = false;
  private readonly dirty = new Set<number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  /** The last store failure, until a store succeeds. */
  lastError: Error | undefined;

  constructor(
    private readonly store: IdbDiskStore,
    private meta: DiskMeta,
    private readonly base: DiskBase,
    private readonly chunks: Map<number, Uint8Array>,
    private readonly opts: IdbDiskOptions,
  ) {
    super();
    this.sectors = meta.sectors;
  }

  get id(): string {
    return this.meta.id;
  }

  /** Chunks changed in memory and not yet stored. */
  get dirtyChunks(): number {
    return this.dirty.size;
  }

  /** Chunks stored for this disk (written ones). */
  get storedChunks(): number {
    return this.meta.chunks.length;
  }

  readSync(lba: number, count: number, into: Uint8Array): void {
    assertRequest(this, lba, count, into);
    let sector = lba;
    let out = 0;
    const end = lba + count;
    while (sector < end) {
      const index = Math.floor(sector / CHUNK_SECTORS);
      const slot = sector - index * CHUNK_SECTORS;
      const n = Math.min(CHUNK_SECTORS - slot, end - sector);
      const chunk = this.chunks.get(index);
      const dest = into.subarray(out, out + n * SECTOR_SIZE);
      if (chunk) dest.set(chunk.subarray(slot * SECTOR_SIZE, (slot + n) * SECTOR_SIZE));
      else if (this.base.disk) this.base.disk.readSync(sector, n, dest);
      else dest.fill(0);
      sector += n;
      out += n * SECTOR_SIZE;
    }
  }

  writeSync(lba: number, count: number, from: Uint8Array): void {
    if (this.closed) throw new Error('disk is closed');
    assertRequest(this, lba, count, from);
    let sector = lba;
    let at = 0;
    const end = lba + count;
    const dirtyBefore = this.dirty.size;
    while (sector < end) {
      const index = Math.floor(sector / CHUNK_SECTORS);
      const slot = sector - index * CHUNK_SECTORS;
      const n = Math.min(CHUNK_SECTORS - slot, end - sector);
      const chunk = this.chunks.get(index) ?? this.materialize(index);
      chunk.set(from.subarray(at, at + n * SECTOR_SIZE), slot * SECTOR_SIZE);
      this.dirty.add(index);
      sector += n;
      at += n * SECTOR_SIZE;
    }
    if (this.dirty.size !== dirtyBefore) this.opts.onDirty?.(this.dirty.size);
    this.schedule();
  }

  /** FLUSH CACHE and power-off: done is called when the dirty chunks are stored (or failed to be). */
  flush(done: IoDone): void {
    this.flushNow().then(() => done(), (e: Error) => done(e));
  }

  /** Stores every dirty chunk now. Rejects (with the chunks still dirty) when the store fails. */
  async flushNow(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    // One store at a time; writes during it are stored by the next round.
    while (this.flushing) await this.flushing.catch(() => {});
    if (!this.dirty.size) return;
    this.flushing = this.storeDirty();
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }

  private async storeDirty(): Promise<void> {
    const indexes = [...this.dirty].sort((a, b) => a - b);
    this.dirty.clear();
    // Copies: the guest may write these chunks again while the transaction runs.
    const entries: [IDBValidKey, unknown][] = indexes.map((i) => [chunkKey(this.meta.id, this.meta.generation, i), this.chunks.get(i)!.slice()]);
    const chunkSet = new Set(this.meta.chunks);
    for (const i of indexes) chunkSet.add(i);
    const meta: DiskMeta = { ...this.meta, chunks: [...chunkSet].sort((a, b) => a - b), updated: Date.now() };
    // Chunks and the metadata that lists them go in one transaction: all stored, or none.
    try {
      await this.store.db.atomic([...entries, [metaKey(this.meta.id), meta]]);
    } catch (e) {
      for (const i of indexes) this.dirty.add(i);
      const err = storeFailure(e, `${indexes.length} changed chunk${indexes.length === 1 ? '' : 's'} of disk '${this.meta.id}'`);
      this.lastError = err;
      this.opts.onDirty?.(this.dirty.size);
      throw err;
    }
    this.meta = meta;
    this.lastError = undefined;
    this.opts.onDirty?.(this.dirty.size);
  }

  private schedule(): void {
    const delay = this.opts.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS;
    if (delay <= 0 || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushNow().catch((e: Error) => this.opts.onError?.(e));
    }, delay);
  }

  private materialize(index: number): Uint8Array {
    const chunk = new Uint8Array(CHUNK_BYTES);
    if (this.base.disk) {
      const first = index * CHUNK_SECTORS;
      const n = Math.min(CHUNK_SECTORS, this.sectors - first);
      this.base.disk.readSync(first, n, chunk);
    }
    this.chunks.set(index, chunk);
    return chunk;
  }

  /** The whole disk as a Blob (an .img to download), built chunk by chunk. */
  exportBlob(): Blob {
    // The Blob copies each part as it is made, so views of the live chunks are safe here.
    return new Blob([...this.exportParts()] as BlobPart[], { type: 'application/octet-stream' });
  }

  /** The disk's bytes in order, one chunk at a time (for streaming to a file). */
  *exportChunks(): Generator<Uint8Array> {
    for (const part of this.exportParts()) yield part.slice();
  }

  private *exportParts(): Generator<Uint8Array> {
    const total = this.sectors * SECTOR_SIZE;
    const zeros = new Uint8Array(CHUNK_BYTES);
    for (let pos = 0, index = 0; pos < total; pos += CHUNK_BYTES, index++) {
      const len = Math.min(CHUNK_BYTES, total - pos);
      const chunk = this.chunks.get(index);
      if (chunk) yield chunk.subarray(0, len);
      else if (this.base.disk) {
        const part = new Uint8Array(len);
        this.base.disk.readSync(index * CHUNK_SECTORS, len / SECTOR_SIZE, part);
        yield part;
      } else yield len === CHUNK_BYTES ? zeros : zeros.subarray(0, len);
    }
  }

  /** Stores what is dirty and stops background flushing. */
  async close(): Promise<void> {
    await this.flushNow();
    this.closed = true;
  }
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}
