/**
 * `--format csv`, `--format zeek` and the text table hold each flow's row on disk as the flow
 * ends (src/cli/table-spool.ts): what they print must be, byte for byte,
 * what formatCsv, formatZeek and formatText print for the whole result, whatever order
 * the flows ended in, with a filter or colours.
 */

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFile, type AnalysisResult } from '../../src/analyze.ts';
import { createCsvSpool, createTextSpool, createZeekSpool, type TableSpool } from '../../src/cli/table-spool.ts';
import { ANSI, PLAIN, type Painter } from '../../src/report/color.ts';
import { formatCsv } from '../../src/report/csv.ts';
import { formatText, matchesFilter, type FlowFilter } from '../../src/report/text.ts';
import { formatZeek } from '../../src/report/zeek-flows.ts';

const CAPTURES = readdirSync('captures').filter((f) => f.endsWith('.pcap')).map((f) => `captures/${f}`);

/** The spool's document, every flow added in reverse (flows do not end in id order). */
async function spooled(spool: TableSpool, result: AnalysisResult): Promise<string> {
  for (const f of [...result.flows].reverse()) spool.add(f);
  const chunks: string[] = [];
  await spool.finish(result, (c) => { chunks.push(c.toString()); });
  return chunks.join('');
}

describe.each([
  ['no filter, plain', {}, PLAIN],
  ['a filter, in colour', { anomaly: 'stuck-close-wait' }, ANSI],
  ['a port filter', { port: 9505 }, PLAIN],
] as [string, FlowFilter, Painter][])('%s', (_, filter, painter) => {
  it.each(CAPTURES)('text and csv print what formatText and formatCsv print: %s', async (file) => {
    const result = await analyzeFile(file);
    const listed = (f: AnalysisResult['flows'][number]): boolean => matchesFilter(f, filter);
    expect(await spooled(createTextSpool(filter, listed, painter), result)).toBe(formatText(result, { painter, filter }));
    const shown = { ...result, flows: result.flows.filter(listed) };
    expect(await spooled(createCsvSpool(listed), result)).toBe(formatCsv(shown));
    expect(await spooled(createZeekSpool(listed, [file]), result)).toBe(formatZeek(shown));
  });
});

describe('the spools on a capture without flows', () => {
  it('print the header and summary only', async () => {
    const result = await analyzeFile('captures/demo-mixed.pcap');
    const empty = { ...result, flows: [] };
    expect(await spooled(createCsvSpool(() => true), empty)).toBe(formatCsv(empty));
    expect((await spooled(createTextSpool({}, () => true, PLAIN), empty)).startsWith('ID  CLIENT')).toBe(true);
  });
});
