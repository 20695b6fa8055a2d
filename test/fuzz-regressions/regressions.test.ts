/**
 * The fuzz harness, in miniature, on every `npm test`: the minimised inputs
 * it once found failing, and a fixed-seed batch of each mutation family over
 * the committed captures. Every input must end in a result whose invariants
 * hold or in synfin's own input error; never a crash.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check } from '../../scripts/fuzz/check.ts';
import { FAMILIES, mutate, prng } from '../../scripts/fuzz/mutate.ts';

const regressions = readdirSync('test/fuzz-regressions').filter((f) => f.endsWith('.bin')).sort();

describe.each(regressions)('%s', (file) => {
  it('is analysed or refused cleanly', async () => {
    const v = await check(readFileSync(`test/fuzz-regressions/${file}`));
    expect(['ok', 'input-error']).toContain(v.kind);
  });
});

const BASES = [
  'captures/lost-final-ack.pcap', 'captures/variants/normal-close-client.two-if.pcapng',
  'captures/variants/tuple-reuse.be-ns.pcap', 'captures/variants/ipv6-normal-close.qinq.pcap',
  'captures/variants/normal-close-client.pcap.gz', 'captures/crafted-challenge-ack.pcap',
  // ICMP errors quoting the connection's segments (src/decode/icmp.ts reads each mutant's quotes).
  'captures/icmp/packet-too-big-ipv4.pcap', 'captures/icmp/host-unreachable-ipv6.pcap',
].map((f) => readFileSync(f));

describe.each(FAMILIES)('mutation family %s', (family) => {
  it('never crashes or breaks an invariant on 120 fixed-seed mutants', async () => {
    const rnd = prng(FAMILIES.indexOf(family) + 1000);
    const kinds = new Map<string, number>();
    const failures: string[] = [];
    for (let i = 0; i < 120; i++) {
      const v = await check(mutate(BASES[i % BASES.length]!, family, rnd));
      kinds.set(v.kind, (kinds.get(v.kind) ?? 0) + 1);
      if (v.kind === 'crash' || v.kind === 'invariant') failures.push(`#${i}: ${v.message.split('\n')[0]}`);
    }
    expect(failures).toEqual([]);
    // A mutation family that never lets a capture through would test nothing past the first check.
    if (family !== 'file-header') expect(kinds.get('ok') ?? 0).toBeGreaterThan(0);
  });
});

describe('the invariant checker itself', () => {
  it('catches counts that do not add up and findings that cite missing frames', async () => {
    const { analyzeFile } = await import('../../src/analyze.ts');
    const { invariants } = await import('../../scripts/fuzz/check.ts');
    const r = await analyzeFile('captures/lost-final-ack.pcap');
    expect(invariants(r)).toEqual([]);
    const f = r.flows[0]!;
    const doctored = {
      ...r, summary: { ...r.summary, frames: r.summary.frames + 1 },
      flows: [{ ...f, anomalies: [{ ...f.anomalies[0]!, frame: 999 }] }],
    };
    const bad = invariants(doctored);
    expect(bad.some((m) => m.includes('skipped'))).toBe(true);
    expect(bad.some((m) => m.includes('frame 999'))).toBe(true);
  });
});
