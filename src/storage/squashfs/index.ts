/** Read-only SquashFS 4.0 (rootfs.bin, .opk): see squashfs.ts. */
export { Squashfs, type SquashfsOptions, type DirEntry } from './squashfs';
export type { Inode, InodeKind } from './inode';
export { type Superblock, sniffSquashfs, SUPERBLOCK_SIZE } from './superblock';
export { SquashfsError, type SquashfsErrorCode } from './errors';
export { type ByteSource, bytesSource, blobSource } from './source';
export { type Decompressor, COMPRESSOR_NAMES } from './decompress';
export { lz4DecodeBlock } from './lz4';
export { lzo1xDecode } from './lzo';
