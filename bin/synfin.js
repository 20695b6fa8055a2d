#!/usr/bin/env node
// The command line, compiled: dist/cli.cjs is src/ bundled by `npm run build`
// (which `npm ci` runs through `postprepare`). CommonJS (bin/package.json says
// so), like the bundle, so a run never starts Node's ES-module loader.
// `npm run dev -- ARGS` runs the TypeScript directly (scripts/dev.ts).
'use strict';
const { setFlagsFromString } = require('node:v8');

// V8 lets the old generation grow up to 4× what survived its last full
// collection before collecting again. Over a long capture, finished flows are
// garbage that piles up meanwhile: peak RSS on the 10× benchmark capture was
// 1.4× the 1× one, with the live heap flat. Growing by at most 2× keeps
// memory following the flows held. It was 1.5× while done long connections
// waited out TIME_WAIT as objects (2× then peaked at 374 MB on the
// long-connections bench); held as their state (src/tcp/snapshot.ts), 2× is
// 11 % faster there at 163 MB against 156 (docs/performance.md).
// V8 reads this flag at every collection, so setting it here works.
setFlagsFromString('--heap-growing-percent=100');

let cli;
try {
  cli = require('../dist/cli.cjs');
} catch (err) {
  if (err?.code !== 'MODULE_NOT_FOUND' || !String(err.message).includes('dist/cli.cjs')) throw err;
  process.stderr.write('synfin: dist/cli.cjs is missing: run `npm run build` (npm ci and npm install run it)\n');
  process.exit(2);
}
cli.main(process.argv);
