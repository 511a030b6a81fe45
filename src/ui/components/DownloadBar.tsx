import { useMachine } from '../state/machine-store';
import { formatBytes } from '../state/format';

/** The guest images' download, while it lasts. */
export function DownloadBar() {
  const phase = useMachine((v) => v.phase);
  const p = useMachine((v) => v.progress);
  if (phase !== 'downloading') return null;
  const total = p?.total ?? 0;
  return (
    <div className="download" data-testid="download">
      <progress max={total || 1} value={p?.loaded ?? 0} />
      <span>
        {p ? `${p.file}: ${formatBytes(p.loaded)}${total ? ` of ${formatBytes(total)}` : ''}` : 'Downloading the guest…'}
      </span>
    </div>
  );
}
