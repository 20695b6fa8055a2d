import { describe, expect, it } from 'vitest';
import {
  LINKTYPE_EN10MB,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  LINKTYPE_RAW_BSD,
  LINKTYPE_RAW_OPENBSD,
} from '../../src/capture/linktypes.ts';
import { decodeLink } from '../../src/decode/link.ts';
import { EN10MB_SYN, ETH_IPV4, hex, IPV4_SYN, IPV6_SYN, SLL2_SYN, SLL_IPV4 } from './fixtures.ts';

const MACS = hex('ffffffffffff', '020000000001');

function expectIp(linktype: number, b: Buffer, network: 4 | 6, at: number): void {
  expect(decodeLink(linktype, b)).toEqual({ ok: true, value: { network, at, via: [] } });
}

function expectSkip(linktype: number, b: Buffer, kind: string): string {
  const r = decodeLink(linktype, b);
  expect(r.ok).toBe(false);
  if (r.ok) throw new Error('unreachable');
  expect(r.error.kind).toBe(kind);
  return r.error.message;
}

describe('EN10MB', () => {
  it('finds IPv4 after the 14-byte header (real loopback SYN)', () => {
    expectIp(LINKTYPE_EN10MB, EN10MB_SYN, 4, 14);
  });

  it('finds IPv6 by EtherType 0x86dd', () => {
    expectIp(LINKTYPE_EN10MB, Buffer.concat([MACS, hex('86dd'), IPV6_SYN]), 6, 14);
  });

  it('walks one 802.1Q tag', () => {
    const b = Buffer.concat([MACS, hex('8100', '0064', '0800'), IPV4_SYN]); // VLAN 100, then IPv4
    expectIp(LINKTYPE_EN10MB, b, 4, 18);
  });

  it('walks QinQ: 802.1ad S-tag then 802.1Q C-tag', () => {
    const b = Buffer.concat([MACS, hex('88a8', '00c8', '8100', '0064', '86dd'), IPV6_SYN]);
    expectIp(LINKTYPE_EN10MB, b, 6, 22);
  });

  it('walks three tags, including the old 0x9100 S-tag', () => {
    const b = Buffer.concat([MACS, hex('9100 0001', '88a8 0002', '8100 0003', '0800'), IPV4_SYN]);
    expectIp(LINKTYPE_EN10MB, b, 4, 26);
  });

  it('walks a deep stack of tags, bounded by the frame', () => {
    const tags = Buffer.concat(Array.from({ length: 50 }, () => hex('8100 0001')));
    expectIp(LINKTYPE_EN10MB, Buffer.concat([MACS, tags, hex('0800'), IPV4_SYN]), 4, 14 + 200);
    // A frame of nothing but tags ends as truncated, not in a loop.
    expectSkip(LINKTYPE_EN10MB, Buffer.concat([MACS, tags, hex('8100')]), 'truncated link header');
  });

  it('reports a VLAN tag cut short', () => {
    expect(expectSkip(LINKTYPE_EN10MB, Buffer.concat([MACS, hex('8100', '0064')]), 'truncated link header'))
      .toMatch(/VLAN tag needs 4 bytes, has 2/);
  });

  it('skips an 802.3 frame (length field, LLC) as non-IP', () => {
    const b = Buffer.concat([MACS, hex('0026', 'aaaa03 000000 0800'), IPV4_SYN]); // length 38, SNAP
    expect(expectSkip(LINKTYPE_EN10MB, b, 'non-IP')).toMatch(/802\.3 length field 38/);
    expectSkip(LINKTYPE_EN10MB, Buffer.concat([MACS, hex('05dc 4242')]), 'non-IP'); // 1500: still a length
  });

  it('names ARP, also behind a VLAN tag', () => {
    expectSkip(LINKTYPE_EN10MB, Buffer.concat([MACS, hex('0806 0001 0800 0604 0001')]), 'ARP');
    expectSkip(LINKTYPE_EN10MB, Buffer.concat([MACS, hex('8100 0064 0806 0001')]), 'ARP');
  });

  it.each([
    ['8035', 'RARP'], ['88cc', 'LLDP'], ['8863', 'PPPoE'], ['888e', 'EAPOL'], ['1234', 'non-IP'],
  ])('EtherType %s is %s', (type, kind) => {
    expectSkip(LINKTYPE_EN10MB, Buffer.concat([MACS, hex(type), hex('00000000')]), kind);
  });

  it('needs 14 bytes', () => {
    expect(expectSkip(LINKTYPE_EN10MB, ETH_IPV4.subarray(0, 13), 'truncated link header'))
      .toBe('Ethernet header needs 14 bytes, has 13');
  });
});

describe('LINUX_SLL', () => {
  it('finds IPv4 after the 16-byte header, protocol at 14', () => {
    expectIp(LINKTYPE_LINUX_SLL, Buffer.concat([SLL_IPV4, IPV4_SYN]), 4, 16);
  });

  it('walks a VLAN tag libpcap re-inserted', () => {
    const sll = Buffer.from(SLL_IPV4);
    sll.writeUInt16BE(0x8100, 14);
    expectIp(LINKTYPE_LINUX_SLL, Buffer.concat([sll, hex('0064 86dd'), IPV6_SYN]), 6, 20);
  });

  it('skips netlink and LLC', () => {
    const netlink = Buffer.from(SLL_IPV4);
    netlink.writeUInt16BE(824, 2); // ARPHRD_NETLINK
    expectSkip(LINKTYPE_LINUX_SLL, netlink, 'non-IP');
    const llc = Buffer.from(SLL_IPV4);
    llc.writeUInt16BE(0x0004, 14); // ETH_P_802_2
    expectSkip(LINKTYPE_LINUX_SLL, llc, 'non-IP');
  });

  it('needs 16 bytes', () => {
    expectSkip(LINKTYPE_LINUX_SLL, SLL_IPV4.subarray(0, 15), 'truncated link header');
  });
});

describe('LINUX_SLL2', () => {
  it('finds IPv4 after the 20-byte header, protocol at 0 (real `tcpdump -i any` SYN)', () => {
    expectIp(LINKTYPE_LINUX_SLL2, SLL2_SYN, 4, 20);
  });

  it('finds IPv6', () => {
    const b = Buffer.concat([SLL2_SYN.subarray(0, 20), IPV6_SYN]);
    b.writeUInt16BE(0x86dd, 0);
    expectIp(LINKTYPE_LINUX_SLL2, b, 6, 20);
  });

  it('skips ARP and netlink', () => {
    const arp = Buffer.from(SLL2_SYN);
    arp.writeUInt16BE(0x0806, 0);
    expectSkip(LINKTYPE_LINUX_SLL2, arp, 'ARP');
    const netlink = Buffer.from(SLL2_SYN);
    netlink.writeUInt16BE(824, 8);
    expectSkip(LINKTYPE_LINUX_SLL2, netlink, 'non-IP');
  });

  it('needs 20 bytes', () => {
    expectSkip(LINKTYPE_LINUX_SLL2, SLL2_SYN.subarray(0, 19), 'truncated link header');
  });
});

describe('NULL (family in the capturing host byte order)', () => {
  it.each([
    ['AF_INET little-endian (macOS, x86 BSD)', '02000000', 4],
    ['AF_INET big-endian (SPARC, PowerPC)', '00000002', 4],
    ['AF_INET6 Linux 10, LE', '0a000000', 6],
    ['AF_INET6 Linux 10, BE', '0000000a', 6],
    ['AF_INET6 NetBSD/OpenBSD 24, LE', '18000000', 6],
    ['AF_INET6 NetBSD/OpenBSD 24, BE', '00000018', 6],
    ['AF_INET6 FreeBSD 28, LE', '1c000000', 6],
    ['AF_INET6 FreeBSD 28, BE', '0000001c', 6],
    ['AF_INET6 macOS 30, LE', '1e000000', 6],
    ['AF_INET6 macOS 30, BE', '0000001e', 6],
  ] as const)('%s', (_, family, network) => {
    expectIp(LINKTYPE_NULL, Buffer.concat([hex(family), network === 4 ? IPV4_SYN : IPV6_SYN]), network, 4);
  });

  it('skips other families as non-IP, naming the family', () => {
    expect(expectSkip(LINKTYPE_NULL, hex('07000000 00'), 'non-IP')).toBe('address family 7');
    expect(expectSkip(LINKTYPE_NULL, hex('00000007 00'), 'non-IP')).toBe('address family 7');
  });

  it('needs 4 bytes', () => {
    expectSkip(LINKTYPE_NULL, hex('020000'), 'truncated link header');
  });
});

describe('LOOP (family big-endian)', () => {
  it('reads AF_INET and AF_INET6 big-endian', () => {
    expectIp(LINKTYPE_LOOP, Buffer.concat([hex('00000002'), IPV4_SYN]), 4, 4);
    expectIp(LINKTYPE_LOOP, Buffer.concat([hex('00000018'), IPV6_SYN]), 6, 4);
  });

  it('does not accept little-endian', () => {
    expectSkip(LINKTYPE_LOOP, Buffer.concat([hex('02000000'), IPV4_SYN]), 'non-IP');
  });
});

describe('RAW (no link header)', () => {
  it.each([LINKTYPE_RAW, LINKTYPE_RAW_BSD, LINKTYPE_RAW_OPENBSD])('linktype %i: the version nibble decides', (lt) => {
    expectIp(lt, IPV4_SYN, 4, 0);
    expectIp(lt, IPV6_SYN, 6, 0);
    expect(expectSkip(lt, hex('50'), 'non-IP')).toMatch(/IP version 5/);
    expectSkip(lt, Buffer.alloc(0), 'truncated link header');
  });

  it('IPV4 (228) and IPV6 (229) are raw too', () => {
    expectIp(LINKTYPE_IPV4, IPV4_SYN, 4, 0);
    expectIp(LINKTYPE_IPV6, IPV6_SYN, 6, 0);
  });
});

describe('unknown link types', () => {
  it('are skipped as `linktype NAME`', () => {
    expectSkip(105, EN10MB_SYN, 'linktype IEEE802_11');
    expectSkip(147, EN10MB_SYN, 'linktype LINKTYPE_147');
  });

  it('are named as the capture summary names them (capture/linktypes.ts), LINKTYPE_<n> past its table', () => {
    expectSkip(2, EN10MB_SYN, 'linktype EXP_ETHERNET');
    expectSkip(243, EN10MB_SYN, 'linktype MPEG_2_TS');
    expectSkip(999, EN10MB_SYN, 'linktype LINKTYPE_999');
  });
});

describe('cut short at every length', () => {
  it.each([
    ['EN10MB triple tag', LINKTYPE_EN10MB, Buffer.concat([MACS, hex('9100 0001 88a8 0002 8100 0003 0800')]), 26],
    ['SLL', LINKTYPE_LINUX_SLL, SLL_IPV4, 16],
    ['SLL2', LINKTYPE_LINUX_SLL2, SLL2_SYN.subarray(0, 20), 20],
    ['NULL', LINKTYPE_NULL, hex('02000000'), 4],
  ] as const)('%s: truncated below the header, never throws', (_, lt, b, headerLen) => {
    for (let n = 0; n < headerLen; n++) {
      expectSkip(lt, b.subarray(0, n), 'truncated link header');
    }
    expect(decodeLink(lt, b).ok).toBe(true);
  });
});
