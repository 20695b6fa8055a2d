/**
 * Every committed capture, replayed end to end: what a user reads in the JSON
 * (handshake, close, both final states, both outcomes, anomaly codes) must be
 * what the scenario staged. Kernel captures are also checked against the
 * `ss -tanoi` snapshot record.sh took at the end of the scenario.
 */

import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import type { FlowRecord } from '../../src/tcp/record.ts';
import { readSs, ssAddr } from './ss.ts';
import { WIRE_CANNOT_KNOW } from './wire-limits.ts';

interface Expect {
  handshake: string;
  close: string;
  initiator?: string | null;
  states: [string, string];
  outcome: [string, string];
  anomalies: string[];
  conn_state?: string;
}

const CLEAN_CLIENT_CLOSE: Expect = {
  handshake: 'three-way', close: 'four-way', initiator: 'client', states: ['TIME_WAIT', 'CLOSED'],
  outcome: ['EOF', 'EOF'], anomalies: [], conn_state: 'SF',
};

/** Capture → expectation for flow 1 (and for every flow where `allFlows`). */
const SCENARIOS: Record<string, Expect & { flows?: number; allFlows?: boolean; flow?: number }> = {
  'normal-close-client': CLEAN_CLIENT_CLOSE,
  'ipv6-normal-close': CLEAN_CLIENT_CLOSE,
  'any-sll2-normal-close': CLEAN_CLIENT_CLOSE,
  'normal-close-server': { ...CLEAN_CLIENT_CLOSE, initiator: 'server', states: ['CLOSED', 'TIME_WAIT'] },
  'three-segment-close': { ...CLEAN_CLIENT_CLOSE, close: 'three-segment' },
  'half-close': CLEAN_CLIENT_CLOSE,
  'concurrent-200': { ...CLEAN_CLIENT_CLOSE, close: 'three-segment', flows: 200, allFlows: true },
  // Five stories in one recording (README's first example); flow 1 is the stuck CLOSE_WAIT.
  'demo-mixed': {
    handshake: 'three-way', close: 'half-closed', initiator: 'client', states: ['FIN_WAIT_2', 'CLOSE_WAIT'], flows: 5,
    outcome: ['closed', 'EOF'], anomalies: ['stuck-close-wait', 'stuck-fin-wait-2'], conn_state: 'S2',
  },
  // The capture ends 42.9 ms into the server's CLOSE_WAIT, under --stuck-after's 5 s: open in CLOSE_WAIT, not yet stuck.
  'stuck-close-wait': {
    handshake: 'three-way', close: 'half-closed', initiator: 'client', states: ['FIN_WAIT_2', 'CLOSE_WAIT'],
    outcome: ['closed', 'EOF'], anomalies: [], conn_state: 'S2',
  },
  'rst-linger0': {
    handshake: 'three-way', close: 'reset', initiator: 'client', states: ['CLOSED', 'CLOSED'],
    outcome: ['closed', 'ECONNRESET'], anomalies: [], conn_state: 'RSTO',
  },
  'rst-unread-data': {
    handshake: 'three-way', close: 'reset', initiator: 'server', states: ['CLOSED', 'CLOSED'],
    outcome: ['ECONNRESET', 'closed'], anomalies: [], conn_state: 'RSTR',
  },
  refused: {
    handshake: 'refused', close: 'none', initiator: null, states: ['CLOSED', 'CLOSED'],
    outcome: ['ECONNREFUSED', 'none'], anomalies: ['connection-refused'], conn_state: 'REJ',
  },
  'syn-unanswered': {
    handshake: 'unanswered', close: 'none', initiator: null, states: ['SYN_SENT', 'LISTEN'],
    outcome: ['ETIMEDOUT', 'none'], anomalies: ['syn-retransmit', 'syn-unanswered'], conn_state: 'S0',
  },
  'synack-unacked': {
    handshake: 'no-final-ack', close: 'none', initiator: null, states: ['SYN_SENT', 'SYN_RECEIVED'],
    outcome: ['ETIMEDOUT', 'none'], anomalies: ['handshake-incomplete', 'synack-retransmit'],
  },
  'simultaneous-close': {
    ...CLEAN_CLIENT_CLOSE, close: 'simultaneous', initiator: 'both', states: ['TIME_WAIT', 'TIME_WAIT'],
    anomalies: ['fin-retransmit'],
  },
  'lost-final-ack': { ...CLEAN_CLIENT_CLOSE, anomalies: ['fin-retransmit', 'last-ack-lost'] },
  retransmission: { ...CLEAN_CLIENT_CLOSE, anomalies: ['retransmission'] },
  keepalive: { ...CLEAN_CLIENT_CLOSE, anomalies: ['keepalive'] },
  'zero-window': { ...CLEAN_CLIENT_CLOSE, anomalies: ['zero-window', 'zero-window-probe'] },
  // Flow 3's last ACKs were dropped by the full accept queue (frame 14 repeats the SYN-ACK).
  'accept-queue-full': {
    handshake: 'three-way', close: 'open', initiator: null, states: ['ESTABLISHED', 'SYN_RECEIVED'], flows: 3, flow: 3,
    outcome: ['open', 'open'], anomalies: ['accept-queue-full', 'syn-retransmit', 'synack-retransmit'], conn_state: 'S1',
  },
  'tuple-reuse': { ...CLEAN_CLIENT_CLOSE, flows: 2, flow: 2, anomalies: ['tuple-reuse'] },

  // Zeek's IsReuse takes the second SYN (the other side's, with its own ISN) as a new connection: two rows.
  'crafted-simultaneous-open': { ...CLEAN_CLIENT_CLOSE, handshake: 'simultaneous-open', anomalies: ['simultaneous-open'], conn_state: 'S0 SF' },
  'crafted-split-syn-ack': { ...CLEAN_CLIENT_CLOSE, handshake: 'split-syn-ack', conn_state: undefined },
  'crafted-rst-out-of-window': { ...CLEAN_CLIENT_CLOSE, anomalies: ['rst-out-of-window'], conn_state: undefined },
  'crafted-challenge-ack': { ...CLEAN_CLIENT_CLOSE, anomalies: ['challenge-ack'], conn_state: undefined },
  'crafted-rst-in-time-wait': {
    ...CLEAN_CLIENT_CLOSE, states: ['CLOSED', 'CLOSED'], anomalies: ['retransmission', 'rst-in-time-wait'],
  },
  'crafted-data-after-fin': {
    handshake: 'three-way', close: 'reset', initiator: 'server', states: ['CLOSED', 'CLOSED'],
    outcome: ['ECONNRESET', 'EOF'], anomalies: ['data-after-fin'],
  },
  // Two SYNs with the tuple arrive while ESTABLISHED (one inside the window, one outside): each
  // draws a challenge ACK and the connection closes normally. Zeek starts a row at each new ISN.
  'syn-injected': { ...CLEAN_CLIENT_CLOSE, anomalies: ['challenge-ack', 'syn-in-connection'], conn_state: 'S1 S0 SF' },
  // The client's keep-alive gives up on a vanished server: the server never saw the RST (ss: ESTAB).
  'keepalive-death': {
    handshake: 'three-way', close: 'reset', initiator: 'client', states: ['CLOSED', 'ESTABLISHED'],
    outcome: ['ETIMEDOUT', 'open'], anomalies: ['keepalive', 'keepalive-timeout'],
  },
  // The client retransmits into a dead path until its user timeout; its next connection follows.
  'retransmission-death': {
    handshake: 'three-way', close: 'open', initiator: null, states: ['CLOSED', 'ESTABLISHED'], flows: 2,
    outcome: ['ETIMEDOUT', 'open'], anomalies: ['retransmission', 'retransmission-timeout'],
  },
  // The capture ends while the client is still retransmitting (ss: ESTAB, retransmit timer on).
  'retransmitting-at-end': {
    handshake: 'three-way', close: 'open', initiator: null, states: ['ESTABLISHED', 'ESTABLISHED'],
    outcome: ['open', 'open'], anomalies: ['retransmission', 'retransmitting-at-end'],
  },
  'crafted-rst-only': {
    handshake: 'not-observed', close: 'none', initiator: null, states: ['UNKNOWN', 'CLOSED'],
    outcome: ['none', 'none'], anomalies: ['rst-only'], flows: 16, allFlows: true,
  },
  'crafted-midstream': { ...CLEAN_CLIENT_CLOSE, handshake: 'not-observed', anomalies: ['midstream'] },
  'crafted-syn-with-data': { ...CLEAN_CLIENT_CLOSE, anomalies: ['syn-with-data'] },
  'crafted-bad-synack-ack': { ...CLEAN_CLIENT_CLOSE, anomalies: ['bad-synack-ack', 'syn-retransmit'], conn_state: undefined },
  'crafted-segment-gap': { ...CLEAN_CLIENT_CLOSE, anomalies: ['ack-unseen', 'segment-gap'] },
  'crafted-half-open': {
    handshake: 'three-way', close: 'reset', initiator: 'server', states: ['CLOSED', 'CLOSED'],
    outcome: ['ECONNRESET', 'closed'], anomalies: ['half-open'],
  },
  'crafted-syn-flood': {
    handshake: 'no-final-ack', close: 'none', initiator: null, states: ['SYN_SENT', 'SYN_RECEIVED'],
    outcome: ['ETIMEDOUT', 'none'], anomalies: ['handshake-incomplete'], flows: 300,
  },
};

function codes(f: FlowRecord): string[] {
  return [...new Set(f.anomalies.map((a) => a.code))].sort();
}

function check(f: FlowRecord, e: Expect): void {
  expect({
    handshake: f.handshake.kind, close: f.close.kind, states: [f.client.final_state, f.server.final_state],
    outcome: [f.outcome.client, f.outcome.server], anomalies: codes(f),
  }).toEqual({ handshake: e.handshake, close: e.close, states: e.states, outcome: e.outcome, anomalies: [...e.anomalies].sort() });
  if (e.initiator !== undefined) expect(f.close.initiator).toBe(e.initiator);
  if (e.conn_state !== undefined) expect(f.zeek.map((z) => z.conn_state).join(' ')).toBe(e.conn_state);
}

it('covers every committed capture', () => {
  const names = readdirSync('captures').filter((f) => f.endsWith('.pcap')).map((f) => f.replace(/\.pcap$/, ''));
  expect(names.filter((n) => SCENARIOS[n] === undefined)).toEqual([]);
});

it('a CLOSE_WAIT still open at the end is stuck only past --stuck-after', async () => {
  for (const stuckAfter of [30, 5, 0.043]) {
    const f = (await analyzeFile('captures/stuck-close-wait.pcap', { stuckAfter })).flows[0]!;
    expect([f.server.final_state, codes(f)]).toEqual(['CLOSE_WAIT', []]);
  }
  const f = (await analyzeFile('captures/stuck-close-wait.pcap', { stuckAfter: 0.042 })).flows[0]!;
  expect(codes(f)).toEqual(['stuck-close-wait']);
});

it('reports a long FIN_WAIT_2 from the closer\'s side when --stuck-after is shorter than the wait', async () => {
  const r = await analyzeFile('captures/stuck-close-wait.pcap', { stuckAfter: 0 });
  const f = r.flows[0]!;
  expect(codes(f)).toEqual(['stuck-close-wait', 'stuck-fin-wait-2']);
  expect(f.anomalies.find((a) => a.code === 'stuck-fin-wait-2')?.side).toBe('client');
});

describe.each(Object.entries(SCENARIOS))('%s', (name, e) => {
  const file = `captures/${name}.pcap`;

  it('tells the staged story', async () => {
    const r = await analyzeFile(file);
    expect(r.flows.length).toBe(e.flows ?? 1);
    const flows = e.allFlows === true ? r.flows : [r.flows[(e.flow ?? 1) - 1]!];
    for (const f of flows) check(f, e);
  });

  if (!existsSync(`captures/${name}.ss.txt`)) return; // crafted: no kernel to ask
  it('agrees with the kernel (ss) on every final state the wire can know', async () => {
    const r = await analyzeFile(file);
    const ss = readSs(`captures/${name}.ss.txt`);
    // ss shows each 4-tuple once: its latest incarnation.
    const latest = new Map(r.flows.map((f) => [`${f.client.addr} ${f.client.port} ${f.server.addr} ${f.server.port}`, f]));
    for (const f of latest.values()) {
      const c = ssAddr(f.client.addr, f.client.port);
      const s = ssAddr(f.server.addr, f.server.port);
      const onClient = ss.find((x) => x.host === 'client' && x.local === c && x.peer === s)?.state ?? 'CLOSED';
      const onServer = ss.find((x) => x.host === 'server' && x.local === s && x.peer === c)?.state ?? 'CLOSED';
      // A server that never answered holds no connection socket: ss shows none, synfin says LISTEN.
      const server = f.server.final_state === 'LISTEN' ? 'CLOSED' : f.server.final_state;
      const known = WIRE_CANNOT_KNOW[name]?.(f);
      expect({ flow: f.id, client: known?.client ?? f.client.final_state, server: known?.server ?? server })
        .toEqual({ flow: f.id, client: onClient, server: onServer });
    }
  });
});
