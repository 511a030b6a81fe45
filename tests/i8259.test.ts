import { beforeEach, describe, expect, it } from 'vitest';
import { IoSpace } from '../src/emu/bus/io-space';
import { PicPair } from '../src/emu/devices/i8259';

let io: IoSpace;
let pic: PicPair;
let ip2: boolean;
let ip2Changes: number;

const outb = (port: number, v: number) => io.write(port, 1, v);
const inb = (port: number) => io.read(port, 1);

/** init_8259A() from Linux arch/mips/kernel/i8259.c, in the order malta-hw.md §4.2 observed. */
function linuxInit(): void {
  outb(0x21, 0xff);
  outb(0xa1, 0xff);
  outb(0x20, 0x11);
  outb(0x21, 0x00);
  outb(0x21, 0x04);
  outb(0x21, 0x01);
  outb(0xa0, 0x11);
  outb(0xa1, 0x08);
  outb(0xa1, 0x02);
  outb(0xa1, 0x01);
  outb(0x21, 0xfb);
  outb(0xa1, 0xff);
}

const masterIsr = () => (outb(0x20, 0x0b), inb(0x20));
const masterIrr = () => (outb(0x20, 0x0a), inb(0x20));
const slaveIsr = () => (outb(0xa0, 0x0b), inb(0xa0));

/** mask_and_ack_8259A() followed by the unmask after the handler. */
function linuxAckEoi(irq: number): void {
  if (irq < 8) {
    const m = inb(0x21);
    outb(0x21, m | (1 << irq));
    outb(0x20, 0x60 | irq);
    outb(0x21, m);
  } else {
    const m = inb(0xa1);
    outb(0xa1, m | (1 << (irq & 7)));
    outb(0xa0, 0x60 | (irq & 7));
    outb(0x20, 0x62);
    outb(0xa1, m);
  }
}

beforeEach(() => {
  io = new IoSpace();
  ip2 = false;
  ip2Changes = 0;
  pic = new PicPair((level) => {
    ip2 = level;
    ip2Changes++;
  });
  io.map(0x20, 2, pic.masterPorts);
  io.map(0xa0, 2, pic.slavePorts);
  io.map(0x4d0, 2, pic.elcrPorts);
});

describe('i8259 pair', () => {
  it('takes Linux init sequence and reads back masks', () => {
    linuxInit();
    expect(inb(0x21)).toBe(0xfb);
    expect(inb(0xa1)).toBe(0xff);
    expect(masterIrr()).toBe(0);
    expect(masterIsr()).toBe(0);
    expect(ip2).toBe(false);
    // ELCR reads 00 00 (observed on QEMU, Linux never writes it).
    expect(io.read(0x4d0, 2)).toBe(0x0000);
  });

  it('delivers an IRQ4 edge through INTA and specific EOI', () => {
    linuxInit();
    outb(0x21, 0xeb);
    pic.setIrq(4, true);
    expect(ip2).toBe(true);
    expect(masterIrr()).toBe(0x10);
    expect(pic.acknowledge()).toBe(4);
    expect(ip2).toBe(false);
    expect(masterIsr()).toBe(0x10);
    expect(masterIrr()).toBe(0);
    linuxAckEoi(4);
    expect(masterIsr()).toBe(0);
    expect(inb(0x21)).toBe(0xeb);
    // The line is still high: no new edge, so nothing is pending.
    expect(ip2).toBe(false);
    pic.setIrq(4, false);
    pic.setIrq(4, true);
    expect(ip2).toBe(true);
    expect(pic.acknowledge()).toBe(4);
  });

  it('delivers slave IRQ12 through the cascade and needs both EOIs', () => {
    linuxInit();
    outb(0xa1, 0xef);
    pic.setIrq(12, true);
    expect(ip2).toBe(true);
    expect(pic.acknowledge()).toBe(12);
    expect(ip2).toBe(false);
    expect(masterIsr()).toBe(0x04);
    expect(slaveIsr()).toBe(0x10);
    // A second slave request of lower priority waits for the slave EOI.
    pic.setIrq(14, true);
    outb(0xa1, 0xaf);
    expect(ip2).toBe(false);
    outb(0xa0, 0x64);
    expect(slaveIsr()).toBe(0);
    // Master IR2 is still in service: the slave's new output edge is latched but not delivered.
    expect(ip2).toBe(false);
    outb(0x20, 0x62);
    expect(masterIsr()).toBe(0);
    expect(ip2).toBe(true);
    expect(pic.acknowledge()).toBe(14);
  });

  it('returns 7 for a spurious master INTA and leaves ISR bit 7 clear', () => {
    linuxInit();
    expect(pic.acknowledge()).toBe(7);
    expect(masterIsr()).toBe(0);
  });

  it('returns 15 when the slave request vanished before INTA', () => {
    linuxInit();
    outb(0xa1, 0xef);
    pic.setIrq(12, true);
    expect(ip2).toBe(true);
    // Masking at the slave drops its output, but the master already latched the IR2 edge.
    outb(0xa1, 0xff);
    expect(masterIrr()).toBe(0x04);
    expect(pic.acknowledge()).toBe(15);
    expect(slaveIsr()).toBe(0);
  });

  it('holds masked requests in IRR and delivers them when unmasked', () => {
    linuxInit();
    pic.setIrq(1, true);
    expect(ip2).toBe(false);
    expect(masterIrr()).toBe(0x02);
    outb(0x21, 0xf9);
    expect(ip2).toBe(true);
    outb(0x21, 0xfb);
    expect(ip2).toBe(false);
    expect(ip2Changes).toBe(2);
  });

  it('prioritises lower IR numbers and nests only higher ones', () => {
    linuxInit();
    outb(0x21, 0xf0);
    pic.setIrq(3, true);
    pic.setIrq(1, true);
    expect(pic.acknowledge()).toBe(1);
    // IRQ3 is lower priority than IRQ1 in service.
    expect(ip2).toBe(false);
    pic.setIrq(0, true);
    expect(ip2).toBe(true);
    expect(pic.acknowledge()).toBe(0);
    expect(masterIsr()).toBe(0x03);
    outb(0x20, 0x20); // non-specific EOI clears the highest (IR0)
    expect(masterIsr()).toBe(0x02);
    expect(ip2).toBe(false);
    outb(0x20, 0x20);
    expect(ip2).toBe(true);
    expect(pic.acknowledge()).toBe(3);
  });

  it('does not re-trigger an edge input held high', () => {
    linuxInit();
    outb(0x21, 0xeb);
    pic.setIrq(4, true);
    expect(pic.acknowledge()).toBe(4);
    pic.setIrq(4, true);
    linuxAckEoi(4);
    expect(ip2).toBe(false);
    expect(masterIrr()).toBe(0);
    expect(pic.acknowledge()).toBe(7);
  });

  it('honours ELCR level mode and its writable-bit masks', () => {
    linuxInit();
    outb(0x4d0, 0xff);
    outb(0x4d1, 0xff);
    expect(inb(0x4d0)).toBe(0xf8);
    expect(inb(0x4d1)).toBe(0xde);
    outb(0x4d0, 0x08);
    outb(0x21, 0xf3);
    pic.setIrq(3, true);
    expect(pic.acknowledge()).toBe(3);
    // Level requests stay in IRR through INTA and come back after EOI while the pin is held.
    expect(masterIrr()).toBe(0x08);
    outb(0x20, 0x63);
    expect(ip2).toBe(true);
    pic.setIrq(3, false);
    expect(ip2).toBe(false);
    expect(masterIrr()).toBe(0);
  });

  it('supports poll mode through OCW3', () => {
    linuxInit();
    outb(0x21, 0xeb);
    pic.setIrq(4, true);
    outb(0x20, 0x0c);
    expect(inb(0x20)).toBe(0x84);
    expect(masterIsr()).toBe(0x10);
    outb(0x20, 0x0c);
    expect(inb(0x21)).toBe(0);
  });

  it('does not set ISR in auto-EOI mode', () => {
    outb(0x20, 0x11);
    outb(0x21, 0x00);
    outb(0x21, 0x04);
    outb(0x21, 0x03);
    pic.setIrq(5, true);
    expect(pic.acknowledge()).toBe(5);
    expect(masterIsr()).toBe(0);
  });

  it('rotates priority on specific-EOI-and-rotate', () => {
    linuxInit();
    outb(0x21, 0x00);
    pic.setIrq(4, true);
    expect(pic.acknowledge()).toBe(4);
    outb(0x20, 0xe4); // IR4 becomes lowest, IR5 highest
    pic.setIrq(3, true);
    pic.setIrq(6, true);
    expect(pic.acknowledge()).toBe(6);
    outb(0x20, 0x20);
    expect(pic.acknowledge()).toBe(3);
  });

  it('uses the ICW2 vector base in the INTA vector', () => {
    outb(0x20, 0x11);
    outb(0x21, 0x20);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    pic.setIrq(6, true);
    expect(pic.acknowledge()).toBe(0x26);
    expect(pic.acknowledge()).toBe(0x27);
  });

  it('ignores out-of-range and cascade IRQ inputs', () => {
    linuxInit();
    outb(0x21, 0x00);
    pic.setIrq(2, true);
    pic.setIrq(16, true);
    pic.setIrq(-1, true);
    expect(ip2).toBe(false);
    expect(masterIrr()).toBe(0);
  });
});
