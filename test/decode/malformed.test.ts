import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { readCapture } from '../../src/capture/open.ts';
import { decodeFastPath } from '../../src/decode/fast-path.ts';
import { decodeFrame, decodeFrameByLayers } from '../../src/decode/index.ts';
import { LINKTYPE_EN10MB } from '../../src/capture/linktypes.ts';
import { formatCsv } from '../../src/report/csv.ts';
import { explainAccount } from '../../src/report/explain.ts';
import { formatText } from '../../src/report/text.ts';
import { ETH_IPV4, frame, IPV4_ACK_DATA } from './fixtures.ts';

/** Ethernet + IPv4 + TCP (20) + 100 bytes of payload: 154 bytes on the wire, IPv4 total length 140. */
const WHOLE = Buffer.concat([ETH_IPV4, IPV4_ACK_DATA]);

describe('an IP length past the frame\'s length on the wire', () => {
  it('is a whole segment when the frame holds all it claims', () => {
    const r = decodeFrame(frame(LINKTYPE_EN10MB, WHOLE));
    expect(r).toMatchObject({ ok: true, segment: { payloadLen: 100, truncated: false } });
    expect(r.ok && 'missingLen' in r.segment).toBe(false);
  });

  it('a frame sliced after 40 payload bytes (the wire length says so): 60 bytes missing, the sequence space kept', () => {
    const sliced = WHOLE.subarray(0, 14 + 20 + 20 + 40);
    const r = decodeFrame(frame(LINKTYPE_EN10MB, sliced));
    expect(r).toMatchObject({ ok: true, segment: { payloadLen: 100, ipLen: 140, frameLen: 94, truncated: true, missingLen: 60 } });
    // The one-pass decoder leaves it to the general path, which says it.
    expect(decodeFastPath(frame(LINKTYPE_EN10MB, sliced))).toBeUndefined();
    expect(decodeFrameByLayers(frame(LINKTYPE_EN10MB, sliced))).toEqual(r);
  });

  it('no payload on the wire at all: every claimed byte missing', () => {
    const r = decodeFrame(frame(LINKTYPE_EN10MB, WHOLE.subarray(0, 54)));
    expect(r).toMatchObject({ ok: true, segment: { payloadLen: 100, missingLen: 100 } });
  });

  it('a snaplen cut is not one: those bytes were on the wire', () => {
    const r = decodeFrame(frame(LINKTYPE_EN10MB, WHOLE.subarray(0, 64), WHOLE.length));
    expect(r).toMatchObject({ ok: true, segment: { payloadLen: 100, frameLen: 154, truncated: true } });
    expect(r.ok && 'missingLen' in r.segment).toBe(false);
  });

  it('both: cut by the snaplen, and claiming more than the wire carried', () => {
    // 120 bytes on the wire (66 of payload), 64 captured, 100 claimed: 34 never on the wire.
    const r = decodeFrame(frame(LINKTYPE_EN10MB, WHOLE.subarray(0, 64), 120));
    expect(r).toMatchObject({ ok: true, segment: { payloadLen: 100, frameLen: 120, truncated: true, missingLen: 34 } });
  });

  it('a zero IPv4 total length (segmentation offload) takes the wire length: nothing missing', () => {
    const offload = Buffer.from(WHOLE);
    offload.writeUInt16BE(0, 14 + 2);
    const r = decodeFrame(frame(LINKTYPE_EN10MB, offload.subarray(0, 64), offload.length));
    expect(r).toMatchObject({ ok: true, segment: { payloadLen: 100, truncated: true } });
    expect(r.ok && 'missingLen' in r.segment).toBe(false);
  });
});

/**
 * captures/malformed/*.pcap (captures/malformed.py): the connection of
 * encap.py, 10.99.0.1:40100 → 10.99.0.2:80, handshake, 100 bytes each way
 * (frames 4 and 5), FIN/ACK close, with one frame damaged.
 */
const flowOf = async (name: string) => {
  const r = await analyzeFile(`captures/malformed/${name}.pcap`);
  expect(r.flows).toHaveLength(1);
  return { r, f: r.flows[0]! };
};

describe('captures whose IP length claims bytes the frame never carried', () => {
  it.each([
    // name, client payload bytes counted, missing bytes, IP version, the length field's words
    ['ip-length-partial', 40, 60, 'IPv4 total length 140'],
    ['ip-length-no-payload', 0, 29_440, 'IPv4 total length 29492'],
    ['ip-length-snaplen', 246, 754, 'IPv4 total length 1040'],
    ['ipv6-length-partial', 40, 60, 'IPv6 payload length 120'],
  ] as const)('%s.pcap: counts the bytes present, names the missing ones, replays the claimed ones', async (name, payload, missing, field) => {
    const { r, f } = await flowOf(name);
    expect(r.summary).toMatchObject({ frames: 8, tcp_segments: 8, skipped: {}, anomalies: { 'ip-length-exceeds-frame': 1 } });
    expect(f.client).toMatchObject({ frames: 5, payload_bytes: payload });
    expect(f.server).toMatchObject({ frames: 3, payload_bytes: 100 });
    // The server acknowledges every claimed byte: the replay saw them take their sequence space, so no gap.
    expect(f.anomalies.map((a) => a.code)).toEqual(['ip-length-exceeds-frame']);
    expect(f.anomalies[0]).toMatchObject({ severity: 'warning', side: 'client', frame: 4, details: { bytes: missing } });
    expect(f.anomalies[0]!.message).toContain(`frame 4 `);
    expect(f.anomalies[0]!.message).toContain(`${field} claims ${missing} payload bytes more`);
    expect(f.handshake.kind).toBe('three-way');
    expect(f.close.kind).toBe('three-segment');
    expect([f.client.final_state, f.server.final_state]).toEqual(['TIME_WAIT', 'CLOSED']);
    // Zeek drops such a packet before TCP sees it (IP.cc, truncated_IP_len): 4 client packets, not 5.
    expect(f.zeek[0]).toMatchObject({ orig_pkts: 4, conn_state: 'SF' });
  });

  it('the 66-byte frame: tcpdump\'s seq 1:29441 in the events, 0 payload bytes in every format', async () => {
    const r = await analyzeFile('captures/malformed/ip-length-no-payload.pcap', { events: true });
    const f = r.flows[0]!;
    expect(f.events![3]).toMatchObject({ frame: 4, seq: 1, len: 29_440, notes: ['ip-length-exceeds-frame'] });
    expect(f.events![4]).toMatchObject({ frame: 5, ack: 29_441, notes: [] });
    expect(formatCsv(r).split('\n')[1]).toMatch(/,0,100,/);
    expect(formatText(r)).toContain('0/100');
  });

  it('a snaplen cut alone keeps counting the bytes that were on the wire (the server\'s 100 of ip-length-partial)', async () => {
    const { f } = await flowOf('ip-length-partial');
    expect(f.server).toMatchObject({ payload_bytes: 100, frame_bytes: 54 + 54 + 154 });
    expect(f.anomalies.every((a) => a.side === 'client')).toBe(true);
    expect(explainAccount(f).next.join(' ')).toContain('Frame 4 claimed 60 bytes more in the IP length than it carried on the wire');
  });
});

describe('headers tshark calls malformed are skipped by name', () => {
  it.each([
    ['tcp-offset-beyond', 'bad TCP header', 'header length 60 exceeds IP payload 20'],
    ['tcp-offset-under-5', 'bad TCP header', 'data offset 3 < 5'],
    ['ipv4-ihl-under-5', 'bad IPv4 header', 'IHL 4 < 5'],
    ['ipv4-length-under-header', 'bad IPv4 header', 'total length 16 < header length 20'],
    ['tcp-header-cut', 'truncated TCP header', '12 of 20 fixed header bytes captured'],
  ] as const)('%s.pcap: frame 6 skipped as %s; the connection around it intact', async (name, reason, detail) => {
    const { r, f } = await flowOf(name);
    expect(r.summary).toMatchObject({ frames: 9, tcp_segments: 8, skipped: { [reason]: 1 }, anomalies: {} });
    expect(f.client).toMatchObject({ frames: 5, payload_bytes: 100 });
    expect(f.server).toMatchObject({ frames: 3, payload_bytes: 100 });
    expect(f.close.kind).toBe('three-segment');
    for await (const batch of readCapture(`captures/malformed/${name}.pcap`, 0).batches()) {
      const sixth = batch.find((fr) => fr.number === 6);
      if (sixth !== undefined) expect(decodeFrame(sixth)).toMatchObject({ ok: false, skip: reason, detail: expect.stringContaining(detail) });
    }
  });
});
