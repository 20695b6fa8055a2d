// `npm run build` (run by `npm ci` and `npm install` through `prepare`):
// bundles the TypeScript in src/ into dist/, the JavaScript that bin/synfin.js
// and the package entry (lib/index.js) run. One file per entry point, so a run
// starts without resolving and transpiling ~60 modules (bin through tsx took
// 0.8-1.1 s for a two-packet capture). commander is bundled in too, with its
// one use of node:child_process (running `git-foo`-style executable
// subcommands, which synfin has none of) stubbed out: loading child_process
// was 16 of the 30 ms commander added to every start. synfin's own use
// (capturing with tcpdump) imports it only when it captures.
// The report page's script and styles (src/report/html/browser/) go into the
// bundle as text, compiled as src/report/html/assets.mjs compiles them, in
// that module's place: the command reads no file of its own, nor compiles
// anything, to write a report.
// It also emits the library's declarations (dist/types/, what package.json
// "exports" gives `tsc`) with TypeScript's own emitter, from the same sources.
// Plain JavaScript, so the build needs nothing but esbuild and typescript.
//
//   node scripts/build.mjs            build dist/
//   node scripts/build.mjs --check    exit 1 when dist/ is missing or differs from what src/ builds to

import { build } from 'esbuild';
import ts from 'typescript';
import { readFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';
import { pageAssets } from '../src/report/html/assets.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What both bundles share. */
const COMMON = {
  absWorkingDir: root,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  plugins: [{
    name: 'report-page-assets',
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/]report[\\/]html[\\/]assets\.mjs$/ }, () => {
        const { script, css } = pageAssets();
        return { contents: `const ASSETS = { script: ${JSON.stringify(script)}, css: ${JSON.stringify(css)} };\nexport function pageAssets() { return ASSETS; }\n`, loader: 'js' };
      });
    },
  }, {
    name: 'no-child-process',
    setup(b) {
      // commander's import only: synfin's own (src/cli/capture.ts runs tcpdump) is the real module, loaded when used.
      b.onResolve({ filter: /^(node:)?child_process$/ }, (args) => (/[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'stub' } : undefined));
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
  // `synfin/vitest`, the test matchers: the library itself stays in dist/index.js, imported, not bundled
  // a second time (one copy, so a CaptureError is the same class from either entry).
  {
    ...COMMON, entryPoints: { vitest: 'src/vitest.ts' }, format: 'esm',
    plugins: [...COMMON.plugins, {
      name: 'library-external',
      setup(b) {
        b.onResolve({ filter: /^\.\/index\.ts$/ }, (args) => (args.importer.endsWith(join('src', 'vitest.ts')) ? { path: './index.js', external: true } : undefined));
      },
    }],
  },
];

/** Where the declarations go: "exports" types and lib/index.d.ts point at dist/types/index.d.ts (and `synfin/vitest` at vitest.d.ts). */
export const TYPES_DIR = 'dist/types';

/**
 * The library's declarations, one .d.ts per module reachable from
 * src/index.ts and src/vitest.ts, as { path, text }. Emitted without type-checking (noCheck:
 * `npm run typecheck` does that), so the build stays about a second. The
 * sources import each other as `./x.ts`; the declarations say `./x.js`, which
 * a consumer's NodeNext resolution maps to `./x.d.ts` with no special option.
 */
export function declarations() {
  const options = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    declaration: true,
    emitDeclarationOnly: true,
    noCheck: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    rootDir: join(root, 'src'),
    outDir: join(root, TYPES_DIR),
    types: ['node'],
    lib: ['lib.es2022.d.ts'],
  };
  const program = ts.createProgram([join(root, 'src/index.ts'), join(root, 'src/vitest.ts')], options);
  const out = [];
  const { diagnostics } = program.emit(undefined, (path, text) => {
    out.push({ path, text: text.replace(/(['"])(\.{1,2}\/[^'"]*?)\.ts\1/g, '$1$2.js$1') });
  }, undefined, true);
  if (diagnostics.length > 0) throw new Error(ts.formatDiagnostics(diagnostics, ts.createCompilerHost(options)));
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const outputs = (await Promise.all(BUILDS.map((b) => build({ ...b, write: false })))).flatMap((r) => r.outputFiles);
    const types = declarations().map((d) => ({ path: d.path, contents: Buffer.from(d.text) }));
    const stale = [...outputs, ...types].filter((f) => !existsSync(f.path) || !readFileSync(f.path).equals(Buffer.from(f.contents)));
    if (stale.length > 0) {
      process.stderr.write(`build: ${stale.map((f) => relative(root, f.path)).join(', ')} missing or out of date: run npm run build\n`);
      process.exit(1);
    }
  } else {
    await Promise.all(BUILDS.map((b) => build(b)));
    // A module removed from src/ must not leave its declaration behind.
    rmSync(join(root, TYPES_DIR), { recursive: true, force: true });
    for (const d of declarations()) {
      mkdirSync(dirname(d.path), { recursive: true });
      writeFileSync(d.path, d.text);
    }
  }
}
