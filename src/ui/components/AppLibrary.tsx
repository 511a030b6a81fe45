import { useEffect, useState } from 'react';
import type { Emulator } from '../services/emulator';
import { useMachine } from '../state/machine-store';
import type { AppInfo } from '../worker/protocol';

/** The apps on the disks: icon, name, comment, warnings, and a Launch button. */
export function AppLibrary({ emulator }: { emulator: Emulator }) {
  const apps = useMachine((v) => v.apps);
  const phase = useMachine((v) => v.phase);
  return (
    <section className="apps" data-testid="apps">
      <h2>
        Apps <button type="button" onClick={() => void emulator.refreshApps()}>Refresh</button>
      </h2>
      {apps.length === 0 && <p className="hint">No apps yet: drop an .opk or a .dge on the page.</p>}
      <ul>
        {apps.map((app) => (
          <AppRow key={`${app.kind}:${app.file}`} app={app} canLaunch={phase === 'running' && !app.pending} onLaunch={() => emulator.launch(app)} />
        ))}
      </ul>
    </section>
  );
}

function AppRow({ app, canLaunch, onLaunch }: { app: AppInfo; canLaunch: boolean; onLaunch: () => void }) {
  const icon = useIconUrl(app.iconPng);
  return (
    <li className="app-row" data-testid="app" data-file={app.file}>
      {icon ? <img className="app-icon" src={icon} alt="" width={32} height={32} data-testid="app-icon" /> : <span className="app-icon" />}
      <span className="app-text">
        <strong>{app.name}</strong> <small>{app.kind === 'opk' ? `apps/${app.file}` : `local/apps/${app.file}`}</small>
        {app.comment && <span className="app-comment">{app.comment}</span>}
        {app.warning && (
          <span className="app-warning" data-testid="app-warning">
            ⚠ {app.warning}
          </span>
        )}
        {app.pending && <span className="app-pending">arrives at the next boot</span>}
      </span>
      <button type="button" disabled={!canLaunch || (app.kind === 'opk' && !app.exec)} onClick={onLaunch}>
        Launch
      </button>
    </li>
  );
}

/** An object URL for the icon's PNG, revoked when the icon goes. */
function useIconUrl(png: Uint8Array | undefined): string | undefined {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    if (!png) return setUrl(undefined);
    const u = URL.createObjectURL(new Blob([png as BlobPart], { type: 'image/png' }));
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [png]);
  return url;
}
