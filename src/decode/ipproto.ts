/**
 * IP protocol numbers (IPv4 Protocol field, IPv6 Next Header), the one place
 * for them, and the names synfin counts non-TCP packets under.
 */

/** IANA "Assigned Internet Protocol Numbers". */
export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_IGMP = 2;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_GRE = 47;
export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;
export const IPPROTO_OSPF = 89;
export const IPPROTO_PIM = 103;
export const IPPROTO_VRRP = 112;
export const IPPROTO_SCTP = 132;
export const IPPROTO_MOBILITY = 135;
export const IPPROTO_UDPLITE = 136;
/** Host Identity Protocol (RFC 7401): an IPv6 extension header. */
export const IPPROTO_HIP = 139;
/** Shim6 (RFC 5533): an IPv6 extension header. */
export const IPPROTO_SHIM6 = 140;

/**
 * The skip reason for a packet whose transport is not TCP: a short name for
 * the protocols seen in ordinary captures, `IP proto <n>` for the rest. The set
 * is closed (at most 256 keys), so `summary.skipped` stays small.
 */
export function ipProtocolName(protocol: number): string {
  switch (protocol) {
    case IPPROTO_ICMP: return 'ICMP';
    case IPPROTO_IGMP: return 'IGMP';
    case IPPROTO_IPIP: return 'IPIP';
    case IPPROTO_TCP: return 'TCP';
    case IPPROTO_UDP: return 'UDP';
    case IPPROTO_IPV6: return 'IPv6-in-IP';
    case IPPROTO_GRE: return 'GRE';
    case IPPROTO_ESP: return 'ESP';
    case IPPROTO_AH: return 'AH';
    case IPPROTO_ICMPV6: return 'ICMPv6';
    case IPPROTO_OSPF: return 'OSPF';
    case IPPROTO_PIM: return 'PIM';
    case IPPROTO_VRRP: return 'VRRP';
    case IPPROTO_SCTP: return 'SCTP';
    case IPPROTO_UDPLITE: return 'UDPLite';
    default: return `IP proto ${protocol}`;
  }
}
