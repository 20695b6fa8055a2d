/**
 * `synfin merge` (docs/design.md "Speed and memory"): the outputs of `flows
 * --shard I/N` joined give the document one run over the whole capture
 * prints, byte for byte (json), or its flows in id order (ndjson); with the
 * shards run by GNU parallel, as docs/scale.md shows.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCapture } from '../../scripts/bench/generate.ts';

const BIN = resolve('bin/synfin.js');
const N = 3;
const dir = mkdtempSync(join(tmpdir(), 'synfin-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const generated = join(dir, 'generated.pcap');
const chunks: Buffer[] = [];
generateCapture({ seed: 7, packets: 30_000, concurrency: 300 }, { pcap: (c) => chunks.push(c) });
writeFileSync(generated, Buffer.concat(chunks));

function synfin(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the N shards of `file` in `format` into files; returns their paths. */
function shards(file: string, format: 'json' | 'ndjson', tag: string): string[] {
  return Array.from({ length: N }, (_, i) => {
    const r = synfin(['flows', '--format', format, '--shard', `${i}/${N}`, file]);
    expect(r.status).toBe(0);
    const path = join(dir, `${tag}.${i}.${format}`);
    writeFileSync(path, r.stdout);
    return path;
  });
}

function byId(ndjson: string): string {
  const lines = ndjson.split('\n').filter((l) => l !== '');
  lines.sort((a, b) => (JSON.parse(a) as { id: number }).id - (JSON.parse(b) as { id: number }).id);
  return lines.map((l) => `${l}\n`).join('');
}

const CASES = [
  ['captures/tuple-reuse.pcap'], ['captures/concurrent-200.pcap'], ['captures/crafted-syn-flood.pcap'],
  ['captures/demo-mixed.pcap'], ['captures/encap/encap-vxlan.pcap'], [generated],
  // ICMP errors are counted by the shard of the tuple they quote (summary.icmp_errors).
  ['captures/icmp/host-unreachable-ipv4.pcap'], ['captures/icmp/packet-too-big-ipv6.pcap'],
];

describe('synfin merge', () => {
  it.each(CASES)('joins the json shards of %s into one run\'s document, byte for byte', (file) => {
    const whole = synfin(['flows', '--format', 'json', file]);
    const paths = shards(file, 'json', 'j');
    // Where flows fall in several shards, none alone is the whole: ids restart in each, and each summary counts its own flows.
    const texts = paths.map((p) => readFileSync(p, 'utf8'));
    if (texts.filter((t) => (JSON.parse(t) as { flows: unknown[] }).flows.length > 0).length > 1) expect(texts).not.toContain(whole.stdout);
    const merged = synfin(['merge', ...paths]);
    expect(merged.stderr).toBe('');
    expect(merged.status).toBe(0);
    expect(merged.stdout).toBe(whole.stdout);
  });

  it.each(CASES)('joins the ndjson shards of %s into one run\'s lines, in id order', (file) => {
    const whole = synfin(['flows', '--format', 'ndjson', file]);
    const merged = synfin(['merge', ...shards(file, 'ndjson', 'n')]);
    expect(merged.status).toBe(0);
    expect(merged.stdout).toBe(byId(whole.stdout));
  });

  it('the summary of the merge counts what each shard counted apart (SYN floods included)', () => {
    const merged = JSON.parse(synfin(['merge', ...shards('captures/crafted-syn-flood.pcap', 'json', 'f')]).stdout) as { summary: { flows: number; syn_floods?: unknown[] } };
    expect(merged.summary.flows).toBeGreaterThan(100);
    expect(merged.summary.syn_floods).toHaveLength(1);
  });

  it('refuses shards of different captures, a shard given twice, and json from ndjson shards, with one line and exit 2', () => {
    const a = shards('captures/demo-mixed.pcap', 'json', 'a');
    const b = shards('captures/concurrent-200.pcap', 'json', 'b');
    const mixed = synfin(['merge', a[0]!, b[1]!]);
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toMatch(/^synfin: .* are not shards of one run: their captures differ\n$/);
    const twice = synfin(['merge', ...b, b[1]!]);
    expect(twice.status).toBe(2);
    expect(twice.stderr).toMatch(/was one shard given twice\?/);
    const nd = shards('captures/demo-mixed.pcap', 'ndjson', 'c');
    const asJson = synfin(['merge', '--format', 'json', ...nd]);
    expect(asJson.status).toBe(2);
    expect(asJson.stderr).toMatch(/ndjson carries no summary/);
    const missing = synfin(['merge', join(dir, 'no-such-shard.json')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^synfin: cannot read .*no-such-shard\.json/);
  });

  const parallel = existsSync('/usr/bin/parallel');
  it.skipIf(!parallel)('docs/scale.md\'s recipe: GNU parallel runs the shards, merge joins them into one run\'s document (needs Debian\'s parallel; .ci/run installs it)', () => {
    const out = join(dir, 'p');
    const r = spawnSync('parallel', [
      '--will-cite', '--halt', 'now,fail=1', `${process.execPath} ${BIN} flows --format json --shard {}/4 ${generated} > ${out}.{}.json`,
      ':::', '0', '1', '2', '3',
    ], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const merged = synfin(['merge', ...[0, 1, 2, 3].map((i) => `${out}.${i}.json`)]);
    expect(merged.status).toBe(0);
    expect(merged.stdout).toBe(synfin(['flows', '--format', 'json', generated]).stdout);
  });
});
