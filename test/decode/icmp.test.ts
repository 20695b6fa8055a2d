import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame.ts';
import { readCapture } from '../../src/capture/open.ts';
import { BAD_ICMP, decodeIcmp, ICMP_NOT_AN_ERROR, ICMP_QUOTES_NO_TCP } from '../../src/decode/icmp.ts';
import { decodeFrame, decodeFrameByLayers } from '../../src/decode/index.ts';
import { LINKTYPE_EN10MB, LINKTYPE_RAW } from '../../src/capture/linktypes.ts';
import { ACK, PSH, SYN } from '../../src/decode/segment.ts';
import { ETH_IPV4, ETH_IPV6, frame, hex } from './fixtures.ts';

/** A TCP header 10.0.0.1:40000 → 192.0.2.9:443, seq 1000, ack 2000, data offset 5, `flags`, then `payload` bytes. */
function tcp(flags: number, payload = 0): Buffer {
  const t = hex(
    '9c40 01bb', //   source port 40000, destination port 443
    '000003e8', //    seq 1000
    '000007d0', //    ack 2000
    '50 00', //       data offset 5, flags (written below)
    'faf0 0000 0000', // window 64240, checksum, urgent
  );
  t[13] = flags & 0xff;
  t[12] = t[12]! | (flags >> 8);
  return Buffer.concat([t, Buffer.alloc(payload, 0x61)]);
}

/** An IPv4 header `src` → `dst` of protocol `proto` with `options` (a multiple of 4 bytes), before `payloadLen` bytes. */
function ipv4(src: string, dst: string, proto: number, payloadLen: number, options: Buffer = Buffer.alloc(0)): Buffer {
  const h = hex('45 00 0000', '1234 4000', '40 00 0000', '00000000', '00000000');
  h[0] = 0x40 | ((20 + options.length) / 4);
  h.writeUInt16BE(20 + options.length + payloadLen, 2);
  h[9] = proto;
  src.split('.').forEach((o, i) => (h[12 + i] = Number(o)));
  dst.split('.').forEach((o, i) => (h[16 + i] = Number(o)));
  return Buffer.concat([h, options]);
}

/** A 16-byte IPv6 address from the last group (2001:db8::N). */
const v6addr = (n: number) => hex(`20010db8${'0'.repeat(22)}${n.toString(16).padStart(2, '0')}`);

/** An IPv6 header 2001:db8::s → 2001:db8::d, first next header `next`, payload length `payloadLength`, hop limit `hops`. */
function ipv6(s: number, d: number, next: number, payloadLength: number, hops = 64): Buffer {
  const h = hex('60000000', '0000 00 00');
  h.writeUInt16BE(payloadLength, 4);
  h[6] = next;
  h[7] = hops;
  return Buffer.concat([h, v6addr(s), v6addr(d)]);
}

/** The 8-byte ICMP header: type, code, checksum (0), and the type's 4 bytes. */
const icmpHeader = (type: number, code: number, rest = hex('00000000')) => Buffer.concat([Buffer.from([type, code, 0, 0]), rest]);

/** The quoted SYN of 10.0.0.1:40000 → 192.0.2.9:443 (40 bytes, whole). */
const QUOTED_SYN = Buffer.concat([ipv4('10.0.0.1', '192.0.2.9', 6, 20), tcp(SYN)]);
/** The same over IPv6, 2001:db8::1 → 2001:db8::9 (60 bytes). */
const QUOTED_SYN6 = Buffer.concat([ipv6(1, 9, 6, 20, 1), tcp(SYN)]);

/** An ICMP message decoded on its own: at 0, ending at its length. */
const decode4 = (m: Buffer) => decodeIcmp(m, 0, m.length, 'ICMP');
const decode6 = (m: Buffer) => decodeIcmp(m, 0, m.length, 'ICMPv6');

function value(r: ReturnType<typeof decodeIcmp>) {
  if (!r.ok) throw new Error(`${r.error.kind}: ${r.error.message}`);
  return r.value;
}

function failure(r: ReturnType<typeof decodeIcmp>) {
  if (r.ok) throw new Error('decoded');
  return r.error;
}

const SYN_QUOTED = {
  ipVersion: 4, src: '10.0.0.1', dst: '192.0.2.9', srcPort: 40000, dstPort: 443,
  seq: 1000, ack: 2000, flags: SYN, payloadLen: 0, ipLen: 40, ttl: 64, tcpQuoted: 20,
};

describe('ICMP destination unreachable, every code', () => {
  it.each([
    [0, 'net-unreachable', 'ENETUNREACH'],
    [1, 'host-unreachable', 'EHOSTUNREACH'],
    [2, 'protocol-unreachable', 'ENOPROTOOPT'],
    [3, 'port-unreachable', 'ECONNREFUSED'],
    [4, 'fragmentation-needed', undefined],
    [5, 'source-route-failed', 'EOPNOTSUPP'],
    [6, 'net-unknown', 'ENETUNREACH'],
    [7, 'host-unknown', 'EHOSTDOWN'],
    [8, 'source-host-isolated', 'ENONET'],
    [9, 'net-prohibited', 'ENETUNREACH'],
    [10, 'host-prohibited', 'EHOSTUNREACH'],
    [11, 'net-unreachable-for-tos', 'ENETUNREACH'],
    [12, 'host-unreachable-for-tos', 'EHOSTUNREACH'],
    [13, 'admin-prohibited', 'EHOSTUNREACH'],
    [14, 'host-precedence-violation', 'EHOSTUNREACH'],
    [15, 'precedence-cutoff', 'EHOSTUNREACH'],
    [16, 'code 16', undefined],
    [255, 'code 255', undefined],
  ] as const)('code %i: %s', (code, name, errno) => {
    const m = value(decode4(Buffer.concat([icmpHeader(3, code), QUOTED_SYN])));
    expect(m).toEqual({
      protocol: 'ICMP', type: 3, code, kind: 'unreachable', name, errno, mtu: undefined, pointer: undefined, quoted: SYN_QUOTED,
    });
  });

  it('fragmentation needed carries the next-hop MTU (RFC 1191), and the size of the segment refused', () => {
    const quote = Buffer.concat([ipv4('10.0.0.1', '192.0.2.9', 6, 1480), tcp(ACK | PSH, 1460)]);
    const m = value(decode4(Buffer.concat([icmpHeader(3, 4, hex('0000 0578')), quote.subarray(0, 548)])));
    expect(m).toMatchObject({ name: 'fragmentation-needed', mtu: 1400 });
    expect(m.quoted).toMatchObject({ flags: ACK | PSH, ipLen: 1500, payloadLen: 1460, tcpQuoted: 528 });
  });

  it('a next-hop MTU of 0 (a router older than RFC 1191) is no MTU', () => {
    expect(value(decode4(Buffer.concat([icmpHeader(3, 4), QUOTED_SYN]))).mtu).toBeUndefined();
  });

  it('the second word of the other codes is not an MTU', () => {
    expect(value(decode4(Buffer.concat([icmpHeader(3, 1, hex('0000 0578')), QUOTED_SYN]))).mtu).toBeUndefined();
  });
});

describe('ICMP time exceeded and parameter problem', () => {
  it.each([
    [0, 'ttl-exceeded'],
    [1, 'reassembly-time-exceeded'],
    [2, 'code 2'],
  ] as const)('time exceeded code %i: %s', (code, name) => {
    expect(value(decode4(Buffer.concat([icmpHeader(11, code), QUOTED_SYN])))).toMatchObject({
      type: 11, code, kind: 'time-exceeded', name, errno: code < 2 ? 'EHOSTUNREACH' : undefined, mtu: undefined, pointer: undefined,
    });
  });

  it.each([
    [0, 'pointer-indicates-error'],
    [1, 'missing-required-option'],
    [2, 'bad-length'],
  ] as const)('parameter problem code %i: %s, with the pointer', (code, name) => {
    expect(value(decode4(Buffer.concat([icmpHeader(12, code, hex('14 000000')), QUOTED_SYN])))).toMatchObject({
      type: 12, code, kind: 'parameter-problem', name, errno: 'EPROTO', pointer: 20, mtu: undefined,
    });
  });
});

describe('ICMPv6 errors, every code', () => {
  it.each([
    [0, 'no-route', 'ENETUNREACH'],
    [1, 'admin-prohibited', 'EACCES'],
    [2, 'beyond-scope', 'EHOSTUNREACH'],
    [3, 'address-unreachable', 'EHOSTUNREACH'],
    [4, 'port-unreachable', 'ECONNREFUSED'],
    [5, 'source-address-failed-policy', 'EACCES'],
    [6, 'reject-route', 'EACCES'],
    [7, 'source-routing-header-error', undefined],
    [8, 'headers-too-long', undefined],
    [9, 'code 9', undefined],
  ] as const)('destination unreachable code %i: %s', (code, name, errno) => {
    expect(value(decode6(Buffer.concat([icmpHeader(1, code), QUOTED_SYN6])))).toEqual({
      protocol: 'ICMPv6', type: 1, code, kind: 'unreachable', name, errno, mtu: undefined, pointer: undefined,
      quoted: { ...SYN_QUOTED, ipVersion: 6, src: '2001:db8::1', dst: '2001:db8::9', ipLen: 60, ttl: 1 },
    });
  });

  it('packet too big carries a 32-bit MTU', () => {
    const quote = Buffer.concat([ipv6(1, 9, 6, 1440), tcp(ACK, 1420)]);
    const m = value(decode6(Buffer.concat([icmpHeader(2, 0, hex('000004d0')), quote.subarray(0, 1232)])));
    expect(m).toMatchObject({ kind: 'packet-too-big', name: 'packet-too-big', errno: undefined, mtu: 1232, pointer: undefined });
    expect(m.quoted).toMatchObject({ flags: ACK, ipLen: 1480, payloadLen: 1420, tcpQuoted: 1192 });
  });

  it.each([
    [0, 'hop-limit-exceeded'],
    [1, 'reassembly-time-exceeded'],
  ] as const)('time exceeded code %i: %s', (code, name) => {
    expect(value(decode6(Buffer.concat([icmpHeader(3, code), QUOTED_SYN6])))).toMatchObject({ kind: 'time-exceeded', name, errno: 'EHOSTUNREACH' });
  });

  it.each([
    [0, 'erroneous-header-field'],
    [1, 'unrecognized-next-header'],
    [2, 'unrecognized-option'],
    [3, 'incomplete-header-chain'],
    [4, 'sr-upper-layer-header-error'],
    [5, 'unrecognized-next-header-by-intermediate-node'],
    [6, 'extension-header-too-big'],
    [7, 'extension-header-chain-too-long'],
    [8, 'too-many-extension-headers'],
    [9, 'too-many-options-in-extension-header'],
    [10, 'option-too-big'],
  ] as const)('parameter problem code %i: %s, with the 32-bit pointer', (code, name) => {
    expect(value(decode6(Buffer.concat([icmpHeader(4, code, hex('00010028')), QUOTED_SYN6])))).toMatchObject({
      kind: 'parameter-problem', name, errno: 'EPROTO', pointer: 65_576,
    });
  });
});

describe('what the error quotes', () => {
  it('an IPv4 header with options: TCP after IHL × 4', () => {
    const options = hex('07 07 04 00000000', '00', '01 01 01 00'); // record route (7 bytes), EOL, padding to 12
    const quote = Buffer.concat([ipv4('10.0.0.1', '192.0.2.9', 6, 20, options), tcp(SYN)]);
    expect(value(decode4(Buffer.concat([icmpHeader(3, 3), quote]))).quoted).toEqual({ ...SYN_QUOTED, ipLen: 52 });
  });

  it('IPv6 extension headers: Hop-by-Hop, Destination Options, an atomic fragment, then TCP', () => {
    const chain = Buffer.concat([
      hex('3c 00 01 04 00000000'), // Hop-by-Hop → Destination Options, PadN
      hex('2c 00 01 04 00000000'), // Destination Options → Fragment, PadN
      hex('06 00 0000 0000abcd'), //  Fragment → TCP, offset 0, M 0
    ]);
    const quote = Buffer.concat([ipv6(1, 9, 0, 24 + 20), chain, tcp(SYN)]);
    expect(value(decode6(Buffer.concat([icmpHeader(1, 4), quote]))).quoted).toMatchObject({
      src: '2001:db8::1', dst: '2001:db8::9', srcPort: 40000, dstPort: 443, seq: 1000, flags: SYN, ipLen: 84, payloadLen: 0,
    });
  });

  it('a first fragment still begins with TCP; a later one quotes no TCP', () => {
    const first = Buffer.concat([ipv6(1, 9, 44, 8 + 20 + 1000), hex('06 00 0001 0000abcd'), tcp(ACK, 1000)]);
    expect(value(decode6(Buffer.concat([icmpHeader(2, 0, hex('00000500')), first.subarray(0, 100)]))).quoted.seq).toBe(1000);
    const later = Buffer.concat([ipv6(1, 9, 44, 8 + 100), hex('06 00 05a8 0000abcd'), Buffer.alloc(100)]);
    expect(failure(decode6(Buffer.concat([icmpHeader(2, 0, hex('00000500')), later])))).toMatchObject({
      kind: ICMP_QUOTES_NO_TCP, offset: 8, message: 'ICMPv6 error quotes a fragment at offset 1448',
    });
    const later4 = ipv4('10.0.0.1', '192.0.2.9', 6, 100);
    later4.writeUInt16BE(0x00b9, 6); // offset 185 × 8 = 1480
    expect(failure(decode4(Buffer.concat([icmpHeader(3, 4, hex('0000 0578')), later4, Buffer.alloc(8)])))).toMatchObject({
      kind: ICMP_QUOTES_NO_TCP, offset: 14, message: 'ICMP error quotes a fragment at offset 1480',
    });
  });

  it('exactly 8 bytes of TCP (all RFC 792 asks): ports and seq; no ack, flags or payload length', () => {
    const m = value(decode4(Buffer.concat([icmpHeader(3, 1), QUOTED_SYN.subarray(0, 28)])));
    expect(m.quoted).toEqual({ ...SYN_QUOTED, ack: undefined, flags: undefined, payloadLen: undefined, tcpQuoted: 8 });
  });

  it('12 bytes: the ack too; 14: the flags and the payload length', () => {
    expect(value(decode4(Buffer.concat([icmpHeader(3, 1), QUOTED_SYN.subarray(0, 32)]))).quoted).toMatchObject({ ack: 2000, flags: undefined });
    expect(value(decode4(Buffer.concat([icmpHeader(3, 1), QUOTED_SYN.subarray(0, 34)]))).quoted).toMatchObject({ ack: 2000, flags: SYN, payloadLen: 0 });
  });

  it('the quote stops where the IP length says, not at the buffer\'s end (Ethernet padding)', () => {
    const m = Buffer.concat([icmpHeader(3, 1), QUOTED_SYN.subarray(0, 28)]);
    const padded = Buffer.concat([m, Buffer.alloc(18, 0xff)]);
    expect(value(decodeIcmp(padded, 0, m.length, 'ICMP')).quoted).toMatchObject({ tcpQuoted: 8, ack: undefined });
  });

  it('the AE flag, bit 8 of the flags', () => {
    expect(value(decode4(Buffer.concat([icmpHeader(3, 1), ipv4('10.0.0.1', '192.0.2.9', 6, 20), tcp(0x100 | SYN)]))).quoted.flags).toBe(0x102);
  });
});

describe('what is not an ICMP error about TCP', () => {
  it.each([
    ['echo request', 8, 0],
    ['echo reply', 0, 0],
    ['redirect', 5, 1],
    ['source quench (RFC 6633)', 4, 0],
    ['router advertisement', 9, 0],
  ] as const)('ICMP %s', (_, type, code) => {
    expect(failure(decode4(Buffer.concat([icmpHeader(type, code), QUOTED_SYN])))).toEqual({
      kind: ICMP_NOT_AN_ERROR, offset: 0, message: `ICMP type ${type} is not an error message synfin decodes`,
    });
  });

  it.each([
    ['echo request', 128], ['neighbour solicitation', 135], ['redirect', 137], ['private experimentation', 100],
  ] as const)('ICMPv6 %s', (_, type) => {
    expect(failure(decode6(Buffer.concat([icmpHeader(type, 0), QUOTED_SYN6]))).kind).toBe(ICMP_NOT_AN_ERROR);
  });

  it('an error about UDP', () => {
    const udp = Buffer.concat([ipv4('10.0.0.1', '192.0.2.9', 17, 8), hex('9c40 0035 0008 0000')]);
    expect(failure(decode4(Buffer.concat([icmpHeader(3, 3), udp])))).toEqual({ kind: ICMP_QUOTES_NO_TCP, offset: 17, message: 'ICMP error quotes UDP' });
    const udp6 = Buffer.concat([ipv6(1, 9, 17, 8), hex('9c40 0035 0008 0000')]);
    expect(failure(decode6(Buffer.concat([icmpHeader(1, 4), udp6])))).toEqual({ kind: ICMP_QUOTES_NO_TCP, offset: 14, message: 'ICMPv6 error quotes UDP' });
  });
});

describe('malformed and truncated messages fail with where and why, never throw', () => {
  it.each([
    ['a quote of the other IP version', () => decode4(Buffer.concat([icmpHeader(3, 3), QUOTED_SYN6])), 8, 'ICMP error quotes an IP version 6 packet, expected 4'],
    ['a quoted IHL under 5', () => decode4(Buffer.concat([icmpHeader(3, 3), Buffer.from([0x44]), QUOTED_SYN.subarray(1)])), 8, 'quoted IHL 4 < 5'],
    ['a quoted IPv4 header cut inside its options', () => decode4(Buffer.concat([icmpHeader(3, 3), ipv4('10.0.0.1', '192.0.2.9', 6, 20, Buffer.alloc(8, 1)).subarray(0, 24)])), 8,
      'quoted truncated: header with options needs 28 bytes, 24 captured'],
    ['a quoted extension header cut short', () => decode6(Buffer.concat([icmpHeader(1, 4), ipv6(1, 9, 0, 28), hex('06')])), 48, 'quoted truncated: Hop-by-Hop Options header not captured'],
    ['7 bytes of TCP', () => decode4(Buffer.concat([icmpHeader(3, 3), QUOTED_SYN.subarray(0, 27)])), 28, 'truncated: quoted TCP header has 7 of the 8 bytes an error must quote'],
    ['no quote at all', () => decode4(icmpHeader(3, 3)), 8, 'truncated: ICMP error quotes no packet'],
    ['a 7-byte message', () => decode6(icmpHeader(1, 4).subarray(0, 7)), 0, 'truncated: ICMPv6 header needs 8 bytes, 7 there'],
  ] as const)('%s', (_, run, offset, message) => {
    expect(failure(run())).toEqual({ kind: BAD_ICMP, offset, message });
  });

  it('cut at every length: the full message, or a failure, and nothing read past the cut', () => {
    for (const [m, proto] of [
      [Buffer.concat([icmpHeader(3, 4, hex('0000 0578')), QUOTED_SYN]), 'ICMP'],
      [Buffer.concat([icmpHeader(2, 0, hex('000004d0')), QUOTED_SYN6]), 'ICMPv6'],
    ] as const) {
      for (let n = 0; n <= m.length; n++) {
        // The bytes past the cut are garbage: a decoder reading them would get a different answer.
        const b = Buffer.concat([m.subarray(0, n), Buffer.alloc(64, 0xee)]);
        const r = decodeIcmp(b, 0, n, proto);
        if (r.ok) expect(r.value.quoted.tcpQuoted).toBe(n - m.length + 20);
        else expect(r.error.kind).toBe(BAD_ICMP);
        expect(r.ok).toBe(n >= m.length - 12);
      }
    }
  });

  it('random damage never throws, and every answer is a known kind', () => {
    let x = 2025;
    const rand = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
    const seeds: [Buffer, 'ICMP' | 'ICMPv6'][] = [
      [Buffer.concat([icmpHeader(3, 4, hex('0000 0578')), QUOTED_SYN]), 'ICMP'],
      [Buffer.concat([icmpHeader(1, 4), ipv6(1, 9, 0, 24 + 20), hex('3c 00 01 04 00000000 2c 00 01 04 00000000 06 00 0000 0000abcd'), tcp(SYN)]), 'ICMPv6'],
    ];
    const kinds = new Set<string>();
    for (let i = 0; i < 4000; i++) {
      const [seed, proto] = seeds[i % 2]!;
      const b = Buffer.from(seed);
      for (let j = 0; j < 3; j++) b[rand() % b.length] = rand();
      const end = rand() % 3 === 0 ? rand() % b.length : b.length;
      const r = decodeIcmp(b, 0, end, proto);
      kinds.add(r.ok ? 'ok' : r.error.kind);
      if (r.ok) expect(r.value.quoted.tcpQuoted).toBeGreaterThanOrEqual(8);
    }
    expect([...kinds].every((k) => ['ok', BAD_ICMP, ICMP_NOT_AN_ERROR, ICMP_QUOTES_NO_TCP].includes(k))).toBe(true);
    expect(kinds.has('ok')).toBe(true);
  });
});

describe('decodeFrame: an ICMP error is still the ICMP skip, with the error beside it', () => {
  const ICMP_V4 = (m: Buffer) => Buffer.concat([ipv4('192.0.2.254', '10.0.0.1', 1, m.length), m]);
  const UNREACH = Buffer.concat([icmpHeader(3, 13), QUOTED_SYN]);

  it('Ethernet, IPv4: skip ICMP, as before, plus who sent it and where it was', () => {
    const f = { ...frame(LINKTYPE_EN10MB, Buffer.concat([ETH_IPV4, ICMP_V4(UNREACH)])), number: 9 };
    const r = decodeFrame(f);
    expect(r).toEqual({
      ok: false, skip: 'ICMP',
      icmp: {
        ...value(decode4(UNREACH)), frame: 9, sec: 1_700_000_000, nsec: 123_456_000, ipVersion: 4,
        src: '192.0.2.254', dst: '10.0.0.1', frameLen: 82,
      },
    });
    expect(decodeFrameByLayers(f)).toEqual(r);
  });

  it('Ethernet, IPv6: skip ICMPv6, with the error', () => {
    const m = Buffer.concat([icmpHeader(2, 0, hex('00000500')), QUOTED_SYN6]);
    const r = decodeFrame(frame(LINKTYPE_EN10MB, Buffer.concat([ETH_IPV6, ipv6(254, 1, 58, m.length), m])));
    expect(r).toMatchObject({ ok: false, skip: 'ICMPv6', icmp: { ipVersion: 6, src: '2001:db8::fe', dst: '2001:db8::1', kind: 'packet-too-big', mtu: 1280 } });
  });

  it('an echo, an error about UDP, or a malformed message: the plain skip it always was', () => {
    const echo = Buffer.concat([icmpHeader(8, 0), Buffer.alloc(56)]);
    const udp = Buffer.concat([icmpHeader(3, 3), ipv4('10.0.0.1', '192.0.2.9', 17, 8), hex('9c40 0035 0008 0000')]);
    for (const m of [echo, udp, UNREACH.subarray(0, 30)]) {
      expect(decodeFrame(frame(LINKTYPE_RAW, ICMP_V4(m)))).toEqual({ ok: false, skip: 'ICMP' });
    }
  });

  it('ICMPv6 in IPv4, ICMP in IPv6: protocol numbers in the wrong IP version are not read as errors', () => {
    expect(decodeFrame(frame(LINKTYPE_RAW, Buffer.concat([ipv4('192.0.2.254', '10.0.0.1', 58, UNREACH.length), UNREACH])))).toEqual({ ok: false, skip: 'ICMPv6' });
    expect(decodeFrame(frame(LINKTYPE_RAW, Buffer.concat([ipv6(254, 1, 1, UNREACH.length), UNREACH])))).toEqual({ ok: false, skip: 'ICMP' });
  });

  it('an ICMP fragment stays an IPv4 fragment', () => {
    const ip = ICMP_V4(UNREACH);
    ip.writeUInt16BE(0x2000, 6); // MF
    expect(decodeFrame(frame(LINKTYPE_RAW, ip))).toMatchObject({ ok: false, skip: 'IPv4 fragment' });
  });
});

/**
 * Every encapsulation synfin reads (captures/encap/, each one TCP connection
 * wrapped): frame 4's inner packet (the client's 100-byte segment) swapped for
 * an ICMP error of the same length quoting it, so that every outer length
 * still holds. The error must come out with the encapsulations it came through.
 */
describe('an ICMP error inside every encapsulation', () => {
  const files = readdirSync('captures/encap').filter((f) => f.endsWith('.pcap') && f !== 'encap-depth-bomb.pcap').sort();

  async function frames(path: string): Promise<Frame[]> {
    const out: Frame[] = [];
    for await (const batch of readCapture(path, 0).batches()) out.push(...batch);
    return out;
  }

  it.each(files)('%s', async (file) => {
    const all = await frames(`captures/encap/${file}`);
    const f = all.find((x) => { const r = decodeFrame(x); return r.ok && r.segment.payloadLen === 100; })!;
    const seg = decodeFrame(f);
    if (!seg.ok) throw new Error('no segment');
    const b = Buffer.from(f.data);
    const v6 = seg.segment.ipVersion === 6;
    // The inner IP header: the last place its source and destination addresses stand side by side.
    const addrs = v6 ? Buffer.concat([v6addr(1), v6addr(2)]) : hex('0a630001 0a630002');
    const ipAt = b.lastIndexOf(addrs) - (v6 ? 8 : 12);
    const len = seg.segment.ipLen;
    const quote = Buffer.from(b.subarray(ipAt, ipAt + len));
    let error: Buffer;
    if (v6) {
      const m = Buffer.concat([icmpHeader(2, 0, hex('000004d0')), quote]).subarray(0, len - 40);
      error = Buffer.concat([ipv6(2, 1, 58, m.length), m]);
      v6addr(0x99).copy(error, 8); // from a router, 2001:db8::99
    } else {
      const m = Buffer.concat([icmpHeader(3, 4, hex('0000 0578')), quote]).subarray(0, len - 20);
      error = Buffer.concat([ipv4('10.99.0.254', '10.99.0.1', 1, m.length), m]);
    }
    error.copy(b, ipAt);
    const r = decodeFrame({ ...f, data: b });
    expect(r).toMatchObject({
      ok: false, skip: v6 ? 'ICMPv6' : 'ICMP',
      icmp: {
        src: v6 ? '2001:db8::99' : '10.99.0.254', mtu: v6 ? 1232 : 1400,
        quoted: { src: seg.segment.src, dst: seg.segment.dst, srcPort: 40100, dstPort: 80, seq: seg.segment.seq, ack: seg.segment.ack, flags: seg.segment.flags, payloadLen: 100 },
      },
    });
    if (r.ok || r.icmp === undefined) throw new Error('no ICMP error');
    expect(r.icmp.via).toEqual(seg.segment.via);
  });
});
