/**
 * The reading thread's side of a parallel analysis: N workers, each owning
 * the flows whose tuple hashes to it (partition.ts), fed the frames of their
 * segments in batches (batch.ts), their ended flows put back in one engine's
 * order and numbering (order.ts) and handed to `deliver`.
 *
 * A worker is a thread of its own, or, with `readerAnalyses`, the first one
 * runs on the reading thread itself, fed through a MessageChannel the same
 * way, so that N jobs are N threads. When every core already has a worker,
 * a reading thread that only reads is one thread too many: on two cores,
 * `--jobs 2` as three threads took the same time as two and 50 MB more
 * (docs/performance.md).
 *
 * Bounded: at most MAX_IN_FLIGHT batches wait for each worker, so a slow
 * worker holds the reading back rather than letting batches pile up; the
 * merge holds only what the slowest worker has not yet caught up with.
 */

import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import type { Frame, Precision } from '../capture/frame.ts';
import type { DecodeOptions } from '../decode/index.ts';
import type { Segment } from '../decode/segment.ts';
import type { IcmpError } from '../decode/icmp.ts';
import type { EngineOptions } from '../engine.ts';
import { BatchWriter } from './batch.ts';
import { EndOrder, type Deliver, type DeliverText } from './order.ts';
import { partitionOf } from './partition.ts';
import { endedFlows, runWorker, WORKER_TAG, WORKER_URL, type FromWorker, type ToWorker, type WorkerSetup } from './worker.ts';

/** Batches sent to a worker and not yet reported on, before the reading waits. */
const MAX_IN_FLIGHT = 4;

/** Bytes gathered for the workers before they are sent (fewer, larger messages: each costs a thread wake-up). */
const SEND_AT = 2 * 1024 * 1024;

/** Flows a worker ends per drain request, between which the output may drain. */
const DRAIN_STEP = 1024;

/** A worker that stopped: the analysis cannot be whole. */
export class WorkerError extends Error {}

export interface PoolOptions {
  readonly jobs: number;
  /** The capture's name(s), for a failure's message. */
  readonly input: string;
  /** Limits of each worker thread's heap (tests make one run out of memory with them). */
  readonly resourceLimits?: ResourceLimits;
  /** The first worker runs on this, the reading, thread (see above); default false. */
  readonly readerAnalyses?: boolean;
  readonly engine: Omit<EngineOptions, 'now' | 'precision' | 'ended' | 'ids' | 'created'>;
  readonly decode: DecodeOptions;
}

/** The pool as the reading loop uses it. */
export interface Pool {
  /** Hands a decoded segment's frame to the worker that owns its tuple. */
  segment(frame: Frame, seg: Segment): void;
  /** Hands an ICMP error's frame to the worker that owns the tuple of the segment it quotes. */
  icmp(frame: Frame, err: IcmpError): void;
  /** Every worker sweeps after frame `frame`, at capture time `now`. */
  sweep(frame: number, now: number): void;
  /** The read batch ended at frame `frames`: sends what was gathered, waiting while workers are behind. */
  batchEnd(frames: number, precision: Precision): Promise<void>;
  /** The capture is over: every worker ends its flows; resolves when all are delivered. */
  finish(frames: number, now: number, precision: Precision, waitForOutput?: () => Promise<void> | undefined): Promise<void>;
  /** Flows delivered so far (for progress). */
  readonly size: number;
  /** Stops the workers. */
  close(): void;
}

interface Slot {
  /** A worker thread, or the port of the one on this thread. */
  readonly worker: Worker | MessagePort;
  readonly batch: BatchWriter;
  inFlight: number;
  /** Reported its last flow. */
  done: boolean;
  /** Frames it has covered (for the error message). */
  covered: number;
}

export function startPool(o: PoolOptions, deliver: Deliver, deliverText?: DeliverText): Pool {
  const order = new EndOrder(o.jobs, deliver, deliverText);
  let failure: WorkerError | undefined;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (index: number, message: string, frame: number): void => {
    // A worker that fails before its first report (a busy machine can queue it several batches) has covered no frame yet.
    const where = frame > 0 ? `at frame ${frame}` : 'in its first batch of frames';
    failure ??= new WorkerError(`${o.input}: analysis worker ${index + 1} of ${o.jobs} stopped ${where} (${message}): no output, since it could not be whole; --jobs 1 runs without workers`);
    poke();
  };
  // From the TypeScript sources a worker needs tsx registered in its own thread first.
  const fromSources = WORKER_URL.endsWith('.ts');
  const entry = fromSources ? new URL('./worker-tsx.cjs', WORKER_URL) : new URL(WORKER_URL);
  const slots: Slot[] = Array.from({ length: o.jobs }, (_, index) => {
    const setup: WorkerSetup = { tag: WORKER_TAG, index, engine: o.engine, decode: o.decode, ...(fromSources ? { entry: fileURLToPath(WORKER_URL) } : {}) };
    const worker = index === 0 && o.readerAnalyses === true ? onThisThread(setup)
      : new Worker(entry, { workerData: setup, ...(o.resourceLimits === undefined ? {} : { resourceLimits: o.resourceLimits }) });
    const slot: Slot = { worker, batch: new BatchWriter(), inFlight: 0, done: false, covered: 0 };
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'failed') {
        fail(index, m.message, m.frame);
        return;
      }
      slot.inFlight--;
      if (m.buffer !== undefined) slot.batch.recycle(m.buffer);
      if (m.covers !== Infinity) slot.covered = m.covers;
      if (m.done) slot.done = true;
      try {
        order.report(index, m.covers, m.created, endedFlows(m.ended, m.texts), m.done);
      } catch (e) {
        fail(index, (e as Error).message, slot.covered);
      }
      poke();
    });
    // One on this thread cannot exit or crash apart from it; its failures come as messages too.
    if (worker instanceof Worker) {
      worker.on('error', (e) => fail(index, e.message, slot.covered));
      worker.on('exit', (code) => {
        if (!slot.done) fail(index, `it exited (status ${code}) before it had ended its flows`, slot.covered);
      });
    }
    return slot;
  });
  const post = (slot: Slot, m: ToWorker, transfer: ArrayBuffer[] = []): void => {
    slot.inFlight++;
    slot.worker.postMessage(m, transfer);
  };
  const waitFor = async (ready: () => boolean): Promise<void> => {
    while (!ready()) {
      if (failure !== undefined) throw failure;
      await new Promise<void>((resolve) => { wake = resolve; });
    }
    if (failure !== undefined) throw failure;
  };

  return {
    segment(frame: Frame, seg: Segment): void {
      slots[partitionOf(seg, o.jobs)]!.batch.frame(frame);
    },

    icmp(frame: Frame, err: IcmpError): void {
      slots[partitionOf(err.quoted, o.jobs)]!.batch.frame(frame);
    },

    sweep(frame: number, now: number): void {
      for (const s of slots) s.batch.sweep(frame, now);
    },

    async batchEnd(frames: number, precision: Precision): Promise<void> {
      if (failure !== undefined) throw failure;
      let gathered = 0;
      for (const s of slots) gathered += s.batch.size;
      if (gathered < SEND_AT) return;
      for (const s of slots) {
        const { buffer, length } = s.batch.take();
        post(s, { type: 'batch', buffer, length, covers: frames, precision }, [buffer]);
      }
      await waitFor(() => slots.every((s) => s.inFlight <= MAX_IN_FLIGHT));
    },

    async finish(frames: number, now: number, precision: Precision, waitForOutput?: () => Promise<void> | undefined): Promise<void> {
      for (const s of slots) {
        const { buffer, length } = s.batch.take();
        post(s, { type: 'batch', buffer, length, covers: frames, precision }, [buffer]);
      }
      // In steps, each worker ending DRAIN_STEP flows at a time, letting the output drain between.
      for (;;) {
        await waitFor(() => slots.every((s) => s.inFlight === 0));
        const pending = slots.filter((s) => !s.done);
        if (pending.length === 0) return;
        for (const s of pending) post(s, { type: 'drain', now, precision, step: DRAIN_STEP });
        const draining = waitForOutput?.();
        if (draining !== undefined) await draining;
      }
    },

    get size(): number {
      return order.delivered;
    },

    close(): void {
      for (const s of slots) {
        s.done = true;
        if (s.worker instanceof Worker) void s.worker.terminate();
        else s.worker.close();
      }
    },
  };
}

/** A worker on this thread: its end of a channel runs the worker's loop, the other end is the pool's. */
function onThisThread(setup: WorkerSetup): MessagePort {
  const { port1, port2 } = new MessageChannel();
  runWorker(port2, setup);
  return port1;
}
