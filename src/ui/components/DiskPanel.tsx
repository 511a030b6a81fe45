import type { Emulator } from '../services/emulator';
import { handOver, pickedFiles, showReadProgress } from '../services/drops';
import { useMachine } from '../state/machine-store';

/** The stored disks: export as .img, import an .img (applied at the next boot), reset to the built-in guest. */
export function DiskPanel({ emulator }: { emulator: Emulator }) {
  const phase = useMachine((v) => v.phase);
  const busy = phase === 'downloading';
  return (
    <div className="disks" data-testid="disks">
      <span title="The disks are kept in this browser (IndexedDB); a reload boots them with the guest's writes">Disks:</span>
      <button type="button" disabled={busy} onClick={() => void emulator.exportDisk('boot')}>
        Export boot .img
      </button>
      <button type="button" disabled={busy} onClick={() => void emulator.exportDisk('apps')}>
        Export apps .img
      </button>
      <label className="pick">
        Import .img…
        <input
          type="file"
          accept=".img,application/octet-stream"
          hidden
          data-testid="import-img"
          onChange={(e) => {
            const list = e.currentTarget.files;
            if (list) void pickedFiles(list, showReadProgress).then((f) => handOver(emulator, f));
            e.currentTarget.value = '';
          }}
        />
      </label>
      <button type="button" disabled={busy} data-testid="reset-disks" onClick={() => void emulator.resetDisks()}>
        Reset disks
      </button>
    </div>
  );
}
