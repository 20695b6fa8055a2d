/**
 * `synfin merge`: the outputs of `flows --shard I/N` joined into the document
 * one run over the whole capture would have written.
 *
 * Each shard numbers its own flows 1, 2, 3… by first frame, and its summary
 * counts its own flows (docs/scale.md). A flow's first frame names it in every
 * shard (each shard reads the whole capture), so the merge numbers the flows
 * of all shards by first frame, as one run does, renumbers what a flow says of
 * an earlier one (tuple-reuse), and counts the summary's flows, handshakes,
 * closes, anomalies and SYN floods again from the flows themselves; frames,
 * segments and skipped frames are the whole capture's in every shard.
 *
 * Two passes over the shards: the first learns every flow's first frame and
 * counts; the second renumbers each flow. Memory holds 16 bytes a flow.
 */

import type { CaptureRecord } from '../analyze.ts';
import { finestPrecision } from '../capture/time.ts';
import { countFlow, newTally, summarize, type SummaryRecord, type Tally } from '../summary.ts';
import { FirstFrameIds, recordFacts, renumberFlow, type FlowRecord } from '../tcp/record.ts';

/** What a shard's JSON document says besides its flows. */
export interface ShardHead {
  readonly schema: number;
  readonly captures: CaptureRecord[];
  readonly summary: SummaryRecord;
}

/** A problem with the shards given (exit 2). */
export class MergeError extends Error {}

/** The merge of N shards (see the file's comment). */
export class ShardMerge {
  private head: ShardHead | undefined;
  private headFrom = '';
  private readonly tally: Tally = newTally();
  /** Per shard: the first frame of its flow i + 1, in its own id order. */
  private readonly firstFrames: number[][];
  /** Every flow's id by its first frame: built by numbered(). */
  private readonly ids = new FirstFrameIds();
  /** ICMP errors quoting a TCP segment, over every shard. */
  private icmpErrors = 0;

  constructor(private readonly names: readonly string[]) {
    this.firstFrames = names.map(() => []);
  }

  /** First pass: a shard's document head (JSON shards only). */
  noteHead(shard: number, head: ShardHead): void {
    // Each shard counts the ICMP errors about its own flows' tuples.
    const icmp = head.summary.icmp_errors;
    if (icmp !== undefined) this.icmpErrors += icmp.about_flows + icmp.about_no_flow;
    if (this.head === undefined) {
      this.head = head;
      this.headFrom = this.names[shard]!;
      return;
    }
    const h = this.head;
    const what = head.schema !== h.schema ? 'schema' : JSON.stringify(head.captures) !== JSON.stringify(h.captures) ? 'captures'
      : head.summary.frames !== h.summary.frames || head.summary.tcp_segments !== h.summary.tcp_segments
        || JSON.stringify(head.summary.skipped) !== JSON.stringify(h.summary.skipped) ? 'frames' : undefined;
    if (what !== undefined) {
      throw new MergeError(`${this.names[shard]} and ${this.headFrom} are not shards of one run: their ${what} differ`);
    }
  }

  /** First pass: one of a shard's flows, in any order. */
  noteFlow(shard: number, flow: FlowRecord): void {
    const frames = this.firstFrames[shard]!;
    if (!Number.isSafeInteger(flow.id) || flow.id < 1) throw new MergeError(`${this.names[shard]}: flow id ${flow.id} is not a shard's`);
    frames[flow.id - 1] = flow.first_frame;
    const { sec, nsec } = parseIsoTime(flow.start);
    countFlow(this.tally, recordFacts(flow), sec, nsec);
  }

  /** After the first pass: every flow's place among all shards' flows. */
  numbered(): number {
    const all: number[] = [];
    this.firstFrames.forEach((frames, shard) => {
      for (let i = 0; i < frames.length; i++) {
        if (frames[i] === undefined) throw new MergeError(`${this.names[shard]}: flow ${i + 1} is missing (ids must run 1, 2, 3…)`);
        all.push(frames[i]!);
      }
    });
    for (const frame of Float64Array.from(all).sort()) {
      if (!this.ids.push(frame)) throw new MergeError(`two shards hold a flow that begins at frame ${frame}: was one shard given twice?`);
    }
    return this.ids.size;
  }

  /** Second pass: a flow of `shard` with the merged run's ids. */
  renumbered(shard: number, flow: FlowRecord): FlowRecord {
    const frames = this.firstFrames[shard]!;
    return renumberFlow(flow, (id) => this.idOfFrame(frames[id - 1]));
  }

  /** The merged document's head; its summary counts every shard's flows. */
  merged(): ShardHead {
    const h = this.head;
    if (h === undefined) throw new MergeError('merging into a JSON document needs the shards\' JSON documents (ndjson carries no summary)');
    const precision = finestPrecision(h.captures.map((c) => c.precision));
    const summary = summarize(h.summary.frames, h.summary.tcp_segments, new Map(Object.entries(h.summary.skipped)), this.tally, precision, this.icmpErrors);
    return { schema: h.schema, captures: h.captures, summary };
  }

  private idOfFrame(frame: number | undefined): number {
    const id = frame === undefined ? undefined : this.ids.idOf(frame);
    if (id === undefined) throw new MergeError(`a flow names an earlier flow no shard holds (first frame ${frame})`);
    return id;
  }
}

/** An output time (`2026-11-23T04:44:04.754092Z`, any number of fraction digits) as seconds and nanoseconds. */
export function parseIsoTime(text: string): { sec: number; nsec: number } {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(text);
  const ms = m === null ? NaN : Date.parse(`${m[1]}Z`);
  if (m === null || Number.isNaN(ms)) throw new MergeError(`'${text}' is not a time synfin writes`);
  return { sec: ms / 1000, nsec: Number((m[2] ?? '').padEnd(9, '0')) };
}
