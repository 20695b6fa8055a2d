/**
 * PPPoE session stage (RFC 2516 §4): version/type, code, session id, length,
 * then a PPP protocol number (one byte when compressed, ppp.ts).
 */

import { fail, ok } from '../segment.ts';
import type { DecodeResult } from '../segment.ts';
import { BAD_ENCAPSULATION } from './result.ts';
import type { Unwrapped } from './result.ts';
import { pppProtocol } from './ppp.ts';

const VER_TYPE = 0;
const PPP_PROTOCOL = 6;
/** The session header and a compressed (one-byte) protocol. */
const HEADER_AND_PROTOCOL = 7;

/** Decodes a PPPoE session header at `at`. */
export function decodePppoe(b: Buffer, at: number): DecodeResult<Unwrapped> {
  if (b.length - at < HEADER_AND_PROTOCOL) {
    return fail(BAD_ENCAPSULATION, at, `PPPoE session header needs ${HEADER_AND_PROTOCOL} bytes, has ${Math.max(0, b.length - at)}`);
  }
  if (b.readUInt8(at + VER_TYPE) !== 0x11) return fail(BAD_ENCAPSULATION, at, `PPPoE version/type 0x${b.readUInt8(at).toString(16)}, not 0x11`);
  const ppp = pppProtocol(b, at + PPP_PROTOCOL);
  if (ppp === undefined) return fail(BAD_ENCAPSULATION, at + PPP_PROTOCOL, 'PPPoE session header cut inside its PPP protocol');
  return ok({ name: 'PPPoE', next: { network: 'ppp', protocol: ppp.protocol, typeAt: at + PPP_PROTOCOL, at: ppp.at } });
}
