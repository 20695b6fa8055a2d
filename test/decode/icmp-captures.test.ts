/**
 * The ICMP errors of captures/icmp/ (captures/record-icmp.sh: real kernel
 * sockets, a router namespace between client and server), as decodeFrame
 * finds them. The expected values are what `tshark -r NAME.pcap -o
 * tcp.relative_sequence_numbers:FALSE -Y 'icmp or icmpv6'` reported for each
 * (frame.number, icmp(v6).type/code/mtu, the outer and quoted ip(v6).src/dst,
 * ip.ttl / ipv6.hlim, ip.len / ipv6.plen, tcp.srcport/dstport/seq/ack/flags),
 * written in by hand; tshark is not run here.
 */

import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame.ts';
import { readCapture } from '../../src/capture/open.ts';
import type { IcmpError } from '../../src/decode/icmp.ts';
import { decodeFrame } from '../../src/decode/index.ts';
import { ACK, PSH, SYN } from '../../src/decode/segment.ts';
import type { Segment } from '../../src/decode/segment.ts';

const C4 = '10.98.1.1';
const S4 = '10.98.2.1';
const R4C = '10.98.1.254'; // the router on the client's link
const R4S = '10.98.2.254'; // the router on the server's link
const C6 = 'fd00:98:1::1';
const S6 = 'fd00:98:2::1';
const R6C = 'fd00:98:1::fe';
const R6S = 'fd00:98:2::fe';

async function errors(name: string): Promise<{ frames: number; icmp: IcmpError[]; skipped: Map<string, number>; segments: Segment[] }> {
  const all: Frame[] = [];
  for await (const batch of readCapture(`captures/icmp/${name}.pcap`, 0).batches()) all.push(...batch);
  const icmp: IcmpError[] = [];
  const skipped = new Map<string, number>();
  const segments: Segment[] = [];
  for (const f of all) {
    const r = decodeFrame(f);
    if (r.ok) {
      segments.push(r.segment);
      continue;
    }
    skipped.set(r.skip, (skipped.get(r.skip) ?? 0) + 1);
    if (r.icmp !== undefined) icmp.push(r.icmp);
  }
  return { frames: all.length, icmp, skipped, segments };
}

/** One error as tshark shows it: frame, type, code, MTU, sender → receiver, quoted src → dst, ports, seq, flags, TTL, IP length. */
type Row = readonly [
  frame: number, type: number, code: number, name: string, mtu: number | undefined, from: string, to: string,
  quoted: readonly [src: string, dst: string, srcPort: number, dstPort: number, seq: number, ack: number, flags: number, ttl: number, ipLen: number, payloadLen: number],
];

/** A SYN's quote: ack 0, flags SYN, no payload, IPv4 60 / IPv6 80 bytes. */
const syn = (src: string, dst: string, srcPort: number, dstPort: number, seq: number, ttl: number) =>
  [src, dst, srcPort, dstPort, seq, 0, SYN, ttl, src.includes(':') ? 80 : 60, 0] as const;

const CASES: readonly (readonly [name: string, errno: string | undefined, rows: readonly Row[]])[] = [
  ['port-unreachable-ipv4', 'ECONNREFUSED', [[2, 3, 3, 'port-unreachable', undefined, S4, C4, syn(C4, S4, 57416, 9701, 3435892540, 63)]]],
  ['port-unreachable-ipv6', 'ECONNREFUSED', [[2, 1, 4, 'port-unreachable', undefined, S6, C6, syn(C6, S6, 58186, 9701, 3812485094, 63)]]],
  // Everything on one CPU: the first ICMP came while connect() held the socket (a soft error), the SYN went again a second later.
  ['port-unreachable-locked-ipv4', 'ECONNREFUSED', [2, 4].map((n) => [n, 3, 3, 'port-unreachable', undefined, S4, C4, syn(C4, S4, 52284, 9708, 3799548542, 63)] as const)],
  ['port-unreachable-locked-ipv6', 'ECONNREFUSED', [2, 4].map((n) => [n, 1, 4, 'port-unreachable', undefined, S6, C6, syn(C6, S6, 58562, 9708, 1777655888, 63)] as const)],
  ['admin-prohibited-ipv4', 'EHOSTUNREACH', [[2, 3, 13, 'admin-prohibited', undefined, R4C, C4, syn(C4, S4, 46984, 9702, 2229316834, 63)]]],
  // ICMPv6 admin prohibited is EACCES in Linux (tab_unreach), not EHOSTUNREACH: the errno.txt beside the capture says so.
  ['admin-prohibited-ipv6', 'EACCES', [[2, 1, 1, 'admin-prohibited', undefined, R6C, C6, syn(C6, S6, 58390, 9702, 1212042592, 63)]]],
  // The router's ARP / ND for 10.98.2.77 failed after 3 s; it answers each of the 3 SYNs it had queued.
  ['host-unreachable-ipv4', 'EHOSTUNREACH', [4, 5, 6].map((n) => [n, 3, 1, 'host-unreachable', undefined, R4C, C4, syn(C4, '10.98.2.77', 48266, 9703, 3015433420, 63)] as const)],
  ['host-unreachable-ipv6', 'EHOSTUNREACH', [4, 5, 6].map((n) => [n, 1, 3, 'address-unreachable', undefined, R6C, C6, syn(C6, 'fd00:98:2::77', 53964, 9703, 2789995878, 63)] as const)],
  // No route: the router refuses before it decrements the TTL.
  ['net-unreachable-ipv4', 'ENETUNREACH', [[2, 3, 0, 'net-unreachable', undefined, R4C, C4, syn(C4, '10.98.9.1', 47764, 9704, 4114716285, 64)]]],
  ['net-unreachable-ipv6', 'ENETUNREACH', [[2, 1, 0, 'no-route', undefined, R6C, C6, syn(C6, 'fd00:98:9::1', 48044, 9704, 859689082, 64)]]],
  ['time-exceeded-ipv4', 'EHOSTUNREACH', [[2, 11, 0, 'ttl-exceeded', undefined, R4C, C4, syn(C4, S4, 43686, 9707, 3231270159, 1)]]],
  ['time-exceeded-ipv6', 'EHOSTUNREACH', [[2, 3, 0, 'hop-limit-exceeded', undefined, R6C, C6, syn(C6, S6, 35800, 9707, 1727142073, 1)]]],
  // Captured at the server: each of the first 10 full-size segments (1448 bytes of payload) refused by the router's 1280-byte link.
  ['packet-too-big-ipv4', undefined, [11, 12, 13, 14, 15, 21, 22, 23, 24, 25].map((n, i) =>
    [n, 3, 4, 'fragmentation-needed', 1280, R4S, S4, [S4, C4, 9705, 43362, 2152935283 + 1448 * i, 1610758758, i % 5 === 4 ? ACK | PSH : ACK, 64, 1500, 1448]] as const)],
  ['packet-too-big-ipv6', undefined, [11, 12, 13, 14, 15, 21, 22, 23, 24, 25].map((n, i) =>
    [n, 2, 0, 'packet-too-big', 1280, R6S, S6, [S6, C6, 9705, 38112, 954569688 + 1428 * i, 1164386843, i % 5 === 4 ? ACK | PSH : ACK, 64, 1500, 1428]] as const)],
];

describe('the ICMP errors of captures/icmp/, as tshark reads them', () => {
  it.each(CASES)('%s', async (name, _errno, rows) => {
    const { icmp, skipped } = await errors(name);
    expect(icmp.map((e) => e.frame)).toEqual(rows.map((r) => r[0]));
    // Every ICMP frame of these captures is an error about the connection: skipped as ICMP as before, none lost.
    expect(skipped).toEqual(new Map([[name.endsWith('ipv4') ? 'ICMP' : 'ICMPv6', rows.length]]));
    icmp.forEach((e, i) => {
      const [frame, type, code, codeName, mtu, from, to, q] = rows[i]!;
      const [src, dst, srcPort, dstPort, seq, ack, flags, ttl, ipLen, payloadLen] = q;
      expect(e).toMatchObject({ frame, type, code, name: codeName, mtu, src: from, dst: to });
      expect(e.quoted).toEqual({
        ipVersion: name.endsWith('ipv4') ? 4 : 6, src, dst, srcPort, dstPort, seq, ack, flags, ttl, ipLen, payloadLen,
        tcpQuoted: e.quoted.tcpQuoted,
      });
      // Linux quotes the whole TCP header and more: 576 bytes of IPv4 at most, 1280 of IPv6.
      expect(e.quoted.tcpQuoted).toBeGreaterThanOrEqual(20);
    });
  });

  it.each([
    ['pmtu-black-hole-ipv4', S4, 1448],
    ['pmtu-black-hole-ipv6', S6, 1428],
  ] as const)('%s: the router\'s ICMP was dropped: none in the capture, the first full-size segment sent 5 times', async (name, server, mss) => {
    const { frames, icmp, skipped, segments } = await errors(name);
    expect([frames, icmp.length, skipped.size]).toEqual([20, 0, 0]);
    const full = segments.filter((s) => s.src === server && s.payloadLen === mss);
    const first = full[0]!.seq;
    expect(full.filter((s) => s.seq === first)).toHaveLength(5);
  });

  it('each code\'s errno is the one Linux gave the application (captures/icmp/*.errno.txt)', async () => {
    const { readFileSync } = await import('node:fs');
    for (const [name, errno, rows] of CASES) {
      const { icmp } = await errors(name);
      expect(icmp[0]!.errno).toBe(errno);
      const said = readFileSync(`captures/icmp/${name}.errno.txt`, 'utf8');
      // Packet too big gives no errno: the server resent smaller and the client read everything.
      if (errno !== undefined) expect(said).toContain(`connect: ${errno} after`);
      else expect([rows[0]![4], said]).toEqual([1280, expect.stringContaining('read 32768 bytes: EOF')]);
    }
  });
});
