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
import { tupleHash } from './flow/key.ts';
import { createStash, type StashRef } from './flow/stash.ts';
import { FlowTable } from './flow/table.ts';
import {
  createFlow, DEFAULT_LIFECYCLE, isOver, replaySegment, startsNewIncarnation, type Flow, type LifecycleOptions,
} from './tcp/lifecycle.ts';
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
  const finish = (flow: Flow): void => {
    const record = finishFlow(flow, { options: lifecycle, precision, captureEnd: now });
    countFlow(tally, record);
    if (keepFlow === undefined || keepFlow(record)) finished.push(record);
    options.onFlow?.(record);
  };
  const stash = createStash();
  const table = new FlowTable<Flow>({
    create: createFlow,
    update: (flow, seg) => replaySegment(flow, seg, lifecycle),
    startsNewIncarnation,
    // Kept 2 MSL past the close, the lifetime of a stray segment, so a late
    // retransmission still lands in its own flow and not in a new midstream one
    // (the quiet test first: it is one subtraction, and the table asks on every segment).
    isFinished: (flow, t) => t - (flow.lastSec + flow.lastNsec / 1e9) >= 2 * lifecycle.msl && isOver(flow, t, lifecycle),
    // A flow quiet for 2 MSL that has not ended (an unanswered SYN, an idle or
    // stuck connection) waits for its next segment or the capture's end on disk,
    // so such flows do not add up in memory over a long capture.
    park: (flow) => stash.put(serialize(flow)),
    wake: (parked) => deserialize(stash.read(parked as StashRef)) as Flow,
  }, finish, {
    // Quiet for 2 MSL, any TIME_WAIT has run out: the answer then holds until the next segment.
    stableAfter: 2 * lifecycle.msl,
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
        table.route(seg);
        if (frames % SWEEP_EVERY === 0) table.sweep(now);
      }
      options.onProgress?.({ frames, bytes: bytesRead, flowsOpen: table.size });
    }
    precision = finestPrecision(readers.map((r) => r.info));
    table.drain();
  } finally {
    stash.close();
  }
  finished.sort((a, b) => a.id - b.id);
  return {
    schema: SCHEMA,
    captures: readers.map((r) => captureRecord(r.info)),
    summary: summarize(frames, segments, skipped, tally),
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

/** What the summary counts, gathered as each flow is finalised (the flows themselves need not be kept). */
interface Tally {
  flows: number;
  readonly handshakes: Map<string, number>;
  readonly closes: Map<string, number>;
  readonly anomalies: Map<string, number>;
}

function newTally(): Tally {
  return { flows: 0, handshakes: new Map(), closes: new Map(), anomalies: new Map() };
}

function countFlow(t: Tally, f: FlowRecord): void {
  t.flows++;
  count(t.handshakes, f.handshake.kind);
  count(t.closes, f.close.kind);
  for (const a of f.anomalies) count(t.anomalies, a.code);
  const notListed = f.anomalies_not_listed;
  if (notListed !== undefined) for (const [code, n] of Object.entries(notListed)) count(t.anomalies, code, n);
}

function summarize(frames: number, segments: number, skipped: Map<string, number>, t: Tally): SummaryRecord {
  return {
    frames, tcp_segments: segments, flows: t.flows, skipped: sorted(skipped),
    handshakes: sorted(t.handshakes), closes: sorted(t.closes), anomalies: sorted(t.anomalies),
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
