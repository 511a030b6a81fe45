import { create } from 'zustand';
import { DEFAULT_PRESET, type Preset } from '../../preset';
import type { AppInfo, DownloadProgress, MachineStatus, StagedDrop } from '../worker/protocol';

/** What the page shows about the machine; the services write it, components read it. */
export interface MachineView {
  /** downloading the guest, then running or off; error when it cannot go on. */
  phase: 'downloading' | 'running' | 'off' | 'error';
  progress: DownloadProgress | null;
  status: MachineStatus | null;
  /** The last failure worth telling, one line. */
  message: string | null;
  /** How the framebuffer reaches the page. */
  transport: 'shared' | 'transfer';
  /** Guest screen size in pixels (0 until the guest sets a mode). */
  screen: { width: number; height: number };
  /** The disk moved since the previous status report. */
  diskBusy: boolean;
  /** Dropped files waiting for the next boot. */
  staged: StagedDrop[];
  /** What the last drop recognised and refused, one line each. */
  dropNotes: string[];
  /** Files are being dragged over the page. */
  dragging: boolean;
  /** Reading and handing over dropped or picked files, while it lasts. */
  dropProgress: { file: string; loaded: number; total: number } | null;
  /** The apps on the disks and the staged ones (the app library). */
  apps: AppInfo[];
  /** The preset this page boots (from its link, or the default). */
  preset: Preset;
}

export const useMachine = create<MachineView>(() => ({
  phase: 'downloading',
  progress: null,
  status: null,
  message: null,
  transport: 'transfer',
  screen: { width: 0, height: 0 },
  diskBusy: false,
  staged: [],
  dropNotes: [],
  dragging: false,
  dropProgress: null,
  apps: [],
  preset: DEFAULT_PRESET,
}));

/** A status report from the worker, folded into the view. */
export function applyStatus(s: MachineStatus): void {
  useMachine.setState((v) => {
    const before = v.status;
    const diskBusy =
      !!before && before.boots === s.boots && (s.diskReads !== before.diskReads || s.diskWrites !== before.diskWrites);
    const phase = s.power === 'running' ? 'running' : s.power === 'off' ? 'off' : v.phase;
    // A boot applied the staged drops.
    const staged = s.staged === 0 ? [] : v.staged;
    return { status: s, diskBusy, staged, phase: v.phase === 'error' ? 'error' : phase };
  });
}
