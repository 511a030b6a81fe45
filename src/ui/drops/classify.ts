/**
 * What a dropped file is, from its first bytes and its name (issue 5's drop rules):
 *   MIPS ELF (32-bit little endian)  -> the kernel
 *   squashfs ('hsqs'), *.opk         -> an app on the apps disk (apps/)
 *   squashfs, any other name         -> the root filesystem (rootfs.bin)
 *   *.dge                            -> local/apps/
 *   a file under a dropped local/    -> that path in local/
 *   FAT boot sector, *.img           -> the whole boot disk
 * Anything else is refused with one line saying why.
 */

export type DropKind = 'kernel' | 'rootfs' | 'opk' | 'dge' | 'local' | 'image';

export interface DropItem {
  kind: DropKind;
  /** The file's name; for 'local', its path inside local/. */
  name: string;
  data: Uint8Array;
  /** What it was recognised as, for the user. */
  note: string;
}

export type Classified = DropItem | { kind: 'unknown'; name: string; reason: string };

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const EM_MIPS = 8;

/** `relativePath`: the path inside a dropped folder ("local/apps/x.dge"), if it came in one. */
export function classifyFile(name: string, data: Uint8Array, relativePath?: string): Classified {
  const lower = name.toLowerCase();
  const local = localPath(relativePath);
  if (local !== undefined) return { kind: 'local', name: local, data, note: `local/${local}` };
  if (data.length === 0) return { kind: 'unknown', name, reason: `${name} is empty` };
  if (lower.endsWith('.dge')) return { kind: 'dge', name, data, note: `DinguX executable for local/apps/` };
  if (starts(data, ELF_MAGIC)) {
    const cls = data[4];
    const endian = data[5];
    const machine = data.length >= 20 ? data[18]! | (data[19]! << 8) : -1;
    if (cls !== 1 || endian !== 1 || machine !== EM_MIPS) {
      return { kind: 'unknown', name, reason: `${name} is an ELF file but not a 32-bit little-endian MIPS kernel (class ${cls}, data ${endian}, machine ${machine})` };
    }
    return { kind: 'kernel', name, data, note: 'MIPS kernel (ELF)' };
  }
  if (starts(data, [0x68, 0x73, 0x71, 0x73])) {
    if (lower.endsWith('.opk')) return { kind: 'opk', name, data, note: 'OPK app for the apps disk (apps/)' };
    return { kind: 'rootfs', name, data, note: 'squashfs root filesystem (rootfs.bin)' };
  }
  if (isFatBootSector(data)) return { kind: 'image', name, data, note: 'FAT disk image (replaces the whole disk)' };
  return {
    kind: 'unknown',
    name,
    reason: `${name} is not recognised: not a MIPS kernel, squashfs (rootfs.bin, .opk), .dge, FAT disk image or file of a local/ folder`,
  };
}

/** A whole-disk FAT image: boot signature, a jump, 512-byte sectors, whole sectors long. */
function isFatBootSector(d: Uint8Array): boolean {
  if (d.length < 512 || d.length % 512 !== 0) return false;
  if (d[510] !== 0x55 || d[511] !== 0xaa) return false;
  if (d[0] !== 0xeb && d[0] !== 0xe9) return false;
  const bytesPerSector = d[11]! | (d[12]! << 8);
  return bytesPerSector === 512 && d[13] !== 0;
}

function starts(d: Uint8Array, magic: number[]): boolean {
  return d.length >= magic.length && magic.every((b, i) => d[i] === b);
}

/** The path inside local/ of a file dropped in a folder named local, else undefined. */
function localPath(relativePath: string | undefined): string | undefined {
  if (!relativePath) return undefined;
  const parts = relativePath.split('/').filter((p) => p && p !== '.');
  const at = parts.findIndex((p) => p.toLowerCase() === 'local');
  if (at < 0 || at === parts.length - 1) return undefined;
  if (parts.includes('..')) return undefined;
  return parts.slice(at + 1).join('/');
}
