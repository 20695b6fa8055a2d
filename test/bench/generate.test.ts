/**
 * The benchmark's capture generator (scripts/bench/generate.ts): one seed
 * gives the same bytes every time, on every machine, and synfin finds in the
 * capture exactly the flows and kinds the generator says it made. Timing is
 * not tested anywhere: `npm run bench` measures, it does not assert.
 */

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { generateCapture, type Expected, type GenerateOptions } from '../../scripts/bench/generate.ts';

function generate(o: GenerateOptions): { pcap: Buffer; pcapng: Buffer; expected: Expected } {
  const pcap: Buffer[] = [];
  const pcapng: Buffer[] = [];
  const expected = generateCapture(o, { pcap: (c) => pcap.push(c), pcapng: (c) => pcapng.push(c) });
  return { pcap: Buffer.concat(pcap), pcapng: Buffer.concat(pcapng), expected };
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const dir = mkdtempSync(join(tmpdir(), 'synfin-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('generateCapture', () => {
  const small: GenerateOptions = { seed: 1, packets: 20_000 };
  const a = generate(small);

  it('gives the same bytes for the same seed', () => {
    const b = generate(small);
    expect(sha256(b.pcap)).toBe(sha256(a.pcap));
    expect(sha256(b.pcapng)).toBe(sha256(a.pcapng));
    expect(b.expected).toEqual(a.expected);
    // Pinned, so a change to the generator (which must bump GENERATOR_VERSION,
    // making `npm run bench` regenerate its cached files) cannot go unnoticed.
    expect(sha256(a.pcap)).toBe('cf2fa045d894975bd92e0cdf78cd5aa63c09cbf74ddfa827a3c74ad8c713515a');
  });

  it('gives other bytes for another seed', () => {
    expect(sha256(generate({ seed: 2, packets: 20_000 }).pcap)).not.toBe(sha256(a.pcap));
  });

  it('writes about the packets asked for, and never cuts a flow short', () => {
    expect(a.expected.packets).toBeLessThanOrEqual(20_000);
    expect(a.expected.packets).toBeGreaterThan(19_500);
    expect(a.pcap.length).toBe(a.expected.pcapBytes);
  });

  it.each([['pcap', 'pcap'], ['pcapng', 'pcapng']] as const)('makes the flows and kinds it says it made (%s)', async (_, format) => {
    const file = join(dir, `small.${format}`);
    writeFileSync(file, format === 'pcap' ? a.pcap : a.pcapng);
    const r = await analyzeFile(file);
    const e = a.expected;
    expect(r.summary.frames).toBe(e.packets);
    expect(r.summary.tcp_segments).toBe(e.packets);
    expect(r.summary.skipped).toEqual({});
    expect(r.summary.flows).toBe(e.flows);
    expect(r.summary.handshakes).toEqual(e.handshakes);
    expect(r.summary.closes).toEqual(e.closes);
    expect(r.flows.filter((f) => f.client.addr.includes(':'))).toHaveLength(e.ipv6Flows);
    // The lifecycles it mixes show up as such.
    for (const code of ['retransmission', 'syn-retransmit', 'syn-unanswered', 'connection-refused']) {
      expect(r.summary.anomalies[code] ?? 0).toBeGreaterThan(0);
    }
  });

  it('keeps about the concurrency asked for, and a longer capture at the same concurrency with --scale', () => {
    const base = generate({ seed: 3, packets: 10_000, concurrency: 50 }).expected;
    const longer = generate({ seed: 3, packets: 10_000, scale: 3, concurrency: 50 }).expected;
    expect(longer.packets).toBeGreaterThan(2.9 * base.packets);
    expect(longer.durationS).toBeGreaterThan(2.5 * base.durationS);
    expect(longer.flows).toBeGreaterThan(2.5 * base.flows);
  });
});
