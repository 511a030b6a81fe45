import { describe, expect, it } from 'vitest';
import { Clock } from '../src/emu/clock';
import { Uart16550 } from '../src/emu/devices/uart16550';

// Register offsets (stride 1)
const RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, EFR = 2, LCR = 3, MCR = 4;
const LSR = 5, MSR = 6, SCR = 7;

function setup(opts: { regShift?: 0 | 3; clockHz?: number } = {}) {
  const clock = new Clock();
  const irqLog: boolean[] = [];
  let level = false;
  const sent: number[] = [];
  let rxSpaceCalls = 0;
  const uart = new Uart16550(
    clock,
    (l) => {
      level = l;
      irqLog.push(l);
    },
    {
      onTransmit: (b) => sent.push(b),
      onRxSpace: () => rxSpaceCalls++,
      ...opts,
    },
  );
  const inb = (r: number) => uart.read(r, 1);
  const outb = (r: number, v: number) => uart.write(r, 1, v);
  const advance = (cycles: number) => {
    clock.cycles += cycles;
    clock.fireDue();
  };
  return {
    clock, uart, inb, outb, advance, sent, irqLog,
    irq: () => level,
    rxSpace: () => rxSpaceCalls,
  };
}

type Io = { inb: (r: number) => number; outb: (r: number, v: number) => void };

/** drivers/tty/serial/8250/8250_port.c size_fifo(): count bytes that survive a loopback burst. */
function sizeFifo({ inb, outb }: Io): number {
  const oldLcr = inb(LCR);
  outb(LCR, 0);
  const oldFcr = inb(FCR); // really IIR: the driver restores that value into FCR
  const oldMcr = inb(MCR);
  outb(FCR, 0x07);
  outb(MCR, 0x10);
  outb(LCR, 0x80);
  const oldDl = inb(DLL) | (inb(DLM) << 8);
  outb(DLL, 1);
  outb(DLM, 0);
  outb(LCR, 0x03);
  for (let i = 0; i < 256; i++) outb(THR, i);
  let count = 0;
  while (inb(LSR) & 0x01 && count < 256) {
    inb(RBR);
    count++;
  }
  outb(FCR, oldFcr);
  outb(MCR, oldMcr);
  outb(LCR, 0x80);
  outb(DLL, oldDl & 0xff);
  outb(DLM, oldDl >> 8);
  outb(LCR, oldLcr);
  return count;
}

/** The chip-type decision of Linux 6.1 autoconfig() + autoconfig_16550a(), step by step. */
function linuxAutoconfig(io: Io): string {
  const { inb, outb } = io;
  // IER existence test
  const scratch = inb(IER);
  outb(IER, 0);
  const scratch2 = inb(IER) & 0x0f;
  outb(IER, 0x0f);
  const scratch3 = inb(IER) & 0x0f;
  outb(IER, scratch);
  if (scratch2 !== 0 || scratch3 !== 0x0f) return 'none';
  const saveLcr = inb(LCR);
  // EFR init, then the FIFO probe
  outb(LCR, 0xbf);
  outb(EFR, 0);
  outb(LCR, 0);
  outb(FCR, 0x01);
  const fifo = inb(IIR) >> 6;
  if (fifo !== 3) return ['8250', 'unknown', '16550', ''][fifo]!;
  // EFR with DLAB (ST16C650V1)
  outb(LCR, 0x80);
  if (inb(EFR) === 0) return '16650';
  // EFR with LCR=0xBF (16650V2 and friends)
  outb(LCR, 0xbf);
  if (inb(EFR) === 0) return '16650V2';
  // National Semiconductor bank switching
  outb(LCR, 0);
  const status1 = inb(MCR);
  outb(LCR, 0xe0);
  let status2 = inb(0x02);
  if (!((status2 ^ status1) & 0x10)) {
    outb(LCR, 0);
    outb(MCR, status1 ^ 0x10);
    outb(LCR, 0xe0);
    status2 = inb(0x02);
    outb(LCR, 0);
    outb(MCR, status1);
    if ((status2 ^ status1) & 0x10) return 'NS16550A';
  }
  // TI16750 64-byte FIFO
  outb(LCR, 0);
  outb(FCR, 0x21);
  const s1 = inb(IIR) >> 5;
  outb(FCR, 0x01);
  outb(LCR, 0x80);
  outb(FCR, 0x21);
  const s2 = inb(IIR) >> 5;
  outb(FCR, 0x01);
  outb(LCR, 0);
  if (s1 === 6 && s2 === 7) return '16750';
  // XScale UUE bit
  const iersave = inb(IER);
  outb(IER, iersave & ~0x40);
  if (!(inb(IER) & 0x40)) {
    outb(IER, iersave | 0x40);
    if (inb(IER) & 0x40) return 'XScale';
  }
  outb(IER, iersave);
  if (sizeFifo(io) === 64) return 'U6_16550A';
  outb(LCR, saveLcr);
  return '16550A';
}

describe('Uart16550 probing by Linux', () => {
  it('is detected as a 16550A by the 8250 autoconfig sequence', () => {
    const t = setup();
    expect(linuxAutoconfig(t)).toBe('16550A');
  });

  it('has a working scratch register and IER writable mask 0x0F', () => {
    const { inb, outb } = setup();
    outb(SCR, 0xa5);
    expect(inb(SCR)).toBe(0xa5);
    outb(SCR, 0x5a);
    expect(inb(SCR)).toBe(0x5a);
    outb(IER, 0xff);
    expect(inb(IER)).toBe(0x0f);
  });

  it('reports FIFOs in IIR bits 7:6 only while enabled, and never bit 5', () => {
    const { inb, outb } = setup();
    expect(inb(IIR)).toBe(0x01);
    outb(FCR, 0x01);
    expect(inb(IIR)).toBe(0xc1);
    outb(FCR, 0x21);
    expect(inb(IIR) & 0x20).toBe(0);
    outb(FCR, 0x00);
    expect(inb(IIR)).toBe(0x01);
  });

  it('passes the loopback existence test (MCR=LOOP|OUT2|RTS reads MSR 0x90)', () => {
    const { inb, outb } = setup();
    outb(MCR, 0x10 | 0x0a);
    expect(inb(MSR) & 0xf0).toBe(0x90);
  });

  it('reports a 16-byte FIFO to size_fifo', () => {
    const t = setup();
    expect(sizeFifo(t)).toBe(16);
    expect(t.sent).toEqual([]); // loopback traffic never reaches the line
  });

  it('resets with LSR 0x60, MSR 0xB0 and no interrupt pending', () => {
    const { inb } = setup();
    expect(inb(LSR)).toBe(0x60);
    expect(inb(MSR)).toBe(0xb0);
    expect(inb(IIR)).toBe(0x01);
    expect(inb(LCR)).toBe(0);
  });
});

describe('Uart16550 transmitter and THRE interrupt', () => {
  it("passes serial8250_do_startup's THRE re-assert test (no UART_BUG_THRE)", () => {
    const { inb, outb, irq } = setup();
    outb(FCR, 0x07);
    outb(IER, 0x02);
    const iir1 = inb(IIR);
    outb(IER, 0);
    outb(IER, 0x02);
    const iir = inb(IIR);
    outb(IER, 0);
    expect(iir1).toBe(0xc2);
    expect(iir).toBe(0xc2);
    const bugThre = !(iir1 & 1) && (iir & 1) !== 0;
    expect(bugThre).toBe(false);
    expect(irq()).toBe(false);
  });

  it('raises THRE as soon as ETBEI is enabled with THR empty, and the TXEN test passes', () => {
    const { inb, outb, irq } = setup();
    outb(IER, 0x02);
    expect(irq()).toBe(true);
    const lsr = inb(LSR);
    const iir = inb(IIR);
    outb(IER, 0);
    expect(lsr & 0x40).toBe(0x40);
    expect(iir & 1).toBe(0); // not UART_BUG_TXEN
  });

  it('clears THRE when IIR is read while it reports THRE', () => {
    const { inb, outb, irq } = setup();
    outb(IER, 0x02);
    expect(inb(IIR)).toBe(0x02);
    expect(irq()).toBe(false);
    expect(inb(IIR)).toBe(0x01);
    // Rewriting IER with ETBEI already set is not a 0->1 edge: no new THRE.
    outb(IER, 0x02);
    expect(inb(IIR)).toBe(0x01);
  });

  it('hands THR bytes to onTransmit at once and re-raises THRE with a fresh edge', () => {
    const { inb, outb, sent, irqLog } = setup();
    outb(IER, 0x02);
    inb(IIR); // acknowledge the enable-time THRE
    irqLog.length = 0;
    outb(THR, 0x41);
    outb(THR, 0x42);
    expect(sent).toEqual([0x41, 0x42]);
    expect(inb(LSR) & 0x60).toBe(0x60);
    // line: up after the first byte, down/up around the second
    expect(irqLog).toEqual([true, false, true]);
    expect(inb(IIR)).toBe(0x02);
  });

  it('does not interrupt for THRE while ETBEI is off', () => {
    const { outb, irq, sent } = setup();
    outb(THR, 0x55);
    expect(sent).toEqual([0x55]);
    expect(irq()).toBe(false);
  });
});

describe('Uart16550 receiver', () => {
  it('non-FIFO: pushRx sets DR and the IRQ, reading drains and asks for more input', () => {
    const { uart, inb, outb, irq, rxSpace } = setup();
    outb(IER, 0x01);
    expect(rxSpace()).toBe(1); // the guest started listening
    expect(uart.canReceive()).toBe(true);
    uart.pushRx(0x61);
    expect(uart.canReceive()).toBe(false);
    expect(inb(LSR) & 0x01).toBe(0x01);
    expect(irq()).toBe(true);
    expect(inb(IIR)).toBe(0x04);
    expect(inb(RBR)).toBe(0x61);
    expect(inb(LSR) & 0x01).toBe(0);
    expect(irq()).toBe(false);
    expect(rxSpace()).toBe(2);
    expect(uart.canReceive()).toBe(true);
  });

  it('non-FIFO: a second byte before the read overruns (OE, RLS interrupt outranks RX data)', () => {
    const { uart, inb, outb } = setup();
    outb(IER, 0x05);
    uart.pushRx(1);
    uart.pushRx(2);
    expect(inb(IIR)).toBe(0x06);
    expect(inb(LSR) & 0x03).toBe(0x03); // reading LSR clears OE
    expect(inb(IIR)).toBe(0x04);
    expect(inb(RBR)).toBe(2);
  });

  it('FIFO: holds 16 bytes, interrupts at the trigger level, drains in order', () => {
    const { uart, inb, outb, irq, rxSpace } = setup();
    outb(FCR, 0x81); // FIFO on, trigger 8
    outb(IER, 0x01);
    for (let i = 0; i < 7; i++) uart.pushRx(0x30 + i);
    expect(inb(LSR) & 1).toBe(1);
    expect(irq()).toBe(false);
    expect(inb(IIR)).toBe(0xc1);
    uart.pushRx(0x37);
    expect(irq()).toBe(true);
    expect(inb(IIR)).toBe(0xc4);
    for (let i = 8; i < 16; i++) uart.pushRx(0x30 + i);
    expect(uart.canReceive()).toBe(false);
    const got: number[] = [];
    while (inb(LSR) & 1) got.push(inb(RBR));
    expect(got).toEqual(Array.from({ length: 16 }, (_, i) => 0x30 + i));
    expect(irq()).toBe(false);
    expect(rxSpace()).toBe(2 + 16); // FIFO enable, IER enable, then one per byte read
  });

  it('FIFO: the 17th byte is lost and sets OE without disturbing the FIFO', () => {
    const { uart, inb, outb } = setup();
    outb(FCR, 0x01);
    for (let i = 0; i < 17; i++) uart.pushRx(i);
    expect(inb(LSR) & 0x02).toBe(0x02);
    expect(inb(LSR) & 0x02).toBe(0);
    const got: number[] = [];
    while (inb(LSR) & 1) got.push(inb(RBR));
    expect(got).toEqual(Array.from({ length: 16 }, (_, i) => i));
  });

  it('FIFO: data below the trigger raises the timeout interrupt after 4 character times', () => {
    const t = setup();
    const { uart, inb, outb, irq, advance } = t;
    // 115200 8N1: one frame = 10 bits * 16 * 1 / 1.8432 MHz = 86.8 us; 4 frames = 69444.4 cycles
    outb(LCR, 0x83);
    outb(DLL, 1);
    outb(DLM, 0);
    outb(LCR, 0x03);
    expect(uart.characterTimeNs).toBeCloseTo(86805.56, 1);
    outb(FCR, 0xc1); // trigger 14
    outb(IER, 0x01);
    uart.pushRx(0x61);
    uart.pushRx(0x62);
    uart.pushRx(0x63);
    advance(69444);
    expect(irq()).toBe(false);
    expect(inb(IIR)).toBe(0xc1);
    advance(1);
    expect(irq()).toBe(true);
    expect(inb(IIR)).toBe(0xcc);
    // Reading a byte clears the timeout and restarts the 4-character wait.
    expect(inb(RBR)).toBe(0x61);
    expect(irq()).toBe(false);
    advance(69000);
    expect(irq()).toBe(false);
    advance(1000);
    expect(inb(IIR)).toBe(0xcc);
    expect(inb(RBR)).toBe(0x62);
    expect(inb(RBR)).toBe(0x63);
    advance(1_000_000);
    expect(irq()).toBe(false);
    expect(inb(IIR)).toBe(0xc1);
  });

  it('scales the character time with the divisor and frame format', () => {
    const { uart, outb } = setup();
    outb(LCR, 0x80);
    outb(DLL, 12);
    outb(DLM, 0);
    outb(LCR, 0x1f); // 8 data, 2 stop, even parity: 12-bit frame
    expect(uart.characterTimeNs).toBeCloseTo((12 * 16 * 12 * 1e9) / 1_843_200, 3);
    outb(LCR, 0x80);
    outb(DLL, 0); // divisor 0 falls back to the fastest rate, never a zero or infinite time
    outb(LCR, 0x03);
    expect(uart.characterTimeNs).toBeCloseTo((10 * 16 * 1e9) / 1_843_200, 3);
  });

  it('asks the host for input when the guest enables the receive interrupt', () => {
    const { uart, outb, rxSpace } = setup();
    expect(uart.rxInterruptEnabled).toBe(false);
    outb(IER, 0x02);
    expect(rxSpace()).toBe(0);
    outb(IER, 0x03);
    expect(uart.rxInterruptEnabled).toBe(true);
    expect(rxSpace()).toBe(1);
    outb(IER, 0x01); // already enabled: no new request
    expect(rxSpace()).toBe(1);
  });

  it('FCR receive-FIFO reset empties the FIFO, clears DR and asks for input', () => {
    const { uart, inb, outb, rxSpace } = setup();
    outb(FCR, 0x01);
    uart.pushRx(1);
    uart.pushRx(2);
    expect(rxSpace()).toBe(1); // switching the FIFOs on asks for input
    outb(FCR, 0x03);
    expect(inb(LSR) & 1).toBe(0);
    expect(rxSpace()).toBe(2);
    expect(uart.canReceive()).toBe(true);
  });
});

describe('Uart16550 loopback and modem status', () => {
  it('loops THR into RBR, disconnects the line and maps MCR outputs to MSR inputs', () => {
    const { uart, inb, outb, sent } = setup();
    outb(MCR, 0x10);
    expect(uart.canReceive()).toBe(false);
    expect(uart.pushRx(0x99)).toBe(false);
    outb(THR, 0x5a);
    expect(sent).toEqual([]);
    expect(inb(LSR) & 1).toBe(1);
    expect(inb(RBR)).toBe(0x5a);
    outb(MCR, 0x10 | 0x01); // DTR -> DSR
    expect(inb(MSR) & 0xf0).toBe(0x20);
    outb(MCR, 0x10 | 0x02); // RTS -> CTS
    expect(inb(MSR) & 0xf0).toBe(0x10);
    outb(MCR, 0x10 | 0x04); // OUT1 -> RI
    expect(inb(MSR) & 0xf0).toBe(0x40);
    outb(MCR, 0x10 | 0x08); // OUT2 -> DCD
    expect(inb(MSR) & 0xf0).toBe(0x80);
    outb(MCR, 0);
    expect(inb(MSR) & 0xf0).toBe(0xb0);
    expect(uart.canReceive()).toBe(true);
  });

  it('latches delta bits, interrupts on them with EDSSI and clears them on MSR read', () => {
    const { inb, outb, irq } = setup();
    outb(MCR, 0x10 | 0x0f); // loop with all outputs high: CTS DSR RI DCD
    inb(MSR);
    outb(IER, 0x08);
    expect(irq()).toBe(false);
    outb(MCR, 0x10 | 0x08); // drop RTS, DTR, OUT1
    expect(irq()).toBe(true);
    expect(inb(IIR)).toBe(0x00);
    // DCTS, DDSR, and TERI (RI went 1 -> 0)
    expect(inb(MSR)).toBe(0x80 | 0x01 | 0x02 | 0x04);
    expect(irq()).toBe(false);
    expect(inb(MSR)).toBe(0x80);
  });
});

describe('Uart16550 register access', () => {
  it('DLAB switches offsets 0/1 to the divisor latch', () => {
    const { inb, outb, sent } = setup();
    outb(IER, 0x05);
    outb(LCR, 0x83);
    outb(DLL, 0x34);
    outb(DLM, 0x12);
    expect(inb(DLL)).toBe(0x34);
    expect(inb(DLM)).toBe(0x12);
    expect(sent).toEqual([]);
    outb(LCR, 0x03);
    expect(inb(IER)).toBe(0x05);
    expect(inb(LCR)).toBe(0x03);
  });

  it('regShift 3 with 32-bit accesses (CBUS UART): register i at 8*i, byte in the low 8 bits', () => {
    const { uart, sent } = setup({ regShift: 3, clockHz: 3_686_400 });
    uart.write(7 * 8, 4, 0xffffff5a);
    expect(uart.read(7 * 8, 4)).toBe(0x5a);
    uart.write(1 * 8, 4, 0x0f);
    expect(uart.read(1 * 8, 4)).toBe(0x0f);
    expect(uart.read(5 * 8, 4)).toBe(0x60);
    expect(uart.read(5 * 8 + 1, 1)).toBe(0); // upper bytes of the word
    uart.write(0, 4, 0x41);
    expect(sent).toEqual([0x41]);
    // base_baud 230400: divisor 2 is 115200 baud, same frame time as divisor 1 at 1.8432 MHz
    uart.write(3 * 8, 4, 0x83);
    uart.write(0, 4, 2);
    uart.write(8, 4, 0);
    uart.write(3 * 8, 4, 0x03);
    expect(uart.characterTimeNs).toBeCloseTo((10 * 16 * 1e9) / 1_843_200, 3);
  });

  it('IRQ is the OR of enabled conditions, reported in priority order', () => {
    const { uart, inb, outb, irq } = setup();
    outb(IER, 0x03);
    uart.pushRx(0x41);
    expect(inb(IIR)).toBe(0x04); // RX data before THRE
    expect(inb(RBR)).toBe(0x41);
    expect(irq()).toBe(true); // THRE still pending
    expect(inb(IIR)).toBe(0x02);
    expect(irq()).toBe(false);
    outb(IER, 0x00);
    uart.pushRx(0x42);
    expect(irq()).toBe(false); // masked
    outb(IER, 0x01);
    expect(irq()).toBe(true);
  });
});
