/** The page's script and styles, as the page carries them (see assets.mjs). */
export function pageAssets(): { readonly script: string; readonly css: string };
/** The page's script (browser/), as it runs in the page. */
export const PAGE_SCRIPT: string;
/** The page's styles (browser/style.css), the table's grid still to be put in (page.ts). */
export const PAGE_CSS: string;
