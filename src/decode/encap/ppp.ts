/**
 * The PPP protocol field (RFC 1661 §2), shared by every place PPP is decoded:
 * the PPP link types, PPPoE and GRE's PPP. Two bytes, or one under
 * Protocol-Field-Compression (RFC 1661 §6.5): protocol numbers have an even
 * first byte and an odd last one, so an odd first byte is a whole one-byte
 * field (0x21 for IPv4, the 0x00 before it dropped). tshark reads both.
 */

/** The protocol number and where what it names begins; undefined when the bytes are not there. */
export function pppProtocol(b: Buffer, at: number): { readonly protocol: number; readonly at: number } | undefined {
  if (at >= b.length) return undefined;
  const first = b.readUInt8(at);
  if ((first & 1) === 1) return { protocol: first, at: at + 1 };
  if (at + 2 > b.length) return undefined;
  return { protocol: b.readUInt16BE(at), at: at + 2 };
}
