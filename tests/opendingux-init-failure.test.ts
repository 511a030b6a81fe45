/**
 * The guest's side of bad boot disks. The CLI refuses these before booting (cli-boot-disks tests
 * that); through the Machine API nothing stops them, and the initramfs's /init must say what is
 * wrong in one line and give a shell on the console, as mininit-style inits do.
 */
import { describe, expect, it } from 'vitest';
import { OD_PROMPT, RESCUE_PROMPT, builtinParts, composedDisk, odSession } from './helpers/od-guest';

function bootToRescue(rootfs: Uint8Array | undefined): string {
  const parts = { ...builtinParts(), rootfs };
  const s = odSession({ hda: composedDisk(parts) });
  const log = s.waitFor(RESCUE_PROMPT).replace(/\r/g, '');
  expect(log).not.toContain(OD_PROMPT);
  // The rescue shell runs commands.
  expect(s.command('echo $((6*7)); ls /boot', RESCUE_PROMPT)).toMatch(/\n42\n.*local/s);
  return log;
}

describe('the initramfs /init on a bad boot disk: one line, then a rescue shell', () => {
  it('a disk with no rootfs.bin', () => {
    const log = bootToRescue(undefined);
    expect(log).toContain('odtab init: /boot/rootfs.bin not found on /dev/sda (loop0=/boot/rootfs.bin); starting a rescue shell\n');
    expect(log.match(/odtab init:/g)).toHaveLength(1);
  });

  it('a rootfs.bin that is not squashfs', () => {
    const log = bootToRescue(new TextEncoder().encode('#!/bin/sh\necho not a file system\n'));
    expect(log).toContain("odtab init: /boot/rootfs.bin is not a squashfs image (no 'hsqs' magic) (loop0=/boot/rootfs.bin); starting a rescue shell\n");
    expect(log.match(/odtab init:/g)).toHaveLength(1);
  });
});
