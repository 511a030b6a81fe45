#!/usr/bin/env node
import { main } from '../dist/cli.mjs';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`odtab: internal error: ${err && err.message ? err.message : err}`);
    process.exit(1);
  },
);
