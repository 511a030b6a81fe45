/**
 * How the page (Launch, a preset's start) and the CLI (a preset's start) start an app in the
 * guest: a command line typed on the serial console, doing what the guest's launcher (and
 * OpenDingux's opkrun) does, in the background so the serial shell stays usable. Pure:
 * unit-tested without a guest.
 */

export interface LaunchTarget {
  kind: 'opk' | 'dge';
  /** Path in the guest (/media/sdb/apps/x.opk, /boot/local/apps/x.dge). */
  guestPath: string;
  /** The desktop file's Exec line (opk only). */
  exec?: string;
}

/** Quotes a word for the guest's sh. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Exec's words without the desktop-entry field codes (%f, %F, %u, %U, ...), as opkrun drops them. */
export function execWords(exec: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(exec); m; m = re.exec(exec)) {
    const w = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!;
    if (!/^%[a-zA-Z]$/.test(w)) words.push(w);
  }
  return words;
}

/**
 * The line to type on the serial shell. An .opk is mounted read-only from a loop device on a
 * folder under /tmp, its Exec run in that folder (a first word naming a file there runs as ./WORD),
 * then unmounted; a .dge runs as `/bin/sh -c PATH` in its folder. Each ends with one line saying how.
 */
export function launchCommand(app: LaunchTarget): string {
  const file = app.guestPath.split('/').pop()!;
  const folder = app.guestPath.slice(0, app.guestPath.length - file.length - 1) || '/';
  if (app.kind === 'dge') {
    return `(cd ${shellQuote(folder)} && /bin/sh -c ${shellQuote(app.guestPath)}; echo "odtab: ${file} exited with status $?") &`;
  }
  const words = execWords(app.exec ?? '');
  if (words.length === 0) throw new Error(`${file} has no Exec line to run`);
  const mount = `/tmp/opk-${file.replace(/\.opk$/i, '').replace(/[^A-Za-z0-9._-]/g, '_')}`;
  const [first, ...rest] = words.map(shellQuote);
  return (
    `(d=${mount}; mkdir -p $d && mount -t squashfs -o loop,ro,nosuid,nodev ${shellQuote(app.guestPath)} $d && ` +
    `{ cd $d; w=${first}; [ -e "$w" ] && w="./$w"; "$w"${rest.length ? ' ' + rest.join(' ') : ''}; s=$?; cd /; umount -l $d; rmdir $d; ` +
    `echo "odtab: ${file} exited with status $s"; }) &`
  );
}

/**
 * Watches serial output for a root shell's prompt (`# ` at the end of what was printed, maybe
 * followed by the cursor-position query, ESC [ 6 n, busybox's line editor sends after it): the
 * moment to type a preset's start command.
 */
export class ShellPromptWatch {
  private tail = '';

  /** Adds printed text; true when the output now ends with a prompt. */
  sees(text: string): boolean {
    this.tail = (this.tail + text).slice(-64);
    return /# (?:\x1b\[[0-9;]*[A-Za-z])*$/.test(this.tail);
  }
}
