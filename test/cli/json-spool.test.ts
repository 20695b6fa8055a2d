/**
 * `--format json` holds the flows as text in a temporary file until the
 * summary is known (src/cli/json-spool.ts): what it prints must be, byte for
 * byte, what formatJson prints for the same result, in whatever order the
 * flows ended, with a temporary file or without one.
 */

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { analyzeFile, type AnalysisResult } from '../../src/analyze.ts';
import { createJsonSpool } from '../../src/cli/json-spool.ts';
import { formatJson } from '../../src/report/json.ts';

const CAPTURES = readdirSync('captures').filter((f) => f.endsWith('.pcap')).map((f) => `captures/${f}`);

/** The spool's output for `result`, its flows added in reverse (ends are not in id order). */
async function spooled(result: AnalysisResult): Promise<string> {
  const spool = createJsonSpool();
  for (const f of [...result.flows].reverse()) spool.add(f);
  const chunks: Buffer[] = [];
  await spool.finish(result, (c) => { chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c)); });
  return Buffer.concat(chunks).toString('utf8');
}

const tmp = process.env.TMPDIR;
afterEach(() => {
  if (tmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = tmp;
});

describe('createJsonSpool', () => {
  it.each(CAPTURES)('prints what formatJson prints: %s', async (file) => {
    const result = await analyzeFile(file, { events: true });
    expect(await spooled(result)).toBe(formatJson(result));
  });

  it('waits for each write its output asks it to wait for (a pipe whose reader is behind)', async () => {
    const result = await analyzeFile('captures/concurrent-200.pcap', { events: true });
    const spool = createJsonSpool();
    for (const f of result.flows) spool.add(f);
    const chunks: Buffer[] = [];
    let pending = 0;
    let maxPending = 0;
    await spool.finish(result, (c) => {
      chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
      pending++;
      maxPending = Math.max(maxPending, pending);
      return new Promise((resolve) => setImmediate(() => { pending--; resolve(); }));
    });
    expect(maxPending).toBe(1);
    expect(chunks.length).toBeGreaterThan(2);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(formatJson(result));
  });

  it('prints a result without flows as formatJson does', async () => {
    const result = await analyzeFile('captures/normal-close-client.pcap');
    const empty = { ...result, flows: [] };
    expect(await spooled(empty)).toBe(formatJson(empty));
  });

  it('keeps the flows in memory when no temporary file can be made', async () => {
    process.env.TMPDIR = '/nonexistent/synfin-test';
    const result = await analyzeFile('captures/concurrent-200.pcap');
    expect(await spooled(result)).toBe(formatJson(result));
  });

  it('is what `synfin flows --format json` prints, filters and all', async () => {
    for (const args of [['captures/concurrent-200.pcap'], ['--events', 'captures/lost-final-ack.pcap'], ['--port', '9502', 'captures/concurrent-200.pcap']]) {
      const r = spawnSync(process.execPath, ['bin/synfin.js', 'flows', '--format', 'json', ...args], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(0);
      const file = args[args.length - 1]!;
      const result = await analyzeFile(file, { events: args.includes('--events') });
      const port = args.includes('--port') ? 9502 : undefined;
      const flows = port === undefined ? result.flows : result.flows.filter((f) => f.client.port === port || f.server.port === port);
      expect(r.stdout).toBe(formatJson({ ...result, flows }));
    }
  });
});
