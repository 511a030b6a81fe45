/**
 * Just enough of the WebAssembly binary format to emit the translator's modules: a byte
 * buffer with LEB128 immediates, the opcodes it uses, and the module sections around one body.
 * (Runs when a block is translated, never on the guest's hot path.)
 */

export const OP = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, return: 0x0f,
  call: 0x10, callIndirect: 0x11, drop: 0x1a, select: 0x1b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load: 0x28, i64Load: 0x29, f64Load: 0x2b, i32Load8S: 0x2c, i32Load8U: 0x2d, i32Load16S: 0x2e, i32Load16U: 0x2f,
  i32Store: 0x36, i64Store: 0x37, f64Store: 0x39, i32Store8: 0x3a, i32Store16: 0x3b,
  i32Const: 0x41, i64Const: 0x42, f64Const: 0x44,
  i32Eqz: 0x45, i32Eq: 0x46, i32Ne: 0x47, i32LtS: 0x48, i32LtU: 0x49, i32GtS: 0x4a, i32GtU: 0x4b,
  i32LeS: 0x4c, i32LeU: 0x4d, i32GeS: 0x4e, i32GeU: 0x4f,
  f64Lt: 0x63, f64Ge: 0x66,
  i32Clz: 0x67, i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32DivS: 0x6d, i32DivU: 0x6e, i32RemS: 0x6f, i32RemU: 0x70,
  i32And: 0x71, i32Or: 0x72, i32Xor: 0x73, i32Shl: 0x74, i32ShrS: 0x75, i32ShrU: 0x76, i32Rotr: 0x78,
  i64Add: 0x7c, i64Sub: 0x7d, i64Mul: 0x7e, i64Or: 0x84, i64Shl: 0x86, i64ShrS: 0x87, i64ShrU: 0x88,
  f64Add: 0xa0, f64Sub: 0xa1,
  i32WrapI64: 0xa7, i64ExtendI32S: 0xac, i64ExtendI32U: 0xad,
  i32Extend8S: 0xc0, i32Extend16S: 0xc1,
} as const;

export const TYPE = { i32: 0x7f, i64: 0x7e, f64: 0x7c, void: 0x40, func: 0x60, funcref: 0x70 } as const;

/** A growing byte buffer with the encodings the translator needs. */
export class WasmCode {
  bytes: number[] = [];
  /** Open blocks, loops and ifs: branch depths are counted from here. */
  depth = 0;

  byte(b: number): this {
    this.bytes.push(b);
    return this;
  }

  op(...codes: number[]): this {
    for (const c of codes) this.bytes.push(c);
    return this;
  }

  uleb(v: number): this {
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.bytes.push(b);
    } while (v !== 0);
    return this;
  }

  sleb(v: number): this {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.bytes.push(b);
        return this;
      }
      this.bytes.push(b | 0x80);
    }
  }

  i32(v: number): this {
    return this.byte(OP.i32Const).sleb(v);
  }

  f64(v: number): this {
    this.byte(OP.f64Const);
    const b = new Uint8Array(new Float64Array([v]).buffer);
    for (let i = 0; i < 8; i++) this.bytes.push(b[i]);
    return this;
  }

  get(local: number): this {
    return this.byte(OP.localGet).uleb(local);
  }

  set(local: number): this {
    return this.byte(OP.localSet).uleb(local);
  }

  tee(local: number): this {
    return this.byte(OP.localTee).uleb(local);
  }

  /** A load or store with its alignment hint (log2) and constant offset. */
  mem(op: number, align: number, offset: number): this {
    return this.byte(op).uleb(align).uleb(offset);
  }

  /** Open `block`, `loop` or `if` (without a result). */
  open(op: number): this {
    this.depth++;
    return this.byte(op).byte(TYPE.void);
  }

  end(): this {
    this.depth--;
    return this.byte(OP.end);
  }

  append(other: WasmCode): this {
    for (const b of other.bytes) this.bytes.push(b);
    return this;
  }

  /** A length-prefixed name or byte vector. */
  name(s: string): this {
    this.uleb(s.length);
    for (let i = 0; i < s.length; i++) this.bytes.push(s.charCodeAt(i));
    return this;
  }

  section(id: number, content: WasmCode): this {
    this.byte(id).uleb(content.bytes.length);
    return this.append(content);
  }
}

export interface FuncType {
  params: number[];
  results: number[];
}

export type Import =
  | { module: string; name: string; kind: 'func'; type: number }
  | { module: string; name: string; kind: 'memory' }
  | { module: string; name: string; kind: 'table' };

/**
 * A module of imports and functions of one type `type`, exported as `names[i]`, each with
 * `locals` (extra local types, in order) and its body (its code, without the final `end`).
 */
export function moduleBytes(types: FuncType[], imports: Import[], type: number, names: string[], locals: number[], bodies: WasmCode[]): Uint8Array<ArrayBuffer> {
  const m = new WasmCode().op(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
  const typeSec = new WasmCode().uleb(types.length);
  for (const t of types) {
    typeSec.byte(TYPE.func).uleb(t.params.length).op(...t.params).uleb(t.results.length).op(...t.results);
  }
  m.section(1, typeSec);
  const importSec = new WasmCode().uleb(imports.length);
  let funcImports = 0;
  for (const imp of imports) {
    importSec.name(imp.module).name(imp.name);
    if (imp.kind === 'func') {
      importSec.byte(0x00).uleb(imp.type);
      funcImports++;
    } else if (imp.kind === 'table') {
      importSec.byte(0x01).byte(TYPE.funcref).byte(0x00).uleb(0);
    } else {
      importSec.byte(0x02).byte(0x00).uleb(0);
    }
  }
  m.section(2, importSec);
  const funcSec = new WasmCode().uleb(bodies.length);
  for (let i = 0; i < bodies.length; i++) funcSec.uleb(type);
  m.section(3, funcSec);
  const exportSec = new WasmCode().uleb(bodies.length);
  for (let i = 0; i < bodies.length; i++) exportSec.name(names[i]).byte(0x00).uleb(funcImports + i);
  m.section(7, exportSec);
  // Locals, run-length encoded by type.
  const runs: [number, number][] = [];
  for (const t of locals) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last[1] === t) last[0]++;
    else runs.push([1, t]);
  }
  const code = new WasmCode().uleb(bodies.length);
  for (const body of bodies) {
    const fn = new WasmCode().uleb(runs.length);
    for (const [n, t] of runs) fn.uleb(n).byte(t);
    fn.append(body).byte(OP.end);
    code.uleb(fn.bytes.length).append(fn);
  }
  m.section(10, code);
  return new Uint8Array(m.bytes);
}
