// A synthetic guest that stresses what Linux workloads such as gzip and a busybox shell loop spend
// their time on: user code walking more pages than the 16-entry TLB holds, so a TLB refill runs
// every ~ALU+10 instructions through Linux's own refill handler (its exact instruction sequence,
// with our addresses). No devices, no boot: a quick, repeatable check while optimising the
// dispatcher, the software TLB and the translator.
//   npx tsx scripts/tlb-storm.ts [ALU instructions per visit, default 50] [page pairs, default 64]
import { Clock } from '../src/emu/clock';
import { Cpu } from '../src/emu/cpu/cpu';
import { Ram } from '../src/emu/memory/ram';
import { Asm } from '../tests/helpers/jit-diff';
import * as A from '../tests/helpers/mips-asm';
import { S0, S1, S2, T0, T1, T2, T3 } from '../tests/helpers/mips-asm';
import { PageTables, linuxRefillHandler } from '../tests/helpers/linux-refill';

const alu = Number(process.argv[2] ?? 50);
const pages = Number(process.argv[3] ?? 64);
const ram = new Ram(32 << 20);
const phys = { ram, ramPage: (pa: number) => (pa < ram.size ? pa - (pa & 0xfff) : -1), read: () => 0, write: () => {} };
const clock = new Clock();
const cpu = new Cpu(phys, clock, '24Kf');
const w32 = (pa: number, v: number) => (ram.i32[pa >>> 2] = v | 0);

linuxRefillHandler().forEach((w, i) => w32(i * 4, w));
A.halt().forEach((w, i) => w32(0x180 + i * 4, w)); // anything but a refill parks here

// User code at 0x00400000 (4 pages), data at 0x10000000, mapped from physical 4 MiB up.
const tables = new PageTables((pa) => ram.i32[pa >>> 2], w32);
tables.map(0x00400000, 0x400000, 4);
tables.map(0x10000000, 0x404000, pages * 2);
const userPa = (va: number) => 0x400000 + (va - 0x00400000);

// The user program: visit one page of every even/odd pair (so each visit needs its own TLB
// entry), load, compute, store, again and again.
const prog = new Asm(0x00400000)
  .emit(A.li(S0, 0x10000000), A.li(S1, pages), A.li(S2, 0))
  .label('outer')
  .emit(A.move(T0, S0), A.move(T1, S1))
  .label('inner')
  .emit(A.lw(T2, 0, T0), A.addu(S2, S2, T2));
for (let i = 0; i < alu; i++) prog.emit(i % 3 === 0 ? A.xor(T3, T3, S2) : i % 3 === 1 ? A.sll(T3, T3, 1) : A.addu(S2, S2, T3));
prog.emit(A.sw(S2, 4, T0), A.addiu(T1, T1, -1)).br('inner', (o) => A.bne(T1, 0, o)).emit(A.addiu(T0, T0, 8192));
prog.br('outer', A.b).emit(A.nop());
prog.assemble().forEach((w, i) => w32(userPa(0x00400000) + i * 4, w));

cpu.setStatus(1 << 4); // user mode, EXL = 0, interrupts off
cpu.entryHi = 1; // ASID 1
cpu.pc = 0x00400000;
cpu.npc = 0x00400004;

let refills = 0;
const tlbwr = cpu.tlbWriteRandom.bind(cpu);
if (process.env.COUNT) cpu.tlbWriteRandom = () => (refills++, tlbwr());
const per = Number(process.env.PER ?? 100_000_000);
for (let round = 0, rounds = Number(process.env.ROUNDS ?? 6); round < rounds; round++) {
  const t0 = performance.now();
  const c0 = clock.cycles;
  cpu.run(clock.cycles + per);
  const dt = (performance.now() - t0) / 1000;
  if ((cpu.pc >>> 0) >= 0x80000180 && (cpu.pc >>> 0) < 0x80000190) throw new Error('unexpected exception');
  console.log(`${((clock.cycles - c0) / dt / 1e6).toFixed(1)} MIPS${refills ? `, a refill every ${(clock.cycles / refills).toFixed(0)} instructions, ${((100 * cpu.refillsInPlace) / refills).toFixed(0)}% in place` : ''}`);
}
