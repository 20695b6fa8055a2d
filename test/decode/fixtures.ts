/**
 * Byte fixtures for the decoder tests, annotated field by field. The SYNs are
 * real: captured with tcpdump on a Linux loopback (EN10MB on `lo`, SLL2 on
 * `any`), checksums as the kernel left them (offloaded, so "incorrect").
 */

import type { Frame } from '../../src/capture/frame.ts';

/** Joins annotated hex strings ("45 00 003c") into bytes. */
export function hex(...parts: string[]): Buffer {
  return Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');
}

/** A copy of `b` with `bytes` written at `at`. */
export function patch(b: Buffer, at: number, bytes: Buffer | readonly number[]): Buffer {
  const c = Buffer.from(b);
  Buffer.from(bytes).copy(c, at);
  return c;
}

/** A Frame around `data`; origLen defaults to the captured length. */
export function frame(linktype: number, data: Buffer, origLen: number = data.length, number = 1): Frame {
  return { number, source: 0, record: number, sec: 1_700_000_000, nsec: 123_456_000, precision: 'us', linktype, data, origLen };
}

/** TCP header of a Linux SYN, 127.0.0.1:34048 → 127.0.0.1:18081 (40 bytes). */
export const TCP_SYN = hex(
  '8500 46a1', //      source port 34048, destination port 18081
  '8ea10b35', //       seq 2392918837
  '00000000', //       ack 0
  'a0 02', //          data offset 10 (40 bytes), flags SYN
  'ffd7 fe30 0000', // window 65495, checksum (offloaded), urgent 0
  '0204 ffd7', //      MSS 65495
  '0402', //           SACK permitted
  '080a 0501f65c 00000000', // timestamps val 84014684 ecr 0
  '01', //             NOP
  '0303 0a', //        window scale 10
);

/** IPv4 header carrying TCP_SYN (20 bytes). */
export const IPV4_SYN_HEADER = hex(
  '45 00 003c', //     version 4, IHL 5, TOS 0, total length 60
  '16ca 4000', //      id 0x16ca, DF, fragment offset 0
  '40 06 25f0', //     TTL 64, protocol TCP, checksum
  '7f000001', //       source 127.0.0.1
  '7f000001', //       destination 127.0.0.1
);

/** The IPv4 packet: header + SYN (60 bytes). */
export const IPV4_SYN = Buffer.concat([IPV4_SYN_HEADER, TCP_SYN]);

/** Ethernet II header for IPv4 on Linux `lo` (all-zero MACs). */
export const ETH_IPV4 = hex('000000000000', '000000000000', '0800');

/** The whole EN10MB frame (74 bytes) as tcpdump wrote it. */
export const EN10MB_SYN = Buffer.concat([ETH_IPV4, IPV4_SYN]);

/** IPv6 SYN, [::1]:48972 → [::1]:18083 (80 bytes: 40 fixed header + 40 TCP). */
export const IPV6_SYN = hex(
  '6 00 0deab', //     version 6, traffic class 0, flow label 0x0deab
  '0028 06 40', //     payload length 40, next header TCP, hop limit 64
  '00000000000000000000000000000001', // source ::1
  '00000000000000000000000000000001', // destination ::1
  'bf4c 46a3', //      ports 48972 → 18083
  'ff3b3d73 00000000', // seq 4282072435, ack 0
  'a0 02 ffc4 0030 0000', // data offset 10, SYN, window 65476, checksum, urgent
  '0204 ffc4 0402 080a 95e1bf90 00000000 01 0303 0a', // MSS 65476, SACK-perm, TS, NOP, wscale 10
);

/** Ethernet II header for IPv6. */
export const ETH_IPV6 = hex('000000000000', '000000000000', '86dd');

/** SLL2 header from `tcpdump -i any` (20 bytes), protocol IPv4. */
export const SLL2_IPV4 = hex(
  '0800 0000', //      protocol IPv4, reserved
  '00000001', //       interface index 1 (lo)
  '0304 00 06', //     ARPHRD_LOOPBACK (772), packet type host, address length 6
  '0000000000000000', // address
);

/** The whole LINUX_SLL2 frame (80 bytes) as tcpdump wrote it. */
export const SLL2_SYN = Buffer.concat([
  SLL2_IPV4,
  hex('4500 003c 8474 4000 4006 b845 7f000001 7f000001'),
  hex('b4c6 46a2 92652890 00000000 a002 ffd7 fe30 0000 0204ffd7 0402 080a d463234d 00000000 01 03030a'),
]);

/** SLL (v1) header (16 bytes), protocol IPv4. */
export const SLL_IPV4 = hex(
  '0000', //           packet type: to us
  '0304', //           ARPHRD_LOOPBACK
  '0006', //           address length 6
  '0000000000000000', // address
  '0800', //           protocol IPv4
);

/** TCP ACK with 100 bytes of payload (20-byte header), 10.0.0.1:5000 → 10.0.0.2:80. */
export const TCP_ACK_HEADER = hex(
  '1388 0050', //      ports 5000 → 80
  '00000064 000003e8', // seq 100, ack 1000
  '50 18', //          data offset 5, PSH|ACK
  '0200 0000 0000', // window 512, checksum, urgent
);

/** IPv4 packet with TCP_ACK_HEADER and 100 bytes of payload (140 bytes). */
export const IPV4_ACK_DATA = Buffer.concat([
  hex('4500 008c 0001 4000 4006 0000', '0a000001', '0a000002'), // total length 140
  TCP_ACK_HEADER,
  Buffer.alloc(100, 0x61),
]);

/** A 20-byte TCP header with the given flags byte 13 and AE bit (byte 12 low bit). */
export function tcpHeader(flags = 0x02, options: Buffer = Buffer.alloc(0), ae = false): Buffer {
  const words = 5 + options.length / 4;
  if (!Number.isInteger(words)) throw new Error('options must be padded to 4 bytes');
  const h = Buffer.concat([hex('0400 0050 00000001 00000000 0000 ffff 0000 0000'), options]);
  h.writeUInt8((words << 4) | (ae ? 1 : 0), 12);
  h.writeUInt8(flags, 13);
  return h;
}
