/**
 * Internet checksums (RFC 1071) of the IPv4 header and of TCP with its
 * pseudo-header (RFC 9293 §3.1; RFC 8200 §8.1 for IPv6). Verified only on
 * request: on the host that sent them, offloaded checksums are not yet filled
 * in when tcpdump sees the packet, so they are wrong by design.
 */

/** One's-complement sum of `b[from..to)` added to `sum`, folded to 16 bits at the end by the caller. */
function sum16(b: Buffer, from: number, to: number, sum = 0): number {
  let s = sum;
  let i = from;
  for (; i + 1 < to; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < to) s += b[i]! << 8;
  return s;
}

function fold(s: number): number {
  let x = s;
  while (x > 0xffff) x = (x & 0xffff) + Math.floor(x / 0x10000);
  return x;
}

/** True when the IPv4 header at `at` (length `headerLen`) sums to 0xFFFF. */
export function ipv4HeaderChecksumOk(b: Buffer, at: number, headerLen: number): boolean {
  return fold(sum16(b, at, at + headerLen)) === 0xffff;
}

/**
 * True when the TCP segment `b[tcpAt..end)` checks out against its
 * pseudo-header: source and destination addresses (`b[addrAt..addrAt+2*addrLen)`,
 * as both IP headers lay them out back to back), protocol 6 and the TCP length.
 */
export function tcpChecksumOk(b: Buffer, addrAt: number, addrLen: 4 | 16, tcpAt: number, end: number): boolean {
  let s = sum16(b, addrAt, addrAt + 2 * addrLen);
  s += 6 + (end - tcpAt);
  s = sum16(b, tcpAt, end, s);
  return fold(s) === 0xffff;
}
