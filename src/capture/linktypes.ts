/**
 * Link-layer header types as they appear in capture files (the LINKTYPE_*
 * registry kept by tcpdump.org). Link types stay open numbers: an unknown one
 * is named `LINKTYPE_<n>` and counted downstream, never fatal.
 *
 * The one place for these numbers and names. The capture readers name the
 * link types they meet (pcap.ts, pcapng.ts) and the decoders switch on them
 * (decode/link.ts, decode/fast-path.ts); the pipeline runs capture → decode →
 * flow → tcp → report → cli and a stage imports only from the stages before
 * it, so the numbers live here, in the first stage, for decode/ to import.
 */

/** BSD loopback: a 4-byte address family in the capturing host's byte order. */
export const LINKTYPE_NULL = 0;
/** Ethernet (all speeds). */
export const LINKTYPE_EN10MB = 1;
/** PPP, with or without an HDLC-like header. */
export const LINKTYPE_PPP = 9;
/** PPP in HDLC-like framing (RFC 1662). */
export const LINKTYPE_PPP_HDLC = 50;
/**
 * Raw IP as some BSDs wrote it before LINKTYPE_RAW existed: DLT_RAW was 12 on
 * most BSDs and 14 on OpenBSD, and libpcap reads both as raw IP.
 */
export const LINKTYPE_RAW_BSD = 12;
/** See {@link LINKTYPE_RAW_BSD}: OpenBSD's DLT_RAW value. */
export const LINKTYPE_RAW_OPENBSD = 14;
/** Raw IPv4 or IPv6, told apart by the version nibble. */
export const LINKTYPE_RAW = 101;
/** Cisco HDLC: address, control, then an EtherType. */
export const LINKTYPE_C_HDLC = 104;
/** IEEE 802.11 without radio header. */
export const LINKTYPE_IEEE802_11 = 105;
/** OpenBSD loopback: like NULL but the address family is big-endian. */
export const LINKTYPE_LOOP = 108;
/** Linux cooked capture v1 (`tcpdump -i any` before libpcap 1.10). */
export const LINKTYPE_LINUX_SLL = 113;
/** 802.11 with a radiotap header. */
export const LINKTYPE_IEEE802_11_RADIOTAP = 127;
/** Raw IPv4 only. */
export const LINKTYPE_IPV4 = 228;
/** Raw IPv6 only. */
export const LINKTYPE_IPV6 = 229;
/** Linux cooked capture v2 (what `tcpdump -i any` writes since libpcap 1.10). */
export const LINKTYPE_LINUX_SLL2 = 276;

/**
 * Names from the tcpdump.org LINKTYPE_ registry without the prefix, except 1,
 * which is `EN10MB` as tcpdump, `capinfos` and synfin's DESIGN call it rather
 * than the registry's `ETHERNET`.
 */
const NAMES: ReadonlyMap<number, string> = new Map([
  [LINKTYPE_NULL, 'NULL'],
  [LINKTYPE_EN10MB, 'EN10MB'],
  [2, 'EXP_ETHERNET'],
  [3, 'AX25'],
  [4, 'PRONET'],
  [5, 'CHAOS'],
  [6, 'IEEE802_5'],
  [7, 'ARCNET_BSD'],
  [8, 'SLIP'],
  [LINKTYPE_PPP, 'PPP'],
  [10, 'FDDI'],
  [LINKTYPE_RAW_BSD, 'RAW'],
  [LINKTYPE_RAW_OPENBSD, 'RAW'],
  [LINKTYPE_PPP_HDLC, 'PPP_HDLC'],
  [51, 'PPP_ETHER'],
  [100, 'ATM_RFC1483'],
  [LINKTYPE_RAW, 'RAW'],
  [102, 'SLIP_BSDOS'],
  [103, 'PPP_BSDOS'],
  [LINKTYPE_C_HDLC, 'C_HDLC'],
  [LINKTYPE_IEEE802_11, 'IEEE802_11'],
  [106, 'ATM_CLIP'],
  [107, 'FRELAY'],
  [LINKTYPE_LOOP, 'LOOP'],
  [109, 'ENC'],
  [LINKTYPE_LINUX_SLL, 'LINUX_SLL'],
  [114, 'LTALK'],
  [117, 'PFLOG'],
  [119, 'IEEE802_11_PRISM'],
  [122, 'IP_OVER_FC'],
  [123, 'SUNATM'],
  [LINKTYPE_IEEE802_11_RADIOTAP, 'IEEE802_11_RADIOTAP'],
  [129, 'ARCNET_LINUX'],
  [138, 'APPLE_IP_OVER_IEEE1394'],
  [139, 'MTP2_WITH_PHDR'],
  [140, 'MTP2'],
  [141, 'MTP3'],
  [142, 'SCCP'],
  [143, 'DOCSIS'],
  [144, 'LINUX_IRDA'],
  [163, 'IEEE802_11_AVS'],
  [166, 'PPP_PPPD'],
  [169, 'GPRS_LLC'],
  [177, 'LINUX_LAPD'],
  [187, 'BLUETOOTH_HCI_H4'],
  [189, 'USB_LINUX'],
  [192, 'PPI'],
  [195, 'IEEE802_15_4_WITHFCS'],
  [201, 'BLUETOOTH_HCI_H4_WITH_PHDR'],
  [220, 'USB_LINUX_MMAPPED'],
  [227, 'CAN_SOCKETCAN'],
  [LINKTYPE_IPV4, 'IPV4'],
  [LINKTYPE_IPV6, 'IPV6'],
  [239, 'NFLOG'],
  [242, 'IPOIB'],
  [243, 'MPEG_2_TS'],
  [249, 'USBPCAP'],
  [251, 'BLUETOOTH_LE_LL'],
  [252, 'WIRESHARK_UPPER_PDU'],
  [253, 'NETLINK'],
  [264, 'PKTAP'],
  [LINKTYPE_LINUX_SLL2, 'LINUX_SLL2'],
]);

/**
 * The name of a link type, e.g. `EN10MB` for 1; `RAW` for 101, 12 and 14;
 * `LINKTYPE_<n>` for a number synfin has no name for. The capture summary's
 * link types and the decoder's `linktype NAME` skip reason both say this.
 */
export function linktypeName(n: number): string {
  return NAMES.get(n) ?? `LINKTYPE_${n}`;
}
