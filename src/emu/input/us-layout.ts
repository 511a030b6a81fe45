/**
 * Which keys type a character on a US keyboard (the layout Linux's default keymap and busybox
 * assume): the KeyboardEvent.code of the key and whether Shift is held with it.
 */

export interface Keystroke {
  code: string;
  shift: boolean;
}

const STROKES = new Map<string, Keystroke>();

function add(plain: string, shifted: string, code: string): void {
  STROKES.set(plain, { code, shift: false });
  if (shifted) STROKES.set(shifted, { code, shift: true });
}

for (let i = 0; i < 26; i++) {
  const lower = String.fromCharCode(0x61 + i);
  add(lower, lower.toUpperCase(), `Key${lower.toUpperCase()}`);
}
'1234567890'.split('').forEach((d, i) => add(d, '!@#$%^&*()'[i]!, `Digit${d}`));
add('`', '~', 'Backquote');
add('-', '_', 'Minus');
add('=', '+', 'Equal');
add('[', '{', 'BracketLeft');
add(']', '}', 'BracketRight');
add('\\', '|', 'Backslash');
add(';', ':', 'Semicolon');
add("'", '"', 'Quote');
add(',', '<', 'Comma');
add('.', '>', 'Period');
add('/', '?', 'Slash');
add(' ', '', 'Space');
add('\n', '', 'Enter');
add('\t', '', 'Tab');

/** The keystroke that types `ch` (one UTF-16 unit), or undefined if a US keyboard has none. */
export function keystrokeFor(ch: string): Keystroke | undefined {
  return STROKES.get(ch);
}
