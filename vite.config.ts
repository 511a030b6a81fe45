import { defineConfig } from 'vitest/config';

// Cross-origin isolation lets the emulator worker share the framebuffer with the page
// (SharedArrayBuffer) instead of posting a frame per change.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  // The web app builds into dist/web; dist/ also holds the Node bundles (CLI, bench).
  build: { outDir: 'dist/web', emptyOutDir: true },
  // The machine worker is an ES module (it imports the emulator like the page does).
  worker: { format: 'es' },
  server: { headers: isolation },
  preview: { headers: isolation },
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
