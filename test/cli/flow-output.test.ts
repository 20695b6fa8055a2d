/**
 * A format's writer (src/report/flow-format.ts) makes both what `synfin
 * flows` prints and what formatWith (formatJson, formatText, formatCsv,
 * formatZeek) returns. The CLI holds each flow's text by id in a spool on
 * disk until the capture has been read (src/cli/flow-output.ts): what it
 * prints must be, byte for byte, what the writer prints for the whole
 * result, whatever order the flows ended in, with a filter or colours, with a
 * temporary file or without one; and `synfin flows --format F` must be
 * formatWith(FLOW_FORMATS[F]) for every row of the table.
 */

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { analyzeFile, type AnalysisResult } from '../../src/analyze.ts';
import { createFormatSpool, type FormatSpool } from '../../src/cli/flow-output.ts';
import { ANSI, PLAIN, type Painter } from '../../src/report/color.ts';
import { formatCsv } from '../../src/report/csv.ts';
import { parseFailOn } from '../../src/report/fail-on.ts';
import { formatWith, type FormatContext } from '../../src/report/flow-format.ts';
import { FLOW_FORMAT_NAMES, FLOW_FORMATS } from '../../src/report/formats.ts';
import { formatJson } from '../../src/report/json.ts';
import { formatText, matchesFilter, type FlowFilter } from '../../src/report/text.ts';
import { formatZeek } from '../../src/report/zeek-flows.ts';
import type { FlowRecord } from '../../src/tcp/record.ts';

const CAPTURES = readdirSync('captures').filter((f) => f.endsWith('.pcap')).map((f) => `captures/${f}`);

/** The spool's document, every flow added in reverse (flows do not end in id order). */
async function spooled(spool: FormatSpool, result: AnalysisResult): Promise<string> {
  for (const f of [...result.flows].reverse()) spool.add(f);
  const chunks: Buffer[] = [];
  await spool.finish(result, (c) => { chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c)); });
  return Buffer.concat(chunks).toString('utf8');
}

const spool = (name: keyof typeof FLOW_FORMATS, context: FormatContext = {}): FormatSpool => createFormatSpool(FLOW_FORMATS[name].writer(context));

const tmp = process.env.TMPDIR;
afterEach(() => {
  if (tmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = tmp;
});

describe.each([
  ['no filter, plain', {}, PLAIN],
  ['a filter, in colour', { anomaly: 'stuck-close-wait' }, ANSI],
  ['a port filter', { port: 9505 }, PLAIN],
] as [string, FlowFilter, Painter][])('text, csv and zeek held by id, %s', (_, filter, painter) => {
  it.each(CAPTURES)('print what formatText, formatCsv and formatZeek print: %s', async (file) => {
    const result = await analyzeFile(file);
    const shown = { ...result, flows: result.flows.filter((f) => matchesFilter(f, filter)) };
    expect(await spooled(spool('text', { filter, painter }), result)).toBe(formatText(result, { painter, filter }));
    expect(await spooled(spool('csv', { filter }), result)).toBe(formatCsv(shown));
    expect(await spooled(spool('zeek', { filter, files: [file] }), result)).toBe(formatZeek(shown));
  });
});

describe('json held by id', () => {
  it.each(CAPTURES)('prints what formatJson prints: %s', async (file) => {
    const result = await analyzeFile(file, { events: true });
    expect(await spooled(spool('json'), result)).toBe(formatJson(result));
  });

  it('waits for each write its output asks it to wait for (a pipe whose reader is behind)', async () => {
    const result = await analyzeFile('captures/concurrent-200.pcap', { events: true });
    const json = spool('json');
    for (const f of result.flows) json.add(f);
    const chunks: Buffer[] = [];
    let pending = 0;
    let maxPending = 0;
    await json.finish(result, (c) => {
      chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
      pending++;
      maxPending = Math.max(maxPending, pending);
      return new Promise<void>((resolve) => setImmediate(() => { pending--; resolve(); }));
    });
    expect(maxPending).toBe(1);
    expect(chunks.length).toBeGreaterThan(2);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(formatJson(result));
  });

  it('keeps the flows in memory when no temporary file can be made', async () => {
    process.env.TMPDIR = '/nonexistent/synfin-test';
    const result = await analyzeFile('captures/concurrent-200.pcap');
    expect(await spooled(spool('json'), result)).toBe(formatJson(result));
  });
});

describe('a capture without flows', () => {
  it('prints the header and summary only, or nothing (zeek)', async () => {
    const result = await analyzeFile('captures/demo-mixed.pcap');
    const empty = { ...result, flows: [] };
    expect(await spooled(spool('json'), empty)).toBe(formatJson(empty));
    expect(await spooled(spool('csv'), empty)).toBe(formatCsv(empty));
    expect(await spooled(spool('zeek'), empty)).toBe('');
    expect((await spooled(spool('text'), empty)).startsWith('ID  CLIENT')).toBe(true);
  });
});

describe('`synfin flows --format F` is formatWith(FLOW_FORMATS[F])', () => {
  it('offers the table\'s formats, in its order', () => {
    // Commander wraps the line.
    const help = spawnSync(process.execPath, ['bin/synfin.js', 'flows', '--help'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
    expect(help).toContain(`(choices: ${FLOW_FORMAT_NAMES.map((n) => `"${n}"`).join(', ')}, default: "text")`);
  });

  const FAIL_ON = 'severity>=warning';
  it.each(FLOW_FORMAT_NAMES.map((n) => [n]))('%s', async (name) => {
    for (const args of [['captures/concurrent-200.pcap'], ['--events', 'captures/lost-final-ack.pcap'], ['--port', '9502', 'captures/concurrent-200.pcap']]) {
      const r = spawnSync(process.execPath, ['bin/synfin.js', 'flows', '--format', name, '--fail-on', FAIL_ON, ...args], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr).not.toBe(2);
      const file = args[args.length - 1]!;
      // A format without a document is printed as each flow ends; the others by id.
      const ended: FlowRecord[] = [];
      const result = await analyzeFile(file, { events: args.includes('--events'), onFlow: (f) => ended.push(f) });
      const filter: FlowFilter = args.includes('--port') ? { port: 9502 } : {};
      const parsed = parseFailOn(FAIL_ON);
      if (!parsed.ok) throw new Error(parsed.error);
      const context: FormatContext = { filter, files: [file], source: file, failOn: { expr: FAIL_ON, terms: parsed.terms } };
      const streamed = FLOW_FORMATS[name].writer(context).document === undefined;
      expect(r.stdout).toBe(formatWith(FLOW_FORMATS[name], streamed ? { ...result, flows: ended } : result, context));
    }
  });
});
