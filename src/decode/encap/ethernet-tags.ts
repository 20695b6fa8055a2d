/**
 * Link-layer tags that wrap an Ethernet payload: 802.1ah PBB (I-TAG then the
 * customer's Ethernet frame), VN-Tag (802.1Qbh), and Cisco FabricPath (a
 * 16-byte outer header in place of the MACs, then the inner Ethernet frame).
 */

import { fail, ok } from '../segment.ts';
import type { DecodeResult } from '../segment.ts';
import { BAD_ENCAPSULATION } from './result.ts';
import type { Unwrapped } from './result.ts';

/** I-TAG: flags and I-SID (4), then the customer's destination MAC. */
const ITAG = 4;
export function decodePbb(b: Buffer, at: number): DecodeResult<Unwrapped> {
  if (b.length - at < ITAG) return fail(BAD_ENCAPSULATION, at, `PBB I-TAG needs ${ITAG} bytes`);
  return ok({ name: 'PBB', next: { network: 'ethernet', at: at + ITAG } });
}

/** VN-Tag: 4 bytes, then the next EtherType. */
const VNTAG = 4;
export function decodeVnTag(b: Buffer, at: number): DecodeResult<Unwrapped> {
  if (b.length - at < VNTAG + 2) return fail(BAD_ENCAPSULATION, at, `VN-Tag needs ${VNTAG + 2} bytes`);
  return ok({ name: 'VN-Tag', next: { network: 'ethertype', type: b.readUInt16BE(at + VNTAG), typeAt: at + VNTAG, at: at + VNTAG + 2 } });
}

/** FabricPath: outer destination (6), outer source (6), EtherType 0x8903 (2), FTag/TTL (2), then Ethernet. */
const FABRICPATH_REST = 2;
export function decodeFabricPath(b: Buffer, at: number): DecodeResult<Unwrapped> {
  if (b.length - at < FABRICPATH_REST) return fail(BAD_ENCAPSULATION, at, 'FabricPath header not captured');
  return ok({ name: 'FabricPath', next: { network: 'ethernet', at: at + FABRICPATH_REST } });
}
