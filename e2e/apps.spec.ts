import { readFileSync } from 'node:fs';
import { type Page, expect, test } from '@playwright/test';
import { PROMPT, dropFiles, runOnSerial, waitForTerminal } from './helpers';
import { makeOpk, solidPng } from './make-opk';

// One boot (and one restart to apply the drop), shared by the checks.
test.describe.configure({ mode: 'serial' });

let page: Page;

/** Paints the whole 320x240 16-bit screen white, then waits for the test to have seen it. */
const WHITE_SH = "#!/bin/sh\ndd if=/dev/zero bs=640 count=240 2>/dev/null | tr '\\000' '\\377' > /dev/fb0\nsleep 2\n";

const white = makeOpk({
  'default.gcw0.desktop': '[Desktop Entry]\nName=White Screen\nComment=paints the screen white\nExec=white.sh\nIcon=white\nType=Application\nCategories=applications;\n',
  'white.png': solidPng(16, [255, 128, 0]),
  'white.sh': WHITE_SH,
});
const other = makeOpk({
  'default.rs90.desktop': '[Desktop Entry]\nName=Other Device\nComment=made for the RS-90\nExec=white.sh\nIcon=white\nType=Application\n',
  'white.png': solidPng(16, [0, 0, 255]),
  'white.sh': WHITE_SH,
});

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  await page.goto('/');
  await waitForTerminal(page, PROMPT);
});

test.afterAll(async () => {
  await page.close();
});

/** Canvas pixels that are not black. */
const litPixels = (p: Page) =>
  p.locator('[data-testid=screen]').evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i]! > 200 && d[i + 1]! > 200 && d[i + 2]! > 200) n++;
    return n;
  });

test('dropped .opk files are listed with name, comment and icon; one for another device is flagged', async () => {
  await dropFiles(page, [
    { name: 'white.opk', bytes: [...white] },
    { name: 'other.opk', bytes: [...other] },
  ]);
  const row = page.locator('[data-testid=app][data-file="white.opk"]');
  await expect(row).toContainText('White Screen');
  await expect(row).toContainText('paints the screen white');
  await expect(row).toContainText('arrives at the next boot');
  // The icon is the package's PNG, decoded by the browser.
  await expect.poll(() => row.locator('[data-testid=app-icon]').evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(16);
  await expect(row.getByRole('button', { name: 'Launch' })).toBeDisabled();
  const otherRow = page.locator('[data-testid=app][data-file="other.opk"]');
  await expect(otherRow.locator('[data-testid=app-warning]')).toContainText('rs90');
});

test("the guest's own fbtest.opk is listed by its desktop file, with its icon", async () => {
  const fbtest = readFileSync(new URL('../public/guest/apps/fbtest.opk', import.meta.url));
  await dropFiles(page, [{ name: 'fbtest.opk', bytes: [...fbtest] }]);
  const row = page.locator('[data-testid=app][data-file="fbtest.opk"]');
  await expect(row).toContainText('FB Test');
  await expect(row).toContainText('SELECT+START quits');
  await expect.poll(() => row.locator('[data-testid=app-icon]').evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
  await expect(row.locator('[data-testid=app-warning]')).toHaveCount(0);
});

test('after a restart the .opk is on the apps disk; Launch runs it and the screen shows it', async () => {
  await page.getByRole('button', { name: 'Restart to apply' }).click();
  await expect(page.locator('[data-testid=staged]')).toHaveCount(0);
  await expect.poll(() => runOnSerial(page, "ls /media/sdb/apps | tr '\\n' ,; echo"), { timeout: 150_000 }).toBe('fbtest.opk,other.opk,white.opk,');
  const row = page.locator('[data-testid=app][data-file="white.opk"]');
  await expect(row).not.toContainText('arrives at the next boot');
  expect(await litPixels(page)).toBeLessThan(320 * 240 * 0.5);
  await row.getByRole('button', { name: 'Launch' }).click();
  await expect.poll(() => litPixels(page), { timeout: 30_000 }).toBeGreaterThan(320 * 240 * 0.95);
  await waitForTerminal(page, 'odtab: white.opk exited with status 0', 30_000);
  // Unmounted after it ran.
  expect(await runOnSerial(page, 'grep -c opk-white /proc/mounts')).toBe('0');
});
