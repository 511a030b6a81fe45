import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { UsageError } from './args';

/** Where the built-in guest lives: public/guest beside dist/ (the CLI bundle) or src/. */
export function builtinGuestDir(): string {
  return fileURLToPath(new URL('../public/guest/', import.meta.url));
}

export interface GuestManifest {
  /** Debian's kernel with initrd.gz: the plain shell (no disk). */
  cmdline: string;
  /** Debian's kernel with initrd.gz, booting the disk the OpenDingux way. */
  diskCmdline: string;
  kernelRelease?: string;
  /** odtab's own kernel: its file and the -append it wants (its OpenDingux line is built in). */
  odtabKernel: { file: string; release: string; builtinCmdline: string; cmdline: string };
  rootfs: { file: string; bootPath: string };
  /** The boot disk's local/ skeleton: its folder here and the folders it must have. */
  local: { dir: string; dirs: string[]; files: { path: string; size: number; sha256: string }[] };
  files: Record<string, { size: number; sha256: string }>;
}

export function readManifest(dir = builtinGuestDir()): GuestManifest {
  try {
    return JSON.parse(readFileSync(dir + 'manifest.json', 'utf8')) as GuestManifest;
  } catch (e) {
    throw new UsageError(`built-in guest is missing or damaged (${dir}manifest.json): ${(e as Error).message}`);
  }
}

/** Read a user-supplied file, unpacking gzip; every failure becomes one clear line. */
export function readImage(path: string, what: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UsageError(`${what} '${path}' is a directory, not a file`);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new UsageError(`cannot read ${what} '${path}': ${reason}`);
  }
  if (bytes.length === 0) throw new UsageError(`${what} '${path}' is empty`);
  return bytes;
}

/** Kernels may be shipped gzipped (the built-in one is); the machine wants the ELF itself. */
export function unpackKernel(bytes: Uint8Array, path: string): Uint8Array {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes);
    } catch (e) {
      throw new UsageError(`kernel '${path}' looks gzipped but does not unpack: ${(e as Error).message}`);
    }
  }
  return bytes;
}
