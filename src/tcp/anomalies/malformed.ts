/** Detectors for segments whose headers claim more than their frame carried. */

import type { Detector } from '../types.ts';
import { at, NO_FINDINGS, who } from './describe.ts';

/**
 * The IP length claims payload bytes past the frame's length on the wire
 * (Segment.missingLen): a capturing tool sliced the packet, or it was forged.
 * tcpdump prints `truncated-ip - N bytes missing!`, tshark "IPv4 total length
 * exceeds packet length". Not a snaplen cut: those bytes were on the wire.
 */
export const ipLengthExceedsFrame: Detector = (obs) => {
  const missing = obs.seg.missingLen;
  if (missing === undefined || missing <= 0) return NO_FINDINGS;
  const { seg } = obs;
  const claim = seg.ipVersion === 4 ? `IPv4 total length ${seg.ipLen}` : `IPv6 payload length ${seg.ipLen - 40}`;
  return [
    at(obs, 'ip-length-exceeds-frame',
      `frame ${seg.frame} from ${who(obs.sender)} is ${seg.frameLen} bytes on the wire, but its ${claim} claims ${missing} payload bytes more: sliced by the capturing tool, or forged (counted in the sequence space, not as payload)`,
      'sender', { bytes: missing }),
  ];
};
