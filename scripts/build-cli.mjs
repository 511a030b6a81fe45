// Bundles the Node entry points (CLI, benchmark) so `npx odtab` runs without a TS loader, and the
// benchmark's Web Worker for Chromium.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
};

await build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.mjs' });
await build({ ...common, entryPoints: ['src/bench/main.ts'], outfile: 'dist/bench.mjs', external: ['@playwright/test'] });
await build({
  ...common,
  platform: 'browser',
  target: 'es2022',
  entryPoints: ['src/bench/chromium-worker.ts'],
  outfile: 'dist/bench-worker.js',
});
