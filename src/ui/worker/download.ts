/**
 * Downloads with progress, for the worker (fetch and streams only, no DOM). A failure becomes one
 * line that says which URL and why (HTTP status, network or CORS refusal).
 */

export class DownloadError extends Error {}

/** Reads `url` whole, calling `onBytes(n)` as each piece of n bytes arrives. */
export async function download(url: string, onBytes: (n: number) => void): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    // fetch gives no reason for network and CORS failures: name both.
    throw new DownloadError(
      `cannot download ${url}: the server is unreachable, or it does not let other sites read the file ` +
        `(CORS: it must answer with Access-Control-Allow-Origin; put the file on a server that does, or next to this app) (${(e as Error).message})`,
    );
  }
  if (!response.ok) throw new DownloadError(`cannot download ${url}: HTTP ${response.status} ${response.statusText}`.trim());
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onBytes(bytes.length);
    return bytes;
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    size += value.length;
    onBytes(value.length);
  }
  return concat(parts, size);
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** gunzips when the bytes are gzip (the built-in kernel is shipped so), else returns them. */
export async function gunzipIfNeeded(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new DownloadError(`${name} looks gzipped but does not unpack: ${(e as Error).message}`);
  }
}
