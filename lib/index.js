// The package entry for `import('synfin')`: the library compiled into
// dist/index.js by `npm run build` (run by `npm ci` and `npm install`).
// Listed by name; test/index.test.ts checks this list against src/index.ts.
export { analyze, analyzeFile, analyzeFiles, diff, DIFF_TIMELINE, formatJson, SCHEMA, CaptureError, DEFAULT_ZEEK_CONFIG } from '../dist/index.js';
