import { type Page, expect, test } from '@playwright/test';
import { PROMPT, dropFiles, keyboardInterrupts, runOnSerial, showsFramebuffer, typeCommand, waitForTerminal } from './helpers';

// One boot of the built-in guest, served with COOP/COEP by `vite preview`, shared by the checks.
test.describe.configure({ mode: 'serial' });

let page: Page;

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  await page.goto('/');
});

test.afterAll(async () => {
  await page.close();
});

test('the page boots the built-in guest with no click: progress, then the prompt in the terminal', async () => {
  // The download bar shows until the images are in (it may already be gone on a fast machine).
  await waitForTerminal(page, PROMPT);
  await expect(page.locator('[data-testid=download]')).toHaveCount(0);
  await expect(page.locator('[data-testid=power]')).toHaveText('running');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await expect(page.locator('[data-testid=transport]')).toHaveText('shared screen');
});

test('typing `uname -m` in the terminal answers mips', async () => {
  await typeCommand(page, 'uname -m');
  await waitForTerminal(page, /# uname -m\n+mips$/m);
});

test('the canvas shows exactly what the guest framebuffer holds', async () => {
  await showsFramebuffer(page);
});

test('keys on the focused canvas and the on-screen pad reach the guest keyboard', async () => {
  const before = await keyboardInterrupts(page);
  await page.locator('[data-testid=screen]').focus();
  // Shift (the Y button) changes nothing on the guest's screen, whatever runs there.
  for (let i = 0; i < 3; i++) await page.keyboard.press('ShiftLeft');
  const afterKeys = await keyboardInterrupts(page);
  // Each press and each release is at least one byte from the controller, each an interrupt.
  expect(afterKeys - before).toBeGreaterThanOrEqual(6);

  const y = page.locator('.pad-button[data-button=Y]');
  for (let i = 0; i < 2; i++) {
    await y.dispatchEvent('pointerdown', { pointerId: 1, isPrimary: true });
    await y.dispatchEvent('pointerup', { pointerId: 1, isPrimary: true });
  }
  const afterPad = await keyboardInterrupts(page);
  expect(afterPad - afterKeys).toBeGreaterThanOrEqual(4);
});

test('keys typed on the canvas do not reach the serial terminal', async () => {
  await page.locator('[data-testid=screen]').focus();
  await page.keyboard.type('zzqq');
  await typeCommand(page, '');
  await page.waitForTimeout(500);
  expect(await runOnSerial(page, 'echo ok')).toBe('ok');
  const text = await waitForTerminal(page, PROMPT);
  expect(text).not.toContain('zzqq');
});

test('a dropped random binary gets a clear message, nothing staged, the machine runs on', async () => {
  const noise = Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) & 0xff);
  await dropFiles(page, [{ name: 'noise.bin', bytes: noise }]);
  await expect(page.locator('[data-testid=drop-notes]')).toContainText('noise.bin is not recognised');
  await expect(page.locator('[data-testid=staged]')).toHaveCount(0);
  // The reading bar goes away once the machine has answered.
  await expect(page.locator('[data-testid=drop-progress]')).toHaveCount(0);
  expect(await runOnSerial(page, 'echo alive')).toBe('alive');
});

test('a dropped .dge waits for a restart, then the guest has it in local/apps', async () => {
  const text = (s: string) => [...new TextEncoder().encode(s)];
  await dropFiles(page, [{ name: 'hello.dge', bytes: text('dropped dge\n') }]);
  await expect(page.locator('[data-testid=drop-notes]')).toContainText('hello.dge: DinguX executable for local/apps/ (restart to apply)');
  await expect(page.locator('[data-testid=staged]')).toContainText('hello.dge');
  // Not on the mounted disk yet: the FAT is never written under the running guest.
  expect(await runOnSerial(page, 'ls /boot/local/apps/hello.dge 2>&1 | grep -c "No such"')).toBe('1');
  await page.getByRole('button', { name: 'Restart to apply' }).click();
  await expect(page.locator('[data-testid=staged]')).toHaveCount(0);
  await expect.poll(() => runOnSerial(page, 'cat /boot/local/apps/hello.dge'), { timeout: 150_000 }).toBe('dropped dge');
});

test('the guest powering off shows "off"; Power on boots it again; Power off from the page', async () => {
  const uptime = async () => Number(/UP(\d+)/.exec(await runOnSerial(page, `awk '{ print "UP" int($1 * 100) }' /proc/uptime`))![1]);
  const before = await uptime();
  await typeCommand(page, 'poweroff');
  await expect(page.locator('[data-testid=power]')).toHaveText('off');
  await expect(page.getByRole('button', { name: 'Reset', exact: true })).toBeDisabled();
  await page.getByRole('button', { name: 'Power on' }).click();
  await expect(page.locator('[data-testid=power]')).toHaveText('running');
  // A new boot: the shell answers again, and the guest's uptime started over.
  await expect.poll(uptime, { timeout: 120_000 }).toBeLessThan(before);
  await page.getByRole('button', { name: 'Power off' }).click();
  await expect(page.locator('[data-testid=power]')).toHaveText('off');
});
