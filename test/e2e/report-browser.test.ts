/**
 * The HTML report in a real browser: Debian's chromium, driven by
 * playwright-core (which never downloads a browser), opens the report from
 * disk with the network cut off. Checks what a user would see: no console
 * error, the flow count the JSON gives, an anomaly filter showing exactly the
 * JSON's flows with it, a chosen flow's diagram with the JSON's states, and
 * no element injected by a hostile capture. Also opens a 100 k-flow report
 * and prints how long opening and filtering took (printed, not asserted).
 */

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { analyzeFile, type AnalysisResult } from '../../src/analyze.ts';
import { reportHtml } from '../../src/report/html.ts';
import { ladderStates } from '../../src/report/ladder-svg.ts';
import type { FlowRecord } from '../../src/tcp/record.ts';
import type { AnomalyCode } from '../../src/tcp/anomalies/registry.ts';

const CHROMIUM = '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'synfin-report-'));
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`the report's browser tests need Debian's chromium at ${CHROMIUM}: apt-get update && apt-get install -y chromium (.ci/run installs it)`);
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    // playwright gives each launch a fresh, temporary --user-data-dir of its own.
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens a report from disk with every network request refused; returns the page and the console errors seen. */
async function open(name: string, html: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const file = join(dir, `${name}.html`);
  writeFileSync(file, html);
  const context = await browser.newContext({ offline: true });
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
  await page.goto(`file://${file}`);
  return { page, errors, requests };
}

async function analyzed(name: string): Promise<AnalysisResult> {
  return analyzeFile(`captures/${name}.pcap`, { events: true });
}

async function shownIds(page: Page): Promise<number[]> {
  // The table renders only the visible rows; read the count, and the ids of the rows drawn.
  return page.evaluate(`[...document.querySelectorAll('#spacer .row')].filter((e) => e.style.display !== 'none').map((e) => Number(e.getAttribute('data-id')))`) as Promise<number[]>;
}

/** Where each heading and each drawn row's cells sit, in page pixels, with the page's own width. */
interface Layout {
  page: { width: number; scrollWidth: number };
  heads: { text: string; left: number; right: number; clipped: boolean }[];
  rows: { id: string; cells: { left: number; right: number }[] }[];
  viewport: { left: number; right: number; scrollWidth: number; clientWidth: number };
}

const LAYOUT = `(() => {
  const box = (e) => { const r = e.getBoundingClientRect(); return { left: r.left, right: r.right }; };
  const heads = [...document.querySelectorAll('#head span')].map((e) => ({ text: e.textContent, ...box(e), clipped: e.scrollWidth > e.clientWidth + 1 }));
  const rows = [...document.querySelectorAll('#spacer .row')].filter((e) => e.style.display !== 'none')
    .map((e) => ({ id: e.getAttribute('data-id'), cells: [...e.children].map(box) }));
  const vp = document.getElementById('viewport');
  return { page: { width: window.innerWidth, scrollWidth: document.documentElement.scrollWidth }, heads, rows,
    viewport: { ...box(vp), scrollWidth: vp.scrollWidth, clientWidth: vp.clientWidth } };
})()`;

/** Checks every cell lies within its heading's column, and each heading is wide enough to read. */
function expectAligned(l: Layout, what: string): void {
  expect(l.heads.map((h) => h.text), what).toEqual(['ID', 'CLIENT', 'SERVER', 'HANDSHAKE', 'CLOSE', 'CLIENT END', 'SERVER END', 'ANOMALIES', 'SECONDS']);
  for (const h of l.heads) {
    expect(h.right - h.left, `${what}: ${h.text} is ${h.right - h.left} px wide`).toBeGreaterThanOrEqual(50);
    expect(h.clipped, `${what}: ${h.text} is cut off`).toBe(false);
  }
  l.heads.slice(1).forEach((h, i) => expect(h.left, `${what}: ${h.text} starts before ${l.heads[i]!.text} ends`).toBeGreaterThanOrEqual(l.heads[i]!.right));
  expect(l.rows.length, what).toBeGreaterThan(0);
  for (const r of l.rows) {
    expect(r.cells.length, what).toBe(l.heads.length);
    r.cells.forEach((c, j) => {
      const h = l.heads[j]!;
      expect(c.left, `${what}: flow ${r.id}'s ${h.text} cell starts left of its heading`).toBeGreaterThanOrEqual(h.left - 0.5);
      expect(c.right, `${what}: flow ${r.id}'s ${h.text} cell ends right of its heading`).toBeLessThanOrEqual(h.right + 0.5);
    });
  }
}

describe('HTML report in chromium', () => {
  it('demo-mixed reads at 360, 1024, 1440 and 2560 px: each cell under its heading, the page never wider than the window', async () => {
    const result = await analyzed('demo-mixed');
    const { page, errors } = await open('demo-mixed-widths', reportHtml(result, 'demo-mixed.pcap'));
    for (const width of [360, 1024, 1440, 2560]) {
      await page.setViewportSize({ width, height: 900 });
      await page.waitForSelector('#spacer .row');
      const what = `${width} px`;
      const l = await page.evaluate(LAYOUT) as Layout;
      // The page itself never scrolls sideways: only the table's own box does, heading and rows together.
      expect(l.page.scrollWidth, what).toBeLessThanOrEqual(width);
      expect(l.viewport.right, what).toBeLessThanOrEqual(width);
      expectAligned(l, what);
      if (l.viewport.scrollWidth > l.viewport.clientWidth) {
        // Too narrow for every column: scrolled to the far side, the last headings and their cells come into view, still aligned.
        await page.$eval('#viewport', (e) => { e.scrollLeft = e.scrollWidth; });
        const scrolled = await page.evaluate(LAYOUT) as Layout;
        expectAligned(scrolled, `${what}, scrolled right`);
        for (const h of scrolled.heads.slice(-2)) expect(h.right, `${what}, scrolled right: ${h.text}`).toBeLessThanOrEqual(scrolled.viewport.right);
        await page.$eval('#viewport', (e) => { e.scrollLeft = 0; });
      } else {
        for (const h of l.heads) expect(h.right, `${what}: ${h.text} off the table`).toBeLessThanOrEqual(l.viewport.right);
      }
      if (process.env.SYNFIN_SCREENSHOTS !== undefined) await page.screenshot({ path: join(process.env.SYNFIN_SCREENSHOTS, `report-${width}.png`), fullPage: true });
    }
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('marks the sorted column and flips it on a second click', async () => {
    const result = await analyzed('demo-mixed');
    const { page, errors } = await open('demo-mixed-sort', reportHtml(result, 'demo-mixed.pcap'));
    await page.waitForSelector('#spacer .row');
    const sorts = async (): Promise<string[]> => page.$$eval('#head span', (els) => els.map((e) => e.getAttribute('aria-sort') ?? ''));
    expect(await sorts()).toEqual(['ascending', ...Array(8).fill('none')]);
    await page.click('#head span:nth-child(9)');
    expect(await sorts()).toEqual([...Array(8).fill('none'), 'ascending']);
    await page.click('#head span:nth-child(9)');
    expect(await sorts()).toEqual([...Array(8).fill('none'), 'descending']);
    const arrow = await page.evaluate(`getComputedStyle(document.querySelector('#head span:nth-child(9)'), '::after').content`) as string;
    expect(arrow).toContain('▼');
    const ids = await shownIds(page);
    const byDuration = [...result.flows].sort((a, b) => b.duration_s - a.duration_s || a.id - b.id).map((f) => f.id);
    expect(ids).toEqual(byDuration);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('demo-mixed: opens with no error, counts, filters and draws as the JSON says', async () => {
    const result = await analyzed('demo-mixed');
    const { page, errors, requests } = await open('demo-mixed', reportHtml(result, 'demo-mixed.pcap'));
    expect(await page.textContent('#flow-total')).toBe(String(result.flows.length));
    expect(await page.getAttribute('#count', 'data-shown')).toBe(String(result.flows.length));
    // Filtering by each anomaly shows exactly the flows that have it.
    const codes = [...new Set(result.flows.flatMap((f) => f.anomalies.map((a) => a.code)))].sort();
    expect(codes.length).toBeGreaterThan(0);
    for (const code of codes) {
      await page.selectOption('#f-anomaly', code);
      const want = result.flows.filter((f) => f.anomalies.some((a) => a.code === code)).map((f) => f.id).sort((a, b) => a - b);
      expect(await page.getAttribute('#count', 'data-shown'), code).toBe(String(want.length));
      expect((await shownIds(page)).sort((a, b) => a - b), code).toEqual(want);
    }
    await page.selectOption('#f-anomaly', '');
    // Choosing each flow shows its diagram with the JSON's states, in order.
    for (const f of result.flows) {
      await page.click(`#spacer .row[data-id="${f.id}"]`);
      // The diagrams' block is inflated when a flow is first chosen: #diagram names the flow once it shows it.
      await page.waitForSelector(`#diagram[data-flow="${f.id}"]`);
      const drawn = async (side: string): Promise<string[]> => page.$$eval(`#diagram svg text.state.${side}`, (els) => els.map((e) => e.textContent ?? ''));
      const want = ladderStates(f);
      expect(await drawn('client'), `flow ${f.id}`).toEqual(want.client);
      expect(await drawn('server'), `flow ${f.id}`).toEqual(want.server);
      expect(want.client.at(-1)).toBe(f.client.final_state === 'UNKNOWN' ? want.client.at(-1) : f.client.final_state);
    }
    expect(await page.$$eval('#chart polyline', (els) => els.length)).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('a hostile capture shows no injected element', async () => {
    const result = await analyzed('normal-close-client');
    const markup = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
    const f = result.flows[0]!;
    const hostile: FlowRecord = {
      ...f,
      client: { ...f.client, addr: `10.0.0.1${markup}` },
      // A document from elsewhere may hold any code: the page must escape it.
      anomalies: [...f.anomalies, { code: `x${markup}` as AnomalyCode, severity: 'error', side: 'client', frame: 1, time: f.start, message: markup }],
    };
    const { page, errors } = await open('hostile', reportHtml({ ...result, flows: [hostile] }, `cap${markup}.pcap`));
    await page.selectOption('#f-anomaly', `x${markup}`);
    await page.click('#spacer .row[data-id="1"]');
    await page.waitForSelector('#diagram[data-flow="1"] svg');
    expect(await page.evaluate('window.pwned')).toBeUndefined();
    expect(await page.$$eval('img', (els) => els.length)).toBe(0);
    expect(await page.$$eval('script', (els) => els.length)).toBe(3); // the table's and the diagrams' data blocks and the page's own script
    expect(await page.textContent('#spacer .row[data-id="1"] span:nth-child(2)')).toContain('<img');
    expect(await page.textContent('h1')).toContain('<script>');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('100 k flows: opens and filters (times printed)', async () => {
    const base = await analyzed('lost-final-ack');
    const clean = (await analyzed('normal-close-client')).flows[0]!;
    const lost = base.flows[0]!;
    const flows: FlowRecord[] = [];
    for (let i = 0; i < 100_000; i++) {
      const t = i % 10 === 0 ? lost : clean;
      const { events: _, ...rest } = t;
      flows.push({ ...rest, ...(i < 400 ? { events: t.events } : {}), id: i + 1, client: { ...t.client, port: 1024 + (i % 60000), addr: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` } });
    }
    const html = reportHtml({ ...base, flows }, '100k-synthetic');
    const t0 = performance.now();
    const { page, errors } = await open('big', html);
    await page.waitForSelector('#spacer .row');
    const opened = performance.now() - t0;
    // In the page's own clock: navigation start to the rows drawn (the page marks it once its data is inflated and shown).
    const inPage = await page.evaluate(`performance.getEntriesByName('synfin-ready')[0].startTime`) as number;
    expect(await page.getAttribute('#count', 'data-shown')).toBe('100000');
    const t1 = performance.now();
    await page.selectOption('#f-anomaly', 'last-ack-lost');
    const filtered = performance.now() - t1;
    expect(await page.getAttribute('#count', 'data-shown')).toBe('10000');
    const t2 = performance.now();
    await page.click('#head span:nth-child(2)');
    const sorted = performance.now() - t2;
    expect(await page.$$eval('#spacer .row', (els) => els.length)).toBeLessThan(60);
    console.log(`100 k-flow report: ${(html.length / 1e6).toFixed(1)} MB; open ${inPage.toFixed(0)} ms in the page (${opened.toFixed(0)} ms including writing the file and a new browser context), filter ${filtered.toFixed(0)} ms, sort ${sorted.toFixed(0)} ms`);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 180_000);
});
