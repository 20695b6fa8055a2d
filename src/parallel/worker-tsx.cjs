// The worker's entry when synfin runs from its TypeScript sources (tests,
// `npm run dev`): registers tsx in this thread, then loads worker.ts. The
// bundles in dist/ start themselves as the worker and never use this file.
'use strict';
require('tsx/cjs/api').register();
require(require('node:worker_threads').workerData.entry);
