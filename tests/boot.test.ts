import { describe, expect, it } from 'vitest';
import { GuestSession } from './helpers/guest';

// Boots Debian's 6.1 Malta kernel (the built-in guest) and talks to its busybox shell.
describe('built-in guest boot (24Kf)', () => {
  const s = new GuestSession();
  let log = '';

  it('prints the boot log QEMU prints and reaches the shell prompt', () => {
    log = s.waitFor('odtab# ');
    expect(log).toContain('Linux version 6.1.0');
    expect(log).toContain('CPU0 revision is: 00019300 (MIPS 24Kc)');
    expect(log).toContain('FPU revision is: 00739300');
    expect(log).toMatch(/Initial ramdisk at: 0x8fe[0-9a-f]{5} \(\d+ bytes\)/);
    // The Count rate measured against the RTC's update cycle: exactly our 200 MHz clock.
    expect(log).toContain('CPU frequency 200.00 MHz');
    expect(log).toMatch(/Calibrating delay loop \(skipped\) preset value|Calibrating delay loop.*BogoMIPS/);
    expect(log).toContain('PCI host bridge to bus 0000:00');
    expect(log).toContain('pci 0000:00:00.0: [11ab:4620] type 00 class 0x060000');
    expect(log).toContain('pci 0000:00:0a.0: [8086:7110] type 00 class 0x060100');
    expect(log).toContain('pci 0000:00:0a.1: [8086:7111] type 00 class 0x010180');
    expect(log).toContain('pci 0000:00:0a.3: [8086:7113] type 00 class 0x068000');
    expect(log).toMatch(/ttyS0 at I\/O 0x3f8 \(irq = 4, base_baud = 115200\) is a 16550A/);
    expect(log).toContain('printk: console [ttyS0] enabled');
    expect(log).toMatch(/serio: i8042 KBD port at 0x60,0x64 irq 1/);
    expect(log).toMatch(/rtc_cmos 70\.rtc: registered as rtc0/);
    expect(log).toContain('rtc_cmos 70.rtc: setting system clock to 2023-11-14T22:13:');
    expect(log).toContain('Run /init as init process');
    expect(log).not.toMatch(/Oops|Kernel panic|BUG:|Unable to handle|spurious 8259A interrupt: IRQ[0-6]/);
  });

  it('runs commands typed on the serial console', () => {
    expect(s.command('uname -m')).toContain('\nmips\n');
    expect(s.command('echo $((6*7))')).toContain('\n42\n');
    const cpuinfo = s.command('cat /proc/cpuinfo');
    expect(cpuinfo).toMatch(/cpu model\s+: MIPS 24Kc V0\.0\s+FPU V0\.0/);
    expect(cpuinfo).toMatch(/Options implemented\s+:.* fpu /);
    expect(cpuinfo).toMatch(/tlb_entries\s+: 16/);
  });

  it('runs a hard-float glibc program with correct results', () => {
    const out = s.command('floattest');
    expect(out).toContain('sqrt2 1.414214 bits=3ff6a09e667f3bcd');
    expect(out).toContain('sin1 0.841471 bits=3feaed548f090cee');
    expect(out).toContain('floattest: PASS');
  });

  it('keeps time: sleep 2 takes two seconds of guest time', () => {
    const before = s.machine.seconds;
    s.command('sleep 2');
    const took = s.machine.seconds - before;
    expect(took).toBeGreaterThanOrEqual(2);
    expect(took).toBeLessThan(2.5);
  });

  it('powers off with poweroff -f', () => {
    s.type('poweroff -f\n');
    s.waitFor('reboot: Power down');
    s.runUntilOff();
    expect(s.machine.power).toBe('off');
  });
});

describe('built-in guest boot (4KEc, no FPU)', () => {
  it('boots and the kernel emulates the FPU for hard-float programs', () => {
    const s = new GuestSession({ cpu: '4KEc' });
    const log = s.waitFor('odtab# ');
    expect(log).toContain('CPU0 revision is: 00019000 (MIPS 4KEc)');
    expect(log).not.toContain('FPU revision');
    const out = s.command('floattest');
    expect(out).toContain('floattest: PASS');
  });
});

describe('built-in guest boot, interpreter only (no JIT)', () => {
  it('boots to the shell and runs programs the same way', () => {
    const s = new GuestSession({ jit: false });
    s.waitFor('odtab# ');
    expect(s.command('echo $((6*7))')).toContain('\n42\n');
    expect(s.command('floattest')).toContain('floattest: PASS');
  });
});

describe('determinism', () => {
  it('gives the same serial output byte for byte for the same images and input', () => {
    const run = () => {
      const s = new GuestSession();
      s.waitFor('odtab# ');
      s.command('echo $((1+2)); cat /proc/uptime');
      return { out: s.output, cycles: s.machine.clock.cycles };
    };
    const a = run();
    const b = run();
    expect(a.out).toBe(b.out);
    expect(a.cycles).toBe(b.cycles);
  });
});

describe('reset', () => {
  it('reboot in the guest restarts the board and the kernel boots again', () => {
    const s = new GuestSession();
    s.waitFor('odtab# ');
    s.type('reboot -f\n');
    s.waitFor('reboot: Restarting system');
    // The FPGA soft reset rebuilds the board and reloads the images: the kernel starts over.
    const again = s.waitFor('odtab# ');
    expect(again).toContain('Linux version 6.1.0');
    expect(again).toContain('Run /init as init process');
    expect(s.machine.resets).toBe(1);
    expect(s.command('echo $((6*7))')).toContain('\n42\n');
  });
});
