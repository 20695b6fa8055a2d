/**
 * Link-layer decoding: find where the IP packet starts in a frame and which IP
 * version it is, for the link types synfin reads.
 */

import {
  LINKTYPE_C_HDLC,
  LINKTYPE_EN10MB,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_PPP,
  LINKTYPE_PPP_HDLC,
  LINKTYPE_RAW,
  LINKTYPE_RAW_BSD,
  LINKTYPE_RAW_OPENBSD,
  linktypeName,
} from '../capture/linktypes.ts';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_QINQ, ETHERTYPE_QINQ_OLD, ETHERTYPE_TEB, ETHERTYPE_VLAN, ethertypeDetail, ethertypeSkip } from './ethertype.ts';
import { fail, ok } from './segment.ts';
import type { DecodeResult } from './segment.ts';
import { pppProtocol } from './encap/ppp.ts';
import { BY_ETHERTYPE, PPP_IPV4, PPP_IPV6, PPP_MPLS_MULTICAST, PPP_MPLS_UNICAST } from './encap/table.ts';
import { decodeMpls } from './encap/mpls.ts';
import { MAX_ENCAPSULATION_DEPTH, TOO_DEEP } from './encap/result.ts';
import type { Next, Unwrapped } from './encap/result.ts';

/** Ethernet II: destination MAC (6), source MAC (6), EtherType (2). */
const ETH_TYPE = 12;
export const ETH_HEADER = 14;
/** An 802.1Q/802.1ad tag: TCI (2), then the next EtherType (2). */
const VLAN_TAG = 4;
const VLAN_NEXT_TYPE = 2;

/** Linux cooked v1: packet type, ARPHRD type, address length, address (8), protocol. */
const SLL_HATYPE = 2;
const SLL_PROTOCOL = 14;
const SLL_HEADER = 16;
/** Linux cooked v2: protocol, reserved, interface index, ARPHRD type, packet type, address length, address (8). */
const SLL2_PROTOCOL = 0;
const SLL2_HATYPE = 8;
const SLL2_HEADER = 20;
/** ARPHRD_NETLINK: the "protocol" field is a netlink family, not an EtherType. */
const ARPHRD_NETLINK = 824;

/** NULL and LOOP: a 4-byte address family. */
const NULL_HEADER = 4;
/** Address families: AF_INET is 2 everywhere; AF_INET6 differs by OS. */
const AF_INET = 2;
const AF_INET6_LINUX = 10;
const AF_INET6_BSD = 24; // NetBSD, OpenBSD, BSD/OS
const AF_INET6_FREEBSD = 28; // FreeBSD, DragonFly
const AF_INET6_DARWIN = 30; // macOS, iOS

/** Where the IP packet of a frame starts, and which IP version the link layer says it is. */
export interface LinkLayer {
  /** IP version announced by the link layer (EtherType, address family, or the version nibble for RAW). */
  readonly network: 4 | 6;
  /** Byte offset of the IP header in the frame. */
  readonly at: number;
  /** Encapsulations passed on the way, outermost first (empty for a plain frame). */
  readonly via: readonly string[];
}

const NO_VIA: readonly string[] = [];

/**
 * Decodes the link-layer header of a frame. Failures carry the skip reason as
 * their `kind`: `linktype NAME`, `truncated link header`, `ARP` and a few other
 * named EtherTypes, or `non-IP`.
 */
export function decodeLink(linktype: number, b: Buffer): DecodeResult<LinkLayer> {
  switch (linktype) {
    case LINKTYPE_EN10MB:
      return decodeEthernet(b);
    case LINKTYPE_LINUX_SLL:
      return decodeSll(b);
    case LINKTYPE_LINUX_SLL2:
      return decodeSll2(b);
    case LINKTYPE_NULL:
      return decodeNull(b, false);
    case LINKTYPE_LOOP:
      return decodeNull(b, true);
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_BSD:
    case LINKTYPE_RAW_OPENBSD:
      return decodeRaw(b);
    case LINKTYPE_C_HDLC:
      // Cisco HDLC: address (1), control (1), then an EtherType.
      if (b.length < C_HDLC_HEADER) return truncated(0, 'Cisco HDLC header', C_HDLC_HEADER, b.length);
      return fromEthertype(b, C_HDLC_PROTOCOL, b.readUInt16BE(C_HDLC_PROTOCOL), C_HDLC_HEADER);
    case LINKTYPE_PPP:
    case LINKTYPE_PPP_HDLC: {
      // RFC 1662: address 0xFF and control 0x03 when present, then the PPP protocol (one byte if compressed, ppp.ts).
      const at = b.length >= 2 && b.readUInt8(0) === 0xff && b.readUInt8(1) === 0x03 ? 2 : 0;
      const ppp = pppProtocol(b, at);
      if (ppp === undefined) return truncated(at, 'PPP header', at + 2, b.length);
      return resolveNext(b, { network: 'ppp', protocol: ppp.protocol, typeAt: at, at: ppp.at }, NO_VIA);
    }
    case LINKTYPE_IPV4:
      return ok({ network: 4, at: 0, via: NO_VIA });
    case LINKTYPE_IPV6:
      return ok({ network: 6, at: 0, via: NO_VIA });
    default:
      return fail(`linktype ${linktypeName(linktype)}`, 0, `link type ${linktype} is not decoded`);
  }
}

function truncated(at: number, what: string, need: number, have: number): DecodeResult<LinkLayer> {
  return fail('truncated link header', at, `${what} needs ${need} bytes, has ${have}`);
}

/** Ethernet II, with any number of 802.1Q / 802.1ad tags (bounded by the frame's length). */
function decodeEthernet(b: Buffer): DecodeResult<LinkLayer> {
  return resolveNext(b, { network: 'ethernet', at: 0 }, NO_VIA);
}

/** Cisco HDLC: address, control, protocol (an EtherType). */
const C_HDLC_PROTOCOL = 2;
const C_HDLC_HEADER = 4;

/**
 * Follows what an encapsulation says comes next until an IP packet: an
 * Ethernet frame, an EtherType, a PPP protocol, or IP itself. `via` names the
 * encapsulations passed so far; past MAX_ENCAPSULATION_DEPTH of them the frame
 * is skipped as `encapsulation too deep`, so a crafted frame cannot make the
 * walk go on without end.
 */
export function resolveNext(b: Buffer, next: Next, via: readonly string[]): DecodeResult<LinkLayer> {
  for (;;) {
    if (via.length > MAX_ENCAPSULATION_DEPTH) {
      return fail(TOO_DEEP, next.at, `more than ${MAX_ENCAPSULATION_DEPTH} nested encapsulations (${via.join(' > ')})`);
    }
    let step: DecodeResult<Unwrapped> | undefined;
    switch (next.network) {
      case 4:
      case 6:
        return ok({ network: next.network, at: next.at, via });
      case 'ethernet': {
        const have = b.length - next.at;
        if (have < ETH_HEADER) return truncated(next.at, 'Ethernet header', ETH_HEADER, Math.max(0, have));
        const typeAt = next.at + ETH_TYPE;
        next = { network: 'ethertype', type: b.readUInt16BE(typeAt), typeAt, at: next.at + ETH_HEADER };
        continue;
      }
      case 'ppp': {
        const p = next.protocol;
        if (p === PPP_IPV4) { next = { network: 4, at: next.at }; continue; }
        if (p === PPP_IPV6) { next = { network: 6, at: next.at }; continue; }
        if (p === PPP_MPLS_UNICAST || p === PPP_MPLS_MULTICAST) { step = decodeMpls(b, next.at); break; }
        return fail('non-IP', next.typeAt, `PPP protocol 0x${p.toString(16).padStart(4, '0')}`);
      }
      case 'ethertype': {
        let { type, typeAt, at } = next;
        while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
          if (b.length - at < VLAN_TAG) return truncated(at, 'VLAN tag', VLAN_TAG, Math.max(0, b.length - at));
          typeAt = at + VLAN_NEXT_TYPE;
          type = b.readUInt16BE(typeAt);
          at += VLAN_TAG;
        }
        if (type === ETHERTYPE_IPV4) return ok({ network: 4, at, via });
        if (type === ETHERTYPE_IPV6) return ok({ network: 6, at, via });
        if (type === ETHERTYPE_TEB) { next = { network: 'ethernet', at }; continue; }
        const decoder = BY_ETHERTYPE.get(type);
        if (decoder === undefined) return fail(ethertypeSkip(type), typeAt, ethertypeDetail(type));
        step = decoder(b, at);
        break;
      }
    }
    if (!step.ok) return step;
    via = [...via, step.value.name];
    next = step.value.next;
  }
}

/**
 * Follows an EtherType found at `typeAt` whose payload starts at `at`. VLAN
 * tags are walked here for every link type, because libpcap re-inserts the
 * tag the kernel stripped into cooked (SLL/SLL2) headers as well as Ethernet.
 * Each tag consumes 4 bytes, so the loop ends within frame length / 4 steps.
 */
function fromEthertype(b: Buffer, typeAt: number, type: number, at: number): DecodeResult<LinkLayer> {
  return resolveNext(b, { network: 'ethertype', type, typeAt, at }, NO_VIA);
}

/** Linux cooked capture v1 (`tcpdump -i any` before libpcap 1.10). */
function decodeSll(b: Buffer): DecodeResult<LinkLayer> {
  if (b.length < SLL_HEADER) return truncated(0, 'Linux cooked (SLL) header', SLL_HEADER, b.length);
  if (b.readUInt16BE(SLL_HATYPE) === ARPHRD_NETLINK) return fail('non-IP', SLL_HATYPE, 'netlink message');
  return fromEthertype(b, SLL_PROTOCOL, b.readUInt16BE(SLL_PROTOCOL), SLL_HEADER);
}

/** Linux cooked capture v2 (`tcpdump -i any` since libpcap 1.10). */
function decodeSll2(b: Buffer): DecodeResult<LinkLayer> {
  if (b.length < SLL2_HEADER) return truncated(0, 'Linux cooked v2 (SLL2) header', SLL2_HEADER, b.length);
  if (b.readUInt16BE(SLL2_HATYPE) === ARPHRD_NETLINK) return fail('non-IP', SLL2_HATYPE, 'netlink message');
  return fromEthertype(b, SLL2_PROTOCOL, b.readUInt16BE(SLL2_PROTOCOL), SLL2_HEADER);
}

/**
 * BSD loopback. NULL stores the family in the byte order of the host that
 * captured (so a file from a little-endian Mac read anywhere has it LE); LOOP
 * (OpenBSD) always big-endian. The AF values in either order do not collide,
 * so NULL accepts both.
 */
function decodeNull(b: Buffer, bigEndianOnly: boolean): DecodeResult<LinkLayer> {
  if (b.length < NULL_HEADER) {
    return truncated(0, bigEndianOnly ? 'LOOP header' : 'NULL header', NULL_HEADER, b.length);
  }
  const be = b.readUInt32BE(0);
  const network = familyToNetwork(be) ?? (bigEndianOnly ? undefined : familyToNetwork(b.readUInt32LE(0)));
  if (network === undefined) {
    const family = bigEndianOnly || be < 0x10000 ? be : b.readUInt32LE(0);
    return fail('non-IP', 0, `address family ${family}`);
  }
  return ok({ network, at: NULL_HEADER, via: NO_VIA });
}

function familyToNetwork(family: number): 4 | 6 | undefined {
  switch (family) {
    case AF_INET:
      return 4;
    case AF_INET6_LINUX:
    case AF_INET6_BSD:
    case AF_INET6_FREEBSD:
    case AF_INET6_DARWIN:
      return 6;
    default:
      return undefined;
  }
}

/** Raw IP: no link header; the version nibble says which IP it is. */
function decodeRaw(b: Buffer): DecodeResult<LinkLayer> {
  if (b.length < 1) return truncated(0, 'raw IP packet', 1, 0);
  const version = b.readUInt8(0) >> 4;
  if (version === 4) return ok({ network: 4, at: 0, via: NO_VIA });
  if (version === 6) return ok({ network: 6, at: 0, via: NO_VIA });
  return fail('non-IP', 0, `raw packet with IP version ${version}`);
}
