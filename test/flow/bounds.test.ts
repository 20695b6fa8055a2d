/**
 * Bounded memory (issue 8, item 3): --max-flows finalises the longest-idle
 * flow early with a `flow-evicted` warning, never silently; --idle-timeout
 * finalises a flow quiet for that long as it stands. Both through the whole
 * analysis and the CLI, on small captures built here.
 */

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { pcapFile, writeTmp, type PcapRecordSpec } from '../capture/build.ts';

const SYN = 0x02;
const ACK = 0x10;
const PSH = 0x08;
const FIN = 0x01;

/** An IPv4 + TCP packet (linktype RAW); checksums left zero (not verified by default). */
function packet(src: string, sport: number, dst: string, dport: number, flags: number, seq: number, ack: number, payload = 0): Buffer {
  const b = Buffer.alloc(40 + payload);
  b[0] = 0x45;
  b.writeUInt16BE(40 + payload, 2);
  b[8] = 64;
  b[9] = 6;
  src.split('.').forEach((o, i) => { b[12 + i] = Number(o); });
  dst.split('.').forEach((o, i) => { b[16 + i] = Number(o); });
  b.writeUInt16BE(sport, 20);
  b.writeUInt16BE(dport, 22);
  b.writeUInt32BE(seq >>> 0, 24);
  b.writeUInt32BE(ack >>> 0, 28);
  b[32] = 5 << 4;
  b[33] = flags;
  b.writeUInt16BE(65535, 34);
  return b;
}

interface Rec { t: number; data: Buffer }

/** The three packets of a handshake on client port `port`, from time t. */
function handshake(port: number, t: number): Rec[] {
  const c = '10.0.0.1';
  const s = '10.0.0.2';
  return [
    { t, data: packet(c, port, s, 80, SYN, 1000, 0) },
    { t: t + 0.001, data: packet(s, 80, c, port, SYN | ACK, 5000, 1001) },
    { t: t + 0.002, data: packet(c, port, s, 80, ACK, 1001, 5001) },
  ];
}

function write(name: string, recs: readonly Rec[]): string {
  const records: PcapRecordSpec[] = recs.map((r) => ({ sec: 1_800_000_000 + Math.floor(r.t), frac: Math.round((r.t % 1) * 1e6), data: r.data }));
  return writeTmp(name, pcapFile({ linktype: 101 }, records));
}

describe('--max-flows', () => {
  // Three connections open at once, then more data on the first: with room for
  // two, the first (the longest idle when the third arrives) is evicted.
  const path = write('max-flows.pcap', [
    ...handshake(40001, 0),
    ...handshake(40002, 1),
    ...handshake(40003, 2),
    { t: 3, data: packet('10.0.0.1', 40001, '10.0.0.2', 80, ACK | PSH, 1001, 5001, 10) },
    { t: 4, data: packet('10.0.0.1', 40002, '10.0.0.2', 80, FIN | ACK, 1001, 5001) },
  ]);

  it('evicts the longest-idle flow with a flow-evicted warning, counted in the summary', async () => {
    const r = await analyzeFile(path, { maxFlows: 2 });
    expect(r.summary.anomalies['flow-evicted']).toBeGreaterThanOrEqual(1);
    const first = r.flows[0]!;
    expect(first.client.port).toBe(40001);
    expect(first.last_frame).toBe(3);
    const ev = first.anomalies.find((a) => a.code === 'flow-evicted');
    expect(ev).toMatchObject({ severity: 'warning', side: null, frame: 3 });
    expect(ev?.message).toMatch(/memory bound/);
    expect(ev?.message).toMatch(/start a new flow/);
    // Its states are what they were: established on both sides.
    expect(first.client.final_state).toBe('ESTABLISHED');
    expect(first.server.final_state).toBe('ESTABLISHED');
    // The later data segment of that tuple starts a new (midstream) flow.
    const again = r.flows.filter((f) => f.client.port === 40001 || f.server.port === 40001);
    expect(again).toHaveLength(2);
    expect(again[1]!.first_frame).toBe(10);
    // Every evicted flow says so: the summary count is the sum of the flows' findings.
    const listed = r.flows.reduce((n, f) => n + f.anomalies.filter((a) => a.code === 'flow-evicted').length, 0);
    expect(r.summary.anomalies['flow-evicted']).toBe(listed);
  });

  it('changes nothing while the table stays within the bound', async () => {
    const r = await analyzeFile(path, { maxFlows: 3 });
    expect(r.summary.anomalies['flow-evicted']).toBeUndefined();
    expect(r.flows).toHaveLength(3);
  });

  it('is a CLI option, and the text summary counts the evictions', () => {
    const out = execFileSync('node', ['bin/synfin.js', 'flows', '--max-flows', '2', path], { encoding: 'utf8' });
    expect(out).toMatch(/flow-evicted \d/);
  });

  it('rejects a bound below 1', () => {
    expect(() => execFileSync('node', ['bin/synfin.js', 'flows', '--max-flows', '0', path], { stdio: 'pipe' })).toThrow(/max-flows/);
  });
});

describe('--idle-timeout', () => {
  // One connection quiet for 100 s between two segments, beside a busy one.
  const recs: Rec[] = [...handshake(40001, 0)];
  for (let t = 1; t <= 120; t++) recs.push({ t, data: packet('10.0.0.1', 40009, '10.0.0.2', 80, ACK, 1, 1) });
  recs.push({ t: 100.5, data: packet('10.0.0.1', 40001, '10.0.0.2', 80, ACK | PSH, 1001, 5001, 10) });
  recs.sort((a, b) => a.t - b.t);
  const path = write('idle.pcap', recs);

  it('finalises a flow quiet for that long as it stands; its next segment starts a new flow', async () => {
    const r = await analyzeFile(path, { idleTimeout: 30 });
    const mine = r.flows.filter((f) => f.client.port === 40001 || f.server.port === 40001);
    expect(mine).toHaveLength(2);
    expect(mine[0]!.handshake.kind).toBe('three-way');
    expect(mine[0]!.client.final_state).toBe('ESTABLISHED');
    expect(mine[0]!.close.kind).toBe('open');
    expect(mine[0]!.anomalies.map((a) => a.code)).not.toContain('flow-evicted');
    expect(mine[1]!.roles).toBe('inferred');
    // The busy flow, never quiet for 30 s, stays one flow.
    expect(r.flows.filter((f) => f.client.port === 40009 || f.server.port === 40009)).toHaveLength(1);
  });

  it('without it, the quiet flow is one flow', async () => {
    const r = await analyzeFile(path);
    expect(r.flows.filter((f) => f.client.port === 40001 || f.server.port === 40001)).toHaveLength(1);
  });

  it('is a CLI option', () => {
    const out = execFileSync('node', ['bin/synfin.js', 'flows', '--format', 'json', '--idle-timeout', '30', path], { encoding: 'utf8' });
    expect(JSON.parse(out).summary.flows).toBe(3);
  });
});

describe('FlowTable with idleTimeout', () => {
  const SEG = {
    frame: 0, sec: 0, nsec: 0, ipVersion: 4 as const, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 80,
    seq: 0, ack: 0, flags: ACK, window: 0, urgent: 0, headerLen: 20, payloadLen: 0, frameLen: 54, ipLen: 40,
    options: [], optionsError: undefined, truncated: false,
  };

  it('finalises a parked flow once its idle timeout passes (longer than stableAfter)', async () => {
    const { FlowTable } = await import('../../src/flow/table.ts');
    const finished: number[] = [];
    const parked: number[] = [];
    const t = new FlowTable<{ id: number }>({
      create: (_s, id) => ({ id }),
      update: () => undefined,
      startsNewIncarnation: () => false,
      isFinished: () => false,
      park: (f) => { parked.push(f.id); return f; },
      wake: (p) => p as { id: number },
    }, (f) => finished.push(f.id), { stableAfter: 60, idleTimeout: 200 });
    t.route({ ...SEG, frame: 1, sec: 0 });
    t.sweep(61);
    expect(parked).toEqual([1]);
    expect(finished).toEqual([]);
    t.sweep(199);
    expect(finished).toEqual([]);
    t.sweep(200);
    expect(finished).toEqual([1]);
    expect(t.size).toBe(0);
  });

  it('an idle timeout shorter than stableAfter finalises before any park', async () => {
    const { FlowTable } = await import('../../src/flow/table.ts');
    const finished: number[] = [];
    const t = new FlowTable<{ id: number }>({
      create: (_s, id) => ({ id }),
      update: () => undefined,
      startsNewIncarnation: () => false,
      isFinished: () => false,
      park: () => { throw new Error('parked'); },
    }, (f) => finished.push(f.id), { stableAfter: 60, idleTimeout: 5 });
    t.route({ ...SEG, frame: 1, sec: 0 });
    t.sweep(4);
    expect(finished).toEqual([]);
    t.sweep(5);
    expect(finished).toEqual([1]);
  });
});
