import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/decode/index.ts';
import {
  LINKTYPE_EN10MB,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
} from '../../src/capture/linktypes.ts';
import { ACK, PSH, SYN } from '../../src/decode/segment.ts';
import {
  EN10MB_SYN,
  ETH_IPV4,
  ETH_IPV6,
  frame,
  hex,
  IPV4_ACK_DATA,
  IPV4_SYN,
  IPV6_SYN,
  SLL2_SYN,
  SLL_IPV4,
} from './fixtures.ts';

describe('decodeFrame', () => {
  it('turns the real EN10MB loopback SYN into a Segment', () => {
    const r = decodeFrame({ ...frame(LINKTYPE_EN10MB, EN10MB_SYN), number: 7, sec: 1_781_000_000, nsec: 839_896_000 });
    expect(r).toEqual({
      ok: true,
      segment: {
        frame: 7,
        sec: 1_781_000_000,
        nsec: 839_896_000,
        ipVersion: 4,
        src: '127.0.0.1',
        dst: '127.0.0.1',
        srcPort: 34048,
        dstPort: 18081,
        seq: 2392918837,
        ack: 0,
        flags: SYN,
        window: 65495,
        urgent: 0,
        headerLen: 40,
        frameLen: 74,
        ipLen: 60,
        payloadLen: 0,
        options: [
          { kind: 'mss', value: 65495 },
          { kind: 'sack-permitted' },
          { kind: 'timestamps', tsval: 84014684, tsecr: 0 },
          { kind: 'wscale', shift: 10 },
        ],
        optionsError: undefined,
        truncated: false,
      },
    });
  });

  it('turns the real SLL2 (`tcpdump -i any`) SYN into a Segment', () => {
    const r = decodeFrame(frame(LINKTYPE_LINUX_SLL2, SLL2_SYN));
    expect(r.ok && r.segment).toMatchObject({ src: '127.0.0.1', srcPort: 46278, dstPort: 18082, seq: 2456103056, flags: SYN });
  });

  it('turns the real IPv6 loopback SYN into a Segment', () => {
    const r = decodeFrame(frame(LINKTYPE_EN10MB, Buffer.concat([ETH_IPV6, IPV6_SYN])));
    expect(r.ok && r.segment).toMatchObject({
      ipVersion: 6, src: '::1', dst: '::1', srcPort: 48972, dstPort: 18083, seq: 4282072435, window: 65476,
      options: [{ kind: 'mss', value: 65476 }, { kind: 'sack-permitted' }, { kind: 'timestamps', tsval: 2514599824, tsecr: 0 }, { kind: 'wscale', shift: 10 }],
    });
  });

  it('decodes over SLL, NULL, LOOP and RAW alike', () => {
    for (const [lt, b] of [
      [LINKTYPE_LINUX_SLL, Buffer.concat([SLL_IPV4, IPV4_SYN])],
      [LINKTYPE_NULL, Buffer.concat([hex('02000000'), IPV4_SYN])],
      [LINKTYPE_LOOP, Buffer.concat([hex('0000001e'), IPV6_SYN])],
      [LINKTYPE_RAW, IPV6_SYN],
    ] as const) {
      const r = decodeFrame(frame(lt, b));
      expect(r.ok && r.segment.flags).toBe(SYN);
    }
  });

  it('keeps the payload length of a segment the snaplen cut', () => {
    const data = Buffer.concat([ETH_IPV4, IPV4_ACK_DATA]);
    const whole = decodeFrame(frame(LINKTYPE_EN10MB, data));
    expect(whole.ok && whole.segment).toMatchObject({ flags: PSH | ACK, seq: 100, ack: 1000, payloadLen: 100, truncated: false });
    const cut = decodeFrame(frame(LINKTYPE_EN10MB, data.subarray(0, 68), data.length)); // tcpdump -s 68
    expect(cut.ok && cut.segment).toMatchObject({ payloadLen: 100, truncated: true, optionsError: undefined });
  });

  it('says where a skip happened, and that the capture was cut', () => {
    expect(decodeFrame(frame(LINKTYPE_EN10MB, EN10MB_SYN.subarray(0, 40), 74))).toEqual({
      ok: false,
      skip: 'truncated TCP header',
      detail: 'byte 34: 6 of 20 fixed header bytes captured (40 of 74 bytes captured)',
    });
    expect(decodeFrame(frame(LINKTYPE_EN10MB, EN10MB_SYN.subarray(0, 20)))).toEqual({
      ok: false,
      skip: 'bad IPv4 header',
      detail: 'byte 14: truncated: header needs 20 bytes, 6 captured',
    });
    expect(decodeFrame(frame(105, EN10MB_SYN))).toEqual({
      ok: false,
      skip: 'linktype IEEE802_11',
      detail: 'byte 0: link type 105 is not decoded',
    });
  });

  it('skips an IPv4 header that says IPv6 (Ethernet type and version disagree)', () => {
    const b = Buffer.concat([ETH_IPV4, IPV6_SYN]);
    expect(decodeFrame(frame(LINKTYPE_EN10MB, b))).toMatchObject({ ok: false, skip: 'bad IPv4 header' });
  });
});

describe('every fixture cut short at every length', () => {
  it.each([
    ['EN10MB IPv4 SYN', LINKTYPE_EN10MB, EN10MB_SYN],
    ['EN10MB IPv6 SYN', LINKTYPE_EN10MB, Buffer.concat([ETH_IPV6, IPV6_SYN])],
    ['EN10MB QinQ', LINKTYPE_EN10MB, Buffer.concat([EN10MB_SYN.subarray(0, 12), hex('88a8 0001 8100 0002 0800'), IPV4_SYN])],
    ['SLL IPv4', LINKTYPE_LINUX_SLL, Buffer.concat([SLL_IPV4, IPV4_SYN])],
    ['SLL2 IPv4', LINKTYPE_LINUX_SLL2, SLL2_SYN],
    ['NULL IPv6', LINKTYPE_NULL, Buffer.concat([hex('1e000000'), IPV6_SYN])],
    ['RAW IPv4 data', LINKTYPE_RAW, IPV4_ACK_DATA],
  ] as const)('%s: a skip or a truncated segment, never a throw', (_, lt, full) => {
    const whole = decodeFrame(frame(lt, full));
    expect(whole.ok && whole.segment.truncated).toBe(false);
    for (let n = 0; n < full.length; n++) {
      const r = decodeFrame(frame(lt, full.subarray(0, n), full.length));
      if (r.ok) {
        expect(r.segment.truncated).toBe(true);
        expect(r.segment.payloadLen).toBe(whole.ok && whole.segment.payloadLen);
      } else {
        expect(['truncated link header', 'bad IPv4 header', 'bad IPv6 header', 'truncated TCP header']).toContain(r.skip);
      }
    }
  });
});

/** The documented skip reasons (src/decode/index.ts). */
const KNOWN_SKIP = new RegExp(
  '^(linktype [A-Z0-9_]+|truncated link header|ARP|RARP|LLDP|MPLS|PPPoE|EAPOL|non-IP|bad IPv4 header|IPv4 fragment' +
    '|bad IPv6 header|IPv6 fragment|IPv6 no next header|ICMP|IGMP|IPIP|UDP|IPv6-in-IP|GRE|ESP|AH|ICMPv6|OSPF|PIM|VRRP' +
    '|SCTP|UDPLite|IP proto \\d+|bad TCP header|truncated TCP header)$',
);

describe('arbitrary bytes', () => {
  it('never throw, whatever the link type', () => {
    // A fixed LCG, so the test is the same on every run; the frames start
    // from real headers so that most reach the IP and TCP decoders.
    let x = 12345;
    const rand = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
    const seeds = [EN10MB_SYN, SLL2_SYN, Buffer.concat([ETH_IPV6, IPV6_SYN]), IPV4_SYN, IPV6_SYN];
    const linktypes = [LINKTYPE_EN10MB, LINKTYPE_LINUX_SLL2, LINKTYPE_EN10MB, LINKTYPE_RAW, LINKTYPE_RAW];
    let decoded = 0;
    for (let i = 0; i < 3000; i++) {
      const k = i % seeds.length;
      const b = Buffer.from(seeds[k]!);
      for (let j = 0; j < 3; j++) b[rand() % b.length] = rand();
      const len = rand() % 4 === 0 ? rand() % b.length : b.length;
      const r = decodeFrame(frame(linktypes[k]!, b.subarray(0, len), b.length));
      if (r.ok) decoded++;
      else expect(r.skip).toMatch(KNOWN_SKIP);
    }
    expect(decoded).toBeGreaterThan(0);
  });
});
