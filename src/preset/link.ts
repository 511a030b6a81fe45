import { LIMITS, type Preset, PresetError, localEntries, validatePreset } from './preset';

/**
 * Presets in links. The preset rides in the URL's fragment (never sent to the server, so a
 * static host serves the same page for every preset), as readable short keys:
 *   #v=1&g=odtab&k=URL&i=URL&r=URL&a=URL&a=URL&d=URL&c=APPEND&m=MIB&cpu=4KEc&s=APP&n=NAME
 * `v` comes first and is required: a later format changes it, and an old odtab says so.
 */

const KEYS: [keyof Preset, string][] = [
  ['name', 'n'],
  ['builtin', 'g'],
  ['kernel', 'k'],
  ['initrd', 'i'],
  ['rootfs', 'r'],
  ['disk', 'd'],
  ['append', 'c'],
  ['mem', 'm'],
  ['cpu', 'cpu'],
  ['start', 's'],
];

/** The fragment (without '#') for a preset. Refuses presets with local files: see shareable(). */
export function encodePresetFragment(p: Preset): string {
  const local = localEntries(p);
  if (local.length) {
    throw new PresetError(`files on this computer cannot travel in a link: ${local.map((l) => l.name).join(', ')}`);
  }
  const q = new URLSearchParams();
  q.set('v', String(p.version));
  for (const [field, key] of KEYS) if (p[field] !== undefined) q.set(key, String(p[field]));
  for (const a of p.apps ?? []) q.append('a', a);
  // URLSearchParams writes spaces as '+'; %20 survives every copy-paste path.
  return q.toString().replace(/\+/g, '%20');
}

/** A full link: `base` (the app's page) with the preset as its fragment. */
export function encodePresetUrl(p: Preset, base: string): string {
  return `${base.split('#')[0]}#${encodePresetFragment(p)}`;
}

/** Whether a URL or fragment carries a preset (a `v=` key in its fragment). */
export function hasPresetFragment(urlOrFragment: string): boolean {
  const hash = urlOrFragment.includes('#') ? urlOrFragment.slice(urlOrFragment.indexOf('#') + 1) : urlOrFragment;
  return /(^|&)v=/.test(hash);
}

/** Reads the preset in a link (a whole URL, or its fragment with or without '#'), validated. */
export function decodePresetFragment(urlOrFragment: string): Preset {
  const hash = urlOrFragment.includes('#') ? urlOrFragment.slice(urlOrFragment.indexOf('#') + 1) : urlOrFragment;
  if (hash.length > LIMITS.encodedLength) throw new PresetError(`preset link is longer than ${LIMITS.encodedLength} characters`);
  let q: URLSearchParams;
  try {
    q = new URLSearchParams(hash);
  } catch {
    throw new PresetError('preset link cannot be read');
  }
  const v = q.get('v');
  if (v === null) throw new PresetError('the link carries no preset (no v= in its #fragment)');
  if (v !== '1') throw new PresetError(`preset version ${v} is not supported (this odtab reads version 1)`);
  const obj: Record<string, unknown> = { version: 1 };
  const known = new Set(['v', 'a', ...KEYS.map(([, k]) => k)]);
  const unknown = [...new Set([...q.keys()].filter((k) => !known.has(k)))];
  if (unknown.length) throw new PresetError(`bad preset: unknown link key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}`);
  for (const [field, key] of KEYS) {
    const all = q.getAll(key);
    if (all.length > 1) throw new PresetError(`bad preset: '${key}' is given ${all.length} times`);
    if (all.length) obj[field] = field === 'mem' ? (/^\d+$/.test(all[0]) ? Number(all[0]) : all[0]) : all[0];
  }
  const apps = q.getAll('a');
  if (apps.length) obj.apps = apps;
  return validatePreset(obj);
}
