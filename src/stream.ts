/**
 * The library's streaming form of an analysis: each flow as it ends, then the
 * whole result (see {@link analyze}).
 */

import { analyzeFiles, type AnalysisResult, type AnalyzeOptions } from './analyze.ts';
import type { FlowRecord } from './tcp/record.ts';

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
