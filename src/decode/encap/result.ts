/**
 * What an encapsulation decoder hands back: where the next header starts and
 * what it is, so the walk in index.ts can carry on.
 */

/** The header an encapsulation's payload begins with. */
export type Next =
  /** An IP packet (4 or 6) at `at`. */
  | { readonly network: 4 | 6; readonly at: number }
  /** An Ethernet frame (destination MAC first) at `at`. */
  | { readonly network: 'ethernet'; readonly at: number }
  /** A payload named by an EtherType read at `typeAt`, starting at `at`. */
  | { readonly network: 'ethertype'; readonly type: number; readonly typeAt: number; readonly at: number }
  /** A payload named by a PPP protocol number read at `typeAt`, starting at `at`. */
  | { readonly network: 'ppp'; readonly protocol: number; readonly typeAt: number; readonly at: number };

/** An encapsulation decoded: its name (for a flow's `via`) and what follows it. */
export interface Unwrapped {
  readonly name: string;
  readonly next: Next;
}

/** Skip reason for a malformed tunnel header. */
export const BAD_ENCAPSULATION = 'bad encapsulation header';
/** Skip reason when encapsulations nest deeper than MAX_ENCAPSULATION_DEPTH. */
export const TOO_DEEP = 'encapsulation too deep';
/**
 * Most encapsulations one frame may nest (VLAN tags not counted). Real
 * captures rarely nest more than three (VLAN in VXLAN in GRE in MPLS); the
 * bound stops a crafted frame from making the walk recurse without end.
 */
export const MAX_ENCAPSULATION_DEPTH = 8;
