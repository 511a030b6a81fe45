/** Why a FAT operation failed; `code` lets callers tell a full disk from a name clash. */
export type FatErrorCode =
  | 'ENOENT' // no such file or directory
  | 'EEXIST' // the name is taken
  | 'ENOTDIR' // a path component is a file
  | 'EISDIR' // a file operation on a directory
  | 'ENOTEMPTY' // removing a directory that has entries
  | 'ENOSPC' // not enough free clusters, or the fixed root directory is full
  | 'EINVAL' // a name FAT cannot store, or an impossible request
  | 'EROFS' // the disk is read-only
  | 'EFORMAT' // not a FAT file system (bad boot sector)
  | 'ECORRUPT'; // the file system is damaged (bad chain, truncated image)

export class FatError extends Error {
  constructor(
    readonly code: FatErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FatError';
  }
}
