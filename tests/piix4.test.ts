import { describe, expect, it } from 'vitest';
import { Clock } from '../src/emu/clock';
import { IoSpace } from '../src/emu/bus/io-space';
import type { AccessSize, IoDevice } from '../src/emu/bus/types';
import { GT_PCI0_CFGADDR, GT_PCI0_CFGDATA, Gt64120 } from '../src/emu/devices/gt64120';
import { PCI_COMMAND_INTX_DISABLE, PciBus, PciFunction } from '../src/emu/devices/pci';
import { PIIX4_RCR_PORT, Piix4 } from '../src/emu/devices/piix4';
import { PM_TIMER_HZ } from '../src/emu/devices/piix4-pm';

/** Records every access so tests can see where the bus delivered it. */
class Recorder implements IoDevice {
  readonly log: string[] = [];
  read(offset: number, size: AccessSize): number {
    this.log.push(`r${size}@${offset}`);
    return 0x5a;
  }
  write(offset: number, size: AccessSize, value: number): void {
    this.log.push(`w${size}@${offset}=${value.toString(16)}`);
  }
}

/** A plug-in card with INTA and a 4 KiB prefetchable memory BAR, standing in for a NIC. */
class Card extends PciFunction {
  readonly maps: (number | null)[] = [];
  constructor(readonly regsDev: IoDevice) {
    super({ vendorId: 0x1234, deviceId: 0x5678, revision: 1, classCode: 0x020000, interruptPin: 1 });
    this.defineBar(0, { size: 0x1000, type: 'mem', prefetchable: true, device: regsDev, onMap: (a) => this.maps.push(a) });
    this.defineBar(1, { size: 0x20, type: 'io', device: regsDev });
  }
}

function machine(opts: { usb?: boolean } = {}) {
  const clock = new Clock();
  const io = new IoSpace();
  const irqs: [number, boolean][] = [];
  const bus = new PciBus(io, (irq, level) => irqs.push([irq, level]));
  const gt = new Gt64120({ bus, iack: () => 0 });
  gt.applyBootStub();
  let powerOffs = 0;
  let resets = 0;
  const piix4 = new Piix4(bus, {
    clock,
    onPowerOff: () => powerOffs++,
    onReset: () => resets++,
    usb: opts.usb,
  });
  io.map(PIIX4_RCR_PORT, 1, piix4.resetControl);
  return { clock, io, bus, gt, piix4, irqs, powerOffs: () => powerOffs, resets: () => resets };
}

/** Config cycles exactly as Linux's ops-gt64xxx_pci0.c does them (dword + read-modify-write). */
function cfg(gt: Gt64120, slot: number, fn: number) {
  const addr = (where: number) => (0x80000000 | (slot << 11) | (fn << 8) | (where & 0xfc)) >>> 0;
  const dword = (where: number) => {
    gt.regs.write(0xc18, 4, 0xfff3ffff);
    gt.regs.write(GT_PCI0_CFGADDR, 4, addr(where));
    return gt.regs.read(GT_PCI0_CFGDATA, 4);
  };
  return {
    read(where: number, size: 1 | 2 | 4): number {
      const d = dword(where);
      return size === 4 ? d : (d >>> ((where & 3) * 8)) & (size === 1 ? 0xff : 0xffff);
    },
    write(where: number, size: 1 | 2 | 4, val: number): void {
      let data = val >>> 0;
      if (size !== 4) {
        const sh = (where & 3) * 8;
        const mask = (size === 1 ? 0xff : 0xffff) << sh;
        data = ((dword(where) & ~mask) | ((val << sh) & mask)) >>> 0;
      }
      gt.regs.write(0xc18, 4, 0xfff3ffff);
      gt.regs.write(GT_PCI0_CFGADDR, 4, addr(where));
      gt.regs.write(GT_PCI0_CFGDATA, 4, data);
    },
  };
}

describe('PIIX4 function 0 (ISA bridge)', () => {
  it('presets PIRQA-D to IRQ 10, 10, 11, 11 and keeps Linux\'s fixup writes', () => {
    const { gt } = machine();
    const f0 = cfg(gt, 10, 0);
    expect(f0.read(0x60, 4)).toBe(0x0b0b0a0a);
    // malta_piix_func0_fixup / quirk_dlcsetup
    f0.write(0x69, 1, f0.read(0x69, 1) | 0xf0);
    f0.write(0xb0, 4, f0.read(0xb0, 4) | (1 << 16));
    f0.write(0x64, 1, f0.read(0x64, 1) | 0xc0);
    f0.write(0x82, 1, f0.read(0x82, 1) | 0x07);
    f0.write(0x04, 2, f0.read(0x04, 2) | 0x0008);
    expect(f0.read(0x69, 1)).toBe(0xf2);
    expect(f0.read(0xb0, 4)).toBe(0x00010000);
    expect(f0.read(0x64, 1)).toBe(0xc0);
    expect(f0.read(0x82, 1)).toBe(0x07);
    expect(f0.read(0x04, 2)).toBe(0x000f);
    // The read-modify-writes above touched neighbours in the same dwords without changing them.
    expect(f0.read(0x60, 4)).toBe(0x0b0b0a0a);
    expect(f0.read(0x68, 4) & 0xffff00ff).toBe(0);
  });

  it('IDs, class and header type are read-only', () => {
    const { gt } = machine();
    const f0 = cfg(gt, 10, 0);
    f0.write(0x00, 4, 0xffffffff);
    f0.write(0x08, 4, 0xffffffff);
    f0.write(0x0c, 4, 0x00ff0000);
    expect(f0.read(0x00, 4)).toBe(0x71108086);
    expect(f0.read(0x08, 4)).toBe(0x06010000);
    expect(f0.read(0x0e, 1)).toBe(0x80);
  });
});

describe('PIIX4 function 1 (IDE)', () => {
  it('sizes BAR4 as 16 bytes of I/O and leaves BAR0-3 unimplemented', () => {
    const { gt } = machine();
    const f1 = cfg(gt, 10, 1);
    expect(f1.read(0x20, 4)).toBe(0x00000001);
    f1.write(0x20, 4, 0xffffffff);
    expect(f1.read(0x20, 4)).toBe(0xfffffff1);
    f1.write(0x10, 4, 0xffffffff);
    expect(f1.read(0x10, 4)).toBe(0);
    expect(f1.read(0x08, 4)).toBe(0x01018000);
  });

  it('stores IDETIM with halfword/byte read-modify-writes', () => {
    const { gt } = machine();
    const f1 = cfg(gt, 10, 1);
    f1.write(0x40, 2, 0x1234);
    f1.write(0x42, 2, 0x0055);
    f1.write(0x41, 1, f1.read(0x41, 1) | 0x80); // decode enable, as fixup-malta does
    f1.write(0x43, 1, f1.read(0x43, 1) | 0x80);
    expect(f1.read(0x40, 4)).toBe(0x80559234);
    f1.write(0x40, 2, 0xe307);
    expect(f1.read(0x40, 2)).toBe(0xe307);
    expect(f1.read(0x42, 2)).toBe(0x8055);
  });

  it('maps the BM-DMA block at BMIBA only with I/O decode and a handler, and moves it', () => {
    const { gt, io, piix4 } = machine();
    const f1 = cfg(gt, 10, 1);
    const bm = new Recorder();
    f1.write(0x20, 4, 0x10c0);
    f1.write(0x04, 2, 0x0005);
    expect(piix4.ide.bmdmaBase()).toBe(0x10c0);
    expect(io.read(0x10c2, 1)).toBe(0xff); // no handler yet: nothing decodes
    piix4.ide.attachBmdma(bm);
    expect(io.read(0x10c2, 1)).toBe(0x5a);
    io.write(0x10c4, 4, 0x1000);
    expect(bm.log).toEqual(['r1@2', 'w4@4=1000']);
    f1.write(0x20, 4, 0x1080);
    expect(io.read(0x10c2, 1)).toBe(0xff);
    io.read(0x108a, 1);
    expect(bm.log.at(-1)).toBe('r1@10');
    f1.write(0x04, 2, 0x0004); // I/O decode off
    expect(piix4.ide.bmdmaBase()).toBeNull();
    expect(io.read(0x108a, 1)).toBe(0xff);
  });
});

describe('PIIX4 function 3 (power management)', () => {
  it('has the right identity and QEMU\'s SMBus preset', () => {
    const { gt, io } = machine();
    const f3 = cfg(gt, 10, 3);
    expect(f3.read(0x00, 4)).toBe(0x71138086);
    expect(f3.read(0x08, 4)).toBe(0x06800003);
    expect(f3.read(0x40, 4)).toBe(0x00000001);
    expect(f3.read(0x90, 4)).toBe(0x00001101);
    // Idle SMBus host at 0x1100; the PM block is not decoded yet.
    expect(io.read(0x1100, 1)).toBe(0);
    expect(io.read(0x1000, 2)).toBe(0xffff);
  });

  it('PMBA + PMREGMISC enable the PM block; a 16-bit 0x2000 to PMBA+4 powers off', () => {
    const m = machine();
    const f3 = cfg(m.gt, 10, 3);
    f3.write(0x40, 2, 0x1000);
    expect(f3.read(0x40, 4)).toBe(0x00001001); // bit 0 is hardwired (I/O space)
    expect(m.io.read(0x1000, 2)).toBe(0xffff); // still disabled
    m.io.write(0x1004, 2, 0x2000);
    expect(m.powerOffs()).toBe(0);
    f3.write(0x80, 1, f3.read(0x80, 1) | 1);
    expect(m.piix4.pm.pmBase()).toBe(0x1000);

    // piix4_poweroff(): clear PWRBTN_STS, then SUS_EN with SUS_TYP = soft-off.
    m.piix4.pm.latchPm1Status(1 << 8);
    let sts = m.io.read(0x1000, 2);
    expect(sts & 0x100).toBe(0x100);
    while (sts & 0x100) {
      m.io.write(0x1000, 2, sts);
      sts = m.io.read(0x1000, 2);
    }
    m.io.write(0x1004, 2, 0x2000);
    expect(m.powerOffs()).toBe(1);
    expect(m.io.read(0x1004, 2) & 0x2000).toBe(0); // SUS_EN is write-only
  });

  it('other sleep types do not power off, and SCI_EN/SUS_TYP are stored', () => {
    const m = machine();
    const f3 = cfg(m.gt, 10, 3);
    f3.write(0x40, 2, 0x1000);
    f3.write(0x80, 1, 1);
    m.io.write(0x1004, 2, 0x2000 | (1 << 10) | 1); // suspend-to-RAM type
    expect(m.powerOffs()).toBe(0);
    expect(m.io.read(0x1004, 2)).toBe((1 << 10) | 1);
  });

  it('PM timer counts at 3.579545 MHz of virtual time and wraps at 24 bits', () => {
    const m = machine();
    const f3 = cfg(m.gt, 10, 3);
    f3.write(0x40, 2, 0x1000);
    f3.write(0x80, 1, 1);
    expect(m.io.read(0x1008, 4)).toBe(0);
    m.clock.cycles = m.clock.hz; // 1 s
    expect(m.io.read(0x1008, 4)).toBe(PM_TIMER_HZ);
    m.clock.cycles = m.clock.hz * 10 + m.clock.hz / 2; // 10.5 s
    const ticks = 10 * PM_TIMER_HZ + Math.floor(PM_TIMER_HZ / 2);
    expect(m.io.read(0x1008, 4)).toBe(ticks % 0x1000000);
    expect(m.io.read(0x1008, 4)).toBeLessThan(0x1000000);
    // Bit 23 toggled, so TMROF_STS is set until written with 1.
    expect(m.io.read(0x1000, 2) & 1).toBe(1);
    m.io.write(0x1000, 2, 1);
    expect(m.io.read(0x1000, 2) & 1).toBe(0);
    // Hours in: still exact.
    m.clock.cycles = m.clock.hz * 3600;
    expect(m.io.read(0x1008, 4)).toBe((3600 * PM_TIMER_HZ) % 0x1000000);
  });

  it('disabling PMREGMISC or moving PMBA moves the block', () => {
    const m = machine();
    const f3 = cfg(m.gt, 10, 3);
    f3.write(0x40, 2, 0x1000);
    f3.write(0x80, 1, 1);
    m.io.write(0x100c + 0x20, 1, 0x42); // GLBEN-area scratch (stored)
    expect(m.io.read(0x102c, 1)).toBe(0x42);
    f3.write(0x40, 2, 0x2000);
    expect(m.io.read(0x102c, 1)).toBe(0xff);
    expect(m.io.read(0x202c, 1)).toBe(0x42);
    f3.write(0x80, 1, 0);
    expect(m.io.read(0x202c, 1)).toBe(0xff);
  });
});

describe('reset control register (0xCF9)', () => {
  it('bit 2 resets, bit 1 is stored', () => {
    const m = machine();
    m.io.write(PIIX4_RCR_PORT, 1, 0x02);
    expect(m.io.read(PIIX4_RCR_PORT, 1)).toBe(0x02);
    expect(m.resets()).toBe(0);
    m.io.write(PIIX4_RCR_PORT, 1, 0x06);
    expect(m.resets()).toBe(1);
  });
});

describe('PCI INTx routing through PIIX4 PIRQ', () => {
  it('routes per the Malta slot table and ORs shared lines', () => {
    const m = machine({ usb: true });
    const slot19 = new Card(new Recorder()); // INTA -> PIRQB -> IRQ10
    const slot11 = new Card(new Recorder()); // ethernet slot: INTA -> PIRQB -> IRQ10
    const slot20 = new Card(new Recorder()); // INTA -> PIRQC -> IRQ11
    m.bus.attach(19, 0, slot19);
    m.bus.attach(11, 0, slot11);
    m.bus.attach(20, 0, slot20);
    expect(PciBus.pirqFor(21, 2)).toBe(0); // slot 21 INTB -> PIRQA
    expect(PciBus.pirqFor(18, 4)).toBe(3);

    slot19.setIntx(true);
    expect(m.irqs).toEqual([[10, true]]);
    slot11.setIntx(true);
    slot19.setIntx(false);
    expect(m.irqs).toEqual([[10, true]]); // still held by slot 11
    slot20.setIntx(true);
    expect(m.irqs.at(-1)).toEqual([11, true]);
    slot11.setIntx(false);
    expect(m.irqs.at(-1)).toEqual([10, false]);
    expect(slot11.configRead(0x06, 2) & 0x08).toBe(0); // interrupt status follows the pin
    slot11.setIntx(true);
    expect(slot11.configRead(0x06, 2) & 0x08).toBe(8);
    expect(m.irqs.at(-1)).toEqual([10, true]);
  });

  it('follows PIRQRC changes: disabled routing drops the line, re-routing moves it', () => {
    const m = machine();
    const card = new Card(new Recorder());
    m.bus.attach(19, 0, card);
    card.setIntx(true);
    expect(m.irqs).toEqual([[10, true]]);
    const f0 = cfg(m.gt, 10, 0);
    f0.write(0x61, 1, 0x80); // PIRQB disabled
    expect(m.irqs.at(-1)).toEqual([10, false]);
    f0.write(0x61, 1, 0x05); // PIRQB -> IRQ5
    expect(m.irqs.at(-1)).toEqual([5, true]);
  });

  it('the INTx-disable command bit masks the pin', () => {
    const m = machine();
    const card = new Card(new Recorder());
    m.bus.attach(19, 0, card);
    card.configWrite(0x04, 2, PCI_COMMAND_INTX_DISABLE);
    card.setIntx(true);
    expect(m.irqs).toEqual([]);
    card.configWrite(0x04, 2, 0);
    expect(m.irqs).toEqual([[10, true]]);
  });

  it('PIIX4 USB (slot 10, INTD) lands on PIRQD -> IRQ 11', () => {
    const m = machine({ usb: true });
    m.piix4.usb!.setIntx(true);
    expect(m.irqs).toEqual([[11, true]]);
  });
});

describe('generic BARs', () => {
  it('memory BAR sizes with flags, decodes only with the memory enable and is found by address', () => {
    const m = machine();
    const dev = new Recorder();
    const card = new Card(dev);
    m.bus.attach(18, 0, card);
    const c = cfg(m.gt, 18, 0);
    c.write(0x10, 4, 0xffffffff);
    expect(c.read(0x10, 4)).toBe(0xfffff008);
    c.write(0x14, 4, 0xffffffff);
    expect(c.read(0x14, 4)).toBe(0xffffffe1);
    c.write(0x10, 4, 0x12050000);
    expect(m.bus.findMemory(0x12050010)).toBeNull();
    const gen = m.bus.memoryGeneration;
    c.write(0x04, 2, 0x0002);
    const hit = m.bus.findMemory(0x12050010);
    expect(hit?.device).toBe(dev);
    expect(hit?.offset).toBe(0x10);
    expect(m.bus.findMemory(0x12051000)).toBeNull();
    expect(m.bus.memoryGeneration).toBeGreaterThan(gen);
    c.write(0x04, 2, 0x0000);
    expect(m.bus.findMemory(0x12050010)).toBeNull();
    expect(card.maps).toEqual([0x12050000, null]);
  });

  it('a config write of all ones to a decoding BAR does not map it at the top of the space', () => {
    const m = machine();
    const card = new Card(new Recorder());
    m.bus.attach(18, 0, card);
    card.configWrite(0x10, 4, 0x10000000);
    card.configWrite(0x04, 2, 0x0002);
    card.configWrite(0x10, 4, 0xffffffff);
    expect(m.bus.findMemory(0xfffff000)).toBeNull();
    expect(card.maps).toEqual([0x10000000, null]);
  });

  it('absent functions read all ones for every size', () => {
    const m = machine();
    expect(m.bus.configRead(0, 5, 0, 0, 4)).toBe(0xffffffff);
    expect(m.bus.configRead(0, 5, 0, 0, 2)).toBe(0xffff);
    expect(m.bus.configRead(1, 0, 0, 0, 4)).toBe(0xffffffff);
  });
});
