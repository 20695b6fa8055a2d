// Types for `import ... from 'synfin'` (package.json "exports" points `tsc`
// at dist/types/index.d.ts; this file says the same for anything that finds
// lib/index.js by path): the declarations `npm run build` emits from src/
// beside the JavaScript it bundles into dist/ (`npm ci` and `npm install` run
// the build). docs/api.md says what a consumer's tsconfig needs.
export * from '../dist/types/index.js';
