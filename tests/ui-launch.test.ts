import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { execWords, launchCommand, shellQuote } from '../src/preset/launch';

describe('app launch commands', () => {
  it('drops desktop field codes and keeps quoted words whole', () => {
    expect(execWords('fbtest %f')).toEqual(['fbtest']);
    expect(execWords('run.sh "two words" -x %U')).toEqual(['run.sh', 'two words', '-x']);
  });

  it('quotes any name so the guest shell sees it as one word', () => {
    const name = `it's $(rm -rf /) "x"`;
    expect(execFileSync('sh', ['-c', `printf %s ${shellQuote(name)}`], { encoding: 'utf8' })).toBe(name);
  });

  it('runs an .opk opkrun-style from a read-only loop mount, in the background, and reports its status', () => {
    const line = launchCommand({ kind: 'opk', guestPath: '/media/sdb/apps/my app.opk', exec: 'game.sh --full %f' });
    expect(line).toContain("mount -t squashfs -o loop,ro,nosuid,nodev '/media/sdb/apps/my app.opk' $d");
    expect(line).toContain('d=/tmp/opk-my_app;');
    expect(line).toContain(`w='game.sh'; [ -e "$w" ] && w="./$w"; "$w" '--full';`);
    expect(line).toMatch(/umount -l \$d; rmdir \$d; echo "odtab: my app.opk exited with status \$s"; }\) &$/);
    // The shell accepts it (syntax only).
    execFileSync('sh', ['-n', '-c', line]);
  });

  it('runs a .dge with /bin/sh -c in its folder', () => {
    const line = launchCommand({ kind: 'dge', guestPath: '/boot/local/apps/hello.dge' });
    expect(line).toBe(`(cd '/boot/local/apps' && /bin/sh -c '/boot/local/apps/hello.dge'; echo "odtab: hello.dge exited with status $?") &`);
    execFileSync('sh', ['-n', '-c', line]);
  });

  it('refuses an .opk without an Exec line', () => {
    expect(() => launchCommand({ kind: 'opk', guestPath: '/media/sdb/apps/x.opk', exec: '%f' })).toThrow('x.opk has no Exec line');
  });
});
