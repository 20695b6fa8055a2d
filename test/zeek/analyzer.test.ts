import { describe, expect, it } from 'vitest';

import type { Segment } from '../../src/decode/segment.ts';
import { ACK, FIN, PSH, RST, SYN } from '../../src/decode/segment.ts';
import type { ZeekConfig, ZeekState } from '../../src/zeek/types.ts';
import { DEFAULT_ZEEK_CONFIG } from '../../src/zeek/config.ts';
import { zeekConnState, zeekDuration, zeekHistory, zeekOrigIsFirstSender, zeekSizes } from '../../src/zeek/conn-log.ts';
import { createZeekState, updateZeek } from '../../src/zeek/analyzer.ts';

// The client uses an ephemeral port and the server 9999, which is in no
// likely_server_ports set, so Zeek never flips these flows on ports alone.
// Flows that must be flipped use SERVER_80.
const CLIENT = { addr: '10.0.0.1', port: 40000 };
const SERVER = { addr: '10.0.0.2', port: 9999 };
const SERVER_80 = { addr: '10.0.0.2', port: 80 };
const C_ISN = 1000;
const S_ISN = 5000;

/** Template segment, overridden per row (smoltcp's SEND_TEMPL). */
const TEMPLATE: Segment = {
  frame: 0,
  sec: 1_795_000_000,
  nsec: 0,
  ipVersion: 4,
  src: CLIENT.addr,
  dst: SERVER.addr,
  srcPort: CLIENT.port,
  dstPort: SERVER.port,
  frameLen: 54,
  ipLen: 40,
  seq: 0,
  ack: 0,
  flags: 0,
  window: 65535,
  urgent: 0,
  headerLen: 20,
  payloadLen: 0,
  options: [],
  optionsError: undefined,
  truncated: false,
};

type Side = 'c' | 's';

/** One step of a conversation: who sends, flags, seq, ack and the rest. */
type Step = readonly [side: Side, flags: number, seq: number, ack: number, over?: Partial<Segment>];

/** Builds numbered segments 1 ms apart; `server` picks the server endpoint. */
function segments(steps: readonly Step[], server = SERVER): Segment[] {
  return steps.map(([side, flags, seq, ack, over], i) => {
    const [from, to] = side === 'c' ? [CLIENT, server] : [server, CLIENT];
    return {
      ...TEMPLATE,
      frame: i + 1,
      nsec: i * 1_000_000,
      src: from.addr,
      srcPort: from.port,
      dst: to.addr,
      dstPort: to.port,
      flags,
      seq,
      ack,
      ...over,
      ipLen: 40 + (over?.payloadLen ?? 0),
    };
  });
}

/** createZeekState on the first segment, then every segment through updateZeek. */
function replay(segs: readonly Segment[], opts: Partial<ZeekConfig> = {}): ZeekState {
  const first = segs[0];
  if (first === undefined) throw new Error('no segments');
  const z = createZeekState(first);
  for (const seg of segs) updateZeek(z, seg, { ...DEFAULT_ZEEK_CONFIG, ...opts });
  return z;
}

const HANDSHAKE: readonly Step[] = [
  ['c', SYN, C_ISN, 0],
  ['s', SYN | ACK, S_ISN, C_ISN + 1],
  ['c', ACK, C_ISN + 1, S_ISN + 1],
];

// The connection of docs/design.md's JSON example: 6 client frames carrying 7
// bytes, 5 server frames carrying 18, client closes first.
const NORMAL_CLOSE: readonly Step[] = [
  ...HANDSHAKE,
  ['c', PSH | ACK, C_ISN + 1, S_ISN + 1, { payloadLen: 7 }],
  ['s', ACK, S_ISN + 1, C_ISN + 8],
  ['s', PSH | ACK, S_ISN + 1, C_ISN + 8, { payloadLen: 18 }],
  ['c', ACK, C_ISN + 8, S_ISN + 19],
  ['c', FIN | ACK, C_ISN + 8, S_ISN + 19],
  ['s', ACK, S_ISN + 19, C_ISN + 9],
  ['s', FIN | ACK, S_ISN + 19, C_ISN + 9],
  ['c', ACK, C_ISN + 9, S_ISN + 20],
];

describe('conn_state, one row per value of main.zeek conn_state()', () => {
  // Each history is derived from update_history (TCPSessionAdapter.cc): a
  // packet with exactly one of SYN/FIN/RST gives S/H, F or R; otherwise a
  // packet with payload gives D and a pure ACK gives A; the responder's
  // letters are lower case; D, A, I and Q are recorded once per direction.
  it.each<[state: string, history: string, steps: readonly Step[], server?: typeof SERVER]>([
    // SYN never answered: orig SYN_SENT, resp INACTIVE.
    ['S0', 'S', [['c', SYN, C_ISN, 0]]],
    // Handshake done, nothing closed: both ESTABLISHED.
    ['S1', 'ShA', HANDSHAKE],
    // Both sides sent a FIN: both CLOSED. The final ACK repeats 'A' and adds nothing.
    ['SF', 'ShADadFf', NORMAL_CLOSE],
    // SYN answered by RST: resp RESET while orig is still SYN_SENT.
    ['REJ', 'Sr', [['c', SYN, C_ISN, 0], ['s', RST | ACK, 0, C_ISN + 1]]],
    // Only the originator closed: orig CLOSED, resp ESTABLISHED.
    ['S2', 'ShAF', [...HANDSHAKE, ['c', FIN | ACK, C_ISN + 1, S_ISN + 1]]],
    // Only the responder closed.
    ['S3', 'ShAf', [...HANDSHAKE, ['s', FIN | ACK, S_ISN + 1, C_ISN + 1]]],
    // Established, originator aborts.
    ['RSTO', 'ShAR', [...HANDSHAKE, ['c', RST | ACK, C_ISN + 1, S_ISN + 1]]],
    // Established, responder aborts.
    ['RSTR', 'ShAr', [...HANDSHAKE, ['s', RST | ACK, S_ISN + 1, C_ISN + 1]]],
    // SYN then RST from the originator, nothing from the responder; the
    // history matches /^\^?S[^HAFGIQ]*R.*/.
    ['RSTOS0', 'SR', [['c', SYN, C_ISN, 0], ['c', RST, C_ISN + 1, 0]]],
    // A SYN-ACK from port 80 first: Zeek flips (^), the responder goes
    // ESTABLISHED, then resets; the originator never sent anything.
    ['RSTRH', '^hr', [['s', SYN | ACK, S_ISN, C_ISN + 1], ['s', RST, S_ISN + 1, 0]], SERVER_80],
    // SYN then FIN from the originator, no SYN-ACK: orig CLOSED, resp INACTIVE.
    ['SH', 'SF', [['c', SYN, C_ISN, 0], ['c', FIN, C_ISN + 1, 0]]],
    // Flipped SYN-ACK then FIN from the responder; orig INACTIVE.
    ['SHR', '^hf', [['s', SYN | ACK, S_ISN, C_ISN + 1], ['s', FIN | ACK, S_ISN + 1, C_ISN + 1]], SERVER_80],
    // Midstream: data without any SYN; orig PARTIAL (after the responder's
    // ACK the responder is PARTIAL too), neither side closed.
    [
      'OTH',
      'Da',
      [
        ['c', PSH | ACK, C_ISN + 1, S_ISN + 1, { payloadLen: 10 }],
        ['s', ACK, S_ISN + 1, C_ISN + 11],
      ],
    ],
  ])('%s (history %s)', (state, history, steps, server) => {
    const z = replay(segments(steps, server));
    expect(zeekConnState(z)).toBe(state);
    expect(zeekHistory(z)).toBe(history);
  });
});

describe('history letters', () => {
  it('gives ShADadFf for the connection of docs/design.md', () => {
    // SYN (S), SYN-ACK (h), ACK (A), client data (D), the server's pure ACK of
    // it (a), server data (d), client FIN (F), server FIN (f); the server's
    // ACK of the FIN (frame 9) and the final ACK repeat a and A, which are
    // recorded once per direction.
    const z = replay(segments(NORMAL_CLOSE));
    expect(zeekHistory(z)).toBe('ShADadFf');
  });

  it('has no a when the server never sends a pure ACK', () => {
    // SYN, SYN-ACK, ACK, data c->s, data s->c (acking it), FIN, FIN+ACK, ACK:
    // every server packet carries a SYN, data or a FIN.
    const z = replay(
      segments([
        ...HANDSHAKE,
        ['c', PSH | ACK, C_ISN + 1, S_ISN + 1, { payloadLen: 7 }],
        ['s', PSH | ACK, S_ISN + 1, C_ISN + 8, { payloadLen: 18 }],
        ['c', FIN | ACK, C_ISN + 8, S_ISN + 19],
        ['s', FIN | ACK, S_ISN + 19, C_ISN + 9],
        ['c', ACK, C_ISN + 9, S_ISN + 20],
      ]),
    );
    expect(zeekHistory(z)).toBe('ShADdFf');
    // Without the server's FIN its ACK of the client's FIN is its first pure ACK.
    const halfClosed = replay(
      segments([...HANDSHAKE, ['c', FIN | ACK, C_ISN + 1, S_ISN + 1], ['s', ACK, S_ISN + 1, C_ISN + 2]]),
    );
    expect(zeekHistory(halfClosed)).toBe('ShAFa');
  });

  it('records S once for retransmitted SYNs with the same seq', () => {
    const z = replay(segments([['c', SYN, C_ISN, 0], ['c', SYN, C_ISN, 0], ['c', SYN, C_ISN, 0]]));
    expect(zeekHistory(z)).toBe('S');
    expect(zeekConnState(z)).toBe('S0');
    expect(z.orig.pkts).toBe(3);
  });

  it('records F once for a FIN retransmitted at the same seq', () => {
    const z = replay(
      segments([
        ...HANDSHAKE,
        ['c', FIN | ACK, C_ISN + 1, S_ISN + 1],
        ['c', FIN | ACK, C_ISN + 1, S_ISN + 1],
      ]),
    );
    expect(zeekHistory(z)).toBe('ShAF');
  });

  it.each<[retransmissions: number, history: string]>([
    [1, 'ShADT'],
    [9, 'ShADT'],
    // 12 retransmissions: T at the 1st and the 10th (Session::ScaledHistoryEntry).
    [12, 'ShADTT'],
    [99, 'ShADTT'],
    [100, 'ShADTTT'],
  ])('records T logarithmically: %i retransmissions give %s', (n, history) => {
    const data: Step = ['c', PSH | ACK, C_ISN + 1, S_ISN + 1, { payloadLen: 100 }];
    const z = replay(segments([...HANDSHAKE, data, ...Array.from({ length: n }, () => data)]));
    expect(zeekHistory(z)).toBe(history);
  });

  it('calls a segment ending at or below the highest seq sent a retransmission', () => {
    // update_last_seq: any data segment that does not advance last_seq, even
    // one that only re-sends an earlier part (here bytes 1-50 of 1-100).
    const z = replay(
      segments([
        ...HANDSHAKE,
        ['c', PSH | ACK, C_ISN + 1, S_ISN + 1, { payloadLen: 100 }],
        ['c', PSH | ACK, C_ISN + 1, S_ISN + 1, { payloadLen: 50 }],
      ]),
    );
    expect(zeekHistory(z)).toBe('ShADT');
  });

  it('records a zero window (w) logarithmically, after the ACK letter of the same packet', () => {
    const zeroWindowAck: Step = ['s', ACK, S_ISN + 1, C_ISN + 1, { window: 0 }];
    const once = replay(segments([...HANDSHAKE, zeroWindowAck]));
    expect(zeekHistory(once)).toBe('ShAaw');
    const tenTimes = replay(segments([...HANDSHAKE, ...Array.from({ length: 10 }, () => zeroWindowAck)]));
    expect(zeekHistory(tenTimes)).toBe('ShAaww');
  });

  it('ignores a zero window that comes with a RST', () => {
    const z = replay(segments([...HANDSHAKE, ['s', RST, S_ISN + 1, 0, { window: 0 }]]));
    expect(zeekHistory(z)).toBe('ShAr');
  });

  it('records Q for SYN+FIN and I for FIN+RST', () => {
    const synFin = replay(segments([['c', SYN | FIN, C_ISN, 0]]));
    expect(zeekHistory(synFin)).toBe('Q');
    expect(zeekConnState(synFin)).toBe('SH');
    const finRst = replay(segments([...HANDSHAKE, ['c', FIN | RST | ACK, C_ISN + 1, S_ISN + 1]]));
    expect(zeekHistory(finRst)).toBe('ShAI');
    expect(zeekConnState(finRst)).toBe('RSTO');
  });

  it('records a SYN+RST as Q, not S or R', () => {
    const z = replay(segments([['c', SYN | RST, C_ISN, 0]]));
    expect(zeekHistory(z)).toBe('Q');
  });
});

describe('who Zeek calls the originator', () => {
  it('keeps the first sender of a bare SYN, and does not consume the first segment', () => {
    const [first] = segments([['c', SYN, C_ISN, 0]], SERVER_80);
    if (first === undefined) throw new Error('no segment');
    const z = createZeekState(first);
    expect(z.active).toBe(false);
    expect(zeekHistory(z)).toBe('');
    updateZeek(z, first);
    expect(zeekOrigIsFirstSender(z)).toBe(true);
    expect(zeekHistory(z)).toBe('S');
    expect(z.orig.pkts).toBe(1);
  });

  it('flips when the first packet is a SYN-ACK from a likely server port (^)', () => {
    const z = replay(segments([['s', SYN | ACK, S_ISN, C_ISN + 1], ['c', ACK, C_ISN + 1, S_ISN + 1]], SERVER_80));
    expect(zeekOrigIsFirstSender(z)).toBe(false);
    expect(z.orig.addr).toBe(CLIENT.addr);
    expect(z.resp.port).toBe(80);
    // ^ first (FlipRoles runs in NewConn, before the packet), then the
    // responder's SYN-ACK (h) and the originator's ACK, which establishes it
    // because the peer is already ESTABLISHED.
    expect(zeekHistory(z)).toBe('^hA');
    expect(zeekConnState(z)).toBe('S1');
  });

  it('flips a midstream packet from a likely server port', () => {
    const z = replay(segments([['s', PSH | ACK, S_ISN + 1, C_ISN + 1, { payloadLen: 5 }]], SERVER_80));
    expect(zeekOrigIsFirstSender(z)).toBe(false);
    expect(zeekHistory(z)).toBe('^d');
  });

  it('does not flip a SYN-ACK from an unlikely port; a later reversed SYN flips it', () => {
    // UpdateInactiveState: the responder sends a SYN whose seq starts its
    // space while the originator is SYN_ACK_SENT, a SYN and SYN-ACK captured
    // out of order. The s is recorded before the flip, so it stays lower case.
    const segs = segments([
      ['s', SYN | ACK, S_ISN, C_ISN + 1],
      ['c', SYN, C_ISN, 0],
      ['c', ACK, C_ISN + 1, S_ISN + 1],
    ]);
    const z = createZeekState(segs[0] as Segment);
    updateZeek(z, segs[0] as Segment);
    expect(zeekOrigIsFirstSender(z)).toBe(true);
    for (const seg of segs.slice(1)) updateZeek(z, seg);
    expect(zeekHistory(z)).toBe('Hs^A');
    expect(zeekOrigIsFirstSender(z)).toBe(false);
    expect(zeekConnState(z)).toBe('S1');
    // ConnSize counts the reversed SYN with the direction computed before the
    // flip, after swapping its counters: it lands on the SYN-ACK sender.
    expect(z.resp.pkts).toBe(2);
    expect(z.orig.pkts).toBe(1);
  });

  it('leaves a SYN-ACK then RST from an unflipped first sender as OTH', () => {
    const z = replay(segments([['s', SYN | ACK, S_ISN, C_ISN + 1], ['s', RST, S_ISN + 1, 0]]));
    expect(zeekHistory(z)).toBe('HR');
    expect(zeekConnState(z)).toBe('OTH');
  });

  it('honours a caller-supplied likely_server_ports set', () => {
    const segs = segments([['s', SYN | ACK, S_ISN, C_ISN + 1]]);
    expect(zeekHistory(replay(segs, { likelyServerPorts: new Set([9999]) }))).toBe('^h');
    expect(zeekHistory(replay(segs, { likelyServerPorts: new Set() }))).toBe('H');
  });
});

describe('sizes, duration and packet counts', () => {
  it('computes orig_bytes and resp_bytes from sequence numbers', () => {
    const z = replay(segments(NORMAL_CLOSE));
    expect(zeekSizes(z)).toEqual({ orig: 7n, resp: 18n });
  });

  it('counts bytes the peer acknowledged but the capture never showed', () => {
    // TCP_Endpoint::Size takes the larger of last_seq and the peer's ack.
    const z = replay(
      segments([
        ...HANDSHAKE,
        ['c', PSH | ACK, C_ISN + 1, S_ISN + 1, { payloadLen: 10 }],
        ['s', ACK, S_ISN + 1, C_ISN + 511],
      ]),
    );
    expect(zeekSizes(z).orig).toBe(510n);
  });

  it('ends the duration at the last packet before both sides had closed', () => {
    // The final ACK (frame 11) comes after both FINs, so Zeek's last_time
    // stops at frame 10: 9 ms after frame 1 (to the ~1e-7 s a difference of
    // two epoch doubles keeps, in Zeek too).
    const z = replay(segments(NORMAL_CLOSE));
    expect(zeekDuration(z)).toBeCloseTo(0.009, 6);
    expect(z.lastTime).toBe(1_795_000_000 + 0.009);
  });

  it('counts packets and IP bytes per direction', () => {
    const z = replay(segments(NORMAL_CLOSE));
    expect([z.orig.pkts, z.orig.ipBytes, z.resp.pkts, z.resp.ipBytes]).toEqual([6, 247, 5, 218]);
  });

  it('truncates nanosecond timestamps to microseconds, as libpcap hands them to Zeek', () => {
    const segs = segments([['c', SYN, C_ISN, 0, { nsec: 123_456_789 }]]);
    const z = replay(segs);
    expect(z.startTime).toBe(1_795_000_000 + 0.123456);
  });
});
