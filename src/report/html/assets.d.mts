/**
 * The page's script (browser/script.ts, compiled to run in the page) and
 * styles (browser/style.css), as the page carries them; see assets.mjs.
 */
export function pageAssets(): { readonly script: string; readonly css: string };
