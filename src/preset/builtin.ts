import type { BuiltinGuest, Preset } from './preset';

/**
 * The built-in presets, and what a built-in guest consists of, from public/guest/manifest.json
 * (the manifest is the single list; the web app fetches it, the CLI reads it from disk).
 */

export const BUILTIN_PRESETS: { id: string; preset: Preset; description: string }[] = [
  {
    id: 'odtab',
    preset: { version: 1, name: 'OpenDingux-style guest', builtin: 'odtab' },
    description: "odtab's own 6.1 kernel, the busybox rootfs.bin and local/ on a FAT boot disk (the default)",
  },
  {
    id: 'debian',
    preset: { version: 1, name: 'Debian Malta kernel', builtin: 'debian' },
    description: "Debian's 6.1 Malta kernel and initrd.gz booting the same disk the OpenDingux way",
  },
];

export const DEFAULT_PRESET: Preset = BUILTIN_PRESETS[0].preset;

/** The fields of manifest.json this needs (see guest/README.md). */
export interface ManifestLike {
  diskCmdline?: string;
  odtabKernel?: { file?: string; cmdline?: string };
  rootfs?: { file?: string; bootPath?: string };
  local?: { dir?: string; dirs?: string[]; files?: { path: string; size?: number; sha256?: string }[] };
  files?: Record<string, { sha256?: string }>;
}

export interface BuiltinGuestFiles {
  /** Paths relative to the guest folder (public/guest/, served as guest/). */
  kernel: string;
  initrd?: string;
  /** Command line odtab passes (the odtab kernel also carries its own built in). */
  cmdline: string;
  rootfs: string;
  /** Name of the rootfs on the boot disk. */
  rootfsBootPath: string;
  /** local/ files (paths inside local/) and the folders to make even when empty. */
  local: { path: string; size?: number; sha256?: string }[];
  localDir: string;
  dirs: string[];
  /**
   * Names the boot disk composed from these files, for the IndexedDB store's base identity: it
   * changes when rootfs.bin or a local/ file changes, so a stored disk over an older guest is noticed.
   */
  identity: string;
}

/** What built-in guest `name` is made of, from its manifest. Throws when the manifest lacks it. */
export function builtinGuestFiles(name: BuiltinGuest, manifest: ManifestLike): BuiltinGuestFiles {
  const rootfs = manifest.rootfs?.file;
  const localDir = manifest.local?.dir;
  if (!rootfs || !localDir) throw new Error('guest manifest has no rootfs or local/');
  const rootfsSha = manifest.files?.[rootfs]?.sha256 ?? 'unknown';
  const local = manifest.local?.files ?? [];
  const identity = `builtin:${rootfsSha.slice(0, 16)}:${local.map((f) => `${f.path}=${(f.sha256 ?? '').slice(0, 16)}`).join(',')}`;
  const common = { rootfs, rootfsBootPath: manifest.rootfs?.bootPath ?? 'rootfs.bin', local, localDir, dirs: manifest.local?.dirs ?? [], identity };
  if (name === 'debian') {
    if (!manifest.diskCmdline) throw new Error('guest manifest has no diskCmdline for the Debian kernel');
    return { kernel: 'vmlinux.gz', initrd: 'initrd.gz', cmdline: manifest.diskCmdline, ...common };
  }
  if (!manifest.odtabKernel?.file) throw new Error('guest manifest has no odtabKernel');
  return { kernel: manifest.odtabKernel.file, cmdline: manifest.odtabKernel.cmdline ?? '', ...common };
}
