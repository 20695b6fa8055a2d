import { describe, expect, it } from 'vitest';
import { decodeIpv4, formatIpv4 } from '../../src/decode/ipv4.ts';
import { decodeFrame } from '../../src/decode/index.ts';
import { LINKTYPE_EN10MB, LINKTYPE_RAW } from '../../src/capture/linktypes.ts';
import { EN10MB_SYN, ETH_IPV4, frame, hex, IPV4_ACK_DATA, IPV4_SYN, IPV4_SYN_HEADER, patch, TCP_SYN } from './fixtures.ts';

function bad(b: Buffer, at = 0): string {
  const r = decodeIpv4(b, at);
  expect(r.ok).toBe(false);
  if (r.ok) throw new Error('unreachable');
  expect(r.error.kind).toBe('bad IPv4 header');
  return r.error.message;
}

function decoded(b: Buffer, at = 0, wireLen?: number) {
  const r = decodeIpv4(b, at, wireLen);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** A raw IPv4 packet with the given header (checksum left 0: synfin does not verify it) and payload. */
function rawFrame(header: Buffer, payload: Buffer = TCP_SYN) {
  return decodeFrame(frame(LINKTYPE_RAW, Buffer.concat([header, payload])));
}

describe('decodeIpv4', () => {
  it('decodes the real loopback SYN header', () => {
    expect(decoded(EN10MB_SYN, 14)).toEqual({
      src: '127.0.0.1',
      dst: '127.0.0.1',
      headerLen: 20,
      totalLen: 60,
      id: 0x16ca,
      ttl: 64,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      protocol: 6,
      payloadAt: 34,
      end: 74,
      truncated: false,
    });
  });

  it('skips over options (IHL 6: Router Alert)', () => {
    const header = hex('46 00 0040 0001 0000 40 06 0000 c0000201 c6336402', '94040000'); // total 64 = 24 + 40
    const h = decoded(Buffer.concat([header, TCP_SYN]));
    expect(h).toMatchObject({ headerLen: 24, payloadAt: 24, end: 64, src: '192.0.2.1', dst: '198.51.100.2' });
    const r = rawFrame(header);
    expect(r.ok && r.segment).toMatchObject({ src: '192.0.2.1', srcPort: 34048, headerLen: 40, payloadLen: 0 });
  });

  it('skips over the largest header (IHL 15, 40 bytes of options)', () => {
    const header = Buffer.concat([hex('4f 00 0064 0001 0000 40 06 0000 0a000001 0a000002'), Buffer.alloc(40, 1)]);
    expect(decoded(Buffer.concat([header, TCP_SYN]))).toMatchObject({ headerLen: 60, payloadAt: 60, end: 100 });
    const r = rawFrame(header);
    expect(r.ok && r.segment.payloadLen).toBe(0);
  });

  it('takes the end from the total length, not the captured bytes (Ethernet padding)', () => {
    const padded = Buffer.concat([ETH_IPV4, hex('4500 0028 0001 0000 4006 0000 0a000001 0a000002'),
      hex('1388 0050 00000001 00000000 5010 0200 0000 0000'), Buffer.alloc(6)]); // 60-byte minimum frame
    expect(decoded(padded, 14)).toMatchObject({ end: 54, truncated: false });
    const r = decodeFrame(frame(LINKTYPE_EN10MB, padded));
    expect(r.ok && r.segment).toMatchObject({ payloadLen: 0, truncated: false });
  });

  it('flags a packet cut by the snaplen, keeping its length', () => {
    expect(decoded(IPV4_ACK_DATA.subarray(0, 60))).toMatchObject({ totalLen: 140, end: 140, truncated: true });
  });

  it('takes the length from the wire when the total length is 0 (segmentation offload)', () => {
    const tso = patch(IPV4_ACK_DATA, 2, [0, 0]);
    expect(decoded(tso)).toMatchObject({ totalLen: 140, end: 140, truncated: false });
    expect(decoded(tso.subarray(0, 60), 0, 140)).toMatchObject({ totalLen: 140, truncated: true });
    const r = decodeFrame(frame(LINKTYPE_EN10MB, Buffer.concat([ETH_IPV4, tso.subarray(0, 80)]), 154));
    expect(r.ok && r.segment).toMatchObject({ payloadLen: 100, truncated: true });
  });

  it('walks an Authentication Header (RFC 4302 transport mode)', () => {
    const ah = hex('06 04 0000', '00000100 00000001', '0123456789abcdef01234567'); // next TCP, len (4+2)*4 = 24
    const header = hex('4500 0054 0001 4000 4033 0000 0a000001 0a000002'); // proto 51, total 20+24+40 = 84
    const h = decoded(Buffer.concat([header, ah, TCP_SYN]));
    expect(h).toMatchObject({ protocol: 6, payloadAt: 44, end: 84 });
    const r = rawFrame(header, Buffer.concat([ah, TCP_SYN]));
    expect(r.ok && r.segment).toMatchObject({ srcPort: 34048, payloadLen: 0 });
    expect(bad(Buffer.concat([patch(header, 2, [0, 30]), ah]))).toMatch(/AH header .*runs past total length 30/);
  });

  it.each([
    ['version 6', patch(IPV4_SYN, 0, [0x65]), /version 6 in an IPv4 packet/],
    ['IHL 4', patch(IPV4_SYN, 0, [0x44]), /IHL 4 < 5/],
    ['IHL 0', patch(IPV4_SYN, 0, [0x40]), /IHL 0 < 5/],
    ['total length < IHL*4', patch(IPV4_SYN, 2, [0, 19]), /total length 19 < header length 20/],
    ['total length < IHL*4 with options', patch(IPV4_SYN, 0, [0x46, 0, 0, 23]), /total length 23 < header length 24/],
    ['fixed header cut', IPV4_SYN.subarray(0, 19), /truncated: header needs 20 bytes, 19 captured/],
    ['options cut', patch(IPV4_SYN, 0, [0x4f]).subarray(0, 40), /needs 60 bytes, 40 captured/],
  ])('rejects %s', (_, b, message) => {
    expect(bad(b)).toMatch(message);
  });

  it('never reads before its offset or throws on an empty buffer', () => {
    expect(bad(Buffer.alloc(0))).toMatch(/0 captured/);
    expect(bad(IPV4_SYN, 59)).toMatch(/1 captured/);
  });
});

describe('fragments are skipped, never read as TCP', () => {
  it('MF set, offset 0 (the first fragment, which does hold the TCP header)', () => {
    const r = rawFrame(patch(IPV4_SYN_HEADER, 6, [0x20, 0x00]));
    expect(r).toEqual({ ok: false, skip: 'IPv4 fragment', detail: 'id 0x16ca offset 0 MF' });
  });

  it('offset set, MF clear (the last fragment)', () => {
    const r = rawFrame(patch(IPV4_SYN_HEADER, 6, [0x00, 0xb9])); // 185 × 8 = 1480
    expect(r).toEqual({ ok: false, skip: 'IPv4 fragment', detail: 'id 0x16ca offset 1480' });
  });

  it('offset and MF (a middle fragment), whatever the protocol', () => {
    const udp = patch(IPV4_SYN_HEADER, 6, [0x20, 0xb9, 64, 17]);
    expect(rawFrame(udp)).toMatchObject({ ok: false, skip: 'IPv4 fragment' });
  });

  it('DF alone is not a fragment', () => {
    expect(rawFrame(IPV4_SYN_HEADER).ok).toBe(true);
  });
});

describe('non-TCP protocols are skipped by name', () => {
  it.each([
    [1, 'ICMP'], [2, 'IGMP'], [17, 'UDP'], [50, 'ESP'], [132, 'SCTP'], [58, 'ICMPv6'],
    [89, 'OSPF'], [103, 'PIM'], [112, 'VRRP'], [136, 'UDPLite'],
    [99, 'IP proto 99'], [0, 'IP proto 0'], [255, 'IP proto 255'],
  ])('protocol %i is %s', (protocol, name) => {
    expect(rawFrame(patch(IPV4_SYN_HEADER, 9, [protocol]))).toEqual({ ok: false, skip: name });
  });
});

describe('formatIpv4', () => {
  it('prints a dotted quad at any offset', () => {
    expect(formatIpv4(hex('ff 00 0a ff 00 01'), 1)).toBe('0.10.255.0');
  });
});
