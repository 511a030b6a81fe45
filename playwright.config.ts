import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests of the web app in Chromium, against the production build: `vite preview`
 * (COOP/COEP: shared framebuffer) and a plain static server without those headers (the
 * copied-frame fallback). Debian's /usr/bin/chromium is used (CHROMIUM overrides it), since
 * `npx playwright install` cannot download here. The build is made once by the first server.
 */
// E2E_PORT moves both servers (two runs on one machine): preview on it, the static host on it + 1.
const PREVIEW_PORT = Number(process.env.E2E_PORT ?? 4317);
const STATIC_PORT = PREVIEW_PORT + 1;
// For the specs, which run in other processes than this config's.
process.env.E2E_STATIC_URL = `http://127.0.0.1:${STATIC_PORT}/`;

export default defineConfig({
  testDir: 'e2e',
  // One guest boot per file, shared by its checks; a boot in the browser takes tens of seconds.
  timeout: 180_000,
  expect: { timeout: 120_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  // Traces and screenshots of failures, out of the source tree.
  outputDir: 'dist/e2e-results',
  use: {
    browserName: 'chromium',
    baseURL: `http://127.0.0.1:${PREVIEW_PORT}`,
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      // Root in a container has no user namespace for Chromium's sandbox.
      args: ['--no-sandbox'],
    },
  },
  webServer: [
    {
      command: `npx vite build && npx vite preview --host 127.0.0.1 --port ${PREVIEW_PORT} --strictPort`,
      url: `http://127.0.0.1:${PREVIEW_PORT}`,
      timeout: 180_000,
      reuseExistingServer: false,
    },
    {
      // Started after the build above (Playwright starts them in order and waits for each).
      command: `node e2e/static-server.mjs dist/web ${STATIC_PORT}`,
      url: `http://127.0.0.1:${STATIC_PORT}`,
      timeout: 30_000,
      reuseExistingServer: false,
    },
  ],
});

export { STATIC_PORT };
