/**
 * LZ4 block format decoder (the raw blocks squashfs stores, no frame). A block is a run of
 * sequences: a token (literal count in the high nibble, match length - 4 in the low one, 15 meaning
 * "more bytes follow"), the literals, then a 2-byte little-endian back offset. The last sequence
 * has literals only. Every length and offset is checked, so bad input throws and never reads or
 * writes outside the buffers.
 */
export function lz4DecodeBlock(src: Uint8Array, maxOut: number): Uint8Array {
  const out = new Uint8Array(maxOut);
  let ip = 0;
  let op = 0;
  const end = src.length;
  const fail = (why: string): never => {
    throw new Error(`lz4: ${why} (input byte ${ip})`);
  };
  // A nibble of 15 is continued by bytes added to it, up to the first that is not 255.
  const extend = (n: number, what: string): number => {
    let b: number;
    do {
      if (ip >= end) fail(`${what} length runs past the input`);
      b = src[ip++];
      n += b;
    } while (b === 255);
    return n;
  };
  while (ip < end) {
    const token = src[ip++];
    let lit = token >>> 4;
    if (lit === 15) lit = extend(lit, 'literal');
    if (ip + lit > end) fail('literals run past the input');
    if (op + lit > maxOut) fail('output larger than expected');
    out.set(src.subarray(ip, ip + lit), op);
    ip += lit;
    op += lit;
    if (ip === end) break; // the last sequence: literals only
    if (ip + 2 > end) fail('match offset runs past the input');
    const offset = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    if (offset === 0 || offset > op) fail(`match offset ${offset} points before the output`);
    let len = (token & 15) + 4;
    if ((token & 15) === 15) len = extend(len, 'match');
    if (op + len > maxOut) fail('output larger than expected');
    // Byte by byte: the match may overlap what it produces (offset < length repeats a pattern).
    let from = op - offset;
    for (let i = 0; i < len; i++) out[op++] = out[from++];
  }
  return out.subarray(0, op);
}
