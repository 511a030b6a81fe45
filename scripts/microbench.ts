// Raw interpreter speed on a synthetic guest loop (no devices): a quick check while optimising.
import { Clock } from '../src/emu/clock';
import { Cpu } from '../src/emu/cpu/cpu';
import { Ram } from '../src/emu/memory/ram';

const ram = new Ram(16 << 20);
const phys = { ram, ramPage: (pa: number) => (pa < ram.size ? pa - (pa & 0xfff) : -1), read: () => 0, write: () => {} };
const clock = new Clock();
const cpu = new Cpu(phys, clock, '24Kf');
cpu.setStatus(0);
cpu.setJit(false);
const code = [
  0x3c098010, // lui t1, 0x8010
  0x24080000, // addiu t0, zero, 0
  0x8d2a0000, // lw t2, 0(t1)
  0x254a0001, // addiu t2, t2, 1
  0xad2a0000, // sw t2, 0(t1)
  0x25080001, // addiu t0, t0, 1
  0x00085880, // sll t3, t0, 2
  0x016a6021, // addu t4, t3, t2
  0x1000fff9, // b -7 (to lw)
  0x00000000, // nop
];
code.forEach((w, i) => (ram.i32[(0x1000 >> 2) + i] = w | 0));
cpu.pc = 0x80001000 | 0;
cpu.npc = 0x80001004 | 0;
for (let round = 0; round < 5; round++) {
  const t0 = performance.now();
  const c0 = clock.cycles;
  cpu.run(clock.cycles + 100_000_000);
  const dt = (performance.now() - t0) / 1000;
  console.log(`${((clock.cycles - c0) / dt / 1e6).toFixed(0)} MIPS`);
}
