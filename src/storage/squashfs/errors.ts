/**
 * Why an image could not be read. `code` lets callers tell a damaged image from a missing path:
 *   CORRUPT      the bytes contradict the format (bad magic, a table outside the image, ...)
 *   UNSUPPORTED  a valid image we cannot read (a compressor we have no decoder for, big-endian)
 *   ENOENT, ENOTDIR, EISDIR, ELOOP, EINVAL  path problems, as the POSIX calls name them
 *   TOO_BIG      the caller's limit on how much may be unpacked
 */
export type SquashfsErrorCode = 'CORRUPT' | 'UNSUPPORTED' | 'ENOENT' | 'ENOTDIR' | 'EISDIR' | 'ELOOP' | 'EINVAL' | 'TOO_BIG';

export class SquashfsError extends Error {
  constructor(
    readonly code: SquashfsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SquashfsError';
  }
}

export function corrupt(why: string): SquashfsError {
  return new SquashfsError('CORRUPT', `damaged squashfs image: ${why}`);
}
