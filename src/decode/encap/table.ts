/**
 * Which encapsulation decoder reads a payload, keyed as the outer header names
 * it: by EtherType, by IP protocol, by UDP port, by PPP protocol (gopacket's
 * EthernetTypeMetadata / IPProtocolMetadata / UDPPortLayerType tables). A new
 * encapsulation is one file under encap/ and one row here.
 */

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
  [0x8847, decodeMpls], // MPLS unicast
  [0x8848, decodeMpls], // MPLS multicast
  [0x8864, decodePppoe], // PPPoE session stage
  [0x88e7, decodePbb], // 802.1ah I-TAG
  [0x8926, decodeVnTag], // VN-Tag
  [0x8903, decodeFabricPath], // Cisco FabricPath
]);

/** By IP protocol (IPv4 Protocol, IPv6 Next Header). */
export const BY_IP_PROTOCOL: ReadonlyMap<number, EncapDecoder> = new Map<number, EncapDecoder>([
  [4, (_b, at) => ok({ name: 'IPIP', next: { network: 4, at } })], // IPv4 in IP (RFC 2003)
  [41, (_b, at) => ok({ name: 'IPv6-in-IP', next: { network: 6, at } })], // IPv6 in IP (RFC 4213, RFC 2473)
  [47, decodeGre],
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
