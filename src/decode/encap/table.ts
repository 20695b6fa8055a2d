/**
 * Which encapsulation decoder reads a payload, keyed as the outer header names
 * it: by EtherType, by IP protocol, by UDP port, by PPP protocol (gopacket's
 * EthernetTypeMetadata / IPProtocolMetadata / UDPPortLayerType tables). A new
 * encapsulation is one file under encap/ and one row here.
 */

import { ETHERTYPE_FABRICPATH, ETHERTYPE_MPLS, ETHERTYPE_MPLS_MULTICAST, ETHERTYPE_PBB_ITAG, ETHERTYPE_PPPOE_SESSION, ETHERTYPE_VNTAG } from '../ethertype.ts';
import { IPPROTO_GRE, IPPROTO_IPIP, IPPROTO_IPV6 } from '../ipproto.ts';
import { ok } from '../segment.ts';
import type { DecodeResult } from '../segment.ts';
import type { Unwrapped } from './result.ts';
import { decodeMpls } from './mpls.ts';
import { decodePppoe } from './pppoe.ts';
import { decodeGre } from './gre.ts';
import { decodeAyiya, decodeGeneve, decodeGtpu, decodeTeredo, decodeVxlan } from './udp-tunnels.ts';
import { decodeFabricPath, decodePbb, decodeVnTag } from './ethernet-tags.ts';

/** A decoder of one encapsulation header at `at`. */
export type EncapDecoder = (b: Buffer, at: number) => DecodeResult<Unwrapped>;

/** By EtherType (Ethernet, cooked captures, GRE, Geneve, VN-Tag). */
export const BY_ETHERTYPE: ReadonlyMap<number, EncapDecoder> = new Map<number, EncapDecoder>([
  [ETHERTYPE_MPLS, decodeMpls],
  [ETHERTYPE_MPLS_MULTICAST, decodeMpls],
  [ETHERTYPE_PPPOE_SESSION, decodePppoe],
  [ETHERTYPE_PBB_ITAG, decodePbb],
  [ETHERTYPE_VNTAG, decodeVnTag],
  [ETHERTYPE_FABRICPATH, decodeFabricPath],
]);

/** By IP protocol (IPv4 Protocol, IPv6 Next Header). */
export const BY_IP_PROTOCOL: ReadonlyMap<number, EncapDecoder> = new Map<number, EncapDecoder>([
  [IPPROTO_IPIP, (_b, at) => ok({ name: 'IPIP', next: { network: 4, at } })], // IPv4 in IP (RFC 2003)
  [IPPROTO_IPV6, (_b, at) => ok({ name: 'IPv6-in-IP', next: { network: 6, at } })], // IPv6 in IP (RFC 4213, RFC 2473)
  [IPPROTO_GRE, decodeGre],
]);

/** By UDP port (either side), IANA's assignments and Linux's VXLAN default. */
export const BY_UDP_PORT: ReadonlyMap<number, EncapDecoder> = new Map<number, EncapDecoder>([
  [4789, decodeVxlan],
  [8472, decodeVxlan], // Linux vxlan driver's default port
  [6081, decodeGeneve],
  [2152, decodeGtpu],
  [3544, decodeTeredo],
  [5072, decodeAyiya],
]);

/** PPP protocol numbers (RFC 1661, IANA "PPP DLL Protocol Numbers") that lead on. */
export const PPP_IPV4 = 0x0021;
export const PPP_IPV6 = 0x0057;
export const PPP_MPLS_UNICAST = 0x0281;
export const PPP_MPLS_MULTICAST = 0x0283;
