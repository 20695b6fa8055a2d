/**
 * Frame → Segment: link layer, IP, TCP, or the reason the frame is not a TCP segment.
 */

import type { Frame } from '../capture/frame.ts';
import type { DecodeError, Segment, SkipReason } from './segment.ts';
import { decodeLink, resolveNext } from './link.ts';
import { BY_IP_PROTOCOL, BY_UDP_PORT } from './encap/table.ts';
import { decodeIpv4 } from './ipv4.ts';
import { decodeIpv6 } from './ipv6.ts';
import { decodeTcp } from './tcp.ts';
import { decodeFastPath, scratchSegment, type ScratchSegment } from './fast-path.ts';
import { ipv4HeaderChecksumOk, tcpChecksumOk } from './checksum.ts';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_NONE, IPPROTO_TCP, IPPROTO_UDP, ipProtocolName } from './ipproto.ts';
import { decodeIcmp } from './icmp.ts';
import type { IcmpError } from './icmp.ts';
import type { Unwrapped } from './encap/result.ts';
import type { DecodeResult } from './segment.ts';

/**
 * The outcome of decoding one frame. A frame that is not a TCP segment is a
 * skip; when it is an ICMP or ICMPv6 error quoting a TCP segment (skipped as
 * `ICMP` / `ICMPv6`), `icmp` holds the error, for the flow it is about.
 */
export type FrameDecode =
  | { readonly ok: true; readonly segment: Segment }
  | { readonly ok: false; readonly skip: SkipReason; readonly detail?: string; readonly icmp?: IcmpError };

/** Skip reasons decided here rather than by a header decoder. */
export const IPV4_FRAGMENT = 'IPv4 fragment';
export const IPV6_FRAGMENT = 'IPv6 fragment';
export const IPV6_NO_NEXT_HEADER = 'IPv6 no next header';

/** Knobs of decodeFrame. */
export interface DecodeOptions {
  /**
   * Verify the IPv4 header and TCP checksums; a frame that fails is skipped
   * as `bad IPv4 checksum` or `bad TCP checksum` (Zeek drops such packets
   * too, unless run with -C). Frames cut by the snaplen cannot be verified
   * and are kept.
   */
  readonly verifyChecksums?: boolean;
  /**
   * Check the IPv4 header and TCP checksums and keep the frame, marking a
   * wrong one in Segment.badChecksum (for the Zeek view with
   * `--zeek-checksums verify`). Ignored for a check verifyChecksums makes.
   */
  readonly markChecksums?: boolean;
}

/** Skip reasons for failed checksums (with DecodeOptions.verifyChecksums). */
export const BAD_IPV4_CHECKSUM = 'bad IPv4 checksum';
export const BAD_TCP_CHECKSUM = 'bad TCP checksum';

/**
 * Decodes one frame into a TCP segment, or says why it is not one.
 *
 * Skip reasons: `linktype NAME`, `truncated link header`, `ARP` (and `RARP`,
 * `LLDP`, `MPLS`, `PPPoE`, `EAPOL`), `non-IP`, `bad IPv4 header`,
 * `IPv4 fragment`, `bad IPv6 header`, `IPv6 fragment`, `IPv6 no next header`,
 * the transport's name (`UDP`, `ICMP`, `ICMPv6`, …, or `IP proto N`),
 * `bad TCP header` and `truncated TCP header`. The detail names the byte
 * offset in the frame and what was wrong. Fragments are skipped, never read
 * as TCP: only the first carries the TCP header, and without reassembly its
 * payload length would be wrong.
 *
 * An ICMP or ICMPv6 error quoting a TCP segment (icmp.ts) is skipped as
 * `ICMP` / `ICMPv6` like any other, and carries the decoded error in `icmp`,
 * inside whatever encapsulation it came (its `via`), for the flow it is about.
 */
export function decodeFrame(frame: Frame, options: DecodeOptions = {}, scratch?: ScratchDecode): FrameDecode {
  // Plain Ethernet/IP/TCP in one pass (fast-path.ts); the same Segment the general path builds.
  if (options.verifyChecksums !== true && options.markChecksums !== true) {
    const segment = decodeFastPath(frame, scratch?.fields);
    if (segment !== undefined) {
      if (scratch === undefined) return { ok: true, segment };
      return scratch.result;
    }
  }
  return decodeFrameByLayers(frame, options);
}

/**
 * decodeFrame's general path: the link, IP and TCP decoders one after the
 * other, for every link type and header the decoders know. decodeFrame takes
 * it for whatever decodeFastPath leaves; tests compare the two.
 */
export function decodeFrameByLayers(frame: Frame, options: DecodeOptions = {}): FrameDecode {
  const b = frame.data;
  let link = decodeLink(frame.linktype, b);
  if (!link.ok) return skip(frame, link.error);

  let ipVersion: 4 | 6;
  let badChecksum: 'ip' | 'tcp' | undefined;
  let src: string;
  let dst: string;
  let tcpAt: number;
  let end: number;
  let ipLen: number;
  let addrAt: number;
  // Each pass reads one IP header; a tunnel under it (IPIP, GRE, a UDP port's
  // tunnel) leads to the next, until TCP. resolveNext bounds the depth.
  for (;;) {
    const at = link.value.at;
    let protocol: number;
    let payloadAt: number;
    let packetEnd: number;
    let layerSrc: string;
    let layerDst: string;
    if (link.value.network === 4) {
      const ip = decodeIpv4(b, at, frame.origLen);
      if (!ip.ok) return skip(frame, ip.error);
      const h = ip.value;
      // RFC 791: a fragment has MF set or a non-zero offset; only the whole set is a segment.
      if (h.moreFragments || h.fragmentOffset !== 0) {
        return {
          ok: false,
          skip: IPV4_FRAGMENT,
          detail: `id 0x${h.id.toString(16).padStart(4, '0')} offset ${h.fragmentOffset}${h.moreFragments ? ' MF' : ''}`,
        };
      }
      protocol = h.protocol;
      payloadAt = h.payloadAt;
      packetEnd = h.end;
      layerSrc = h.src;
      layerDst = h.dst;
      if (protocol === IPPROTO_TCP) {
        if (options.verifyChecksums === true && !ipv4HeaderChecksumOk(b, at, h.headerLen)) {
          return { ok: false, skip: BAD_IPV4_CHECKSUM, detail: `byte ${at + 10}: IPv4 header checksum does not add up` };
        }
        if (options.markChecksums === true && badChecksum === undefined && !ipv4HeaderChecksumOk(b, at, h.headerLen)) badChecksum = 'ip';
        ipVersion = 4;
        addrAt = at + 12;
        src = h.src;
        dst = h.dst;
        tcpAt = h.payloadAt;
        end = h.end;
        ipLen = h.totalLen;
        break;
      }
    } else {
      const ip = decodeIpv6(b, at);
      if (!ip.ok) return skip(frame, ip.error);
      const h = ip.value;
      const f = h.fragment;
      if (f !== undefined && (f.offset !== 0 || f.more)) {
        return {
          ok: false,
          skip: IPV6_FRAGMENT,
          detail: `id 0x${f.id.toString(16).padStart(8, '0')} offset ${f.offset}${f.more ? ' M' : ''}`,
        };
      }
      if (h.protocol === IPPROTO_NONE) return { ok: false, skip: IPV6_NO_NEXT_HEADER };
      protocol = h.protocol;
      payloadAt = h.payloadAt;
      packetEnd = h.end;
      layerSrc = h.src;
      layerDst = h.dst;
      if (protocol === IPPROTO_TCP) {
        ipVersion = 6;
        addrAt = at + 8;
        src = h.src;
        dst = h.dst;
        tcpAt = h.payloadAt;
        end = h.end;
        ipLen = 40 + h.payloadLength;
        break;
      }
    }
    const layerVersion = link.value.network;
    if ((protocol === IPPROTO_ICMP && layerVersion === 4) || (protocol === IPPROTO_ICMPV6 && layerVersion === 6)) {
      return icmpSkip(frame, b, payloadAt, packetEnd, layerVersion, layerSrc, layerDst, link.value.via);
    }
    const tunnel = ipTunnel(b, protocol, payloadAt, packetEnd);
    if (tunnel === undefined) return { ok: false, skip: ipProtocolName(protocol) };
    if (!tunnel.ok) return skip(frame, tunnel.error);
    link = resolveNext(b, tunnel.value.next, [...link.value.via, tunnel.value.name]);
    if (!link.ok) return skip(frame, link.error);
  }
  const via = link.value.via;

  const tcp = decodeTcp(b, tcpAt, end);
  if (!tcp.ok) return skip(frame, tcp.error);
  const t = tcp.value;
  // An IP length past the frame's wire length claims bytes no snaplen cut
  // (those would be inside the wire length): the packet was sliced or forged.
  const wireEnd = Math.max(frame.origLen, b.length);
  const missingLen = end > wireEnd ? Math.min(end - wireEnd, t.payloadLen) : 0;
  if (options.verifyChecksums === true && end <= b.length && !tcpChecksumOk(b, addrAt, ipVersion === 4 ? 4 : 16, tcpAt, end)) {
    return { ok: false, skip: BAD_TCP_CHECKSUM, detail: `byte ${tcpAt + 16}: TCP checksum does not add up` };
  }
  if (options.markChecksums === true && badChecksum === undefined && end <= b.length && !tcpChecksumOk(b, addrAt, ipVersion === 4 ? 4 : 16, tcpAt, end)) {
    badChecksum = 'tcp';
  }
  return {
    ok: true,
    segment: {
      frame: frame.number,
      sec: frame.sec,
      nsec: frame.nsec,
      ipVersion,
      src,
      dst,
      srcPort: t.srcPort,
      dstPort: t.dstPort,
      seq: t.seq,
      ack: t.ack,
      flags: t.flags,
      window: t.window,
      urgent: t.urgent,
      headerLen: t.headerLen,
      payloadLen: t.payloadLen,
      frameLen: frame.origLen,
      ipLen,
      options: t.options,
      optionsError: t.optionsError,
      truncated: t.truncated,
      ...(via.length === 0 ? {} : { via }),
      ...(badChecksum === undefined ? {} : { badChecksum }),
      ...(missingLen === 0 ? {} : { missingLen }),
    },
  };
}

/**
 * An ICMP or ICMPv6 packet: skipped as before (`ICMP`, `ICMPv6`), with the
 * error it carries when it is one about a TCP segment (icmp.ts), for the
 * engine to attach to that segment's flow. A message that is no such error,
 * or is malformed, is the plain skip it always was.
 */
function icmpSkip(
  frame: Frame, b: Buffer, at: number, end: number, ipVersion: 4 | 6, src: string, dst: string, via: readonly string[],
): FrameDecode {
  const protocol = ipVersion === 4 ? 'ICMP' : 'ICMPv6';
  const message = decodeIcmp(b, at, end, protocol);
  if (!message.ok) return { ok: false, skip: protocol };
  const icmp: IcmpError = {
    ...message.value,
    frame: frame.number,
    sec: frame.sec,
    nsec: frame.nsec,
    ipVersion,
    src,
    dst,
    frameLen: frame.origLen,
    ...(via.length === 0 ? {} : { via }),
  };
  return { ok: false, skip: protocol, icmp };
}

/** UDP: source port, destination port, length, checksum. */
const UDP_HEADER = 8;

/**
 * The tunnel an IP packet's payload carries, by IP protocol or (for UDP) by
 * either port; undefined when the payload is no tunnel synfin reads.
 */
function ipTunnel(b: Buffer, protocol: number, at: number, end: number): DecodeResult<Unwrapped> | undefined {
  if (protocol === IPPROTO_UDP) {
    if (b.length - at < UDP_HEADER || end - at < UDP_HEADER) return undefined;
    const decoder = BY_UDP_PORT.get(b.readUInt16BE(at + 2)) ?? BY_UDP_PORT.get(b.readUInt16BE(at));
    if (decoder === undefined) return undefined;
    const inner = decoder(b, at + UDP_HEADER);
    // A tunnel port whose payload is not that tunnel's (GTP-C on the same box, a Teredo bubble) is plain UDP.
    if (!inner.ok && (inner.error.kind === 'UDP' || inner.error.kind === 'GTP-U signalling')) return undefined;
    return inner;
  }
  const decoder = BY_IP_PROTOCOL.get(protocol);
  return decoder === undefined ? undefined : decoder(b, at);
}

/** A decoder's failure as a skip: its kind is the reason; the detail says where, and notes a snaplen cut. */
function skip(frame: Frame, error: DecodeError): FrameDecode {
  const cut = frame.data.length < frame.origLen ? ` (${frame.data.length} of ${frame.origLen} bytes captured)` : '';
  return { ok: false, skip: error.kind, detail: `byte ${error.offset}: ${error.message}${cut}` };
}

/**
 * What decodeFrame reuses for a plain Ethernet/IP/TCP frame, for a caller
 * done with each result before it decodes the next frame (the analysis
 * loop): the result and its segment are overwritten by the next call.
 */
export interface ScratchDecode {
  readonly fields: ScratchSegment;
  readonly result: FrameDecode & { readonly ok: true };
}

export function scratchDecode(): ScratchDecode {
  const fields = scratchSegment();
  return { fields, result: { ok: true, segment: fields.segment } };
}
