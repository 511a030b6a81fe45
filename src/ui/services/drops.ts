import type { DroppedFile } from '../worker/protocol';

/**
 * Files from a drop anywhere on the page (folders walked, each file with its path inside the
 * dropped folder) or from a file picker.
 */
export function watchDrops(onFiles: (files: DroppedFile[]) => void, onDragging: (on: boolean) => void): () => void {
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
    void filesOf(e.dataTransfer).then(onFiles);
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
export async function pickedFiles(list: FileList): Promise<DroppedFile[]> {
  return Promise.all(Array.from(list).map(async (f) => ({ name: f.name, data: new Uint8Array(await f.arrayBuffer()), relativePath: f.webkitRelativePath || undefined })));
}

async function filesOf(dt: DataTransfer): Promise<DroppedFile[]> {
  const entries = Array.from(dt.items).map((i) => i.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return pickedFiles(dt.files);
  const out: DroppedFile[] = [];
  for (const entry of entries) await walk(entry, out);
  return out;
}

async function walk(entry: FileSystemEntry, out: DroppedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    const path = entry.fullPath.replace(/^\//, '');
    out.push({ name: file.name, data: new Uint8Array(await file.arrayBuffer()), relativePath: path.includes('/') ? path : undefined });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    for (const e of batch) await walk(e, out);
  }
}
