import { type Page, expect } from '@playwright/test';

/** The serial prompt of the built-in guest's root shell. */
export const PROMPT = 'opendingux:/boot/local/home #';

/** Text shown in the serial terminal now (xterm's rows, non-breaking spaces as spaces). */
export async function terminalText(page: Page): Promise<string> {
  const rows = await page.locator('.xterm-rows > div').allTextContents();
  return rows.map((r) => r.replace(/\u00a0/g, ' ').trimEnd()).join('\n');
}

/** Waits until the terminal shows `pattern` (a string or a regular expression); returns the text. */
export async function waitForTerminal(page: Page, pattern: string | RegExp, timeout = 120_000): Promise<string> {
  let text = '';
  await expect
    .poll(
      async () => {
        text = await terminalText(page);
        return typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
      },
      { timeout, intervals: [250, 500, 1000] },
    )
    .toBe(true);
  return text;
}

/** Types a command line into the serial terminal. */
export async function typeCommand(page: Page, line: string): Promise<void> {
  await page.locator('[data-testid=terminal] .xterm').click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

/**
 * Runs a shell command on the serial console and returns what it printed between two markers
 * (the markers are split in the command so its echo does not match).
 */
let runs = 0;
export async function runOnSerial(page: Page, command: string): Promise<string> {
  const tag = `R${++runs}x`;
  await typeCommand(page, `echo "<${tag}"; ${command}; echo "${tag}>"`);
  const text = await waitForTerminal(page, new RegExp(`^<${tag}$[\\s\\S]*^${tag}>$`, 'm'));
  const m = new RegExp(`^<${tag}\\n([\\s\\S]*?)\\n?^${tag}>$`, 'm').exec(text);
  return m ? m[1]! : '';
}

/** Opens the app and waits for the serial prompt. */
export async function bootPage(page: Page, url = '/'): Promise<void> {
  await page.goto(url);
  await waitForTerminal(page, PROMPT);
}

/**
 * SHA-256 of the canvas as the guest's 16-bit framebuffer holds it (RGB 5:6:5, little endian):
 * each canvas pixel's components are the 5:6:5 ones widened, so the top bits give them back.
 */
export async function canvasHash565(page: Page): Promise<{ hash: string; width: number; height: number; lit: number }> {
  return page.locator('[data-testid=screen]').evaluate(async (el) => {
    const canvas = el as HTMLCanvasElement;
    const { width, height } = canvas;
    const rgba = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
    const out = new Uint8Array(width * height * 2);
    let lit = 0;
    for (let i = 0, o = 0; i < rgba.length; i += 4, o += 2) {
      const v = ((rgba[i]! >> 3) << 11) | ((rgba[i + 1]! >> 2) << 5) | (rgba[i + 2]! >> 3);
      if (v !== 0) lit++;
      out[o] = v & 0xff;
      out[o + 1] = v >> 8;
    }
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', out));
    return { hash: [...digest].map((b) => b.toString(16).padStart(2, '0')).join(''), width, height, lit };
  });
}

/** Interrupts the guest has taken from the keyboard controller (both i8042 lines). */
export async function keyboardInterrupts(page: Page): Promise<number> {
  const out = await runOnSerial(page, `awk '/i8042/ { n += $2 } END { print "KBD" n }' /proc/interrupts`);
  const m = /KBD(\d+)/.exec(out);
  if (!m) throw new Error(`no i8042 count in: ${out}`);
  return Number(m[1]);
}

/**
 * The canvas equals the guest's /dev/fb0 (320x240, 16 bpp): fbcon's cursor blink is stopped so
 * the picture holds still, then the two are hashed the same way.
 */
export async function showsFramebuffer(p: Page): Promise<void> {
  await runOnSerial(p, 'echo 0 > /sys/class/graphics/fbcon/cursor_blink');
  const size = await runOnSerial(p, 'cat /sys/class/graphics/fb0/virtual_size /sys/class/graphics/fb0/stride');
  expect(size.split('\n').map((l) => l.trim())).toEqual(['320,240', '640']);
  await expect
    .poll(
      async () => {
        const canvas = await canvasHash565(p);
        // (the terminal may wrap the 64-digit hash, hence the whitespace removed)
        const guest = await runOnSerial(p, 'dd if=/dev/fb0 bs=640 count=240 2>/dev/null | sha256sum');
        return { size: `${canvas.width}x${canvas.height}`, text: canvas.lit > 500, same: guest.replace(/\s/g, '').startsWith(canvas.hash) };
      },
      { timeout: 60_000, intervals: [1000] },
    )
    .toEqual({ size: '320x240', text: true, same: true });
}

/** Drops files on the page as a user would (a synthetic DataTransfer on the document). */
export async function dropFiles(page: Page, files: { name: string; bytes: number[] }[]): Promise<void> {
  const dt = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([new Uint8Array(f.bytes)], f.name));
    return dt;
  }, files);
  await page.dispatchEvent('body', 'dragenter', { dataTransfer: dt });
  await page.dispatchEvent('body', 'drop', { dataTransfer: dt });
}
