#!/usr/bin/env node
// The command line, compiled: dist/cli.js is src/ bundled by `npm run build`
// (which `npm ci` runs through `prepare`). For development without a build,
// `npm run dev -- ARGS` runs the TypeScript directly (scripts/dev.ts).
import { setFlagsFromString } from 'node:v8';

// V8 lets the old generation grow up to 4× what survived its last full
// collection before collecting again. Over a long capture, finished flows are
// garbage that piles up meanwhile: peak RSS on the 10× benchmark capture was
// 1.4× the 1× one, with the live heap flat. Growing by at most 1.5× keeps
// memory following the flows held for no measurable time.
// V8 reads this flag at every collection, so setting it here works.
setFlagsFromString('--heap-growing-percent=50');

let cli;
try {
  cli = await import('../dist/cli.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist')) throw err;
  process.stderr.write('synfin: dist/cli.js is missing: run `npm run build` (npm ci and npm install run it)\n');
  process.exit(2);
}
await cli.main(process.argv);
