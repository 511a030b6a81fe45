import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BootDiskFile, BootDiskParts } from '../storage/boot-disk';
import { type GuestName, UsageError } from './args';
import { hostReason } from './disk-image';
import { type GuestManifest, builtinGuestDir, readManifest } from './images';

/**
 * The built-in guests (public/guest/, see guest/README.md). Both boot the same disk the
 * OpenDingux way (boot=/dev/sda loop0=/boot/rootfs.bin root=/dev/loop0, mininit's flow):
 *   odtab   our kernel, which carries the command line and the initramfs itself (the default);
 *   debian  Debian's Malta kernel with initrd.gz and the manifest's diskCmdline.
 */

/** Volume label of the built-in guest's disks (as guest/make-disk.sh labels them). */
export const BUILTIN_DISK_LABEL = 'ODTAB';

export interface BuiltinBoot {
  kernelPath: string;
  initrdPath?: string;
  /** What odtab passes as the bootloader's command line (the kernel may add its own). */
  append: string;
}

/** Kernel, initrd and command line of a built-in guest; the user's --append goes last. */
export function builtinBoot(name: GuestName, userAppend: string | undefined, dir = builtinGuestDir()): BuiltinBoot {
  const manifest = readManifest(dir);
  const join2 = (base: string) => [base, userAppend ?? ''].map((s) => s.trim()).filter(Boolean).join(' ');
  if (name === 'debian') {
    if (!manifest.diskCmdline) damaged(dir, 'no diskCmdline');
    return { kernelPath: dir + 'vmlinux.gz', initrdPath: dir + 'initrd.gz', append: join2(manifest.diskCmdline) };
  }
  if (!manifest.odtabKernel?.file) damaged(dir, 'no odtabKernel');
  return { kernelPath: dir + manifest.odtabKernel.file, append: join2(manifest.odtabKernel.cmdline ?? '') };
}

/**
 * Reads the built-in boot disk's parts: rootfs.bin and the local/ skeleton (every file under
 * it, and the folders the manifest lists, which git cannot hold empty).
 */
export function readBuiltinDiskParts(dir = builtinGuestDir()): BootDiskParts {
  const manifest: GuestManifest = readManifest(dir);
  if (!manifest.rootfs?.file || !manifest.local?.dir) damaged(dir, 'no rootfs or local in manifest.json');
  const rootfsPath = dir + manifest.rootfs.file;
  let rootfs: Uint8Array;
  let rootfsModified: Date;
  try {
    rootfs = readFileSync(rootfsPath);
    rootfsModified = statSync(rootfsPath).mtime;
  } catch (e) {
    damaged(dir, `cannot read ${rootfsPath}: ${hostReason(e)}`);
  }
  const local: BootDiskFile[] = [];
  const dirs = [...(manifest.local.dirs ?? [])];
  const walk = (host: string, path: string) => {
    let names: string[];
    try {
      names = readdirSync(host).sort();
    } catch (e) {
      damaged(dir, `cannot read ${host}: ${hostReason(e)}`);
    }
    for (const name of names) {
      const h = join(host, name);
      const p = path ? `${path}/${name}` : name;
      const st = statSync(h);
      if (st.isDirectory()) {
        dirs.push(p);
        walk(h, p);
      }
      else if (st.isFile()) local.push({ path: p, data: readFileSync(h), modified: st.mtime });
    }
  };
  walk(dir + manifest.local.dir, '');
  return { rootfs, rootfsModified, rootfsName: manifest.rootfs.bootPath ?? 'rootfs.bin', local, dirs };
}

function damaged(dir: string, why: string): never {
  throw new UsageError(`built-in guest is missing or damaged (${dir}): ${why}`);
}
