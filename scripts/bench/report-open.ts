/**
 * Opens a report that `synfin report` wrote in Debian's chromium (driven by
 * playwright-core, network off) and prints, in the page's own clock, when its
 * table was ready (the `synfin-*` performance marks), then how long one
 * anomaly filter and one sort took, each to the next frame drawn.
 *
 *   node bin/synfin.js report big.pcap -o bench-out/big.html
 *   npx tsx scripts/bench/report-open.ts bench-out/big.html [--runs 3] [--anomaly CODE]
 */

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

/** One opening of a report: the page's marks (ms from navigation start) and the two actions' times. */
export interface OpenTimes {
  readonly marks: Record<string, number>;
  readonly filter: { readonly code: string; readonly ms: number; readonly shown: string | null };
  readonly sort: { readonly ms: number };
}

/** Opens `file` once in a fresh context and times it (see the file's comment). */
export async function timeReport(file: string, anomaly?: string): Promise<OpenTimes> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const context = await browser.newContext({ offline: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(pathToFileURL(resolve(file)).href);
    await page.waitForSelector('#spacer .row');
    // Evaluated as text: this script is compiled without the DOM's types.
    const marks = await page.evaluate(`Object.fromEntries(performance.getEntriesByType('mark')
      .filter((m) => m.name.startsWith('synfin-')).map((m) => [m.name.slice(7), Math.round(m.startTime)]))`) as Record<string, number>;
    // In the page: change the filter, then wait for the next frame, so layout and paint count.
    const filter = await page.evaluate(`(async (want) => {
      const sel = document.getElementById('f-anomaly');
      const code = want ?? (sel.options[1]?.value ?? '');
      const t0 = performance.now();
      sel.value = code;
      sel.dispatchEvent(new Event('change'));
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      return { code, ms: Math.round(performance.now() - t0), shown: document.getElementById('count').getAttribute('data-shown') };
    })(${JSON.stringify(anomaly ?? null)})`) as OpenTimes['filter'];
    const sort = await page.evaluate(`(async () => {
      const head = document.querySelectorAll('#head span')[1];
      const t0 = performance.now();
      head.click();
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      return { ms: Math.round(performance.now() - t0) };
    })()`) as OpenTimes['sort'];
    if (errors.length > 0) throw new Error(`the page reported errors: ${errors.join('; ')}`);
    return { marks, filter, sort };
  } finally {
    await browser.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const file = args.find((a, i) => !a.startsWith('--') && !['--runs', '--anomaly'].includes(args[i - 1] ?? ''));
  if (file === undefined) throw new Error('usage: report-open.ts REPORT.html [--runs N] [--anomaly CODE]');
  const runsAt = args.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;
  const anomalyAt = args.indexOf('--anomaly');
  const anomaly = anomalyAt >= 0 ? args[anomalyAt + 1] : undefined;
  for (let i = 0; i < runs; i++) {
    const t = await timeReport(file, anomaly);
    const marks = Object.entries(t.marks).map(([k, v]) => `${k} ${v}`).join(', ');
    process.stdout.write(`ready ${t.marks.ready ?? '?'} ms (${marks}); filter ${t.filter.code}: ${t.filter.ms} ms (${t.filter.shown} shown); sort by client: ${t.sort.ms} ms\n`);
  }
}
