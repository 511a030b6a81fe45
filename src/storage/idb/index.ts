/** Disks kept in IndexedDB as 64 KiB chunks (browser/worker only). See idb-disk.ts. */
export { IdbDiskStore, IdbDisk, IdbDiskError, type DiskBase, type IdbDiskOptions } from './idb-disk';
export { CHUNK_BYTES, type ChunkStore, type DiskMeta, isQuotaError } from './chunk-store';
export { MemoryChunkDb } from './memory-chunk-db';
export { composeStableBase, BASE_TIME } from './stable-base';
