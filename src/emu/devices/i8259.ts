import type { AccessSize, IoDevice, IrqSink } from '../bus/types';

/**
 * Intel 8259A pair as found in the PIIX4 south bridge: master at 0x20, slave at 0xA0 cascaded on
 * master IR2, and the PIIX4 edge/level control registers (ELCR) at 0x4D0/0x4D1, which replace
 * the chip's global LTIM bit. On Malta the master INT output drives CPU IP2 and the vector is
 * fetched by a GT-64120 PCI IACK read (register 0xC34), which calls `PicPair.acknowledge()`.
 */

/** One 8259A. The pair wires the slave's output into the master's IR2. */
class Pic8259 {
  irr = 0;
  isr = 0;
  imr = 0;
  /** Current level of each IR pin; edge detection compares against it. */
  pins = 0;
  elcr = 0;
  /** Rotating priority: the IR with the highest priority is `priorityAdd`. */
  priorityAdd = 0;
  vectorBase: number;
  readIsr = false;
  poll = false;
  specialMask = false;
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialFullyNested = false;
  /** 0: operational; 1..3: expecting ICW2, ICW3, ICW4. */
  initState = 0;
  needIcw4 = false;
  single = false;
  /** Level of the INT output as last computed. */
  output = false;

  constructor(
    readonly isMaster: boolean,
    /** Bits that may be programmed level-triggered (PIIX4 hard-wires IRQ0/1/2/8/13 to edge). */
    readonly elcrMask: number,
    initialVectorBase: number,
    private readonly onOutput: (level: boolean) => void,
  ) {
    this.vectorBase = initialVectorBase;
  }

  /** Power-on state. Pin levels are kept: they belong to the devices driving them. */
  reset(vectorBase: number): void {
    this.irr = 0;
    this.elcr = 0;
    this.vectorBase = vectorBase;
    this.clearModes();
    this.initState = 0;
    this.needIcw4 = false;
    this.single = false;
    this.update();
  }

  /** Priority rank (0 = highest) of the best bit in `mask`, or 8 when empty. */
  private priorityOf(mask: number): number {
    if (mask === 0) return 8;
    let p = 0;
    while ((mask & (1 << ((p + this.priorityAdd) & 7))) === 0) p++;
    return p;
  }

  /** The IR that would be delivered now, or -1. */
  pending(): number {
    const p = this.priorityOf(this.irr & ~this.imr);
    if (p === 8) return -1;
    let inService = this.isr;
    // Special mask mode lets masked in-service levels stop blocking lower ones.
    if (this.specialMask) inService &= ~this.imr;
    // In special fully nested mode the master lets further slave requests through while IR2 is in service.
    if (this.specialFullyNested && this.isMaster) inService &= ~(1 << 2);
    return p < this.priorityOf(inService) ? (p + this.priorityAdd) & 7 : -1;
  }

  update(): void {
    const level = this.pending() >= 0;
    if (level !== this.output) {
      this.output = level;
      this.onOutput(level);
    }
  }

  setPin(n: number, level: boolean): void {
    const bit = 1 << n;
    const was = (this.pins & bit) !== 0;
    if (level) this.pins |= bit;
    else this.pins &= ~bit;
    if (this.elcr & bit) {
      if (level) this.irr |= bit;
      else this.irr &= ~bit;
    } else if (level && !was) {
      this.irr |= bit;
    }
    this.update();
  }

  /** The INTA (or poll) side effects for IR `n`. */
  intack(n: number): void {
    const bit = 1 << n;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.priorityAdd = (n + 1) & 7;
    } else {
      this.isr |= bit;
    }
    // A level-triggered request stays in IRR for as long as the pin is held.
    if (!(this.elcr & bit)) this.irr &= ~bit;
    this.update();
  }

  /** What both power-on and ICW1 clear: in-service and mask bits, priority, every mode. */
  private clearModes(): void {
    this.isr = 0;
    this.imr = 0;
    this.priorityAdd = 0;
    this.readIsr = false;
    this.poll = false;
    this.specialMask = false;
    this.autoEoi = false;
    this.rotateOnAutoEoi = false;
    this.specialFullyNested = false;
  }

  /** ICW1: datasheet init — IMR, ISR and edge requests cleared, priority back to IR0 highest. */
  private initialize(icw1: number): void {
    this.irr &= this.elcr;
    this.clearModes();
    this.needIcw4 = (icw1 & 1) !== 0;
    this.single = (icw1 & 2) !== 0;
    this.initState = 1;
    this.update();
  }

  private nonSpecificEoi(rotate: boolean): void {
    const p = this.priorityOf(this.isr);
    if (p === 8) return;
    const n = (p + this.priorityAdd) & 7;
    this.isr &= ~(1 << n);
    if (rotate) this.priorityAdd = (n + 1) & 7;
    this.update();
  }

  writeCommand(v: number): void {
    if (v & 0x10) {
      this.initialize(v);
    } else if (v & 0x08) {
      // OCW3
      if (v & 0x04) this.poll = true;
      if (v & 0x02) this.readIsr = (v & 1) !== 0;
      if (v & 0x40) this.specialMask = (v & 0x20) !== 0;
      this.update();
    } else {
      // OCW2
      const n = v & 7;
      switch (v >> 5) {
        case 0: // clear rotate in AEOI mode
        case 4: // set rotate in AEOI mode
          this.rotateOnAutoEoi = v >> 7 === 1;
          break;
        case 1:
          this.nonSpecificEoi(false);
          break;
        case 5:
          this.nonSpecificEoi(true);
          break;
        case 3:
          this.isr &= ~(1 << n);
          this.update();
          break;
        case 6: // set priority: IR n becomes the lowest
          this.priorityAdd = (n + 1) & 7;
          this.update();
          break;
        case 7:
          this.isr &= ~(1 << n);
          this.priorityAdd = (n + 1) & 7;
          this.update();
          break;
        default: // 2: no operation
          break;
      }
    }
  }

  writeData(v: number): void {
    switch (this.initState) {
      case 1: // ICW2: only T7..T3 matter in 8086 mode
        this.vectorBase = v & 0xf8;
        this.initState = this.single ? (this.needIcw4 ? 3 : 0) : 2;
        break;
      case 2: // ICW3: the cascade wiring is fixed in the PIIX4
        this.initState = this.needIcw4 ? 3 : 0;
        break;
      case 3: // ICW4
        this.autoEoi = (v & 0x02) !== 0;
        this.specialFullyNested = (v & 0x10) !== 0;
        this.initState = 0;
        break;
      default: // OCW1
        this.imr = v;
        this.update();
        break;
    }
  }

  /** Poll mode read: the poll word, with the INTA side effects for the IR it names. */
  private pollRead(): number {
    this.poll = false;
    const n = this.pending();
    if (n < 0) return 0;
    this.intack(n);
    return 0x80 | n;
  }

  read(port: number): number {
    if (this.poll) return this.pollRead();
    if (port === 0) return this.readIsr ? this.isr : this.irr;
    return this.imr;
  }

  write(port: number, v: number): void {
    if (port === 0) this.writeCommand(v);
    else this.writeData(v);
  }

  writeElcr(v: number): void {
    this.elcr = v & this.elcrMask;
    // Level inputs mirror their pins; edge inputs keep whatever they latched.
    this.irr = (this.irr & ~this.elcr) | (this.pins & this.elcr);
    this.update();
  }
}

/** Splits a wide access to consecutive 8-bit registers, as the ISA bus does. */
function byteWindow(
  length: number,
  readByte: (port: number) => number,
  writeByte: (port: number, value: number) => void,
): IoDevice {
  return {
    read(offset: number, size: AccessSize): number {
      let v = 0;
      for (let i = 0; i < size; i++) {
        const p = offset + i;
        v |= (p < length ? readByte(p) & 0xff : 0xff) << (8 * i);
      }
      return v >>> 0;
    },
    write(offset: number, size: AccessSize, value: number): void {
      for (let i = 0; i < size; i++) {
        const p = offset + i;
        if (p < length) writeByte(p, (value >>> (8 * i)) & 0xff);
      }
    },
  };
}

export class PicPair {
  private readonly master: Pic8259;
  private readonly slave: Pic8259;
  /** Master command/data, mapped at 0x20 (2 ports). */
  readonly masterPorts: IoDevice;
  /** Slave command/data, mapped at 0xA0 (2 ports). */
  readonly slavePorts: IoDevice;
  /** ELCR1/ELCR2, mapped at 0x4D0 (2 ports). */
  readonly elcrPorts: IoDevice;

  constructor(output: IrqSink) {
    // The vector bases default to what Linux programs (0 and 8) so that IACK returns ISA IRQ numbers
    // even before initialisation; ICW2 overrides them.
    this.master = new Pic8259(true, 0xf8, 0x00, output);
    this.slave = new Pic8259(false, 0xde, 0x08, (level) => this.master.setPin(2, level));
    const m = this.master;
    const s = this.slave;
    this.masterPorts = byteWindow(2, (p) => m.read(p), (p, v) => m.write(p, v));
    this.slavePorts = byteWindow(2, (p) => s.read(p), (p, v) => s.write(p, v));
    this.elcrPorts = byteWindow(
      2,
      (p) => (p === 0 ? m.elcr : s.elcr),
      (p, v) => (p === 0 ? m.writeElcr(v) : s.writeElcr(v)),
    );
  }

  /** Board reset: both chips and the ELCRs to their power-on state; the INT output drops. */
  reset(): void {
    this.slave.reset(0x08);
    this.master.reset(0x00);
  }

  /** Drive ISA IRQ line `irq` (0..15). IRQ2 is the internal cascade and cannot be driven. */
  setIrq(irq: number, level: boolean): void {
    if (irq < 0 || irq > 15 || irq === 2) return;
    if (irq < 8) this.master.setPin(irq, level);
    else this.slave.setPin(irq - 8, level);
  }

  /** Level of the master INT output (CPU IP2). */
  get output(): boolean {
    return this.master.output;
  }

  /**
   * A full INTA cycle (GT-64120 PCI IACK): returns the vector, i.e. ICW2 base + IR. With Linux's
   * ICW2 values that is the ISA IRQ number; spurious requests give IR7 of the chip that had none.
   */
  acknowledge(): number {
    const m = this.master;
    const n = m.pending();
    if (n < 0) return m.vectorBase | 7;
    let vector: number;
    if (n === 2) {
      const s = this.slave;
      const n2 = s.pending();
      if (n2 >= 0) s.intack(n2);
      vector = s.vectorBase | (n2 >= 0 ? n2 : 7);
    } else {
      vector = m.vectorBase | n;
    }
    m.intack(n);
    return vector;
  }
}
