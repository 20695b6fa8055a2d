// `npm run build` (run by `npm ci` and `npm install` through `prepare`):
// bundles the TypeScript in src/ into dist/, the JavaScript that bin/synfin.js
// and the package entry (lib/index.js) run. One file per entry point, so a run
// starts without resolving and transpiling ~60 modules (bin through tsx took
// 0.8-1.1 s for a two-packet capture). commander is bundled in too, with its
// one use of node:child_process (running `git-foo`-style executable
// subcommands, which synfin has none of) stubbed out: loading child_process
// was 16 of the 30 ms commander added to every start.
// Plain JavaScript, so the build needs nothing but esbuild itself.
//
//   node scripts/build.mjs            build dist/
//   node scripts/build.mjs --check    exit 1 when dist/ is missing or differs from what src/ builds to

import { build } from 'esbuild';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What both bundles share. */
const COMMON = {
  absWorkingDir: root,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  plugins: [{
    name: 'no-child-process',
    setup(b) {
      b.onResolve({ filter: /^(node:)?child_process$/ }, () => ({ path: 'child_process', namespace: 'stub' }));
      b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
        contents: "export function spawn() { throw new Error('synfin has no executable subcommands'); }\nexport default { spawn };\n",
        loader: 'js',
      }));
    },
  }],
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
  // Stack traces and profiles name synfin's own functions.
  keepNames: false,
  minifyWhitespace: true,
  minifySyntax: true,
};

/**
 * The builds: the command as CommonJS (bin/synfin.js, CommonJS too, loads it
 * with require: Node's ES-module loader costs 15-20 ms at every start, and
 * commander is CommonJS anyway), the library as an ES module for
 * `import('synfin')` (lib/index.js).
 */
export const BUILDS = [
  {
    ...COMMON, entryPoints: { cli: 'src/cli/main.ts' }, format: 'cjs', outExtension: { '.js': '.cjs' },
    // import.meta.url has no CommonJS meaning: the bundle's own file URL stands in.
    banner: { js: "const __synfinModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__synfinModuleUrl' },
  },
  { ...COMMON, entryPoints: { index: 'src/index.ts' }, format: 'esm' },
];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const outputs = (await Promise.all(BUILDS.map((b) => build({ ...b, write: false })))).flatMap((r) => r.outputFiles);
    const stale = outputs.filter((f) => !existsSync(f.path) || !readFileSync(f.path).equals(Buffer.from(f.contents)));
    if (stale.length > 0) {
      process.stderr.write(`build: ${stale.map((f) => relative(root, f.path)).join(', ')} missing or out of date: run npm run build\n`);
      process.exit(1);
    }
  } else {
    await Promise.all(BUILDS.map((b) => build(b)));
  }
}
