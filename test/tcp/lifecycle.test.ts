import { describe, expect, it } from 'vitest';

import { ACK, FIN, PSH, RST, SYN, type Segment, type TcpOption } from '../../src/decode/segment.ts';
import { flowKey } from '../../src/flow/key.ts';
import { feedSegment, openFlow } from '../../src/tcp/connection.ts';
import { isOver, startsNewIncarnation } from '../../src/tcp/lifecycle.ts';
import type { Flow, LifecycleOptions } from '../../src/tcp/types.ts';
import { finishFlow, type FlowRecord } from '../../src/tcp/record.ts';
import type { TcpState } from '../../src/tcp/transitions.ts';

const OPTS: LifecycleOptions = { msl: 30, stuckAfter: 5, events: true };

const T0 = 1_795_000_000;
const CLIENT = { addr: '10.0.0.1', port: 40000 };
const SERVER = { addr: '10.0.0.2', port: 80 };
const C_ISN = 1000;
const S_ISN = 5000;
/** Payload each side sends in the data exchange (frames 4-7). */
const C_DATA = 300;
const S_DATA = 500;

/** Template segment, overridden per row (smoltcp's SEND_TEMPL): a client→server pure ACK. */
const SEG: Segment = {
  frame: 0, sec: T0, nsec: 0, ipVersion: 4,
  src: CLIENT.addr, dst: SERVER.addr, srcPort: CLIENT.port, dstPort: SERVER.port,
  seq: 0, ack: 0, flags: ACK, window: 65535, urgent: 0, headerLen: 20,
  payloadLen: 0, frameLen: 54, ipLen: 40, options: [], optionsError: undefined, truncated: false,
};

/** What a row overrides; `t` is seconds since T0 (default: 1 ms per frame). */
type Over = Partial<Segment> & { readonly t?: number };
/** One captured segment: who sent it and how it differs from SEG. */
type Row = readonly [from: 'c' | 's', over: Over];

/** `a + n` modulo 2^32, computed here independently of src/tcp/seq.ts. */
const add = (a: number, n: number): number => (a + n) >>> 0;

/** Numbers rows into segments, frame i+1 at T0 + t (or i ms). */
function segments(rows: readonly Row[]): Segment[] {
  return rows.map(([from, { t, ...over }], i) => {
    const ns = Math.round((t ?? i / 1000) * 1e9);
    const [src, dst] = from === 'c' ? [CLIENT, SERVER] : [SERVER, CLIENT];
    const payloadLen = over.payloadLen ?? 0;
    return {
      ...SEG, frame: i + 1, sec: T0 + Math.floor(ns / 1e9), nsec: ns % 1e9,
      src: src.addr, srcPort: src.port, dst: dst.addr, dstPort: dst.port, ipLen: 40 + payloadLen, frameLen: 54 + payloadLen, ...over,
    };
  });
}

/**
 * The flow table's way: openFlow from the first segment (which it does not
 * replay), then feedSegment on every segment, the first included.
 */
function replay(rows: readonly Row[], previous?: Flow): Flow {
  const segs = segments(rows);
  const first = segs[0];
  if (first === undefined) throw new Error('no segments');
  const flow = openFlow(first, previous === undefined ? 1 : previous.id + 1, flowKey(first), previous);
  for (const seg of segs) feedSegment(flow, seg, OPTS);
  return flow;
}

/** Capture time of the flow's last segment, in seconds. */
const lastTime = (flow: Flow): number => flow.lastSec + flow.lastNsec / 1e9;

/** finishFlow with the capture ending at the flow's last segment, or `after` seconds later. */
function finish(flow: Flow, after = 0): FlowRecord {
  return finishFlow(flow, { options: OPTS, precision: 'us', captureEnd: lastTime(flow) + after });
}

/** Both endpoints' states right after `frame`, from the --events timeline. */
function statesAfter(flow: Flow, frame: number): [client: TcpState, server: TcpState] {
  const e = flow.events?.find((ev) => ev.frame === frame);
  if (e === undefined) throw new Error(`no event for frame ${frame}`);
  return [e.client, e.server];
}

const codes = (rec: FlowRecord): string[] => rec.anomalies.map((a) => a.code);
const codesAt = (rec: FlowRecord, frame: number): string[] => rec.anomalies.filter((a) => a.frame === frame).map((a) => a.code);
/** The states an endpoint went through, the start state first. */
const path = (flow: Flow, side: 'client' | 'server'): TcpState[] => {
  const ep = flow[side];
  return ep.changes.length === 0 ? [ep.state] : [ep.changes[0]!.from, ...ep.changes.map((c) => c.to)];
};

// ---- conversations, written against the two ISNs so they can be moved next to 2^32 ----

/** Frames 1-3. */
function handshake(c: number, s: number, synOptions: readonly TcpOption[] = [], synackOptions: readonly TcpOption[] = []): Row[] {
  return [
    ['c', { flags: SYN, seq: c, ack: 0, options: synOptions }],
    ['s', { flags: SYN | ACK, seq: s, ack: add(c, 1), options: synackOptions }],
    ['c', { flags: ACK, seq: add(c, 1), ack: add(s, 1) }],
  ];
}

/** Frames 4-7: each side sends once and is acknowledged. */
function exchange(c: number, s: number): Row[] {
  return [
    ['c', { flags: PSH | ACK, seq: add(c, 1), ack: add(s, 1), payloadLen: C_DATA }],
    ['s', { flags: ACK, seq: add(s, 1), ack: add(c, 1 + C_DATA) }],
    ['s', { flags: PSH | ACK, seq: add(s, 1), ack: add(c, 1 + C_DATA), payloadLen: S_DATA }],
    ['c', { flags: ACK, seq: add(c, 1 + C_DATA), ack: add(s, 1 + S_DATA) }],
  ];
}

/** Sequence numbers after the exchange. */
const cNxt = (c: number): number => add(c, 1 + C_DATA);
const sNxt = (s: number): number => add(s, 1 + S_DATA);

/** Frames 8-11: client FIN, server ACK, server FIN, client ACK. */
function fourWayClose(c: number, s: number): Row[] {
  return [
    ['c', { flags: FIN | ACK, seq: cNxt(c), ack: sNxt(s) }],
    ['s', { flags: ACK, seq: sNxt(s), ack: add(cNxt(c), 1) }],
    ['s', { flags: FIN | ACK, seq: sNxt(s), ack: add(cNxt(c), 1) }],
    ['c', { flags: ACK, seq: add(cNxt(c), 1), ack: add(sNxt(s), 1) }],
  ];
}

function established(c = C_ISN, s = S_ISN): Row[] {
  return [...handshake(c, s), ...exchange(c, s)];
}

function normal(c = C_ISN, s = S_ISN): Row[] {
  return [...established(c, s), ...fourWayClose(c, s)];
}

// ---------------------------------------------------------------------------

describe('normal three-way handshake and four-way close', () => {
  const flow = replay(normal());
  const rec = finish(flow);

  it('starts the client CLOSED and the server LISTEN', () => {
    expect(path(flow, 'client')[0]).toBe('CLOSED');
    expect(path(flow, 'server')[0]).toBe('LISTEN');
    expect(flow.roles).toBe('observed');
  });

  it.each([
    [1, 'SYN_SENT', 'LISTEN'],
    // The client's receipt of the SYN-ACK is applied when it answers (Endpoint.pendingSynAck).
    [2, 'SYN_SENT', 'SYN_RECEIVED'],
    [3, 'ESTABLISHED', 'ESTABLISHED'],
    [7, 'ESTABLISHED', 'ESTABLISHED'],
    [8, 'FIN_WAIT_1', 'CLOSE_WAIT'],
    [9, 'FIN_WAIT_2', 'CLOSE_WAIT'],
    [10, 'TIME_WAIT', 'LAST_ACK'],
    [11, 'TIME_WAIT', 'CLOSED'],
  ] as const)('after frame %i: client %s, server %s', (frame, client, server) => {
    expect(statesAfter(flow, frame)).toEqual([client, server]);
  });

  it('walks Figure 5 on both sides', () => {
    expect(path(flow, 'client')).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    expect(path(flow, 'server')).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
  });

  it('is reported as three-way / four-way by the client, EOF on both sides, no anomalies', () => {
    expect(rec.handshake).toMatchObject({ kind: 'three-way', syn_frame: 1, synack_frame: 2, ack_frame: 3, syns: 1, syn_gaps_s: [], synacks: 1 });
    expect(rec.close).toEqual({ kind: 'four-way', initiator: 'client', first_fin_frame: 8, second_fin_frame: 10, rst_frame: null });
    expect(rec.outcome).toEqual({ client: 'EOF', server: 'EOF' });
    expect(rec.client.final_state).toBe('TIME_WAIT');
    expect(rec.server.final_state).toBe('CLOSED');
    expect(rec.client.isn).toBe(C_ISN);
    expect(rec.server.isn).toBe(S_ISN);
    expect(rec.client.payload_bytes).toBe(C_DATA);
    expect(rec.server.payload_bytes).toBe(S_DATA);
    expect(codes(rec)).toEqual([]);
  });
});

describe('sequence numbers wrapping past 2^32', () => {
  /** The record minus the ISNs and the absolute numbers tcpdump prints before its bases are set. */
  function comparable(rec: FlowRecord): unknown {
    return {
      ...rec,
      client: { ...rec.client, isn: null },
      server: { ...rec.server, isn: null },
      events: rec.events?.map((e) => (e.frame <= 2 ? { ...e, seq: null, ack: null, end: null } : e)),
      anomalies: rec.anomalies.map((a) => ({ ...a, message: null })),
    };
  }
  const baseline = comparable(finish(replay(normal())));

  it.each([
    ['both ISNs at 0xFFFFFF00 (data crosses 2^32)', 0xffff_ff00, 0xffff_ff00],
    ['both ISNs at 0xFFFFFFFF (the SYN takes the last number)', 0xffff_ffff, 0xffff_ffff],
    ['FINs at sequence number 0', add(0, -(1 + C_DATA)), add(0, -(1 + S_DATA))],
    ['FINs at 0xFFFFFFFF (their ACKs wrap to 0)', add(0xffff_ffff, -(1 + C_DATA)), add(0xffff_ffff, -(1 + S_DATA))],
    ['client near 2^32, server low', 0xffff_fff0, 7],
  ])('%s: the same story as without the wrap', (_, c, s) => {
    const flow = replay(normal(c, s));
    const rec = finish(flow);
    expect(rec.client.isn).toBe(c);
    expect(rec.server.isn).toBe(s);
    expect(comparable(rec)).toEqual(baseline);
    expect(path(flow, 'client')).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    expect(path(flow, 'server')).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
  });
});

describe('three-segment close (the passive side ACKs and FINs in one segment)', () => {
  const flow = replay([
    ...established(),
    ['c', { flags: FIN | ACK, seq: cNxt(C_ISN), ack: sNxt(S_ISN) }],
    ['s', { flags: FIN | ACK, seq: sNxt(S_ISN), ack: add(cNxt(C_ISN), 1) }],
    ['c', { flags: ACK, seq: add(cNxt(C_ISN), 1), ack: add(sNxt(S_ISN), 1) }],
  ]);
  const rec = finish(flow);

  it.each([
    [8, 'FIN_WAIT_1', 'CLOSE_WAIT'],
    [9, 'TIME_WAIT', 'LAST_ACK'],
    [10, 'TIME_WAIT', 'CLOSED'],
  ] as const)('after frame %i: client %s, server %s', (frame, client, server) => {
    expect(statesAfter(flow, frame)).toEqual([client, server]);
  });

  it('is a three-segment close started by the client', () => {
    expect(rec.close).toEqual({ kind: 'three-segment', initiator: 'client', first_fin_frame: 8, second_fin_frame: 9, rst_frame: null });
    expect(rec.handshake.kind).toBe('three-way');
    expect(rec.outcome).toEqual({ client: 'EOF', server: 'EOF' });
    expect(codes(rec)).toEqual([]);
  });
});

describe('simultaneous close (FINs cross)', () => {
  // Neither FIN acknowledges the other: each was sent before the other arrived.
  const flow = replay([
    ...established(),
    ['c', { flags: FIN | ACK, seq: cNxt(C_ISN), ack: sNxt(S_ISN) }],
    ['s', { flags: FIN | ACK, seq: sNxt(S_ISN), ack: cNxt(C_ISN) }],
    ['c', { flags: ACK, seq: add(cNxt(C_ISN), 1), ack: add(sNxt(S_ISN), 1) }],
    ['s', { flags: ACK, seq: add(sNxt(S_ISN), 1), ack: add(cNxt(C_ISN), 1) }],
  ]);
  const rec = finish(flow);

  it.each([
    [8, 'FIN_WAIT_1'],
    [9, 'CLOSING'],
    [10, 'CLOSING'],
    [11, 'TIME_WAIT'],
  ] as const)('client after frame %i: %s', (frame, client) => {
    expect(statesAfter(flow, frame)[0]).toBe(client);
  });

  it('ends with both sides in TIME_WAIT', () => {
    expect(statesAfter(flow, 11)).toEqual(['TIME_WAIT', 'TIME_WAIT']);
    expect(rec.client.final_state).toBe('TIME_WAIT');
    expect(rec.server.final_state).toBe('TIME_WAIT');
  });

  // docs/design.md: "simultaneous (FINs cross, both pass through CLOSING)"; RFC 9293
  // §3.10.7.4 FIN-WAIT-1 + FIN, then the ACK of our FIN: CLOSING -> TIME-WAIT (Figure 13).
  it('takes both sides through CLOSING', () => {
    expect(path(flow, 'client')).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT']);
    const server = path(flow, 'server');
    expect(server.slice(-2)).toEqual(['CLOSING', 'TIME_WAIT']);
    expect(server).not.toContain('FIN_WAIT_2');
  });

  it('is reported as simultaneous, initiated by both', () => {
    expect(rec.close).toEqual({ kind: 'simultaneous', initiator: 'both', first_fin_frame: 8, second_fin_frame: 9, rst_frame: null });
    expect(rec.outcome).toEqual({ client: 'EOF', server: 'EOF' });
    expect(codes(rec)).toEqual([]);
  });
});

describe('refused: SYN answered by RST+ACK', () => {
  const flow = replay([
    ['c', { flags: SYN, seq: C_ISN, ack: 0 }],
    ['s', { flags: RST | ACK, seq: 0, ack: add(C_ISN, 1), window: 0 }],
  ]);
  const rec = finish(flow);

  it('closes both sides', () => {
    expect(statesAfter(flow, 1)).toEqual(['SYN_SENT', 'LISTEN']);
    expect(statesAfter(flow, 2)).toEqual(['CLOSED', 'CLOSED']);
  });

  it('is refused: ECONNREFUSED for the client, connection-refused', () => {
    expect(rec.handshake.kind).toBe('refused');
    expect(rec.outcome.client).toBe('ECONNREFUSED');
    expect(rec.outcome.server).toBe('none');
    expect(rec.close.kind).toBe('none');
    expect(codes(rec)).toEqual(['connection-refused']);
    expect(codesAt(rec, 2)).toEqual(['connection-refused']);
  });
});

describe('unanswered SYN, retransmitted twice', () => {
  const flow = replay([
    ['c', { flags: SYN, seq: C_ISN, ack: 0, t: 0 }],
    ['c', { flags: SYN, seq: C_ISN, ack: 0, t: 1 }],
    ['c', { flags: SYN, seq: C_ISN, ack: 0, t: 3 }],
  ]);
  const rec = finish(flow);

  it('leaves the client in SYN_SENT and the server LISTEN', () => {
    for (const frame of [1, 2, 3]) expect(statesAfter(flow, frame)).toEqual(['SYN_SENT', 'LISTEN']);
  });

  it('counts the SYNs and their back-off', () => {
    expect(rec.handshake).toMatchObject({ kind: 'unanswered', syn_frame: 1, syns: 3, syn_gaps_s: [1, 2], synacks: 0 });
    expect(rec.outcome).toEqual({ client: 'ETIMEDOUT', server: 'none' });
    expect(rec.close.kind).toBe('none');
  });

  it('reports each retransmission and the silence', () => {
    // Listed by frame: syn-unanswered is filed at the first SYN.
    expect(codes(rec)).toEqual(['syn-unanswered', 'syn-retransmit', 'syn-retransmit']);
    expect(codesAt(rec, 2)).toEqual(['syn-retransmit']);
    expect(codesAt(rec, 3)).toEqual(['syn-retransmit']);
    expect(codes(rec).filter((c) => c === 'syn-unanswered')).toHaveLength(1);
    expect(rec.anomalies.find((a) => a.code === 'syn-retransmit' && a.frame === 3)?.details).toMatchObject({ attempt: 3, gap_s: 2 });
  });
});

describe('SYN-ACK never acknowledged', () => {
  const flow = replay([
    ['c', { flags: SYN, seq: C_ISN, ack: 0 }],
    ['s', { flags: SYN | ACK, seq: S_ISN, ack: add(C_ISN, 1) }],
  ]);
  const rec = finish(flow);

  it('leaves the client SYN_SENT and the server half-open in SYN_RECEIVED', () => {
    expect(statesAfter(flow, 2)).toEqual(['SYN_SENT', 'SYN_RECEIVED']);
    expect(rec.client.final_state).toBe('SYN_SENT');
    expect(rec.server.final_state).toBe('SYN_RECEIVED');
  });

  it('is no-final-ack with handshake-incomplete', () => {
    expect(rec.handshake).toMatchObject({ kind: 'no-final-ack', syn_frame: 1, synack_frame: 2, ack_frame: null });
    expect(codes(rec)).toEqual(['handshake-incomplete']);
    expect(rec.outcome).toEqual({ client: 'ETIMEDOUT', server: 'none' });
    expect(rec.close.kind).toBe('none');
  });
});

describe('lost final ACK: the server repeats its FIN', () => {
  const flow = replay([
    ...normal(),
    ['s', { flags: FIN | ACK, seq: sNxt(S_ISN), ack: add(cNxt(C_ISN), 1), t: 0.21 }],
    ['c', { flags: ACK, seq: add(cNxt(C_ISN), 1), ack: add(sNxt(S_ISN), 1), t: 0.211 }],
  ]);
  const rec = finish(flow);

  it.each([
    [11, 'TIME_WAIT', 'CLOSED'],
    [12, 'TIME_WAIT', 'LAST_ACK'],
    [13, 'TIME_WAIT', 'CLOSED'],
  ] as const)('after frame %i: client %s, server %s', (frame, client, server) => {
    expect(statesAfter(flow, frame)).toEqual([client, server]);
  });

  it('restarts the client\'s 2 MSL on the repeated FIN (RFC 9293 §3.10.7.4 TIME-WAIT)', () => {
    expect(flow.client.stateSince).toBeCloseTo(T0 + 0.21, 6);
  });

  it('reports last-ack-lost on the repeated FIN, not a data retransmission', () => {
    expect(codesAt(rec, 12)).toContain('last-ack-lost');
    expect(codes(rec)).not.toContain('retransmission');
    expect(codes(rec).filter((c) => c !== 'fin-retransmit' && c !== 'last-ack-lost')).toEqual([]);
    expect(rec.close.kind).toBe('four-way');
    expect(rec.outcome).toEqual({ client: 'EOF', server: 'EOF' });
  });
});

describe('resets against an established connection (RFC 9293 §3.10.7.4, RFC 5961 §3.2)', () => {
  const rcvNxt = cNxt(C_ISN); // the server's RCV.NXT after the exchange

  it('accepts an RST exactly at RCV.NXT: ECONNRESET on the receiver', () => {
    const flow = replay([...established(), ['c', { flags: RST | ACK, seq: rcvNxt, ack: sNxt(S_ISN), window: 0 }]]);
    const rec = finish(flow);
    expect(statesAfter(flow, 7)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(statesAfter(flow, 8)).toEqual(['CLOSED', 'CLOSED']);
    expect(rec.outcome.server).toBe('ECONNRESET');
    expect(rec.outcome.client).not.toBe('ECONNRESET');
    expect(rec.close).toMatchObject({ kind: 'reset', initiator: 'client', rst_frame: 8 });
    expect(codes(rec)).toEqual([]);
  });

  it('does not accept an in-window RST off RCV.NXT; the next pure ACK is a challenge ACK', () => {
    const flow = replay([
      ...established(),
      ['c', { flags: RST | ACK, seq: add(rcvNxt, 1000), ack: sNxt(S_ISN), window: 0 }],
      ['s', { flags: ACK, seq: sNxt(S_ISN), ack: rcvNxt }],
    ]);
    const rec = finish(flow);
    expect(statesAfter(flow, 8)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(statesAfter(flow, 9)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(codesAt(rec, 9)).toEqual(['challenge-ack']);
    expect(codes(rec)).toEqual(['challenge-ack']);
    expect(rec.outcome).toEqual({ client: 'open', server: 'open' });
    expect(rec.close.kind).toBe('open');
  });

  it('drops an RST far outside the window: rst-out-of-window, states unchanged, no challenge', () => {
    const flow = replay([
      ...established(),
      ['c', { flags: RST | ACK, seq: add(rcvNxt, 0x4000_0000), ack: sNxt(S_ISN), window: 0 }],
      ['s', { flags: ACK, seq: sNxt(S_ISN), ack: rcvNxt }],
    ]);
    const rec = finish(flow);
    expect(statesAfter(flow, 8)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(codesAt(rec, 8)).toEqual(['rst-out-of-window']);
    expect(codes(rec)).toEqual(['rst-out-of-window']);
    expect(rec.outcome).toEqual({ client: 'open', server: 'open' });
  });
});

describe('keep-alive and retransmission', () => {
  it.each([
    ['no data', 0],
    ['one garbage octet (RFC 9293 §3.8.4)', 1],
  ])('a keep-alive (SND.NXT-1) with %s is keepalive only', (_, len) => {
    const flow = replay([
      ...established(),
      ['c', { flags: ACK, seq: add(cNxt(C_ISN), -1), ack: sNxt(S_ISN), payloadLen: len, t: 60 }],
      ['s', { flags: ACK, seq: sNxt(S_ISN), ack: cNxt(C_ISN), t: 60.001 }],
    ]);
    const rec = finish(flow);
    expect(codes(rec)).toEqual(['keepalive']);
    expect(codesAt(rec, 8)).toEqual(['keepalive']);
    expect(statesAfter(flow, 9)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
  });

  it('data sent again is a retransmission', () => {
    const flow = replay([
      ...handshake(C_ISN, S_ISN),
      ['c', { flags: PSH | ACK, seq: add(C_ISN, 1), ack: add(S_ISN, 1), payloadLen: 100, t: 0.01 }],
      ['c', { flags: PSH | ACK, seq: add(C_ISN, 1), ack: add(S_ISN, 1), payloadLen: 100, t: 0.21 }],
      ['s', { flags: ACK, seq: add(S_ISN, 1), ack: add(C_ISN, 101), t: 0.22 }],
    ]);
    const rec = finish(flow);
    expect(codes(rec)).toEqual(['retransmission']);
    expect(codesAt(rec, 5)).toEqual(['retransmission']);
  });
});

describe('TIME_WAIT lasts 2 MSL (RFC 9293 §3.10.8)', () => {
  // The client enters TIME_WAIT at frame 10 (t = 0.009 s).
  const enteredAt = 0.009;

  it('a segment 61 s later finds the client CLOSED by the 2MSL timeout', () => {
    const flow = replay([
      ...normal(),
      ['s', { flags: ACK, seq: add(sNxt(S_ISN), 1), ack: add(cNxt(C_ISN), 1), t: enteredAt + 61 }],
    ]);
    expect(statesAfter(flow, 11)).toEqual(['TIME_WAIT', 'CLOSED']);
    expect(statesAfter(flow, 12)).toEqual(['CLOSED', 'CLOSED']);
    const last = flow.client.changes[flow.client.changes.length - 1];
    expect(last).toMatchObject({ from: 'TIME_WAIT', to: 'CLOSED', on: '2MSL timeout', frame: null });
    expect(last?.time).toBeCloseTo(T0 + enteredAt + 60, 6);
  });

  it('a segment 59 s later still finds it in TIME_WAIT', () => {
    const flow = replay([
      ...normal(),
      ['s', { flags: ACK, seq: add(sNxt(S_ISN), 1), ack: add(cNxt(C_ISN), 1), t: enteredAt + 59 }],
    ]);
    expect(statesAfter(flow, 12)).toEqual(['TIME_WAIT', 'CLOSED']);
  });

  it.each([
    [59, 'TIME_WAIT'],
    [61, 'CLOSED'],
  ] as const)('finishFlow with the capture ending %i s later reports %s', (after, state) => {
    const rec = finish(replay(normal()), after);
    expect(rec.client.final_state).toBe(state);
    expect(rec.server.final_state).toBe('CLOSED');
  });

  it('isOver turns true once 2 MSL have passed', () => {
    const flow = replay(normal());
    expect(isOver(flow, T0 + enteredAt + 59, OPTS)).toBe(false);
    expect(isOver(flow, T0 + enteredAt + 61, OPTS)).toBe(true);
  });
});

describe('startsNewIncarnation', () => {
  const syn = (over: Over): Segment => segments([['c', { flags: SYN, ack: 0, ...over }]])[0]!;

  it('a retransmitted SYN (same ISN) stays in the flow', () => {
    const flow = replay(handshake(C_ISN, S_ISN).slice(0, 1));
    expect(startsNewIncarnation(flow, syn({ seq: C_ISN, frame: 2, t: 1 }))).toBe(false);
  });

  it('a SYN with a new ISN opens a new connection', () => {
    const flow = replay(handshake(C_ISN, S_ISN).slice(0, 1));
    expect(startsNewIncarnation(flow, syn({ seq: C_ISN + 1_000_000, frame: 2, t: 1 }))).toBe(true);
  });

  it('segments other than a bare SYN never do', () => {
    const flow = replay(handshake(C_ISN, S_ISN).slice(0, 2));
    const [synack] = segments([['s', { flags: SYN | ACK, seq: S_ISN + 77, ack: add(C_ISN, 1) }]]);
    const [rst] = segments([['c', { flags: RST, seq: 123 }]]);
    expect(startsNewIncarnation(flow, synack!)).toBe(false);
    expect(startsNewIncarnation(flow, rst!)).toBe(false);
  });

  it('a SYN after both sides closed opens a new connection', () => {
    const flow = replay(normal());
    expect(startsNewIncarnation(flow, syn({ seq: 9_000_000, frame: 12, t: 10 }))).toBe(true);
  });

  // The old SYN was acknowledged and the connection closed by FINs: a SYN now
  // cannot be its retransmission. docs/design.md ("a new SYN on a tuple whose previous
  // connection closed ... starts a new flow") and startsNewIncarnation's own JSDoc
  // ("any SYN once the previous connection is over") say it starts a new flow.
  it('a SYN after both sides closed opens a new connection even when it reuses the old ISN', () => {
    const flow = replay(normal());
    expect(startsNewIncarnation(flow, syn({ seq: C_ISN, frame: 12, t: 10 }))).toBe(true);
  });

  it('a SYN into a midstream flow opens a new connection', () => {
    const flow = replay([['c', { flags: PSH | ACK, seq: 1_000_000, ack: 2_000_000, payloadLen: 10 }]]);
    expect(startsNewIncarnation(flow, syn({ seq: C_ISN, frame: 2, t: 1 }))).toBe(true);
  });

  it('a new flow on the tuple ends the old one\'s TIME_WAIT and reports tuple-reuse', () => {
    const old = replay(normal());
    const next = replay([['c', { flags: SYN, seq: 9_000_000, ack: 0, frame: 12, t: 10 }]], old);
    expect(old.client.state).toBe('CLOSED');
    expect(old.client.changes[old.client.changes.length - 1]).toMatchObject({ from: 'TIME_WAIT', on: 'new SYN on the tuple', frame: 12 });
    const rec = finish(next);
    const reuse = rec.anomalies.find((a) => a.code === 'tuple-reuse');
    expect(reuse?.details).toMatchObject({ previous_flow: 1, within_2msl: true });
  });
});

describe('midstream flow (the capture began after the handshake)', () => {
  const rows: Row[] = [
    ['c', { flags: PSH | ACK, seq: 1_000_000, ack: 2_000_000, payloadLen: 100 }],
    ['s', { flags: ACK, seq: 2_000_000, ack: 1_000_100 }],
    ['s', { flags: PSH | ACK, seq: 2_000_000, ack: 1_000_100, payloadLen: 50 }],
    ['c', { flags: ACK, seq: 1_000_100, ack: 2_000_050 }],
  ];

  it('starts both endpoints UNKNOWN with inferred roles', () => {
    const first = segments(rows)[0]!;
    const flow = openFlow(first, 1, flowKey(first), undefined);
    expect(flow.roles).toBe('inferred');
    expect(flow.midstream).toBe(true);
    expect([flow.client.state, flow.server.state]).toEqual(['UNKNOWN', 'UNKNOWN']);
    expect(flow.client).toMatchObject(CLIENT);
  });

  it('takes each side to ESTABLISHED when it sends an ACK', () => {
    const flow = replay(rows);
    expect(statesAfter(flow, 1)).toEqual(['ESTABLISHED', 'UNKNOWN']);
    expect(statesAfter(flow, 2)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(statesAfter(flow, 4)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
  });

  it('is reported as not-observed with a midstream anomaly', () => {
    const rec = finish(replay(rows));
    expect(rec.roles).toBe('inferred');
    expect(rec.handshake.kind).toBe('not-observed');
    expect(codes(rec)).toEqual(['midstream']);
    expect(rec.close.kind).toBe('open');
    expect(rec.outcome).toEqual({ client: 'open', server: 'open' });
  });

  it('infers the same roles when the first segment comes from the server', () => {
    const flow = replay(rows.slice(1));
    expect(flow.roles).toBe('inferred');
    expect(flow.client).toMatchObject(CLIENT);
    expect(flow.server).toMatchObject(SERVER);
  });
});

describe('window scaling (RFC 7323 §2)', () => {
  const WS7: readonly TcpOption[] = [{ kind: 'wscale', shift: 7 }];

  function scaled(synOptions: readonly TcpOption[], synackOptions: readonly TcpOption[]): Flow {
    return replay([
      ...handshake(C_ISN, S_ISN, synOptions, synackOptions).map(([from, over]): Row => [from, { ...over, window: 64240 }]),
      ['s', { flags: ACK, seq: add(S_ISN, 1), ack: add(C_ISN, 1), window: 200 }],
      ['c', { flags: ACK, seq: add(C_ISN, 1), ack: add(S_ISN, 1), window: 100 }],
    ]);
  }

  it('scales windows by the shift each side offered, once both offered one', () => {
    const flow = scaled(WS7, WS7);
    expect(flow.client.window).toBe(100 << 7);
    expect(flow.server.window).toBe(200 << 7);
  });

  it('never scales the window of a SYN', () => {
    const flow = replay(handshake(C_ISN, S_ISN, WS7, WS7).slice(0, 2));
    expect(flow.server.window).toBeUndefined();
    expect(flow.client.window).toBeUndefined();
  });

  it('does not scale when only one side offered it', () => {
    const flow = scaled(WS7, []);
    expect(flow.client.window).toBe(100);
    expect(flow.server.window).toBe(200);
  });

  it('treats a shift above 14 as 14 (§2.3)', () => {
    const flow = scaled([{ kind: 'wscale', shift: 15 }], WS7);
    expect(flow.client.window).toBe(100 * 2 ** 14);
    expect(flow.server.window).toBe(200 << 7);
  });
});

describe('RST in SYN_RECEIVED (RFC 9293 §3.10.7.4, second check)', () => {
  it('returns a passive opener to LISTEN', () => {
    const flow = replay([
      ['c', { flags: SYN, seq: C_ISN, ack: 0 }],
      ['s', { flags: SYN | ACK, seq: S_ISN, ack: add(C_ISN, 1) }],
      ['c', { flags: RST, seq: add(C_ISN, 1), ack: 0, window: 0 }],
    ]);
    expect(statesAfter(flow, 2)).toEqual(['SYN_SENT', 'SYN_RECEIVED']);
    expect(statesAfter(flow, 3)).toEqual(['CLOSED', 'LISTEN']);
  });

  // "If this connection was initiated with an active OPEN (i.e., came from
  // SYN-SENT state), then the connection was refused ... enter the CLOSED state."
  it('closes an active opener that reached SYN_RECEIVED by simultaneous open', () => {
    const flow = replay([
      ['c', { flags: SYN, seq: C_ISN, ack: 0 }],
      ['s', { flags: SYN, seq: S_ISN, ack: 0 }],
      ['c', { flags: SYN | ACK, seq: C_ISN, ack: add(S_ISN, 1) }],
      ['s', { flags: RST | ACK, seq: add(S_ISN, 1), ack: add(C_ISN, 1), window: 0 }],
    ]);
    expect(statesAfter(flow, 3)).toEqual(['SYN_RECEIVED', 'SYN_SENT']);
    expect(statesAfter(flow, 4)).toEqual(['CLOSED', 'CLOSED']);
  });
});
