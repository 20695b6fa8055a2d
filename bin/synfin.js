#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so `npx synfin` works in a
// fresh clone after `npm ci` with no build step. (tsx's CommonJS hooks would
// save the loader thread's ~20 MB, but their modules reach each other's
// exports through getters, which made the analysis 20 % slower.)
import { setFlagsFromString } from 'node:v8';
import { register } from 'tsx/esm/api';

// V8 lets the old generation grow up to 4× what survived its last full
// collection before collecting again. Over a long capture, finished flows are
// garbage that piles up meanwhile: peak RSS on the 10× benchmark capture was
// 1.4× the 1× one, with the live heap flat. Growing by at most 1.5× keeps
// memory following the flows held (benchmark: 310-320 MB against 355-370 at
// 2×; a million-flow flood 275-285 MB against 280-310) for no measurable time.
// V8 reads this flag at every collection, so setting it here works.
setFlagsFromString('--heap-growing-percent=50');

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
