/**
 * The pipeline in one place: capture readers → decoders → flow table →
 * lifecycle engine → flow records. Every stage streams; memory follows the
 * flows open at once. The CLI and the library API both call this.
 */

import { deserialize, serialize } from 'node:v8';
import type { CaptureInfo, Precision } from './capture/frame.ts';
import { mergeCaptures } from './capture/merge.ts';
import { readCapture } from './capture/open.ts';
import { decodeFrame } from './decode/index.ts';
import { ipv4Number, tupleHash } from './flow/key.ts';
import { createStash, type StashRef } from './flow/stash.ts';
import { FlowTable } from './flow/table.ts';
import { ViaTracker } from './flow/via.ts';
import { isoTime } from './capture/time.ts';
import { hostPort } from './tcp/anomalies/describe.ts';
import type { Finding } from './tcp/observation.ts';
import {
  addFinding, DEFAULT_LIFECYCLE, isOver, startsNewIncarnation, type Flow, type LifecycleOptions,
} from './tcp/lifecycle.ts';
import { Compactor, isCompact, type CompactPolicy, type HeldFlow } from './tcp/compact.ts';
import { finishFlow, type FlowRecord } from './tcp/record.ts';

/** JSON schema version of the output (DESIGN.md). */
export const SCHEMA = 1;

/** Options of an analysis. */
export interface AnalyzeOptions {
  /** MSL in seconds (TIME_WAIT lasts 2 MSL); default 30, Linux's 60 s TIME_WAIT. */
  readonly msl?: number;
  /** Seconds of CLOSE_WAIT / FIN_WAIT_2 reported as stuck; default 5. */
  readonly stuckAfter?: number;
  /** Keep each flow's per-frame timeline. */
  readonly events?: boolean;
  /** Keep only flows whose canonical 4-tuple hashes to shard `index` of `count` (0-based). */
  readonly shard?: { readonly index: number; readonly count: number };
  /** What `-` reads; default process.stdin. */
  readonly stdin?: NodeJS.ReadableStream;
  /** Verify IPv4 and TCP checksums; failing frames are skipped (see decodeFrame). */
  readonly verifyChecksums?: boolean;
  /** Called with each flow as it is finalised (ndjson streaming). */
  readonly onFlow?: (flow: FlowRecord) => void;
  /**
   * Which finished flows the result's `flows` keeps (default: every one). The
   * summary counts all of them either way. A caller that takes each flow from
   * onFlow (ndjson) keeps none, so memory follows the flows open at once
   * instead of growing with the capture.
   */
  readonly keepFlow?: (flow: FlowRecord) => boolean;
  /**
   * Seconds without a segment after which a flow is finalised as it stands
   * (its states are what they were); a later segment of its tuple starts a new
   * flow. Default: none (a quiet flow waits, parked on disk, for its next
   * segment or the capture's end).
   */
  readonly idleTimeout?: number;
  /**
   * Most flows held at once, a compact or parked one counting 1/16 (the share
   * of memory it takes); beyond it the longest-idle flow is finalised early
   * with a `flow-evicted` warning. Default DEFAULT_MAX_FLOWS.
   */
  readonly maxFlows?: number;
  /**
   * When flows are held as their packed segments (tcp/compact.ts): while
   * waiting (the default), never, or always (tests: every flow rebuilt at
   * every segment must give the same records).
   */
  readonly compact?: CompactPolicy;
  /**
   * Called after each batch of frames and while the last flows are finalised;
   * a promise it returns holds the analysis until it settles (ndjson on a slow
   * pipe: wait for standard output to drain rather than queue it in memory).
   */
  readonly waitForOutput?: () => Promise<void> | undefined;
  /** Called after each batch of frames is replayed, for a progress display. */
  readonly onProgress?: (progress: AnalyzeProgress) => void;
}

/** How far an analysis has got (for a progress bar; never part of the output). */
export interface AnalyzeProgress {
  readonly frames: number;
  /**
   * Capture bytes consumed, decompressed: each record's data plus its framing
   * (16 bytes of pcap record header; 32 of pcapng block, an estimate when a
   * block carries options or padding).
   */
  readonly bytes: number;
  /** Flows in the flow table (open, or kept 2 MSL after their close). */
  readonly flowsOpen: number;
}

/** One input file in the output's `captures` block. */
export interface CaptureRecord {
  readonly file: string;
  readonly format: string | null;
  readonly gzip: boolean;
  readonly linktypes: string[];
  readonly precision: Precision | null;
  readonly frames: number;
  readonly truncated: boolean;
}

/** The `summary` block. */
export interface SummaryRecord {
  readonly frames: number;
  readonly tcp_segments: number;
  readonly flows: number;
  /** Frames that were not TCP segments, by reason (protocol name, `IPv4 fragment`, `linktype NAME`…). */
  readonly skipped: Record<string, number>;
  readonly handshakes: Record<string, number>;
  readonly closes: Record<string, number>;
  /** Every finding by code, including those not listed in a flow. */
  readonly anomalies: Record<string, number>;
  /** Targets of a SYN flood (present only when there is one): see docs/json.md. */
  readonly syn_floods?: SynFloodRecord[];
}

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

/** What `--format json` prints and `analyzeFile` returns. */
export interface AnalysisResult {
  readonly schema: number;
  readonly captures: CaptureRecord[];
  readonly summary: SummaryRecord;
  readonly flows: FlowRecord[];
  /** Warnings about the input (a file cut mid-record…), already naming file and offset. */
  readonly warnings: string[];
}

/**
 * Default --max-flows: about 1 GB of live flow state at the ~4 KB a replayed
 * flow takes, or ~250 bytes a compact one counted at 1/16 (docs/performance.md,
 * "Memory" and "Floods").
 */
export const DEFAULT_MAX_FLOWS = 250_000;

/** A target with at least this many SYNs left unanswered or half-open is a SYN-flood candidate. */
export const SYN_FLOOD_MIN = 100;
/** ... and they came at an average of at least SYN_FLOOD_MIN per this many seconds. */
export const SYN_FLOOD_WINDOW_S = 10;

/** Flows finalised at the end between two checks of options.waitForOutput. */
const DRAIN_STEP = 1024;

/** Flows are swept for finalisation this often (frames). */
const SWEEP_EVERY = 8192;

/** Analyses one or more capture files (merged by timestamp); `-` is standard input. */
export async function analyzeFiles(paths: readonly string[], options: AnalyzeOptions = {}): Promise<AnalysisResult> {
  const lifecycle: LifecycleOptions = {
    msl: options.msl ?? DEFAULT_LIFECYCLE.msl,
    stuckAfter: options.stuckAfter ?? DEFAULT_LIFECYCLE.stuckAfter,
    events: options.events ?? false,
  };
  const readers = paths.map((p, i) => readCapture(p, i, options.stdin === undefined ? {} : { stdin: options.stdin }));
  const finished: FlowRecord[] = [];
  let precision: Precision = 'us';
  let now = 0;
  const tally = newTally();
  const keepFlow = options.keepFlow;
  const vias = new ViaTracker();
  const finish = (flow: Flow): void => {
    const finished1 = finishFlow(flow, { options: lifecycle, precision, captureEnd: now });
    // Encapsulations only where the flow came through one, so plain flows' JSON is unchanged.
    const via = vias.viaOf(flow.client.addr, flow.client.port, flow.server.addr, flow.server.port);
    const record: FlowRecord = via === undefined ? finished1 : { ...finished1, via };
    countFlow(tally, record, flow);
    if (keepFlow === undefined || keepFlow(record)) finished.push(record);
    options.onFlow?.(record);
  };
  const maxFlows = options.maxFlows ?? DEFAULT_MAX_FLOWS;
  const stash = createStash();
  const compactor = new Compactor(lifecycle, stash, options.compact ?? 'waiting', () => table.size);
  const full = (held: HeldFlow): Flow => compactor.full(held);
  const table: FlowTable<HeldFlow> = new FlowTable<HeldFlow>({
    create: (seg, id, key, previous) => compactor.create(seg, id, key, previous),
    update: (held, seg) => compactor.update(held, seg),
    startsNewIncarnation: (held, seg) => startsNewIncarnation(full(held), seg),
    // Kept 2 MSL past the close, the lifetime of a stray segment, so a late
    // retransmission still lands in its own flow and not in a new midstream one
    // (the quiet test first: it is one subtraction, and the table asks on every segment).
    isFinished: (held, t) => {
      const flow = full(held);
      return t - (flow.lastSec + flow.lastNsec / 1e9) >= 2 * lifecycle.msl && isOver(flow, t, lifecycle);
    },
    // A flow quiet for 2 MSL that has not ended (an unanswered SYN, an idle or
    // stuck connection) waits for its next segment or the capture's end on disk,
    // so such flows do not add up in memory over a long capture. A compact one
    // is small already.
    park: (held) => isCompact(held) ? held : stash.put(serialize(held)),
    wake: (parked) => typeof parked === 'object' ? deserialize(stash.read(parked as StashRef)) as Flow : parked as HeldFlow,
    evicted: (held) => {
      const flow = full(held);
      addFinding(flow, evictedFinding(flow, now, maxFlows));
      finish(flow);
    },
    isCompact,
  }, (held) => finish(full(held)), {
    // Quiet for 2 MSL, any TIME_WAIT has run out: the answer then holds until the next segment.
    stableAfter: 2 * lifecycle.msl,
    maxFlows,
    ...(options.idleTimeout === undefined ? {} : { idleTimeout: options.idleTimeout }),
  });
  const shard = options.shard;
  const decodeOptions = { verifyChecksums: options.verifyChecksums === true };
  const skipped = new Map<string, number>();
  let frames = 0;
  let segments = 0;
  let precisionFixed = false;
  let bytesRead = 0;
  try {
    for await (const batch of mergeCaptures(readers)) {
      for (const frame of batch) {
        frames++;
        bytesRead += frame.data.length + (readers[frame.source]?.info.format === 'pcapng' ? 32 : 16);
        if (!precisionFixed) {
          precision = finestPrecision(readers.map((r) => r.info));
          precisionFixed = true;
        }
        const decoded = decodeFrame(frame, decodeOptions);
        if (!decoded.ok) {
          skipped.set(decoded.skip, (skipped.get(decoded.skip) ?? 0) + 1);
          continue;
        }
        segments++;
        const seg = decoded.segment;
        now = seg.sec + seg.nsec / 1e9;
        if (shard !== undefined && shardOf(seg, shard.count) !== shard.index) continue;
        vias.note(seg);
        table.route(seg);
        if (frames % SWEEP_EVERY === 0) table.sweep(now);
      }
      options.onProgress?.({ frames, bytes: bytesRead, flowsOpen: table.size });
      const draining = options.waitForOutput?.();
      if (draining !== undefined) await draining;
    }
    precision = finestPrecision(readers.map((r) => r.info));
    // In steps, letting the output drain between: a flood's million waiting
    // flows all end here, and a slow reader of ndjson must not make them pile up.
    while (!table.drain(DRAIN_STEP)) {
      const draining = options.waitForOutput?.();
      if (draining !== undefined) await draining;
    }
  } finally {
    stash.close();
  }
  finished.sort((a, b) => a.id - b.id);
  return {
    schema: SCHEMA,
    captures: readers.map((r) => captureRecord(r.info)),
    summary: summarize(frames, segments, skipped, tally, precision),
    flows: finished,
    warnings: readers.flatMap((r) => r.info.warnings),
  };
}

/** Analyses one capture file; the same object `synfin flows FILE --format json` prints. */
export function analyzeFile(path: string, options: AnalyzeOptions = {}): Promise<AnalysisResult> {
  return analyzeFiles([path], options);
}

/** The shard of a segment's flow: its tuple hash (the same both ways, on every machine) modulo the count. */
function shardOf(seg: { src: string; srcPort: number; dst: string; dstPort: number }, count: number): number {
  return tupleHash(seg) % count;
}

const ORDER: readonly Precision[] = ['s', 'ms', 'us', 'ns'];

function finestPrecision(infos: readonly CaptureInfo[]): Precision {
  let best: Precision | undefined;
  for (const i of infos) {
    if (i.precision !== undefined && (best === undefined || ORDER.indexOf(i.precision) > ORDER.indexOf(best))) best = i.precision;
  }
  return best ?? 'us';
}

function captureRecord(info: CaptureInfo): CaptureRecord {
  return {
    file: info.file, format: info.format ?? null, gzip: info.gzip, linktypes: [...info.linktypes],
    precision: info.precision ?? null, frames: info.frames, truncated: info.truncated,
  };
}

function count(into: Map<string, number>, key: string, n = 1): void {
  into.set(key, (into.get(key) ?? 0) + n);
}

/** A map as an object with keys in code-point order, so output never depends on insertion order. */
function sorted(m: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of [...m.keys()].sort()) out[k] = m.get(k) ?? 0;
  return out;
}

/** The finding of a flow finalised early because the flow table was full. */
function evictedFinding(flow: Flow, now: number, maxFlows: number): Finding {
  const last = flow.lastSec + flow.lastNsec / 1e9;
  const idle = Math.max(0, now - last);
  return {
    code: 'flow-evicted', severity: 'warning', side: null, frame: flow.lastFrame, time: last, sec: flow.lastSec, nsec: flow.lastNsec,
    message: `memory bound hit: ${plural(maxFlows, 'flow')} were held at once (--max-flows), so this one, the longest idle (${Math.round(idle * 1e6) / 1e6} s since its last segment), was finalised early with its states as they stood; later segments of ${hostPort(flow.client.addr, flow.client.port)} ↔ ${hostPort(flow.server.addr, flow.server.port)} start a new flow`,
    details: { max_flows: maxFlows, idle_s: Math.round(idle * 1e6) / 1e6 },
  };
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

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

/** What the summary counts, gathered as each flow is finalised (the flows themselves need not be kept). */
interface Tally {
  flows: number;
  readonly handshakes: Map<string, number>;
  readonly closes: Map<string, number>;
  readonly anomalies: Map<string, number>;
  readonly floods: Map<string, FloodTally>;
}

function newTally(): Tally {
  return { flows: 0, handshakes: new Map(), closes: new Map(), anomalies: new Map(), floods: new Map() };
}

function countFlow(t: Tally, f: FlowRecord, flow: Flow): void {
  t.flows++;
  count(t.handshakes, f.handshake.kind);
  count(t.closes, f.close.kind);
  for (const a of f.anomalies) count(t.anomalies, a.code);
  const notListed = f.anomalies_not_listed;
  if (notListed !== undefined) for (const [code, n] of Object.entries(notListed)) count(t.anomalies, code, n);
  const kind = f.handshake.kind;
  if (kind === 'unanswered' || kind === 'no-final-ack') {
    const key = hostPort(f.server.addr, f.server.port);
    let ft = t.floods.get(key);
    if (ft === undefined) {
      ft = {
        addr: f.server.addr, port: f.server.port, flows: 0, syns: 0, halfOpen: 0, sources: new DistinctAddresses(),
        firstSec: flow.firstSec, firstNsec: flow.firstNsec, lastSec: flow.firstSec, lastNsec: flow.firstNsec,
      };
      t.floods.set(key, ft);
    }
    ft.flows++;
    ft.syns += f.handshake.syns;
    if (kind === 'no-final-ack') ft.halfOpen++;
    ft.sources.add(f.client.addr);
    if (flow.firstSec < ft.firstSec || (flow.firstSec === ft.firstSec && flow.firstNsec < ft.firstNsec)) {
      ft.firstSec = flow.firstSec;
      ft.firstNsec = flow.firstNsec;
    }
    if (flow.firstSec > ft.lastSec || (flow.firstSec === ft.lastSec && flow.firstNsec > ft.lastNsec)) {
      ft.lastSec = flow.firstSec;
      ft.lastNsec = flow.firstNsec;
    }
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

/**
 * SYN floods: targets with at least SYN_FLOOD_MIN unanswered or half-open
 * handshakes arriving at an average of at least SYN_FLOOD_MIN per
 * SYN_FLOOD_WINDOW_S seconds, ordered by flows (most first), then target.
 */
function synFloods(t: Tally, precision: Precision): SynFloodRecord[] {
  const out: { key: string; rec: SynFloodRecord }[] = [];
  for (const [key, ft] of t.floods) {
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

function summarize(frames: number, segments: number, skipped: Map<string, number>, t: Tally, precision: Precision): SummaryRecord {
  const floods = synFloods(t, precision);
  return {
    frames, tcp_segments: segments, flows: t.flows, skipped: sorted(skipped),
    handshakes: sorted(t.handshakes), closes: sorted(t.closes), anomalies: sorted(t.anomalies),
    ...(floods.length === 0 ? {} : { syn_floods: floods }),
  };
}

/** Stops a running analysis whose consumer has gone (see {@link analyze}). */
const STOPPED = Symbol('analysis stopped');

/**
 * Analyses a capture and yields each flow as it ends (ndjson order: when the
 * flow is finalised, not by id), then returns the whole result, the same object
 * {@link analyzeFiles} resolves to. `input` is a path, several paths (merged by
 * timestamp), or a readable stream of pcap/pcapng bytes (reported as file `-`).
 *
 * Breaking out of the loop early stops the reading when the next flow ends.
 */
export async function* analyze(
  input: string | readonly string[] | NodeJS.ReadableStream,
  options: Omit<AnalyzeOptions, 'onFlow' | 'stdin'> = {},
): AsyncGenerator<FlowRecord, AnalysisResult, undefined> {
  const paths = typeof input === 'string' ? [input] : isPathList(input) ? input : ['-'];
  const stdin = typeof input === 'string' || isPathList(input) ? {} : { stdin: input };
  let queue: FlowRecord[] = [];
  let wake: (() => void) | undefined;
  let stopped = false;
  let settled: { ok: true; result: AnalysisResult } | { ok: false; error: unknown } | undefined;
  // analyzeFiles calls onFlow synchronously from inside its read loop; the
  // queue hands each record to whoever awaits the next one.
  void analyzeFiles(paths, {
    ...options,
    ...stdin,
    onFlow: (flow) => {
      if (stopped) throw STOPPED;
      queue.push(flow);
      wake?.();
    },
  }).then(
    (result) => { settled = { ok: true, result }; },
    (error: unknown) => { settled = { ok: false, error }; },
  ).finally(() => wake?.());
  try {
    for (;;) {
      if (queue.length > 0) {
        const batch = queue;
        queue = [];
        yield* batch;
        continue;
      }
      if (settled !== undefined) break;
      await new Promise<void>((resolve) => { wake = resolve; });
      wake = undefined;
    }
    if (!settled.ok) throw settled.error;
    return settled.result;
  } finally {
    stopped = true;
  }
}

function isPathList(input: string | readonly string[] | NodeJS.ReadableStream): input is readonly string[] {
  return Array.isArray(input);
}
