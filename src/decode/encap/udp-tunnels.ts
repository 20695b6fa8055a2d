/**
 * Tunnels carried in UDP on their standard ports: VXLAN (RFC 7348), Geneve
 * (RFC 8926), GTP-U (3GPP TS 29.281), Teredo (RFC 4380) and AYIYA. Each is a
 * pure function from the UDP payload's offset to what follows.
 */

import { IPPROTO_IPIP, IPPROTO_IPV6 } from '../ipproto.ts';
import { fail, ok } from '../segment.ts';
import type { DecodeResult } from '../segment.ts';
import { BAD_ENCAPSULATION } from './result.ts';
import type { Unwrapped } from './result.ts';

function short(name: string, at: number, need: number, b: Buffer): DecodeResult<Unwrapped> {
  return fail(BAD_ENCAPSULATION, at, `${name} header needs ${need} bytes, has ${Math.max(0, b.length - at)}`);
}

/** VXLAN: flags (1, I bit 0x08), reserved (3), VNI (3), reserved (1), then Ethernet. */
const VXLAN_HEADER = 8;
export function decodeVxlan(b: Buffer, at: number): DecodeResult<Unwrapped> {
  if (b.length - at < VXLAN_HEADER) return short('VXLAN', at, VXLAN_HEADER, b);
  return ok({ name: 'VXLAN', next: { network: 'ethernet', at: at + VXLAN_HEADER } });
}

/** Geneve: version and option length in 4-byte words (1), flags (1), protocol type (2), VNI (4), options. */
const GENEVE_HEADER = 8;
const GENEVE_OPT_LEN = 0;
const GENEVE_PROTOCOL = 2;
export function decodeGeneve(b: Buffer, at: number): DecodeResult<Unwrapped> {
  if (b.length - at < GENEVE_HEADER) return short('Geneve', at, GENEVE_HEADER, b);
  const first = b.readUInt8(at + GENEVE_OPT_LEN);
  if (first >> 6 !== 0) return fail(BAD_ENCAPSULATION, at, `Geneve version ${first >> 6}`);
  const len = GENEVE_HEADER + (first & 0x3f) * 4;
  if (b.length - at < len) return short('Geneve', at, len, b);
  return ok({ name: 'Geneve', next: { network: 'ethertype', type: b.readUInt16BE(at + GENEVE_PROTOCOL), typeAt: at + GENEVE_PROTOCOL, at: at + len } });
}

/**
 * GTP-U: flags (version 1, PT, E, S, PN), message type (0xFF G-PDU), length,
 * TEID; with any of E/S/PN, sequence (2), N-PDU (1), next extension type (1),
 * then extension headers, each a length in 4-byte units ending with the next type.
 */
const GTP_HEADER = 8;
const GTP_OPTIONAL = 4;
const GTP_FLAGS_ESPN = 0x07;
const GTP_FLAG_E = 0x04;
const GTP_GPDU = 0xff;
const GTP_NEXT_EXT = 11;
export function decodeGtpu(b: Buffer, at: number): DecodeResult<Unwrapped> {
  if (b.length - at < GTP_HEADER) return short('GTP-U', at, GTP_HEADER, b);
  const flags = b.readUInt8(at);
  if (flags >> 5 !== 1) return fail(BAD_ENCAPSULATION, at, `GTP version ${flags >> 5}, not 1`);
  if (b.readUInt8(at + 1) !== GTP_GPDU) return fail('GTP-U signalling', at + 1, `GTP message type ${b.readUInt8(at + 1)}`);
  let p = at + GTP_HEADER;
  if ((flags & GTP_FLAGS_ESPN) !== 0) {
    if (b.length - at < GTP_HEADER + GTP_OPTIONAL) return short('GTP-U', at, GTP_HEADER + GTP_OPTIONAL, b);
    p += GTP_OPTIONAL;
    if ((flags & GTP_FLAG_E) !== 0) {
      let next = b.readUInt8(at + GTP_NEXT_EXT);
      // Each extension is at least 4 bytes, so the walk ends within the frame.
      while (next !== 0) {
        if (b.length - p < 4) return fail(BAD_ENCAPSULATION, p, 'GTP-U extension header not captured');
        const len = b.readUInt8(p) * 4;
        if (len === 0) return fail(BAD_ENCAPSULATION, p, 'GTP-U extension header of length 0');
        if (b.length - p < len) return fail(BAD_ENCAPSULATION, p, `GTP-U extension header needs ${len} bytes, has ${b.length - p}`);
        next = b.readUInt8(p + len - 1);
        p += len;
      }
    }
  }
  return ipByNibble('GTP-U', b, p);
}

/**
 * Teredo: an IPv6 packet, optionally preceded by an authentication indicator
 * (0x0001, ID and auth lengths, then 8 bytes nonce and 1 confirmation) and/or
 * an origin indication (0x0000 and 6 bytes).
 */
export function decodeTeredo(b: Buffer, at: number): DecodeResult<Unwrapped> {
  let p = at;
  if (b.length - p >= 4 && b.readUInt16BE(p) === 0x0001) {
    const len = 4 + b.readUInt8(p + 2) + b.readUInt8(p + 3) + 9;
    if (b.length - p < len) return short('Teredo authentication', p, len, b);
    p += len;
  }
  if (b.length - p >= 8 && b.readUInt16BE(p) === 0x0000) p += 8;
  if (b.length - p < 1 || b.readUInt8(p) >> 4 !== 6) return fail('UDP', p, 'Teredo port without an IPv6 packet');
  return ok({ name: 'Teredo', next: { network: 6, at: p } });
}

/** AYIYA: identity and signature lengths, hash/auth/op codes, next header, epoch, then identity and signature. */
const AYIYA_HEADER = 8;
const AYIYA_NEXT = 3;
export function decodeAyiya(b: Buffer, at: number): DecodeResult<Unwrapped> {
  if (b.length - at < AYIYA_HEADER) return short('AYIYA', at, AYIYA_HEADER, b);
  const idLen = 1 << (b.readUInt8(at) >> 4);
  const sigLen = (b.readUInt8(at + 1) >> 4) * 4;
  const p = at + AYIYA_HEADER + idLen + sigLen;
  if (p > b.length) return short('AYIYA', at, p - at, b);
  const next = b.readUInt8(at + AYIYA_NEXT);
  if (next === IPPROTO_IPIP) return ok({ name: 'AYIYA', next: { network: 4, at: p } });
  if (next === IPPROTO_IPV6) return ok({ name: 'AYIYA', next: { network: 6, at: p } });
  return fail('UDP', at + AYIYA_NEXT, `AYIYA next header ${next}`);
}

function ipByNibble(name: string, b: Buffer, p: number): DecodeResult<Unwrapped> {
  if (p >= b.length) return fail(BAD_ENCAPSULATION, p, `${name} payload not captured`);
  const v = b.readUInt8(p) >> 4;
  if (v === 4) return ok({ name, next: { network: 4, at: p } });
  if (v === 6) return ok({ name, next: { network: 6, at: p } });
  return fail('non-IP', p, `${name} payload with IP version ${v}`);
}
