/**
 * EtherType values (IEEE "EtherType" registry), the one place for them: the
 * Ethernet and cooked-capture link layers, VLAN tags, GRE's protocol type,
 * Geneve and VN-Tag all name what follows by one, and the fast path checks
 * for the two IP ones. Also the names synfin counts non-IP frames under.
 */

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
/** ERSPAN type III, in GRE. */
export const ETHERTYPE_ERSPAN_III = 0x22eb;
/** GRE transparent Ethernet bridging: an Ethernet frame follows. */
export const ETHERTYPE_TEB = 0x6558;
export const ETHERTYPE_RARP = 0x8035;
/** 802.1Q VLAN tag. */
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;
/** PPP, as GRE carries it for PPTP (RFC 2637). */
export const ETHERTYPE_PPP = 0x880b;
export const ETHERTYPE_MPLS = 0x8847;
export const ETHERTYPE_MPLS_MULTICAST = 0x8848;
export const ETHERTYPE_PPPOE_DISCOVERY = 0x8863;
export const ETHERTYPE_PPPOE_SESSION = 0x8864;
export const ETHERTYPE_EAPOL = 0x888e;
/** 802.1ad service tag (QinQ's outer tag). */
export const ETHERTYPE_QINQ = 0x88a8;
/** ERSPAN type II, in GRE. */
export const ETHERTYPE_ERSPAN_II = 0x88be;
export const ETHERTYPE_LLDP = 0x88cc;
/** 802.1ah PBB I-TAG. */
export const ETHERTYPE_PBB_ITAG = 0x88e7;
/** Cisco FabricPath. */
export const ETHERTYPE_FABRICPATH = 0x8903;
/** VN-Tag (802.1Qbh). */
export const ETHERTYPE_VNTAG = 0x8926;
/** Pre-802.1ad vendor S-tag (Cisco, Juniper). */
export const ETHERTYPE_QINQ_OLD = 0x9100;

/** IEEE 802.3: a type/length field at or below this is a length, and an LLC header follows. */
const MAX_8023_LENGTH = 1500;

/** Skip reason for a non-IP EtherType: the protocols common on LANs by name, the rest `non-IP`. */
export function ethertypeSkip(type: number): string {
  switch (type) {
    case ETHERTYPE_ARP: return 'ARP';
    case ETHERTYPE_RARP: return 'RARP';
    case ETHERTYPE_LLDP: return 'LLDP';
    case ETHERTYPE_MPLS:
    case ETHERTYPE_MPLS_MULTICAST: return 'MPLS';
    case ETHERTYPE_PPPOE_DISCOVERY:
    case ETHERTYPE_PPPOE_SESSION: return 'PPPoE';
    case ETHERTYPE_EAPOL: return 'EAPOL';
    default: return 'non-IP';
  }
}

/** The skip's detail: the EtherType in hex, or the 802.3 length it really is. */
export function ethertypeDetail(type: number): string {
  const hex = `0x${type.toString(16).padStart(4, '0')}`;
  // IEEE 802.3 clause 3.2.6: values up to 1500 are a frame length, and an 802.2 LLC header follows.
  return type <= MAX_8023_LENGTH ? `802.3 length field ${type} (LLC frame)` : `EtherType ${hex}`;
}
