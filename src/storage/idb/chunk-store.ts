import { type UseStore, createStore, get, getMany, promisifyRequest } from 'idb-keyval';

/**
 * The IndexedDB side of the disk store (browser or worker only: it needs `indexedDB`). A disk is
 * one metadata record plus its written chunks:
 *   ['disk', id]                   DiskMeta
 *   ['chunk', id, gen, index]      Uint8Array of CHUNK_BYTES
 * `gen` changes when the disk's whole content is replaced (import, reset), so a new content is
 * written beside the old one and made current by one metadata write; an interrupted import or a
 * full quota leaves the old disk as it was.
 */

/** 64 KiB chunks: small enough that a few guest writes store little, big enough to be few. */
export const CHUNK_BYTES = 64 * 1024;
export const META_VERSION = 1;

export interface DiskMeta {
  version: number;
  id: string;
  /** Size in 512-byte sectors. */
  sectors: number;
  /**
   * What the chunks are written over: 'zero' (an imported image, stored whole), or an identity
   * the app recomputes the base from (e.g. 'builtin:<rootfs sha256>' for the composed boot disk).
   */
  base: string;
  /** Chunk keys are under this generation. */
  generation: number;
  /** Indexes of the stored chunks (the written ones; all non-zero ones for an imported image). */
  chunks: number[];
  /** A short note for the UI (image name, "built-in guest"). */
  label?: string;
  /** ms since 1970 of the last completed store. */
  updated: number;
}

export type ChunkKey = ['chunk', string, number, number];

export function metaKey(id: string): IDBValidKey {
  return ['disk', id];
}

export function chunkKey(id: string, gen: number, index: number): ChunkKey {
  return ['chunk', id, gen, index];
}

/** Whether an error is the browser saying its storage is full. */
export function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED';
}

/** Why a store failed, in one line for the user; says that what was stored before is kept. */
export function storeFailure(e: unknown, what: string): Error {
  const err = new Error(
    isQuotaError(e)
      ? `browser storage is full: ${what} not saved (what was stored before is kept; free space or export the disk)`
      : `saving ${what} failed: ${(e as Error)?.message || String(e)} (what was stored before is kept)`,
  );
  (err as Error & { cause?: unknown }).cause = e;
  return err;
}

/** Where the chunks and metadata live: IndexedDB (ChunkDb), or memory when a browser has none. */
export interface ChunkStore {
  getMeta(id: string): Promise<DiskMeta | undefined>;
  listMeta(): Promise<DiskMeta[]>;
  getChunks(id: string, gen: number, indexes: number[]): Promise<(Uint8Array | undefined)[]>;
  atomic(entries: [IDBValidKey, unknown][], remove?: IDBValidKey[]): Promise<void>;
  deleteGeneration(id: string, gen: number): Promise<void>;
  deleteAllChunks(id: string, keep?: number): Promise<void>;
}

export class ChunkDb implements ChunkStore {
  readonly store: UseStore;

  constructor(opts: { dbName?: string; storeName?: string } = {}) {
    this.store = createStore(opts.dbName ?? 'odtab-disks', opts.storeName ?? 'chunks');
  }

  getMeta(id: string): Promise<DiskMeta | undefined> {
    return get<DiskMeta>(metaKey(id), this.store);
  }

  async listMeta(): Promise<DiskMeta[]> {
    return this.store('readonly', (s) =>
      promisifyRequest(s.getAll(IDBKeyRange.bound(['disk', ''], ['disk', '\uffff']))),
    ) as Promise<DiskMeta[]>;
  }

  getChunks(id: string, gen: number, indexes: number[]): Promise<(Uint8Array | undefined)[]> {
    return getMany<Uint8Array>(indexes.map((i) => chunkKey(id, gen, i)), this.store);
  }

  /**
   * Writes all entries and deletes all `remove` keys in one transaction: IndexedDB applies all of
   * it or none (a full quota aborts the transaction), so no chunk is ever half replaced.
   */
  atomic(entries: [IDBValidKey, unknown][], remove: IDBValidKey[] = []): Promise<void> {
    return this.store('readwrite', (s) => {
      const tx = s.transaction;
      // A failed request's error reaches the transaction's onerror before the abort sets
      // tx.error, so the first request error is kept and the outcome is taken from complete/abort.
      let firstError: unknown;
      const done = new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onabort = () => reject(tx.error ?? firstError ?? new Error('transaction aborted'));
      });
      const keep = (req: IDBRequest) => {
        req.onerror = () => {
          firstError ??= req.error;
        };
      };
      try {
        for (const [k, v] of entries) keep(s.put(v, k));
        for (const k of remove) keep(s.delete(k));
      } catch (e) {
        tx.abort();
        done.catch(() => {});
        throw e;
      }
      return done;
    });
  }

  /** Deletes every chunk of `id` under generation `gen` (best effort cleanup of old content). */
  deleteGeneration(id: string, gen: number): Promise<void> {
    return this.store('readwrite', (s) => {
      s.delete(IDBKeyRange.bound(['chunk', id, gen, 0], ['chunk', id, gen, Number.MAX_SAFE_INTEGER]));
      return promisifyRequest(s.transaction);
    });
  }

  /** Deletes every chunk of `id` except generation `keep`, and with `keep` undefined the metadata too. */
  deleteAllChunks(id: string, keep?: number): Promise<void> {
    return this.store('readwrite', (s) => {
      const all = IDBKeyRange.bound(['chunk', id, -Infinity, 0], ['chunk', id, Infinity, Number.MAX_SAFE_INTEGER]);
      if (keep === undefined) {
        s.delete(all);
        s.delete(metaKey(id));
      } else {
        s.delete(IDBKeyRange.bound(['chunk', id, -Infinity, 0], ['chunk', id, keep, 0], false, true));
        s.delete(IDBKeyRange.bound(['chunk', id, keep + 1, 0], ['chunk', id, Infinity, Number.MAX_SAFE_INTEGER]));
      }
      return promisifyRequest(s.transaction);
    });
  }
}
