import { useEffect } from 'react';
import type { Emulator } from '../services/emulator';
import { pickedFiles, watchDrops } from '../services/drops';
import { useMachine } from '../state/machine-store';
import { formatBytes } from '../state/format';

/** Drops anywhere on the page, a file picker, what was recognised, and what waits for a restart. */
export function DropPanel({ emulator }: { emulator: Emulator }) {
  const staged = useMachine((v) => v.staged);
  const notes = useMachine((v) => v.dropNotes);
  const dragging = useMachine((v) => v.dragging);
  const phase = useMachine((v) => v.phase);

  useEffect(
    () =>
      watchDrops(
        (files) => void emulator.drop(files),
        (on) => useMachine.setState({ dragging: on }),
      ),
    [emulator],
  );

  return (
    <div className="drops" data-testid="drops">
      {dragging && <div className="drop-overlay">Drop a kernel, rootfs.bin, .opk, .dge, .img or a local/ folder</div>}
      <label className="pick">
        Add files…
        <input
          type="file"
          multiple
          hidden
          onChange={(e) => {
            const list = e.currentTarget.files;
            if (list) void pickedFiles(list).then((f) => emulator.drop(f));
            e.currentTarget.value = '';
          }}
        />
      </label>
      {notes.length > 0 && (
        <ul className="drop-notes" data-testid="drop-notes">
          {notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
      {staged.length > 0 && (
        <div className="staged" data-testid="staged">
          <span>
            Waiting for the next boot: {staged.map((s) => `${s.name} (${formatBytes(s.size)})`).join(', ')}
          </span>
          <button type="button" disabled={phase === 'downloading' || phase === 'error'} onClick={() => void emulator.restart()}>
            {phase === 'running' ? 'Restart to apply' : 'Power on to apply'}
          </button>
        </div>
      )}
    </div>
  );
}
