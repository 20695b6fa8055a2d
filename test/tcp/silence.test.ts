/**
 * Timeouts read from the capture (tcp/silence.ts) and SYNs on a live
 * connection, on the kernel's own captures: the same recording cut at
 * different frames must change the verdict exactly where the rules say.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { formatText } from '../../src/report/text.ts';
import { formatExplain } from '../../src/report/explain.ts';
import type { FlowRecord } from '../../src/tcp/record.ts';

const dir = mkdtempSync(join(tmpdir(), 'synfin-silence-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The capture's first `n` records (a little-endian microsecond pcap, as record.sh writes). */
function firstFrames(name: string, n: number): string {
  const b = readFileSync(`captures/${name}.pcap`);
  let at = 24;
  for (let i = 0; i < n; i++) at += 16 + b.readUInt32LE(at + 8);
  const out = join(dir, `${name}-${n}.pcap`);
  writeFileSync(out, b.subarray(0, at));
  return out;
}

function codes(f: FlowRecord): string[] {
  return [...new Set(f.anomalies.map((a) => a.code))].sort();
}

describe('retransmission death (captures/retransmission-death.pcap)', () => {
  it('silence longer than the next retransmission was due: the client gave up, its CLOSED is marked inferred', async () => {
    const r = await analyzeFile('captures/retransmission-death.pcap', { events: true });
    const f = r.flows[0]!;
    expect(f.client.final_state).toBe('CLOSED');
    expect(f.client.final_state_certain).toBe(false);
    expect(f.client.final_state_reason).toMatch(/nothing from it in the 5\.\d+ s after its last retransmission \(frame 13\)/);
    expect(f.server).not.toHaveProperty('final_state_certain');
    expect(f.outcome.client).toBe('ETIMEDOUT');
    const a = f.anomalies.find((x) => x.code === 'retransmission-timeout')!;
    expect({ side: a.side, frame: a.frame, n: a.details?.['retransmissions'], first: a.details?.['first_frame'] })
      .toEqual({ side: 'server', frame: 13, n: 5, first: 9 });
    // Linux doubled its timeout up to 1.66 s: the next was due 3.33 s after frame 13.
    expect(a.details?.['next_due_s']).toBeCloseTo(3.33, 1);
    expect(formatText({ ...r, flows: [f] })).toContain('CLOSED*/ESTABLISHED');
    expect(formatExplain(f)).toMatch(/gave up \(its user timeout\)/);
  });

  it('cut at its last retransmission: still retransmitting, the state cannot be told', async () => {
    const r = await analyzeFile(firstFrames('retransmission-death', 13));
    const f = r.flows[0]!;
    expect(codes(f)).toEqual(['retransmission', 'retransmitting-at-end']);
    expect([f.client.final_state, f.client.final_state_certain, f.outcome.client]).toEqual(['ESTABLISHED', false, 'open']);
  });

  it('cut after a single retransmission: no back-off to read, nothing is inferred', async () => {
    const r = await analyzeFile(firstFrames('retransmission-death', 9));
    const f = r.flows[0]!;
    expect(codes(f)).toEqual(['retransmission']);
    expect(f.client).not.toHaveProperty('final_state_certain');
  });
});

describe('keep-alive death (captures/keepalive-death.pcap)', () => {
  it('unanswered probes then the prober\'s RST: ETIMEDOUT, and the silent server keeps its connection', async () => {
    const r = await analyzeFile('captures/keepalive-death.pcap');
    const f = r.flows[0]!;
    const a = f.anomalies.find((x) => x.code === 'keepalive-timeout')!;
    expect({ side: a.side, frame: a.frame, probes: a.details?.['probes'], first: a.details?.['first_probe_frame'] })
      .toEqual({ side: 'server', frame: 11, probes: 3, first: 8 });
    expect([f.client.final_state, f.server.final_state]).toEqual(['CLOSED', 'ESTABLISHED']);
    expect(f.client).not.toHaveProperty('final_state_certain');
    expect(f.server.final_state_certain).toBe(false);
    expect(f.server.final_state_reason).toContain('probably never reached it');
    expect(f.outcome).toEqual({ client: 'ETIMEDOUT', server: 'open' });
  });

  it('cut before the RST: probes only, nothing timed out', async () => {
    const f = (await analyzeFile(firstFrames('keepalive-death', 10))).flows[0]!;
    expect(codes(f)).toEqual(['keepalive']);
    expect(f.outcome).toEqual({ client: 'open', server: 'open' });
  });

  it('answered probes then a FIN close (captures/keepalive.pcap): no timeout', async () => {
    const f = (await analyzeFile('captures/keepalive.pcap')).flows[0]!;
    expect(codes(f)).toEqual(['keepalive']);
  });
});

describe('SYNs on an established connection (captures/syn-injected.pcap)', () => {
  it('stay in the connection, keep its ISN and draw challenge ACKs; the close is seen', async () => {
    const r = await analyzeFile('captures/syn-injected.pcap', { events: true });
    expect(r.flows).toHaveLength(1);
    const f = r.flows[0]!;
    const firstSyn = f.events!.find((e) => e.frame === 1)!;
    expect(f.client.isn).toBe(firstSyn.seq);
    expect(f.anomalies.map((a) => [a.code, a.frame])).toEqual([
      ['syn-in-connection', 8], ['challenge-ack', 9], ['syn-in-connection', 10], ['challenge-ack', 11],
    ]);
    expect(f.anomalies[0]!.message).toContain('inside its receive window');
    expect(f.anomalies[2]!.message).toContain('outside its receive window');
    expect(f.anomalies[1]!.message).toContain('the SYN of frame 8');
    // Neither side changed state at the SYNs.
    for (const e of f.events!.filter((x) => x.frame >= 8 && x.frame <= 11)) expect([e.client, e.server]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(f.close.kind).toBe('four-way');
  });

  it('cut before the close: the connection is still one open flow', async () => {
    const r = await analyzeFile(firstFrames('syn-injected', 12));
    expect(r.flows.map((f) => [f.close.kind, f.client.final_state, f.server.final_state])).toEqual([['open', 'ESTABLISHED', 'ESTABLISHED']]);
  });
});
