import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_PRESETS,
  DEFAULT_PRESET,
  type Preset,
  PresetError,
  builtinGuestFiles,
  decodePresetFragment,
  encodePresetFragment,
  encodePresetUrl,
  hasPresetFragment,
  localEntries,
  presetFiles,
  shareable,
  validatePreset,
} from '../src/preset';

const FULL: Preset = {
  version: 1,
  name: 'Snake & friends: a test',
  builtin: 'odtab',
  kernel: 'https://example.org/k/vmlinux-odtab.gz',
  initrd: 'initrd.gz',
  rootfs: 'https://example.org/rootfs.bin?x=1&y=2',
  apps: ['https://example.org/apps/snake%20game.opk', 'apps/hello.dge'],
  disk: 'https://example.org/sd.img#frag',
  append: 'console=ttyS0 quiet odtab.test="a b"+c',
  mem: 64,
  cpu: '4KEc',
  start: 'snake game.opk',
};

describe('preset links', () => {
  it('round-trips every field through a link', () => {
    const url = encodePresetUrl(FULL, 'http://localhost:5173/odtab/?q=1#old');
    expect(url.startsWith('http://localhost:5173/odtab/?q=1#v=1&')).toBe(true);
    expect(url).not.toMatch(/[ +]/);
    expect(hasPresetFragment(url)).toBe(true);
    expect(decodePresetFragment(url)).toEqual(FULL);
    expect(decodePresetFragment(encodePresetFragment(FULL))).toEqual(FULL);
    expect(decodePresetFragment('#' + encodePresetFragment(FULL))).toEqual(FULL);
  });

  it('is compact for the built-in presets', () => {
    expect(encodePresetFragment(DEFAULT_PRESET)).toBe('v=1&n=OpenDingux-style%20guest&g=odtab');
    expect(encodePresetFragment({ version: 1, builtin: 'debian', mem: 128 })).toBe('v=1&g=debian&m=128');
    for (const { preset } of BUILTIN_PRESETS) expect(decodePresetFragment(encodePresetFragment(preset))).toEqual(preset);
  });

  it('refuses bad links with one clear line', () => {
    const bad = (frag: string) => {
      try {
        decodePresetFragment(frag);
      } catch (e) {
        expect(e).toBeInstanceOf(PresetError);
        return (e as Error).message;
      }
      throw new Error(`accepted ${frag}`);
    };
    expect(bad('http://x/')).toBe('the link carries no preset (no v= in its #fragment)');
    expect(bad('v=2&g=odtab')).toBe('preset version 2 is not supported (this odtab reads version 1)');
    expect(bad('v=1&g=odtab&zz=1')).toBe("bad preset: unknown link key 'zz'");
    expect(bad('v=1&g=odtab&m=1&m=2')).toBe("bad preset: 'm' is given 2 times");
    expect(bad('v=1&g=odtab&m=lots')).toBe('bad preset: mem must be a whole number of MiB from 16 to 2048, not "lots"');
    expect(bad('v=1&g=odtab&m=4096&cpu=r4000')).toBe('bad preset: mem must be a whole number of MiB from 16 to 2048, not 4096; cpu must be 24Kf or 4KEc, not "r4000"');
    expect(bad('v=1&k=javascript:alert(1)')).toBe('bad preset: kernel: only http(s) and relative URLs are allowed, not javascript:');
    expect(bad('v=1&k=file:///etc/passwd')).toMatch(/not file:$/);
    expect(bad('v=1&g=odtab&r=data:application/octet-stream,xx')).toMatch(/not data:$/);
    expect(bad('v=1&g=odtab&r=//evil.example/x')).toMatch(/protocol-relative/);
    expect(bad('v=1&g=odtab&a=https://x/readme.txt')).toBe("bad preset: apps[0]: 'readme.txt' is neither an .opk nor a .dge");
    expect(bad('v=1&g=odtab&a=a.opk&a=x/A.opk')).toBe("bad preset: two apps are named 'a.opk'");
    expect(bad('v=1&g=windows')).toBe('bad preset: builtin must be odtab or debian, not "windows"');
    expect(bad('v=1')).toBe('bad preset: a preset needs a kernel or a builtin guest');
    expect(bad('v=1&g=odtab&k=' + 'a'.repeat(3000))).toBe('bad preset: kernel is longer than 2048 characters');
    expect(bad('v=1&g=odtab&' + 'a=x.opk&'.repeat(3000))).toBe('preset link is longer than 16384 characters');
    expect(bad('v=1&g=odtab&' + Array.from({ length: 33 }, (_, i) => `a=${i}.opk`).join('&'))).toBe('bad preset: at most 32 apps, not 33');
    expect(bad('v=1&g=odtab&c=' + encodeURIComponent('a\nb'))).toMatch(/append must be one line/);
    expect(bad('v=1&g=odtab&s=../x')).toBe('bad preset: start must be an app file name');
  });

  it('local files: listed, left out of a share link, refused by the encoder', () => {
    const p = validatePreset({ builtin: 'odtab', rootfs: 'local:my-rootfs.bin', apps: ['local:snake.opk', 'https://x/y.dge'], mem: 32 });
    expect(localEntries(p)).toEqual([
      { field: 'rootfs', ref: 'local:my-rootfs.bin', name: 'my-rootfs.bin' },
      { field: 'apps', ref: 'local:snake.opk', name: 'snake.opk' },
    ]);
    expect(() => encodePresetFragment(p)).toThrow('files on this computer cannot travel in a link: my-rootfs.bin, snake.opk');
    const { preset, left } = shareable(p);
    expect(left).toEqual([
      { field: 'rootfs', name: 'my-rootfs.bin' },
      { field: 'apps', name: 'snake.opk' },
    ]);
    expect(preset).toEqual({ version: 1, builtin: 'odtab', apps: ['https://x/y.dge'], mem: 32 });
    expect(decodePresetFragment(encodePresetFragment(preset))).toEqual(preset);
    expect(presetFiles(p).map((f) => `${f.field}:${f.name}:${f.local}`)).toEqual(['rootfs:my-rootfs.bin:true', 'apps:snake.opk:true', 'apps:y.dge:false']);
    expect(() => validatePreset({ builtin: 'odtab', rootfs: 'local:../x' })).toThrow("rootfs: 'local:../x' is not a plain file name");
  });

  it('JSON presets are validated the same way', () => {
    expect(validatePreset(JSON.parse(JSON.stringify(FULL)))).toEqual(FULL);
    expect(() => validatePreset([])).toThrow('a preset must be a JSON object');
    expect(() => validatePreset({ version: 3, builtin: 'odtab' })).toThrow('preset version 3 is not supported');
    expect(() => validatePreset({ builtin: 'odtab', ram: 64 })).toThrow("bad preset: unknown field 'ram'");
    expect(validatePreset({ kernel: 'vmlinux', cpu: '24kf' })).toEqual({ version: 1, kernel: 'vmlinux', cpu: '24Kf' });
  });

  it('the built-in guests from the real manifest', () => {
    const manifest = JSON.parse(readFileSync('public/guest/manifest.json', 'utf8'));
    const odtab = builtinGuestFiles('odtab', manifest);
    expect(odtab).toMatchObject({ kernel: 'vmlinux-odtab.gz', rootfs: 'rootfs.bin', rootfsBootPath: 'rootfs.bin', localDir: 'local' });
    expect(odtab.initrd).toBeUndefined();
    expect(odtab.local.map((f) => f.path)).toContain('etc/init.d/S90example.sh');
    expect(odtab.identity).toMatch(/^builtin:[0-9a-f]{16}:/);
    const debian = builtinGuestFiles('debian', manifest);
    expect(debian).toMatchObject({ kernel: 'vmlinux.gz', initrd: 'initrd.gz' });
    expect(debian.cmdline).toContain('loop0=/boot/rootfs.bin');
    // The identity follows the rootfs: another rootfs.bin is another base.
    const changed = { ...manifest, files: { ...manifest.files, 'rootfs.bin': { sha256: 'f'.repeat(64) } } };
    expect(builtinGuestFiles('odtab', changed).identity).not.toBe(odtab.identity);
  });
});
