/**
 * The pipeline in one place: capture readers → decoders → flow table →
 * lifecycle engine → flow records. Every stage streams; memory follows the
 * flows open at once. The CLI and the library API both call this.
 */

import type { CaptureInfo, Precision } from './capture/frame.ts';
import { mergeCaptures } from './capture/merge.ts';
import { readCapture } from './capture/open.ts';
import { decodeFrame } from './decode/index.ts';
import { keyHash } from './flow/key.ts';
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
  /** Called with each flow as it is finalised (ndjson streaming). */
  readonly onFlow?: (flow: FlowRecord) => void;
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
  const finish = (flow: Flow): void => {
    const record = finishFlow(flow, { options: lifecycle, precision, captureEnd: now });
    finished.push(record);
    options.onFlow?.(record);
  };
  const table = new FlowTable<Flow>({
    create: createFlow,
    update: (flow, seg) => replaySegment(flow, seg, lifecycle),
    startsNewIncarnation,
    // Kept 2 MSL past the close, the lifetime of a stray segment, so a late
    // retransmission still lands in its own flow and not in a new midstream one.
    isFinished: (flow, t) => isOver(flow, t, lifecycle) && t - (flow.lastSec + flow.lastNsec / 1e9) >= 2 * lifecycle.msl,
  }, finish);
  const shard = options.shard;
  const skipped = new Map<string, number>();
  let frames = 0;
  let segments = 0;
  let precisionFixed = false;
  for await (const batch of mergeCaptures(readers)) {
    for (const frame of batch) {
      frames++;
      if (!precisionFixed) {
        precision = finestPrecision(readers.map((r) => r.info));
        precisionFixed = true;
      }
      const decoded = decodeFrame(frame);
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
  }
  precision = finestPrecision(readers.map((r) => r.info));
  table.drain();
  finished.sort((a, b) => a.id - b.id);
  return {
    schema: SCHEMA,
    captures: readers.map((r) => captureRecord(r.info)),
    summary: summarize(frames, segments, skipped, finished),
    flows: finished,
    warnings: readers.flatMap((r) => r.info.warnings),
  };
}

/** Analyses one capture file; the same object `synfin flows FILE --format json` prints. */
export function analyzeFile(path: string, options: AnalyzeOptions = {}): Promise<AnalysisResult> {
  return analyzeFiles([path], options);
}

function shardOf(seg: { src: string; srcPort: number; dst: string; dstPort: number }, count: number): number {
  const a = `${seg.src} ${seg.srcPort}`;
  const b = `${seg.dst} ${seg.dstPort}`;
  return keyHash(a < b ? `${a} ${b}` : `${b} ${a}`) % count;
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

function summarize(frames: number, segments: number, skipped: Map<string, number>, flows: readonly FlowRecord[]): SummaryRecord {
  const handshakes = new Map<string, number>();
  const closes = new Map<string, number>();
  const anomalies = new Map<string, number>();
  for (const f of flows) {
    count(handshakes, f.handshake.kind);
    count(closes, f.close.kind);
    for (const a of f.anomalies) count(anomalies, a.code);
    for (const [code, n] of Object.entries(f.anomalies_not_listed ?? {})) count(anomalies, code, n);
  }
  return {
    frames, tcp_segments: segments, flows: flows.length, skipped: sorted(skipped),
    handshakes: sorted(handshakes), closes: sorted(closes), anomalies: sorted(anomalies),
  };
}
