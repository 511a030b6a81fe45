import type { Emulator } from '../services/emulator';
import { useMachine } from '../state/machine-store';
import { formatUptime } from '../state/format';

/** Power state, guest MIPS, uptime, disk light; power off, reset, restart. */
export function StatusBar({ emulator }: { emulator: Emulator }) {
  const phase = useMachine((v) => v.phase);
  const status = useMachine((v) => v.status);
  const diskBusy = useMachine((v) => v.diskBusy);
  const transport = useMachine((v) => v.transport);
  const running = phase === 'running';
  return (
    <div className="status" data-testid="status">
      <span className={`power power-${phase}`} data-testid="power">
        {phase === 'downloading' ? 'loading' : phase}
      </span>
      <span title="Guest instructions per second">{status ? status.mips.toFixed(0) : '–'} MIPS</span>
      <span title="Guest uptime" data-testid="uptime">
        up {formatUptime(status?.uptime ?? 0)}
      </span>
      <span className={`disk ${diskBusy ? 'disk-busy' : ''}`} title="Disk activity"
        data-testid="disk"
        data-writes={status?.diskWrites ?? 0}
        data-unsaved={status?.unsaved ?? 0}
        data-store={status?.diskStore}
      >
        {status && status.unsaved > 0 ? 'disk (saving…)' : 'disk'}
      </span>
      {status?.diskStore === 'tab' && (
        <span className="disk-tab" data-testid="disk-tab" title="The browser gives this page no IndexedDB: a reload starts over. Export keeps the disks.">
          disks not saved
        </span>
      )}
      <span className="transport" title="How the screen reaches the page" data-testid="transport">
        {transport === 'shared' ? 'shared screen' : 'copied frames'}
      </span>
      <span className="actions">
        <button type="button" disabled={!running} onClick={() => void emulator.powerOff()}>
          Power off
        </button>
        <button type="button" disabled={!running} onClick={() => emulator.reset()}>
          Reset
        </button>
        <button type="button" disabled={phase === 'downloading' || phase === 'error'} onClick={() => void emulator.restart()}>
          {running ? 'Restart' : 'Power on'}
        </button>
      </span>
    </div>
  );
}
