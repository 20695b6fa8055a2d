/**
 * What the decoders produce: a TCP segment with the facts the flow table and
 * the lifecycle engine need, or the reason a frame was not one.
 */


/** TCP flag bits (RFC 9293 §3.1; AE is RFC 3540's NS bit, renamed by RFC 9768). */
export const FIN = 0x001;
export const SYN = 0x002;
export const RST = 0x004;
export const PSH = 0x008;
export const ACK = 0x010;
export const URG = 0x020;
export const ECE = 0x040;
export const CWR = 0x080;
export const AE = 0x100;

/** TCP option kinds synfin names (IANA "TCP Option Kind Numbers"). */
export type TcpOption =
  | { readonly kind: 'mss'; readonly value: number }
  | { readonly kind: 'wscale'; readonly shift: number }
  | { readonly kind: 'sack-permitted' }
  | { readonly kind: 'sack'; readonly blocks: readonly (readonly [left: number, right: number])[] }
  | { readonly kind: 'timestamps'; readonly tsval: number; readonly tsecr: number }
  | { readonly kind: 'tfo'; readonly cookie: string }
  | { readonly kind: 'unknown'; readonly number: number; readonly length: number };

/** One decoded TCP segment. */
export interface Segment {
  /** Frame number (1-based, Wireshark's `frame.number`). */
  readonly frame: number;
  readonly sec: number;
  readonly nsec: number;
  readonly ipVersion: 4 | 6;
  /** Addresses in their usual text form (dotted quad; RFC 5952 for IPv6). */
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  /** Bitwise OR of FIN, SYN, RST, ... above. */
  readonly flags: number;
  /** Raw (unscaled) window field. */
  readonly window: number;
  readonly urgent: number;
  readonly headerLen: number;
  /**
   * Payload length from the IP header's length (not the captured bytes), so a
   * snaplen cut does not shrink the sequence space a segment occupies.
   */
  readonly payloadLen: number;
  /** Length of the frame on the wire (the capture's original length), as Wireshark's frame.len. */
  readonly frameLen: number;
  /** Length of the IP packet as its header states it (IPv4 total length; IPv6 40 + payload length). */
  readonly ipLen: number;
  readonly options: readonly TcpOption[];
  /** Set when the option list was malformed; the options decoded before the fault are kept. */
  readonly optionsError: string | undefined;
  /** True when the capture holds fewer bytes than the IP length says the packet has (snaplen, or missingLen). */
  readonly truncated: boolean;
  /**
   * Payload bytes the IP length claims (IPv4 total length, IPv6 payload
   * length) beyond the frame's length on the wire: bytes that were never
   * there to capture, because a capturing tool sliced the packet or it was
   * forged (tcpdump's `truncated-ip - N bytes missing!`). The segment still
   * occupies the sequence space of payloadLen, as the peers' seq and ack say,
   * but only payloadLen − missingLen bytes count as its payload, as tshark's
   * tcp.len. Absent when the frame holds all it claims, or was only cut by
   * the snaplen (those bytes were on the wire).
   */
  readonly missingLen?: number;
  /**
   * Set only when decoding with DecodeOptions.markChecksums and a checksum
   * is wrong: `ip` for the IPv4 header's, `tcp` for the TCP checksum. Zeek
   * (zeek/analyzer.ts) drops such packets unless told to ignore checksums.
   */
  readonly badChecksum?: 'ip' | 'tcp';
  /**
   * Encapsulations the segment came through, outermost first (`MPLS`, `GRE`,
   * `VXLAN`, …; VLAN tags not counted); absent for a plain frame.
   */
  readonly via?: readonly string[];
}

/**
 * Why a frame is not a TCP segment. Keys of `summary.skipped` are these names
 * (non-TCP protocols by name, e.g. `UDP`, `ARP`, `ICMPv6`; unknown link types as
 * `linktype NAME`).
 */
export type SkipReason = string;

/** A decoding fault: where in the frame and why. */
export interface DecodeError {
  readonly kind: string;
  readonly offset: number;
  readonly message: string;
}

/** Discriminated result of a pure decoder. */
export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: DecodeError };

/** Wraps a decoded value. */
export function ok<T>(value: T): DecodeResult<T> {
  return { ok: true, value };
}

/** Builds a decoding fault. */
export function fail<T>(kind: string, offset: number, message: string): DecodeResult<T> {
  return { ok: false, error: { kind, offset, message } };
}
