import type { Preset } from '../../preset';

/**
 * What the page and the machine worker say to each other. Calls go page -> worker through comlink
 * (WorkerApi); the worker reports back through the callbacks the page hands to start().
 */

/** One download of the guest images: which file, and bytes so far of the whole set. */
export interface DownloadProgress {
  file: string;
  loaded: number;
  /** Bytes of all files to download, from the manifest (0 while unknown). */
  total: number;
}

export type PowerState = 'loading' | 'running' | 'off' | 'error';

export interface MachineStatus {
  power: PowerState;
  /** Guest instructions per host second, in millions, over the last report period. */
  mips: number;
  /** Guest time since the last boot, seconds. */
  uptime: number;
  /** Sectors the guest read and wrote since boot (the page lights a disk LED when they move). */
  diskReads: number;
  diskWrites: number;
  /** Boots since the page opened (restart and guest reboots count). */
  boots: number;
  /** Dropped files waiting for the next boot. */
  staged: number;
  /** 64 KiB chunks the guest wrote that are not yet stored in IndexedDB. */
  unsaved: number;
  /** Where the disks are kept: IndexedDB ('browser'), or this tab's memory when there is none. */
  diskStore: 'browser' | 'tab';
}

/** A dropped file waiting for the next boot, as the page lists it. */
export interface StagedDrop {
  kind: string;
  name: string;
  note: string;
  size: number;
}

/** A file the page hands over: its name, bytes, and path inside a dropped folder if any. */
export interface DroppedFile {
  name: string;
  data: Uint8Array;
  relativePath?: string;
}

export interface DropResult {
  /** Everything now waiting for the next boot. */
  staged: StagedDrop[];
  /** One line per refused file. */
  refused: string[];
}

/** A rectangle of the screen, in guest pixels. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Fallback framebuffer transport: the changed rectangle's RGBA rows, transferred (not copied). */
export interface FrameUpdate {
  width: number;
  height: number;
  rect: Rect;
  pixels: ArrayBuffer;
}

/**
 * Shared framebuffer: `pixels` is the whole screen, RGBA, updated in place by the worker;
 * `header` (Int32Array over a SharedArrayBuffer, see SCREEN_HEADER) tells the page what changed.
 */
export interface SharedScreen {
  width: number;
  height: number;
  pixels: SharedArrayBuffer;
  header: SharedArrayBuffer;
}

/** Int32 slots of a shared screen's header. */
export const SCREEN_HEADER = {
  /** Bumped by the worker after each change. */
  generation: 0,
  /** The generation the page has drawn (written by the page). */
  drawn: 1,
  /** Changed rectangle since `drawn`: x, y, width, height. */
  x: 2,
  y: 3,
  width: 4,
  height: 5,
  length: 6,
} as const;

export interface BootOptions {
  /** Absolute URL of the built-in guest folder (…/guest/), ending in '/'. */
  guestUrl: string;
  /** The page's URL: relative references of the preset are resolved against it. */
  pageUrl: string;
  /** Share the framebuffer (needs crossOriginIsolated); false transfers a frame per change. */
  sharedScreen: boolean;
  /** What to boot (src/preset): the built-in guest and what the preset changes. */
  preset: Preset;
}

/** An app on the disks (or staged for them), as the app library shows it. */
export interface AppInfo {
  kind: 'opk' | 'dge';
  /** File name on the disk. */
  file: string;
  /** Where the guest sees it. */
  guestPath: string;
  name: string;
  comment: string;
  /** The desktop file's Exec (opk with metadata for this device). */
  exec?: string;
  iconPng?: Uint8Array;
  /** Why the guest's launcher will not list it (metadata only for another platform, not an opk). */
  warning?: string;
  /** Problems of its desktop entry (missing icon, ...). */
  problems: string[];
  /** Dropped, arrives at the next boot. */
  pending: boolean;
}

export interface WorkerCallbacks {
  progress(p: DownloadProgress): void;
  serial(bytes: Uint8Array): void;
  status(s: MachineStatus): void;
  /** A new shared screen (at boot and whenever the mode's size changes). */
  screen(s: SharedScreen | null): void;
  frame(f: FrameUpdate): void;
  /** A failure the user must see, as one line; fatal when the machine cannot run at all. */
  error(message: string, fatal?: boolean): void;
}

export interface WorkerApi {
  start(opts: BootOptions, callbacks: WorkerCallbacks): Promise<void>;
  /** Serial console input (the terminal's bytes). */
  serialIn(bytes: Uint8Array): void;
  /** A key by KeyboardEvent.code, pressed or released. */
  key(code: string, down: boolean): void;
  powerOff(): Promise<void>;
  /** Board reset: as the reset button of a real board (disks kept). */
  reset(): void;
  /** Cold boot: power off if running (disks flushed), then boot again (staged drops applied). */
  restart(): Promise<void>;
  /** Recognise dropped files and stage them for the next boot. */
  drop(files: DroppedFile[]): Promise<DropResult>;
  /** Forget the guest's writes and the apps disk: back to the built-in guest, booted again. */
  resetDisks(): Promise<void>;
  /** The boot or apps disk as an .img (null when there is no apps disk). */
  exportDisk(which: 'boot' | 'apps'): Promise<Blob | null>;
  /** The apps on the disks and the staged ones. */
  listApps(): Promise<AppInfo[]>;
  /** Store the guest's writes now (best effort when the page goes away). */
  flush(): Promise<void>;
}
