/**
 * The report's HTML without a browser: the same bytes on every run, nothing
 * it would fetch, and capture text that cannot close the data block.
 */

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { EMBEDDED_DIAGRAMS, createReportCollector, reportHtml } from '../../src/report/html.ts';
import { socketsChartSvg } from '../../src/report/html/chart.ts';
import { scriptJson } from '../../src/report/html/table-data.ts';
import { ladderSvg } from '../../src/report/ladder-svg.ts';
import type { FlowRecord } from '../../src/tcp/record.ts';

describe('report HTML', () => {
  it('is the same bytes on every run and references nothing outside itself', async () => {
    const a = reportHtml(await analyzeFile('captures/demo-mixed.pcap', { events: true }), 'demo-mixed.pcap');
    const b = reportHtml(await analyzeFile('captures/demo-mixed.pcap', { events: true }), 'demo-mixed.pcap');
    expect(a).toBe(b);
    expect(a.match(/https?:\/\/[^"\s\\]*/g)?.filter((u) => u !== 'http://www.w3.org/2000/svg') ?? []).toEqual([]);
    expect(a).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
    expect(a).toContain('content="default-src &apos;none&apos;; script-src &apos;sha256-');
  });

  it('is the same page built (dist/, the script and styles bundled in) as from the sources (compiled from browser/)', async () => {
    const built = spawnSync(process.execPath, ['bin/synfin.js', 'report', 'captures/demo-mixed.pcap', '-o', '-'], { encoding: 'utf8', timeout: 60_000 });
    expect(built.status).toBe(0);
    expect(built.stdout).toBe(reportHtml(await analyzeFile('captures/demo-mixed.pcap', { events: true }), 'demo-mixed.pcap'));
  });

  it('keeps markup out of the JSON block', () => {
    const s = scriptJson({ x: '</script><script>alert(1)</script>&\u2028' });
    expect(s).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(s)).toEqual({ x: '</script><script>alert(1)</script>&\u2028' });
  });
});

/** The page's data, decoded as its script reads it (see src/report/html/blocks.ts). */
function pageData(html: string): { head: Record<string, unknown>; cols: Record<string, number[]>; diagrams: Record<string, string>; accounts: Record<string, string[]> } {
  const block = (id: string): Buffer => gunzipSync(Buffer.from(new RegExp(`<script type="application/octet-stream" id="${id}">([^<]*)</script>`).exec(html)![1]!, 'base64'));
  const data = block('data');
  const hl = data.readUInt32LE(0);
  const head = JSON.parse(data.toString('utf8', 4, 4 + hl)) as { n: number; cols: [string, string][]; durScale: number };
  const cols: Record<string, number[]> = {};
  let at = (4 + hl + 7) & ~7;
  const types = { f64: Float64Array, u32: Uint32Array, u16: Uint16Array, u8: Uint8Array } as const;
  for (const [name, type] of head.cols) {
    const T = types[type as keyof typeof types];
    const copy = Buffer.from(data.subarray(at, at + head.n * T.BYTES_PER_ELEMENT));
    cols[name] = [...new T(copy.buffer, copy.byteOffset, head.n)];
    // Durations may travel as whole units of 1/durScale s.
    if (name === 'dur' && head.durScale !== 0) cols[name] = cols[name].map((v) => v / head.durScale);
    at = (at + head.n * T.BYTES_PER_ELEMENT + 7) & ~7;
  }
  return { head, cols, ...JSON.parse(block('diagrams').toString('utf8')) as { diagrams: Record<string, string>; accounts: Record<string, string[]> } };
}

describe('report gathered as flows end', () => {
  const captures = readdirSync('captures').filter((f) => /\.pcap(ng)?$/.test(f)).sort();

  it.each(captures)('%s: the chart counts what socketsAt counts, and the columns are the flows\'', async (name) => {
    const result = await analyzeFile(`captures/${name}`, { events: true });
    const collector = createReportCollector();
    // Flows end out of id order: the page lists them by id all the same.
    for (const f of [...result.flows].reverse()) collector.add(f);
    const html = collector.html(name);
    collector.close();
    const chart = /<div id="chart">(.*?)<\/div><\/section>/s.exec(html)![1];
    expect(chart).toBe(socketsChartSvg(result.flows));
    const { head, cols, diagrams } = pageData(html);
    const words = head.words as string[];
    const hosts = head.hosts as string[];
    let id = 0;
    result.flows.forEach((f, i) => {
      id += cols.id![i]!;
      expect(id).toBe(f.id);
      expect([hosts[cols.ca![i]!], cols.cp![i], hosts[cols.sa![i]!], cols.sp![i]]).toEqual([f.client.addr, f.client.port, f.server.addr, f.server.port]);
      expect([words[cols.hs![i]!], words[cols.cl![i]!], words[cols.cst![i]!], words[cols.sst![i]!]])
        .toEqual([f.handshake.kind, f.close.kind, f.client.final_state, f.server.final_state]);
      expect(cols.dur![i]).toBe(f.duration_s);
    });
    const embedded = [...result.flows].sort((a, b) => Number(b.anomalies.length > 0) - Number(a.anomalies.length > 0) || a.id - b.id)
      .slice(0, EMBEDDED_DIAGRAMS).map((f) => f.id).sort((a, b) => a - b);
    expect(Object.keys(diagrams).map(Number)).toEqual(embedded);
    for (const f of result.flows) if (diagrams[String(f.id)] !== undefined) expect(diagrams[String(f.id)]).toBe(ladderSvg(f));
  });

  it('embeds 300 diagrams, anomalous flows first, whatever order flows end in', async () => {
    const base = await analyzeFile('captures/lost-final-ack.pcap', { events: true });
    const clean = (await analyzeFile('captures/normal-close-client.pcap', { events: true })).flows[0]!;
    const lost = base.flows[0]!;
    const flows: FlowRecord[] = [];
    for (let i = 0; i < 1000; i++) flows.push({ ...(i % 7 === 3 ? lost : clean), id: i + 1 });
    const shuffled = [...flows].sort((a, b) => ((a.id * 7919) % 1009) - ((b.id * 7919) % 1009));
    const collector = createReportCollector();
    for (const f of shuffled) collector.add(f);
    const { diagrams } = pageData(collector.html('x'));
    collector.close();
    const anomalous = flows.filter((f) => f.anomalies.length > 0).map((f) => f.id);
    const want = [...anomalous, ...flows.filter((f) => f.anomalies.length === 0).map((f) => f.id)].slice(0, EMBEDDED_DIAGRAMS).sort((a, b) => a - b);
    expect(anomalous.length).toBeLessThan(EMBEDDED_DIAGRAMS);
    expect(Object.keys(diagrams).map(Number)).toEqual(want);
  });
});
