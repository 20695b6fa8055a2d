/**
 * Runs one input through the analyser in-process and checks what must hold
 * for any input: either synfin's own input error (CaptureError), or a result
 * whose frame counts add up and whose findings cite frames that exist; and,
 * for a classic pcap, that synfin's record framer yields the records the
 * reference reader (pcap-parser) yields, byte for byte (reference.ts).
 */

import { Readable } from 'node:stream';
import { analyzeFiles, type AnalysisResult } from '../../src/analyze.ts';
import { CaptureError } from '../../src/capture/frame.ts';
import { compareWithPcapParser } from './reference.ts';

/** What one input did. */
export type Verdict =
  | { readonly kind: 'ok'; readonly frames: number }
  | { readonly kind: 'input-error'; readonly message: string }
  | { readonly kind: 'crash'; readonly message: string }
  | { readonly kind: 'invariant'; readonly message: string };

/** Broken invariants of a result, as messages (empty when all hold). */
export function invariants(r: AnalysisResult): string[] {
  const bad: string[] = [];
  const s = r.summary;
  const skipped = Object.values(s.skipped).reduce((a, n) => a + n, 0);
  if (s.tcp_segments + skipped !== s.frames) bad.push(`frames ${s.frames} != tcp ${s.tcp_segments} + skipped ${skipped}`);
  const fileFrames = r.captures.reduce((a, c) => a + c.frames, 0);
  if (fileFrames !== s.frames) bad.push(`captures hold ${fileFrames} frames, summary says ${s.frames}`);
  if (s.flows !== r.flows.length) bad.push(`summary.flows ${s.flows} != ${r.flows.length} flows`);
  let segments = 0;
  let lastId = 0;
  for (const f of r.flows) {
    if (f.id <= lastId) bad.push(`flow ids out of order at ${f.id}`);
    lastId = f.id;
    segments += f.client.frames + f.server.frames;
    if (f.first_frame < 1 || f.last_frame > s.frames || f.first_frame > f.last_frame) bad.push(`flow ${f.id} frames ${f.first_frame}-${f.last_frame} outside 1-${s.frames}`);
    for (const a of f.anomalies) {
      if (a.frame < f.first_frame || a.frame > f.last_frame) bad.push(`flow ${f.id} ${a.code} cites frame ${a.frame} outside ${f.first_frame}-${f.last_frame}`);
      if (!/^([+-]\d{6,}|\d{4})-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(a.time)) bad.push(`flow ${f.id} ${a.code} time ${a.time}`);
    }
    for (const e of f.events ?? []) {
      if (e.frame < f.first_frame || e.frame > f.last_frame) bad.push(`flow ${f.id} event frame ${e.frame}`);
    }
  }
  if (segments !== s.tcp_segments) bad.push(`flows hold ${segments} segments, summary says ${s.tcp_segments}`);
  try {
    JSON.parse(JSON.stringify(r));
  } catch (e) {
    bad.push(`not serialisable: ${(e as Error).message}`);
  }
  return bad;
}

/** Analyses `input` as if read from standard input and judges the outcome. */
export async function check(input: Buffer): Promise<Verdict> {
  // Odd-sized chunks, so records straddle them as they do in a stream.
  const readers = compareWithPcapParser(input, 1021);
  if (readers !== undefined) return { kind: 'invariant', message: `record framer and pcap-parser disagree: ${readers}` };
  try {
    const r = await analyzeFiles(['-'], { stdin: Readable.from([input]), events: true });
    const bad = invariants(r);
    return bad.length === 0 ? { kind: 'ok', frames: r.summary.frames } : { kind: 'invariant', message: bad.slice(0, 3).join('; ') };
  } catch (e) {
    if (e instanceof CaptureError) {
      if (!/^-: /.test(e.message)) return { kind: 'invariant', message: `input error does not name the file: ${e.message}` };
      return { kind: 'input-error', message: e.message };
    }
    const err = e as Error;
    return { kind: 'crash', message: `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}\n${err?.stack ?? ''}` };
  }
}
