import { describe, expect, it } from 'vitest';
import { Clock } from '../src/emu/clock';
import { IoSpace } from '../src/emu/bus/io-space';
import {
  GT_INTRCAUSE,
  GT_ISD,
  GT_PCI0_CFGADDR,
  GT_PCI0_CFGDATA,
  GT_PCI0_CMD,
  GT_PCI0_IACK,
  GT_PCI0IOHD,
  GT_PCI0IOLD,
  GT_PCI0IOREMAP,
  GT_PCI0M0HD,
  GT_PCI0M0LD,
  GT_PCI0M0REMAP,
  GT_PCI0M1HD,
  GT_PCI0M1LD,
  GT_PCI0M1REMAP,
  GT_PCI0SYNC,
  Gt64120,
} from '../src/emu/devices/gt64120';
import { PciBus } from '../src/emu/devices/pci';
import { Piix4 } from '../src/emu/devices/piix4';

const MASABORT0 = 1 << 18;
const TARABORT0 = 1 << 19;

function machine(opts: { usb?: boolean; iack?: () => number } = {}) {
  const io = new IoSpace();
  const bus = new PciBus(io, () => {});
  let remaps = 0;
  const gt = new Gt64120({ bus, iack: opts.iack ?? (() => 0), onRemap: () => remaps++ });
  const piix4 = new Piix4(bus, { clock: new Clock(), onPowerOff: () => {}, onReset: () => {}, usb: opts.usb });
  return { io, bus, gt, piix4, remaps: () => remaps };
}

/** Linux's gt64xxx_pci0_pcibios_config_access, returning null where Linux reports an error. */
function linuxConfigAccess(gt: Gt64120, busnum: number, devfn: number, where: number, write?: number): number | null {
  if (busnum === 0 && devfn >= 31 << 3) return null;
  gt.regs.write(GT_INTRCAUSE, 4, ~(MASABORT0 | TARABORT0) >>> 0);
  gt.regs.write(GT_PCI0_CFGADDR, 4, ((busnum << 16) | (devfn << 8) | ((where >> 2) << 2) | 0x80000000) >>> 0);
  let data = 0;
  if (write !== undefined) gt.regs.write(GT_PCI0_CFGDATA, 4, write);
  else data = gt.regs.read(GT_PCI0_CFGDATA, 4);
  if (gt.regs.read(GT_INTRCAUSE, 4) & (MASABORT0 | TARABORT0)) return null;
  return data;
}

function linuxRead(gt: Gt64120, devfn: number, where: number, size: 1 | 2 | 4): number {
  const d = linuxConfigAccess(gt, 0, devfn, where);
  if (d === null) throw new Error('config access failed');
  const sh = (where & 3) * 8;
  return size === 4 ? d : (d >>> sh) & (size === 1 ? 0xff : 0xffff);
}

function linuxWrite(gt: Gt64120, devfn: number, where: number, size: 1 | 2 | 4, val: number): void {
  let data = val >>> 0;
  if (size !== 4) {
    const cur = linuxConfigAccess(gt, 0, devfn, where)!;
    const sh = (where & 3) * 8;
    const mask = (size === 1 ? 0xff : 0xffff) << sh;
    data = ((cur & ~mask) | ((val << sh) & mask)) >>> 0;
  }
  linuxConfigAccess(gt, 0, devfn, where, data);
}

const devfn = (slot: number, fn: number) => (slot << 3) | fn;

describe('GT-64120 register block', () => {
  it('has the datasheet reset decode without the boot stub', () => {
    const { gt } = machine();
    expect(gt.regs.read(GT_ISD, 4)).toBe(0xa0);
    expect(gt.isdBase()).toBe(0x14000000);
    expect(gt.regs.read(0x000, 4)).toBe(0x1000); // little-endian CPU interface
    expect(gt.regs.read(GT_PCI0IOLD, 4)).toBe(0x80);
    expect(gt.regs.read(GT_PCI0IOHD, 4)).toBe(0x0f);
    expect(gt.regs.read(GT_PCI0M0LD, 4)).toBe(0x90);
    expect(gt.regs.read(GT_PCI0M0HD, 4)).toBe(0x1f);
    expect(gt.regs.read(GT_PCI0M1LD, 4)).toBe(0x790);
    expect(gt.regs.read(GT_PCI0M1HD, 4)).toBe(0x1f);
    expect(gt.regs.read(GT_PCI0_CMD, 4)).toBe(0x00010001);
    expect(gt.ioWindow()).toEqual({ base: 0x10000000, size: 32 << 20 });
    expect(gt.mem0Window()).toEqual({ base: 0x12000000, size: 32 << 20 });
    expect(gt.mem1Window()).toEqual({ base: 0xf2000000, size: 32 << 20 });
  });

  it('applyBootStub leaves the state QEMU hands to the kernel', () => {
    const m = machine();
    const before = m.remaps();
    m.gt.applyBootStub();
    const r = (o: number) => m.gt.regs.read(o, 4);
    expect(r(GT_ISD)).toBe(0xdf);
    expect(m.gt.isdBase()).toBe(0x1be00000);
    expect([r(GT_PCI0IOLD), r(GT_PCI0IOHD)]).toEqual([0xc0, 0x40]);
    expect([r(GT_PCI0M0LD), r(GT_PCI0M0HD)]).toEqual([0x80, 0x3f]);
    expect([r(GT_PCI0M1LD), r(GT_PCI0M1HD)]).toEqual([0xc1, 0x5e]);
    // LD writes are copied into the remap registers.
    expect([r(GT_PCI0IOREMAP), r(GT_PCI0M0REMAP), r(GT_PCI0M1REMAP)]).toEqual([0xc0, 0x80, 0xc1]);
    expect(m.gt.ioWindow()).toEqual({ base: 0x18000000, size: 2 << 20 });
    expect(m.gt.mem0Window()).toEqual({ base: 0x10000000, size: 128 << 20 });
    expect(m.gt.mem1Window()).toEqual({ base: 0x18200000, size: 0x1be00000 - 0x18200000 });
    expect(m.remaps()).toBeGreaterThan(before);
  });

  it('moves the register block when ISD is written and reports it', () => {
    const m = machine();
    const before = m.remaps();
    m.gt.regs.write(GT_ISD, 4, 0xdf);
    expect(m.gt.isdBase()).toBe(0x1be00000);
    expect(m.remaps()).toBe(before + 1);
    m.gt.regs.write(GT_ISD, 4, 0xdf); // no move, no remap
    expect(m.remaps()).toBe(before + 1);
  });

  it('gives Linux the resources it logs (prom_init + mips_pcibios_init arithmetic)', () => {
    const { gt } = machine();
    gt.applyBootStub();
    const r = (o: number) => gt.regs.read(o, 4);
    // prom_init: "Fix up PCI I/O mapping if necessary" writes IOREMAP = 0; the window stays.
    const start0 = r(GT_PCI0IOLD);
    let map0 = r(GT_PCI0IOREMAP);
    if ((start0 & map0) !== 0) {
      map0 &= ~start0;
      gt.regs.write(GT_PCI0IOREMAP, 4, map0);
    }
    expect(r(GT_PCI0IOREMAP)).toBe(0);
    expect(gt.ioWindow()).toEqual({ base: 0x18000000, size: 2 << 20 });
    expect((r(GT_PCI0IOLD) & 0xffff) * 2 ** 21).toBe(0x18000000); // mips_io_port_base source

    // mips_pcibios_init: pick the wider memory window and compute mem_offset.
    const HD = 0x7f;
    let start = r(GT_PCI0M0LD);
    let end = (r(GT_PCI0M0HD) & HD) | (start & ~HD);
    let map = r(GT_PCI0M0REMAP);
    const start1 = r(GT_PCI0M1LD);
    const end1 = (r(GT_PCI0M1HD) & HD) | (start1 & ~HD);
    const map1 = r(GT_PCI0M1REMAP);
    if (end1 - start1 > end - start) [start, end, map] = [start1, end1, map1];
    const mask = ~(start ^ end);
    expect([start * 2 ** 21, end * 2 ** 21 + 0x1fffff]).toEqual([0x10000000, 0x17ffffff]);
    expect((start & mask) - (map & mask)).toBe(0); // mem_offset
    const ioStart = r(GT_PCI0IOLD);
    const ioEnd = (r(GT_PCI0IOHD) & HD) | (ioStart & ~HD);
    const ioMask = ~(ioStart ^ ioEnd);
    const ioMap = r(GT_PCI0IOREMAP);
    expect([(ioMap & ioMask) * 2 ** 21, ((ioMap & ioMask) | (~ioMask & 0x7fff)) * 2 ** 21 + 0x1fffff]).toEqual([
      0, 0x1fffff,
    ]);
  });

  it('keeps a window while its LD/HD pair is inconsistent', () => {
    const { gt } = machine();
    gt.regs.write(GT_PCI0IOLD, 4, 0xc0); // LD & 0x7f = 0x40 > HD 0x0f: mid-update
    expect(gt.ioWindow()).toEqual({ base: 0x10000000, size: 32 << 20 });
    gt.regs.write(GT_PCI0IOHD, 4, 0x40);
    expect(gt.ioWindow()).toEqual({ base: 0x18000000, size: 2 << 20 });
  });

  it('interrupt cause is write-0-to-clear and reads 0 after Linux clears it', () => {
    const { gt } = machine();
    gt.regs.write(GT_INTRCAUSE, 4, 0xfff3ffff);
    expect(gt.regs.read(GT_INTRCAUSE, 4)).toBe(0);
    gt.regs.write(0xc1c, 4, 0xffffffff);
    expect(gt.regs.read(0xc1c, 4)).toBe(0x3c3ffffe);
  });

  it('PCI0SYNC reads junk and ignores writes', () => {
    const { gt } = machine();
    gt.regs.write(GT_PCI0SYNC, 4, 0x12345678);
    expect(gt.regs.read(GT_PCI0SYNC, 4)).toBe(0xc000ffee);
  });

  it('stores ordinary registers and reads them back', () => {
    const { gt } = machine();
    gt.regs.write(0x448, 4, 0xdeadbeef); // SDRAM config
    expect(gt.regs.read(0x448, 4)).toBe(0xdeadbeef);
  });

  it('reading 0xC34 performs an interrupt acknowledge', () => {
    const vectors = [4, 7, 14];
    let calls = 0;
    const { gt } = machine({
      iack: () => {
        calls++;
        return vectors.shift()!;
      },
    });
    expect(gt.regs.read(GT_PCI0_IACK, 4)).toBe(4);
    expect(gt.regs.read(GT_PCI0_IACK, 4)).toBe(7);
    expect(calls).toBe(2);
    gt.regs.write(GT_PCI0_IACK, 4, 0xff); // read-only; must not ack
    expect(calls).toBe(2);
  });
});

describe('GT-64120 PCI configuration mechanism', () => {
  it('reads all ones without the enable bit or with no device', () => {
    const { gt } = machine();
    gt.regs.write(GT_PCI0_CFGADDR, 4, 0x00000000); // 00:00.0 reg 0 but disabled
    expect(gt.regs.read(GT_PCI0_CFGDATA, 4)).toBe(0xffffffff);
    gt.regs.write(GT_PCI0_CFGADDR, 4, 0x80000000 | (5 << 11));
    expect(gt.regs.read(GT_PCI0_CFGADDR, 4)).toBe(0x80002800);
    expect(gt.regs.read(GT_PCI0_CFGDATA, 4)).toBe(0xffffffff);
    gt.regs.write(GT_PCI0_CFGADDR, 4, 0x80010000); // bus 1
    expect(gt.regs.read(GT_PCI0_CFGDATA, 4)).toBe(0xffffffff);
  });

  it('enumerates exactly the GT and PIIX4 functions the way Linux does', () => {
    for (const usb of [false, true]) {
      const { gt } = machine({ usb });
      gt.applyBootStub();
      const found: string[] = [];
      const info = new Map<string, { id: number; cls: number; hdr: number }>();
      for (let slot = 0; slot < 32; slot++) {
        for (let fn = 0; fn < 8; fn++) {
          const d = linuxConfigAccess(gt, 0, devfn(slot, fn), 0);
          if (d === null || d === 0xffffffff) {
            if (fn === 0) break;
            continue;
          }
          const name = `${slot.toString(16).padStart(2, '0')}.${fn}`;
          found.push(name);
          const hdr = linuxRead(gt, devfn(slot, fn), 0x0e, 1);
          info.set(name, { id: d, cls: linuxRead(gt, devfn(slot, fn), 0x08, 4), hdr });
          if (fn === 0 && !(hdr & 0x80)) break;
        }
      }
      expect(found).toEqual(usb ? ['00.0', '0a.0', '0a.1', '0a.2', '0a.3'] : ['00.0', '0a.0', '0a.1', '0a.3']);
      expect(info.get('00.0')).toEqual({ id: 0x462011ab, cls: 0x06000010, hdr: 0x00 });
      expect(info.get('0a.0')).toEqual({ id: 0x71108086, cls: 0x06010000, hdr: 0x80 });
      expect(info.get('0a.1')).toEqual({ id: 0x71118086, cls: 0x01018000, hdr: 0x00 });
      expect(info.get('0a.3')).toEqual({ id: 0x71138086, cls: 0x06800003, hdr: 0x00 });
      if (usb) expect(info.get('0a.2')).toEqual({ id: 0x71128086, cls: 0x0c030001, hdr: 0x00 });
    }
  });

  it('byte-swaps CFGDATA when PCI0 command MByteSwap is clear', () => {
    const { gt } = machine();
    gt.regs.write(GT_PCI0_CFGADDR, 4, 0x80000000);
    expect(gt.regs.read(GT_PCI0_CFGDATA, 4)).toBe(0x462011ab);
    gt.regs.write(GT_PCI0_CMD, 4, 0x00010000);
    expect(gt.regs.read(GT_PCI0_CFGDATA, 4)).toBe(0xab112046);
  });

  it('the host bridge BARs are fixed: Linux\'s BAR4 write and sizing do not stick', () => {
    const { gt } = machine();
    gt.applyBootStub();
    const host = devfn(0, 0);
    linuxWrite(gt, host, 0x20, 4, 0x1be00000);
    expect(linuxRead(gt, host, 0x20, 4)).toBe(0x14000000);
    const expected = [0x00000008, 0x01000008, 0x1c000000, 0x1f000000, 0x14000000, 0x14000001];
    for (let i = 0; i < 6; i++) {
      linuxWrite(gt, host, 0x10 + 4 * i, 4, 0xffffffff);
      expect(linuxRead(gt, host, 0x10 + 4 * i, 4)).toBe(expected[i]);
    }
    expect(linuxRead(gt, host, 0x3d, 1)).toBe(1); // INTA pin, never routed
    expect(linuxRead(gt, host, 0x06, 2)).toBe(0x0280);
  });

  it('Linux refuses slot 31 itself (the PIIX4 suspend special cycle never reaches the bus)', () => {
    const { gt } = machine();
    expect(linuxConfigAccess(gt, 0, devfn(31, 7), 0, 0x00120002)).toBeNull();
  });

  it('forwards sub-word CFGDATA accesses with the byte lane from the address', () => {
    const { gt } = machine();
    gt.regs.write(GT_PCI0_CFGADDR, 4, 0x80000000 | (10 << 11) | 0x60);
    expect(gt.regs.read(GT_PCI0_CFGDATA + 2, 1)).toBe(0x0b);
    gt.regs.write(GT_PCI0_CFGDATA + 1, 1, 0x05);
    expect(gt.regs.read(GT_PCI0_CFGDATA, 4)).toBe(0x0b0b050a);
  });
});
