import type { ChunkStore, DiskMeta } from './chunk-store';

/**
 * The chunk store kept in memory, for a browser that gives the page no IndexedDB (some private
 * windows): the disks work the same for as long as the tab lives, and Export still saves them.
 * Keys are those of ChunkDb (['disk', id], ['chunk', id, gen, index]), held as JSON strings.
 */
export class MemoryChunkDb implements ChunkStore {
  private readonly entries = new Map<string, unknown>();

  async getMeta(id: string): Promise<DiskMeta | undefined> {
    return this.entries.get(JSON.stringify(['disk', id])) as DiskMeta | undefined;
  }

  async listMeta(): Promise<DiskMeta[]> {
    return [...this.entries].filter(([k]) => k.startsWith('["disk",')).map(([, v]) => v as DiskMeta);
  }

  async getChunks(id: string, gen: number, indexes: number[]): Promise<(Uint8Array | undefined)[]> {
    // Copies, as IndexedDB reads are: the disk writes into what it gets.
    return indexes.map((i) => (this.entries.get(JSON.stringify(['chunk', id, gen, i])) as Uint8Array | undefined)?.slice());
  }

  async atomic(entries: [IDBValidKey, unknown][], remove: IDBValidKey[] = []): Promise<void> {
    // IndexedDB stores a copy (structured clone): later changes to a chunk must not reach the store.
    for (const [k, v] of entries) this.entries.set(JSON.stringify(k), v instanceof Uint8Array ? v.slice() : structuredClone(v));
    for (const k of remove) this.entries.delete(JSON.stringify(k));
  }

  async deleteGeneration(id: string, gen: number): Promise<void> {
    this.deleteChunks(id, (g) => g === gen);
  }

  async deleteAllChunks(id: string, keep?: number): Promise<void> {
    this.deleteChunks(id, (g) => g !== keep);
    if (keep === undefined) this.entries.delete(JSON.stringify(['disk', id]));
  }

  private deleteChunks(id: string, which: (gen: number) => boolean): void {
    for (const k of [...this.entries.keys()]) {
      const key = JSON.parse(k) as unknown[];
      if (key[0] === 'chunk' && key[1] === id && which(key[2] as number)) this.entries.delete(k);
    }
  }
}
