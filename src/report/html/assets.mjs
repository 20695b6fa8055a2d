// The report page's script and styles as text, from their sources in
// browser/: script.ts compiled by esbuild (with what it imports from
// blocks.ts) into one script for the page, and style.css as it is. Run from
// the sources (tsx, vitest), pageAssets() does that when synfin first writes
// a page (html/page.ts); `npm run build` calls pageAssets() once and puts the result in the
// bundle in this module's place (scripts/build.mjs), so dist/ neither reads
// these files nor needs esbuild. Plain JavaScript, so the build imports it
// as it is, and the two ways cannot compile the script differently.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

/** Where the script's bundle names its modules from (in comments), whatever the working directory. */
const HERE = fileURLToPath(new URL('.', import.meta.url));

/** The page's script and styles, as the page carries them. */
export function pageAssets() {
  const { outputFiles } = buildSync({
    absWorkingDir: HERE,
    entryPoints: ['browser/script.ts'],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    // Every browser with DecompressionStream, which the page needs anyway.
    target: 'es2020',
    charset: 'utf8',
    legalComments: 'none',
    write: false,
    outfile: 'page.js',
    logLevel: 'silent',
  });
  return {
    script: outputFiles[0].text,
    css: readFileSync(new URL('./browser/style.css', import.meta.url), 'utf8'),
  };
}
