/**
 * The SVG diagrams measured in a real browser (Debian's chromium through
 * playwright-core, as report-browser.test.ts): every text's box, as the
 * browser lays it out, lies inside the picture and overlaps no other text;
 * the state diagram's title clears the top CLOSED box; the bottom CLOSED box
 * is bold only for an endpoint that reached it. Checked on the committed
 * kernel captures and on a flow between the longest IPv6 addresses with
 * 5-digit ports (ipv6-normal-close.pcap with its addresses and ports
 * rewritten, framed with test/capture/build.ts). SYNFIN_SCREENSHOTS=DIR
 * also saves each picture as a PNG there, to look at.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { analyzeFile } from '../../src/analyze.ts';
import { ladderSvg } from '../../src/report/ladder-svg.ts';
import { stateDiagramSvg } from '../../src/report/state-diagram-svg.ts';
import type { FlowRecord } from '../../src/tcp/record.ts';
import { pcapFile, writeTmp, type PcapRecordSpec } from '../capture/build.ts';

const CHROMIUM = '/usr/bin/chromium';
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`the SVG browser tests need Debian's chromium at ${CHROMIUM}: apt-get update && apt-get install -y chromium`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

const LONG_CLIENT = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe';
const LONG_SERVER = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';

/** ipv6-normal-close.pcap (Ethernet, IPv6, TCP) with both addresses and ports at their longest. */
function longestIpv6Capture(): string {
  const b = readFileSync('captures/ipv6-normal-close.pcap');
  const records: PcapRecordSpec[] = [];
  for (let at = 24; at + 16 <= b.length;) {
    const caplen = b.readUInt32LE(at + 8);
    const data = Buffer.from(b.subarray(at + 16, at + 16 + caplen));
    const fromClient = data.readUInt16BE(14 + 40) === 41018;
    const [src, dst] = fromClient ? [LONG_CLIENT, LONG_SERVER] : [LONG_SERVER, LONG_CLIENT];
    Buffer.from(src.replace(/:/g, ''), 'hex').copy(data, 14 + 8);
    Buffer.from(dst.replace(/:/g, ''), 'hex').copy(data, 14 + 24);
    data.writeUInt16BE(fromClient ? 65534 : 65535, 14 + 40);
    data.writeUInt16BE(fromClient ? 65535 : 65534, 14 + 42);
    records.push({ sec: b.readUInt32LE(at), frac: b.readUInt32LE(at + 4), data });
    at += 16 + caplen;
  }
  return writeTmp('longest-ipv6.pcap', pcapFile({}, records));
}

interface Box { text: string; x: number; y: number; w: number; h: number }
interface Measured { width: number; height: number; texts: Box[]; nodes: (Box & { used: boolean })[]; title: Box }

/** Lays the SVG out in chromium and reads every text's and state box's bounding box. */
async function measure(svg: string, shot?: string): Promise<Measured> {
  const page = await browser.newPage();
  try {
    await page.setContent(`<!DOCTYPE html><html><body style="margin:0">${svg}</body></html>`);
    const m = await page.evaluate(`(() => {
      const svg = document.querySelector('svg');
      const box = (e) => { const r = e.getBoundingClientRect(); return { text: e.textContent, x: r.x, y: r.y, w: r.width, h: r.height }; };
      return {
        width: Number(svg.getAttribute('width')), height: Number(svg.getAttribute('height')),
        texts: [...svg.querySelectorAll('text')].map(box),
        nodes: [...svg.querySelectorAll('rect.node')].map((e) => ({ ...box(e), text: e.nextElementSibling.textContent, used: e.classList.contains('used') })),
        title: box(svg.querySelector('text.title')),
      };
    })()`) as Measured;
    if (shot !== undefined && process.env.SYNFIN_SCREENSHOTS !== undefined) {
      await page.setViewportSize({ width: Math.ceil(m.width), height: Math.ceil(m.height) });
      await page.screenshot({ path: join(process.env.SYNFIN_SCREENSHOTS, `${shot}.png`), fullPage: true });
    }
    return m;
  } finally {
    await page.close();
  }
}

function overlap(a: Box, b: Box): boolean {
  const e = 0.5; // a shared edge is not an overlap
  return a.x + e < b.x + b.w && b.x + e < a.x + a.w && a.y + e < b.y + b.h && b.y + e < a.y + a.h;
}

function expectInside(m: Measured, what: string): void {
  for (const t of m.texts) {
    expect(t.x, `${what}: '${t.text}' starts left of the picture`).toBeGreaterThanOrEqual(0);
    expect(t.x + t.w, `${what}: '${t.text}' runs past the right edge (${m.width})`).toBeLessThanOrEqual(m.width);
    expect(t.y + t.h, `${what}: '${t.text}' runs past the bottom`).toBeLessThanOrEqual(m.height);
  }
}

function expectNoOverprint(texts: readonly Box[], what: string): void {
  texts.forEach((a, i) => texts.slice(i + 1).forEach((b) => {
    expect(overlap(a, b), `${what}: '${a.text}' overprints '${b.text}'`).toBe(false);
  }));
}

const CAPTURES = ['normal-close-client', 'lost-final-ack', 'stuck-close-wait', 'refused', 'simultaneous-close', 'ipv6-normal-close', 'retransmission-death'];

describe('ladder diagram in chromium', () => {
  it.each([...CAPTURES, 'longest-ipv6'])('%s: every text inside the picture, none over another', async (name) => {
    const path = name === 'longest-ipv6' ? longestIpv6Capture() : `captures/${name}.pcap`;
    const f = (await analyzeFile(path, { events: true })).flows[0]!;
    if (name === 'longest-ipv6') expect(f.client.addr).toBe(LONG_CLIENT);
    const m = await measure(ladderSvg(f), `ladder-${name}`);
    expectInside(m, name);
    expectNoOverprint(m.texts, name);
  }, 30_000);
});

describe('walked state diagram in chromium', () => {
  it.each([...CAPTURES, 'longest-ipv6'])('%s: the title clears every state box and fits; texts inside', async (name) => {
    const path = name === 'longest-ipv6' ? longestIpv6Capture() : `captures/${name}.pcap`;
    const f = (await analyzeFile(path, { events: true })).flows[0]!;
    const m = await measure(stateDiagramSvg(f), `states-${name}`);
    expectInside(m, name);
    // Clear of every box by a few pixels, not just not overlapping: a title touching the top CLOSED box reads as running into it.
    for (const n of m.nodes) expect(overlap({ ...m.title, h: m.title.h + 4 }, n), `${name}: the title runs into the ${n.text} box`).toBe(false);
    // Node names sit in their boxes and overprint nothing else's name.
    expectNoOverprint(m.texts.filter((t) => m.nodes.some((n) => n.text === t.text)), name);
  }, 30_000);

  it.each([
    ['normal-close-client', true], // client in TIME_WAIT, the server CLOSED at the bottom
    ['stuck-close-wait', false], // FIN_WAIT_2 and CLOSE_WAIT: neither reached the end
    ['refused', false], // CLOSED at the top only: never past the handshake
  ] as const)('%s: the bottom CLOSED box is bold only when an endpoint reached it', async (name, reachedEnd) => {
    const f: FlowRecord = (await analyzeFile(`captures/${name}.pcap`, { events: true })).flows[0]!;
    const m = await measure(stateDiagramSvg(f));
    const closed = m.nodes.filter((n) => n.text === 'CLOSED').sort((a, b) => a.y - b.y);
    expect(closed).toHaveLength(2);
    expect(closed[0]!.used, `${name}: top CLOSED`).toBe(true);
    expect(closed[1]!.used, `${name}: bottom CLOSED`).toBe(reachedEnd);
  }, 30_000);
});
