import { type ByteSource, Squashfs, SquashfsError } from './squashfs';

/**
 * OpenDingux .opk packages: a squashfs image whose root holds `*.desktop` files (one per platform
 * it supports, `default.gcw0.desktop`, `foo.all.desktop`, ...), the icons they name (`Icon=x` is
 * `x.png` in the root) and the app. This reads what a launcher shows, and says whether our
 * guest's launcher would list the app, so the UI can warn about packages for other devices.
 */

/** Platforms the built-in guest's launcher accepts, as gmenu2x on a GCW Zero does. */
export const DEFAULT_PLATFORMS = ['gcw0', 'all'];
/** Desktop files and icons are small; larger ones mean a damaged or hostile package. */
const MAX_DESKTOP_BYTES = 64 * 1024;
const MAX_ICON_BYTES = 1024 * 1024;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export interface OpkEntry {
  /** The desktop file's name in the package root. */
  file: string;
  /** `gcw0` for default.gcw0.desktop, `all` for *.all.desktop; undefined for a bare name.desktop. */
  platform?: string;
  name: string;
  comment: string;
  exec: string;
  /** Icon name as written (without .png). */
  icon: string;
  terminal: boolean;
  type: string;
  /** Categories in order; the first is the launcher section. */
  categories: string[];
  /** X-OD-* keys (X-OD-Manual, X-OD-NeedsDownscaling, ...) and any other keys of the group. */
  extra: Record<string, string>;
  /** The icon's PNG bytes when the package has it. */
  iconPng?: Uint8Array;
  /** What is wrong with this entry (missing Name or Exec, icon missing or not a PNG). */
  problems: string[];
}

export interface OpkInfo {
  entries: OpkEntry[];
  /** Every platform the package carries metadata for. */
  platforms: string[];
  /** The entries our launcher lists (platform in `platforms` of readOpk). */
  usable: OpkEntry[];
  /** True when at least one entry is usable. */
  ok: boolean;
  /** One line for the UI: what the launcher will show, or why it will not show the app. */
  verdict: string;
  compressor: string;
}

export class OpkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpkError';
  }
}

/**
 * Reads an .opk's metadata. `platforms` are the ones our launcher accepts (default gcw0 and all).
 * Throws OpkError when the file is not a readable squashfs image.
 */
export async function readOpk(
  input: ByteSource | Uint8Array | Blob,
  opts: { platforms?: string[]; name?: string } = {},
): Promise<OpkInfo> {
  const platforms = opts.platforms ?? DEFAULT_PLATFORMS;
  const label = opts.name ?? 'package';
  let fs: Squashfs;
  try {
    fs = await Squashfs.open(input, { maxFileBytes: MAX_ICON_BYTES });
  } catch (e) {
    throw new OpkError(`${label} is not an .opk: ${(e as Error).message}`);
  }
  const entries: OpkEntry[] = [];
  try {
    const root = await fs.readdir('');
    const names = new Set(root.map((e) => e.name));
    for (const file of root.filter((e) => e.name.endsWith('.desktop')).map((e) => e.name)) {
      const node = await fs.stat(file).catch(() => undefined);
      if (!node || node.kind !== 'file') continue;
      if (node.size > MAX_DESKTOP_BYTES) {
        entries.push(emptyEntry(file, [`${file} is ${node.size} bytes, too large for a desktop file`]));
        continue;
      }
      const text = new TextDecoder().decode(await fs.readFile(node));
      const entry = desktopToEntry(file, parseDesktopEntry(text));
      if (entry.icon) {
        const iconFile = `${entry.icon}.png`;
        if (!names.has(iconFile)) entry.problems.push(`icon ${iconFile} is not in the package root`);
        else {
          try {
            const png = await fs.readFile(iconFile);
            if (PNG_SIGNATURE.every((b, i) => png[i] === b)) entry.iconPng = png;
            else entry.problems.push(`icon ${iconFile} is not a PNG`);
          } catch (e) {
            entry.problems.push(`icon ${iconFile} cannot be read: ${(e as Error).message}`);
          }
        }
      }
      entries.push(entry);
    }
  } catch (e) {
    if (e instanceof SquashfsError) throw new OpkError(`${label} is damaged: ${e.message}`);
    throw e;
  }
  const carried = [...new Set(entries.map((e) => e.platform).filter((p): p is string => !!p))];
  const usable = entries.filter((e) => e.platform && platforms.includes(e.platform) && !e.problems.some(isFatal));
  return {
    entries,
    platforms: carried,
    usable,
    ok: usable.length > 0,
    verdict: verdictFor(entries, carried, usable, platforms),
    compressor: fs.superblock.compressor,
  };
}

function isFatal(problem: string): boolean {
  return /no Exec|too large/.test(problem);
}

function verdictFor(entries: OpkEntry[], carried: string[], usable: OpkEntry[], platforms: string[]): string {
  if (usable.length) return `listed as ${usable.map((e) => `"${e.name}"`).join(', ')}`;
  if (!entries.length) return 'no .desktop file in the package root: the launcher will not list it';
  const accepted = platforms.join(' or ');
  if (!carried.length) return `its desktop files name no platform (want name.${platforms[0]}.desktop): the launcher will not list it`;
  const forOthers = carried.filter((p) => !platforms.includes(p));
  if (forOthers.length === carried.length) return `only carries metadata for ${forOthers.join(', ')}, not ${accepted}: the launcher will not list it`;
  return `its ${accepted} desktop file is unusable (${entries.flatMap((e) => e.problems).join('; ')})`;
}

/** The platform in `name.platform.desktop`, or undefined for `name.desktop`. */
export function desktopPlatform(file: string): string | undefined {
  const parts = file.slice(0, -'.desktop'.length).split('.');
  return parts.length >= 2 && parts[parts.length - 1] ? parts[parts.length - 1] : undefined;
}

/**
 * The `[Desktop Entry]` group of a desktop file as key -> value (freedesktop syntax: `#` comments,
 * `Key=Value`, escapes \s \n \t \r \\; localized keys like `Name[fr]` kept under that name).
 */
export function parseDesktopEntry(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let inEntry = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      inEntry = line === '[Desktop Entry]';
      continue;
    }
    if (!inEntry) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!(key in out)) out[key] = unescape(line.slice(eq + 1).trim());
  }
  return out;
}

function unescape(v: string): string {
  return v.replace(/\\([sntr\\])/g, (_, c: string) => ({ s: ' ', n: '\n', t: '\t', r: '\r', '\\': '\\' })[c]!);
}

const KNOWN = new Set(['Name', 'Comment', 'Exec', 'Icon', 'Terminal', 'Type', 'Categories']);

function desktopToEntry(file: string, kv: Record<string, string>): OpkEntry {
  const entry = emptyEntry(file, []);
  entry.name = kv.Name ?? '';
  entry.comment = kv.Comment ?? '';
  entry.exec = kv.Exec ?? '';
  entry.icon = kv.Icon ?? '';
  entry.terminal = (kv.Terminal ?? '').toLowerCase() === 'true';
  entry.type = kv.Type ?? '';
  entry.categories = (kv.Categories ?? '').split(';').map((c) => c.trim()).filter(Boolean);
  for (const [k, v] of Object.entries(kv)) if (!KNOWN.has(k)) entry.extra[k] = v;
  if (!entry.name) {
    entry.problems.push(`${file} has no Name`);
    entry.name = file.split('.')[0];
  }
  if (!entry.exec) entry.problems.push(`${file} has no Exec`);
  return entry;
}

function emptyEntry(file: string, problems: string[]): OpkEntry {
  return {
    file,
    platform: desktopPlatform(file),
    name: '',
    comment: '',
    exec: '',
    icon: '',
    terminal: false,
    type: '',
    categories: [],
    extra: {},
    problems,
  };
}
