/**
 * A hand-assembled kernel for the CLI disk tests: it drives the primary IDE channel by PIO as a
 * driver would and talks on COM1, so a spawned `odtab boot --kernel` shows what the guest read
 * from the image and the file shows what it wrote. The built-in Debian guest cannot do this (its
 * initrd has no ATA driver).
 *
 * What it does, from the kernel entry, with interrupts off:
 *   1. READ SECTORS of one sector at `lba` from the selected drive;
 *   2. prints `count=C` where C is the first byte of that sector;
 *   3. if C is `last`, prints `done` and spins;
 *   4. otherwise stores C + 1 there, WRITE SECTORS it back, FLUSH CACHE, prints `written C+1`,
 *      then either resets the board through the FPGA's SOFTRES (the machine reboots and the
 *      kernel starts over from step 1, with the disk as the guest left it) or spins.
 * A drive that reports an error makes it print `ata error` and spin.
 */
import {
  A0,
  RA,
  S0,
  S1,
  S2,
  S3,
  T0,
  T1,
  T2,
  T3,
  ZERO,
  addiu,
  andi,
  b,
  beq,
  bne,
  jal,
  jr,
  lbu,
  lhu,
  li,
  nop,
  sb,
  sh,
  sw,
} from './mips-asm';
import { tinyKernel } from './ide-kernel';

const BASE = 0x80100000;
const IO = 0xb8000000; // PCI I/O window (0x18000000) through kseg1
const BUFFER = 0x80200000;
const FPGA_SOFTRES = 0xbf000500;

/** Two-pass assembly with labels: branch offsets and jump targets are resolved at the end. */
class Asm {
  private readonly items: (number | ((at: number) => number))[] = [];
  private readonly labels = new Map<string, number>();

  label(name: string): void {
    this.labels.set(name, this.items.length);
  }
  emit(...words: (number | number[])[]): void {
    for (const w of words) this.items.push(...(Array.isArray(w) ? w : [w]));
  }
  /** A branch to `label`: `make` gets the offset in instructions from the delay slot. */
  branch(make: (off: number) => number, label: string): void {
    this.items.push((at) => make(this.at(label) - (at + 1)));
    this.items.push(nop());
  }
  call(label: string): void {
    this.items.push(() => jal(BASE + this.at(label) * 4));
    this.items.push(nop());
  }
  /** Load the address of `label` (two words, like li). */
  address(reg: number, label: string): void {
    this.items.push(() => li(reg, BASE + this.at(label) * 4)[0]!);
    this.items.push(() => li(reg, BASE + this.at(label) * 4)[1]!);
  }
  /** A NUL-terminated string, padded to whole words. */
  text(name: string, s: string): void {
    this.label(name);
    const bytes = [...Buffer.from(s + '\0', 'latin1')];
    while (bytes.length % 4) bytes.push(0);
    for (let i = 0; i < bytes.length; i += 4) {
      this.items.push((bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0);
    }
  }
  words(): number[] {
    return this.items.map((w, i) => (typeof w === 'number' ? w : w(i)));
  }
  private at(label: string): number {
    const at = this.labels.get(label);
    if (at === undefined) throw new Error(`no label ${label}`);
    return at;
  }
}

export interface DiskKernelOptions {
  /** Which drive of the primary channel: the master (--hda) or the slave (--hdb). */
  drive?: 'master' | 'slave';
  /** Sector holding the counter byte (its first byte). */
  lba?: number;
  /** Counter value at which it stops with `done`. */
  last?: string;
  /** After a write: reset the board (and count again) or spin. */
  afterWrite?: 'reboot' | 'spin';
  /** Extra bytes appended to the image (a built-in command line, for the boot checks). */
  trailer?: string;
}

export function diskKernel(opts: DiskKernelOptions = {}): Uint8Array {
  const select = opts.drive === 'slave' ? 0xf0 : 0xe0;
  const lba = opts.lba ?? 0;
  if (lba < 0 || lba > 0xffffff) throw new RangeError('lba must fit in 24 bits');
  const last = (opts.last ?? '2').charCodeAt(0);
  const a = new Asm();

  a.emit(li(S0, IO), li(S1, BUFFER), li(S2, select), li(S3, lba));
  a.call('wait_ready');

  // READ SECTORS (0x20), one sector, LBA28.
  a.call('taskfile');
  a.emit(li(T0, 0x20), sb(T0, 0x1f7, S0));
  a.call('wait_drq');
  a.emit(addiu(T1, S1, 0), li(T2, 256));
  a.label('read_word');
  a.emit(lhu(T0, 0x1f0, S0), sh(T0, 0, T1), addiu(T1, T1, 2), addiu(T2, T2, -1));
  a.branch((o) => bne(T2, ZERO, o), 'read_word');
  a.call('wait_ready');

  a.address(A0, 'str_count');
  a.call('puts');
  a.emit(lbu(A0, 0, S1));
  a.call('putc');
  a.address(A0, 'str_nl');
  a.call('puts');

  a.emit(lbu(T0, 0, S1), li(T1, last));
  a.branch((o) => beq(T0, T1, o), 'done');

  // Count up and WRITE SECTORS (0x30) it back, then FLUSH CACHE (0xE7).
  a.emit(addiu(T0, T0, 1), sb(T0, 0, S1));
  a.call('taskfile');
  a.emit(li(T0, 0x30), sb(T0, 0x1f7, S0));
  a.call('wait_drq');
  a.emit(addiu(T1, S1, 0), li(T2, 256));
  a.label('write_word');
  a.emit(lhu(T0, 0, T1), sh(T0, 0x1f0, S0), addiu(T1, T1, 2), addiu(T2, T2, -1));
  a.branch((o) => bne(T2, ZERO, o), 'write_word');
  a.call('wait_ready');
  a.emit(sb(S2, 0x1f6, S0), li(T0, 0xe7), sb(T0, 0x1f7, S0));
  a.call('wait_ready');

  a.address(A0, 'str_written');
  a.call('puts');
  a.emit(lbu(A0, 0, S1));
  a.call('putc');
  a.address(A0, 'str_nl');
  a.call('puts');
  if (opts.afterWrite !== 'spin') a.emit(li(T0, FPGA_SOFTRES), li(T1, 0x42), sw(T1, 0, T0));
  a.label('spin');
  a.branch((o) => b(o), 'spin');

  a.label('done');
  a.address(A0, 'str_done');
  a.call('puts');
  a.branch((o) => b(o), 'spin');

  a.label('ata_error');
  a.address(A0, 'str_error');
  a.call('puts');
  a.branch((o) => b(o), 'spin');

  // taskfile: device, count 1, LBA bytes of S3 (uses T0).
  a.label('taskfile');
  a.emit(sb(S2, 0x1f6, S0), li(T0, 1), sb(T0, 0x1f2, S0), sb(S3, 0x1f3, S0));
  a.emit(li(T0, lba >>> 8), sb(T0, 0x1f4, S0), li(T0, lba >>> 16), sb(T0, 0x1f5, S0));
  a.emit(jr(RA), nop());

  // wait_ready: until BSY clears; ERR sends us to ata_error.
  a.label('wait_ready');
  a.emit(lbu(T0, 0x1f7, S0), andi(T1, T0, 0x80));
  a.branch((o) => bne(T1, ZERO, o), 'wait_ready');
  a.emit(andi(T1, T0, 0x01));
  a.branch((o) => bne(T1, ZERO, o), 'ata_error');
  a.emit(jr(RA), nop());

  // wait_drq: until BSY is clear and DRQ set.
  a.label('wait_drq');
  a.emit(lbu(T0, 0x1f7, S0), andi(T1, T0, 0x01));
  a.branch((o) => bne(T1, ZERO, o), 'ata_error');
  a.emit(andi(T1, T0, 0x88), li(T3, 0x08));
  a.branch((o) => bne(T1, T3, o), 'wait_drq');
  a.emit(jr(RA), nop());

  // putc: A0 to COM1 once the holding register is empty (uses T1).
  a.label('putc');
  a.emit(lbu(T1, 0x3fd, S0), andi(T1, T1, 0x20));
  a.branch((o) => beq(T1, ZERO, o), 'putc');
  a.emit(sb(A0, 0x3f8, S0), jr(RA), nop());

  // puts: the NUL-terminated string at A0 (uses T0, T1).
  a.label('puts');
  a.emit(lbu(T0, 0, A0));
  a.branch((o) => beq(T0, ZERO, o), 'puts_end');
  a.label('puts_wait');
  a.emit(lbu(T1, 0x3fd, S0), andi(T1, T1, 0x20));
  a.branch((o) => beq(T1, ZERO, o), 'puts_wait');
  a.emit(sb(T0, 0x3f8, S0), addiu(A0, A0, 1));
  a.branch((o) => b(o), 'puts');
  a.label('puts_end');
  a.emit(jr(RA), nop());

  a.text('str_count', 'count=');
  a.text('str_written', 'written ');
  a.text('str_done', 'done\r\n');
  a.text('str_error', 'ata error\r\n');
  a.text('str_nl', '\r\n');
  if (opts.trailer) a.text('trailer', opts.trailer);
  return tinyKernel(a.words(), BASE);
}
