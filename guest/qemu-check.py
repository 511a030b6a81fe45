#!/usr/bin/env python3
"""Boots the committed guests in QEMU (the reference machine) and checks the OpenDingux flow.

    python3 guest/qemu-check.py [--only NAME ...] [--icount] [--keep DIR]

Needs qemu-system-mipsel (qemu-system-mips), dosfstools and mtools. Disks are composed with
guest/make-disk.sh in a temporary folder; the kernels come gunzipped from public/guest. Each
check prints one line; the exit status is the number of failed checks. --icount also measures
the guest time to the prompt with `-icount shift=0,sleep=off` (1 ns per instruction, idle
skipped), read from /proc/uptime typed at the prompt.
"""
import argparse, gzip, os, re, select, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
PUB = os.path.join(os.path.dirname(HERE), 'public', 'guest')
PROMPT = r'opendingux:/boot/local/home # '
RESCUE = r'\(rescue\) odtab# '
DEBIAN_APPEND = ('console=ttyS0 nokaslr lpj=400000 cryptomgr.notests '
                 'boot=/dev/sda loop0=/boot/rootfs.bin root=/dev/loop0')


RUNNING = []


class Qemu:
    """qemu-system-mipsel with the serial console on stdio; expect-style helpers."""

    def __init__(self, args, log):
        RUNNING.append(self)
        self.t0 = time.time()
        self.p = subprocess.Popen(['qemu-system-mipsel', '-M', 'malta', '-m', '256'] + args +
                                  ['-nographic', '-no-reboot'], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.buf = b''
        self.mark = 0
        self.log = open(log, 'wb')

    def expect(self, pattern, timeout=60):
        """Seconds since start when `pattern` appeared after the last match."""
        rx = re.compile(pattern.encode())
        end = time.time() + timeout
        while True:
            m = rx.search(self.buf, self.mark)
            if m:
                self.mark = m.end()
                return time.time() - self.t0
            if time.time() > end or self.p.poll() is not None and not self._pending(0):
                raise RuntimeError(f'no {pattern!r}; last output: ' +
                                   self.buf[-600:].decode(errors='replace'))
            if self._pending(0.2):
                data = os.read(self.p.stdout.fileno(), 65536)
                self.buf += data
                self.log.write(data)

    def _pending(self, t):
        return bool(select.select([self.p.stdout], [], [], t)[0])

    def since_mark(self, start):
        return self.buf[start:self.mark].decode(errors='replace').replace('\r', '')

    def command(self, line, prompt=PROMPT, timeout=30):
        start = self.mark
        self.p.stdin.write((line + '\n').encode())
        self.p.stdin.flush()
        self.expect(prompt, timeout)
        return self.since_mark(start)

    def finish(self, timeout=30):
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        rest = self.p.stdout.read()
        self.buf += rest
        self.log.write(rest)
        self.log.close()
        return self.p.returncode


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--only', nargs='*')
    ap.add_argument('--icount', action='store_true')
    ap.add_argument('--keep')
    opt = ap.parse_args()
    tmp = opt.keep or tempfile.mkdtemp(prefix='odtab-qemu-')
    os.makedirs(tmp, exist_ok=True)
    env = dict(os.environ, MTOOLS_SKIP_CHECK='1')

    def unzip(name):
        out = os.path.join(tmp, name[:-3])
        with gzip.open(os.path.join(PUB, name)) as f, open(out, 'wb') as g:
            shutil.copyfileobj(f, g)
        return out

    odtab_k = unzip('vmlinux-odtab.gz')
    debian_k = unzip('vmlinux.gz')
    initrd = os.path.join(PUB, 'initrd.gz')
    make_disk = os.path.join(HERE, 'make-disk.sh')

    def disk(name, *extra):
        path = os.path.join(tmp, name)
        sh('bash', make_disk, path, *extra, env=env)
        return path

    def apps_disk():
        path = os.path.join(tmp, 'apps.img')
        if os.path.exists(path):
            os.remove(path)
        sh('mkfs.vfat', '-C', '-n', 'APPS', path, '16384')
        sh('mmd', '-i', path, '::apps', env=env)
        sh('mcopy', '-i', path, os.path.join(PUB, 'local', 'etc', 'init.d', 'S90example.sh'),
           '::apps/example.dge', env=env)
        return path

    failed = []

    def check(name, fn):
        if opt.only and name not in opt.only:
            return
        try:
            print(f'ok    {name}: {fn()}', flush=True)
        except Exception as e:  # one line per failed check, then go on
            failed.append(name)
            for q in RUNNING:
                if q.p.poll() is None:
                    q.p.kill()
                    q.p.wait()
            print(f'FAIL  {name}: {str(e).splitlines()[0][:300]}', flush=True)
            for line in str(e).splitlines()[1:]:
                print('      ' + line)

    def boot_disk(kernel, label, extra_args, write_check=True):
        img = disk(f'{label}.img')
        hdb = apps_disk()
        q = Qemu(['-kernel', kernel, '-hda', img, '-hdb', hdb] + extra_args,
                 os.path.join(tmp, f'{label}.log'))
        t = q.expect(PROMPT, 120)
        # init must sleep waiting for signals (it spins if the kernel lacks a syscall glibc uses)
        out = q.command('uname -r; grep -E " / | /boot | /media/sdb " /proc/mounts; '
                        'ls /media/sdb/apps; floattest | tail -n 1; grep State /proc/1/status')
        for want in ('/dev/loop0 / squashfs ro', '/dev/sda /boot vfat rw', '/dev/sdb /media/sdb vfat',
                     'example.dge', 'floattest: PASS', 'State:\tS (sleeping)'):
            if want not in out:
                raise RuntimeError(f'{want!r} missing in:\n{out}')
        if 'hello from the FAT disk' not in q.buf.decode(errors='replace'):
            raise RuntimeError('local/etc/init.d/S90example.sh did not run')
        q.p.stdin.write(b'echo hi > /boot/local/home/x; sync; poweroff -f\n')
        q.p.stdin.flush()
        q.expect('reboot: Power down', 30)
        rc = q.finish()
        got = sh('mtype', '-i', img, '::local/home/x', env=env)
        if got.strip() != 'hi':
            raise RuntimeError(f'local/home/x on the image holds {got!r}')
        fsck = subprocess.run(['fsck.fat', '-n', img], capture_output=True, text=True)
        if fsck.returncode != 0:
            raise RuntimeError('fsck.fat -n: ' + fsck.stdout + fsck.stderr)
        release = re.search(r'\n(6\.1\.[^\s]+)\n', out).group(1)
        return (f'{release}: prompt at {t:.2f} s host time, rootfs ro on loop0, /boot rw, '
                f'/media/sdb/apps, floattest PASS, x written, fsck.fat -n clean, qemu rc {rc}')

    check('odtab-kernel', lambda: boot_disk(odtab_k, 'odtab', []))
    check('debian-kernel', lambda: boot_disk(debian_k, 'debian',
                                             ['-initrd', initrd, '-append', DEBIAN_APPEND]))

    def bad(kernel, extra, want):
        def run():
            q = Qemu(['-kernel', kernel] + extra, os.path.join(tmp, 'bad.log'))
            t = q.expect(RESCUE, 120)
            lines = [l for l in q.buf.decode(errors='replace').replace('\r', '').split('\n')
                     if l.startswith('odtab init: ')]
            q.command('echo $((6*7))', RESCUE)
            q.p.stdin.write(b'poweroff -f\n')
            q.p.stdin.flush()
            q.finish()
            if len(lines) != 1 or want not in lines[0]:
                raise RuntimeError(f'want one line with {want!r}, got {lines}')
            return f'rescue shell at {t:.2f} s after "{lines[0]}"'
        return run

    notsq = os.path.join(tmp, 'not-squashfs.bin')
    with open(notsq, 'wb') as f:
        f.write(b'this is not a squashfs image\n' * 1000)
    zero = os.path.join(tmp, 'zero.img')
    with open(zero, 'wb') as f:
        f.truncate(16 << 20)
    for k, kname, extra in ((odtab_k, 'odtab', []),
                            (debian_k, 'debian', ['-initrd', initrd, '-append', DEBIAN_APPEND])):
        check(f'{kname}-no-rootfs', bad(k, ['-hda', disk('norootfs.img', '--no-rootfs')] + extra,
                                        '/boot/rootfs.bin not found'))
        check(f'{kname}-not-squashfs', bad(k, ['-hda', disk('notsq.img', '--rootfs', notsq)] + extra,
                                           'is not a squashfs image'))
        check(f'{kname}-no-disk', bad(k, extra, 'no boot disk'))
        check(f'{kname}-not-fat', bad(k, ['-hda', zero] + extra, 'cannot mount boot=/dev/sda'))

    def update():
        img = disk('update.img')
        # The update: the same rootfs with a marker file.
        root = os.path.join(tmp, 'upd-root')
        shutil.rmtree(root, ignore_errors=True)
        sh('unsquashfs', '-q', '-n', '-d', root, os.path.join(PUB, 'rootfs.bin'))
        with open(os.path.join(root, 'etc', 'UPDATED'), 'w') as f:
            f.write('update 1\n')
        upd = os.path.join(tmp, 'update_r.bin')
        sh('mksquashfs', root, upd, '-comp', 'gzip', '-all-root', '-noappend', '-quiet', '-no-progress')
        sh('mcopy', '-i', img, upd, '::update_r.bin', env=env)
        q = Qemu(['-kernel', odtab_k, '-hda', img], os.path.join(tmp, 'update.log'))
        q.expect(PROMPT, 120)
        out = q.command('cat /etc/UPDATED; ls /boot; poweroff -f', 'Power down')
        q.finish()
        if 'update 1' not in out or 'rootfs.bin.bak' not in out or 'update_r.bin' in out:
            raise RuntimeError('update not applied:\n' + out)
        q = Qemu(['-kernel', odtab_k, '-hda', img, '-append', 'rootfs_bak'],
                 os.path.join(tmp, 'rootfs_bak.log'))
        q.expect(PROMPT, 120)
        out = q.command('cat /etc/UPDATED; losetup /dev/loop0; poweroff -f', 'Power down')
        q.finish()
        if 'update 1' in out or 'rootfs.bin.bak' not in out:
            raise RuntimeError('rootfs_bak did not boot the backup:\n' + out)
        return 'update_r.bin became rootfs.bin (old one .bak); rootfs_bak boots the .bak'

    check('update-and-rootfs_bak', update)

    def orderly():
        img = disk('orderly.img')
        q = Qemu(['-kernel', odtab_k, '-hda', img], os.path.join(tmp, 'orderly.log'))
        q.expect(PROMPT, 120)
        q.command('echo orderly > y')
        q.p.stdin.write(b'poweroff\n')
        q.p.stdin.flush()
        q.expect('reboot: Power down', 60)
        q.finish()
        got = sh('mtype', '-i', img, '::local/home/y', env=env)
        fsck = subprocess.run(['fsck.fat', '-n', img], capture_output=True, text=True)
        if got.strip() != 'orderly' or fsck.returncode != 0:
            raise RuntimeError(f'y holds {got!r}; fsck.fat -n: {fsck.stdout}')
        return 'poweroff through init (shutdown actions, umount): file kept, fsck.fat -n clean'

    check('orderly-poweroff', orderly)

    def plain():
        q = Qemu(['-kernel', debian_k, '-initrd', initrd, '-append',
                  'console=ttyS0 nokaslr lpj=400000 cryptomgr.notests'], os.path.join(tmp, 'plain.log'))
        t = q.expect('odtab# ', 120)
        out = q.command('echo $((6*7)); lsmod | wc -l', 'odtab# ')
        q.p.stdin.write(b'poweroff -f\n')
        q.p.stdin.flush()
        q.finish()
        if '\n42\n' not in out:
            raise RuntimeError(out)
        return f'Debian kernel without boot=: plain shell "odtab# " at {t:.2f} s'

    check('debian-plain', plain)

    if opt.icount:
        def icount(kernel, extra, label):
            def run():
                img = disk(f'icount-{label}.img')
                q = Qemu(['-icount', 'shift=0,sleep=off', '-kernel', kernel, '-hda', img] + extra,
                         os.path.join(tmp, f'icount-{label}.log'))
                t = q.expect(PROMPT, 300)
                out = q.command('cat /proc/uptime')
                q.p.stdin.write(b'poweroff -f\n')
                q.p.stdin.flush()
                q.finish()
                up = re.search(r'\n([0-9.]+) ', out).group(1)
                return f'guest uptime at the prompt {up} s (1 ns per instruction), host {t:.2f} s'
            return run
        check('icount-odtab', icount(odtab_k, [], 'odtab'))
        check('icount-debian', icount(debian_k, ['-initrd', initrd, '-append', DEBIAN_APPEND], 'debian'))

    if not opt.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f'{len(failed)} failed' + (f': {" ".join(failed)}' if failed else ''))
    return len(failed)


if __name__ == '__main__':
    sys.exit(main())
