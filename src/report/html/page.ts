/**
 * The report's page around its data: the markup, the styles, the script and
 * a Content-Security-Policy that allows only that script, by its hash. The
 * flow table's columns are laid out here too, for the styles and the markup.
 */

import { createHash } from 'node:crypto';
import { xmlEscape } from '../ladder-svg.ts';
import { pageAssets } from './assets.mjs';

/**
 * The flow table's columns, one row each: heading, least width (px) and share
 * of the width left over. The heading and every row are grids of these same
 * tracks inside one scrolling box, so a cell always sits under its heading;
 * where the least widths do not fit (below about 1,150 px) the box scrolls
 * sideways, the heading with it, and no column is squeezed to nothing.
 */
export const TABLE_COLUMNS = [
  { head: 'ID', min: 56, grow: 0 },
  { head: 'CLIENT', min: 170, grow: 2 },
  { head: 'SERVER', min: 170, grow: 2 },
  { head: 'HANDSHAKE', min: 120, grow: 1 },
  { head: 'CLOSE', min: 104, grow: 1 },
  { head: 'CLIENT END', min: 104, grow: 0 },
  { head: 'SERVER END', min: 104, grow: 0 },
  { head: 'ANOMALIES', min: 200, grow: 3 },
  { head: 'SECONDS', min: 72, grow: 0 },
] as const;
const COLUMN_GAP = 6;
const GRID_TEMPLATE = TABLE_COLUMNS.map((c) => (c.grow === 0 ? `${c.min}px` : `minmax(${c.min}px,${c.grow}fr)`)).join(' ');
/** The table's least width: every column at its least, and the gaps. */
export const TABLE_MIN_WIDTH = TABLE_COLUMNS.reduce((n, c) => n + c.min, 0) + COLUMN_GAP * (TABLE_COLUMNS.length - 1);

/** Where the styles (browser/style.css) leave the table's grid to be made from TABLE_COLUMNS. */
const GRID_PLACE = "/* #grid and #head,.row: the flow table's grid, made from TABLE_COLUMNS in page.ts */\n";
const GRID_RULES = `#grid{min-width:${TABLE_MIN_WIDTH}px}
#head,.row{display:grid;grid-template-columns:${GRID_TEMPLATE};column-gap:${COLUMN_GAP}px;white-space:nowrap}
`;

/** The page's styles, its script and the policy that allows only that script, by its hash. */
interface PageParts {
  readonly css: string;
  readonly script: string;
  readonly csp: string;
}
let parts: PageParts | undefined;

/**
 * The page's parts, made for the first page: from the sources, that is when
 * the script is compiled (assets.mjs); a command that writes no report never
 * does it.
 */
function pageParts(): PageParts {
  if (parts === undefined) {
    const { script, css } = pageAssets();
    if (!css.includes(GRID_PLACE)) throw new Error('browser/style.css has no place for the table\'s grid');
    const inline = `\n${script}`;
    const hash = createHash('sha256').update(inline).digest('base64');
    parts = {
      css: `\n${css.replace(GRID_PLACE, () => GRID_RULES)}`,
      script: inline,
      csp: `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; img-src data:`,
    };
  }
  return parts;
}

/** The page: the summary's and the chart's markup, and the two blocks of data (table-data.ts). */
export function page(title: string, summary: string, chart: string, data: string, diagrams: string): string {
  const { css, script, csp } = pageParts();
  const header = TABLE_COLUMNS.map((c) => c.head);
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${xmlEscape(csp)}">`,
    `<title>synfin report: ${xmlEscape(title)}</title>`,
    `<style>${css}</style></head><body>`,
    `<h1>synfin report: ${xmlEscape(title)}</h1>`,
    summary,
    '<section><h2>Flows</h2><div id="filters">',
    '<label>state <select id="f-state"><option value="">any</option></select></label>',
    '<label>kind <select id="f-kind"><option value="">any</option></select></label>',
    '<label>anomaly <select id="f-anomaly"><option value="">any</option></select></label>',
    '<label>host <input id="f-host" size="18" placeholder="10.0.0.1"></label>',
    '<label>port <input id="f-port" size="6" placeholder="443"></label>',
    '<span id="count"></span></div>',
    '<div id="viewport"><div id="grid">',
    `<div id="head" role="row">${header.map((h, i) => `<span role="columnheader" aria-sort="${i === 0 ? 'ascending' : 'none'}">${h}</span>`).join('')}</div>`,
    '<div id="spacer"></div></div></div>',
    '<p class="dim">Click a column to sort (again to reverse; the arrow marks the sorted column), a row to see its diagram. A narrow window scrolls the table sideways.</p></section>',
    '<section><h2 id="chosen">Choose a flow</h2><div id="diagram"></div><div id="account"></div></section>',
    `<section><h2>Sockets per state over time</h2><div id="chart">${chart}</div></section>`,
    `<script type="application/octet-stream" id="data">${data}</script>`,
    `<script type="application/octet-stream" id="diagrams">${diagrams}</script>`,
    `<script>${script}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
