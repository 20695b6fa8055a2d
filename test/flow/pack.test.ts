import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/capture/open.ts';
import { decodeFrame } from '../../src/decode/index.ts';
import type { Segment, TcpOption } from '../../src/decode/segment.ts';
import { ACK, AE, CWR, ECE, FIN, PSH, RST, SYN, URG } from '../../src/decode/segment.ts';
import { flowKey } from '../../src/flow/key.ts';
import {
  appendSegment, newPackLog, packedCount, packFlow, packLogFrom, packLogText, packSegment, unpackFlow, unpackSegments,
} from '../../src/flow/pack.ts';

/** The TCP segments of a capture, in frame order (a malformed file gives what came before the fault). */
async function segmentsOf(path: string): Promise<Segment[]> {
  const out: Segment[] = [];
  try {
    for await (const batch of readCapture(path, 0).batches()) {
      for (const f of batch) {
        const r = decodeFrame(f);
        if (r.ok) out.push(r.segment);
      }
    }
  } catch {
    // The readers' tests cover malformed files; their whole records still count here.
  }
  return out;
}

/** The same segments with the same keys in the same order, down to the options. */
function expectSame(back: readonly Segment[], segs: readonly Segment[]): void {
  expect(back).toStrictEqual(segs);
  expect(JSON.stringify(back)).toBe(JSON.stringify(segs));
  back.forEach((seg, i) => expect(Object.keys(seg)).toEqual(Object.keys(segs[i]!)));
}

/** Packs `segs` into one log (A sends the first), failing the test if one does not pack. */
function packAll(segs: readonly Segment[]): string {
  const a = segs[0]!;
  let log = '';
  for (const seg of segs) {
    const next = packSegment(log, seg, seg.src === a.src && seg.srcPort === a.srcPort);
    expect(next).toBeDefined();
    log = next!;
  }
  return log;
}

/**
 * The same log written by appending to one PackLog, and by one that is turned
 * to text and back halfway (a flow compacted, then rebuilt and appended to):
 * both must give packSegment's text exactly.
 */
function packIncrementally(segs: readonly Segment[]): string {
  const a = segs[0]!;
  const fromA = (seg: Segment): boolean => seg.src === a.src && seg.srcPort === a.srcPort;
  const whole = newPackLog();
  let resumed = newPackLog();
  segs.forEach((seg, i) => {
    expect(appendSegment(whole, seg, fromA(seg))).toBe(true);
    if (i === Math.floor(segs.length / 2)) resumed = packLogFrom(packLogText(resumed));
    expect(appendSegment(resumed, seg, fromA(seg))).toBe(true);
  });
  const text = packLogText(whole);
  expect(packLogText(resumed)).toBe(text);
  return text;
}

function roundTrip(segs: readonly Segment[]): string {
  const a = segs[0]!;
  const log = packAll(segs);
  expect(packIncrementally(segs)).toBe(log);
  expectSame(unpackSegments(log, a.src, a.srcPort, a.dst, a.dstPort), segs);
  expect(packedCount(log)).toBe(segs.length);
  return log;
}

const CAPTURES = [
  ...readdirSync('captures').filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => `captures/${f}`),
  // Sliced packets: a missingLen on a segment must come back as it went in.
  ...readdirSync('captures/malformed').map((f) => `captures/malformed/${f}`),
];

describe('packSegment and unpackSegments on the committed captures', () => {
  it.each(CAPTURES)('rebuild every flow exactly: %s', async (path) => {
    const segs = await segmentsOf(path);
    expect(segs.length).toBeGreaterThan(0);
    // Flows packed side by side in capture order, as the table does, so no log leans on another's state.
    const flows = new Map<string, { a: Segment; log: string; kept: Segment[] }>();
    const unpackable: Segment[] = [];
    for (const seg of segs) {
      const key = flowKey(seg);
      let flow = flows.get(key);
      if (flow === undefined) flows.set(key, (flow = { a: seg, log: '', kept: [] }));
      const next = packSegment(flow.log, seg, seg.src === flow.a.src && seg.srcPort === flow.a.srcPort);
      if (next === undefined) {
        unpackable.push(seg);
        continue;
      }
      flow.log = next;
      flow.kept.push(seg);
    }
    // Only a malformed option list keeps a segment out, and these captures have none.
    expect(unpackable).toEqual(segs.filter((s) => s.optionsError !== undefined));
    expect(unpackable).toHaveLength(0);
    for (const { a, log, kept } of flows.values()) {
      const back = unpackSegments(log, a.src, a.srcPort, a.dst, a.dstPort);
      expectSame(back, kept);
      expect(packedCount(log)).toBe(back.length);
    }
  });
});

/** A segment as the decoders build it, keys in their order. */
function seg(over: Partial<Segment> = {}): Segment {
  return {
    frame: 1,
    sec: 1_700_000_000,
    nsec: 123_456_000,
    ipVersion: 4,
    src: '10.0.0.1',
    dst: '10.0.0.2',
    srcPort: 41000,
    dstPort: 443,
    seq: 1000,
    ack: 0,
    flags: SYN,
    window: 64240,
    urgent: 0,
    headerLen: 20,
    payloadLen: 0,
    frameLen: 54,
    ipLen: 40,
    options: [],
    optionsError: undefined,
    truncated: false,
    ...over,
  };
}

/** The reply to `s`: addresses and ports swapped. */
function reply(s: Segment, over: Partial<Segment> = {}): Segment {
  return seg({ src: s.dst, dst: s.src, srcPort: s.dstPort, dstPort: s.srcPort, ipVersion: s.ipVersion, ...over });
}

const EVERY_OPTION: readonly TcpOption[] = [
  { kind: 'mss', value: 1460 },
  { kind: 'sack-permitted' },
  { kind: 'timestamps', tsval: 4_000_000_000, tsecr: 0 },
  { kind: 'wscale', shift: 7 },
  { kind: 'sack', blocks: [[1, 2], [0xffffff00, 0x10], [5000, 4000], [0, 0xffffffff]] },
  { kind: 'tfo', cookie: '0123456789abcdef' },
  { kind: 'tfo', cookie: '' },
  { kind: 'unknown', number: 30, length: 12 },
  { kind: 'unknown', number: 254, length: 40 },
];

describe('packSegment and unpackSegments on made segments', () => {
  it('keeps every option kind, in order and with its keys in order', () => {
    const syn = seg({ headerLen: 60, options: EVERY_OPTION, frameLen: 94, ipLen: 80 });
    roundTrip([syn, reply(syn, { frame: 2, flags: SYN | ACK, seq: 0xffffffff, ack: 1001, options: [...EVERY_OPTION].reverse(), headerLen: 60, frameLen: 94, ipLen: 80 })]);
  });

  it('keeps IPv6, truncation, urgent data, every flag and odd lengths', () => {
    const a = seg({
      ipVersion: 6, src: 'fd00:99::1', dst: 'fd00:99::2', flags: 0x1ff, urgent: 7, truncated: true,
      payloadLen: 1440, ipLen: 1500, frameLen: 1514,
    });
    roundTrip([
      a,
      // IP options (ipLen above its headers), a link header longer than the escape, a frameLen under ipLen (offload).
      reply(a, { frame: 2, flags: ACK | PSH | URG | CWR | AE, ack: 1, urgent: 65535, ipLen: 60, frameLen: 200 }),
      reply(a, { frame: 3, flags: ACK | ECE, ack: 1, ipLen: 40, frameLen: 0, headerLen: 21, window: 0 }),
      seg({ ...a, frame: 4, flags: RST, seq: 0, headerLen: 4, ipLen: 0, frameLen: 14, payloadLen: 0 }),
    ]);
  });

  it('keeps a sliced packet\'s missingLen (bytes its IP length claims past the wire), and its claimed sequence space', () => {
    // captures/malformed: the 66-byte frame claiming 29,440 payload bytes, 60 of 100 missing, and a snaplen cut as well.
    const a = seg({ flags: ACK | PSH, seq: 1001, ack: 5001, headerLen: 32, payloadLen: 29_440, ipLen: 29_492, frameLen: 66, truncated: true, missingLen: 29_440,
      options: [{ kind: 'timestamps', tsval: 1000, tsecr: 0 }] });
    const log = roundTrip([
      a,
      reply(a, { frame: 2, flags: ACK, seq: 5001, ack: 1001 + 29_440 }),
      seg({ frame: 3, flags: ACK | PSH, seq: 1001 + 29_440, ack: 5001, payloadLen: 100, ipLen: 140, frameLen: 94, truncated: true, missingLen: 60 }),
      seg({ frame: 4, flags: ACK | PSH, seq: 1001 + 29_540, ack: 5001, payloadLen: 1000, ipLen: 1040, frameLen: 300, truncated: true, missingLen: 754 }),
      seg({ frame: 5, flags: ACK, seq: 1001 + 30_540, ack: 5001, ipLen: 40, frameLen: 54 }),
    ]);
    expect(unpackSegments(log, a.src, a.srcPort, a.dst, a.dstPort).map((s) => s.missingLen)).toEqual([29_440, undefined, 60, 754, undefined]);
  });

  it('refuses a missingLen the decoders never give (0, negative, fractional) rather than change it', () => {
    for (const missingLen of [0, -1, 0.5]) expect(packSegment('', seg({ missingLen }), true)).toBeUndefined();
  });

  it('keeps frames and seconds beyond 2^32, and times going backwards', () => {
    const big = 2 ** 40 + 3;
    const a = seg({ frame: big, sec: big, nsec: 999_999_999 });
    roundTrip([
      a,
      reply(a, { frame: big - 5, sec: big - 100, nsec: 0, flags: SYN | ACK, ack: 1001 }),
      seg({ frame: Number.MAX_SAFE_INTEGER, sec: Number.MAX_SAFE_INTEGER, nsec: 1, flags: ACK, seq: 1001, ack: 1 }),
      seg({ frame: 0, sec: 0, nsec: 0, flags: ACK, seq: 1001, ack: 1 }),
    ]);
  });

  it('keeps seq and ack at both ends of sequence space, and timestamps going backwards', () => {
    const ts = (tsval: number, tsecr: number): TcpOption[] => [{ kind: 'timestamps', tsval, tsecr }];
    const a = seg({ seq: 0xffffffff, headerLen: 32, ipLen: 52, frameLen: 66, options: ts(0xffffffff, 0) });
    roundTrip([
      a,
      reply(a, { frame: 2, flags: SYN | ACK, seq: 0, ack: 0, headerLen: 32, ipLen: 52, frameLen: 66, options: ts(0, 0xffffffff) }),
      seg({ frame: 3, flags: ACK, seq: 0, ack: 0xffffffff, headerLen: 32, ipLen: 52, frameLen: 66, options: ts(5, 0) }),
      seg({ frame: 4, flags: ACK, seq: 0, ack: 1, headerLen: 32, ipLen: 52, frameLen: 66, options: ts(1, 0xfffffffe) }),
      // Two timestamps in one header, and a lone timestamps option whose header is not Linux's 32 bytes.
      seg({ frame: 5, flags: ACK | FIN, seq: 0, ack: 1, headerLen: 44, ipLen: 64, frameLen: 78, options: [...ts(9, 9), ...ts(3, 3)] }),
      seg({ frame: 6, flags: ACK, seq: 1, ack: 1, headerLen: 40, ipLen: 60, frameLen: 74, options: ts(2, 2) }),
    ]);
  });

  it('keeps a long log, past the one-char count', () => {
    const first = seg();
    const segs: Segment[] = [first];
    for (let i = 1; i < 300; i++) {
      const over = { frame: i * 1000 + 1, sec: 1_700_000_000 + i, nsec: (i * 7919) % 1_000_000_000, flags: ACK, seq: i * 1448, ack: 1, payloadLen: 1448, ipLen: 1488, frameLen: 1502 };
      segs.push(i % 3 === 0 ? reply(first, over) : seg(over));
    }
    const log = roundTrip(segs);
    expect(packedCount(log)).toBe(300);
  });

  it.each<[string, Partial<Segment>]>([
    ['a malformed option list', { optionsError: 'MSS option at TCP header offset 20: length 3, expected 4' }],
    ['a negative number', { window: -1 }],
    ['a fractional number', { sec: 1.5 }],
    ['NaN', { nsec: Number.NaN }],
    ['negative zero', { urgent: -0 }],
    ['a number past 2^53', { frame: 2 ** 53 }],
    ['a seq past 32 bits', { seq: 2 ** 32 }],
    ['an ack past 32 bits', { ack: 2 ** 32 + 1 }],
    ['an IP version neither 4 nor 6', { ipVersion: 5 as 4 }],
    ['a TFO cookie in upper case', { options: [{ kind: 'tfo', cookie: 'ABCD' }] }],
    ['a TFO cookie of odd length', { options: [{ kind: 'tfo', cookie: 'abc' }] }],
    ['a TFO cookie not hex', { options: [{ kind: 'tfo', cookie: 'zz' }] }],
    ['a SACK edge past 32 bits', { options: [{ kind: 'sack', blocks: [[1, 2 ** 32]] }] }],
    ['a fractional tsval', { options: [{ kind: 'timestamps', tsval: 0.5, tsecr: 0 }] }],
    ['a negative MSS', { options: [{ kind: 'mss', value: -1460 }] }],
    ['an option kind it does not know', { options: [{ kind: 'md5' } as unknown as TcpOption] }],
  ])('declines %s', (_, over) => {
    const first = seg();
    const log = packSegment('', first, true)!;
    expect(packSegment('', seg(over), true)).toBeUndefined();
    expect(packSegment(log, seg({ frame: 2, ...over }), true)).toBeUndefined();
    // The log it was offered is still whole.
    expectSame(unpackSegments(log, first.src, first.srcPort, first.dst, first.dstPort), [first]);
  });
});

/** Chars of a log's count and records, without its tail (the references for the next append, ~15-25 chars once per log). */
function recordChars(log: string): number {
  return log.length - (log.charCodeAt(log.length - 1) + 1);
}

describe('size', () => {
  it('packs a Linux handshake, an ACK and a reset into a few bytes each', async () => {
    // A kernel's SYN as decoded: mss 1460, sack-permitted, timestamps, nop, wscale
    // (10 in these recordings; 7 on a smaller host costs the same byte).
    const [syn, synAck, ack] = await segmentsOf('captures/normal-close-client.pcap');
    expect(syn!.options.map((o) => o.kind)).toEqual(['mss', 'sack-permitted', 'timestamps', 'wscale']);
    expect(syn!.options).toContainEqual({ kind: 'mss', value: 1460 });
    expect(syn!.headerLen).toBe(40);
    const one = roundTrip([syn!]);
    expect(recordChars(one)).toBe(36);
    expect(one.length).toBe(61); // with its 25-char tail
    const shift7 = { ...syn!, options: syn!.options.map((o): TcpOption => (o.kind === 'wscale' ? { kind: 'wscale', shift: 7 } : o)) };
    expect(recordChars(roundTrip([shift7]))).toBe(36);
    const three = roundTrip([syn!, synAck!, ack!]);
    // The bare ACK's record: its seq, ack and timestamps are a byte each from the handshake.
    expect(recordChars(three) - recordChars(roundTrip([syn!, synAck!]))).toBe(12);

    const [refusedSyn, rst] = await segmentsOf('captures/refused.pcap');
    expect(rst!.flags).toBe(RST | ACK);
    expect(recordChars(roundTrip([refusedSyn!, rst!])) - recordChars(roundTrip([refusedSyn!]))).toBe(10);
  });

  it('stays under 20 bytes a segment over the committed captures', async () => {
    let segments = 0;
    let bytes = 0;
    for (const path of CAPTURES) {
      const logs = new Map<string, { a: Segment; log: string }>();
      for (const s of await segmentsOf(path)) {
        const key = flowKey(s);
        let flow = logs.get(key);
        if (flow === undefined) logs.set(key, (flow = { a: s, log: '' }));
        flow.log = packSegment(flow.log, s, s.src === flow.a.src && s.srcPort === flow.a.srcPort)!;
        segments++;
      }
      for (const { log } of logs.values()) bytes += recordChars(log);
    }
    expect(bytes / segments).toBeLessThan(20);
  });
});

describe('packedCount', () => {
  it('is 0 for the empty log and agrees with unpackSegments', () => {
    expect(packedCount('')).toBe(0);
    expect(unpackSegments('', 'a', 1, 'b', 2)).toEqual([]);
    let log = '';
    const first = seg();
    for (let i = 1; i <= 130; i++) {
      log = packSegment(log, seg({ frame: i, flags: i === 1 ? SYN : ACK | FIN }), true)!;
      expect(packedCount(log)).toBe(i);
      expect(unpackSegments(log, first.src, first.srcPort, first.dst, first.dstPort)).toHaveLength(i);
    }
  });
});

describe('packFlow', () => {
  it('gives back the header and the log it was given, flat', () => {
    const log = packSegment('', seg(), true)!;
    for (const header of [
      { id: 1, previous: undefined, aAddr: '10.0.0.1', aPort: 40000, bAddr: '10.0.0.2', bPort: 80 },
      { id: 2 ** 40 + 3, previous: { id: 2 ** 40, endTime: 1_800_000_000.123456 }, aAddr: '2001:db8:ffff:ffff:ffff:ffff:ffff:fffe', aPort: 65535, bAddr: '::1', bPort: 0 },
    ]) {
      const text = packFlow(header, log);
      expect(unpackFlow(text)).toStrictEqual({ header, log, state: false });
      expect(unpackSegments(unpackFlow(text).log, header.aAddr, header.aPort, header.bAddr, header.bPort)).toHaveLength(1);
    }
    expect(unpackFlow(packFlow({ id: 5, previous: undefined, aAddr: 'a', aPort: 1, bAddr: 'b', bPort: 2 }, '')).log).toBe('');
  });

  it('keeps an extra string after the log and gives both back apart, with or without a previous incarnation', () => {
    const log = packSegment('', seg(), true)!;
    // A done flow's record rides here (tcp/compact.ts): any latin1 text, newlines and all, of any length.
    const extra = `us 12.5 NaN 10 1 0 9\n${JSON.stringify({ id: 1, message: 'é § ×' }).repeat(200)}`;
    for (const previous of [undefined, { id: 3, endTime: 4.5 }]) {
      const header = { id: 9, previous, aAddr: '10.0.0.1', aPort: 40000, bAddr: '10.0.0.2', bPort: 80 };
      expect(unpackFlow(packFlow(header, log, extra))).toStrictEqual({ header, log, state: false, extra });
      expect(unpackFlow(packFlow(header, '', extra))).toStrictEqual({ header, log: '', state: false, extra });
    }
  });

  it('says when the log is the flow\'s state rather than its segments, and keeps it whole', () => {
    // A long done flow's snapshot rides in the log's place (tcp/compact.ts): any latin1 text.
    const state = Array.from({ length: 3000 }, (_, i) => String.fromCharCode(i % 256)).join('');
    for (const previous of [undefined, { id: 3, endTime: 4.5 }]) {
      const header = { id: 9, previous, aAddr: '10.0.0.1', aPort: 40000, bAddr: '10.0.0.2', bPort: 80 };
      expect(unpackFlow(packFlow(header, state, undefined, true))).toStrictEqual({ header, log: state, state: true });
      expect(unpackFlow(packFlow(header, state))).toStrictEqual({ header, log: state, state: false });
    }
  });
});
