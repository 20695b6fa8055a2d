/** The conn.log fields Zeek derives from its connection's state when it writes the row (analyzer.ts keeps that state). */

import type { ZeekEndpoint, ZeekState } from './types.ts';

/**
 * Payload bytes Zeek reports for an endpoint (TCP_Endpoint::Size): from
 * sequence numbers, the larger of what it sent and what its peer acked,
 * minus the SYN and FIN. A bigint, because Zeek computes in uint64 and a
 * confused endpoint can underflow to a 20-digit count, which Zeek prints.
 */
export function zeekEndpointSize(ep: ZeekEndpoint, peer: ZeekEndpoint): bigint {
  const start = BigInt(ep.startSeq);
  const ack64 = (BigInt(ep.ackWraps) << 32n) + BigInt(ep.ackSeq);
  const noDataAcked = ack64 === start || ack64 === start + 1n;
  // "This looks like a half-open connection was discovered and aborted."
  if (ep.prevState === 'SYN_SENT' && ep.state === 'RESET' && peer.state === 'INACTIVE' && !noDataAcked) return 0n;

  const last64 = (BigInt(ep.seqWraps) << 32n) + BigInt(ep.lastSeq);
  let size = BigInt.asUintN(64, (last64 > ack64 ? last64 : ack64) - start);
  if (size !== 0n) --size; // the SYN octet
  if (ep.finCount > 0 && size !== 0n) --size; // the FIN octet
  return size;
}

/** conn.log `orig_bytes` and `resp_bytes` of the connection Zeek has now. */
export function zeekSizes(z: ZeekState): { readonly orig: bigint; readonly resp: bigint } {
  return { orig: zeekEndpointSize(z.orig, z.resp), resp: zeekEndpointSize(z.resp, z.orig) };
}

/** conn.log `duration` of the connection Zeek has now: `last_time - start_time`. */
export function zeekDuration(z: ZeekState): number {
  return z.lastTime - z.startTime;
}

/** conn.log `history` of the connection Zeek has now. */
export function zeekHistory(z: ZeekState): string {
  return z.history;
}

/** True when the originator of the connection Zeek has now sent the flow's first segment. */
export function zeekOrigIsFirstSender(z: ZeekState): boolean {
  return z.orig === z.first;
}

// main.zeek conn_state(): `/\^?S[^HAFGIQ]*R.*/ == c$history` (a whole-string match).
const RSTOS0_HISTORY = /^\^?S[^HAFGIQ]*R.*$/s;

/** conn.log `conn_state` of the connection Zeek has now, exactly as main.zeek's `conn_state()` derives it. */
export function zeekConnState(z: ZeekState): string {
  const os = z.orig.state;
  const rs = z.resp.state;
  const oInactive = os === 'INACTIVE' || os === 'PARTIAL';
  const rInactive = rs === 'INACTIVE' || rs === 'PARTIAL';

  if (rs === 'RESET') {
    if (os === 'SYN_SENT' || os === 'SYN_ACK_SENT') return 'REJ';
    if (os === 'RESET') {
      const sizes = zeekSizes(z);
      if (sizes.orig === 0n && sizes.resp === 0n) return 'REJ';
    }
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === 'RESET') {
    if (rInactive) return RSTOS0_HISTORY.test(z.history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === 'CLOSED' && os === 'CLOSED') return 'SF';
  if (os === 'CLOSED') return rInactive ? 'SH' : 'S2';
  if (rs === 'CLOSED') return oInactive ? 'SHR' : 'S3';
  if (os === 'SYN_SENT' && rs === 'INACTIVE') return 'S0';
  if (os === 'ESTABLISHED' && rs === 'ESTABLISHED') return 'S1';
  return 'OTH';
}
