import { IoSpace } from './bus/io-space';
import { Clock } from './clock';
import { BadImageError, type ElfImage, parseElf } from './boot/elf';
import { PROM_BASE, buildPromBlock, initrdOffset } from './boot/prom';
import type { CpuModel } from './cpu/cp0';
import { Cpu, type CpuTracer } from './cpu/cpu';
import { CirrusScanout, type DisplayFrame } from './devices/cirrus-scanout';
import { CIRRUS_BAR0_SIZE, CIRRUS_PCI_SLOT, CirrusVga, VGA_PORT_BASE, VGA_PORT_COUNT } from './devices/cirrus-vga';
import { Gt64120 } from './devices/gt64120';
import { IdeBusMaster, type DmaMemory } from './devices/ide-bmdma';
import { IdeChannel } from './devices/ide-channel';
import { DmaControllers } from './devices/i8237';
import { I8042 } from './devices/i8042';
import { Pit } from './devices/i8254';
import { PicPair } from './devices/i8259';
import { BOOT_REVISION, MaltaFpga } from './devices/malta-fpga';
import { Rtc } from './devices/mc146818';
import { PciBus } from './devices/pci';
import { PIIX4_RCR_PORT, Piix4 } from './devices/piix4';
import { Uart16550 } from './devices/uart16550';
import { MaltaBus, Rom, type Window } from './memory/malta-bus';
import { Ram } from './memory/ram';
import { findButton } from './input/buttons';
import type { BlockDevice, IoDone } from '../storage/block-device';

export { BadImageError };

export interface MachineConfig {
  /** Kernel ELF, already decompressed if it was shipped gzipped. */
  kernel: Uint8Array;
  kernelName?: string;
  initrd?: Uint8Array;
  commandLine?: string;
  /** RAM in MiB (QEMU's -m). */
  memMiB?: number;
  cpu?: CpuModel;
  /** RTC start time, seconds since the Unix epoch (UTC). */
  rtcEpochSeconds?: number;
  /** Translate hot guest code to JavaScript (default); false runs the interpreter only. */
  jit?: boolean;
  /** Called with each byte the guest writes to ttyS0 (COM1). */
  onSerial?: (byte: number) => void;
  /** Primary master IDE disk (QEMU's -hda): /dev/sda to Linux. */
  hda?: BlockDevice;
  /** Primary slave IDE disk (QEMU's -hdb). */
  hdb?: BlockDevice;
}

export type PowerState = 'running' | 'off';

/**
 * The MIPS Malta board: CPU, RAM, GT-64120, PIIX4 south bridge (PIC, PIT, RTC, keyboard
 * controller, PM), the UARTs and the FPGA, wired as malta-hw.md describes, with the kernel
 * started the way QEMU's `-kernel` does (boot stub state applied directly).
 */
export class Machine {
  readonly clock = new Clock();
  readonly ram: Ram;
  io!: IoSpace;
  bus!: MaltaBus;
  cpu!: Cpu;
  pic!: PicPair;
  pit!: Pit;
  rtc!: Rtc;
  kbc!: I8042;
  com1!: Uart16550;
  com2!: Uart16550;
  cbusUart!: Uart16550;
  fpga!: MaltaFpga;
  gt!: Gt64120;
  pci!: PciBus;
  piix4!: Piix4;
  dma!: DmaControllers;
  /** Legacy IDE channels: primary (0x1F0/0x3F6, IRQ 14) and secondary (0x170/0x376, IRQ 15). */
  ide!: [IdeChannel, IdeChannel];
  bmdma!: IdeBusMaster;
  /** Cirrus CL-GD5446 at 00:12.0 and what it shows. */
  vga!: CirrusVga;
  private scanout!: CirrusScanout;
  /** The framebuffer BAR as a fixed bus window while the GT forwards its whole range to PCI. */
  private lfbWindow: Window | null = null;

  power: PowerState = 'running';
  /** Guest asked for a board reset (FPGA SOFTRES, PIIX reset, keyboard controller pulse). */
  private resetPending = false;
  resets = 0;
  private readonly kernel: ElfImage;
  private readonly serialIn: number[] = [];
  private serialInPos = 0;
  /** Input is held back until the guest has the console open for reading (IER.ERBFI). */
  private readonly config: Required<Omit<MachineConfig, 'initrd' | 'onSerial' | 'jit' | 'hda' | 'hdb'>> & MachineConfig;

  constructor(config: MachineConfig) {
    const memMiB = config.memMiB ?? 256;
    if (!Number.isInteger(memMiB) || memMiB < 16 || memMiB > 2048) {
      throw new BadImageError(`memory size ${memMiB} MiB is out of range (16 to 2048)`);
    }
    this.config = {
      kernelName: 'vmlinux',
      commandLine: '',
      memMiB,
      cpu: '24Kf',
      rtcEpochSeconds: 0,
      ...config,
    };
    this.kernel = parseElf(config.kernel);
    this.ram = new Ram(memMiB * 1024 * 1024);
    this.checkFits();

    this.build();
    this.boot();
  }

  /** Create the board's chips in their power-on state and wire them together. */
  private build(): void {
    this.io = new IoSpace();
    this.dma = new DmaControllers();
    this.bus = new MaltaBus(this.ram, this.io);
    this.cpu = new Cpu(this.bus, this.clock, this.config.cpu);
    if (this.config.jit === false) this.cpu.setJit(false);
    const cpu = this.cpu;

    this.pic = new PicPair((level) => cpu.setIrqLine(2, level));
    const isa = (n: number) => (level: boolean) => this.pic.setIrq(n, level);
    this.pit = new Pit(this.clock, isa(0));
    this.rtc = new Rtc(this.clock, isa(8), this.config.rtcEpochSeconds);
    this.kbc = new I8042(isa(1), isa(12), { onReset: () => this.requestReset() });
    const onSerial = this.config.onSerial ?? (() => {});
    this.com1 = new Uart16550(this.clock, isa(4), {
      onTransmit: onSerial,
      onRxSpace: () => this.feedSerial(),
    });
    this.com2 = new Uart16550(this.clock, isa(3), { onTransmit: () => {} });
    this.cbusUart = new Uart16550(this.clock, (level) => cpu.setIrqLine(4, level), {
      onTransmit: () => {},
      regShift: 3,
      clockHz: 3_686_400,
    });
    this.fpga = new MaltaFpga({ onReset: () => this.requestReset() });

    this.pci = new PciBus(this.io, (irq, level) => this.pic.setIrq(irq, level));
    this.gt = new Gt64120({ bus: this.pci, iack: () => this.pic.acknowledge() });
    this.piix4 = new Piix4(this.pci, {
      clock: this.clock,
      onPowerOff: () => this.powerOff(),
      onReset: () => this.requestReset(),
    });

    // IDE: drives named as QEMU numbers them (QM00001 for -hda), with our own prefix.
    const ideBus = this.piix4.ide;
    this.bmdma = new IdeBusMaster(this.dmaMemory(), () => ideBus.busMasterEnabled());
    const disk = (d: BlockDevice | undefined, n: number) => (d ? { disk: d, serial: `OD0000${n}` } : null);
    this.ide = [
      new IdeChannel({
        clock: this.clock,
        irq: isa(14),
        dma: this.bmdma.channels[0],
        master: disk(this.config.hda, 1),
        slave: disk(this.config.hdb, 2),
      }),
      new IdeChannel({ clock: this.clock, irq: isa(15), dma: this.bmdma.channels[1] }),
    ];
    ideBus.attachBmdma(this.bmdma);

    // Display: QEMU's Malta creates the VGA card after the on-board devices, in the first free
    // automatic slot. Its framebuffer BAR moves only when Linux assigns it.
    this.vga = new CirrusVga({ clock: this.clock, onLfbMap: () => this.decodeBus() });
    this.pci.attach(CIRRUS_PCI_SLOT, 0, this.vga);
    this.scanout = new CirrusScanout(this.vga);
    this.lfbWindow = null;

    this.mapDevices();
  }

  /** Guest RAM as the PIIX bus masters reach it: PCI bus addresses are CPU physical addresses. */
  private dmaMemory(): DmaMemory {
    const ram = this.ram;
    return {
      u8: ram.u8,
      ramOffset: (addr, len) => {
        if (len <= 0) return -1;
        const first = this.bus.ramPage(addr);
        const last = this.bus.ramPage(addr + len - 1);
        if (first < 0 || last < 0) return -1;
        const off = first + (addr & 0xfff);
        return last + ((addr + len - 1) & 0xfff) - off === len - 1 ? off : -1;
      },
      written: (offset, len) => {
        const jit = this.cpu.jit;
        if (jit === null) return;
        const end = (offset + len - 1) >>> 12;
        for (let p = offset >>> 12; p <= end; p++) if (jit.codePage[p]) jit.invalidatePage(p);
      },
    };
  }

  private checkFits(): void {
    const ramLow = Math.min(this.ram.size, 0x10000000);
    for (const s of this.kernel.segments) {
      if (s.paddr + s.memsz > ramLow) {
        throw new BadImageError(
          `kernel: segment at 0x${s.paddr.toString(16)} (${s.memsz} bytes) does not fit in ${this.config.memMiB} MiB of RAM`,
        );
      }
    }
    const initrd = this.config.initrd;
    if (initrd) {
      const off = initrdOffset(ramLow, initrd.length);
      if (off <= this.kernel.high || off < 0) {
        throw new BadImageError(
          `initrd: ${initrd.length} bytes do not fit in RAM above the kernel (${this.config.memMiB} MiB; try a larger --mem)`,
        );
      }
    }
  }

  private mapDevices(): void {
    const io = this.io;
    io.map(0x00, 0x20, this.dma.dma1);
    io.map(0x80, 0x10, this.dma.page);
    io.map(0xc0, 0x20, this.dma.dma2);
    io.map(0x20, 2, this.pic.masterPorts);
    io.map(0xa0, 2, this.pic.slavePorts);
    io.map(0x4d0, 2, this.pic.elcrPorts);
    io.map(0x40, 4, this.pit.ports);
    io.map(0x61, 1, this.pit.portB);
    io.map(0x60, 1, this.kbc.ports);
    io.map(0x64, 1, { read: (_o, s) => this.kbc.ports.read(4, s), write: (_o, s, v) => this.kbc.ports.write(4, s, v) });
    io.map(0x70, 2, this.rtc.ports);
    io.map(0x3f8, 8, this.com1);
    io.map(0x2f8, 8, this.com2);
    io.map(PIIX4_RCR_PORT, 1, this.piix4.resetControl);
    io.map(0x1f0, 8, this.ide[0]);
    io.map(0x3f6, 1, this.ide[0].control);
    io.map(0x170, 8, this.ide[1]);
    io.map(0x376, 1, this.ide[1].control);
    // The VGA ports answer whatever the card's PCI command register says (cirrusfb enables
    // only memory decoding and then programs the chip through them).
    io.map(VGA_PORT_BASE, VGA_PORT_COUNT, this.vga.ports);

    // The boot ROM as the kernel sees it: only the revision word is ever read (the boot stub is
    // applied directly), so 64 KiB stand for the 4 MiB window; the rest reads 0.
    const rom = new Uint8Array(0x10000);
    new DataView(rom.buffer).setUint32(0x10, BOOT_REVISION, true);
    // CBUS UART first: it sits inside the FPGA window and must win.
    this.bus.fixed.push({ base: 0x1f000900, size: 0x40, device: this.cbusUart });
    this.bus.fixed.push({ base: 0x1f000000, size: 0x100000, device: this.fpga });
    this.bus.fixed.push({ base: 0x1fc00000, size: 0x400000, device: new Rom(rom) });
    this.gt.onRemap = () => this.decodeBus();
    this.decodeBus();
    this.bus.pci = this.pci;
  }

  /** Tell the physical bus where the GT register block and the PCI windows are now. */
  private decodeBus(): void {
    const gt = this.gt;
    if (!gt) return; // a BAR placed while the board is still being built
    const mem = [gt.mem0Window(), gt.mem1Window()];
    this.bus.setWindows({ base: gt.isdBase(), size: 0x1000, device: gt.regs }, gt.ioWindow(), mem);
    // Framebuffer accesses are the busiest device accesses of all: while the GT forwards the
    // whole BAR to PCI and it overlaps no fixed device, it goes first in the fixed list and skips
    // the search through the PCI windows and BARs. (PCI addresses are CPU addresses here.)
    const fixed = this.bus.fixed;
    const at = this.lfbWindow ? fixed.indexOf(this.lfbWindow) : -1;
    if (at >= 0) fixed.splice(at, 1);
    this.lfbWindow = null;
    const base = this.vga?.bar(0)?.placed ?? null;
    if (base === null) return;
    const end = base + CIRRUS_BAR0_SIZE;
    const forwarded = mem.some((w) => base >= w.base && end <= w.base + w.size);
    const clashes = fixed.some((w) => base < w.base + w.size && w.base < end);
    if (forwarded && !clashes) {
      this.lfbWindow = { base, size: CIRRUS_BAR0_SIZE, device: this.vga.linear };
      fixed.unshift(this.lfbWindow);
    }
  }

  /** Load the images and set the state QEMU's boot stub leaves for the kernel (malta-hw.md 2.2, 2.4). */
  private boot(): void {
    const ram = this.ram;
    // A fresh ArrayBuffer is already zero and the host commits its pages only as the guest
    // touches them; clearing it again would make all of guest RAM resident at once.
    if (this.resets > 0) ram.u8.fill(0);
    for (const s of this.kernel.segments) {
      ram.u8.set(s.data, s.paddr);
      ram.u8.fill(0, s.paddr + s.data.length, s.paddr + s.memsz);
    }
    const ramLow = Math.min(ram.size, 0x10000000);
    let initrdInfo: { kseg0Start: number; size: number } | undefined;
    const initrd = this.config.initrd;
    if (initrd) {
      const off = initrdOffset(ramLow, initrd.length);
      ram.u8.set(initrd, off);
      initrdInfo = { kseg0Start: 0x80000000 + off, size: initrd.length };
    }
    const prom = buildPromBlock({
      kernelName: this.config.kernelName,
      commandLine: this.config.commandLine,
      initrd: initrdInfo,
      ramLowSize: ramLow,
      ramSize: ram.size,
      // Fixed so boots are reproducible; Linux only mixes it into its entropy pool.
      rngSeed: '6f647461622d6d616c74612d726e67736565642d6465746572' + '6d696e6973746963',
    });
    ram.u8.set(prom, PROM_BASE);

    this.gt.applyBootStub();
    const cpu = this.cpu;
    cpu.reset();
    const g = cpu.gpr;
    g[29] = 0x80001fc0 | 0; // sp
    g[4] = 2; // a0 = argc
    g[5] = (0x80000000 + PROM_BASE) | 0; // a1 = argv
    g[6] = (0x80000000 + PROM_BASE + 8) | 0; // a2 = envp
    g[7] = ramLow; // a3 = memsize
    g[25] = this.kernel.entry; // t9
    g[31] = 0xbfc00000 | 0; // ra points into the (virtual) stub
    cpu.pc = this.kernel.entry;
    cpu.npc = (this.kernel.entry + 4) | 0;
    cpu.setStatus(1 << 22); // BEV=1, ERL=0: QEMU clears ERL for -kernel boots
  }

  // ---------------------------------------------------------------- control

  powerOff(): void {
    this.power = 'off';
    this.cpu.stopRequested = true;
    this.ide[0].detach();
    this.ide[1].detach();
    this.flushDisks();
  }

  /**
   * Make every finished guest write durable on the disks (done once all have answered, with the
   * first error if any). The board does this itself on power-off and reset; a host that exits
   * should wait for it.
   */
  flushDisks(done?: IoDone): void {
    const disks = [this.config.hda, this.config.hdb].filter((d): d is BlockDevice => d !== undefined);
    let left = disks.length;
    let firstError: Error | undefined;
    const finish = (err?: Error) => {
      if (err && !firstError) firstError = err;
      if (--left === 0) done?.(firstError);
    };
    if (left === 0) {
      done?.();
      return;
    }
    for (const d of disks) {
      try {
        d.flush(finish);
      } catch (e) {
        finish(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }

  private requestReset(): void {
    this.resetPending = true;
    this.cpu.stopRequested = true;
  }

  /** Restart as a board reset would: devices to power-on state, images reloaded, kernel entered. */
  reset(): void {
    this.resetPending = false;
    this.resets++;
    this.ide[0].detach();
    this.ide[1].detach();
    this.flushDisks();
    this.clock.clearTimers();
    this.build();
    this.boot();
  }

  /**
   * Run for up to `cycles` of guest time. Returns early on power-off. A guest reset is carried
   * out here and the machine goes on running.
   */
  run(cycles: number): void {
    if (this.power === 'off') return;
    const limit = this.clock.cycles + cycles;
    while (this.clock.cycles < limit && this.power === 'running') {
      this.cpu.stopRequested = false;
      this.cpu.run(limit);
      this.feedSerial();
      if (this.resetPending) this.reset();
      else if (this.cpu.stopRequested) break;
    }
  }

  /** Guest time in seconds. */
  get seconds(): number {
    return this.clock.cycles / this.clock.hz;
  }

  /** The guest is waiting for an interrupt: its last WAIT found nothing due before the run's end. */
  get idle(): boolean {
    return this.cpu.idle;
  }

  /** Guest seconds until the next device event (a timer, a character time); Infinity if none. */
  get secondsToNextEvent(): number {
    return Math.max(0, this.clock.nextDeadline - this.clock.cycles) / this.clock.hz;
  }

  /**
   * An idle guest's time goes on to `seconds` (or to its next device event, if sooner) without
   * running: pacing to the wall clock lets a waiting guest sleep on the host.
   */
  skipIdleTo(seconds: number): void {
    this.cpu.skipIdle(Math.floor(seconds * this.clock.hz));
  }

  get instructions(): number {
    return this.clock.cycles - this.cpu.idleCycles;
  }

  /**
   * The guest's screen, brought up to date: size, RGBA pixels and the rectangle that changed
   * since the previous call (null if none). The returned object is reused by the next call.
   */
  refreshDisplay(): DisplayFrame {
    return this.scanout.refresh();
  }

  /** The screen as the last refreshDisplay() left it (a board reset starts a new, blank one). */
  get display(): DisplayFrame {
    return this.scanout.current;
  }

  setTracer(tracer: CpuTracer | null): void {
    this.cpu.tracer = tracer;
  }

  // ---------------------------------------------------------------- keyboard and buttons

  /**
   * Press (down) or release a key of the PS/2 keyboard, named as KeyboardEvent.code. False when
   * the key is unknown or the keyboard does not take it now (buffer full, scanning off).
   */
  keyEvent(code: string, down: boolean): boolean {
    return this.kbc.keyboard.pressKey(code, down);
  }

  /** Press or release a handheld button (A, START, UP, ... see input/buttons.ts; any case). */
  button(name: string, down: boolean): boolean {
    const b = findButton(name);
    return b ? this.keyEvent(b.code, down) : false;
  }

  // ---------------------------------------------------------------- serial console input

  /** Queue bytes for ttyS0; they reach the UART only as the guest makes room for them. */
  sendSerial(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.serialIn.push(bytes[i] & 0xff);
    this.feedSerial();
  }

  /** Whether the guest has the console open for reading (receive interrupts enabled). */
  get serialReading(): boolean {
    // Linux enables the receive interrupt, then switches the FIFOs on, which empties them:
    // bytes given before that would be lost, as they would be on a real line.
    return this.com1.rxInterruptEnabled && this.com1.fifoEnabled;
  }

  feedSerial(): void {
    if (!this.serialReading) return;
    while (this.serialInPos < this.serialIn.length && this.com1.canReceive()) {
      this.com1.pushRx(this.serialIn[this.serialInPos++]);
    }
    if (this.serialInPos > 4096 && this.serialInPos === this.serialIn.length) {
      this.serialIn.length = 0;
      this.serialInPos = 0;
    }
  }
}
