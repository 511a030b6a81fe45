import { type BrowserContext, type Page, expect, test } from '@playwright/test';
import { PROMPT, runOnSerial, waitForTerminal } from './helpers';

// A browser that gives the page no IndexedDB (some private windows): the machine's worker is
// served with IndexedDB taken away before its code runs. The guest must boot all the same, from
// disks in memory, and the page must say that a reload starts over.
test.describe.configure({ mode: 'serial' });

let context: BrowserContext;
let page: Page;

test.beforeAll(async ({ browser }) => {
  context = await browser.newContext();
  await context.route(/\/assets\/machine-worker-[^/]*\.js$/, async (route) => {
    const response = await route.fetch();
    const body = `Object.defineProperty(self, 'indexedDB', { value: undefined });\n${await response.text()}`;
    await route.fulfill({ response, body });
  });
  page = await context.newPage();
  await page.goto('/');
});

test.afterAll(async () => {
  await context.close();
});

test('with no IndexedDB the guest boots from disks in memory, and the page says they are not saved', async () => {
  await waitForTerminal(page, PROMPT);
  await expect(page.locator('[data-testid=message]')).toContainText('the disks live in this tab only and a reload starts over');
  await expect(page.locator('[data-testid=disk-tab]')).toHaveText('disks not saved');
  await expect(page.locator('[data-testid=disk]')).toHaveAttribute('data-store', 'tab');
  // The guest's writes work for the tab's life.
  expect(await runOnSerial(page, 'echo kept > /boot/local/home/x; sync; cat /boot/local/home/x')).toBe('kept');
});

test('a reload starts over from the built-in guest, as the page said', async () => {
  await page.reload();
  await waitForTerminal(page, PROMPT);
  expect(await runOnSerial(page, 'cat /boot/local/home/x 2>&1 || echo none')).toMatch(/No such file|none/);
});

