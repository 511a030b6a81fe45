import { useEffect } from 'react';
import type { Emulator } from '../services/emulator';
import { handOver, pickedFiles, showReadProgress, watchDrops } from '../services/drops';
import { useMachine } from '../state/machine-store';
import { formatBytes } from '../state/format';

/** Drops anywhere on the page, a file picker, what was recognised, and what waits for a restart. */
export function DropPanel({ emulator }: { emulator: Emulator }) {
  const staged = useMachine((v) => v.staged);
  const notes = useMachine((v) => v.dropNotes);
  const dragging = useMachine((v) => v.dragging);
  const phase = useMachine((v) => v.phase);
  const reading = useMachine((v) => v.dropProgress);

  useEffect(
    () =>
      watchDrops(
        (files) => void handOver(emulator, files),
        (on) => useMachine.setState({ dragging: on }),
        showReadProgress,
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
            if (list) void pickedFiles(list, showReadProgress).then((f) => handOver(emulator, f));
            e.currentTarget.value = '';
          }}
        />
      </label>
      {reading && (
        <div className="drop-progress" data-testid="drop-progress">
          <progress max={reading.total || 1} value={reading.loaded} />
          <span>
            {reading.loaded < reading.total
              ? `Reading ${reading.file}: ${formatBytes(reading.loaded)} of ${formatBytes(reading.total)}`
              : 'Handing the files to the machine…'}
          </span>
        </div>
      )}
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
