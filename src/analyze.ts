/**
 * The pipeline in one place: capture readers → decoders → flow table →
 * lifecycle engine → flow records. Every stage streams; memory follows the
 * flows open at once. The CLI and the library API both call this.
 *
 * With `jobs` above 1 the flow table and the engine move to workers
 * (src/parallel/): this thread still reads and decodes every frame and
 * counts the summary, and hands each segment to the worker that owns its
 * tuple; the flows come back in the order one engine would have ended them.
 * When there are at least as many jobs as cores, this thread is one of the
 * workers too.
 */

import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { CaptureInfo, Precision } from './capture/frame.ts';
import { mergeCaptures } from './capture/merge.ts';
import { finestPrecision } from './capture/time.ts';
import { readCapture } from './capture/open.ts';
import { decodeFrame, scratchDecode } from './decode/index.ts';
import { createEngine, type FlowEnd } from './engine.ts';
import { tupleHash } from './flow/key.ts';
import { startPool } from './parallel/pool.ts';
import { DEFAULT_LIFECYCLE } from './tcp/lifecycle.ts';
import type { EventFrames, Flow, LifecycleOptions, TimelineChoice } from './tcp/types.ts';
import type { ZeekConfig } from './zeek/types.ts';
import type { CompactPolicy, HeldFlow } from './tcp/compact.ts';
import { Settler } from './settle.ts';
import { recordFacts, type FlowRecord, type RecordFacts } from './tcp/record.ts';
import { countFlow, newTally, summarize, type SummaryRecord } from './summary.ts';

export type { SummaryRecord } from './summary.ts';
export type { SynFloodRecord } from './syn-flood.ts';

/** JSON schema version of the output (docs/design.md). */
export const SCHEMA = 2;

/** Options of an analysis. */
export interface AnalyzeOptions {
  /** MSL in seconds (TIME_WAIT lasts 2 MSL); default 30, Linux's 60 s TIME_WAIT. */
  readonly msl?: number;
  /** Seconds of CLOSE_WAIT / FIN_WAIT_2 reported as stuck; default 5. */
  readonly stuckAfter?: number;
  /** Keep each flow's per-frame timeline. */
  readonly events?: boolean;
  /** With events: most timeline entries kept per flow, the first and latest halves (FlowRecord.events_omitted); default all. */
  readonly eventsKept?: number;
  /** With events: which frames the timeline keeps (LifecycleOptions.eventFrames); default every one. */
  readonly eventFrames?: EventFrames;
  /** With events: only the flows this can choose keep a timeline (LifecycleOptions.timelineOf); default every flow. */
  readonly timelineOf?: TimelineChoice;
  /** Keep only flows whose canonical 4-tuple hashes to shard `index` of `count` (0-based). */
  readonly shard?: { readonly index: number; readonly count: number };
  /** What `-` reads; default process.stdin. */
  readonly stdin?: NodeJS.ReadableStream;
  /** Verify IPv4 and TCP checksums; failing frames are skipped (see decodeFrame). */
  readonly verifyChecksums?: boolean;
  /** Zeek's settings for the flows' Zeek rows (zeek/config.ts DEFAULT_ZEEK_CONFIG by default). */
  readonly zeek?: ZeekConfig;
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
   * Flows whose record is at hand as JSON text go here as that text
   * (JSON.stringify's, all latin1: an ndjson line), with their id, instead of
   * to onFlow and the result's `flows`, so that they are not parsed and
   * written again (`synfin flows --format json|ndjson` without a filter): on
   * one thread, those whose record was made when they were done
   * (tcp/compact.ts); with workers, every flow they send (a reused tuple's
   * aside, whose record names the flow before it). The summary counts them
   * as any. Other flows, and live output's, go to onFlow.
   */
  readonly flowText?: (id: number, json: string) => void;
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
  /**
   * Live input (a pipe from tcpdump): give onFlow each flow as soon as it has
   * ended and stayed quiet for `settle` seconds (settle.ts), and again, with
   * `revised`, if segments came after that. The result's flows and summary
   * are as without it.
   */
  readonly live?: { readonly settle: number };
  /**
   * Threads that replay flows: a number (1: all on this thread, the default),
   * or `auto`: one fewer than the cores this process may use (the reading
   * thread takes one), but 1 on fewer than AUTO_JOBS_MIN_CORES cores, for
   * standard input, or for captures under AUTO_JOBS_MIN_BYTES, where workers
   * cost more than they save. Live output (`live`) always runs on this thread. The
   * output is the same for any number.
   */
  readonly jobs?: number | 'auto';
  /**
   * Stops the reading when aborted (the CLI's first Ctrl-C, as tcpdump and
   * tshark stop): the frames read so far are analysed and every flow is
   * finalised as at the end of a capture, still-open ones as open. The
   * result says so in `warnings`.
   */
  readonly signal?: AbortSignal;
}

/** Below this many bytes of capture, `jobs: 'auto'` stays on one thread (a worker takes ~40 ms to start). */
export const AUTO_JOBS_MIN_BYTES = 32 * 1024 * 1024;

/** Most workers `jobs: 'auto'` starts. */
const AUTO_JOBS_MAX = 16;

/** Fewer cores than this, and `jobs: 'auto'` stays on one thread. */
export const AUTO_JOBS_MIN_CORES = 3;

/** How many threads replay flows (AnalyzeOptions.jobs). */
export function jobsFor(options: AnalyzeOptions, paths: readonly string[]): number {
  const jobs = options.jobs ?? 1;
  // Live output settles each flow on this thread (settle.ts).
  if (options.live !== undefined) return 1;
  if (jobs !== 'auto') return Math.max(1, Math.floor(jobs));
  if (paths.includes('-') || options.stdin !== undefined) return 1;
  let bytes = 0;
  for (const p of paths) {
    try {
      bytes += statSync(p).size;
    } catch {
      return 1; // The reader names what is wrong with it.
    }
  }
  // The reading thread needs a core of its own, and V8's collector keeps about a
  // quarter of another busy: measured on two cores, two workers ran 1.3–1.5×
  // faster than one thread but held twice the memory, over the bound the
  // defaults keep (docs/performance.md).
  const cores = availableParallelism();
  return bytes < AUTO_JOBS_MIN_BYTES || cores < AUTO_JOBS_MIN_CORES ? 1 : Math.min(cores - 1, AUTO_JOBS_MAX);
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

/** Flows finalised at the end between two checks of options.waitForOutput. */
const DRAIN_STEP = 1024;

/** How often a live analysis looks for settled flows while its input is idle (milliseconds). */
const LIVE_TICK_MS = 250;

/** Flows are swept for finalisation this often (frames). */
const SWEEP_EVERY = 8192;

/** The replay's options for workers: they number their own flows, so a timeline is not chosen by id there (each keeps one for every flow the rest of the choice allows). */
function inWorkers(lifecycle: LifecycleOptions): LifecycleOptions {
  const choice = lifecycle.timelineOf;
  if (choice?.ids === undefined) return lifecycle;
  const { ids: _local, ...rest } = choice;
  return { ...lifecycle, timelineOf: rest };
}

/** Analyses one or more capture files (merged by timestamp); `-` is standard input. */
export async function analyzeFiles(paths: readonly string[], options: AnalyzeOptions = {}): Promise<AnalysisResult> {
  const lifecycle: LifecycleOptions = {
    msl: options.msl ?? DEFAULT_LIFECYCLE.msl,
    stuckAfter: options.stuckAfter ?? DEFAULT_LIFECYCLE.stuckAfter,
    events: options.events ?? false,
    ...(options.eventsKept === undefined ? {} : { eventsKept: options.eventsKept }),
    ...(options.eventFrames === undefined ? {} : { eventFrames: options.eventFrames }),
    ...(options.timelineOf === undefined ? {} : { timelineOf: options.timelineOf }),
    ...(options.zeek === undefined ? {} : { zeek: options.zeek }),
  };
  const readers = paths.map((p, i) => readCapture(p, i, options.stdin === undefined ? {} : { stdin: options.stdin }));
  const finished: FlowRecord[] = [];
  let precision: Precision = 'us';
  let now = 0;
  const tally = newTally();
  const keepFlow = options.keepFlow;
  // A flow's line for onFlow; `revised` when live output printed it before (settle.ts).
  const emit = (record: FlowRecord, revised: boolean): void => options.onFlow?.(revised ? { ...record, revised: true } : record);
  // Every ended flow passes here once, in the order flows end (the same for any number of workers).
  const flowEnded = (record: FlowRecord, firstSec: number, firstNsec: number, flow?: FlowEnd): void => {
    countFlow(tally, recordFacts(record), firstSec, firstNsec);
    if (keepFlow === undefined || keepFlow(record)) finished.push(record);
    const line = flow === undefined ? 'print' : settler?.finalised(flow) ?? 'print';
    if (line !== 'printed') emit(record, line === 'revised');
  };
  const live = options.live;
  const jobs = jobsFor(options, paths);
  const table = {
    lifecycle, compact: options.compact ?? 'waiting', maxFlows: options.maxFlows ?? DEFAULT_MAX_FLOWS, idleTimeout: options.idleTimeout,
  } as const;
  const decodeOptions = { verifyChecksums: options.verifyChecksums === true, markChecksums: options.zeek?.checksums === 'verify' };
  // Each frame's segment is done with before the next is decoded (the table and the replay copy what they keep).
  const scratch = scratchDecode();
  // One engine on this thread, or a pool of workers each running one on the flows its hash bucket owns.
  const flowText = live === undefined ? options.flowText : undefined;
  // A flow that ends as its record's JSON text (AnalyzeOptions.flowText), counted by the facts sent with it.
  const textEnded = flowText === undefined ? undefined
    : (id: number, json: string, facts: RecordFacts, firstSec: number, firstNsec: number): void => {
      countFlow(tally, facts, firstSec, firstNsec);
      flowText(id, json);
    };
  const local = jobs > 1 ? undefined : createEngine({
    ...table, now: () => now, precision: () => precision,
    ended: (record, flow) => flowEnded(record, flow.firstSec, flow.firstNsec, flow),
    ...(textEnded === undefined ? {} : { endedEarly: (json, facts, flow) => textEnded(flow.id, json, facts, flow.firstSec, flow.firstNsec) }),
  });
  // With a worker on every core already, this thread is one of them rather than one thread too many (pool.ts).
  const pool = local !== undefined ? undefined
    : startPool({ jobs, engine: { ...table, lifecycle: inWorkers(lifecycle) }, decode: decodeOptions, input: paths.join(', '), readerAnalyses: jobs >= availableParallelism() }, flowEnded, textEnded);
  const settler = live === undefined || local === undefined ? undefined
    : new Settler<HeldFlow>(live.settle, (held) => local.full(held), (flow, revised) => emit(local.record(flow), revised));
  const shard = options.shard;
  const skipped = new Map<string, number>();
  let frames = 0;
  let segments = 0;
  /** ICMP errors quoting a TCP segment (of this shard), whether or not a flow took them. */
  let icmpErrors = 0;
  let precisionFixed = false;
  let bytesRead = 0;
  // Live: while the input is idle the capture's clock runs on with the wall
  // clock, so the last connections before a pause still get their lines.
  let idleSince = Date.now();
  const ticker = settler === undefined ? undefined
    : setInterval(() => settler.sweep(now + (Date.now() - idleSince) / 1000), LIVE_TICK_MS);
  ticker?.unref();
  const batches = mergeCaptures(readers)[Symbol.asyncIterator]();
  const signal = options.signal;
  let interrupted = false;
  let ended = false;
  let latestSec = -Infinity;
  let latestNsec = 0;
  let backwards: { frame: number; by: number; more: number } | undefined;
  try {
    for (;;) {
      // A read waiting on an idle pipe is left behind when the stop comes; whatever it ends in is ignored.
      const pending = batches.next();
      const next = signal === undefined ? await pending : await untilAborted(pending, signal);
      if (next === 'stop') {
        interrupted = true;
        break;
      }
      if (next.done === true) {
        ended = true;
        break;
      }
      for (const frame of next.value) {
        frames++;
        bytesRead += frame.data.length + (readers[frame.source]?.info.format === 'pcapng' ? 32 : 16);
        if (!precisionFixed) {
          precision = finestPrecision(readers.map((r) => r.info.precision));
          precisionFixed = true;
        }
        // Time that runs backwards (a clock stepped back while capturing, a bad merge): the
        // frame is taken as at the latest time seen, so no duration or wait comes out negative.
        let timed = frame;
        if (frame.sec < latestSec || (frame.sec === latestSec && frame.nsec < latestNsec)) {
          backwards ??= { frame: frame.number, by: (latestSec - frame.sec) + (latestNsec - frame.nsec) / 1e9, more: 0 };
          if (backwards.frame !== frame.number) backwards.more++;
          timed = { ...frame, sec: latestSec, nsec: latestNsec };
        } else {
          latestSec = frame.sec;
          latestNsec = frame.nsec;
        }
        const decoded = decodeFrame(timed, decodeOptions, scratch);
        if (!decoded.ok) {
          skipped.set(decoded.skip, (skipped.get(decoded.skip) ?? 0) + 1);
          // An ICMP error about a TCP segment goes to that segment's flow (lifecycle.ts replayIcmp).
          const err = decoded.icmp;
          if (err === undefined || (shard !== undefined && shardOf(err.quoted, shard.count) !== shard.index)) continue;
          icmpErrors++;
          if (local !== undefined) {
            const held = local.icmp(err);
            if (held !== undefined && settler !== undefined) settler.routed(local.full(held).id, held, now);
          } else pool!.icmp(timed, err);
          continue;
        }
        segments++;
        const seg = decoded.segment;
        now = seg.sec + seg.nsec / 1e9;
        if (shard !== undefined && shardOf(seg, shard.count) !== shard.index) continue;
        if (local !== undefined) {
          const held = local.route(seg);
          if (settler !== undefined) settler.routed(local.full(held).id, held, now);
        } else pool!.segment(timed, seg);
        if (frames % SWEEP_EVERY === 0) {
          if (local !== undefined) local.sweep(now);
          else pool!.sweep(frames, now);
        }
      }
      if (settler !== undefined) {
        settler.sweep(now);
        idleSince = Date.now();
      }
      if (pool !== undefined) await pool.batchEnd(frames, precision);
      options.onProgress?.({ frames, bytes: bytesRead, flowsOpen: local?.size ?? pool!.size });
      const draining = options.waitForOutput?.();
      if (draining !== undefined) await draining;
    }
    precision = finestPrecision(readers.map((r) => r.info.precision));
    // In steps, letting the output drain between: a flood's million waiting
    // flows all end here, and a slow reader of ndjson must not make them pile up.
    if (local !== undefined) {
      while (!local.drain(DRAIN_STEP)) {
        const draining = options.waitForOutput?.();
        if (draining !== undefined) await draining;
      }
    } else await pool!.finish(frames, now, precision, options.waitForOutput);
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    // Stopped by a fault or an early consumer: close the files (as for-await would). Not after a stop
    // (the read still waiting would hold the close until the pipe delivers).
    if (!ended && !interrupted) await batches.return?.();
    local?.close();
    pool?.close();
  }
  finished.sort((a, b) => a.id - b.id);
  return {
    schema: SCHEMA,
    captures: readers.map((r) => captureRecord(r.info)),
    summary: summarize(frames, segments, skipped, tally, precision, icmpErrors),
    flows: finished,
    warnings: [
      ...readers.flatMap((r) => r.info.warnings),
      ...(backwards === undefined ? [] : [
        `the capture's time went backwards at frame ${backwards.frame} (${backwards.by.toFixed(6)} s before an earlier frame)`
        + `${backwards.more > 0 ? ` and at ${backwards.more} later frame${backwards.more === 1 ? '' : 's'}` : ''}:`
        + ' such frames are taken as at the latest time seen before them, so no duration is negative',
      ]),
      ...(interrupted ? [`interrupted after frame ${frames}: the connections read so far, still-open ones as open`] : []),
    ],
  };
}

/**
 * `pending`, or 'stop' as soon as `signal` is aborted. Not Promise.race with
 * one promise for the whole read: each race leaves a reaction on that promise
 * holding its batch, and a capture's every batch stayed in memory (1.6 GB).
 */
function untilAborted<T>(pending: Promise<T>, signal: AbortSignal): Promise<T | 'stop'> {
  if (signal.aborted) return Promise.resolve('stop');
  return new Promise<T | 'stop'>((resolve, reject) => {
    const stop = (): void => resolve('stop');
    signal.addEventListener('abort', stop, { once: true });
    pending.then(
      (v) => { signal.removeEventListener('abort', stop); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', stop); reject(e); },
    );
  });
}

/** Analyses one capture file; the same object `synfin flows FILE --format json` prints. */
export function analyzeFile(path: string, options: AnalyzeOptions = {}): Promise<AnalysisResult> {
  return analyzeFiles([path], options);
}

/** The shard of a segment's flow: its tuple hash (the same both ways, on every machine) modulo the count. */
function shardOf(seg: { src: string; srcPort: number; dst: string; dstPort: number }, count: number): number {
  return tupleHash(seg) % count;
}

function captureRecord(info: CaptureInfo): CaptureRecord {
  return {
    file: info.file, format: info.format ?? null, gzip: info.gzip, linktypes: [...info.linktypes],
    precision: info.precision ?? null, frames: info.frames, truncated: info.truncated,
  };
}
