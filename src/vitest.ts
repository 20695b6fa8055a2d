/**
 * `import { synfinMatchers } from 'synfin/vitest'`: assertions on a capture
 * for vitest and jest (`expect.extend(synfinMatchers)`, with vitest's expect,
 * jest's, or the standalone `expect` package jest ships), so a test suite that
 * records its own traffic can say how its connections must have opened and
 * closed (docs/regression.md, "From a test suite").
 *
 *   await expect('run.pcap').toHaveNoAnomalies({ severity: 'error' });
 *   await expect('run.pcap').toHaveCleanCloses();
 *   await expect('run.pcap').toMatchLifecycleBaseline('ci/baseline.json');
 *
 * Every matcher is async (it reads the capture) and fails with one line per
 * failing flow, `server ← client (flow N): what went wrong`, as a postmortem
 * would say it. Imports the library only through ./index.ts, which the build
 * keeps external (dist/vitest.js imports ./index.js): one copy of the library.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { hostPort } from './decode/address.ts';
import {
  analyzeFile, diff, formatJson, type AnalysisResult, type AnalyzeOptions, type AnomalyRecord, type DiffOptions, type FieldChange,
  type FlowRecord, type FlowRef, type Severity,
} from './index.ts';
import { DIFF_TIMELINE } from './report/diff.ts';

/** How the capture is analysed: the library's (and the CLI's) defaults, `stuckAfter` 5 s, `msl` 30 s. */
export type MatcherAnalyzeOptions = Pick<AnalyzeOptions, 'msl' | 'stuckAfter'>;

/** Options of `toHaveNoAnomalies`. */
export interface NoAnomaliesOptions extends MatcherAnalyzeOptions {
  /** The least severity that fails: `info` (the default: any anomaly), `warning` or `error`. */
  readonly severity?: Severity;
  /** Anomaly codes that never fail (`keepalive`, `zero-window`). */
  readonly ignore?: readonly string[];
}

/** Options of `toHaveCleanCloses`. */
export type CleanClosesOptions = MatcherAnalyzeOptions;

/** Options of `toMatchLifecycleBaseline`: how the capture is analysed and compared (`diff`'s options). */
export interface BaselineOptions extends MatcherAnalyzeOptions, Pick<DiffOptions, 'match' | 'ignore' | 'rttTolerance' | 'strictClose'> {
  /** Rewrite the baseline from this capture instead of comparing (as vitest's `-u` does). */
  readonly update?: boolean;
}

/** What a matcher is given: a capture's path (relative to the working directory; the baseline names it as given) or an analysis already made. */
export type CaptureInput = string | AnalysisResult;

/** The matcher context vitest and jest both pass as `this`, as far as these matchers read it. */
export interface MatcherContext {
  readonly isNot?: boolean;
  /** vitest's and jest's SnapshotState, whose (private) `_updateSnapshot` is `'all'` under `-u` / `--update`, `'none'` under CI, else `'new'`. */
  readonly snapshotState?: unknown;
}

/** What `expect.extend` wants a matcher to return. */
export interface MatcherResult {
  readonly pass: boolean;
  readonly message: () => string;
}

/** Set to `1` to rewrite every baseline, for runners (or runs) without a snapshot update mode. */
export const UPDATE_ENV = 'SYNFIN_UPDATE_BASELINES';

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** The closes after which nothing was left behind. */
const CLEAN_CLOSES = new Set(['four-way', 'three-segment', 'simultaneous']);

/** Handshakes after which the connection was established (or already was, when the capture began). */
const ESTABLISHED = new Set(['three-way', 'simultaneous-open', 'split-syn-ack', 'not-observed']);


/** `10.0.0.2:80 ← 10.0.0.1:41000`: the server first, as a postmortem names a connection. */
function who(f: Pick<FlowRecord, 'client' | 'server'> | FlowRef): string {
  return `${hostPort(f.server.addr, f.server.port)} ← ${hostPort(f.client.addr, f.client.port)}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function nameOf(input: CaptureInput): string {
  return typeof input === 'string' ? input : 'the analysis';
}

async function analysed(input: unknown, options: MatcherAnalyzeOptions, extra: AnalyzeOptions = {}): Promise<AnalysisResult> {
  if (typeof input === 'string') {
    return analyzeFile(input, { ...extra, ...(options.msl === undefined ? {} : { msl: options.msl }), ...(options.stuckAfter === undefined ? {} : { stuckAfter: options.stuckAfter }) });
  }
  if (typeof input === 'object' && input !== null && Array.isArray((input as AnalysisResult).flows)) return input as AnalysisResult;
  throw new TypeError(`synfin matchers: expected a capture's path or an analysis, got ${input === null ? 'null' : typeof input}`);
}

/** The report: a headline, then one line per flow. */
function report(headline: string, lines: readonly string[]): string {
  return [headline, ...lines.map((l) => `  ${l}`)].join('\n');
}

function anomalyText(a: Pick<AnomalyRecord, 'code' | 'severity' | 'message'>): string {
  return `${a.code} (${a.severity}): ${a.message}`;
}

async function toHaveNoAnomalies(this: MatcherContext, received: CaptureInput, options: NoAnomaliesOptions = {}): Promise<MatcherResult> {
  const least = options.severity ?? 'info';
  if (!(least in RANK)) throw new TypeError(`toHaveNoAnomalies: severity must be info, warning or error, not ${String(least)}`);
  const ignored = new Set(options.ignore ?? []);
  const result = await analysed(received, options);
  const counts = (a: { code: string; severity: Severity }) => RANK[a.severity] >= RANK[least] && !ignored.has(a.code);
  const lines: string[] = [];
  for (const f of result.flows) {
    const found = f.anomalies.filter(counts).map(anomalyText);
    // Anomalies past the per-flow listing cap carry no severity: they count only when any severity does.
    if (least === 'info') {
      for (const [code, n] of Object.entries(f.anomalies_not_listed ?? {})) if (!ignored.has(code)) found.push(`${code} ×${n} more`);
    }
    if (found.length > 0) lines.push(`${who(f)} (flow ${f.id}): ${found.join('; ')}`);
  }
  const what = least === 'info' ? 'anomalies' : `anomalies of severity ${least} or above`;
  const pass = lines.length === 0;
  return {
    pass,
    message: () => (pass
      ? `expected ${nameOf(received)} to have ${what}, but none of its ${plural(result.flows.length, 'flow')} has`
      : report(`expected ${nameOf(received)} to have no ${what}; ${plural(lines.length, 'flow')} of ${result.flows.length} had:`, lines)),
  };
}

/** Why an established flow's close was not clean, or undefined when it was. */
function uncleanClose(f: FlowRecord): string | undefined {
  const stuck = f.anomalies.filter((a) => a.code.startsWith('stuck-'));
  const states = `final states client ${f.client.final_state}, server ${f.server.final_state}`;
  if (!CLEAN_CLOSES.has(f.close.kind)) {
    const why = f.close.kind === 'reset' ? `reset${f.close.initiator === null ? '' : ` by ${f.close.initiator}`}` : f.close.kind === 'none' ? 'never closed' : `left ${f.close.kind}`;
    return [`${why} (${states})`, ...stuck.map(anomalyText)].join('; ');
  }
  if (stuck.length > 0) return stuck.map(anomalyText).join('; ');
  return undefined;
}

async function toHaveCleanCloses(this: MatcherContext, received: CaptureInput, options: CleanClosesOptions = {}): Promise<MatcherResult> {
  const result = await analysed(received, options);
  const established = result.flows.filter((f) => ESTABLISHED.has(f.handshake.kind));
  const lines: string[] = [];
  for (const f of established) {
    const why = uncleanClose(f);
    if (why !== undefined) lines.push(`${who(f)} (flow ${f.id}): ${f.handshake.kind}, ${why}`);
  }
  const pass = lines.length === 0;
  return {
    pass,
    message: () => (pass
      ? `expected ${nameOf(received)} to have a connection that did not close cleanly, but all ${plural(established.length, 'established flow')} closed four-way, three-segment or simultaneous`
      : report(`expected every established connection in ${nameOf(received)} to close cleanly (four-way, three-segment or simultaneous); ${plural(lines.length, 'flow')} of ${established.length} did not:`, lines)),
  };
}

function value(v: FieldChange['a']): string {
  return v === null ? '-' : typeof v === 'number' ? `${v} ms` : v;
}

/** The runner's snapshot mode: `'all'` under `-u`, `'new'` (write what is missing), `'none'` (vitest's and jest's default under CI), or undefined without a snapshot state (jest's standalone `expect`). */
function snapshotMode(ctx: MatcherContext): unknown {
  return (ctx.snapshotState as { _updateSnapshot?: unknown } | null | undefined)?._updateSnapshot;
}

/** Whether this run rewrites baselines: vitest's or jest's `-u`, the option, or SYNFIN_UPDATE_BASELINES=1. */
function updating(ctx: MatcherContext, options: BaselineOptions): boolean {
  return options.update === true || snapshotMode(ctx) === 'all' || process.env[UPDATE_ENV] === '1';
}

/** `CI` set to anything but empty, `0` or `false`, as vitest (std-env) and jest (ci-info) read it. */
function inCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/**
 * Whether a missing baseline is written, as a snapshot would be: the runner's mode decides when it has one
 * (`'none'`, its default under CI, writes nothing); without one, not when `CI` is set. A CI run that wrote
 * its own baseline would pass comparing the run with itself.
 */
function writesMissing(ctx: MatcherContext): boolean {
  const mode = snapshotMode(ctx);
  return mode === 'all' || mode === 'new' ? true : mode === 'none' ? false : !inCi();
}

/** Writes a result as `synfin flows --format json` prints it (without the timeline kept for the comparison). */
function writeBaseline(path: string, result: AnalysisResult): void {
  mkdirSync(dirname(path), { recursive: true });
  const flows = result.flows.map(({ events: _events, ...f }) => f as FlowRecord);
  writeFileSync(path, formatJson({ ...result, flows }));
}

async function toMatchLifecycleBaseline(this: MatcherContext, received: CaptureInput, baselinePath: string, options: BaselineOptions = {}): Promise<MatcherResult> {
  if (typeof baselinePath !== 'string') throw new TypeError('toMatchLifecycleBaseline: give the baseline\'s path');
  const path = resolve(baselinePath);
  const result = await analysed(received, options, DIFF_TIMELINE);
  if (!updating(this, options) && !existsSync(path) && !writesMissing(this)) {
    // Fails under .not as well: there is nothing to compare against either way.
    return {
      pass: this.isNot === true,
      message: () => `${baselinePath} does not exist, and a missing baseline is not written under CI: run the tests locally, or with -u (vitest, jest) or ${UPDATE_ENV}=1, to write it from ${nameOf(received)}, then review it and commit it`,
    };
  }
  if (updating(this, options) || !existsSync(path)) {
    writeBaseline(path, result);
    return { pass: !this.isNot, message: () => `${baselinePath} was written from ${nameOf(received)}: nothing to compare against` };
  }
  let baseline: unknown;
  try {
    baseline = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`toMatchLifecycleBaseline: ${baselinePath} is not a saved \`synfin flows --format json\` output: ${(e as Error).message}`);
  }
  if (typeof baseline !== 'object' || baseline === null || !Array.isArray((baseline as { flows?: unknown }).flows)) {
    throw new Error(`toMatchLifecycleBaseline: ${baselinePath} has no "flows" list: not a saved \`synfin flows --format json\` output`);
  }
  const { match, ignore, rttTolerance, strictClose } = options;
  const d = diff(baseline as AnalysisResult, result, {
    ...(match === undefined ? {} : { match }), ...(ignore === undefined ? {} : { ignore }),
    ...(rttTolerance === undefined ? {} : { rttTolerance }), ...(strictClose === undefined ? {} : { strictClose }),
  });
  const lines: string[] = [];
  for (const c of d.changed) {
    const changes = [
      ...c.changes.map((x) => `${x.field} ${value(x.a)} → ${value(x.b)}`),
      ...c.anomalies_added.map((a) => `new ${a.code}${a.severity === null ? '' : ` (${a.severity})`}`),
      ...c.anomalies_gone.map((a) => `no more ${a.code}`),
    ];
    lines.push(`${who(c.b)} (flow ${c.b.id}, baseline flow ${c.a.id}): ${changes.join('; ')}`);
  }
  const story = (r: FlowRef) => (r.close === 'none' ? r.handshake : `${r.handshake} → ${r.close}`);
  for (const r of d.only_in_a) lines.push(`${who(r)} (baseline flow ${r.id}): missing from this run (was ${story(r)})`);
  for (const r of d.only_in_b) lines.push(`${who(r)} (flow ${r.id}): not in the baseline (${story(r)})`);
  return {
    pass: d.equal,
    message: () => (d.equal
      ? `expected ${nameOf(received)} to differ from ${baselinePath}, but its ${plural(d.matched, 'flow')} opened and closed the same way`
      : report(`expected ${nameOf(received)} to open and close its connections as ${baselinePath} says (${plural(d.flows_a, 'flow')} there, ${d.flows_b} here); ${plural(lines.length, 'difference')}:`, lines)),
  };
}

/** The matchers, for `expect.extend(synfinMatchers)` in vitest or jest. */
export const synfinMatchers = { toHaveNoAnomalies, toHaveCleanCloses, toMatchLifecycleBaseline };

/** The matchers as an assertion has them (`await expect(path).toHaveNoAnomalies()`). */
export interface SynfinMatchers<R = unknown> {
  /** No anomaly at or above `options.severity` (default: any) in any flow of the capture. */
  toHaveNoAnomalies(options?: NoAnomaliesOptions): Promise<R>;
  /** Every established flow closed four-way, three-segment or simultaneous: no reset, nothing half-closed, open or stuck. */
  toHaveCleanCloses(options?: CleanClosesOptions): Promise<R>;
  /** The capture's flows open and close as the saved baseline's did (`synfin diff`); writes the baseline under `-u`, or when missing outside CI (under CI a missing one fails). */
  toMatchLifecycleBaseline(baselinePath: string, options?: BaselineOptions): Promise<R>;
}

// vitest's own way to type custom matchers: its `Assertion` (what `expect(x)` returns) extends `Matchers`, an
// interface left empty for this. Augmenting `Assertion` itself does nothing: vitest only re-exports it.
declare module 'vitest' {
  interface Matchers<T = any> extends SynfinMatchers<void> {}
}

// jest's own, from its `expect` package (what `import { expect } from '@jest/globals'` is, and the standalone
// `expect`): `expect(x)` is its `Matchers`, whose type parameters an augmentation must repeat exactly.
declare module 'expect' {
  interface Matchers<R extends void | Promise<void>, T = unknown> extends SynfinMatchers<R> {}
}

// jest's global one (with @types/jest): `expect(x)` is a `jest.Matchers`.
declare global {
  namespace jest {
    interface Matchers<R, T = {}> extends SynfinMatchers<R> {}
  }
}
