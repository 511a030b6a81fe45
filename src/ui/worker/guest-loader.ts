import type { BootDiskParts } from '../../storage/boot-disk';
import { DownloadError, download, gunzipIfNeeded } from './download';
import type { DownloadProgress } from './protocol';

/**
 * The built-in guest, fetched from public/guest/ as manifest.json describes it: odtab's kernel
 * and its command line, and the boot disk's parts (rootfs.bin, local/ files and folders), which
 * the worker composes into a FAT disk as the CLI does.
 */

export interface Manifest {
  odtabKernel?: { file?: string; cmdline?: string };
  rootfs?: { file?: string; bootPath?: string };
  local?: { dir?: string; dirs?: string[]; files?: { path: string; size: number; sha256?: string }[] };
  files?: Record<string, { size: number; sha256?: string }>;
}

export interface BuiltinGuest {
  /** The manifest as fetched (it names the files, for the stored disk's base identity). */
  manifest: Manifest;
  kernel: Uint8Array;
  kernelName: string;
  commandLine: string;
  disk: BootDiskParts;
}

export async function loadBuiltinGuest(baseUrl: string, progress: (p: DownloadProgress) => void): Promise<BuiltinGuest> {
  const manifestBytes = await download(baseUrl + 'manifest.json', () => {});
  let manifest: Manifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as Manifest;
  } catch (e) {
    throw new DownloadError(`${baseUrl}manifest.json is not JSON: ${(e as Error).message}`);
  }
  const kernelFile = manifest.odtabKernel?.file;
  const rootfsFile = manifest.rootfs?.file;
  const localDir = manifest.local?.dir;
  if (!kernelFile || !rootfsFile || !localDir) {
    throw new DownloadError(`${baseUrl}manifest.json does not name the kernel, rootfs and local/ of the guest`);
  }
  const localFiles = manifest.local?.files ?? [];
  const total =
    (manifest.files?.[kernelFile]?.size ?? 0) +
    (manifest.files?.[rootfsFile]?.size ?? 0) +
    localFiles.reduce((n, f) => n + f.size, 0);
  let loaded = 0;
  const fetchOne = (path: string) =>
    download(baseUrl + path, (n) => {
      loaded += n;
      progress({ file: path, loaded, total: Math.max(total, loaded) });
    });

  const [kernelGz, rootfs, ...local] = await Promise.all([
    fetchOne(kernelFile),
    fetchOne(rootfsFile),
    ...localFiles.map((f) => fetchOne(`${localDir}/${f.path}`)),
  ]);
  const kernel = await gunzipIfNeeded(kernelGz!, kernelFile);
  return {
    manifest,
    kernel,
    kernelName: kernelFile.replace(/\.gz$/, ''),
    commandLine: manifest.odtabKernel?.cmdline ?? '',
    disk: {
      rootfs,
      rootfsName: manifest.rootfs?.bootPath ?? 'rootfs.bin',
      local: localFiles.map((f, i) => ({ path: f.path, data: local[i]! })),
      dirs: manifest.local?.dirs ?? [],
    },
  };
}
