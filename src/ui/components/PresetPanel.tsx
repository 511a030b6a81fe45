import { useState } from 'react';
import { BUILTIN_PRESETS, encodePresetUrl } from '../../preset';
import { currentPreset, loadList, shareLink } from '../state/page-preset';
import { useMachine } from '../state/machine-store';

/** The preset: what was loaded from where, the built-in presets, and Share (link + what cannot travel). */
export function PresetPanel({ guestUrl }: { guestUrl: string }) {
  const preset = useMachine((v) => v.preset);
  const apps = useMachine((v) => v.apps);
  const [share, setShare] = useState<{ url: string; left: string[]; copied: boolean } | null>(null);
  const items = loadList(preset, guestUrl, location.href);
  const builtinId = BUILTIN_PRESETS.find((b) => JSON.stringify(b.preset) === JSON.stringify(preset))?.id ?? '';

  const onShare = async () => {
    const link = shareLink(currentPreset(preset, apps), location.href);
    let copied = false;
    try {
      await navigator.clipboard.writeText(link.url);
      copied = true;
    } catch {
      // No clipboard permission (an insecure page, a denied prompt): the link is shown to copy by hand.
    }
    setShare({ ...link, copied });
  };

  return (
    <details className="preset" data-testid="preset">
      <summary>
        Preset: <strong data-testid="preset-name">{preset.name ?? 'custom'}</strong>
      </summary>
      <ul className="preset-files" data-testid="preset-files">
        {items.map((it, i) => (
          <li key={i}>
            {it.what} <small>from {it.from}</small>
          </li>
        ))}
      </ul>
      <label>
        Built-in presets:{' '}
        <select
          value={builtinId}
          onChange={(e) => {
            const b = BUILTIN_PRESETS.find((x) => x.id === e.currentTarget.value);
            if (b) location.assign(encodePresetUrl(b.preset, location.href));
          }}
        >
          {builtinId === '' && <option value="">(this link's preset)</option>}
          {BUILTIN_PRESETS.map((b) => (
            <option key={b.id} value={b.id} title={b.description}>
              {b.preset.name}
            </option>
          ))}
        </select>
      </label>{' '}
      <button type="button" onClick={() => void onShare()}>
        Share
      </button>
      {share && (
        <div className="share" data-testid="share">
          <input readOnly value={share.url} data-testid="share-link" size={60} onFocus={(e) => e.currentTarget.select()} />
          <span>{share.copied ? 'Copied.' : 'Copy the link above.'}</span>
          {share.left.length > 0 && (
            <span className="share-left" data-testid="share-left">
              Files only on this computer cannot travel in a link, not included: {share.left.join(', ')}
            </span>
          )}
        </div>
      )}
    </details>
  );
}
