/**
 * A worker thread of a parallel analysis: one engine (src/engine.ts) over the
 * flows whose tuples hash to this worker. It decodes the frames the reading
 * thread sends it (packed by batch.ts), replays them, and reports after each
 * batch the flows it created and ended, for order.ts to put in place.
 *
 * This module is also the worker's entry point: loaded in a thread started by
 * pool.ts, it runs the worker. pool.ts may run one on its own thread too
 * (runWorker over a MessageChannel). In the bundles (dist/) every module shares the
 * bundle's URL, so the pool starts the bundle itself as the worker.
 */

import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Precision } from '../capture/frame.ts';
import { decodeFrame, scratchDecode, type DecodeOptions } from '../decode/index.ts';
import { createEngine, type EarlyText, type EndPhase, type EngineOptions, type FlowEnd } from '../engine.ts';
import { isLatin1 } from '../tcp/compact.ts';
import { recordFacts } from '../tcp/record.ts';
import { DRAIN, ROUTE, SWEEP, type EndedFlow } from './order.ts';
import { readBatch } from './batch.ts';

/** The module a worker thread loads (this file, or the bundle it is part of). */
export const WORKER_URL = import.meta.url;

/** Marks workerData as a synfin analysis worker's. */
export const WORKER_TAG = 'synfin-analysis-worker';

/** What the pool gives a worker when it starts it. */
export interface WorkerSetup {
  readonly tag: typeof WORKER_TAG;
  readonly index: number;
  readonly engine: Omit<EngineOptions, 'now' | 'precision' | 'ended' | 'ids' | 'created'>;
  readonly decode: DecodeOptions;
  /** From the sources: the path of this file, which worker-tsx.cjs loads. */
  readonly entry?: string;
}

/** Messages to a worker. */
export type ToWorker =
  | { readonly type: 'batch'; readonly buffer: ArrayBuffer; readonly length: number; readonly covers: number; readonly precision: Precision }
  | { readonly type: 'drain'; readonly now: number; readonly precision: Precision; readonly step: number };

/**
 * Messages from a worker. A report's flows travel packed, in buffers that are
 * transferred, not cloned: cloning each record's objects (and even each
 * record's JSON string) cost the workers more than replaying the segments.
 */
export type FromWorker =
  | {
    readonly type: 'report'; readonly covers: number; readonly done: boolean;
    /** First frames of the flows created. */
    readonly created: Float64Array;
    /**
     * Per flow ended: at, phase, id, firstSec, firstNsec, bytes of its JSON
     * in `texts`, bytes of its facts after it, and 1 when the JSON is
     * JSON.stringify's and all latin1 (ENDED_FIELDS numbers).
     */
    readonly ended: Float64Array;
    /** The ended flows' records as JSON, each followed by what the summary counts of it (record.ts RecordFacts) as JSON, in UTF-8. */
    readonly texts: ArrayBuffer;
    /** The batch's buffer, given back to be filled again. */
    readonly buffer?: ArrayBuffer;
  }
  | { readonly type: 'failed'; readonly message: string; readonly frame: number };

const PHASES: Record<EndPhase, EndedFlow['phase']> = { route: ROUTE, sweep: SWEEP, drain: DRAIN };

/** Numbers per ended flow in a report's `ended`. */
export const ENDED_FIELDS = 8;

/** Unpacks a report's ended flows. */
export function endedFlows(ended: Float64Array, texts: ArrayBuffer): EndedFlow[] {
  const b = Buffer.from(texts);
  const out: EndedFlow[] = [];
  let offset = 0;
  for (let i = 0; i < ended.length; i += ENDED_FIELDS) {
    const length = ended[i + 5]!;
    const factsLength = ended[i + 6]!;
    out.push({
      at: ended[i]!, phase: ended[i + 1]! as EndedFlow['phase'], id: ended[i + 2]!, firstSec: ended[i + 3]!, firstNsec: ended[i + 4]!,
      record: b.toString('utf8', offset, offset + length),
      facts: b.toString('utf8', offset + length, offset + length + factsLength),
      exact: ended[i + 7] === 1,
    });
    offset += length + factsLength;
  }
  return out;
}

export function runWorker(port: MessagePort, setup: WorkerSetup): void {
  const scratch = scratchDecode();
  let now = 0;
  let precision: Precision = 'us';
  /** The frame being replayed, or the sweep's: where a flow that ends now ended. */
  let at = 0;
  let created: number[] = [];
  let ended: number[] = [];
  let texts = Buffer.allocUnsafeSlow(256 * 1024);
  let textsAt = 0;
  const addText = (json: string): number => {
    const most = json.length * 3;
    if (textsAt + most > texts.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(texts.length * 2, textsAt + most));
      texts.copy(bigger, 0, 0, textsAt);
      texts = bigger;
    }
    const n = texts.write(json, textsAt, 'utf8');
    textsAt += n;
    return n;
  };
  const endedText = (json: string, flow: FlowEnd, phase: EndPhase, early: EarlyText): void => {
    const length = addText(json);
    const factsLength = addText(early.facts);
    ended.push(phase === 'drain' ? Infinity : at, PHASES[phase], flow.id, flow.firstSec, flow.firstNsec, length, factsLength, early.exact ? 1 : 0);
  };
  const engine = createEngine({
    ...setup.engine,
    ids: 'first-frame',
    // Numbered by first frame: the id is the frame.
    created: (id) => created.push(id),
    now: () => now,
    precision: () => precision,
    ended: (record, flow, phase) => {
      const json = JSON.stringify(record);
      endedText(json, flow, phase, { facts: JSON.stringify(recordFacts(record)), exact: isLatin1(json) });
    },
    endedText,
  });
  const send = (covers: number, done: boolean, buffer?: ArrayBuffer): void => {
    const out = new ArrayBuffer(textsAt);
    texts.copy(Buffer.from(out), 0, 0, textsAt);
    const message: FromWorker = {
      type: 'report', covers, done, created: Float64Array.from(created), ended: Float64Array.from(ended), texts: out,
      ...(buffer === undefined ? {} : { buffer }),
    };
    created = [];
    ended = [];
    textsAt = 0;
    port.postMessage(message, [message.created.buffer as ArrayBuffer, message.ended.buffer as ArrayBuffer, out, ...(buffer === undefined ? [] : [buffer])]);
  };
  port.on('message', (m: ToWorker) => {
    try {
      precision = m.precision;
      if (m.type === 'batch') {
        readBatch(m.buffer, m.length, {
          frame: (frame) => {
            at = frame.number;
            const decoded = decodeFrame(frame, setup.decode, scratch);
            // The reading thread sends only the frames it decoded to a segment or an ICMP error about one.
            if (!decoded.ok) {
              if (decoded.icmp === undefined) throw new Error(`frame ${frame.number} did not decode here: ${decoded.skip}`);
              engine.icmp(decoded.icmp);
              return;
            }
            const seg = decoded.segment;
            now = seg.sec + seg.nsec / 1e9;
            engine.route(seg);
          },
          sweep: (frame, time) => {
            at = frame;
            now = time;
            engine.sweep(time);
          },
        });
        send(m.covers, false, m.buffer);
      } else {
        now = m.now;
        const done = engine.drain(m.step);
        send(Infinity, done);
        if (done) engine.close();
      }
    } catch (e) {
      const message: FromWorker = { type: 'failed', message: (e as Error)?.message ?? String(e), frame: at };
      port.postMessage(message);
    }
  });
}

const setup = workerData as WorkerSetup | undefined;
if (!isMainThread && parentPort !== null && setup?.tag === WORKER_TAG) runWorker(parentPort, setup);
