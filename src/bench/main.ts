/**
 * `npm run bench`: how fast odtab boots the built-in guest the OpenDingux way (odtab's kernel,
 * boot disk composed in memory), how fast it boots Debian's kernel with the plain busybox
 * initramfs and runs work inside it, side by side with QEMU when qemu-system-mipsel is installed.
 * Prints figures; asserts nothing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Machine } from '../emu/machine';
import { benchChromium } from './chromium';
import { type DebianGuest, PROMPT, type Result, WORKLOADS, benchDebianGuest } from './workloads';
import { readBuiltinDiskParts } from '../cli/builtin-guest';
import { composeBootDisk } from '../storage/boot-disk';
import type { MemoryDisk } from '../storage/memory-disk';

const GUEST = fileURLToPath(new URL('../public/guest/', import.meta.url));
const OD_PROMPT = 'opendingux:/boot/local/home # ';

function loadGuest(): DebianGuest {
  const manifest = JSON.parse(readFileSync(GUEST + 'manifest.json', 'utf8'));
  return {
    kernel: gunzipSync(readFileSync(GUEST + 'vmlinux.gz')),
    initrd: readFileSync(GUEST + 'initrd.gz'),
    cmdline: manifest.cmdline as string,
  };
}

/** Drives qemu-system-mipsel over its stdio serial console; times are host wall clock. */
async function benchQemu(): Promise<Result | null> {
  const which = spawnSync('sh', ['-c', 'command -v qemu-system-mipsel'], { encoding: 'utf8' });
  if (which.status !== 0) return null;
  const g = loadGuest();
  const dir = mkdtempSync(join(tmpdir(), 'odtab-bench-'));
  writeFileSync(join(dir, 'vmlinux'), g.kernel);
  writeFileSync(join(dir, 'initrd.gz'), g.initrd);
  const t0 = performance.now();
  const q = spawn(
    'qemu-system-mipsel',
    ['-M', 'malta', '-m', '256', '-kernel', join(dir, 'vmlinux'), '-initrd', join(dir, 'initrd.gz'),
      '-append', g.cmdline, '-nographic', '-no-reboot', '-monitor', 'none'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let out = '';
  let waiter: (() => void) | null = null;
  let want = { text: PROMPT, from: 0 };
  q.stdout.on('data', (d: Buffer) => {
    out += d.toString('latin1');
    if (waiter && out.indexOf(want.text, want.from) >= 0) {
      const w = waiter;
      waiter = null;
      w();
    }
  });
  const waitPrompt = (from: number) =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('QEMU did not reach the prompt')), 300_000);
      want = { text: PROMPT, from };
      const done = () => {
        clearTimeout(timer);
        resolve(out.length);
      };
      if (out.indexOf(PROMPT, from) >= 0) done();
      else waiter = done;
    });
  try {
    let mark = await waitPrompt(0);
    const bootSeconds = (performance.now() - t0) / 1000;
    const loops: Result['loops'] = [];
    for (const w of WORKLOADS) {
      if (w.setup) {
        q.stdin.write(w.setup + '\n');
        mark = await waitPrompt(mark);
      }
      const s0 = performance.now();
      q.stdin.write(w.command + '\n');
      mark = await waitPrompt(mark);
      loops.push({ name: w.name, seconds: (performance.now() - s0) / 1000 });
    }
    return { bootSeconds, loops };
  } finally {
    q.kill('SIGKILL');
  }
}

interface BootResult {
  seconds: number;
  instructions?: number;
  guestSeconds?: number;
}

/** The built-in guest as `odtab boot` starts it: odtab's kernel, the composed 64 MiB boot disk. */
function loadOdGuest(): { kernel: Uint8Array; cmdline: string; release: string; disk: MemoryDisk } {
  const manifest = JSON.parse(readFileSync(GUEST + 'manifest.json', 'utf8'));
  return {
    kernel: gunzipSync(readFileSync(GUEST + manifest.odtabKernel.file)),
    cmdline: manifest.odtabKernel.cmdline as string,
    release: manifest.odtabKernel.release as string,
    disk: composeBootDisk(readBuiltinDiskParts(GUEST), { label: 'ODTAB' }),
  };
}

/** Host seconds from nothing (disk composition included) to the OpenDingux prompt. */
function benchOdtabOdBoot(): BootResult {
  const t0 = performance.now();
  const g = loadOdGuest();
  let out = '';
  const m = new Machine({
    kernel: g.kernel,
    commandLine: g.cmdline,
    rtcEpochSeconds: 1_700_000_000,
    hda: g.disk,
    onSerial: (b) => {
      out += String.fromCharCode(b);
    },
  });
  while (!out.includes(OD_PROMPT)) {
    if (m.power === 'off') throw new Error('guest powered off');
    if (out.includes('odtab init:')) throw new Error(`the guest's init failed:\n${out.slice(-500)}`);
    m.run(2_000_000);
  }
  return { seconds: (performance.now() - t0) / 1000, instructions: m.instructions, guestSeconds: m.seconds };
}

/** QEMU with the same kernel (uncompressed) and the same composed disk, as a raw image file. */
async function benchQemuOdBoot(): Promise<BootResult | null> {
  const which = spawnSync('sh', ['-c', 'command -v qemu-system-mipsel'], { encoding: 'utf8' });
  if (which.status !== 0) return null;
  const g = loadOdGuest();
  const dir = mkdtempSync(join(tmpdir(), 'odtab-bench-od-'));
  writeFileSync(join(dir, 'vmlinux-odtab'), g.kernel);
  writeFileSync(join(dir, 'disk.img'), g.disk.toBytes());
  const t0 = performance.now();
  // -drive ...,index=0 is -hda with the format named, so QEMU does not warn about probing it.
  const q = spawn(
    'qemu-system-mipsel',
    ['-M', 'malta', '-m', '256', '-kernel', join(dir, 'vmlinux-odtab'), '-drive', `file=${join(dir, 'disk.img')},format=raw,index=0,media=disk`,
      '-append', g.cmdline, '-nographic', '-no-reboot', '-monitor', 'none'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('QEMU did not reach the OpenDingux prompt')), 300_000);
      q.stdout.on('data', (d: Buffer) => {
        out += d.toString('latin1');
        if (out.includes(OD_PROMPT)) {
          clearTimeout(timer);
          resolve();
        }
      });
      q.on('exit', () => reject(new Error(`QEMU exited before the prompt:\n${out.slice(-500)}`)));
    });
    return { seconds: (performance.now() - t0) / 1000 };
  } finally {
    q.kill('SIGKILL');
  }
}

function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}

async function main(): Promise<void> {
  const od = loadOdGuest();
  console.log(`odtab benchmark\n\nbuilt-in guest, OpenDingux-style boot (odtab kernel ${od.release}, -append ${od.cmdline}, ` +
    `${od.disk.sectors >> 11} MiB FAT boot disk composed in memory, rootfs.bin on /dev/loop0)`);
  const odOurs = benchOdtabOdBoot();
  const odQemu = await benchQemuOdBoot();
  console.log(`boot to '${OD_PROMPT.trim()}': ${fmt(odOurs.seconds)} s host, ${(odOurs.instructions! / 1e6).toFixed(0)} M guest instructions, ` +
    `${fmt(odOurs.guestSeconds!)} s guest time since power-on` +
    (odQemu ? `; QEMU ${fmt(odQemu.seconds)} s (odtab/QEMU time ratio ${fmt(odOurs.seconds / odQemu.seconds)})` : ''));

  console.log('\nDebian 6.1 Malta kernel, busybox initramfs (no disk)');
  const ours = benchDebianGuest(loadGuest());
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  const qemu = await benchQemu();

  console.log(`boot to shell prompt: ${fmt(ours.bootSeconds)} s host, ${(ours.bootInstructions! / 1e6).toFixed(0)} M guest instructions` +
    (qemu ? `; QEMU ${fmt(qemu.bootSeconds)} s (odtab/QEMU time ratio ${fmt(ours.bootSeconds / qemu.bootSeconds)})` : ''));
  console.log('');
  console.log('workload                          odtab s   guest Minstr   odtab MIPS' + (qemu ? '   QEMU s   QEMU MIPS*   ratio' : ''));
  for (let i = 0; i < ours.loops.length; i++) {
    const l = ours.loops[i];
    const mips = l.instructions! / l.seconds / 1e6;
    let line = `${l.name.padEnd(32)} ${fmt(l.seconds).padStart(8)} ${(l.instructions! / 1e6).toFixed(0).padStart(14)} ${mips.toFixed(0).padStart(12)}`;
    if (qemu) {
      const ql = qemu.loops[i];
      line += `${fmt(ql.seconds).padStart(9)} ${(l.instructions! / ql.seconds / 1e6).toFixed(0).padStart(12)} ${fmt(l.seconds / ql.seconds).padStart(7)}`;
    }
    console.log(line);
  }
  if (qemu) console.log('\n* QEMU MIPS = odtab\'s instruction count for the same work / QEMU\'s wall time; ratio = odtab s / QEMU s');
  else console.log('\n(qemu-system-mipsel not installed: no side-by-side figures)');
  console.log(`peak host memory (RSS): ${peakMiB.toFixed(0)} MiB for 256 MiB of guest RAM`);

  console.log(`\nthe same in Chromium, the web app's engine (a Web Worker in headless ${process.env.CHROMIUM ?? '/usr/bin/chromium'})`);
  const web = await benchChromium();
  if ('skipped' in web) {
    console.log(`(skipped: ${web.skipped})`);
    return;
  }
  console.log(`boot to shell prompt: ${fmt(web.bootSeconds)} s host (Node ${fmt(ours.bootSeconds)} s)`);
  console.log('');
  console.log('workload                        Chromium s   Chromium MIPS   Node MIPS');
  web.loops.forEach((l, i) => {
    const node = ours.loops[i];
    console.log(`${l.name.padEnd(32)} ${fmt(l.seconds).padStart(9)} ${(l.instructions! / l.seconds / 1e6).toFixed(0).padStart(15)}` +
      `${(node.instructions! / node.seconds / 1e6).toFixed(0).padStart(12)}`);
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
