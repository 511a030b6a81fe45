import { FatError } from './errors';

/**
 * Names on FAT: the 11-byte short (8.3) name every entry has, the VFAT long name stored in
 * UTF-16 before it, and how one is made from the other.
 */

/** Characters a long name may not hold (besides controls below 0x20). */
const LONG_FORBIDDEN = new Set('"*/:<>?\\|');
/** Characters allowed in a short name besides A-Z and 0-9 (the FAT specification's list). */
const SHORT_SPECIAL = new Set("$%'-_@~`!(){}^#&");
export const MAX_LONG_NAME = 255;

/** Checks a name a user wants to store; throws EINVAL with the reason. */
export function validateLongName(name: string): void {
  if (name === '' || name === '.' || name === '..') throw new FatError('EINVAL', `'${name}' is not a valid file name`);
  if (name.length > MAX_LONG_NAME) {
    throw new FatError('EINVAL', `name '${name.slice(0, 40)}...' is longer than ${MAX_LONG_NAME} characters`);
  }
  for (const ch of name) {
    if (ch.charCodeAt(0) < 0x20 || LONG_FORBIDDEN.has(ch)) {
      const shown = ch.charCodeAt(0) < 0x20 ? `control character 0x${ch.charCodeAt(0).toString(16)}` : `'${ch}'`;
      throw new FatError('EINVAL', `name '${printable(name)}' contains ${shown}, which FAT cannot store`);
    }
  }
  // Windows and Linux drop trailing dots and spaces, so such a name would not read back as given.
  if (/[. ]$/.test(name)) throw new FatError('EINVAL', `name '${name}' ends with a dot or space, which FAT drops`);
}

function printable(s: string): string {
  return s.replace(/[\x00-\x1f]/g, '?');
}

/** Case-insensitive key for comparing names, as FAT lookups are. */
export function nameKey(name: string): string {
  let out = '';
  for (const ch of name) {
    const up = ch.toUpperCase();
    out += up.length === ch.length ? up : ch;
  }
  return out;
}

/** The checksum of an 11-byte short name, stored in each of its long-name entries. */
export function shortNameChecksum(raw: Uint8Array, offset = 0): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = ((((sum & 1) << 7) | (sum >> 1)) + raw[offset + i]) & 0xff;
  return sum;
}

/** Code page 437 for bytes 0x80-0xFF of short names written by DOS-era tools (Linux's default). */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

function decodeShortChar(b: number): string {
  return b >= 0x80 ? CP437_HIGH[b - 0x80] : String.fromCharCode(b);
}

/** Case flags in byte 12 of an entry (Windows NT): show the base / extension in lower case. */
export const CASE_LOWER_BASE = 0x08;
export const CASE_LOWER_EXT = 0x10;

/** The display form of an 11-byte short name ("README.TXT"), honouring the NT case flags. */
export function decodeShortName(raw: Uint8Array, offset: number, caseFlags = 0): string {
  let base = '';
  for (let i = 0; i < 8; i++) base += decodeShortChar(i === 0 && raw[offset] === 0x05 ? 0xe5 : raw[offset + i]);
  let ext = '';
  for (let i = 8; i < 11; i++) ext += decodeShortChar(raw[offset + i]);
  // Padding is spaces; some tools (mtools 4.0.32 with a '~' in the 8th place) leave NULs.
  base = base.replace(/[ \0]+$/, '');
  ext = ext.replace(/[ \0]+$/, '');
  if (caseFlags & CASE_LOWER_BASE) base = base.toLowerCase();
  if (caseFlags & CASE_LOWER_EXT) ext = ext.toLowerCase();
  return ext ? `${base}.${ext}` : base;
}

export interface ShortNamePlan {
  /** The 11 bytes, space padded. */
  raw: Uint8Array;
  /** A long-name entry is needed to keep the name as given. */
  needsLong: boolean;
}

function shortChar(ch: string): { byte: number; lossy: boolean } {
  const up = ch.toUpperCase();
  const c = up.length === 1 ? up.charCodeAt(0) : 0;
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || SHORT_SPECIAL.has(up)) return { byte: c, lossy: false };
  // Anything else (non-ASCII, + , ; = [ ]) has no place in a short name; the long name keeps it.
  return { byte: 0x5f, lossy: true };
}

/**
 * Picks the short name for a new entry called `name`, given the short names already in the
 * directory (as 11-byte latin1 strings). A name that is already a valid upper-case 8.3 name is
 * stored as is; otherwise the basis is made the way Linux's vfat does (upper case, invalid
 * characters to '_', spaces and extra dots dropped, the last dot starting the extension) and a
 * numeric tail ~N is added when the basis lost information or is taken.
 */
export function makeShortName(name: string, taken: ReadonlySet<string>): ShortNamePlan {
  const lastDot = name.lastIndexOf('.');
  const hasExt = lastDot > 0 && lastDot < name.length - 1;
  const basePart = hasExt ? name.slice(0, lastDot) : name;
  const extPart = hasExt ? name.slice(lastDot + 1) : '';

  let lossy = false;
  const base: number[] = [];
  for (const ch of basePart) {
    if (ch === ' ' || ch === '.') {
      lossy = true;
      continue;
    }
    const { byte, lossy: l } = shortChar(ch);
    lossy ||= l;
    base.push(byte);
  }
  const ext: number[] = [];
  for (const ch of extPart) {
    if (ch === ' ') {
      lossy = true;
      continue;
    }
    const { byte, lossy: l } = shortChar(ch);
    lossy ||= l;
    ext.push(byte);
  }
  if (!hasExt && lastDot >= 0) lossy = true; // a leading dot (".profile") is not an extension
  const fits = base.length > 0 && base.length <= 8 && ext.length <= 3;
  if (ext.length > 3) lossy = true;
  const extBytes = ext.slice(0, 3);

  const compose = (b: number[]) => {
    const raw = new Uint8Array(11).fill(0x20);
    raw.set(b, 0);
    raw.set(extBytes, 8);
    if (raw[0] === 0xe5) raw[0] = 0x05;
    return raw;
  };
  const key = (raw: Uint8Array) => String.fromCharCode(...raw);

  if (fits && !lossy) {
    const raw = compose(base);
    if (!taken.has(key(raw))) {
      // Exactly representable: a long entry is only needed to keep lower case letters.
      return { raw, needsLong: decodeShortName(raw, 0) !== name };
    }
  }
  const stem = base.length > 0 ? base : [0x5f];
  for (let n = 1; n <= 999999; n++) {
    const tail = `~${n}`;
    const b = stem.slice(0, 8 - tail.length);
    for (const ch of tail) b.push(ch.charCodeAt(0));
    const raw = compose(b);
    if (!taken.has(key(raw))) return { raw, needsLong: true };
  }
  throw new FatError('ENOSPC', `no free short name for '${name}' in this directory`);
}

export function shortKey(raw: Uint8Array, offset = 0): string {
  return String.fromCharCode(...raw.subarray(offset, offset + 11));
}
