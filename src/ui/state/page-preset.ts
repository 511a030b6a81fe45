import { DEFAULT_PRESET, type Preset, decodePresetFragment, encodePresetUrl, hasPresetFragment, presetFiles, shareable } from '../../preset';
import type { AppInfo } from '../worker/protocol';

/** The preset a page URL carries; a bad one says why and the default guest boots instead. */
export function presetOfPage(href: string): { preset: Preset; error?: string } {
  if (!hasPresetFragment(href)) return { preset: DEFAULT_PRESET };
  try {
    return { preset: decodePresetFragment(href) };
  } catch (e) {
    return { preset: DEFAULT_PRESET, error: `${(e as Error).message}: booting the default guest instead` };
  }
}

/**
 * The setup as it is now, as a preset: the one booted plus the .opk apps dropped on this page
 * (as `local:NAME`, files of this browser; staged ones too).
 */
export function currentPreset(booted: Preset, apps: AppInfo[]): Preset {
  const names = new Set((booted.apps ?? []).map((a) => a.split(/[?#]/)[0]!.split('/').pop()!.toLowerCase()));
  const dropped = apps.filter((a) => !names.has(a.file.toLowerCase()) && a.kind === 'opk').map((a) => `local:${a.file}`);
  const all = [...(booted.apps ?? []), ...dropped];
  return all.length ? { ...booted, apps: all } : { ...booted };
}

/** The share link of a setup, and the files it cannot carry. */
export function shareLink(p: Preset, pageHref: string): { url: string; left: string[] } {
  const { preset, left } = shareable(p);
  return { url: encodePresetUrl(preset, pageHref), left: left.map((l) => `${l.name} (${l.field})`) };
}

/** What a preset loads and from where, one line each, for the preset panel. */
export function loadList(p: Preset, guestUrl: string, pageHref: string): { what: string; from: string }[] {
  const out: { what: string; from: string }[] = [];
  const guest = p.builtin ?? (p.kernel ? undefined : 'odtab');
  const has = new Set(presetFiles(p).map((f) => f.field));
  if (guest || !has.has('rootfs')) out.push({ what: `built-in guest '${guest ?? 'odtab'}'${has.has('kernel') || has.has('rootfs') ? ' (the rest of it)' : ''}`, from: guestUrl });
  for (const f of presetFiles(p)) {
    out.push({ what: `${f.field === 'apps' ? 'app' : f.field} ${f.name}`, from: f.local ? "this browser's disks" : new URL(f.ref, pageHref).href });
  }
  const settings = [p.append && `command line + "${p.append}"`, p.mem && `${p.mem} MiB RAM`, p.cpu && `CPU ${p.cpu}`, p.start && `starts ${p.start}`].filter(Boolean);
  if (settings.length) out.push({ what: settings.join(', '), from: 'the link' });
  return out;
}
