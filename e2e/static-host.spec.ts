import { expect, test } from '@playwright/test';
import { bootPage, runOnSerial, showsFramebuffer } from './helpers';

/** The static server of playwright.config.ts: no COOP/COEP, as most static hosting. */
const STATIC_URL = process.env.E2E_STATIC_URL ?? 'http://127.0.0.1:4318/';

test('without COOP/COEP (plain static hosting, ?screen=copy: no service worker) the guest boots on copied frames', async ({ page }) => {
  await bootPage(page, `${STATIC_URL}?screen=copy`);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
  await expect(page.locator('[data-testid=transport]')).toHaveText('copied frames');
  expect(await runOnSerial(page, 'uname -m')).toBe('mips');
  await showsFramebuffer(page);
});

test('on a static host the service worker makes the page isolated (one reload) and the screen shared', async ({ page }) => {
  await page.goto(STATIC_URL);
  await expect(page.locator('[data-testid=transport]')).toHaveText('shared screen');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  await expect(page.locator('[data-testid=power]')).toHaveText('running');
});

test('?screen=copy forces copied frames on an isolated page', async ({ page }) => {
  await page.goto('/?screen=copy');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await expect(page.locator('[data-testid=transport]')).toHaveText('copied frames');
  await page.goto('/');
  await expect(page.locator('[data-testid=transport]')).toHaveText('shared screen');
});
