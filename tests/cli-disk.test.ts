/**
 * `odtab disk ...` as a user runs it (node bin/odtab.mjs): images it makes pass fsck.fat and
 * mtools reads them; bad input is one line on stderr with exit code 2 and leaves the image as
 * it was.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HAVE_FAT_TOOLS, NEEDS_TOOLS, fsckProblems, mkfsImage, prng, randomBytes, run, tempDir } from './helpers/fat-tools';

const ROOT = new URL('..', import.meta.url).pathname;
const tmp = tempDir('cli-disk');

function odtab(args: string[], opts: { cwd?: string } = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/odtab.mjs'), ...args], {
    encoding: 'buffer',
    cwd: opts.cwd ?? tmp,
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout.toString('utf8'), stdoutBytes: new Uint8Array(r.stdout), stderr: r.stderr.toString('utf8') };
}

function expectBadInput(r: ReturnType<typeof odtab>, message: RegExp) {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^odtab: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A file that passes the squashfs check (magic, version 4.0, bytes_used) with random content. */
function fakeSquashfs(path: string, size: number) {
  const b = randomBytes(prng(size), size);
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  b.set(new TextEncoder().encode('hsqs'));
  dv.setUint16(28, 4, true);
  dv.setUint16(30, 0, true);
  dv.setBigUint64(40, BigInt(size), true);
  writeFileSync(path, b);
  return b;
}

let n = 0;
/** A fresh image made by odtab disk create with a rootfs and a local/ tree. */
function created(size = '64M') {
  const dir = join(tmp, `case${n++}`);
  mkdirSync(join(dir, 'local/home'), { recursive: true });
  mkdirSync(join(dir, 'local/apps/Some Game'), { recursive: true });
  writeFileSync(join(dir, 'local/home/notes.txt'), 'my notes\n');
  writeFileSync(join(dir, 'local/apps/Some Game/game.dge'), randomBytes(prng(1), 70_000));
  const rootfs = fakeSquashfs(join(dir, 'rootfs.bin'), 300_000);
  const image = join(dir, 'disk.img');
  const r = odtab(['disk', 'create', image, '--size', size, '--rootfs', join(dir, 'rootfs.bin'), '--local', join(dir, 'local')]);
  expect(r.code, r.stderr).toBe(0);
  return { dir, image, rootfs };
}

beforeAll(() => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build-cli.mjs')], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
});

describe('odtab disk create', () => {
  it.skipIf(!HAVE_FAT_TOOLS)(`makes an OpenDingux-style disk that fsck.fat passes and mtools reads${NEEDS_TOOLS}`, () => {
    const { dir, image, rootfs } = created();
    expect(statSync(image).size).toBe(64 << 20);
    expect(fsckProblems(image)).toEqual([]);
    expect(run('minfo', ['-i', image, '::']).stdout).toMatch(/disk type="FAT16/);
    const top = run('mdir', ['-b', '-i', image, '::/']).stdout.split('\n').filter(Boolean).sort();
    expect(top).toEqual(['::/local/', '::/rootfs.bin']);
    const local = run('mdir', ['-b', '-i', image, '::/local']).stdout.split('\n').filter(Boolean).sort();
    expect(local).toEqual(['::/local/apps/', '::/local/etc/', '::/local/home/']);
    const out = join(dir, 'rootfs.out');
    run('mcopy', ['-i', image, '::/rootfs.bin', out]);
    expect(Buffer.compare(readFileSync(out), Buffer.from(rootfs))).toBe(0);
    expect(run('mtype', ['-i', image, '::/local/home/notes.txt']).stdout).toBe('my notes\n');
    const game = join(dir, 'game.out');
    run('mcopy', ['-i', image, '::/local/apps/Some Game/game.dge', game]);
    expect(sha(game)).toBe(sha(join(dir, 'local/apps/Some Game/game.dge')));
    // The image boots as far as the disk check goes.
    const check = odtab(['disk', 'check', image]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/ok: FAT16, 3 files in 5 directories, rootfs\.bin: squashfs 4\.0/);
  });

  it.skipIf(!HAVE_FAT_TOOLS)(`FAT32 from 512 MiB, and local/ folders even with no --local${NEEDS_TOOLS}`, () => {
    const image = join(tmp, 'big.img');
    const r = odtab(['disk', 'create', image, '--size', '0.5G']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/512 MiB FAT32/);
    expect(fsckProblems(image)).toEqual([]);
    expect(run('mdir', ['-b', '-i', image, '::/local']).stdout.split('\n').filter(Boolean).sort()).toEqual([
      '::/local/apps/',
      '::/local/etc/',
      '::/local/home/',
    ]);
  });

  it('bad input: size syntax, existing image, missing or non-squashfs rootfs, a --local that does not fit', () => {
    const dir = join(tmp, 'bad-create');
    mkdirSync(dir, { recursive: true });
    expectBadInput(odtab(['disk', 'create', join(dir, 'a.img'), '--size', '64Q']), /--size must be a size like 64M/);
    expectBadInput(odtab(['disk', 'create', join(dir, 'a.img'), '--size', '1000']), /not a whole number of 512-byte sectors/);
    expectBadInput(odtab(['disk', 'create', join(dir, 'a.img')]), /needs --size/);
    expectBadInput(odtab(['disk', 'create', join(dir, 'a.img'), '--size', '16K']), /too small/);
    expectBadInput(odtab(['disk', 'create', join(dir, 'a.img'), '--size', '64M', '--rootfs', join(dir, 'nope')]), /cannot read '.*nope': no such file or directory/);
    writeFileSync(join(dir, 'notsq.bin'), 'just text, not a file system');
    expectBadInput(odtab(['disk', 'create', join(dir, 'a.img'), '--size', '64M', '--rootfs', join(dir, 'notsq.bin')]), /rootfs '.*notsq\.bin' is not a squashfs image \(it starts with 6a 75 73 74/);
    mkdirSync(join(dir, 'biglocal'));
    writeFileSync(join(dir, 'biglocal/huge.bin'), new Uint8Array(3 << 20));
    expectBadInput(odtab(['disk', 'create', join(dir, 'a.img'), '--size', '2M', '--local', join(dir, 'biglocal')]), /not enough space/);
    expect(existsSync(join(dir, 'a.img'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('tmp'))).toEqual([]); // no temporary left behind
    writeFileSync(join(dir, 'exists.img'), 'precious');
    expectBadInput(odtab(['disk', 'create', join(dir, 'exists.img'), '--size', '64M']), /already exists \(use --force/);
    expectBadInput(odtab(['disk', 'create', join(dir, 'exists.img'), '--size', '2M', '--force', '--local', join(dir, 'biglocal')]), /not enough space/);
    expect(readFileSync(join(dir, 'exists.img'), 'utf8')).toBe('precious');
    expectBadInput(odtab(['disk', 'create', join(dir, 'a.img'), '--size', '64M', '--bogus']), /Unknown option '--bogus'/);
  });
});

describe('odtab disk ls, cat, add, mkdir, rm, mv', () => {
  it('ls lists like ls -l: size, time, name, directories marked', () => {
    const { image } = created();
    const r = odtab(['disk', 'ls', image]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ +<DIR>  \d{4}-\d\d-\d\d \d\d:\d\d  local\/$/);
    expect(lines[1]).toMatch(/^ +300000  \d{4}-\d\d-\d\d \d\d:\d\d  rootfs\.bin$/);
    const apps = odtab(['disk', 'ls', image, 'local/apps/Some Game']);
    expect(apps.stdout).toMatch(/^ +70000  .*  game\.dge\n$/);
    const one = odtab(['disk', 'ls', image, 'LOCAL/HOME/NOTES.TXT']);
    expect(one.stdout).toMatch(/^ +9  .*  notes\.txt\n$/);
  });

  it('cat writes the bytes of a file to stdout', () => {
    const { image, rootfs } = created();
    const r = odtab(['disk', 'cat', image, 'rootfs.bin']);
    expect(r.code, r.stderr).toBe(0);
    expect(Buffer.compare(Buffer.from(r.stdoutBytes), Buffer.from(rootfs))).toBe(0);
    expect(odtab(['disk', 'cat', image, 'local/home/notes.txt', 'local/home/notes.txt']).stdout).toBe('my notes\nmy notes\n');
  });

  it.skipIf(!HAVE_FAT_TOOLS)(`add copies files and trees in; mkdir, rm, mv change the image as asked${NEEDS_TOOLS}`, () => {
    const { dir, image } = created();
    writeFileSync(join(dir, 'new game.dge'), 'game v1');
    mkdirSync(join(dir, 'tree/sub'), { recursive: true });
    writeFileSync(join(dir, 'tree/sub/deep.txt'), 'deep');
    expect(odtab(['disk', 'add', image, join(dir, 'new game.dge'), 'local/apps/']).code).toBe(0);
    expect(odtab(['disk', 'add', image, join(dir, 'tree'), join(dir, 'new game.dge'), 'extra/']).code).toBe(0);
    expect(odtab(['disk', 'add', image, join(dir, 'new game.dge'), 'renamed.dge']).code).toBe(0);
    expect(odtab(['disk', 'mkdir', image, '-p', 'local/home/.config/odtab']).code).toBe(0);
    expect(odtab(['disk', 'mv', image, 'renamed.dge', 'local/apps/']).code).toBe(0);
    expect(odtab(['disk', 'rm', image, 'local/etc']).code).toBe(0); // empty directory
    writeFileSync(join(dir, 'new game.dge'), 'game v2');
    expect(odtab(['disk', 'add', image, '--force', join(dir, 'new game.dge'), 'local/apps/']).code).toBe(0);
    expect(fsckProblems(image)).toEqual([]);
    expect(run('mtype', ['-i', image, '::/local/apps/new game.dge']).stdout).toBe('game v2');
    expect(run('mtype', ['-i', image, '::/local/apps/renamed.dge']).stdout).toBe('game v1');
    expect(run('mtype', ['-i', image, '::/extra/tree/sub/deep.txt']).stdout).toBe('deep');
    expect(run('mtype', ['-i', image, '::/extra/new game.dge']).stdout).toBe('game v1');
    expect(run('mdir', ['-b', '-i', image, '::/local']).stdout.split('\n').filter(Boolean).sort()).toEqual(['::/local/apps/', '::/local/home/']);
    expect(run('mdir', ['-b', '-i', image, '::/local/home/.config']).stdout).toMatch(/odtab/);
    expect(odtab(['disk', 'rm', image, '-r', 'extra']).code).toBe(0);
    expect(odtab(['disk', 'ls', image]).stdout).not.toMatch(/extra/);
    expect(fsckProblems(image)).toEqual([]);
  });

  it('a full disk or a name clash is refused with one line and the image stays byte-identical', () => {
    const { dir, image } = created('8M');
    const before = sha(image);
    writeFileSync(join(dir, 'huge.bin'), new Uint8Array(9 << 20));
    expectBadInput(odtab(['disk', 'add', image, join(dir, 'huge.bin'), 'local/apps/']), /no space|not enough space/);
    // Two files that fit one at a time but not together: nothing is written.
    writeFileSync(join(dir, 'half1.bin'), new Uint8Array(4 << 20));
    writeFileSync(join(dir, 'half2.bin'), new Uint8Array(4 << 20));
    expectBadInput(odtab(['disk', 'add', image, join(dir, 'half1.bin'), join(dir, 'half2.bin'), 'local/apps/']), /not enough space/);
    writeFileSync(join(dir, 'notes.txt'), 'other notes');
    expectBadInput(odtab(['disk', 'add', image, join(dir, 'notes.txt'), 'local/home/']), /'local\/home\/notes\.txt' already exists/);
    expectBadInput(odtab(['disk', 'add', image, join(dir, 'half1.bin'), join(dir, 'notes.txt'), 'local/home/']), /already exists/);
    expectBadInput(odtab(['disk', 'mkdir', image, 'local/home']), /already exists/);
    expectBadInput(odtab(['disk', 'mkdir', image, 'no/such/parent']), /no such directory/);
    expectBadInput(odtab(['disk', 'rm', image, 'local/apps']), /not empty \(use -r\)/);
    expectBadInput(odtab(['disk', 'rm', image, 'local/home/notes.txt', 'nope']), /'nope': no such file or directory/);
    expectBadInput(odtab(['disk', 'mv', image, 'rootfs.bin', 'local/home/notes.txt']), /already exists/);
    expect(sha(image)).toBe(before);
  });

  it('bad input elsewhere: missing image, not a FAT image, missing path, missing host file', () => {
    const { dir, image } = created('8M');
    expectBadInput(odtab(['disk', 'ls', join(dir, 'nope.img')]), /cannot open disk image '.*nope\.img': no such file or directory/);
    writeFileSync(join(dir, 'text.img'), 'hello'.repeat(1000));
    expectBadInput(odtab(['disk', 'ls', join(dir, 'text.img')]), /not a FAT file system/);
    expectBadInput(odtab(['disk', 'ls', image, 'nothing/here']), /no such/);
    expectBadInput(odtab(['disk', 'cat', image, 'local']), /is a directory/);
    expectBadInput(odtab(['disk', 'add', image, join(dir, 'missing.txt'), 'local/']), /cannot read '.*missing\.txt': no such file or directory/);
    writeFileSync(join(dir, 'bad:name.txt'), 'x');
    expectBadInput(odtab(['disk', 'add', image, join(dir, 'bad:name.txt'), 'local/']), /cannot store .* on FAT: .*':'/);
    expectBadInput(odtab(['disk', 'add', image, 'local/']), /needs IMAGE, at least one FILE and a DEST/);
    expectBadInput(odtab(['disk', 'frobnicate', image]), /unknown disk command 'frobnicate'/);
  });
});

describe('odtab disk check', () => {
  it('names what is wrong with a disk it cannot boot', () => {
    const dir = join(tmp, 'check');
    mkdirSync(dir, { recursive: true });
    const image = join(dir, 'empty.img');
    expect(odtab(['disk', 'create', image, '--size', '8M']).code).toBe(0);
    expectBadInput(odtab(['disk', 'check', image]), /no 'rootfs\.bin' or 'rootfs\.squashfs' in the root directory/);
    expect(odtab(['disk', 'check', image, '--no-rootfs']).code).toBe(0);
    writeFileSync(join(dir, 'rootfs.bin'), 'not squashfs at all');
    expect(odtab(['disk', 'add', image, join(dir, 'rootfs.bin'), '/']).code).toBe(0);
    expectBadInput(odtab(['disk', 'check', image]), /'rootfs\.bin' is not a squashfs image/);
  });

  it.skipIf(!HAVE_FAT_TOOLS)(`reports a broken chain in an mkfs.vfat image as one line${NEEDS_TOOLS}`, () => {
    const dir = join(tmp, 'check-broken');
    mkdirSync(dir, { recursive: true });
    const image = join(dir, 'disk.img');
    mkfsImage(image, 16 << 20);
    fakeSquashfs(join(dir, 'rootfs.bin'), 50_000);
    run('mcopy', ['-i', image, join(dir, 'rootfs.bin'), '::/rootfs.bin']);
    expect(odtab(['disk', 'check', image]).code).toBe(0);
    // Free the second cluster of rootfs.bin in both FATs: the chain now runs into a free cluster.
    const bytes = readFileSync(image);
    const reserved = bytes.readUInt16LE(14);
    const fatSectors = bytes.readUInt16LE(22);
    const rootStart = (reserved + 2 * fatSectors) * 512;
    const first = bytes.readUInt16LE(rootStart + 32 * [...Array(16).keys()].find((i) => bytes.toString('latin1', rootStart + 32 * i, rootStart + 32 * i + 6) === 'ROOTFS')! + 26);
    for (const copy of [0, 1]) {
      const fat = (reserved + copy * fatSectors) * 512;
      const second = bytes.readUInt16LE(fat + first * 2);
      bytes.writeUInt16LE(0, fat + second * 2);
    }
    writeFileSync(image, bytes);
    expectBadInput(odtab(['disk', 'check', image]), /'\/rootfs\.bin': cluster chain runs into a free cluster/);
  });
});

describe('help', () => {
  it.each(['create', 'ls', 'add', 'cat', 'mkdir', 'rm', 'mv', 'check'])('odtab disk %s --help', (cmd) => {
    const r = odtab(['disk', cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: odtab disk ${cmd} `));
  });
  it('odtab disk --help and odtab --help list the disk commands', () => {
    expect(odtab(['disk', '--help']).stdout).toMatch(/create IMAGE --size SIZE/);
    expect(odtab(['--help']).stdout).toMatch(/disk +make, list and change FAT disk images/);
  });
});
