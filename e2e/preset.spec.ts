import { type Page, expect, test } from '@playwright/test';
import { decodePresetFragment } from '../src/preset';
import { PROMPT, dropFiles, runOnSerial, waitForTerminal } from './helpers';
import { makeOpk, solidPng } from './make-opk';

// One boot of a share link, shared by the checks.
test.describe.configure({ mode: 'serial' });

const LINK = '/#v=1&n=Test%20setup&g=odtab&c=odtabtest%3D42&m=96&cpu=4KEc&s=fbtest.dge';
let page: Page;

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  await page.goto(LINK);
  await waitForTerminal(page, PROMPT);
});

test.afterAll(async () => {
  await page.close();
});

// First: the start command is typed on the serial console, which the other checks then use.
test("the preset's start app runs once the shell is up", async () => {
  await waitForTerminal(page, 'fbtest: ready 320x240 16bpp', 60_000);
});

test('a share link boots its setup: command line, memory and CPU seen by the guest', async () => {
  expect(await runOnSerial(page, 'cat /proc/cmdline')).toContain('odtabtest=42');
  const kib = Number(/MemTotal:\s+(\d+)/.exec(await runOnSerial(page, 'grep MemTotal /proc/meminfo'))![1]);
  expect(kib).toBeGreaterThan(64 * 1024);
  expect(kib).toBeLessThanOrEqual(96 * 1024);
  expect(await runOnSerial(page, 'grep -m1 "cpu model" /proc/cpuinfo')).toContain('4KEc');
});

test('the preset panel says what was loaded from where', async () => {
  await page.locator('[data-testid=preset] summary').click();
  await expect(page.locator('[data-testid=preset-name]')).toHaveText('Test setup');
  const files = page.locator('[data-testid=preset-files]');
  await expect(files).toContainText("built-in guest 'odtab'");
  await expect(files).toContainText('/guest/');
  await expect(files).toContainText('command line + "odtabtest=42", 96 MiB RAM, CPU 4KEc, starts fbtest.dge');
});

test('Share gives the same setup back, and names the dropped files that cannot travel', async () => {
  const opk = makeOpk({
    'default.gcw0.desktop': '[Desktop Entry]\nName=Mine\nExec=mine.sh\nIcon=mine\nType=Application\n',
    'mine.png': solidPng(8, [1, 2, 3]),
    'mine.sh': '#!/bin/sh\ntrue\n',
  });
  await dropFiles(page, [{ name: 'mine.opk', bytes: [...opk] }]);
  await expect(page.locator('[data-testid=app][data-file="mine.opk"]')).toBeVisible();
  await page.getByRole('button', { name: 'Share' }).click();
  const url = await page.locator('[data-testid=share-link]').inputValue();
  expect(decodePresetFragment(url)).toEqual(decodePresetFragment(LINK));
  await expect(page.locator('[data-testid=share-left]')).toContainText('mine.opk (apps)');
});

test('an app URL the server will not give names the URL and explains CORS', async ({ browser }) => {
  const p = await browser.newPage();
  await p.goto('/#v=1&g=odtab&a=http%3A%2F%2F127.0.0.1%3A9%2Fgame.opk');
  await expect(p.locator('[data-testid=message]')).toContainText('cannot download http://127.0.0.1:9/game.opk');
  await expect(p.locator('[data-testid=message]')).toContainText('CORS');
  await p.close();
});
