/**
 * The OpenDingux-style boot as a user runs it (node bin/odtab.mjs): a boot disk kept as a file
 * (`odtab disk create --builtin`, or mkfs.vfat + mcopy), the guest writing to it, and the result
 * read back on the host with `odtab disk cat` and judged by fsck.fat; a second FAT disk on
 * /media/sdb; Debian's kernel booting the same disk to the same shell.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HAVE_FAT_TOOLS, NEEDS_TOOLS, fsckProblems, mkfsImage, run, tempDir } from './helpers/fat-tools';
import { GUEST_DIR } from './helpers/guest';
import { OD_PROMPT, manifest } from './helpers/od-guest';

const ROOT = new URL('..', import.meta.url).pathname;
const tmp = tempDir('od-cli');

function odtab(args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/odtab.mjs'), ...args], { encoding: 'utf8', timeout: 300_000 });
  // Serial lines end in \r\n; busybox may ask the terminal for the cursor (ESC [ 6 n) after a prompt.
  return { code: r.status, stdout: r.stdout.replace(/\r|\x1b\[6n/g, ''), stderr: r.stderr };
}

/** Boots with the lines of `commands` typed on the console (the last one should power off). */
function bootWith(args: string[], commands: string[]) {
  const input = join(tmp, `input-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(input, commands.join('\n') + '\n');
  const r = odtab(['boot', '--no-realtime', '--timeout', '280', '--input', input, ...args]);
  expect(r.code, `${r.stderr}\n${r.stdout.slice(-3000)}`).toBe(0);
  expect(r.stdout).toContain('reboot: Power down');
  return r;
}

/** What a command typed at the OpenDingux prompt printed, up to the next prompt. */
function answer(stdout: string, command: string): string {
  const at = stdout.indexOf(`${OD_PROMPT}${command}\n`);
  if (at < 0) throw new Error(`no '${command}' at the prompt in:\n${stdout.slice(-3000)}`);
  const from = at + OD_PROMPT.length + command.length + 1;
  const end = stdout.indexOf(OD_PROMPT, from);
  return stdout.slice(from, end < 0 ? undefined : end);
}

/** The rootfs on the loop device, read-only; the FAT disk on /boot, read-write. */
function expectOdMounts(mounts: string): void {
  expect(mounts).toMatch(/^\/dev\/loop0 \/ squashfs ro[, ]/m);
  expect(mounts).toMatch(/^\/dev\/sda \/boot vfat rw[, ]/m);
}

beforeAll(() => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build-cli.mjs')], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
});

describe('the built-in guest on a disk kept as a file', () => {
  it.skipIf(!HAVE_FAT_TOOLS)(`disk create --builtin, boot --hda: the guest's file is there for odtab disk cat, fsck.fat is clean${NEEDS_TOOLS}`, () => {
    const image = join(tmp, 'sd.img');
    const created = odtab(['disk', 'create', image, '--builtin']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(new RegExp(`sd\\.img: 64 MiB FAT16, built-in guest, ${1 + manifest.local.files.length} files \\(rootfs\\.bin 1\\.\\d MiB\\)`));
    expect(fsckProblems(image)).toEqual([]);

    const r = bootWith(['--hda', image], ['uname -r', 'cat /proc/mounts', 'ls /usr/local', 'echo hi > /boot/local/home/x; sync; poweroff -f']);
    expect(r.stderr).toBe(''); // nothing to say: the disk is the user's file, and sound
    expect(r.stdout).toContain('local/etc/init.d/S90example.sh: hello from the FAT disk');
    expect(answer(r.stdout, 'uname -r')).toBe(`${manifest.odtabKernel.release}\n`);
    expectOdMounts(answer(r.stdout, 'cat /proc/mounts'));
    expect(answer(r.stdout, 'ls /usr/local').trim().split(/\s+/)).toEqual(['apps', 'etc', 'home']);

    const cat = odtab(['disk', 'cat', image, 'local/home/x']);
    expect(cat.code, cat.stderr).toBe(0);
    expect(cat.stdout).toBe('hi\n');
    expect(fsckProblems(image)).toEqual([]);
    expect(odtab(['disk', 'check', image]).code).toBe(0);
  });

  it.skipIf(!HAVE_FAT_TOOLS)(`a boot disk made by mkfs.vfat + mcopy boots the same way; a FAT --hdb with apps/ is on /media/sdb${NEEDS_TOOLS}`, () => {
    const image = join(tmp, 'mkfs.img');
    mkfsImage(image, 64 << 20, ['-n', 'ODTAB']);
    run('mcopy', ['-i', image, join(GUEST_DIR, manifest.rootfs.file), '::/rootfs.bin']);
    run('mcopy', ['-i', image, '-s', join(GUEST_DIR, manifest.local.dir), '::/']);
    // local/apps came with the files in it (apps/fbtest.dge); git keeps local/home empty, so not.
    run('mmd', ['-i', image, '::/local/home']);
    const apps = join(tmp, 'apps.img');
    mkfsImage(apps, 64 << 20, ['-F', '32', '-s', '1', '-n', 'APPS']);
    run('mmd', ['-i', apps, '::/apps']);
    const game = join(tmp, 'Some Game.txt');
    writeFileSync(game, 'a game, say\n');
    run('mcopy', ['-i', apps, game, '::/apps/']);

    const r = bootWith(
      ['--hda', image, '--hdb', apps],
      [
        'cat /proc/mounts',
        'ls /media/sdb/apps',
        'echo hi > /boot/local/home/x; echo saved > /media/sdb/apps/save.txt; umount /media/sdb',
        'poweroff -f',
      ],
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('media: /dev/sdb mounted on /media/sdb');
    const mounts = answer(r.stdout, 'cat /proc/mounts');
    expectOdMounts(mounts);
    expect(mounts).toMatch(/^\/dev\/sdb \/media\/sdb vfat rw[, ]/m);
    expect(answer(r.stdout, 'ls /media/sdb/apps')).toBe('Some Game.txt\n');

    expect(odtab(['disk', 'cat', image, 'local/home/x']).stdout).toBe('hi\n');
    expect(odtab(['disk', 'cat', apps, 'apps/save.txt']).stdout).toBe('saved\n');
    expect(run('mtype', ['-i', image, '::/local/home/x']).stdout).toBe('hi\n');
    expect(fsckProblems(image)).toEqual([]);
    expect(fsckProblems(apps)).toEqual([]);
  });
});

describe('odtab boot --guest debian', () => {
  it("Debian's kernel and initrd boot the built-in disk to the same shell", () => {
    const r = bootWith(['--guest', 'debian'], ['uname -r', 'cat /proc/mounts', 'cat /usr/local/etc/init.d/S90example.sh | wc -c', 'poweroff -f']);
    expect(r.stderr).toMatch(/^odtab: boot disk: the built-in rootfs\.bin and local\/ on a 64 MiB FAT16 disk in memory; .*odtab disk create sd\.img --builtin/);
    expect(r.stdout).toContain(`Kernel command line: rd_start=`);
    expect(r.stdout).toContain(manifest.diskCmdline);
    expect(r.stdout).toContain('local/etc/init.d/S90example.sh: hello from the FAT disk');
    expect(answer(r.stdout, 'uname -r')).toBe(`${manifest.kernelRelease}\n`);
    expectOdMounts(answer(r.stdout, 'cat /proc/mounts'));
    expect(answer(r.stdout, 'cat /usr/local/etc/init.d/S90example.sh | wc -c').trim()).toBe(String(manifest.local.files.find((f: { path: string }) => f.path === 'etc/init.d/S90example.sh').size));
  });
});
