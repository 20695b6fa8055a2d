/**
 * The SYN-flood detector behind the summary's `syn_floods`: per server
 * address and port, the flows whose handshake was never completed
 * (`unanswered`, or `no-final-ack`: half-open), their SYNs, their distinct
 * sources and when they came. Fed each flow as it is finalised, so the flows
 * themselves need not be kept (docs/json.md, "syn_floods").
 */

import type { Precision } from './capture/frame.ts';
import { isoTime } from './capture/time.ts';
import { ipv4Number } from './flow/key.ts';
import { hostPort } from './decode/address.ts';
import type { RecordFacts } from './tcp/record.ts';

/** One server address and port that received a flood of SYNs never completed. */
export interface SynFloodRecord {
  readonly target: { readonly addr: string; readonly port: number };
  /** Flows toward the target whose handshake was `unanswered` or `no-final-ack`. */
  readonly flows: number;
  /** SYN segments those flows' clients sent (retransmissions included). */
  readonly syns: number;
  /** Distinct client addresses among them. */
  readonly sources: number;
  /** Of the flows, those the server answered with a SYN-ACK never acknowledged (`no-final-ack`). */
  readonly half_open: number;
  readonly unanswered: number;
  /** First frame time of the first and of the last such flow. */
  readonly first: string;
  readonly last: string;
  readonly duration_s: number;
  /** flows ÷ duration (flows when the duration is 0). */
  readonly rate_per_s: number;
}

/** A target with at least this many SYNs left unanswered or half-open is a SYN-flood candidate. */
export const SYN_FLOOD_MIN = 100;
/** ... and they came at an average of at least SYN_FLOOD_MIN per this many seconds. */
export const SYN_FLOOD_WINDOW_S = 10;

/** Half-open and unanswered handshakes toward one server address:port. */
interface FloodTally {
  readonly addr: string;
  readonly port: number;
  flows: number;
  syns: number;
  halfOpen: number;
  /** Distinct client addresses. */
  readonly sources: DistinctAddresses;
  firstSec: number;
  firstNsec: number;
  lastSec: number;
  lastNsec: number;
}

/** Counts incomplete handshakes per target as flows are finalised, and reports the floods among them. */
export class SynFloodDetector {
  private readonly targets = new Map<string, FloodTally>();

  /** Counts a finalised flow (only an unanswered or half-open handshake counts). */
  add(f: RecordFacts, firstSec: number, firstNsec: number): void {
    const kind = f.handshake.kind;
    if (kind !== 'unanswered' && kind !== 'no-final-ack') return;
    const key = hostPort(f.server.addr, f.server.port);
    let ft = this.targets.get(key);
    if (ft === undefined) {
      ft = {
        addr: f.server.addr, port: f.server.port, flows: 0, syns: 0, halfOpen: 0, sources: new DistinctAddresses(),
        firstSec, firstNsec, lastSec: firstSec, lastNsec: firstNsec,
      };
      this.targets.set(key, ft);
    }
    ft.flows++;
    ft.syns += f.handshake.syns;
    if (kind === 'no-final-ack') ft.halfOpen++;
    ft.sources.add(f.client.addr);
    if (firstSec < ft.firstSec || (firstSec === ft.firstSec && firstNsec < ft.firstNsec)) {
      ft.firstSec = firstSec;
      ft.firstNsec = firstNsec;
    }
    if (firstSec > ft.lastSec || (firstSec === ft.lastSec && firstNsec > ft.lastNsec)) {
      ft.lastSec = firstSec;
      ft.lastNsec = firstNsec;
    }
  }

  /**
   * SYN floods: targets with at least SYN_FLOOD_MIN unanswered or half-open
   * handshakes arriving at an average of at least SYN_FLOOD_MIN per
   * SYN_FLOOD_WINDOW_S seconds, ordered by flows (most first), then target.
   */
  report(precision: Precision): SynFloodRecord[] {
    const out: { key: string; rec: SynFloodRecord }[] = [];
    for (const [key, ft] of this.targets) {
      if (ft.flows < SYN_FLOOD_MIN) continue;
      const duration = (ft.lastSec - ft.firstSec) + (ft.lastNsec - ft.firstNsec) / 1e9;
      if (ft.flows * SYN_FLOOD_WINDOW_S < SYN_FLOOD_MIN * duration) continue;
      const rounded = Math.round(duration * 1e6) / 1e6;
      out.push({
        key,
        rec: {
          target: { addr: ft.addr, port: ft.port }, flows: ft.flows, syns: ft.syns, sources: ft.sources.size,
          half_open: ft.halfOpen, unanswered: ft.flows - ft.halfOpen,
          first: isoTime(ft.firstSec, ft.firstNsec, precision), last: isoTime(ft.lastSec, ft.lastNsec, precision),
          duration_s: rounded, rate_per_s: duration > 0 ? Math.round((ft.flows / duration) * 10) / 10 : ft.flows,
        },
      });
    }
    out.sort((a, b) => b.rec.flows - a.rec.flows || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out.map((o) => o.rec);
  }
}

/**
 * A set of addresses that holds IPv4 ones as 32-bit numbers in an
 * open-addressing table (8 bytes each at most; a JS Set of a million spoofed
 * sources was ~40 MB with their strings), others as text.
 */
class DistinctAddresses {
  private v4 = new Int32Array(1024);
  /** IPv4 addresses held; 0.0.0.0 is kept aside because 0 marks an empty cell. */
  private v4Count = 0;
  private zero = false;
  private readonly other = new Set<string>();

  get size(): number {
    return this.v4Count + (this.zero ? 1 : 0) + this.other.size;
  }

  add(addr: string): void {
    const n = ipv4Number(addr);
    if (n === undefined) this.other.add(addr);
    else if (n === 0) this.zero = true;
    else if (this.insert(this.v4, n)) {
      this.v4Count++;
      if (this.v4Count * 2 > this.v4.length) {
        const old = this.v4;
        this.v4 = new Int32Array(old.length * 2);
        for (let i = 0; i < old.length; i++) if (old[i] !== 0) this.insert(this.v4, old[i]!);
      }
    }
  }

  /** Adds n (not 0) to the table; false when it was there. */
  private insert(table: Int32Array, n: number): boolean {
    const mask = table.length - 1;
    let i = Math.imul(n, 0x9e3779b1) >>> 0 & mask;
    for (;;) {
      const cell = table[i]!;
      if (cell === n) return false;
      if (cell === 0) {
        table[i] = n;
        return true;
      }
      i = (i + 1) & mask;
    }
  }
}

