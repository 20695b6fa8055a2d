/**
 * One connection's cost does not grow with its retransmissions: a flow of
 * one SYN sent 5,000 times keeps the first SYNs and the latest (KEPT_SYNS),
 * counts them all, and prints a bounded record. Before, every SYN's frame,
 * time and timestamp were kept and listed (a capture of 2 M repeated SYNs
 * took 493 MB and printed a 12 MB line).
 */

import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../src/analyze.ts';
import { KEPT_SYNS } from '../../src/tcp/endpoint.ts';
import { pcapFile, type PcapRecordSpec } from '../capture/build.ts';

/** A pcap of `n` identical SYNs 10.0.0.1:40000 → 10.0.0.2:80, one a millisecond, then (answered) a SYN-ACK and the ACK. */
function repeatedSyns(n: number, answered: boolean): Buffer {
  const records: PcapRecordSpec[] = [];
  const segment = (fromClient: boolean, flags: number, seq: number, ack: number): void => {
    const i = records.length;
    const f = Buffer.alloc(54);
    f.writeUInt16BE(0x0800, 12);
    const ip = 14;
    f[ip] = 0x45;
    f.writeUInt16BE(40, ip + 2);
    f[ip + 8] = 64;
    f[ip + 9] = 6;
    f.writeUInt32BE(fromClient ? 0x0a000001 : 0x0a000002, ip + 12);
    f.writeUInt32BE(fromClient ? 0x0a000002 : 0x0a000001, ip + 16);
    const t = ip + 20;
    f.writeUInt16BE(fromClient ? 40000 : 80, t);
    f.writeUInt16BE(fromClient ? 80 : 40000, t + 2);
    f.writeUInt32BE(seq, t + 4);
    f.writeUInt32BE(ack, t + 8);
    f[t + 12] = 0x50;
    f[t + 13] = flags;
    f.writeUInt16BE(64240, t + 14);
    records.push({ sec: 1_700_000_000 + Math.floor(i / 1000), frac: (i % 1000) * 1000, data: f });
  };
  for (let k = 0; k < n; k++) segment(true, 0x02, 1000, 0);
  if (answered) {
    segment(false, 0x12, 5000, 1001);
    segment(true, 0x10, 1001, 5001);
  }
  return pcapFile({ snaplen: 65535 }, records);
}

async function analyse(bytes: Buffer) {
  return analyzeFiles(['-'], { stdin: Readable.from([bytes]) });
}

describe('a SYN repeated 5,000 times', () => {
  it('is counted whole, listed in part: syns, the unanswered message, the gaps', async () => {
    const r = await analyse(repeatedSyns(5000, false));
    const f = r.flows[0]!;
    expect(f.handshake.kind).toBe('unanswered');
    expect(f.handshake.syns).toBe(5000);
    expect(f.client.frames).toBe(5000);
    // The gaps between the first SYNs kept, 1 ms each; not one per SYN.
    expect(f.handshake.syn_gaps_s.length).toBe(KEPT_SYNS - 2);
    expect(f.handshake.syn_gaps_s.every((g) => g === 0.001)).toBe(true);
    const unanswered = f.anomalies.find((a) => a.code === 'syn-unanswered');
    expect(unanswered?.message).toMatch(/never answered 5000 SYNs sent over 5\.00 s|never answered 5000 SYNs sent over 4\.999 s/);
    expect(JSON.stringify(f).length).toBeLessThan(20_000);
  });

  it('still measures the RTT from the SYN that was answered (the latest)', async () => {
    const r = await analyse(repeatedSyns(300, true));
    const f = r.flows[0]!;
    expect(f.handshake.kind).toBe('three-way');
    expect(f.handshake.syns).toBe(300);
    // SYN-ACK and ACK 1 ms apart each after the last SYN: the RTT is 2 ms, not 301.
    expect(f.handshake.rtt_ms).toBe(2);
  });

  it('a few SYNs (any real stack\'s retransmissions) are all listed, as before', async () => {
    const r = await analyse(repeatedSyns(7, false));
    expect(r.flows[0]!.handshake.syn_gaps_s).toEqual([0.001, 0.001, 0.001, 0.001, 0.001, 0.001]);
  });
});
