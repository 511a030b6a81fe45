import { CASE_LOWER_BASE, CASE_LOWER_EXT, decodeShortName, shortNameChecksum } from './names';

/** The 32-byte directory entry and the long-name entries before it. */
export const ENTRY_SIZE = 32;
export const ATTR_READ_ONLY = 0x01;
export const ATTR_HIDDEN = 0x02;
export const ATTR_SYSTEM = 0x04;
export const ATTR_VOLUME = 0x08;
export const ATTR_DIRECTORY = 0x10;
export const ATTR_ARCHIVE = 0x20;
export const ATTR_LONG_NAME = 0x0f;
/** First byte of a deleted entry; 0x00 ends the directory. */
export const DELETED = 0xe5;
const LFN_LAST = 0x40;
const LFN_CHARS = 13;
/** Where the 13 UTF-16 characters of a long-name entry sit. */
const LFN_OFFSETS = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

/** An entry found in a directory, with where it sits so it can be changed or deleted. */
export interface RawEntry {
  /** The long name when there is a valid one, else the short name in display form. */
  name: string;
  /** The short name in display form ("README.TXT"). */
  shortName: string;
  /** The 11 name bytes as a latin1 string (for short-name clash checks). */
  shortKey: string;
  attr: number;
  firstCluster: number;
  size: number;
  /** Index (in 32-byte entries) of the first long-name entry, or of the short entry if none. */
  firstSlot: number;
  /** Index of the short entry. */
  slot: number;
  created: Date;
  modified: Date;
  accessed: Date;
}

export function isDirectory(e: { attr: number }): boolean {
  return (e.attr & ATTR_DIRECTORY) !== 0;
}

/** DOS date and time (local time, 2-second steps, 1980-2107). */
export function encodeDosTime(d: Date): { date: number; time: number; tenths: number } {
  let year = d.getFullYear();
  if (!Number.isFinite(year) || year < 1980) return { date: (0 << 9) | (1 << 5) | 1, time: 0, tenths: 0 };
  if (year > 2107) return { date: (127 << 9) | (12 << 5) | 31, time: (23 << 11) | (59 << 5) | 29, tenths: 199 };
  year -= 1980;
  const date = (year << 9) | ((d.getMonth() + 1) << 5) | d.getDate();
  const time = (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1);
  const tenths = (d.getSeconds() & 1) * 100 + Math.floor(d.getMilliseconds() / 10);
  return { date, time, tenths };
}

export function decodeDosTime(date: number, time = 0, tenths = 0): Date {
  const year = 1980 + (date >> 9);
  const month = Math.max(1, Math.min(12, (date >> 5) & 15));
  const day = Math.max(1, date & 31);
  const seconds = (time & 31) * 2 + (tenths >= 100 ? 1 : 0);
  const ms = (tenths % 100) * 10;
  return new Date(year, month - 1, day, time >> 11, (time >> 5) & 63, seconds, ms);
}

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

function put16(b: Uint8Array, o: number, v: number) {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

function put32(b: Uint8Array, o: number, v: number) {
  put16(b, o, v & 0xffff);
  put16(b, o + 2, v >>> 16);
}

export function entryCluster(b: Uint8Array, o: number, fat32: boolean): number {
  return u16(b, o + 26) + (fat32 ? u16(b, o + 20) * 0x10000 : 0);
}

export function setEntryCluster(b: Uint8Array, o: number, cluster: number, fat32: boolean): void {
  put16(b, o + 26, cluster & 0xffff);
  put16(b, o + 20, fat32 ? cluster >>> 16 : 0);
}

/**
 * Reads the entries of a directory's bytes, joining long names to their short entries when the
 * sequence is whole and its checksum matches (as Linux and Windows do; a broken sequence leaves
 * the short name). Volume labels, "." and ".." are left out. Stops at the first 0x00 entry.
 */
export function parseDirectory(bytes: Uint8Array, fat32: boolean): { entries: RawEntry[]; end: number } {
  const entries: RawEntry[] = [];
  // An open long-name sequence: where it started (-1: none), its parts, checksum, next ordinal.
  let lfnStart = -1;
  let lfnParts: string[] = [];
  let lfnSum = -1;
  let lfnExpect = 0;
  const count = Math.floor(bytes.length / ENTRY_SIZE);
  for (let i = 0; i < count; i++) {
    const o = i * ENTRY_SIZE;
    const first = bytes[o];
    if (first === 0) return { entries, end: i };
    if (first === DELETED) {
      lfnStart = -1;
      continue;
    }
    const attr = bytes[o + 11];
    if ((attr & 0x3f) === ATTR_LONG_NAME) {
      const ord = first & 0x1f;
      if (first & LFN_LAST) {
        if (ord === 0 || ord > 20) {
          lfnStart = -1;
          continue;
        }
        lfnParts = new Array(ord).fill('');
        lfnSum = bytes[o + 13];
        lfnStart = i;
      } else if (lfnStart < 0 || ord === 0 || ord !== lfnExpect || bytes[o + 13] !== lfnSum) {
        lfnStart = -1;
        continue;
      }
      lfnParts[ord - 1] = longNamePart(bytes, o);
      lfnExpect = ord - 1;
      continue;
    }
    const haveLong = lfnStart >= 0 && lfnExpect === 0 && lfnSum === shortNameChecksum(bytes, o);
    const longName = haveLong ? lfnParts.join('') : undefined;
    const firstSlot = haveLong ? lfnStart : i;
    lfnStart = -1;
    if (attr & ATTR_VOLUME) continue;
    if (first === 0x2e && (bytes[o + 1] === 0x20 || (bytes[o + 1] === 0x2e && bytes[o + 2] === 0x20))) continue;
    const caseFlags = bytes[o + 12] & (CASE_LOWER_BASE | CASE_LOWER_EXT);
    // Shown with the NT lower-case flags applied, as Windows, Linux and mdir show it.
    const shortName = decodeShortName(bytes, o, caseFlags);
    entries.push({
      name: longName ?? shortName,
      shortName,
      shortKey: String.fromCharCode(...bytes.subarray(o, o + 11)),
      attr,
      firstCluster: entryCluster(bytes, o, fat32),
      size: u32(bytes, o + 28),
      firstSlot,
      slot: i,
      created: decodeDosTime(u16(bytes, o + 16), u16(bytes, o + 14), bytes[o + 13]),
      modified: decodeDosTime(u16(bytes, o + 24), u16(bytes, o + 22)),
      accessed: decodeDosTime(u16(bytes, o + 18)),
    });
  }
  return { entries, end: count };
}

function longNamePart(b: Uint8Array, o: number): string {
  let s = '';
  for (const off of LFN_OFFSETS) {
    const c = u16(b, o + off);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

/** How many 32-byte entries a name takes: the long-name entries plus the short one. */
export function slotsFor(longName: string | undefined): number {
  return longName === undefined ? 1 : Math.ceil(longName.length / LFN_CHARS) + 1;
}

export interface NewEntry {
  shortRaw: Uint8Array;
  longName?: string;
  attr: number;
  firstCluster: number;
  size: number;
  created: Date;
  modified: Date;
}

/** Encodes the long-name entries (last part first, as stored) followed by the short entry. */
export function encodeEntries(e: NewEntry, fat32: boolean): Uint8Array {
  const slots = slotsFor(e.longName);
  const out = new Uint8Array(slots * ENTRY_SIZE);
  if (e.longName !== undefined) {
    const sum = shortNameChecksum(e.shortRaw);
    const lfnCount = slots - 1;
    for (let k = 0; k < lfnCount; k++) {
      const ord = lfnCount - k; // stored from the last part down to part 1
      const o = k * ENTRY_SIZE;
      out[o] = ord | (k === 0 ? LFN_LAST : 0);
      out[o + 11] = ATTR_LONG_NAME;
      out[o + 13] = sum;
      const start = (ord - 1) * LFN_CHARS;
      LFN_OFFSETS.forEach((off, j) => {
        const idx = start + j;
        const c = idx < e.longName!.length ? e.longName!.charCodeAt(idx) : idx === e.longName!.length ? 0 : 0xffff;
        put16(out, o + off, c);
      });
    }
  }
  const o = (slots - 1) * ENTRY_SIZE;
  writeShortEntry(out, o, e, fat32);
  return out;
}

export function writeShortEntry(out: Uint8Array, o: number, e: NewEntry, fat32: boolean): void {
  out.fill(0, o, o + ENTRY_SIZE);
  out.set(e.shortRaw.subarray(0, 11), o);
  out[o + 11] = e.attr;
  const c = encodeDosTime(e.created);
  const m = encodeDosTime(e.modified);
  out[o + 13] = c.tenths;
  put16(out, o + 14, c.time);
  put16(out, o + 16, c.date);
  put16(out, o + 18, m.date);
  put16(out, o + 22, m.time);
  put16(out, o + 24, m.date);
  setEntryCluster(out, o, e.firstCluster, fat32);
  put32(out, o + 28, e.size);
}

/** The "." and ".." entries that open a new directory (".." is cluster 0 when the parent is root). */
export function dotEntries(self: number, parent: number, when: Date, fat32: boolean): Uint8Array {
  const out = new Uint8Array(2 * ENTRY_SIZE);
  const dot = new Uint8Array(11).fill(0x20);
  dot[0] = 0x2e;
  writeShortEntry(out, 0, { shortRaw: dot, attr: ATTR_DIRECTORY, firstCluster: self, size: 0, created: when, modified: when }, fat32);
  const dotdot = dot.slice();
  dotdot[1] = 0x2e;
  writeShortEntry(out, ENTRY_SIZE, { shortRaw: dotdot, attr: ATTR_DIRECTORY, firstCluster: parent, size: 0, created: when, modified: when }, fat32);
  return out;
}
