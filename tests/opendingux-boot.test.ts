/**
 * The built-in guest booted the OpenDingux way through the Machine API: odtab's kernel (its
 * command line and mininit-style initramfs built in) and a boot disk composed in memory by
 * odtab's FAT code from rootfs.bin and local/. One boot serves every check, in order.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FatVolume, checkBootImage } from '../src/storage/fat';
import { HAVE_FAT_TOOLS, NEEDS_TOOLS, fsckProblems, tempDir } from './helpers/fat-tools';
import { OD_PROMPT, ShortBacking, builtinParts, composedDisk, manifest, odSession } from './helpers/od-guest';

/** The drive claims this many sectors more than the composed disk holds (see ShortBacking). */
const MISSING = 2048;

describe('built-in guest: odtab kernel + composed FAT boot disk', () => {
  const disk = composedDisk();
  const drive = new ShortBacking(disk, MISSING);
  const s = odSession({ hda: drive });
  const cmd = (line: string) => s.command(line, OD_PROMPT);

  it('the composed disk is what the boot needs: FAT16, squashfs rootfs.bin, local/ with its folders', () => {
    const report = checkBootImage(disk);
    expect(report.errors).toEqual([]);
    expect(report.fatBits).toBe(16);
    expect(report.rootfs?.name).toBe('rootfs.bin');
    const vol = FatVolume.open(disk);
    expect(Buffer.from(vol.readFile('rootfs.bin')).equals(builtinParts().rootfs!)).toBe(true);
    expect(vol.list('local').map((e) => e.name).sort()).toEqual(['apps', 'etc', 'home']);
    expect(vol.list('local/etc/init.d').map((e) => e.name)).toEqual(['S90example.sh']);
  });

  it('boots through the initramfs, the loop-mounted rootfs and rcS to the root shell', () => {
    const log = s.waitFor(OD_PROMPT).replace(/\r/g, '');
    expect(log).toContain(`Linux version ${manifest.odtabKernel.release} `);
    // Only lpj= comes from odtab; Malta adds the console, the kernel its built-in OpenDingux line.
    expect(log).toContain(`Kernel command line: ${manifest.odtabKernel.cmdline} console=ttyS0,38400n8r ${manifest.odtabKernel.builtinCmdline}`);
    expect(log).toContain('ata1.00: ATA-7: ODTAB HARDDISK');
    expect(log).toContain(`sd 0:0:0:0: [sda] ${disk.sectors + MISSING} 512-byte logical blocks`);
    expect(log).toContain('Run /init as init process');
    expect(log).toMatch(/loop0: detected capacity change from 0 to \d+/);
    expect(log).toContain('local/etc/init.d/S90example.sh: hello from the FAT disk');
    expect(log).not.toContain('odtab init:');
    expect(log).not.toMatch(/Oops|Kernel panic|BUG:|Unable to handle|I\/O error/);
  });

  it('is the OpenDingux shape: rootfs on /dev/loop0 (squashfs, ro), the disk on /boot (vfat, rw), /usr/local on the disk', () => {
    expect(cmd('uname -r')).toContain(`\n${manifest.odtabKernel.release}\n`);
    const mounts = cmd('cat /proc/mounts');
    expect(mounts).toMatch(/^\/dev\/loop0 \/ squashfs ro[, ]/m);
    expect(mounts).toMatch(/^\/dev\/sda \/boot vfat rw[, ]/m);
    const ls = cmd('ls /usr/local').split('\n');
    expect(ls[1]!.trim().split(/\s+/)).toEqual(['apps', 'etc', 'home']);
    expect(cmd('readlink /usr/local; pwd')).toContain('\n/boot/local\n/boot/local/home\n');
  });

  it('a file written in the guest is on the composed disk, readable by odtab\'s FAT code', () => {
    cmd('echo made in the guest > /boot/local/home/x; sync');
    expect(new TextDecoder().decode(FatVolume.open(disk).readFile('local/home/x'))).toBe('made in the guest\n');
  });

  it('past the end of the disk: the guest gets an I/O error from the drive, the machine goes on', () => {
    expect(cmd('cat /sys/block/sda/size')).toContain(`\n${disk.sectors + MISSING}\n`);
    // 4 KiB blocks: block 16385 is sectors 131080..131087, past the 131072 the backend holds.
    const first = disk.sectors / 8 + 1;
    const read = cmd(`dd if=/dev/sda of=/dev/null bs=4096 skip=${first} count=1 iflag=direct; echo rc=$?`);
    expect(read).toMatch(/res 41\/04:/); // status ERR|DRDY, error ABRT: the drive refused
    expect(read).toContain(`I/O error, dev sda, sector ${disk.sectors + 8} op 0x0:(READ)`);
    expect(read).toContain('dd: /dev/sda: Input/output error\nrc=1\n');
    const write = cmd(`dd if=/dev/zero of=/dev/sda bs=4096 seek=${first} count=1 oflag=direct; echo rc=$?`);
    expect(write).toContain(`I/O error, dev sda, sector ${disk.sectors + 8} op 0x1:(WRITE)`);
    expect(write).toContain("dd: error writing '/dev/sda': Input/output error");
    expect(write).toContain('rc=1\n');
    expect(drive.refused).toBeGreaterThan(0);
    // Past the end the drive reports, Linux itself refuses before asking the drive.
    const refusedBefore = drive.refused;
    const beyond = cmd('n=$(cat /sys/block/sda/size); dd if=/dev/zero of=/dev/sda bs=512 seek=$n count=1; echo rc=$?');
    expect(beyond).toContain("dd: error writing '/dev/sda': No space left on device");
    expect(drive.refused).toBe(refusedBefore);
    // The disk and the shell still work.
    expect(cmd('echo $((6*7)); cat /boot/local/home/x')).toContain('\n42\nmade in the guest\n');
    expect(s.machine.power).toBe('running');
  });

  it('powers off with poweroff -f, leaving a disk odtab and fsck.fat find clean', () => {
    s.type('poweroff -f\n');
    s.waitFor('reboot: Power down');
    s.runUntilOff();
    expect(s.machine.power).toBe('off');
    const report = checkBootImage(disk);
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    if (HAVE_FAT_TOOLS) {
      const image = join(tempDir('od-boot'), 'composed.img');
      writeFileSync(image, disk.toBytes());
      expect(fsckProblems(image)).toEqual([]);
    } else {
      console.warn(`fsck.fat check skipped${NEEDS_TOOLS}`);
    }
  });
});
