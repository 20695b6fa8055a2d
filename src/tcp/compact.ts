/**
 * Flows held as their few segments instead of their replayed state.
 *
 * Most of what a busy capture holds at once is waiting, not talking: SYNs
 * nobody answered (a SYN flood is a million of them), resets, refusals, and
 * connections that closed and sit out TIME_WAIT's 2 MSL in case a late
 * segment comes. A replayed flow costs ~4 KB (two endpoints, Zeek's two,
 * state-change lists); the same flow as its segments in flow/pack.ts's form is
 * 10 to 40 bytes a segment. So a flow of at most COMPACT_MAX_SEGMENTS segments
 * that is waiting is handed to the flow table as a string (a replayed flow
 * packs its segments as they come, while few). A done flow (both ends closed
 * or in TIME_WAIT) is finished then: its record is made at once (record.ts
 * finishEarly) and kept beside its segments, so it is replayed once, and when
 * its 2 MSL pass or the capture ends only its final states are settled
 * (settleEarlyText). Anything else that needs the flow (a late segment: a
 * retransmitted FIN after a lost last ACK, an RST in TIME_WAIT, the tuple
 * reused; a waiting handshake's answer) rebuilds it by replaying its
 * segments. Replay is a pure function of the segments, so the rebuilt flow is
 * the flow (test/e2e/compact.test.ts holds every capture's records equal with
 * and without).
 *
 * A flow of more segments than are worth packing (or when the capture's
 * flows are long, so that none is packed) is held, once done, as its whole
 * replayed state written down (tcp/snapshot.ts): ~1 KB instead of ~5 KB of
 * objects, read back if a late segment comes and when it is finished. A
 * quiet flow that has not ended is parked the same ways (setAside).
 *
 * When many are held (a flood), the strings go to the analysis's stash on
 * disk and the table keeps only a number saying where.
 */

import type { Precision } from '../capture/frame.ts';
import type { IcmpError } from '../decode/icmp.ts';
import type { Segment } from '../decode/segment.ts';
import { appendSegment, newPackLog, packFlow, packLogFrom, packLogText, unpackFlow, unpackSegments, type UnpackedFlow } from '../flow/pack.ts';
import type { Stash } from '../spool/stash.ts';
import { feedIcmp, feedSegment, openFlow } from './connection.ts';
import { isDone, isFromClient, isOver, timeWaitRanOut } from './lifecycle.ts';
import { finishEarly, recordFacts, settleEarlyText } from './record.ts';
import { restoreFlow, snapshotFlow } from './snapshot.ts';
import type { Flow, LifecycleOptions } from './types.ts';
import { flowKey } from '../flow/key.ts';

/**
 * A flow with more segments than this stops packing them. A short connection
 * (handshake, a request, an answer of a few segments, four-way close) is 8 to
 * 20, and once over it waits out TIME_WAIT's 2 MSL: on a capture of many of
 * them nearly every connection of the last minute is held, so they must be
 * held compact (at 10, a capture of 140 k connections of ~14 segments peaked
 * at 660 MB; at 32, 170 MB). Packing longer flows too took the
 * long-connection benchmark from 285 to about 170 MB but 1.4× the time
 * (docs/performance.md): a longer flow is held as its state once done
 * instead (shouldHoldState), written once rather than a segment at a time.
 */
export const COMPACT_MAX_SEGMENTS = 32;

/** What the flow table holds for a compact flow: the string itself, or where the stash put it (Stash.putSmall). */
export type CompactFlow = string | number;

/** A flow as the table holds it. */
export type HeldFlow = Flow | CompactFlow;

/**
 * When compact flows are made: while waiting (the default), never, or after
 * every segment (tests; `always-on-disk` also puts every one in the stash,
 * `state` holds every flow as its state, never as its segments).
 */
export type CompactPolicy = 'waiting' | 'never' | 'always' | 'always-on-disk' | 'state';

/**
 * The flows compacted last are kept replayed as well, this many: a SYN's
 * answer usually comes within a round trip, and rebuilding each handshake
 * twice (after the SYN-ACK, after the ACK) was a third of what compacting
 * first cost the benchmark.
 */
const RECENT = 1024;

/**
 * Flows pack their segments only while the capture's recent flows average at
 * most this many segments each (a SYN flood 1, an RST flood 1, a storm of
 * short connections 8; the benchmark's mix 33). Where flows are long,
 * compacting the few short ones saves little memory, and packing every
 * flow's first segments and rebuilding them cost the benchmark 18 % more time.
 */
const FEW_SEGMENTS_PER_FLOW = 16;

/**
 * Segments over which that average is taken: a flood that begins mid-capture
 * is noticed within this many, so at most about this many of its flows are
 * held replayed.
 */
const WINDOW = 8192;

/**
 * Compact flows move to disk once the table holds more flows than this; those
 * with their record (~1.5 KB against a few hundred bytes of segments) once it
 * holds more than SPILL_RECORDS_ABOVE.
 */
const SPILL_ABOVE = 8192;
const SPILL_RECORDS_ABOVE = 1024;

/** Longest string Stash.putSmall takes. */
const SMALL_LIMIT = 65_536;

/** Characters a packed string cannot hold as they are (it is latin1), escaped in a record's JSON (tested first: a replace with no match costs several times a test). */
const NOT_LATIN1 = /[^\x00-\xff]/;
const NOT_LATIN1_ALL = /[^\x00-\xff]/g;

/**
 * A done flow's record kept with its packed segments (record.ts finishEarly),
 * settled to the time it is printed: its JSON text (JSON.stringify's, with
 * characters beyond latin1 escaped), what the summary counts of it, and what
 * the end of a flow tells beside it.
 */
export interface EarlyFinish {
  readonly json: string;
  /** The text is not JSON.stringify's: characters beyond latin1 were escaped to keep it (JSON.parse reads it the same). */
  readonly escaped: boolean;
  /** record.ts RecordFacts, as JSON. */
  readonly facts: string;
  readonly id: number;
  readonly firstSec: number;
  readonly firstNsec: number;
  readonly lastFrame: number;
  readonly client: { readonly addr: string; readonly port: number };
  readonly server: { readonly addr: string; readonly port: number };
}

/**
 * The two lines before an early record's text: precision, last time, each
 * end's TIME_WAIT since (NaN: not in it), first time, last frame, whether the
 * text was escaped (1) or not (0); then the record's facts as JSON.
 */
interface EarlyHeader {
  readonly precision: Precision;
  readonly lastTime: number;
  readonly clientTimeWait: number;
  readonly serverTimeWait: number;
  readonly firstSec: number;
  readonly firstNsec: number;
  readonly lastFrame: number;
  readonly escaped: boolean;
}

/** Builds and rebuilds compact flows for one analysis. */
export class Compactor {
  /** The last flow rebuilt, by the compact value it came from: the table asks several hooks in a row about one segment. */
  private cachedFrom: CompactFlow | undefined;
  private cachedFlow: Flow | undefined;
  /** The last compact value read, and what unpacked() read of it. */
  private unpackedFrom: CompactFlow | undefined;
  private unpackedForm: UnpackedFlow | undefined;
  /** The last RECENT flows compacted, by their compact value, oldest first. */
  private readonly recent = new Map<CompactFlow, Flow>();
  /** Segments and new flows in the current window, and whether the last full window's flows were short (at first: yes). */
  private windowSegments = 0;
  private windowFlows = 0;
  private shortFlows = true;

  constructor(
    private readonly opts: LifecycleOptions,
    private readonly stash: Stash,
    private readonly policy: CompactPolicy,
    /** How many flows the table holds now (to decide when to spill to disk). */
    private readonly heldNow: () => number,
    /** The capture's time now, and the precision records are written with (for records made early). */
    private readonly now: () => number,
    private readonly precision: () => Precision,
  ) {}

  /** The flow, rebuilt when it is compact. The result is the caller's to change (the compact value is then stale). */
  full(held: HeldFlow): Flow {
    return this.standing(held) ?? this.rebuilt(held as CompactFlow, this.unpacked(held as CompactFlow));
  }

  /** The flow object that stands for `held` now, if any: itself, the one rebuilt last, or one of the recent ones. */
  private standing(held: HeldFlow): Flow | undefined {
    if (typeof held === 'object') return held;
    if (this.cachedFrom === held && this.cachedFlow !== undefined) return this.cachedFlow;
    return this.recent.get(held);
  }

  /**
   * The packed form behind `held`, read (from the stash too) once for the
   * several hooks the table calls about one flow in a row: a sweep asks
   * whether it is finished and then finishes it, a late segment asks and then
   * rebuilds it. A compact value is never written again, so the last one
   * read stays right.
   */
  private unpacked(held: CompactFlow): UnpackedFlow {
    if (this.unpackedFrom !== held || this.unpackedForm === undefined) {
      this.unpackedForm = unpackFlow(typeof held === 'string' ? held : this.stash.readSmall(held));
      this.unpackedFrom = held;
    }
    return this.unpackedForm;
  }

  private rebuilt(held: CompactFlow, packed: UnpackedFlow): Flow {
    const flow = this.rebuild(packed);
    this.cachedFrom = held;
    this.cachedFlow = flow;
    return flow;
  }

  /** A new flow (FlowHooks.create). */
  create(seg: Segment, id: number, key: string, previous: HeldFlow | undefined): Flow {
    const flow = openFlow(seg, id, key, previous === undefined ? undefined : this.full(previous));
    this.windowFlows++;
    if (this.policy !== 'never' && this.policy !== 'state' && (this.policy !== 'waiting' || this.shortFlows)) flow.packed = newPackLog();
    return flow;
  }

  /** Replays `seg` into the flow and returns what the table should hold now. */
  update(held: HeldFlow, seg: Segment): HeldFlow {
    if (++this.windowSegments === WINDOW) {
      this.shortFlows = this.windowSegments <= FEW_SEGMENTS_PER_FLOW * this.windowFlows;
      this.windowSegments = 0;
      this.windowFlows = 0;
    }
    const flow = this.full(held);
    this.forget();
    if (typeof held !== 'object') this.recent.delete(held);
    feedSegment(flow, seg, this.opts);
    // Packed as they come (a few bytes each): keeping the Segment objects
    // instead made them survive into V8's old generation, which cost more in
    // collection than packing does.
    if (flow.packed !== undefined) {
      // The packed form has no checksum verdict (Segment.badChecksum, --zeek-checksums verify): such a flow stays replayed.
      if (flow.client.frames + flow.server.frames > COMPACT_MAX_SEGMENTS || seg.badChecksum !== undefined) flow.packed = undefined;
      else {
        const log = typeof flow.packed === 'string' ? packLogFrom(flow.packed) : flow.packed;
        flow.packed = appendSegment(log, seg, isFromClient(flow, seg)) ? log : undefined;
      }
    }
    if (flow.packed === undefined) return this.shouldHoldState(flow) ? this.asState(flow) : flow;
    return this.shouldCompact(flow) ? this.compact(flow) : flow;
  }

  /** Replays an ICMP error about the flow's segment; the flow then stays replayed (the packed form holds segments only), or held as its state under the `state` policy. */
  icmp(held: HeldFlow, err: IcmpError): HeldFlow {
    const flow = this.full(held);
    this.forget();
    if (typeof held !== 'object') this.recent.delete(held);
    feedIcmp(flow, err, this.opts);
    // Tests holding every flow as its state do so after an ICMP error too.
    return this.policy === 'state' ? this.asState(flow) : flow;
  }

  /** Drops the rebuilt flow kept for the next question (it is about to change). */
  forget(): void {
    this.cachedFrom = undefined;
    this.cachedFlow = undefined;
  }

  private shouldCompact(flow: Flow): boolean {
    if (flow.packed === undefined || this.policy === 'never') return false;
    if (this.policy !== 'waiting') return true;
    if (flow.onlyRst) return true;
    // Over and sitting out TIME_WAIT (its record is made now), or a handshake still waiting for its answer.
    if (isDone(flow.client) && isDone(flow.server)) return true;
    return !flow.midstream && !flow.established;
  }

  /**
   * A flow set aside while it is quiet without having ended (FlowHooks.park:
   * an unanswered SYN, an idle or stuck connection), until its next segment or
   * the end: held compact, as its packed segments when it has them, else as
   * its state. The caller's flow object is not kept.
   */
  setAside(held: HeldFlow): CompactFlow {
    if (typeof held !== 'object') return held;
    if (this.cachedFlow === held) this.forget();
    return held.packed === undefined ? this.asState(held) : this.compact(held, false);
  }

  /**
   * A flow not packed (too many segments, or not packable) is held as its
   * state (tcp/snapshot.ts) once both ends are closed or in TIME_WAIT: it
   * waits out 2 MSL as a string of ~1 KB instead of ~5 KB of objects, and
   * is read back if a late segment comes and when it is finished. Tests
   * hold every such flow so after every segment.
   */
  private shouldHoldState(flow: Flow): boolean {
    if (this.policy === 'never') return false;
    if (this.policy !== 'waiting') return true;
    return isDone(flow.client) && isDone(flow.server);
  }

  /** What the table holds for a flow held as its state: the flow object is spent. */
  private asState(flow: Flow): CompactFlow {
    return this.held(flow, snapshotFlow(flow), undefined, true);
  }

  /**
   * The compact form of a flow whose `packed` log is complete. A done flow's
   * record is made now and kept with it (record.ts finishEarly), so that it is
   * not replayed a second time to be finished; the flow object is spent then
   * and not kept among the recent ones.
   */
  private compact(flow: Flow, keepRecent = true): CompactFlow {
    const log = typeof flow.packed === 'string' ? flow.packed : packLogText(flow.packed!);
    const early = this.early(flow);
    const value = this.held(flow, log, early);
    // Tests rebuild every time, so that the rebuilt flow is what they compare.
    if (this.policy === 'waiting' && early === undefined && keepRecent) {
      this.recent.set(value, flow);
      if (this.recent.size > RECENT) this.recent.delete(this.recent.keys().next().value!);
    }
    return value;
  }

  /** The early record of a done flow as the extra of its packed form, or undefined (record.ts finishEarly). The flow is spent after. */
  private early(flow: Flow): string | undefined {
    const { lastSec, lastNsec, firstSec, firstNsec } = flow;
    const precision = this.precision();
    const early = finishEarly(flow, { options: this.opts, precision, captureEnd: this.now() });
    if (early === undefined) return undefined;
    const written = JSON.stringify(early.record);
    const text = latin1(written);
    const header = `${precision} ${lastSec + lastNsec / 1e9} ${early.clientTimeWait} ${early.serverTimeWait} ${firstSec} ${firstNsec} ${flow.lastFrame} ${text === written ? 0 : 1}`;
    return `${header}\n${latin1(JSON.stringify(recordFacts(early.record)))}\n${text}`;
  }

  /** What the table holds for a flow packed as `log` with `extra` (or held as its state, `log` then), the string or where the stash put it. */
  private held(flow: Flow, log: string, extra: string | undefined, state = false): CompactFlow {
    const { client, server } = flow;
    const text = packFlow({
      id: flow.id, previous: flow.previous, aAddr: client.addr, aPort: client.port, bAddr: server.addr, bPort: server.port,
    }, log, extra, state);
    // Records (~1.5 KB) and states (~1 KB) go to disk sooner than segments (a few hundred bytes).
    const spillAbove = extra === undefined && !state ? SPILL_ABOVE : SPILL_RECORDS_ABOVE;
    return text.length >= SMALL_LIMIT || (this.heldNow() <= spillAbove && this.policy !== 'always-on-disk')
      ? text : this.stash.putSmall(text);
  }

  /**
   * True when nothing can change the flow any more by `time` (FlowHooks.isFinished):
   * quiet for 2 MSL and neither end holding it. Answered from an early
   * record's header where there is one, without a replay.
   */
  isFinished(held: HeldFlow, time: number): boolean {
    const twoMsl = 2 * this.opts.msl;
    let flow = this.standing(held);
    if (flow === undefined) {
      const packed = this.unpacked(held as CompactFlow);
      if (packed.extra !== undefined) {
        const h = earlyHeader(packed.extra);
        // isOver's test: an end not in TIME_WAIT (NaN) holds nothing.
        const { msl } = this.opts;
        return time - h.lastTime >= twoMsl && (Number.isNaN(h.clientTimeWait) || timeWaitRanOut(h.clientTimeWait, time, msl)) &&
          (Number.isNaN(h.serverTimeWait) || timeWaitRanOut(h.serverTimeWait, time, msl));
      }
      flow = this.rebuilt(held as CompactFlow, packed);
    }
    return time - (flow.lastSec + flow.lastNsec / 1e9) >= twoMsl && isOver(flow, time, this.opts);
  }

  /**
   * The record of a flow being finished at the capture's time now, when the
   * table holds it with an early record that nothing has touched since: the
   * record settled to now (record.ts settleEarlyText). Undefined otherwise (the
   * flow is then finished from its replayed state).
   */
  finished(held: HeldFlow): EarlyFinish | undefined {
    if (this.standing(held) !== undefined) return undefined;
    const { header, extra } = this.unpacked(held as CompactFlow);
    if (extra === undefined) return undefined;
    const newline = extra.indexOf('\n');
    const h = earlyHeader(extra, newline);
    if (h.precision !== this.precision()) return undefined;
    const factsEnd = extra.indexOf('\n', newline + 1);
    return {
      json: settleEarlyText(extra.slice(factsEnd + 1), h, this.now(), this.opts.msl), escaped: h.escaped,
      facts: extra.slice(newline + 1, factsEnd),
      id: header.id, firstSec: h.firstSec, firstNsec: h.firstNsec, lastFrame: h.lastFrame,
      // A is the client: compact() wrote the client's end first.
      client: { addr: header.aAddr, port: header.aPort }, server: { addr: header.bAddr, port: header.bPort },
    };
  }

  private rebuild({ header: h, log, state }: UnpackedFlow): Flow {
    if (state) return restoreFlow(log);
    // A is the client: compact() wrote the client's end first.
    const segs = unpackSegments(log, h.aAddr, h.aPort, h.bAddr, h.bPort);
    const first = segs[0]!;
    const flow = openFlow(first, h.id, flowKey(first), undefined);
    // The previous incarnation was told of this one when it was first made; only the link is restored.
    (flow as { previous: Flow['previous'] }).previous = h.previous;
    for (const seg of segs) feedSegment(flow, seg, this.opts);
    flow.packed = log;
    return flow;
  }
}

/** True when a string has no character beyond latin1: what a packed string holds as it is (and a json entry is laid out from, report/json.ts entryFromJson). */
export function isLatin1(text: string): boolean {
  return !NOT_LATIN1.test(text);
}

function latin1(json: string): string {
  return isLatin1(json) ? json : json.replace(NOT_LATIN1_ALL, escapeChar);
}

function escapeChar(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function earlyHeader(extra: string, newline = extra.indexOf('\n')): EarlyHeader {
  const [precision, lastTime, clientTimeWait, serverTimeWait, firstSec, firstNsec, lastFrame, escaped] = extra.slice(0, newline).split(' ');
  return {
    precision: precision as Precision, lastTime: Number(lastTime), clientTimeWait: Number(clientTimeWait), serverTimeWait: Number(serverTimeWait),
    firstSec: Number(firstSec), firstNsec: Number(firstNsec), lastFrame: Number(lastFrame), escaped: escaped === '1',
  };
}

/** True when the table holds the flow compactly. */
export function isCompact(held: HeldFlow): held is CompactFlow {
  return typeof held !== 'object';
}
