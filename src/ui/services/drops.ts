import type { DroppedFile } from '../worker/protocol';
import type { Emulator } from './emulator';
import { useMachine } from '../state/machine-store';

/**
 * Files from a drop anywhere on the page (folders walked, each file with its path inside the
 * dropped folder) or from a file picker.
 */
/** How far reading a drop's files has got (bytes over all its files). */
export interface ReadProgress {
  file: string;
  loaded: number;
  total: number;
}

export function watchDrops(
  onFiles: (files: DroppedFile[]) => void,
  onDragging: (on: boolean) => void,
  onProgress?: (p: ReadProgress) => void,
): () => void {
  let depth = 0;
  const hasFiles = (e: DragEvent) => !!e.dataTransfer && Array.from(e.dataTransfer.types).includes('Files');
  const enter = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    if (depth++ === 0) onDragging(true);
  };
  const over = (e: DragEvent) => {
    if (hasFiles(e)) e.preventDefault();
  };
  const leave = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    if (--depth <= 0) {
      depth = 0;
      onDragging(false);
    }
  };
  const drop = (e: DragEvent) => {
    if (!e.dataTransfer) return;
    e.preventDefault();
    depth = 0;
    onDragging(false);
    void filesOf(e.dataTransfer)
      .then((found) => readAll(found, onProgress))
      .then(onFiles);
  };
  window.addEventListener('dragenter', enter);
  window.addEventListener('dragover', over);
  window.addEventListener('dragleave', leave);
  window.addEventListener('drop', drop);
  return () => {
    window.removeEventListener('dragenter', enter);
    window.removeEventListener('dragover', over);
    window.removeEventListener('dragleave', leave);
    window.removeEventListener('drop', drop);
  };
}

/** Files picked with an <input type=file> (webkitdirectory gives folder paths). */
export async function pickedFiles(list: FileList, onProgress?: (p: ReadProgress) => void): Promise<DroppedFile[]> {
  return readAll(
    Array.from(list).map((file) => ({ file, relativePath: file.webkitRelativePath || undefined })),
    onProgress,
  );
}

interface FoundFile {
  file: File;
  relativePath?: string;
}

async function filesOf(dt: DataTransfer): Promise<FoundFile[]> {
  const entries = Array.from(dt.items).map((i) => i.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return Array.from(dt.files).map((file) => ({ file }));
  const out: FoundFile[] = [];
  for (const entry of entries) await walk(entry, out);
  return out;
}

/**
 * Read the files, reporting bytes read over all of them: a rootfs or a disk image can be hundreds
 * of MiB, and the page should show it is working on it.
 */
async function readAll(found: FoundFile[], onProgress?: (p: ReadProgress) => void): Promise<DroppedFile[]> {
  const total = found.reduce((n, f) => n + f.file.size, 0);
  let before = 0;
  const out: DroppedFile[] = [];
  for (const { file, relativePath } of found) {
    const data = await readFile(file, (loaded) => onProgress?.({ file: file.name, loaded: before + loaded, total }));
    before += file.size;
    out.push({ name: file.name, data, relativePath });
  }
  if (found.length > 0) onProgress?.({ file: found[found.length - 1].file.name, loaded: total, total });
  return out;
}

async function readFile(file: File, onLoaded: (loaded: number) => void): Promise<Uint8Array> {
  if (typeof file.stream !== 'function') return new Uint8Array(await file.arrayBuffer());
  const data = new Uint8Array(file.size);
  const reader = file.stream().getReader();
  let at = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.length > data.length) {
      // The file grew while it was read: take it whole as it is now.
      await reader.cancel();
      return new Uint8Array(await file.arrayBuffer());
    }
    data.set(value, at);
    at += value.length;
    onLoaded(at);
  }
  return at === data.length ? data : data.slice(0, at);
}

async function walk(entry: FileSystemEntry, out: FoundFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    const path = entry.fullPath.replace(/^\//, '');
    out.push({ file, relativePath: path.includes('/') ? path : undefined });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    for (const e of batch) await walk(e, out);
  }
}

/** Shows reading progress in the view while files are read, then hands them to the machine. */
export const showReadProgress = (p: ReadProgress): void => useMachine.setState({ dropProgress: p });

export async function handOver(emulator: Emulator, files: DroppedFile[]): Promise<void> {
  try {
    await emulator.drop(files);
  } finally {
    useMachine.setState({ dropProgress: null });
  }
}
