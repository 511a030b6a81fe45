import { SECTOR_SIZE } from '../../storage/block-device';
import { FatVolume } from '../../storage/fat';
import { type DiskBase, type IdbDisk, IdbDiskError, IdbDiskStore, MemoryChunkDb } from '../../storage/idb';
import type { DropItem } from '../drops/classify';
import { APPS_DISK_BYTES, applyDrops } from '../drops/apply';

/** Store ids of the two disks: the FAT boot disk (hda, /boot) and the apps disk (hdb, /media/sdb). */
const BOOT_DISK_ID = 'boot';
const APPS_DISK_ID = 'apps';

const DB_NAME = 'odtab-disks';
/** An IndexedDB that has not opened by then will not (a stuck private-mode store): memory it is. */
const OPEN_TIMEOUT_MS = 10_000;

/** Applied in memory, not yet stored: the message says so (nothing stored was lost). */
export class NotStoredError extends Error {
  constructor(
    message: string,
    /** The kernel to boot (a dropped one is applied all the same). */
    readonly kernel: Uint8Array,
  ) {
    super(message);
  }
}

export type WhichDisk = 'boot' | 'apps';

/** A disk over nothing: every chunk it holds was written (an imported image, the apps disk). */
const zeroBase = (sectors: number, label: string): DiskBase => ({ identity: 'zero', sectors, label });

/**
 * The guest's disks, kept in IndexedDB so a reload boots what the guest wrote: the boot disk as
 * its written chunks over the built-in guest's composed base (or an imported image), and the apps
 * disk when an .opk made one. Drops are applied here, only while the machine is off.
 */
export class StoredDisks {
  hda!: IdbDisk;
  hdb: IdbDisk | undefined;

  private readonly bootId: string;
  private readonly appsId: string;

  private constructor(
    private readonly store: IdbDiskStore,
    suffix: string,
    private readonly base: DiskBase,
    private readonly report: (message: string) => void,
    private readonly onDirty: () => void,
  ) {
    this.bootId = BOOT_DISK_ID + suffix;
    this.appsId = APPS_DISK_ID + suffix;
  }

  /**
   * Opens the stored disks (made on first use). A boot disk stored over another version of the
   * built-in guest is not opened over the new one (its chunks would sit beside another FAT): it
   * throws BASE_CHANGED, and the page offers export and reset.
   */
  static async open(
    base: DiskBase,
    opts: { suffix?: string; appsImage?: Uint8Array; report: (message: string) => void; onDirty?: () => void },
  ): Promise<StoredDisks> {
    const store = await openStore();
    if (!store.persistent) {
      opts.report(`this browser gives the page no storage (${store.reason}): the disks live in this tab only and a reload starts over; Export keeps them`);
    }
    const disks = new StoredDisks(store.store, opts.suffix ?? '', base, opts.report, opts.onDirty ?? (() => {}));
    // A preset's second disk is stored the first time; after that the guest's writes to it are kept.
    if (opts.appsImage && !(await disks.store.info(disks.appsId))) await disks.store.importImage(disks.appsId, opts.appsImage, { label: 'apps' });
    await disks.openAll();
    return disks;
  }

  private options() {
    return {
      onError: (e: Error) => this.report(`the disk could not be saved (it is kept in this tab, retried): ${e.message.split('\n')[0]}`),
      onDirty: () => this.onDirty(),
    };
  }

  private async openAll(): Promise<void> {
    const boot = await this.store.info(this.bootId);
    this.hda = boot?.base === 'zero'
      ? await this.store.openStored(this.bootId, this.options())
      : await this.store.open(this.bootId, this.base, this.options());
    const apps = await this.store.info(this.appsId);
    this.hdb = apps ? await this.store.openStored(this.appsId, this.options()) : undefined;
  }

  /** Unsaved chunks of both disks. */
  get dirtyChunks(): number {
    return this.hda.dirtyChunks + (this.hdb?.dirtyChunks ?? 0);
  }

  /** Stores what the guest wrote now (power-off, the page going away). Rejects with a one-line reason. */
  async flush(): Promise<void> {
    await Promise.all([this.hda.flushNow(), this.hdb?.flushNow()]);
  }

  /**
   * Applies staged drops to the stored disks (the machine is off): an image is imported as the
   * boot disk, files are written into the FATs (checked for space first, so a failure leaves the
   * disks as they were). Returns the kernel, replaced when a kernel was dropped.
   */
  async applyDrops(items: DropItem[], kernel: Uint8Array): Promise<Uint8Array> {
    const image = items.filter((i) => i.kind === 'image').at(-1);
    if (image) {
      // The open disk's generation ends with the import: close it first so it cannot store over it.
      await this.hda.close();
      try {
        await this.store.importImage(this.bootId, image.data, { label: image.name });
      } finally {
        await this.openAll();
      }
    }
    if (items.some((i) => i.kind === 'opk') && !this.hdb) {
      const disk = await this.store.open(this.appsId, zeroBase(APPS_DISK_BYTES / SECTOR_SIZE, 'apps'), this.options());
      FatVolume.format(disk, { label: 'APPS' });
      this.hdb = disk;
    }
    const rest = items.filter((i) => i.kind !== 'image');
    const out = applyDrops(rest, { kernel, hda: this.hda, hdb: this.hdb });
    try {
      await this.flush();
    } catch (e) {
      // The files are on the disks in this tab (the guest boots with them); storing is retried.
      throw new NotStoredError(`the dropped files are on the disks for now but could not be saved (retried): ${(e as Error).message.split('\n')[0]}`, out.kernel);
    }
    return out.kernel;
  }

  /** Back to the built-in guest: the boot disk's writes forgotten, the apps disk removed. */
  async reset(): Promise<void> {
    await this.hda.close().catch(() => {});
    await this.hdb?.close().catch(() => {});
    await this.store.reset(this.bootId, this.base);
    await this.store.delete(this.appsId);
    await this.openAll();
  }

  exportBlob(which: WhichDisk): Blob | null {
    const disk = which === 'boot' ? this.hda : this.hdb;
    return disk ? disk.exportBlob() : null;
  }

  /** Reset without opening (the stored boot disk does not fit the current base). */
  static async resetStore(base: DiskBase, suffix = ''): Promise<void> {
    const store = new IdbDiskStore({ dbName: DB_NAME });
    await store.reset(BOOT_DISK_ID + suffix, base);
    await store.delete(APPS_DISK_ID + suffix);
  }

  /** Kept in IndexedDB (false: in this tab's memory only, the browser has no IndexedDB for us). */
  get persistent(): boolean {
    return !(this.store.db instanceof MemoryChunkDb);
  }

  static isBaseChanged(e: unknown): boolean {
    return e instanceof IdbDiskError && e.code === 'BASE_CHANGED';
  }
}

/**
 * IndexedDB if the browser lets the page use it, else memory. Private windows differ: some have
 * no `indexedDB`, some fail the open (Firefox's older private mode), some open it but fail
 * every read; a read of the disk list tells them all apart from a working store.
 */
async function openStore(): Promise<{ store: IdbDiskStore; persistent: true } | { store: IdbDiskStore; persistent: false; reason: string }> {
  let reason = 'no IndexedDB';
  if (typeof indexedDB !== 'undefined') {
    try {
      const store = new IdbDiskStore({ dbName: DB_NAME });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stuck = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${OPEN_TIMEOUT_MS / 1000} s`)), OPEN_TIMEOUT_MS);
      });
      await Promise.race([store.list(), stuck]).finally(() => clearTimeout(timer));
      return { store, persistent: true };
    } catch (e) {
      reason = `IndexedDB fails: ${(e as Error)?.message?.split('\n')[0] || String(e)}`;
    }
  }
  return { store: new IdbDiskStore({ db: new MemoryChunkDb() }), persistent: false, reason };
}
