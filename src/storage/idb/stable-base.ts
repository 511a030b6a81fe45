import { type BootDiskParts, DEFAULT_BOOT_DISK_BYTES, composeBootDisk } from '../boot-disk';
import type { DiskBase } from './idb-disk';

/**
 * A stored disk keeps only the chunks the guest wrote; the rest is read from a base the app
 * recomputes at every load. That base must come out byte for byte the same each time, or the
 * stored chunks would sit beside a different FAT: so every time stamp is fixed and the volume
 * id derives from the identity, which names everything that shapes the bytes.
 */

/** Times given to every file and folder of a composed base. */
export const BASE_TIME = new Date(Date.UTC(2024, 0, 1, 0, 0, 0));
/** Bumped when the way a base is composed changes (stored disks over the old one are then refused). */
const COMPOSE_VERSION = 1;

/**
 * The boot disk composed from `parts`, always the same bytes for the same inputs, as the base of
 * an IdbDiskStore disk. `identity` names the inputs (builtinGuestFiles(...).identity for the
 * built-in guest, or hashes of the files for another rootfs); size and label join it.
 */
export function composeStableBase(identity: string, parts: BootDiskParts, opts: { size?: number; label?: string; name?: string } = {}): DiskBase {
  const size = opts.size ?? DEFAULT_BOOT_DISK_BYTES;
  const label = opts.label ?? 'ODTAB';
  const full = `${identity};size=${size};label=${label};compose=${COMPOSE_VERSION}`;
  const disk = composeBootDisk(
    {
      ...parts,
      rootfsModified: BASE_TIME,
      local: (parts.local ?? []).map((f) => ({ ...f, modified: BASE_TIME })),
    },
    { size, label, volumeId: hash32(full), now: () => BASE_TIME },
  );
  return { identity: full, sectors: disk.sectors, disk, label: opts.name };
}

/** FNV-1a: a stable 32-bit volume id from the identity text. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
