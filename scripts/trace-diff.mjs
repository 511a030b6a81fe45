#!/usr/bin/env node
// Compare an odtab --trace file with a QEMU `-d exec,int,nochain -singlestep` (or
// `-accel tcg,one-insn-per-tb=on`) log: print the first executed PC where they differ, with the
// instructions leading up to it. Both traces are reduced to their PC sequences; QEMU's is aligned
// to the first PC of ours (QEMU also traces its boot stub, odtab starts at the kernel entry).
// Usage: node scripts/trace-diff.mjs odtab.trace qemu.log [context=20]
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const [oursPath, qemuPath, ctxArg] = process.argv.slice(2);
if (!oursPath || !qemuPath) {
  console.error('usage: trace-diff.mjs ODTAB_TRACE QEMU_LOG [CONTEXT]');
  process.exit(2);
}
const context = Number(ctxArg ?? 20);

async function* pcs(path, re) {
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of rl) {
    const m = re.exec(line);
    if (m) yield { pc: m[1].toLowerCase(), line };
  }
}

/** QEMU prints "Trace" before a TB runs; "Stopped execution of TB chain before ... [pc]" undoes it. */
async function* qemuPcs(path) {
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let pending = null;
  for await (const line of rl) {
    const t = /^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+\/([0-9a-f]{8})\//.exec(line);
    if (t) {
      if (pending) yield pending;
      pending = { pc: t[1], line };
      continue;
    }
    const s = /^Stopped execution of TB chain before 0x[0-9a-f]+ \[([0-9a-f]{8})\]/.exec(line);
    if (s && pending && pending.pc === s[1]) pending = null;
  }
  if (pending) yield pending;
}

const ours = pcs(oursPath, /^([0-9a-f]{8})$/);
const qemu = qemuPcs(qemuPath);

const first = (await ours.next()).value;
if (!first) {
  console.error(`no PCs in ${oursPath}`);
  process.exit(2);
}
let q;
do q = (await qemu.next()).value;
while (q && q.pc !== first.pc);
if (!q) {
  console.error(`QEMU log never reaches ${first.pc}`);
  process.exit(1);
}
const recent = [];
let n = 0;
let o = first;
for (;;) {
  if (!o || !q) {
    console.log(`traces agree for ${n} instructions (${!o ? 'odtab' : 'QEMU'} trace ended)`);
    process.exit(0);
  }
  if (o.pc !== q.pc) {
    console.log(`first difference after ${n} identical instructions:`);
    for (const pc of recent) console.log(`  ${pc}`);
    console.log(`> odtab: ${o.pc}`);
    console.log(`> QEMU:  ${q.pc}`);
    process.exit(1);
  }
  recent.push(o.pc);
  if (recent.length > context) recent.shift();
  n++;
  o = (await ours.next()).value;
  q = (await qemu.next()).value;
}
