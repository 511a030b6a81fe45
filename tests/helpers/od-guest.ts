/**
 * The built-in OpenDingux-style guest for tests: odtab's kernel (public/guest/vmlinux-odtab.gz,
 * its boot=/loop0=/root= line and initramfs built in) and the boot disk composed from rootfs.bin
 * and local/ by the same code the CLI uses.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { readBuiltinDiskParts } from '../../src/cli/builtin-guest';
import type { MachineConfig } from '../../src/emu/machine';
import type { BlockDevice, IoDone } from '../../src/storage/block-device';
import { type BootDiskParts, composeBootDisk } from '../../src/storage/boot-disk';
import type { MemoryDisk } from '../../src/storage/memory-disk';
import { GUEST_DIR, GuestSession } from './guest';

/** The root shell's prompt on ttyS0 (hostname opendingux, HOME /boot/local/home). */
export const OD_PROMPT = 'opendingux:/boot/local/home # ';
/** The initramfs's shell after `odtab init: <reason>; starting a rescue shell`. */
export const RESCUE_PROMPT = '(rescue) odtab# ';

export const manifest = JSON.parse(readFileSync(GUEST_DIR + 'manifest.json', 'utf8'));

let kernel: Uint8Array | undefined;
export function odKernel(): Uint8Array {
  kernel ??= gunzipSync(readFileSync(GUEST_DIR + manifest.odtabKernel.file));
  return kernel;
}

/** The built-in disk's parts (rootfs.bin, local/), read as `odtab boot` reads them. */
export function builtinParts(): BootDiskParts {
  return readBuiltinDiskParts(GUEST_DIR);
}

/** A 64 MiB FAT16 boot disk in memory, from `parts` (default: the built-in ones). */
export function composedDisk(parts: BootDiskParts = builtinParts()): MemoryDisk {
  return composeBootDisk(parts, { label: 'ODTAB', volumeId: 0x0d7ab000, now: () => new Date(1_700_000_000_000) });
}

/** A machine running odtab's kernel with the OpenDingux command line, as `odtab boot` starts it. */
export function odSession(config: Partial<MachineConfig> = {}): GuestSession {
  return new GuestSession({
    kernel: odKernel(),
    initrd: undefined,
    commandLine: manifest.odtabKernel.cmdline,
    ...config,
  });
}

/**
 * A drive that says it is `extra` sectors bigger than the disk behind it, like an image file cut
 * short while the guest runs: the IDE model accepts requests up to its size, the backend refuses
 * the ones past its own end, and the guest should get an I/O error for them.
 */
export class ShortBacking implements BlockDevice {
  readonly sectors: number;
  readonly readOnly: boolean;
  /** Requests the backend refused. */
  refused = 0;

  constructor(
    readonly inner: BlockDevice,
    extra: number,
  ) {
    this.sectors = inner.sectors + extra;
    this.readOnly = inner.readOnly;
  }
  read(lba: number, count: number, into: Uint8Array, done: IoDone): void {
    this.inner.read(lba, count, into, this.counted(done));
  }
  write(lba: number, count: number, from: Uint8Array, done: IoDone): void {
    this.inner.write(lba, count, from, this.counted(done));
  }
  flush(done: IoDone): void {
    this.inner.flush(done);
  }
  private counted(done: IoDone): IoDone {
    return (error) => {
      if (error) this.refused++;
      done(error);
    };
  }
}
