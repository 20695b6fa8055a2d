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

/** The build, shared with test/build.test.ts so the test builds exactly what npm run build does. */
export const OPTIONS = {
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli/main.ts', index: 'src/index.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // commander is CommonJS: its require() of Node's built-in modules needs a require in an ES module.
  banner: { js: "import { createRequire as __synfinRequire } from 'node:module';\nconst require = __synfinRequire(import.meta.url);" },
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
  minify: false,
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const result = await build({ ...OPTIONS, write: false });
    const stale = result.outputFiles.filter((f) => !existsSync(f.path) || !readFileSync(f.path).equals(Buffer.from(f.contents)));
    if (stale.length > 0) {
      process.stderr.write(`build: ${stale.map((f) => relative(root, f.path)).join(', ')} missing or out of date: run npm run build\n`);
      process.exit(1);
    }
  } else {
    await build(OPTIONS);
  }
}
