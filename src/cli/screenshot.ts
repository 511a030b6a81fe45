/**
 * Screenshots for odtab boot (--screenshot, and the --keys script's shot: steps): the guest's
 * screen as the host would show it now, written as an RGB PNG. QEMU's screendump does the same
 * with PPM/PNG.
 */
import { statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Machine } from '../emu/machine';
import { UsageError } from './args';
import { hostReason } from './disk-image';
import { encodePng } from './png';

export interface ScreenshotResult {
  width: number;
  height: number;
  /** No video mode (never set, or blanked): the file is a black picture. */
  blank: boolean;
}

/**
 * Bring the picture up to date and write it to `path`. A screen showing nothing gives a black
 * picture of the last mode's size (640x480, VGA's, before the guest set any). Throws with the
 * host's reason when the file cannot be written.
 */
export function writeScreenshot(machine: Machine, path: string): ScreenshotResult {
  const frame = machine.refreshDisplay();
  const png = encodePng(frame);
  writeFileSync(path, png);
  return { width: frame.width, height: frame.height, blank: frame.mode === null };
}

/** Refuse, before booting, a screenshot path that cannot be written (no such folder, a folder). */
export function checkScreenshotPath(path: string, what: string): void {
  if (path === '') throw new UsageError(`${what}: needs a file name`);
  const dir = dirname(resolve(path));
  try {
    if (!statSync(dir).isDirectory()) throw new UsageError(`${what}: cannot write '${path}': '${dir}' is not a folder`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${what}: cannot write '${path}': folder '${dir}': ${hostReason(e)}`);
  }
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`${what}: '${path}' is a folder, not a file name`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // Not there yet: fine.
  }
}
