// Dispatch microbenchmark: what one translated "block" (10 register ops) and the jump to the next
// cost in V8, per code-generation strategy. It measures no odtab code; it is here to choose the
// JIT's backend. Run: node scripts/dispatch-microbench.mjs   (NB=blocks, ITERS=block runs)
//   JS functions        one generated function per block, called from a dispatcher loop (odtab's JIT today)
//   JS switch           one generated function, a loop over a switch on the block index
//   WASM call_indirect  one function per block in one module, the dispatcher loop in wasm
//   WASM br_table       one function, a loop over br_table (a state machine)
//   WASM batches        blocks in modules of BATCH (32) sharing one table, as a JIT would add them
// The modules are assembled here byte by byte (a minimal encoder: types, import, functions,
// table, export, elements, code).
const NB = Number(process.env.NB ?? 650), OPS = 10, ITERS = Number(process.env.ITERS ?? 2e7);
let seed = 12345; const rnd = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
const blocks = [];
for (let i = 0; i < NB; i++) {
  const ops = []; for (let j = 0; j < OPS; j++) ops.push([1 + rnd(31), 1 + rnd(31), rnd(1000) - 500]);
  blocks.push({ ops, next: rnd(NB) });
}
function time(name, f) {
  const c0 = performance.now(); f(ITERS / 100); const cold = performance.now() - c0;
  console.log(name.padEnd(22), 'first', ITERS / 100, 'blocks:', cold.toFixed(1), 'ms =', (cold * 1e6 / (ITERS / 100)).toFixed(1), 'ns/block');
  for (let w = 0; w < 3; w++) f(ITERS / 10);
  const t0 = performance.now(); const x = f(ITERS); const dt = performance.now() - t0;
  console.log(name.padEnd(22), (dt * 1e6 / ITERS).toFixed(1), 'ns/block', x);
}
// JS, function per block.
const r = new Int32Array(32);
const tf0 = performance.now();
const fns = blocks.map((b) => new Function('r', b.ops.map(([d, s, k]) => `r[${d}] = (r[${s}] + ${k}) | 0;`).join('\n') + `\nreturn ${b.next};`));
console.log('JS: new Function x', NB, (performance.now() - tf0).toFixed(1), 'ms');
time('JS functions', (n) => { let idx = 0; for (let i = 0; i < n; i++) idx = fns[idx](r); return r[5]; });
// JS, one switch.
const sw = new Function('r', 'n', `let idx = 0; for (let i = 0; i < n; i++) { switch (idx) {\n${blocks.map((b, i) => `case ${i}: ${b.ops.map(([d, s, k]) => `r[${d}] = (r[${s}] + ${k}) | 0;`).join(' ')} idx = ${b.next}; break;`).join('\n')}\n} } return r[5];`);
const r2 = new Int32Array(32); // its own registers: the same runs give the same result as the others
time('JS switch', (n) => sw(r2, n));

// --- a minimal wasm encoder
const uleb = (n) => { const o = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; o.push(b); } while (n); return o; };
const sleb = (n) => { const o = []; for (;;) { const b = n & 0x7f; n >>= 7; if ((n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40))) { o.push(b); return o; } o.push(b | 0x80); } };
const section = (id, bytes) => [id, ...uleb(bytes.length), ...bytes];
const vec = (items) => [...uleb(items.length), ...items.flat()];
const str = (s) => [...uleb(s.length), ...Buffer.from(s)];
const I32 = 0x7f;
const opsCode = (b) => b.ops.flatMap(([d, s, k]) => [0x41, ...sleb(d * 4), 0x41, ...sleb(s * 4), 0x28, 2, 0, 0x41, ...sleb(k), 0x6a, 0x36, 2, 0]);
function module(types, imports, funcs, tableLen, exportsList, codes) {
  const bytes = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
  bytes.push(...section(1, vec(types.map(([p, rr]) => [0x60, ...vec(p.map((x) => [x])), ...vec(rr.map((x) => [x]))]))));
  bytes.push(...section(2, vec(imports)));
  bytes.push(...section(3, vec(funcs.map((t) => uleb(t)))));
  if (tableLen) bytes.push(...section(4, vec([[0x70, 0, ...uleb(tableLen)]])));
  bytes.push(...section(7, vec(exportsList)));
  if (tableLen) bytes.push(...section(9, vec([[0, 0x41, 0, 0x0b, ...vec([...Array(tableLen).keys()].map((i) => uleb(i)))]])));
  bytes.push(...section(10, vec(codes.map((c) => [...uleb(c.length), ...c]))));
  return new Uint8Array(bytes);
}
const memImport = [...str('m'), ...str('mem'), 2, 0, 1];
// call_indirect variant: funcs 0..NB-1 = blocks (type 0: [] -> [i32]), func NB = run (type 1: [i32] -> [i32])
{
  const codes = blocks.map((b) => [0, ...opsCode(b), 0x41, ...sleb(b.next), 0x0b]);
  // run(n): local idx, i; loop: idx = call_indirect(idx); i++; br_if i < n
  codes.push([1, 2, I32, 0x03, 0x40, 0x20, 2, 0x11, 0, 0, 0x21, 2, 0x20, 1, 0x41, 1, 0x6a, 0x22, 1, 0x20, 0, 0x48, 0x0d, 0, 0x0b, 0x41, 20, 0x28, 2, 0, 0x0b]);
  const bin = module([[[], [I32]], [[I32], [I32]]], [memImport], [...blocks.map(() => 0), 1], NB, [[...str('run'), 0, ...uleb(NB)]], codes);
  const mem = new WebAssembly.Memory({ initial: 1 });
  const tm0 = performance.now(); const mod = new WebAssembly.Module(bin); console.log('WASM module (call_indirect) compile', (performance.now() - tm0).toFixed(1), 'ms,', bin.length, 'bytes');
  const inst = new WebAssembly.Instance(mod, { m: { mem } });
  time('WASM call_indirect', (n) => inst.exports.run(n));
}
// br_table variant: one function run(n)
{
  const body = [1, 2, I32];
  body.push(0x03, 0x40); // loop $L
  for (let i = 0; i < NB; i++) body.push(0x02, 0x40); // block x NB
  body.push(0x20, 2, 0x0e, ...vec([...Array(NB).keys()].map((i) => uleb(i))), ...uleb(0)); // br_table
  for (let i = 0; i < NB; i++) {
    body.push(0x0b); // end of block i: code for block i follows, at depth (NB-1-i) blocks + loop
    const depthToLoop = NB - 1 - i;
    body.push(...opsCode(blocks[i]), 0x41, ...sleb(blocks[i].next), 0x21, 2);
    // i++ ; if i < n br loop ; else return
    body.push(0x20, 1, 0x41, 1, 0x6a, 0x22, 1, 0x20, 0, 0x48, 0x0d, ...uleb(depthToLoop), 0x41, 20, 0x28, 2, 0, 0x0f);
  }
  body.push(0x0b, 0x41, 0, 0x0b);
  const bin = module([[[I32], [I32]]], [memImport], [0], 0, [[...str('run'), 0, 0]], [body]);
  const mem = new WebAssembly.Memory({ initial: 1 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bin), { m: { mem } });
  time('WASM br_table', (n) => inst.exports.run(n));
}
// Batches: blocks compiled a few at a time into separate modules (as a JIT finds them hot), each
// putting its functions into one shared table that a dispatcher module calls through.
{
  const B = Number(process.env.BATCH ?? 32);
  const mem = new WebAssembly.Memory({ initial: 1 });
  const tbl = new WebAssembly.Table({ element: 'anyfunc', initial: NB });
  const tableImport = [...str('m'), ...str('tbl'), 1, 0x70, 0, ...uleb(NB)];
  const typeSec = section(1, vec([[0x60, 0, 1, I32], [0x60, 1, I32, 1, I32]]));
  const head = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
  const t0 = performance.now();
  let bytes = 0;
  for (let k = 0; k * B < NB; k++) {
    const part = blocks.slice(k * B, (k + 1) * B);
    const bin = new Uint8Array([
      ...head, ...typeSec,
      ...section(2, vec([memImport, tableImport])),
      ...section(3, vec(part.map(() => [0]))),
      ...section(9, vec([[0, 0x41, ...sleb(k * B), 0x0b, ...vec(part.map((_, i) => uleb(i)))]])),
      ...section(10, vec(part.map((b) => { const c = [0, ...opsCode(b), 0x41, ...sleb(b.next), 0x0b]; return [...uleb(c.length), ...c]; }))),
    ]);
    bytes += bin.length;
    new WebAssembly.Instance(new WebAssembly.Module(bin), { m: { mem, tbl } });
  }
  const run = [1, 2, I32, 0x03, 0x40, 0x20, 2, 0x11, 0, 0, 0x21, 2, 0x20, 1, 0x41, 1, 0x6a, 0x22, 1, 0x20, 0, 0x48, 0x0d, 0, 0x0b, 0x41, 20, 0x28, 2, 0, 0x0b];
  const disp = new Uint8Array([
    ...head, ...typeSec,
    ...section(2, vec([memImport, tableImport])),
    ...section(3, vec([[1]])),
    ...section(7, vec([[...str('run'), 0, 0]])),
    ...section(10, vec([[...uleb(run.length), ...run]])),
  ]);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(disp), { m: { mem, tbl } });
  console.log(`WASM ${Math.ceil(NB / B)} modules of ${B} blocks compiled and linked in ${(performance.now() - t0).toFixed(1)} ms, ${bytes} bytes`);
  time('WASM batches', (n) => inst.exports.run(n));
}
