/**
 * The preset: a machine's setup in a form that travels (a link, a JSON file, the CLI's
 * --preset). The web app and the CLI read the same format. No DOM and no Node APIs.
 *
 * File references are URLs: http(s) absolute, or relative (to the page for a link, to the file
 * or URL the preset came from for the CLI). `local:NAME` names a file the user dropped into this
 * browser: it works on this computer and cannot be shared (see localEntries/shareable).
 */

export const PRESET_VERSION = 1;
export const BUILTIN_GUESTS = ['odtab', 'debian'] as const;
export type BuiltinGuest = (typeof BUILTIN_GUESTS)[number];
export const CPU_MODELS = ['24Kf', '4KEc'] as const;
export type CpuModel = (typeof CPU_MODELS)[number];

export interface Preset {
  version: 1;
  /** Shown to the user ("Snake on odtab"). */
  name?: string;
  /**
   * Start from a built-in guest's files (its kernel, command line, rootfs.bin and local/);
   * the fields below replace or add to them. Without it, `kernel` is required.
   */
  builtin?: BuiltinGuest;
  /** Kernel ELF (vmlinux, or .gz). */
  kernel?: string;
  initrd?: string;
  /** squashfs root file system, stored on the boot disk as rootfs.bin. */
  rootfs?: string;
  /** .opk packages (to apps/ of the apps disk) and .dge programs (to local/apps/ of the boot disk). */
  apps?: string[];
  /** A disk image (.img) attached as the second disk; .opk apps are added to its apps/. */
  disk?: string;
  /** Kernel command line: added after the built-in guest's, or the whole line with `kernel`. */
  append?: string;
  /** RAM in MiB. */
  mem?: number;
  cpu?: CpuModel;
  /** The app to start once booted: a file name from `apps` (or in the built-in local/apps). */
  start?: string;
}

/** Limits on what a preset may hold (a link must stay a link, and a value must stay sane). */
export const LIMITS = {
  urlLength: 2048,
  apps: 32,
  appendLength: 1024,
  nameLength: 120,
  memMin: 16,
  memMax: 2048,
  /** Longest encoded link fragment we accept. */
  encodedLength: 16384,
} as const;

export class PresetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PresetError';
  }
}

const FIELDS = ['version', 'name', 'builtin', 'kernel', 'initrd', 'rootfs', 'apps', 'disk', 'append', 'mem', 'cpu', 'start'];
const FILE_FIELDS = ['kernel', 'initrd', 'rootfs', 'disk'] as const;
export type FileField = (typeof FILE_FIELDS)[number] | 'apps';

/** The kind of file reference: shared over the network, or only in this browser. */
export function refKind(ref: string): 'url' | 'local' {
  return ref.startsWith('local:') ? 'local' : 'url';
}

/** The file name a reference ends in (for messages and for placing apps on the disks). */
export function refName(ref: string): string {
  if (ref.startsWith('local:')) return ref.slice(6);
  const path = ref.split(/[?#]/)[0];
  const name = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/** Checks one file reference; returns the reason it is refused, or undefined. */
export function checkRef(ref: unknown, what: string): string | undefined {
  if (typeof ref !== 'string' || !ref) return `${what} must be a URL or a file name`;
  if (ref.length > LIMITS.urlLength) return `${what} is longer than ${LIMITS.urlLength} characters`;
  if (/[\u0000-\u001f\u007f]/.test(ref)) return `${what} contains control characters`;
  if (ref.startsWith('local:')) {
    const name = ref.slice(6);
    if (!name || name.includes('/') || name.includes('\\') || name === '.' || name === '..') return `${what}: '${ref}' is not a plain file name`;
    return undefined;
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(ref);
  if (scheme) {
    const s = scheme[1].toLowerCase();
    if (s !== 'http' && s !== 'https') return `${what}: only http(s) and relative URLs are allowed, not ${s}:`;
    if (!/^https?:\/\/[^/?#\s]+/i.test(ref)) return `${what}: '${ref}' has no host`;
    return undefined;
  }
  if (ref.startsWith('//')) return `${what}: protocol-relative URLs are not allowed (write https://)`;
  if (/\s/.test(ref)) return `${what}: spaces must be escaped in a URL (%20)`;
  return undefined;
}

/**
 * Checks an untrusted object (parsed JSON, a decoded link) and returns it as a Preset. Every
 * problem is reported, in one PresetError whose message lists them ("; "-separated).
 */
export function validatePreset(input: unknown): Preset {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new PresetError('a preset must be a JSON object');
  const o = input as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of Object.keys(o)) if (!FIELDS.includes(k)) problems.push(`unknown field '${k}'`);
  if (o.version !== undefined && o.version !== PRESET_VERSION) {
    throw new PresetError(`preset version ${JSON.stringify(o.version)} is not supported (this odtab reads version ${PRESET_VERSION})`);
  }
  const p: Preset = { version: 1 };
  if (o.name !== undefined) {
    if (typeof o.name !== 'string' || o.name.length > LIMITS.nameLength) problems.push(`name must be text of at most ${LIMITS.nameLength} characters`);
    else p.name = o.name;
  }
  if (o.builtin !== undefined) {
    if (!BUILTIN_GUESTS.includes(o.builtin as BuiltinGuest)) problems.push(`builtin must be ${BUILTIN_GUESTS.join(' or ')}, not ${JSON.stringify(o.builtin)}`);
    else p.builtin = o.builtin as BuiltinGuest;
  }
  for (const f of FILE_FIELDS) {
    if (o[f] === undefined) continue;
    const bad = checkRef(o[f], f);
    if (bad) problems.push(bad);
    else p[f] = o[f] as string;
  }
  if (o.apps !== undefined) {
    if (!Array.isArray(o.apps)) problems.push('apps must be a list');
    else if (o.apps.length > LIMITS.apps) problems.push(`at most ${LIMITS.apps} apps, not ${o.apps.length}`);
    else {
      const apps: string[] = [];
      o.apps.forEach((a, i) => {
        const bad = checkRef(a, `apps[${i}]`);
        if (bad) return problems.push(bad);
        const name = refName(a as string).toLowerCase();
        if (!name.endsWith('.opk') && !name.endsWith('.dge')) return problems.push(`apps[${i}]: '${refName(a as string)}' is neither an .opk nor a .dge`);
        apps.push(a as string);
      });
      const names = apps.map((a) => refName(a).toLowerCase());
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      if (dup) problems.push(`two apps are named '${dup}'`);
      p.apps = apps;
    }
  }
  if (o.append !== undefined) {
    if (typeof o.append !== 'string' || o.append.length > LIMITS.appendLength || /[\u0000-\u001f]/.test(o.append)) {
      problems.push(`append must be one line of at most ${LIMITS.appendLength} characters`);
    } else p.append = o.append;
  }
  if (o.mem !== undefined) {
    if (!Number.isInteger(o.mem) || (o.mem as number) < LIMITS.memMin || (o.mem as number) > LIMITS.memMax) {
      problems.push(`mem must be a whole number of MiB from ${LIMITS.memMin} to ${LIMITS.memMax}, not ${JSON.stringify(o.mem)}`);
    } else p.mem = o.mem as number;
  }
  if (o.cpu !== undefined) {
    const cpu = CPU_MODELS.find((c) => typeof o.cpu === 'string' && c.toLowerCase() === o.cpu.toLowerCase());
    if (!cpu) problems.push(`cpu must be 24Kf or 4KEc, not ${JSON.stringify(o.cpu)}`);
    else p.cpu = cpu;
  }
  if (o.start !== undefined) {
    if (typeof o.start !== 'string' || !o.start || o.start.length > 255 || /[/\u0000-\u001f]/.test(o.start)) problems.push('start must be an app file name');
    else p.start = o.start;
  }
  if (!p.builtin && !p.kernel && !problems.length) problems.push('a preset needs a kernel or a builtin guest');
  if (problems.length) throw new PresetError(`bad preset: ${problems.join('; ')}`);
  return p;
}

/** The file references that only exist on this computer (dropped files): a link cannot carry them. */
export function localEntries(p: Preset): { field: FileField; ref: string; name: string }[] {
  const out: { field: FileField; ref: string; name: string }[] = [];
  for (const f of FILE_FIELDS) if (p[f] && refKind(p[f]!) === 'local') out.push({ field: f, ref: p[f]!, name: refName(p[f]!) });
  for (const a of p.apps ?? []) if (refKind(a) === 'local') out.push({ field: 'apps', ref: a, name: refName(a) });
  return out;
}

/** The preset without its local files (what a share link can carry) and the list of what was left out. */
export function shareable(p: Preset): { preset: Preset; left: { field: FileField; name: string }[] } {
  const left = localEntries(p).map(({ field, name }) => ({ field, name }));
  const q: Preset = { ...p };
  for (const f of FILE_FIELDS) if (q[f] && refKind(q[f]!) === 'local') delete q[f];
  if (q.apps) q.apps = q.apps.filter((a) => refKind(a) === 'url');
  if (q.apps && !q.apps.length) delete q.apps;
  return { preset: q, left };
}

/** Every file a preset loads, in load order, with what it is for (for "what will be loaded from where"). */
export function presetFiles(p: Preset): { field: FileField; ref: string; name: string; local: boolean }[] {
  const out: { field: FileField; ref: string; name: string; local: boolean }[] = [];
  const add = (field: FileField, ref: string) => out.push({ field, ref, name: refName(ref), local: refKind(ref) === 'local' });
  for (const f of FILE_FIELDS) if (p[f]) add(f, p[f]!);
  for (const a of p.apps ?? []) add('apps', a);
  return out;
}
