/**
 * The library as its users meet it: `import('synfin')` from plain Node (the
 * package's own "exports", no build step), `tsc` on a file importing it by
 * name, and `analyze()` yielding flows while the capture is still arriving.
 */

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.ts';

function node(args: string[]) {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("import('synfin') from plain Node", () => {
  it('analyzeFile works through package.json "exports" and lib/index.js', () => {
    const r = node(['--input-type=module', '-e',
      "import('synfin').then(async m => { const r = await m.analyzeFile('captures/refused.pcap'); console.log(r.flows[0].handshake.kind) })"]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('refused\n');
    expect(r.status).toBe(0);
  });

  it('lib/index.js exports exactly the values src/index.ts does', () => {
    const r = node(['--input-type=module', '-e', "const m = await import('synfin'); console.log(Object.keys(m).sort().join(' '))"]);
    expect(r.stdout.trim()).toBe(Object.keys(api).sort().join(' '));
  });

  it('analyze() and diff() work from there too', () => {
    const r = node(['--input-type=module', '-e', [
      "import { analyze, analyzeFile, diff } from 'synfin';",
      "const kinds = []; for await (const f of analyze('captures/tuple-reuse.pcap')) kinds.push(f.id + ':' + f.close.kind);",
      "const a = await analyzeFile('captures/normal-close-client.pcap');",
      "console.log(kinds.join(' '), diff(a, a).equal);",
    ].join('\n')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1:four-way 2:four-way true\n');
  });
});

describe('docs/api.md', () => {
  it('its example runs and prints what the page says', () => {
    const doc = readFileSync('docs/api.md', 'utf8');
    const code = /```js\n([\s\S]*?)```/.exec(doc)?.[1];
    const printed = /It prints:\n\n```\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(code).toBeDefined();
    const r = node(['--input-type=module', '-e', code!]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(printed);
  });
});

describe('types', () => {
  it("tsc type-checks a program that imports from 'synfin' (test/fixtures/api-usage.ts)", () => {
    const r = node(['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'test/fixtures/tsconfig.api.json']);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);
});

/** Byte ranges of a classic pcap's records, so a test can feed a stream record by record. */
function records(file: string): { header: Buffer; records: Buffer[] } {
  const b = readFileSync(file);
  const out: Buffer[] = [];
  for (let at = 24; at + 16 <= b.length;) {
    const len = 16 + b.readUInt32LE(at + 8);
    out.push(b.subarray(at, at + len));
    at += len;
  }
  return { header: b.subarray(0, 24), records: out };
}

describe('analyze(): flows as they end', () => {
  it('yields a flow before the capture has finished arriving', async () => {
    // tuple-reuse.pcap: the first connection ends when frame 12, a new SYN on its tuple, arrives.
    const { header, records: recs } = records('captures/tuple-reuse.pcap');
    expect(recs).toHaveLength(22);
    const stream = new PassThrough();
    const flows = api.analyze(stream);
    stream.write(header);
    for (const r of recs.slice(0, 12)) stream.write(r);
    const first = await flows.next();
    expect(first.done).toBe(false);
    expect(first.value).toMatchObject({ id: 1, first_frame: 1, last_frame: 11, close: { kind: 'four-way' } });
    for (const r of recs.slice(12)) stream.write(r);
    stream.end();
    const second = await flows.next();
    expect(second.value).toMatchObject({ id: 2, first_frame: 12, last_frame: 22 });
    const end = await flows.next();
    expect(end.done).toBe(true);
    // The generator's return value is the whole result, as analyzeFile gives it (file `-`).
    const whole = await api.analyzeFile('captures/tuple-reuse.pcap');
    expect(end.value).toEqual({ ...whole, captures: [{ ...whole.captures[0]!, file: '-' }] });
  });

  it('from a path, yields the same flows analyzeFile returns', async () => {
    const seen: api.FlowRecord[] = [];
    for await (const f of api.analyze('captures/concurrent-200.pcap', { events: true })) seen.push(f);
    const whole = await api.analyzeFile('captures/concurrent-200.pcap', { events: true });
    expect([...seen].sort((a, b) => a.id - b.id)).toEqual(whole.flows);
  });

  it('stops when the loop breaks, and reports unreadable input as a CaptureError', async () => {
    let n = 0;
    for await (const f of api.analyze(['captures/concurrent-200.pcap'])) {
      expect(f.id).toBeGreaterThan(0);
      if (++n === 3) break;
    }
    expect(n).toBe(3);
    await expect(async () => {
      for await (const f of api.analyze('captures/bad/err-caplen-huge.pcap')) void f;
    }).rejects.toBeInstanceOf(api.CaptureError);
  });
});
