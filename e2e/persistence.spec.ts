import { execFileSync } from 'node:child_process';
import { type BrowserContext, type Page, expect, test } from '@playwright/test';
import { PROMPT, runOnSerial, typeCommand, waitForTerminal } from './helpers';

// The disks live in IndexedDB: one browser context (one profile's storage) across reloads.
test.describe.configure({ mode: 'serial' });

let context: BrowserContext;
let page: Page;

test.beforeAll(async ({ browser }) => {
  context = await browser.newContext();
  page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  await page.goto('/');
  await waitForTerminal(page, PROMPT);
});

test.afterAll(async () => {
  await context.close();
});

/** Sectors the guest wrote since boot, as the status bar last heard. */
async function writes(p: Page): Promise<number> {
  return Number(await p.locator('[data-testid=disk]').getAttribute('data-writes'));
}

/** Waits for a status report that has seen more than `before` sectors written and none unsaved. */
async function saved(p: Page, before: number): Promise<void> {
  const disk = p.locator('[data-testid=disk]');
  await expect
    .poll(async () => (await writes(p)) > before && (await disk.getAttribute('data-unsaved')) === '0', { timeout: 30_000 })
    .toBe(true);
}

test('a file the guest writes is on the disk after a reload', async () => {
  const stamp = `hello-${Date.now()}`;
  await page.waitForTimeout(1000);
  const before = await writes(page);
  await runOnSerial(page, `echo ${stamp} > /boot/local/home/x; sync`);
  await saved(page, before);
  await page.reload();
  await waitForTerminal(page, PROMPT);
  expect(await runOnSerial(page, 'cat /boot/local/home/x')).toBe(stamp);
});

test('Export boot .img (machine off) downloads the disk with the guest\'s file, a FAT fsck.fat accepts', async () => {
  // Off, the guest has unmounted the FAT (clean, nothing halfway written).
  await typeCommand(page, 'poweroff');
  await expect(page.locator('[data-testid=power]')).toHaveText('off');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export boot .img' }).click();
  const file = await (await download).path();
  // The guest keeps /boot mounted to the end (its rootfs is a loop file on it), so the FAT's dirty
  // bit is set, as on a handheld switched off; anything else fsck.fat finds is a failure.
  let report: string;
  try {
    report = execFileSync('fsck.fat', ['-n', file], { encoding: 'utf8' });
  } catch (e) {
    report = (e as { stdout?: string }).stdout ?? String(e);
  }
  const findings = report
    .split('\n')
    .filter((l) => l.trim() && !/^fsck\.fat \d|Dirty bit is set|removing dirty bit|Leaving filesystem unchanged|: \d+ files, \d+\/\d+ clusters$/.test(l));
  expect(findings).toEqual([]);
  const text = execFileSync('mtype', ['-i', file, '::local/home/x'], { encoding: 'utf8' });
  expect(text.trim()).toMatch(/^hello-\d+$/);
});

test('Reset disks boots the built-in guest again, without the guest\'s file', async () => {
  await page.locator('[data-testid=reset-disks]').click();
  await expect(page.locator('[data-testid=message]')).toContainText('back to the built-in guest', { timeout: 60_000 });
  // A new boot: the shell answers again (what is typed while it boots waits in the tty).
  await expect.poll(() => runOnSerial(page, 'ls /boot/local/home/x 2>&1 | grep -c "No such"'), { timeout: 150_000 }).toBe('1');
  await page.reload();
  await waitForTerminal(page, PROMPT);
  expect(await runOnSerial(page, 'ls /boot/local/home/x 2>&1')).toContain('No such file');
});
