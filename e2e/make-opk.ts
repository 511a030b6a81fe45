import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

/** A solid-colour RGB PNG, `size` pixels square (an app icon). */
export function solidPng(size: number, rgb: [number, number, number]): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: size }, () => rgb).flat())]);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  return new Uint8Array(
    Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]),
  );
}

/**
 * An .opk made by mksquashfs, as OpenDingux packages are: desktop files and icon at the root, and
 * the program. `files` maps names to content; names ending in .sh are made executable.
 */
export function makeOpk(files: Record<string, string | Uint8Array>): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'odtab-opk-'));
  const root = join(dir, 'root');
  mkdirSync(root);
  for (const [name, content] of Object.entries(files)) {
    const path = join(root, name);
    writeFileSync(path, content);
    if (name.endsWith('.sh')) chmodSync(path, 0o755);
  }
  const image = join(dir, 'app.opk');
  execFileSync('mksquashfs', [root, image, '-noappend', '-quiet', '-no-progress', '-comp', 'gzip', '-all-root'], { stdio: 'ignore' });
  return new Uint8Array(readFileSync(image));
}
