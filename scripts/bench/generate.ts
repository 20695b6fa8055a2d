/**
 * The benchmark's capture (issue 7), made in code from a seed: a busy server
 * seen at its own interface, about 1,000 connections open at once, each
 * following one of a fixed set of lifecycles (normal closes from either side,
 * three-segment and simultaneous closes, half-closes, resets from either side,
 * refusals, unanswered SYNs, a SYN retransmitted before its answer, spurious
 * data retransmissions answered by D-SACK, and a few long-lived connections
 * still open at the end). Headers are what Linux sends: MSS, SACK-permitted,
 * timestamps and window scale on the SYNs, timestamps on every other segment,
 * scaled windows, 1448-byte segments. Ethernet with IPv4, a share over IPv6.
 *
 * Everything is integer arithmetic on a seeded PRNG (no Math.log, no clock),
 * so one seed gives the same bytes on every machine and Node version. The
 * generator also says what synfin should find: the number of flows and each
 * flow's handshake and close kind, by the scenario that produced it.
 *
 *   npx tsx scripts/bench/generate.ts [--seed S] [--packets N] [--scale K] [--workload long|short] [--out DIR] [--no-pcapng]
 */

import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Bumped whenever the bytes a seed produces change, so cached files are remade. */
export const GENERATOR_VERSION = 2;

/** What to generate. */
export interface GenerateOptions {
  readonly seed: number;
  /** Packets at scale 1; the capture holds about packets × scale. */
  readonly packets: number;
  /** K× longer at the same concurrency (default 1). */
  readonly scale?: number;
  /** Connections open at once (default 1,000). */
  readonly concurrency?: number;
  /** Per mille of connections carried over IPv6 (default 50). */
  readonly ipv6PerMille?: number;
  /**
   * `long` (default): connections of 1-12 request/response rounds, about 33
   * packets each, a few long-lived ones. `short`: the workload that hurts a
   * flow table, about 14 packets per connection, one round each, and the mix
   * of failures a busy front end sees (see SHORT_SCENARIOS).
   */
  readonly workload?: Workload;
}

/** Which connection mix a capture holds. */
export type Workload = 'long' | 'short';

/** What the generator wrote, and what synfin should find in it. */
export interface Expected {
  readonly generator: number;
  readonly seed: number;
  readonly scale: number;
  readonly concurrency: number;
  /** Packets written (slightly under packets × scale: flows are never cut short). */
  readonly packets: number;
  readonly flows: number;
  readonly ipv6Flows: number;
  /** Bytes of the pcap file. */
  readonly pcapBytes: number;
  /** Time from the first to the last packet. */
  readonly durationS: number;
  /** Flows per scenario. */
  readonly scenarios: Record<string, number>;
  /** summary.handshakes and summary.closes as synfin should print them. */
  readonly handshakes: Record<string, number>;
  readonly closes: Record<string, number>;
}

/** Where the bytes go: called with each full buffer, in order. */
export interface CaptureSinks {
  readonly pcap: (chunk: Buffer) => void;
  readonly pcapng?: (chunk: Buffer) => void;
}

// ---------------------------------------------------------------------------
// Randomness: sfc32 seeded through splitmix32, integers only.

/** A seeded PRNG; every draw is an integer operation, so results never depend on the platform. */
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniform 32-bit integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + (this.u32() % (hi - lo + 1));
  }

  /** True with probability n per mille. */
  perMille(n: number): boolean {
    return this.u32() % 1000 < n;
  }
}

// ---------------------------------------------------------------------------
// Scenarios: what each connection does, and what synfin should call it.

interface Scenario {
  readonly name: string;
  /** Share of new connections, per mille. */
  readonly weight: number;
  readonly handshake: string;
  readonly close: string;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'close-client', weight: 380, handshake: 'three-way', close: 'four-way' },
  { name: 'close-server', weight: 140, handshake: 'three-way', close: 'four-way' },
  { name: 'three-segment', weight: 100, handshake: 'three-way', close: 'three-segment' },
  { name: 'simultaneous-close', weight: 40, handshake: 'three-way', close: 'simultaneous' },
  { name: 'half-close', weight: 50, handshake: 'three-way', close: 'four-way' },
  { name: 'reset-client', weight: 60, handshake: 'three-way', close: 'reset' },
  { name: 'reset-server', weight: 30, handshake: 'three-way', close: 'reset' },
  { name: 'refused', weight: 50, handshake: 'refused', close: 'none' },
  { name: 'unanswered', weight: 30, handshake: 'unanswered', close: 'none' },
  { name: 'syn-retransmit', weight: 30, handshake: 'three-way', close: 'four-way' },
];

/**
 * The many-short-connections mix: 80 % clean four-way closes, 5 % resets, 5 %
 * refused, 3 % unanswered SYNs, 3 % half-open (the SYN-ACK never
 * acknowledged), 2 % with a retransmitted data segment, 2 % simultaneous
 * closes. One request and a response of a few segments each.
 */
const SHORT_SCENARIOS: readonly Scenario[] = [
  { name: 'close-client', weight: 560, handshake: 'three-way', close: 'four-way' },
  { name: 'close-server', weight: 240, handshake: 'three-way', close: 'four-way' },
  { name: 'reset-client', weight: 30, handshake: 'three-way', close: 'reset' },
  { name: 'reset-server', weight: 20, handshake: 'three-way', close: 'reset' },
  { name: 'refused', weight: 50, handshake: 'refused', close: 'none' },
  { name: 'unanswered', weight: 30, handshake: 'unanswered', close: 'none' },
  { name: 'half-open', weight: 30, handshake: 'no-final-ack', close: 'none' },
  { name: 'data-retransmit', weight: 20, handshake: 'three-way', close: 'four-way' },
  { name: 'simultaneous-close', weight: 20, handshake: 'three-way', close: 'simultaneous' },
];

/** What differs between the workloads. */
interface Profile {
  readonly scenarios: readonly Scenario[];
  readonly totalWeight: number;
  /** Request/response rounds per connection. */
  readonly rounds: readonly [number, number];
  /** The client's think time before each request, µs. */
  readonly think: readonly [number, number];
  /** Response sizes: [per cent, lo, hi] bands, tried in order. */
  readonly responses: readonly (readonly [number, number, number])[];
  /** One long-lived connection per this many slots; 0 for none. */
  readonly longLivedPerSlots: number;
  /** The client acknowledges every this many data segments (and the last). */
  readonly ackEvery: number;
}

const PROFILES: Record<Workload, Profile> = {
  long: {
    scenarios: SCENARIOS, totalWeight: SCENARIOS.reduce((n, s) => n + s.weight, 0), rounds: [1, 12], think: [1_000, 700_000],
    responses: [[82, 100, 800], [15, 1_000, 6_000], [3, 6_000, 40_000]], longLivedPerSlots: 100, ackEvery: 2,
  },
  short: {
    scenarios: SHORT_SCENARIOS, totalWeight: SHORT_SCENARIOS.reduce((n, s) => n + s.weight, 0), rounds: [1, 1], think: [1_000, 40_000],
    responses: [[50, 2_000, 4_500], [40, 4_500, 8_000], [10, 8_000, 12_000]], longLivedPerSlots: 0, ackEvery: 1,
  },
};

/**
 * Connections that exchange a request now and then for the whole capture and
 * are still open at its end. They hold their own slots (one in a hundred), so
 * the mix of the others, and the rate, stay the same however long the capture.
 */
const LONG_LIVED: Scenario = { name: 'long-lived', weight: 0, handshake: 'three-way', close: 'open' };

// TCP flags (RFC 9293 §3.1).
const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;

// Option layouts, as Linux sends them.
const OPT_NONE = 0, OPT_SYN = 1, OPT_TS = 2, OPT_TS_DSACK = 3;
const OPT_LEN = [0, 20, 12, 24] as const;

/** Payload bytes per full segment with timestamps (1500 MTU - 20 IP - 32 TCP). */
const MSS = 1448;
const US = 1_000_000;

/** One packet a connection will send. */
interface Step {
  /** Microseconds from the start of the capture. */
  readonly t: number;
  readonly fromClient: boolean;
  readonly flags: number;
  readonly seq: number;
  readonly ack: number;
  readonly len: number;
  readonly opt: number;
  readonly win: number;
  readonly tsval: number;
  readonly tsecr: number;
  /** D-SACK block, for OPT_TS_DSACK. */
  readonly sackLeft: number;
  readonly sackRight: number;
}

/** One side's sequence state while a script is built. */
interface Side {
  readonly client: boolean;
  readonly isn: number;
  /** Next sequence number it sends. */
  nxt: number;
  /** What it acknowledges: the next byte it expects from its peer. */
  rcv: number;
  /** Its timestamp clock's offset (ms ticks, as Linux's tcp_time_stamp). */
  readonly tsBase: number;
  /** Last tsval it received. */
  tsRecent: number;
  readonly win: number;
}

/** A connection in the schedule. */
interface Conn {
  /** Tie-break for equal times: start order, so the schedule is deterministic. */
  readonly serial: number;
  readonly scenario: Scenario;
  readonly v6: boolean;
  readonly client: number;
  readonly server: number;
  readonly clientPort: number;
  readonly serverPort: number;
  steps: Step[];
  next: number;
  /** Long-lived connections get another round when their script runs out. */
  readonly longLived: boolean;
  /** Builder state kept for the next round of a long-lived connection. */
  readonly c: Side;
  readonly s: Side;
  readonly rtt: number;
}

const u32 = (x: number): number => x >>> 0;

/** Builds one connection's packets; times are absolute microseconds. */
class Script {
  readonly steps: Step[] = [];

  constructor(private readonly rng: Rng, readonly c: Side, readonly s: Side, readonly rtt: number, private readonly profile: Profile) {}

  /** Appends a packet from `from` at time `t`; by default its receiver has it at once (the capture is at the server). */
  send(t: number, from: Side, flags: number, len: number, o: { deliver?: boolean; opt?: number; seq?: number; sack?: readonly [number, number] } = {}): Step {
    const to = from === this.c ? this.s : this.c;
    const seq = o.seq ?? from.nxt;
    const opt = o.opt ?? ((flags & SYN) !== 0 ? OPT_SYN : (flags & RST) !== 0 ? OPT_NONE : OPT_TS);
    const tsval = u32(from.tsBase + Math.floor(t / 1000));
    const step: Step = {
      t, fromClient: from.client, flags, seq: u32(seq), ack: (flags & ACK) !== 0 ? u32(from.rcv) : 0, len, opt,
      win: (flags & SYN) !== 0 ? 64240 : from.win, tsval, tsecr: (flags & SYN) !== 0 && (flags & ACK) === 0 ? 0 : from.tsRecent,
      sackLeft: o.sack?.[0] ?? 0, sackRight: o.sack?.[1] ?? 0,
    };
    this.steps.push(step);
    if (o.seq === undefined) from.nxt = u32(from.nxt + len + ((flags & SYN) !== 0 ? 1 : 0) + ((flags & FIN) !== 0 ? 1 : 0));
    if (o.deliver !== false) {
      to.rcv = from.nxt;
      to.tsRecent = tsval;
    }
    return step;
  }

  /** SYN, SYN-ACK, ACK; returns the time of the ACK. */
  handshake(t: number, synRetransmit: boolean): number {
    this.send(t, this.c, SYN, 0, { deliver: false });
    if (synRetransmit) {
      // The listener dropped the first SYN (its SYN queue was full): Linux resends after 1 s.
      t += US;
      this.c.nxt = this.c.isn;
      this.send(t, this.c, SYN, 0);
    } else {
      this.s.rcv = this.c.nxt;
      this.s.tsRecent = this.steps[this.steps.length - 1]!.tsval;
    }
    t += this.rng.int(20, 120);
    this.send(t, this.s, SYN | ACK, 0);
    t += this.rtt;
    this.send(t, this.c, ACK, 0);
    return t;
  }

  /**
   * One request and its response: the client's request, the server's data in
   * slow-start bursts, the client's ACK of every second segment (and the
   * last), sometimes a spurious retransmission of one segment answered by a
   * D-SACK. Returns the time of the round's last packet.
   */
  round(t: number, lose = false): number {
    const rng = this.rng;
    const c = this.c;
    const s = this.s;
    t += rng.int(this.profile.think[0], this.profile.think[1]);
    this.send(t, c, PSH | ACK, rng.int(80, 600));
    const work = rng.perMille(200) ? rng.int(40_000, 120_000) : rng.int(100, 6_000);
    // A slow answer is preceded by the delayed ACK of the request (Linux's 40 ms timer).
    if (work > 40_000) this.send(t + 40_000, s, ACK, 0);
    t += work;
    const size = this.responseSize();
    let sent = 0;
    let burst = 10;
    let last = t;
    const segments: Step[] = [];
    while (sent < size) {
      for (let i = 0; i < burst && sent < size; i++) {
        const len = Math.min(MSS, size - sent);
        segments.push(this.send(t, s, sent + len === size ? PSH | ACK : ACK, len, { deliver: false }));
        sent += len;
        last = t;
        t += rng.int(12, 40);
      }
      burst *= 2;
      t = last + this.rtt; // the next burst leaves when the first ACKs return
    }
    // The client's ACKs: every second segment (every one, quick ACK mode, in the
    // short workload) and the last, one RTT after each left.
    let ackT = 0;
    for (let i = 1; i <= segments.length; i++) {
      if (i % this.profile.ackEvery !== 0 && i !== segments.length) continue;
      const seg = segments[i - 1]!;
      c.rcv = u32(seg.seq + seg.len);
      c.tsRecent = seg.tsval;
      ackT = Math.max(ackT + 1, seg.t + this.rtt);
      this.send(ackT, c, ACK, 0, { deliver: false });
    }
    s.rcv = c.nxt;
    c.rcv = s.nxt;
    last = ackT;
    if (lose && segments.length > 0) {
      // A segment lost beyond the capture point: the client's ACKs stop at the
      // hole (the capture saw the segment leave), and the server resends it
      // after its RTO (Linux's minimum, 200 ms), then the client acknowledges all.
      const seg = segments[segments.length - 1]!;
      const at = Math.max(last, seg.t + 200_000 + this.rtt) + rng.int(1, 5_000);
      this.send(at, s, seg.flags, seg.len, { seq: seg.seq });
      last = at + this.rtt;
      this.send(last, c, ACK, 0);
    } else if (segments.length > 0 && rng.perMille(60)) {
      // A spurious RTO: the server resends a segment the client already had; the
      // client answers with a duplicate ACK carrying a D-SACK (RFC 2883).
      const seg = segments[rng.int(0, segments.length - 1)]!;
      const at = Math.max(last, seg.t + 200_000) + rng.int(1, 5_000);
      this.send(at, s, ACK, seg.len, { seq: seg.seq });
      last = at + this.rtt;
      this.send(last, c, ACK, 0, { opt: OPT_TS_DSACK, sack: [seg.seq, u32(seg.seq + seg.len)] });
    }
    return last;
  }

  /** Response sizes: mostly small pages and API answers, a tail of larger objects. */
  private responseSize(): number {
    let r = this.rng.int(0, 99);
    for (const [share, lo, hi] of this.profile.responses) {
      if (r < share) return this.rng.int(lo, hi);
      r -= share;
    }
    throw new Error('response bands must add up to 100');
  }

  /** Some request/response rounds. */
  rounds(t: number, n: number): number {
    for (let i = 0; i < n; i++) t = this.round(t);
    return t;
  }
}

/** Builds the steps of a new connection starting at `t0`. */
function buildScript(rng: Rng, profile: Profile, scenario: Scenario, t0: number): { steps: Step[]; c: Side; s: Side; rtt: number } {
  const cIsn = rng.u32();
  const sIsn = rng.u32();
  const c: Side = { client: true, isn: cIsn, nxt: cIsn, rcv: 0, tsBase: rng.u32(), tsRecent: 0, win: rng.int(480, 512) };
  const s: Side = { client: false, isn: sIsn, nxt: sIsn, rcv: 0, tsBase: rng.u32(), tsRecent: 0, win: rng.int(500, 509) };
  const rtt = rng.int(2_000, 80_000);
  const sc = new Script(rng, c, s, rtt, profile);
  let t = t0;
  const nRounds = (): number => rng.int(profile.rounds[0], profile.rounds[1]);
  const srv = (): number => rng.int(20, 400);
  switch (scenario.name) {
    case 'refused':
      sc.send(t, c, SYN, 0);
      // No listener: the kernel answers <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK> (RFC 9293 §3.10.7.1).
      sc.send(t + rng.int(15, 60), s, RST | ACK, 0, { seq: 0 });
      break;
    case 'unanswered': {
      // A filtered port: the SYN and Linux's retransmissions at 1, 3, 7 s.
      const syns = rng.int(1, 4);
      for (let i = 0; i < syns; i++) {
        c.nxt = cIsn;
        sc.send(t + (2 ** i - 1) * US, c, SYN, 0, { deliver: false });
      }
      break;
    }
    case 'half-open': {
      // The client never acknowledges the SYN-ACK (its host died, or the SYN
      // was spoofed): the server resends it at 1 and 3 s (tcp_synack_retries)
      // and gives up; the capture at the server sees nothing from the client.
      sc.send(t, c, SYN, 0);
      const at = t + rng.int(20, 120);
      for (let i = 0; i < 3; i++) {
        s.nxt = sIsn;
        sc.send(at + (2 ** i - 1) * US, s, SYN | ACK, 0, { deliver: false });
      }
      break;
    }
    case 'long-lived':
      t = sc.handshake(t, false);
      break;
    default: {
      t = sc.handshake(t, scenario.name === 'syn-retransmit');
      if (scenario.name === 'data-retransmit') t = sc.round(t, true);
      else t = sc.rounds(t, nRounds());
      t += rng.int(1_000, 50_000);
      switch (scenario.name) {
        case 'close-client':
        case 'syn-retransmit':
        case 'data-retransmit':
          sc.send(t, c, FIN | ACK, 0);
          sc.send(t += srv(), s, ACK, 0);
          sc.send(t += rng.int(50, 3_000), s, FIN | ACK, 0);
          sc.send(t + rtt, c, ACK, 0);
          break;
        case 'close-server':
          // An HTTP/1.0-style server closes after its answer.
          sc.send(t, s, FIN | ACK, 0);
          sc.send(t += rtt, c, ACK, 0);
          sc.send(t += rng.int(50, 3_000), c, FIN | ACK, 0);
          sc.send(t + srv(), s, ACK, 0);
          break;
        case 'three-segment':
          // The server closes as soon as it reads EOF: its ACK rides on its FIN.
          sc.send(t, c, FIN | ACK, 0);
          sc.send(t += srv(), s, FIN | ACK, 0);
          sc.send(t + rtt, c, ACK, 0);
          break;
        case 'simultaneous-close': {
          // Both FINs leave before either arrives (RFC 9293 Figure 13): the
          // client's reaches the server just after the server's own left.
          sc.send(t, s, FIN | ACK, 0, { deliver: false });
          sc.send(t += rng.int(20, Math.max(21, rtt - 1)), c, FIN | ACK, 0, { deliver: false });
          c.rcv = s.nxt;
          s.rcv = c.nxt;
          sc.send(t += srv(), s, ACK, 0);
          sc.send(t + rtt, c, ACK, 0);
          break;
        }
        case 'half-close': {
          // shutdown(SHUT_WR): the client is done sending, the server still answers.
          sc.send(t, c, FIN | ACK, 0);
          sc.send(t += srv(), s, ACK, 0);
          const n = rng.int(1, 5);
          for (let i = 0; i < n; i++) sc.send(t += rng.int(12, 40), s, i === n - 1 ? PSH | ACK : ACK, MSS);
          sc.send(t += rtt, c, ACK, 0);
          sc.send(t += rng.int(50, 3_000), s, FIN | ACK, 0);
          sc.send(t + rtt, c, ACK, 0);
          break;
        }
        case 'reset-client':
          // The application aborted (SO_LINGER 0, or it crashed): RST+ACK at SND.NXT.
          sc.send(t, c, RST | ACK, 0);
          break;
        case 'reset-server':
          sc.send(t, s, RST | ACK, 0);
          break;
        default:
          throw new Error(`scenario ${scenario.name} has no script`);
      }
    }
  }
  // Steps of one connection are built in causal order per side; merge by time.
  const steps = sc.steps;
  steps.sort((a, b) => a.t - b.t);
  return { steps, c, s, rtt };
}

// ---------------------------------------------------------------------------
// Addresses.

const CLIENT_HOSTS = 2_000;
const SERVER_HOSTS = 8;
const SERVER_PORTS = [443, 443, 443, 443, 443, 443, 80, 80, 80, 8080] as const;
const EPHEMERAL_FIRST = 32_768;
const EPHEMERAL_LAST = 60_999;

/** Client host i is 10.16.i/256.i%256+1 (IPv6: fd00:16::i); servers are 10.32.0.1+ (fd00:32::1+). */
function writeV4Client(b: Buffer, at: number, i: number): void {
  b[at] = 10; b[at + 1] = 16 + (i >> 8); b[at + 2] = i & 0xff; b[at + 3] = 1 + (i % 250);
}
function writeV4Server(b: Buffer, at: number, i: number): void {
  b[at] = 10; b[at + 1] = 32; b[at + 2] = 0; b[at + 3] = 1 + i;
}
function writeV6(b: Buffer, at: number, net: number, i: number): void {
  b.fill(0, at, at + 16);
  b[at] = 0xfd; b[at + 3] = net; b.writeUInt16BE(i + 1, at + 14);
}

// ---------------------------------------------------------------------------
// The schedule: a binary heap of connections by the time of their next packet.

class Heap {
  private readonly items: Conn[] = [];

  get size(): number {
    return this.items.length;
  }

  push(x: Conn): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): Conn | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(x: Conn, y: Conn): boolean {
  const tx = x.steps[x.next]!.t;
  const ty = y.steps[y.next]!.t;
  return tx < ty || (tx === ty && x.serial < y.serial);
}

// ---------------------------------------------------------------------------
// Writing: pcap (LE, µs, EN10MB) and pcapng (LE, one EN10MB interface, µs).

/** 2026-01-15T10:00:00Z. */
const EPOCH = 1_768_471_200;
const SNAPLEN = 262_144;
const CHUNK = 8 * 1024 * 1024;

class Out {
  buf = Buffer.allocUnsafe(CHUNK);
  pos = 0;
  written = 0;

  constructor(private readonly sink: (chunk: Buffer) => void) {}

  reserve(n: number): void {
    if (this.pos + n > this.buf.length) this.flush();
  }

  flush(): void {
    if (this.pos === 0) return;
    this.sink(this.buf.subarray(0, this.pos));
    this.written += this.pos;
    // The sink may keep the chunk (tests hash them later): never reuse it.
    this.buf = Buffer.allocUnsafe(CHUNK);
    this.pos = 0;
  }
}

/** Payload bytes: fixed filler (synfin never reads payload). */
const FILLER = Buffer.alloc(MSS, 0x5a);

/** Writes one frame at b[at..] and returns its length. */
function writeFrame(b: Buffer, at: number, conn: Conn, st: Step, ipId: number): number {
  const optLen = OPT_LEN[st.opt as 0 | 1 | 2 | 3];
  const tcpLen = 20 + optLen;
  const v6 = conn.v6;
  const ipLen = v6 ? 40 : 20;
  // Ethernet: the server's MAC and the gateway's, by direction.
  const serverMac = 0x10 + conn.server;
  b[at] = 0x02; b[at + 1] = 0; b[at + 2] = 0; b[at + 3] = 0; b[at + 4] = 0; b[at + 5] = st.fromClient ? serverMac : 1;
  b[at + 6] = 0x02; b[at + 7] = 0; b[at + 8] = 0; b[at + 9] = 0; b[at + 10] = 0; b[at + 11] = st.fromClient ? 1 : serverMac;
  b.writeUInt16BE(v6 ? 0x86dd : 0x0800, at + 12);
  let p = at + 14;
  const srcClient = st.fromClient;
  if (v6) {
    b.writeUInt32BE(0x6000_0000 | (conn.serial & 0xfffff), p);
    b.writeUInt16BE(tcpLen + st.len, p + 4);
    b[p + 6] = 6;
    b[p + 7] = 64;
    if (srcClient) {
      writeV6(b, p + 8, 0x16, conn.client);
      writeV6(b, p + 24, 0x32, conn.server);
    } else {
      writeV6(b, p + 8, 0x32, conn.server);
      writeV6(b, p + 24, 0x16, conn.client);
    }
  } else {
    b[p] = 0x45; b[p + 1] = 0;
    b.writeUInt16BE(20 + tcpLen + st.len, p + 2);
    b.writeUInt16BE(ipId & 0xffff, p + 4);
    b.writeUInt16BE(0x4000, p + 6); // DF
    b[p + 8] = 64; b[p + 9] = 6;
    b[p + 10] = 0; b[p + 11] = 0;
    if (srcClient) {
      writeV4Client(b, p + 12, conn.client);
      writeV4Server(b, p + 16, conn.server);
    } else {
      writeV4Server(b, p + 12, conn.server);
      writeV4Client(b, p + 16, conn.client);
    }
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (b[p + i]! << 8) | b[p + i + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    b.writeUInt16BE(~sum & 0xffff, p + 10);
  }
  p += ipLen;
  b.writeUInt16BE(srcClient ? conn.clientPort : conn.serverPort, p);
  b.writeUInt16BE(srcClient ? conn.serverPort : conn.clientPort, p + 2);
  b.writeUInt32BE(st.seq, p + 4);
  b.writeUInt32BE(st.ack, p + 8);
  b[p + 12] = (tcpLen / 4) << 4;
  b[p + 13] = st.flags;
  b.writeUInt16BE(st.win, p + 14);
  b.writeUInt32BE(0, p + 16); // checksum (left as an offloading NIC leaves it) and urgent pointer
  const o = p + 20;
  switch (st.opt) {
    case OPT_SYN:
      // Linux's SYN: MSS, SACK-permitted, timestamps, NOP, window scale 7.
      b[o] = 2; b[o + 1] = 4; b.writeUInt16BE(1460, o + 2);
      b[o + 4] = 4; b[o + 5] = 2;
      b[o + 6] = 8; b[o + 7] = 10; b.writeUInt32BE(st.tsval, o + 8); b.writeUInt32BE(st.tsecr, o + 12);
      b[o + 16] = 1; b[o + 17] = 3; b[o + 18] = 3; b[o + 19] = 7;
      break;
    case OPT_TS_DSACK:
      b[o] = 1; b[o + 1] = 1; b[o + 2] = 5; b[o + 3] = 10;
      b.writeUInt32BE(st.sackLeft, o + 4); b.writeUInt32BE(st.sackRight, o + 8);
      writeTimestamps(b, o + 12, st);
      break;
    case OPT_TS:
      writeTimestamps(b, o, st);
      break;
    default:
      break;
  }
  p += tcpLen;
  FILLER.copy(b, p, 0, st.len);
  return p + st.len - at;
}

/** NOP, NOP, timestamps: what Linux puts on every segment once timestamps are agreed. */
function writeTimestamps(b: Buffer, o: number, st: Step): void {
  b[o] = 1; b[o + 1] = 1; b[o + 2] = 8; b[o + 3] = 10;
  b.writeUInt32BE(st.tsval, o + 4);
  b.writeUInt32BE(st.tsecr, o + 8);
}

/** Largest frame: Ethernet + IPv6 + TCP with options + one MSS. */
const MAX_FRAME = 14 + 40 + 20 + 24 + MSS;

function pcapHeader(): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(SNAPLEN, 16);
  h.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  return h;
}

function pcapngHeader(): Buffer {
  const shb = Buffer.alloc(28);
  shb.writeUInt32LE(0x0a0d0d0a, 0);
  shb.writeUInt32LE(28, 4);
  shb.writeUInt32LE(0x1a2b3c4d, 8);
  shb.writeUInt16LE(1, 12);
  shb.writeUInt16LE(0, 14);
  shb.writeInt32LE(-1, 16); // section length unknown
  shb.writeInt32LE(-1, 20);
  shb.writeUInt32LE(28, 24);
  const idb = Buffer.alloc(20);
  idb.writeUInt32LE(1, 0);
  idb.writeUInt32LE(20, 4);
  idb.writeUInt16LE(1, 8); // LINKTYPE_ETHERNET
  idb.writeUInt32LE(SNAPLEN, 12);
  idb.writeUInt32LE(20, 16);
  return Buffer.concat([shb, idb]);
}

// ---------------------------------------------------------------------------

/**
 * Generates the capture into `sinks` and returns what synfin should find.
 * Connections are started until the next one would take the total past
 * packets × scale; those running then finish, so no flow is cut short.
 */
export function generateCapture(options: GenerateOptions, sinks: CaptureSinks): Expected {
  const profile = PROFILES[options.workload ?? 'long'];
  const scale = options.scale ?? 1;
  const concurrency = options.concurrency ?? 1_000;
  const ipv6PerMille = options.ipv6PerMille ?? 50;
  const budget = Math.round(options.packets * scale);
  const rng = new Rng(options.seed);
  const pcap = new Out(sinks.pcap);
  const ng = sinks.pcapng === undefined ? undefined : new Out(sinks.pcapng);
  pcap.reserve(24);
  pcapHeader().copy(pcap.buf, 0);
  pcap.pos = 24;
  if (ng !== undefined) {
    const h = pcapngHeader();
    h.copy(ng.buf, 0);
    ng.pos = h.length;
  }

  const heap = new Heap();
  const nextPort = new Uint16Array(CLIENT_HOSTS).fill(0);
  const scenarios: Record<string, number> = {};
  const handshakes: Record<string, number> = {};
  const closes: Record<string, number> = {};
  let serial = 0;
  let flows = 0;
  let ipv6Flows = 0;
  let planned = 0; // packets written plus packets still scheduled
  let stopping = false;
  let ipId = 1;

  const start = (t0: number, fixed?: Scenario): void => {
    if (stopping) return;
    let scenario = fixed ?? profile.scenarios[0]!;
    if (fixed === undefined) {
      const r = rng.u32() % profile.totalWeight;
      let acc = 0;
      for (const s of profile.scenarios) {
        acc += s.weight;
        if (r < acc) {
          scenario = s;
          break;
        }
      }
    }
    const built = buildScript(rng, profile, scenario, t0);
    if (planned + built.steps.length > budget) {
      // The budget is reached: let the running connections finish.
      stopping = true;
      return;
    }
    const client = rng.int(0, CLIENT_HOSTS - 1);
    const port = EPHEMERAL_FIRST + nextPort[client]!;
    nextPort[client] = (nextPort[client]! + 1) % (EPHEMERAL_LAST - EPHEMERAL_FIRST + 1);
    const v6 = rng.perMille(ipv6PerMille);
    const conn: Conn = {
      serial: serial++, scenario, v6, client, server: rng.int(0, SERVER_HOSTS - 1), clientPort: port,
      serverPort: SERVER_PORTS[rng.int(0, SERVER_PORTS.length - 1)]!, steps: built.steps, next: 0,
      longLived: scenario === LONG_LIVED, c: built.c, s: built.s, rtt: built.rtt,
    };
    planned += built.steps.length;
    flows++;
    if (v6) ipv6Flows++;
    scenarios[scenario.name] = (scenarios[scenario.name] ?? 0) + 1;
    handshakes[scenario.handshake] = (handshakes[scenario.handshake] ?? 0) + 1;
    closes[scenario.close] = (closes[scenario.close] ?? 0) + 1;
    heap.push(conn);
  };

  // Connections start over the first two seconds, then each slot is refilled as its connection ends.
  const longLived = profile.longLivedPerSlots === 0 ? 0 : Math.max(1, Math.round(concurrency / profile.longLivedPerSlots));
  for (let i = 0; i < concurrency; i++) start(rng.int(0, 2 * US), i < longLived ? LONG_LIVED : undefined);

  let packets = 0;
  let firstT = -1;
  let lastT = 0;
  for (;;) {
    const conn = heap.pop();
    if (conn === undefined) break;
    const st = conn.steps[conn.next++]!;
    const t = st.t;
    if (firstT < 0) firstT = t;
    lastT = t;
    const sec = EPOCH + Math.floor(t / US);
    const usec = t % US;
    pcap.reserve(16 + MAX_FRAME);
    const b = pcap.buf;
    const at = pcap.pos;
    const len = writeFrame(b, at + 16, conn, st, ipId++);
    b.writeUInt32LE(sec, at);
    b.writeUInt32LE(usec, at + 4);
    b.writeUInt32LE(len, at + 8);
    b.writeUInt32LE(len, at + 12);
    pcap.pos += 16 + len;
    if (ng !== undefined) {
      const padded = (len + 3) & ~3;
      const total = 28 + padded + 4;
      ng.reserve(total);
      const n = ng.buf;
      const q = ng.pos;
      const ts = sec * US + usec;
      n.writeUInt32LE(6, q); // EPB
      n.writeUInt32LE(total, q + 4);
      n.writeUInt32LE(0, q + 8);
      n.writeUInt32LE(Math.floor(ts / 0x1_0000_0000), q + 12);
      n.writeUInt32LE(ts % 0x1_0000_0000, q + 16);
      n.writeUInt32LE(len, q + 20);
      n.writeUInt32LE(len, q + 24);
      b.copy(n, q + 28, at + 16, at + 16 + len);
      n.fill(0, q + 28 + len, q + 28 + padded);
      n.writeUInt32LE(total, q + 28 + padded);
      ng.pos += total;
    }
    packets++;
    if (conn.next < conn.steps.length) {
      heap.push(conn);
    } else if (conn.longLived && !stopping && planned < budget - 64) {
      // Another exchange on the long-lived connection, after a pause.
      const sc = new Script(rng, conn.c, conn.s, conn.rtt, profile);
      sc.rounds(t + rng.int(US, 5 * US), 1);
      sc.steps.sort((a, b2) => a.t - b2.t);
      conn.steps = sc.steps;
      conn.next = 0;
      planned += sc.steps.length;
      heap.push(conn);
    } else {
      start(t + rng.int(100, 20_000));
    }
  }
  pcap.flush();
  ng?.flush();
  return {
    generator: GENERATOR_VERSION, seed: options.seed, scale, concurrency, packets, flows, ipv6Flows,
    pcapBytes: pcap.written, durationS: (lastT - firstT) / US,
    scenarios: sortKeys(scenarios), handshakes: sortKeys(handshakes), closes: sortKeys(closes),
  };
}

function sortKeys(m: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k]!;
  return out;
}

/** The files a generation writes, named by what determines their bytes. */
export function benchPaths(dir: string, o: GenerateOptions): { pcap: string; pcapng: string; expected: string } {
  const workload = (o.workload ?? 'long') === 'long' ? '' : `-${o.workload}`;
  const base = join(dir, `bench${workload}-s${o.seed}-p${o.packets}${(o.scale ?? 1) === 1 ? '' : `-x${o.scale}`}`);
  return { pcap: `${base}.pcap`, pcapng: `${base}.pcapng`, expected: `${base}.expected.json` };
}

/** Writes the pcap (and the pcapng copy) and the expectations into `dir`. */
export function generateFiles(dir: string, o: GenerateOptions, withPcapng = true): { paths: ReturnType<typeof benchPaths>; expected: Expected } {
  mkdirSync(dir, { recursive: true });
  const paths = benchPaths(dir, o);
  const fd = openSync(paths.pcap, 'w');
  const fdNg = withPcapng ? openSync(paths.pcapng, 'w') : undefined;
  try {
    const expected = generateCapture(o, {
      pcap: (chunk) => { writeSync(fd, chunk); },
      ...(fdNg === undefined ? {} : { pcapng: (chunk: Buffer) => { writeSync(fdNg, chunk); } }),
    });
    writeFileSync(paths.expected, `${JSON.stringify({ ...expected, pcapng: withPcapng }, null, 2)}\n`);
    return { paths, expected };
  } finally {
    closeSync(fd);
    if (fdNg !== undefined) closeSync(fdNg);
  }
}

function parseArgs(argv: readonly string[]): { opts: GenerateOptions; out: string; pcapng: boolean } {
  let seed = 1;
  let packets = 2_000_000;
  let scale = 1;
  let out = 'bench-out';
  let pcapng = true;
  let workload: Workload = 'long';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === '--seed') seed = Number(v());
    else if (a === '--packets') packets = Number(v());
    else if (a === '--scale') scale = Number(v());
    else if (a === '--out') out = v();
    else if (a === '--no-pcapng') pcapng = false;
    else if (a === '--workload') {
      const w = v();
      if (w !== 'long' && w !== 'short') throw new Error(`--workload takes long or short, got '${w}'`);
      workload = w;
    }
    else throw new Error(`unknown argument ${a}`);
  }
  return { opts: { seed, packets, scale, workload }, out, pcapng };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { opts, out, pcapng } = parseArgs(process.argv.slice(2));
  const t0 = process.hrtime.bigint();
  const { paths, expected } = generateFiles(out, opts, pcapng);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(`${paths.pcap}: ${expected.packets} packets, ${expected.flows} flows, ${(expected.pcapBytes / 1e6).toFixed(0)} MB, ${expected.durationS.toFixed(1)} s of traffic (generated in ${s.toFixed(1)} s)\n`);
}
