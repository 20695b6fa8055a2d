/**
 * Rewrites test/golden/NAME.json (flows --format json --events) and
 * NAME.txt (the text table) for every capture in captures/. Run it after a
 * reviewed change in output, then read the diff line by line before
 * committing: the tests compare against these bytes and never write them.
 *
 *   npm run golden:update
 */

import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { GOLDEN_FOLDERS, goldenCaptures, renderGolden } from '../test/e2e/golden-cases.ts';
import { renderSvgGolden, SVG_GOLDENS } from '../test/report/svg-goldens.ts';

const names = goldenCaptures();
for (const dir of GOLDEN_FOLDERS) mkdirSync(`test/golden/${dir}`, { recursive: true });
for (const name of names) {
  const { json, text } = await renderGolden(name);
  writeFileSync(`test/golden/${name}.json`, json);
  writeFileSync(`test/golden/${name}.txt`, text);
}
for (const name of SVG_GOLDENS) writeFileSync(`test/golden/${name}.svg`, await renderSvgGolden(name));
const stale = ['', ...GOLDEN_FOLDERS.map((d) => `${d}/`)].flatMap((dir) => readdirSync(`test/golden/${dir}`, { withFileTypes: true })
  .filter((e) => e.isFile()).map((e) => dir + e.name)).filter((f) => !names.includes(f.replace(/\.(json|txt|svg)$/, '')));
console.log(`wrote ${names.length * 2} goldens${stale.length > 0 ? `; not from any capture (remove them): ${stale.join(', ')}` : ''}`);
