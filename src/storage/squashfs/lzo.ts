/**
 * LZO1X decoder (what squashfs-tools' lzo compressor writes, with any of its LZO1X algorithms:
 * they share one decompressor). The stream is a state machine over instruction bytes:
 *   0..15 after a match's trailing literals  M1: 2-byte match, offset up to 1 KiB
 *   0..15 after a literal run                3-byte match 2 KiB + offset back
 *   0..15 otherwise                          a literal run (0 = long run, 255 per zero byte)
 *   16..31  M4: match 16..48 KiB back (offset 0 with 0x11 is the end marker)
 *   32..63  M3: match up to 16 KiB back
 *   64..255 M2: short match up to 2 KiB back
 * The low 2 bits of a match's first offset byte (of the instruction, for 1-byte offsets) give the
 * 0..3 literals that follow it.
 * Every step is bounds-checked: bad input throws.
 */
export function lzo1xDecode(src: Uint8Array, maxOut: number): Uint8Array {
  const out = new Uint8Array(maxOut);
  const end = src.length;
  let ip = 0;
  let op = 0;
  const fail = (why: string): never => {
    throw new Error(`lzo: ${why} (input byte ${ip})`);
  };
  const byte = (): number => {
    if (ip >= end) fail('input ends inside an instruction');
    return src[ip++];
  };
  /** A length whose base field was 0: each zero byte adds 255, then the next byte and `base`. */
  const longLength = (base: number): number => {
    let n = 0;
    for (let b = byte(); b === 0; b = byte()) {
      n += 255;
      if (n > maxOut) fail('length larger than the output');
    }
    return n + base + src[ip - 1];
  };
  const literals = (n: number) => {
    if (ip + n > end) fail('literals run past the input');
    if (op + n > maxOut) fail('output larger than expected');
    out.set(src.subarray(ip, ip + n), op);
    ip += n;
    op += n;
  };
  const match = (distance: number, n: number) => {
    if (distance <= 0 || distance > op) fail(`match distance ${distance} points before the output`);
    if (op + n > maxOut) fail('output larger than expected');
    let from = op - distance;
    for (let i = 0; i < n; i++) out[op++] = out[from++];
  };

  // State: what the next instruction byte below 16 means.
  const AFTER_MATCH = 0;
  const AFTER_LITERALS = 1;
  const START = 2;
  let state = START;
  let t = byte();
  if (t > 17) {
    // A first literal run coded in the first byte.
    t -= 17;
    literals(t);
    state = t < 4 ? AFTER_MATCH : AFTER_LITERALS;
    t = byte();
  }
  for (;;) {
    let trailing: number;
    if (t >= 64) {
      const distance = 1 + ((t >>> 2) & 7) + (byte() << 3);
      match(distance, (t >>> 5) + 1);
      trailing = t & 3;
    } else if (t >= 32) {
      let n = t & 31;
      if (n === 0) n = longLength(31);
      const lo = byte();
      const hi = byte();
      match(1 + (lo >>> 2) + (hi << 6), n + 2);
      trailing = lo & 3;
    } else if (t >= 16) {
      let n = t & 7;
      if (n === 0) n = longLength(7);
      const lo = byte();
      const hi = byte();
      const distance = ((t & 8) << 11) + (lo >>> 2) + (hi << 6);
      if (distance === 0) {
        if (ip !== end) fail('data after the end marker');
        return out.subarray(0, op);
      }
      match(distance + 0x4000, n + 2);
      trailing = lo & 3;
    } else if (state === START) {
      // A literal run: 3 + t bytes (or a long run).
      const n = t === 0 ? longLength(15) : t;
      literals(n + 3);
      state = AFTER_LITERALS;
      t = byte();
      continue;
    } else if (state === AFTER_LITERALS) {
      match(1 + 0x800 + (t >>> 2) + (byte() << 2), 3);
      trailing = t & 3;
    } else {
      match(1 + (t >>> 2) + (byte() << 2), 2);
      trailing = t & 3;
    }
    if (trailing === 0) {
      state = START;
    } else {
      literals(trailing);
      state = AFTER_MATCH;
    }
    t = byte();
  }
}
