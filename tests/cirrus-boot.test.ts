import { describe, expect, it } from 'vitest';
import { GuestSession, builtinGuest } from './helpers/guest';
import { expectText, kernelFont, odtabKernel, rgbAt, savePng } from './helpers/cirrus-screen';

// Real kernels drive the Cirrus card through cirrusfb: the boot log must show the card found and
// fbcon on it, and the picture must be the console text, glyph by glyph, in the kernel's own font.

/** Clear tty1 (the console fbcon shows) and print `text` on its first line. */
function printOnTty1(s: GuestSession, text: string, prompt: string): void {
  s.command(`printf '\\033[2J\\033[H%s\\n' '${text}' > /dev/tty1`, prompt);
}

const TEXT = 'odtab: Cirrus 5446 {fbcon} @ 320x240!';

describe('our kernel (vmlinux-odtab) on the Cirrus card', () => {
  const k = odtabKernel();
  const s = new GuestSession({ kernel: k.kernel, commandLine: k.cmdline, initrd: undefined });
  const font = kernelFont(k.kernel, 'System.map-odtab.gz', '6x10', 6, 10);

  it('finds the card through PCI, maps 4 MiB at BAR0 and puts fbcon on it at 53x24', () => {
    // No disk: /init says why and gives a rescue shell on the serial console.
    const log = s.waitFor('(rescue) odtab# ', 120);
    expect(log).toContain('pci 0000:00:12.0: [1013:00b8] type 00 class 0x030000');
    expect(log).toContain('pci 0000:00:12.0: BAR 0 [mem 0x10000000-0x11ffffff pref]: assigned');
    // cirrusfb turns on memory decoding only: the VGA ports work without the PCI I/O bit.
    expect(log).toContain('cirrusfb 0000:00:12.0: enabling device (0000 -> 0002)');
    expect(log).toMatch(/cirrusfb 0000:00:12\.0: Cirrus Logic chipset on PCI bus, RAM \(4096 kB\) at 0x10000000/);
    expect(log).toContain('Console: switching to colour frame buffer device 53x24');
    expect(log).not.toMatch(/Oops|Kernel panic|BUG:|Unable to handle/);
  });

  it('shows 320x240 RGB565 with fbcon text in the 6x10 font', () => {
    printOnTty1(s, TEXT, '(rescue) odtab# ');
    const f = s.machine.refreshDisplay();
    savePng(f, 'boot-odtab-320x240.png');
    expect(f.mode).toMatchObject({ width: 320, height: 240, format: 'rgb565', pitch: 640, start: 0 });
    expect([f.width, f.height]).toEqual([320, 240]);
    const t = expectText(f, font, 0, 0, TEXT);
    expect(t.mismatches).toEqual([]);
    expect(t.bg).toEqual([0, 0, 0]);
    // fbcon's default foreground, light grey (colour 7), not the background.
    expect(t.fg[0]).toBeGreaterThan(128);
    expect(t.fg[0]).toBe(t.fg[2]);
    // The rest of the first text line (53 columns) is background.
    for (let x = TEXT.length * 6; x < 318; x++) for (let y = 0; y < 10; y++) expect(rgbAt(f, x, y)).toEqual([0, 0, 0]);
    // Only what changes is redrawn: nothing changed since.
    expect(s.machine.refreshDisplay().dirty).toBeNull();
  });

  it('scrolls: 30 more lines move the text off the top and the last line is at the bottom', () => {
    s.command(`for i in $(seq 1 30); do echo "line $i"; done > /dev/tty1`, '(rescue) odtab# ');
    const f = s.machine.refreshDisplay();
    expect(f.dirty).not.toBeNull();
    savePng(f, 'boot-odtab-scrolled.png');
    // 24 rows: "line 30" ends up on row 22, the cursor's empty row 23 below it.
    const t = expectText(f, font, 0, 22, 'line 30');
    expect(t.mismatches).toEqual([]);
    expect(t.fg).not.toEqual(t.bg);
    expect(expectText(f, font, 0, 0, 'line 8 ').mismatches).toEqual([]);
  });
});

describe("Debian's kernel on the Cirrus card", () => {
  const g = builtinGuest();

  it('runs cirrusfb at 320x240-16 with double scan: 240 visible lines, 8x8 font', () => {
    const s = new GuestSession({ commandLine: `${g.cmdline} video=cirrusfb:320x240-16@60` });
    const log = s.waitFor('odtab# ', 120);
    expect(log).toMatch(/cirrusfb 0000:00:12\.0: Cirrus Logic chipset on PCI bus, RAM \(4096 kB\) at 0x10000000/);
    expect(log).toContain('Console: switching to colour frame buffer device 40x30');
    // The registers cirrusfb left, as QEMU 7.2 traced them (malta-hw.md 4.10; SR02 holds the
    // four plane bits of the 0xFF written).
    const v = s.machine.vga;
    const crtc = [0x2d, 0x27, 0x28, 0x92, 0x2b, 0x91, 0x0a, 0x3e, -1, 0xc0, -1, -1, 0x00, 0x00, -1, -1, 0xe9, 0x6b, 0xdf, 0x50, -1, 0xe0, 0x0a, 0xc3, 0xff, -1, 0x80, 0x22, -1, 0x00];
    crtc.forEach((want, i) => want >= 0 && expect(v.cr[i], `CR${i.toString(16)}`).toBe(want));
    expect([0x01, 0x02, 0x03, 0x04, 0x07, 0x0e, 0x1e, 0x1f].map((i) => v.sr[i])).toEqual([0x01, 0x0f, 0x00, 0x0a, 0xa7, 0x33, 0x3b, 0x2d]);
    expect([0x05, 0x06, 0x0b].map((i) => v.gr[i])).toEqual([0x40, 0x01, 0x28]);
    expect([v.misc, v.hiddenDac, v.ar[0x10], v.ar[0x12]]).toEqual([0x0f, 0xc1, 0x01, 0x0f]);

    printOnTty1(s, TEXT.slice(0, 40), 'odtab# ');
    const f = s.machine.refreshDisplay();
    savePng(f, 'boot-debian-320x240.png');
    expect(f.mode).toMatchObject({ width: 320, height: 240, format: 'rgb565', scanRepeat: 2 });
    const font = kernelFont(g.kernel, 'System.map.gz', '8x8', 8, 8);
    const t = expectText(f, font, 0, 0, TEXT.slice(0, 40));
    expect(t.mismatches).toEqual([]);
    expect(t.bg).toEqual([0, 0, 0]);
    expect(t.fg).not.toEqual(t.bg);
  });

  it('runs its default 640x480-8 mode through the palette, 8x16 font', () => {
    const s = new GuestSession();
    const log = s.waitFor('odtab# ', 120);
    expect(log).toContain('Console: switching to colour frame buffer device 80x30');
    printOnTty1(s, TEXT, 'odtab# ');
    const f = s.machine.refreshDisplay();
    savePng(f, 'boot-debian-640x480.png');
    expect(f.mode).toMatchObject({ width: 640, height: 480, format: 'pal8', scanRepeat: 1 });
    const font = kernelFont(g.kernel, 'System.map.gz', '8x16', 8, 16);
    const t = expectText(f, font, 0, 0, TEXT);
    expect(t.mismatches).toEqual([]);
    expect(t.bg).toEqual([0, 0, 0]);
    // Colour 7 of the VGA console palette: 0xAA per component, as 6-bit DAC values widened.
    expect(t.fg).toEqual([170, 170, 170]);
  });
});
