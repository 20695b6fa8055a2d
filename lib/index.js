// The package entry for `import('synfin')` from plain Node: synfin ships its
// TypeScript sources and no build, so this loads them through tsx. The loader
// is registered under its own namespace, so only synfin's modules go through
// it and the importing program's own module loading is left as it was; and
// with `tsconfig: false`, so the importer's tsconfig.json cannot change how
// synfin's sources are compiled.
import { register } from 'tsx/esm/api';

const loader = register({ namespace: 'synfin', tsconfig: false });
const lib = await loader.import('../src/index.ts', import.meta.url);

// Listed by name (not `export *` of a dynamic import, which ESM cannot do);
// test/index.test.ts checks this list against src/index.ts.
export const { analyze, analyzeFile, analyzeFiles, diff, formatJson, SCHEMA, CaptureError } = lib;
