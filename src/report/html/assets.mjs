// The report page's script and styles as text, from their sources in
// browser/. Run from the sources (tsx, vitest), importing this module reads
// them; `npm run build` calls pageAssets() once and puts the two strings in
// the bundle in this module's place (scripts/build.mjs), so dist/ reads no
// file of its own at run time. Plain JavaScript, so the build imports it as
// it is, and the two ways cannot disagree.

import { readFileSync } from 'node:fs';

/** The page's script and styles, as the page carries them. */
export function pageAssets() {
  return {
    script: readFileSync(new URL('./browser/script.js', import.meta.url), 'utf8'),
    css: readFileSync(new URL('./browser/style.css', import.meta.url), 'utf8'),
  };
}

const assets = pageAssets();
export const PAGE_SCRIPT = assets.script;
export const PAGE_CSS = assets.css;
