/**
 * Intel 82371AB PIIX4 south bridge, PCI side, at 00:0A on the Malta: the configuration spaces of
 * function 0 (PCI-to-ISA bridge, holding the PIRQ steering registers), 1 (IDE), optionally 2
 * (UHCI, config space only) and 3 (power management, in piix4-pm.ts), plus the reset control
 * register at I/O port 0xCF9. The ISA devices behind it (PIC, PIT, RTC, ...) and the IDE channels
 * are separate devices.
 */
import type { Clock } from '../clock';
import type { AccessSize, IoDevice } from '../bus/types';
import {
  PCI_COMMAND,
  PCI_COMMAND_MASTER,
  PCI_HEADER_MULTIFUNCTION,
  PCI_STATUS,
  PCI_STATUS_DEVSEL_MEDIUM,
  PCI_STATUS_FAST_BACK,
  type PciBus,
  PciFunction,
} from './pci';
import { Piix4Pm } from './piix4-pm';

export const PIIX4_SLOT = 10;
/** PIRQRC[A..D]: bit 7 disables routing, bits 3:0 pick the ISA IRQ. */
export const PIIX4_PIRQRC = 0x60;
/** QEMU 7.2's values (IRQ 10, 10, 11, 11); Linux reads them and never writes them. */
const PIRQRC_PRESET = [0x0a, 0x0a, 0x0b, 0x0b] as const;

/** Function 0: PCI-to-ISA bridge (8086:7110). */
export class Piix4Isa extends PciFunction {
  constructor() {
    super({ vendorId: 0x8086, deviceId: 0x7110, revision: 0x00, classCode: 0x060100, headerType: PCI_HEADER_MULTIFUNCTION });
    this.set16(PCI_COMMAND, 0x0007); // I/O, memory, bus master: the bridge decodes from reset
    this.set16(PCI_STATUS, PCI_STATUS_DEVSEL_MEDIUM);
    // Chip defaults as QEMU sets them (ISA clock, XBCS, TOM, MBDMA, APIC base, DLC, ...).
    const c = this.config;
    c[0x4c] = 0x4d; // IORT
    c[0x4e] = 0x03; // XBCS: RTC and keyboard decode
    c[0x69] = 0x02; // TOM
    c[0x70] = 0x80; // MBIRQ0 disabled
    c[0x76] = 0x0c; // MBDMA0/1
    c[0x77] = 0x0c;
    c[0x78] = 0x02; // PCSC
    c[0xa0] = 0x08; // SMICNTL
    c[0xa8] = 0x0f; // SEE
    PIRQRC_PRESET.forEach((v, i) => (c[PIIX4_PIRQRC + i] = v));
  }

  protected override onAttach(): void {
    this.pushPirqRoutes();
  }

  protected override afterConfigWrite(reg: number, size: AccessSize): void {
    if (PciFunction.rangesOverlap(reg, size, PIIX4_PIRQRC, 4)) this.pushPirqRoutes();
  }

  private pushPirqRoutes(): void {
    for (let i = 0; i < 4; i++) this.bus?.setPirqRoute(i, this.config[PIIX4_PIRQRC + i]!);
  }
}

/** BMIBA: the bus-master IDE register block is BAR4, 16 bytes of I/O. */
export const PIIX4_IDE_BMDMA_BAR = 4;

/**
 * Function 1: IDE (8086:7111), prog-if 0x80 = both channels in legacy mode (0x1F0/0x170, IRQ
 * 14/15) with bus mastering. BAR0..3 are unimplemented; IDETIM (0x40/0x42), SIDETIM, UDMACTL and
 * UDMATIM are plain storage. The channels and the bus-master engines are ide-channel.ts and
 * ide-bmdma.ts.
 */
export class Piix4Ide extends PciFunction {
  constructor() {
    super({ vendorId: 0x8086, deviceId: 0x7111, revision: 0x00, classCode: 0x010180 });
    this.set16(PCI_STATUS, PCI_STATUS_FAST_BACK | PCI_STATUS_DEVSEL_MEDIUM);
    this.defineBar(PIIX4_IDE_BMDMA_BAR, { size: 16, type: 'io' });
  }

  /** Hook the bus-master DMA registers (offsets 0..15 from BMIBA) to the IDE controller. */
  attachBmdma(device: IoDevice | null): void {
    this.setBarDevice(PIIX4_IDE_BMDMA_BAR, device);
  }

  /** PCI Command.BME: the bus-master engines may reach memory. */
  busMasterEnabled(): boolean {
    return (this.config[PCI_COMMAND]! & PCI_COMMAND_MASTER) !== 0;
  }

  /** Current BMIBA port, or null while unassigned or I/O decode is off. */
  bmdmaBase(): number | null {
    return this.bar(PIIX4_IDE_BMDMA_BAR)!.addr;
  }
}

/**
 * Function 2: USB UHCI (8086:7112), configuration space only: BAR4 (32 bytes of I/O) sizes and
 * programs but decodes nothing until a controller is attached with setBarDevice(4, ...).
 */
export class Piix4Usb extends PciFunction {
  constructor() {
    super({ vendorId: 0x8086, deviceId: 0x7112, revision: 0x01, classCode: 0x0c0300, interruptPin: 4 });
    this.set16(PCI_STATUS, PCI_STATUS_FAST_BACK | PCI_STATUS_DEVSEL_MEDIUM);
    this.defineBar(4, { size: 32, type: 'io' });
    this.config[0x60] = 0x10; // SBRN: USB 1.0
    this.set16(0xc0, 0x2000); // LEGSUP: USB PIRQ enabled
  }
}

/** Reset control register, I/O port 0xCF9 (map 1 byte there). */
export class Piix4ResetControl implements IoDevice {
  private rcr = 0;

  constructor(private readonly onReset: () => void) {}

  read(_offset: number, _size: AccessSize): number {
    return this.rcr;
  }

  write(_offset: number, _size: AccessSize, value: number): void {
    if (value & 0x04) {
      this.onReset(); // RST_CPU
      return;
    }
    this.rcr = value & 0x02; // SYS_RST only selects the reset type
  }
}

export const PIIX4_RCR_PORT = 0xcf9;

export interface Piix4Options {
  clock: Clock;
  onPowerOff: () => void;
  onReset: () => void;
  /**
   * Expose function 2 (UHCI) in config space. Off by default: with no controller behind it a
   * built-in uhci-hcd would probe a dead host.
   */
  usb?: boolean;
}

/** All PIIX4 PCI functions, attached to `bus` at slot 10. */
export class Piix4 {
  readonly isa = new Piix4Isa();
  readonly ide = new Piix4Ide();
  readonly usb: Piix4Usb | null;
  readonly pm: Piix4Pm;
  /** Map at PIIX4_RCR_PORT, length 1. */
  readonly resetControl: Piix4ResetControl;

  constructor(bus: PciBus, opts: Piix4Options) {
    this.usb = opts.usb ? new Piix4Usb() : null;
    this.pm = new Piix4Pm({ clock: opts.clock, onPowerOff: opts.onPowerOff });
    this.resetControl = new Piix4ResetControl(opts.onReset);
    bus.attach(PIIX4_SLOT, 0, this.isa);
    bus.attach(PIIX4_SLOT, 1, this.ide);
    if (this.usb) bus.attach(PIIX4_SLOT, 2, this.usb);
    bus.attach(PIIX4_SLOT, 3, this.pm);
  }
}
