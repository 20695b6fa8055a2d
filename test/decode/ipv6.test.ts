import { describe, expect, it } from 'vitest';
import { decodeIpv6, formatIpv6 } from '../../src/decode/ipv6.ts';
import { decodeFrame } from '../../src/decode/index.ts';
import { LINKTYPE_EN10MB, LINKTYPE_RAW } from '../../src/capture/linktypes.ts';
import { ETH_IPV6, frame, hex, IPV6_SYN, patch } from './fixtures.ts';

const TCP_SYN_20 = hex('0400 0050 00000001 00000000 5002 ffff 0000 0000'); // 1024 → 80, SYN, no options

/** An IPv6 packet 2001:db8::1 → 2001:db8::2 whose first header is `next`, with the payload length of `payload`. */
function ipv6(next: number, payload: Buffer, payloadLength = payload.length): Buffer {
  const h = hex('60000000', '0000 00 40', '20010db8000000000000000000000001', '20010db8000000000000000000000002');
  h.writeUInt16BE(payloadLength, 4);
  h.writeUInt8(next, 6);
  return Buffer.concat([h, payload]);
}

// Extension headers, each annotated: next header, length, body.
const HOP_BY_HOP_TO_DSTOPTS = hex('3c 00', '01 04 00000000'); // → Destination Options, 8 bytes: PadN(4)
const DSTOPTS_TO_TCP = hex('06 01', '01 0c 000000000000000000000000'); // → TCP, (1+1)*8 = 16 bytes: PadN(12)
const ROUTING_TO_TCP = hex('06 02 00 00 00000000', '20010db8000000000000000000000003'); // → TCP, 24 bytes, segments left 0
const ATOMIC_FRAGMENT_TO_TCP = hex('06 00 0000 12345678'); // → TCP, offset 0, M 0
const FIRST_FRAGMENT_TO_TCP = hex('06 00 0001 12345678'); // offset 0, M 1
const LAST_FRAGMENT_TO_TCP = hex('06 00 05c8 12345678'); // offset 185 × 8 = 1480, M 0
const AH_TO_TCP = hex('06 04 0000 00000100 00000001', '000102030405060708090a0b'); // (4+2)*4 = 24 bytes
const MOBILITY_NO_NEXT = hex('3b 00 05 00 0000 0000'); // → No Next Header, 8 bytes (binding refresh)

function decoded(b: Buffer, at = 0) {
  const r = decodeIpv6(b, at);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function bad(b: Buffer): string {
  const r = decodeIpv6(b, 0);
  expect(r.ok).toBe(false);
  if (r.ok) throw new Error('unreachable');
  expect(r.error.kind).toBe('bad IPv6 header');
  return r.error.message;
}

const raw = (b: Buffer) => decodeFrame(frame(LINKTYPE_RAW, b));

describe('decodeIpv6', () => {
  it('decodes the real loopback SYN header', () => {
    expect(decoded(Buffer.concat([ETH_IPV6, IPV6_SYN]), 14)).toEqual({
      src: '::1',
      dst: '::1',
      hopLimit: 64,
      payloadLength: 40,
      protocol: 6,
      payloadAt: 54,
      end: 94,
      fragment: undefined,
      truncated: false,
    });
  });

  it('walks Hop-by-Hop then Destination Options to TCP', () => {
    const b = ipv6(0, Buffer.concat([HOP_BY_HOP_TO_DSTOPTS, DSTOPTS_TO_TCP, TCP_SYN_20]));
    expect(decoded(b)).toMatchObject({ protocol: 6, payloadAt: 64, end: 84 });
    const r = raw(b);
    expect(r.ok && r.segment).toMatchObject({ ipVersion: 6, src: '2001:db8::1', dst: '2001:db8::2', payloadLen: 0 });
  });

  it('walks a Routing header', () => {
    expect(decoded(ipv6(43, Buffer.concat([ROUTING_TO_TCP, TCP_SYN_20])))).toMatchObject({ protocol: 6, payloadAt: 64 });
  });

  it('walks AH, whose length counts 4-octet units plus 2 (RFC 4302)', () => {
    const b = ipv6(51, Buffer.concat([AH_TO_TCP, TCP_SYN_20, Buffer.alloc(10)]));
    expect(decoded(b)).toMatchObject({ protocol: 6, payloadAt: 64, end: 94 });
    const r = raw(b);
    expect(r.ok && r.segment.payloadLen).toBe(10);
  });

  it('decodes through an atomic fragment (offset 0, M 0)', () => {
    const b = ipv6(44, Buffer.concat([ATOMIC_FRAGMENT_TO_TCP, TCP_SYN_20]));
    expect(decoded(b)).toMatchObject({ protocol: 6, payloadAt: 48, fragment: { offset: 0, more: false, id: 0x12345678 } });
    expect(raw(b).ok).toBe(true);
  });

  it('stops at a real fragment and the frame is skipped', () => {
    const first = ipv6(44, Buffer.concat([FIRST_FRAGMENT_TO_TCP, TCP_SYN_20]));
    expect(decoded(first)).toMatchObject({ protocol: 6, payloadAt: 48, fragment: { offset: 0, more: true } });
    expect(raw(first)).toEqual({ ok: false, skip: 'IPv6 fragment', detail: 'id 0x12345678 offset 0 M' });
    const last = ipv6(0, Buffer.concat([hex('2c 00 01 04 00000000'), LAST_FRAGMENT_TO_TCP, Buffer.alloc(100)]));
    expect(decoded(last).fragment).toEqual({ offset: 1480, more: false, id: 0x12345678 });
    expect(raw(last)).toEqual({ ok: false, skip: 'IPv6 fragment', detail: 'id 0x12345678 offset 1480' });
  });

  it('skips No Next Header, directly and after Mobility', () => {
    expect(raw(ipv6(59, Buffer.alloc(0)))).toEqual({ ok: false, skip: 'IPv6 no next header' });
    expect(raw(ipv6(135, MOBILITY_NO_NEXT))).toEqual({ ok: false, skip: 'IPv6 no next header' });
  });

  it.each([
    [17, 'UDP'], [58, 'ICMPv6'], [50, 'ESP'], [132, 'SCTP'], [253, 'IP proto 253'],
  ])('names next header %i as %s', (next, name) => {
    expect(raw(ipv6(next, Buffer.alloc(8)))).toEqual({ ok: false, skip: name });
    expect(raw(ipv6(0, Buffer.concat([patch(HOP_BY_HOP_TO_DSTOPTS, 0, [next]), Buffer.alloc(8)])))).toEqual({ ok: false, skip: name });
  });

  it('flags a packet cut by the snaplen, keeping its length', () => {
    const b = ipv6(6, Buffer.concat([TCP_SYN_20, Buffer.alloc(1000)]));
    expect(decoded(b.subarray(0, 80))).toMatchObject({ end: 1060, truncated: true });
    const r = raw(b.subarray(0, 80));
    expect(r.ok && r.segment).toMatchObject({ payloadLen: 1000, truncated: true });
  });

  it('walks a chain cut inside an option area (only the bytes it reads must be there)', () => {
    const b = ipv6(0, Buffer.concat([HOP_BY_HOP_TO_DSTOPTS, DSTOPTS_TO_TCP, TCP_SYN_20]));
    expect(decoded(b.subarray(0, 52))).toMatchObject({ payloadAt: 64, truncated: true });
    expect(raw(b.subarray(0, 52))).toMatchObject({ ok: false, skip: 'truncated TCP header' });
  });

  it.each([
    ['version 4', patch(IPV6_SYN, 0, [0x45]), /version 4 in an IPv6 packet/],
    ['payload length 0 (jumbogram)', patch(IPV6_SYN, 4, [0, 0]), /payload length 0/],
    ['jumbo Hop-by-Hop with payload length 0', ipv6(0, hex('06 00 c2 04 00012000'), 0), /payload length 0/],
    ['fixed header cut', IPV6_SYN.subarray(0, 39), /truncated: header needs 40 bytes, 39 captured/],
    ['extension header past the payload length', ipv6(0, DSTOPTS_TO_TCP, 8), /Hop-by-Hop Options header of 16 bytes runs past payload length 8/],
    ['Fragment header past the payload length', ipv6(44, ATOMIC_FRAGMENT_TO_TCP, 4), /Fragment header runs past payload length 4/],
    ['extension header not captured', ipv6(0, HOP_BY_HOP_TO_DSTOPTS).subarray(0, 41), /truncated: Hop-by-Hop Options header not captured/],
  ])('rejects %s', (_, b, message) => {
    expect(bad(b)).toMatch(message);
  });

  it('bounds a chain of extension headers', () => {
    const chain = Buffer.concat(Array.from({ length: 70 }, () => hex('3c 00 01 04 00000000')));
    expect(bad(ipv6(60, chain))).toMatch(/more than 64 extension headers/);
  });
});

describe('formatIpv6 (RFC 5952)', () => {
  it.each([
    ['20010db8000000000000000000000001', '2001:db8::1'],
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000000000001', '::1'],
    ['00010000000000000000000000000000', '1::'],
    ['fe800000000000000000000000000001', 'fe80::1'],
    // §4.1: no leading zeros; §4.3: lowercase.
    ['20010DB800AB0CD00000000000000EF0', '2001:db8:ab:cd0::ef0'],
    // §4.2.2: a single zero group is not shortened.
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
    // §4.2.3: the longest run is shortened…
    ['20010db8000000000001000000000000', '2001:db8:0:0:1::'],
    ['20010000000000000001000000000001', '2001::1:0:0:1'],
    // …and the first of equal runs.
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['00000000000100000000000100000000', '::1:0:0:1:0:0'],
    ['0001000200030004000500060007ffff', '1:2:3:4:5:6:7:ffff'],
    // §5: IPv4-mapped addresses end in a dotted quad.
    ['00000000000000000000ffffc0000280', '::ffff:192.0.2.128'],
    ['00000000000000000000ffff00000000', '::ffff:0.0.0.0'],
    // Not mapped: IPv4-compatible and other near misses stay hex.
    ['000000000000000000000000c0000280', '::c000:280'],
    ['00000000000000000001ffffc0000280', '::1:ffff:c000:280'],
  ])('%s → %s', (bytes, text) => {
    expect(formatIpv6(hex(bytes), 0)).toBe(text);
  });

  it('reads at an offset', () => {
    expect(formatIpv6(hex('ff', '20010db8000000000000000000000001'), 1)).toBe('2001:db8::1');
  });
});

describe('cut short at every length', () => {
  it('never throws; below the fixed header it is bad, beyond it the TCP layer decides', () => {
    // Hop-by-Hop → atomic Fragment → Destination Options → TCP.
    const chain = [patch(HOP_BY_HOP_TO_DSTOPTS, 0, [44]), patch(ATOMIC_FRAGMENT_TO_TCP, 0, [60]), DSTOPTS_TO_TCP, TCP_SYN_20];
    const full = Buffer.concat([ETH_IPV6, ipv6(0, Buffer.concat(chain))]);
    expect(decodeFrame(frame(LINKTYPE_EN10MB, full)).ok).toBe(true);
    for (let n = 0; n < full.length; n++) {
      const r = decodeFrame(frame(LINKTYPE_EN10MB, full.subarray(0, n), full.length));
      if (n < 14) expect(r).toMatchObject({ ok: false, skip: 'truncated link header' });
      else if (n < 54) expect(r).toMatchObject({ ok: false, skip: 'bad IPv6 header' });
      else if (r.ok) expect(r.segment.truncated).toBe(true);
      else expect(['bad IPv6 header', 'truncated TCP header']).toContain(r.skip);
    }
  });
});
