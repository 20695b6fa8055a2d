/**
 * `synfin diff A B`: what changed in how connections opened and closed
 * between two analyses (a baseline and a new run). Pure: two results in, a
 * DiffResult out; reading files is the CLI's business.
 *
 * Flows are matched on what survives a re-run of the same test: the server's
 * address and port, the client's address, and the order of first frames among
 * flows sharing those. Ephemeral client ports, ISNs, times and frame numbers
 * change on every run and are never compared.
 */

import { SCHEMA, type AnalysisResult } from '../analyze.ts';
import { createStash, type Stash } from '../spool/stash.ts';
import { Column, float64, uint32 } from './column.ts';
import { bracketed, hostPort } from '../decode/address.ts';
import type { Side } from '../tcp/types.ts';
import { isAnomalyCode, type Severity } from '../tcp/anomalies/registry.ts';
import type { AnomalyRecord, FlowRecord } from '../tcp/record.ts';
import { escapeControl, escapeJsonControl } from './escape.ts';
import { nsBetween, parseStamp } from './text.ts';

/**
 * How flows of A and B are paired.
 * - `server`: server address and port, client address, then order of first
 *   frame (the default: what a re-run of an integration test keeps).
 * - `strict`: the full 4-tuple, then order (flows of one reused tuple).
 * - `order`: order of first frame alone, for runs where no address or port
 *   survives (a server on an ephemeral port, containers with new addresses).
 */
export type MatchMode = 'server' | 'strict' | 'order';

/** Every match mode. */
export const MATCH_MODES: readonly MatchMode[] = ['server', 'strict', 'order'];

/** Fields `--ignore` can name besides anomaly codes. */
export const DIFF_FIELDS = ['handshake', 'close', 'initiator', 'final_state', 'outcome', 'rtt'] as const;

/** A field `--ignore` can name. */
export type DiffField = (typeof DIFF_FIELDS)[number];

/** How far the handshake RTT may move before it counts: absolute milliseconds or percent of A's. */
export type RttTolerance = { readonly ms: number } | { readonly percent: number };

/** Options of {@link diff}. */
export interface DiffOptions {
  /** Default `server`. */
  readonly match?: MatchMode;
  /** When absent, handshake RTT is not compared (it varies on every run). */
  readonly rttTolerance?: RttTolerance;
  /** Field names ({@link DIFF_FIELDS}) and anomaly codes to leave out of the comparison. */
  readonly ignore?: readonly string[];
  /**
   * Compare close kind, initiator, final states and outcomes as they are even
   * when both flows' FINs crossed (see {@link finsCrossed}). Default false:
   * two such closes are the same close.
   */
  readonly strictClose?: boolean;
  /**
   * Called with each pair that matched and showed no difference (the result
   * lists only pairs that differ), in the order of A's flows: a JUnit report
   * makes each a passing test.
   */
  readonly onSame?: (a: FlowRef, b: FlowRef) => void;
}

/**
 * The least window (ms) within which two FINs count as crossed, whatever the
 * handshake RTT: two processes told to close at once on one busy host send
 * their FINs up to a scheduler tick or so apart (4 ms at Linux's HZ=250),
 * while a loopback handshake, done inside the kernel, takes some 0.03 ms.
 */
export const FIN_CROSSING_FLOOR_MS = 5;

/** The closes whose outcome a race between the two FINs decides. */
const CROSSABLE = new Set(['four-way', 'three-segment', 'simultaneous']);

/** Milliseconds between a flow's two FINs, from its timeline (absent without one, or when a FIN fell in its omitted middle). */
export function finGapMs(f: FlowRecord): number | undefined {
  const { first_fin_frame: a, second_fin_frame: b } = f.close;
  if (a === null || b === null || a === undefined || b === undefined || f.events === undefined) return undefined;
  const ta = f.events.find((e) => e.frame === a)?.time;
  const tb = f.events.find((e) => e.frame === b)?.time;
  if (ta === undefined || tb === undefined) return undefined;
  const sa = parseStamp(ta);
  const sb = parseStamp(tb);
  return sa === undefined || sb === undefined ? undefined : nsBetween(sa, sb) / 1e6;
}

/**
 * The timeline diff keeps of a capture's flows: its segments that carry a FIN,
 * the first and latest halves of at most 16 of them, which is where a close's
 * two FINs and their times are found ({@link finsCrossed}). Every frame's entry
 * would cost as much as the rest of the analysis.
 */
export const DIFF_TIMELINE = { events: true, eventsKept: 16, eventFrames: 'fins' } as const;

/**
 * True when both ends closed at (nearly) the same moment, so which FIN the
 * capture saw first, and so the close's kind, initiator and who ends in
 * TIME_WAIT, is a race: a `simultaneous` close (its FINs crossed: neither
 * acknowledges the other), or a four-way or three-segment close whose second
 * FIN followed the first within one handshake RTT, at least
 * FIN_CROSSING_FLOOR_MS. Without the FINs' times (a saved output without
 * `--events`) only a simultaneous close counts.
 */
export function finsCrossed(f: FlowRecord): boolean {
  if (!CROSSABLE.has(f.close.kind)) return false;
  if (f.close.kind === 'simultaneous') return true;
  const gap = finGapMs(f);
  return gap !== undefined && gap <= Math.max(f.handshake.rtt_ms ?? 0, FIN_CROSSING_FLOOR_MS);
}

/** Final states and outcomes a crossed close's race decides between. */
const RACED_STATES = new Set(['TIME_WAIT', 'CLOSED']);
const RACED_OUTCOMES = new Set(['EOF', 'closed']);

/**
 * What diff needs of an analysis: its flows (a saved JSON or ndjson output has
 * them too), in an array or set aside on disk in a FlowShelf.
 */
export type DiffInput = Pick<AnalysisResult, 'flows'> | FlowShelf;

/**
 * The flows of one side of a diff, set aside on disk as what diff compares of
 * them (slimForDiff, as JSON), with only what pairs them in memory: id, first
 * frame and match key, about 60 bytes a flow where the slim records were
 * about 1 KB of objects (two captures of 271 k flows took 1.1 GB). The match
 * mode is fixed when the shelf is made, since the keys are computed as flows
 * are added.
 */
export class FlowShelf {
  private readonly stash: Stash = createStash();
  private readonly ids = new Column(float64);
  private readonly firstFrames = new Column(float64);
  private readonly places = new Column(float64);
  readonly keys = new MatchKeys();

  constructor(readonly match: MatchMode) {}

  get length(): number {
    return this.ids.length;
  }

  /** Sets a flow aside (what diff compares of it: pass slimForDiff's). */
  add(flow: FlowRecord): void {
    this.keys.add(keyOf(flow, this.match));
    this.ids.push(flow.id);
    this.firstFrames.push(flow.first_frame);
    this.places.push(this.stash.putSmall(JSON.stringify(flow)));
  }

  id(i: number): number {
    return this.ids.values[i]!;
  }

  firstFrame(i: number): number {
    return this.firstFrames.values[i]!;
  }

  flow(i: number): FlowRecord {
    return JSON.parse(this.stash.readSmall(this.places.values[i]!)) as FlowRecord;
  }

  /** Frees the disk; the shelf cannot be read after. */
  close(): void {
    this.stash.close();
  }
}

/**
 * The match keys of one side's flows, by index: their UTF-8 bytes one after
 * another, about 30 bytes a flow. As strings in a Map they were about 100,
 * and on a capture where every client has an address of its own (a busy
 * front end) nearly every flow has a key of its own: that was most of what
 * grew with the capture in a diff. Keys are compared as bytes, one order for
 * both sides, which is all pairing needs.
 */
export class MatchKeys {
  private bytes = Buffer.allocUnsafe(16 * 1024);
  /** Where each key ends in `bytes` (it starts where the one before ended). */
  private readonly ends = new Column(uint32);
  private used = 0;

  add(key: string): void {
    const most = key.length * 3;
    if (this.used + most > this.bytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.used + most));
      this.bytes.copy(bigger, 0, 0, this.used);
      this.bytes = bigger;
    }
    this.used += this.bytes.write(key, this.used, 'utf8');
    this.ends.push(this.used);
  }

  /** Key `i` against key `j` of `other`: negative, zero or positive, in byte order. */
  compare(i: number, other: MatchKeys, j: number): number {
    const mine = this.ends.values;
    const theirs = other.ends.values;
    return this.bytes.compare(other.bytes, j === 0 ? 0 : theirs[j - 1]!, theirs[j]!, i === 0 ? 0 : mine[i - 1]!, mine[i]!);
  }
}

/** One side of a diff, whether an array of flows or a shelf. */
interface DiffSide {
  readonly length: number;
  readonly keys: MatchKeys;
  id(i: number): number;
  firstFrame(i: number): number;
  flow(i: number): FlowRecord;
}

function sideOf(input: DiffInput, match: MatchMode): DiffSide {
  if (input instanceof FlowShelf) {
    if (input.match !== match) throw new Error(`a FlowShelf made for --match ${input.match} cannot be diffed by ${match}`);
    return input;
  }
  const flows = input.flows;
  const keys = new MatchKeys();
  for (const f of flows) keys.add(keyOf(f, match));
  return {
    length: flows.length, keys, id: (i) => flows[i]!.id, firstFrame: (i) => flows[i]!.first_frame, flow: (i) => flows[i]!,
  };
}

/** A side's flows by match key (MatchKeys' order), then order of first frame, then id. */
function ordered(side: DiffSide): Int32Array {
  const order = new Int32Array(side.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const keys = side.keys;
  return order.sort((x, y) => keys.compare(x, keys, y) || side.firstFrame(x) - side.firstFrame(y) || side.id(x) - side.id(y));
}

/** A flow as a diff names it. */
export interface FlowRef {
  readonly id: number;
  readonly client: { readonly addr: string; readonly port: number };
  readonly server: { readonly addr: string; readonly port: number };
  readonly handshake: string;
  readonly close: string;
}

/** The name of a field that changed; final states and outcomes are per side. */
export type ChangedField =
  | 'handshake' | 'close' | 'initiator'
  | 'client.final_state' | 'server.final_state' | 'client.outcome' | 'server.outcome'
  | 'rtt_ms';

/** One field that differs between the paired flows. */
export interface FieldChange {
  readonly field: ChangedField;
  readonly a: string | number | null;
  readonly b: string | number | null;
}

/** An anomaly code present on one side only: where it first shows on that side. */
export interface AnomalyChange {
  readonly code: string;
  readonly severity: Severity | null;
  readonly side: Side | null;
  /** Frame of its first listing in the flow that has it (B for added, A for gone). */
  readonly frame: number | null;
}

/** A matched pair of flows that differ. */
export interface FlowDiff {
  readonly a: FlowRef;
  readonly b: FlowRef;
  readonly changes: FieldChange[];
  readonly anomalies_added: AnomalyChange[];
  readonly anomalies_gone: AnomalyChange[];
}

/** The result of {@link diff}; `--format json` prints it with the two sources. */
export interface DiffResult {
  readonly equal: boolean;
  readonly match: MatchMode;
  /** The tolerance as given (`5ms`, `20%`), or null when RTT is not compared. */
  readonly rtt_tolerance: string | null;
  /** False (the default): two closes whose FINs crossed are the same close ({@link finsCrossed}). */
  readonly strict_close: boolean;
  readonly ignore: string[];
  readonly flows_a: number;
  readonly flows_b: number;
  readonly matched: number;
  readonly only_in_a: FlowRef[];
  readonly only_in_b: FlowRef[];
  readonly changed: FlowDiff[];
}

/** `5ms` / `20%` as text. */
export function toleranceText(t: RttTolerance): string {
  return 'ms' in t ? `${t.ms}ms` : `${t.percent}%`;
}

/**
 * Parses `--rtt-tolerance`: `5ms`, `0.5ms`, `250us`, `1s` (absolute) or `20%`
 * (of A's RTT). Returns undefined when it is not one of those.
 */
export function parseRttTolerance(v: string): RttTolerance | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|us|µs|s|%)$/.exec(v.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  switch (m[2]) {
    case '%': return { percent: n };
    case 's': return { ms: n * 1000 };
    case 'ms': return { ms: n };
    default: return { ms: n / 1000 };
  }
}

/** Reasons an `ignore` entry is not usable, or undefined when every entry is a field or a known code. */
export function checkIgnore(ignore: readonly string[]): string | undefined {
  for (const i of ignore) {
    if (!(DIFF_FIELDS as readonly string[]).includes(i) && !isAnomalyCode(i)) {
      return `'${i}' is neither a field (${DIFF_FIELDS.join(', ')}) nor an anomaly code (docs/json.md)`;
    }
  }
  return undefined;
}

function keyOf(f: FlowRecord, mode: MatchMode): string {
  switch (mode) {
    case 'order': return '';
    case 'strict': return `${f.client.addr} ${f.client.port} ${f.server.addr} ${f.server.port}`;
    default: return `${f.server.addr} ${f.server.port} ${f.client.addr}`;
  }
}

/** Order of first frame, then id (how diff pairs flows, and how an ndjson output is read back). */
export function byFirstFrame(a: FlowRecord, b: FlowRecord): number {
  return a.first_frame - b.first_frame || a.id - b.id;
}

function ref(f: FlowRecord): FlowRef {
  return {
    id: f.id,
    client: { addr: f.client.addr, port: f.client.port },
    server: { addr: f.server.addr, port: f.server.port },
    handshake: f.handshake.kind,
    close: f.close.kind,
  };
}

/** The set of codes a flow shows, listed or only counted. */
function codes(f: FlowRecord): Set<string> {
  const s = new Set<string>(f.anomalies.map((a) => a.code));
  for (const [code, n] of Object.entries(f.anomalies_not_listed ?? {})) if (n > 0) s.add(code);
  return s;
}

function anomalyChange(code: string, f: FlowRecord): AnomalyChange {
  const first: AnomalyRecord | undefined = f.anomalies.find((a) => a.code === code);
  return { code, severity: first?.severity ?? null, side: first?.side ?? null, frame: first?.frame ?? null };
}

function rttChanged(a: number | null, b: number | null, t: RttTolerance): boolean {
  // One side without an RTT means the handshake itself differs; that change names it.
  if (a === null || b === null) return false;
  const delta = Math.abs(b - a);
  return 'ms' in t ? delta > t.ms : delta > Math.abs(a) * t.percent / 100;
}

function compare(a: FlowRecord, b: FlowRecord, options: DiffOptions, ignored: ReadonlySet<string>): FlowDiff | undefined {
  const changes: FieldChange[] = [];
  const field = (name: ChangedField, va: string | number | null, vb: string | number | null): void => {
    if (va !== vb) changes.push({ field: name, a: va, b: vb });
  };
  // Both ends closed at once in both runs: whose FIN came first was a race, not a change.
  const raced = options.strictClose !== true && finsCrossed(a) && finsCrossed(b);
  const outside = (set: ReadonlySet<string>, va: string, vb: string): boolean => !raced || !set.has(va) || !set.has(vb);
  if (!ignored.has('handshake')) field('handshake', a.handshake.kind, b.handshake.kind);
  if (!ignored.has('close') && !raced) field('close', a.close.kind, b.close.kind);
  if (!ignored.has('initiator') && !raced) field('initiator', a.close.initiator, b.close.initiator);
  if (!ignored.has('final_state')) {
    for (const side of ['client', 'server'] as const) {
      if (outside(RACED_STATES, a[side].final_state, b[side].final_state)) field(`${side}.final_state`, a[side].final_state, b[side].final_state);
    }
  }
  if (!ignored.has('outcome')) {
    for (const side of ['client', 'server'] as const) {
      if (outside(RACED_OUTCOMES, a.outcome[side], b.outcome[side])) field(`${side}.outcome`, a.outcome[side], b.outcome[side]);
    }
  }
  const tol = options.rttTolerance;
  if (tol !== undefined && !ignored.has('rtt') && rttChanged(a.handshake.rtt_ms, b.handshake.rtt_ms, tol)) {
    changes.push({ field: 'rtt_ms', a: a.handshake.rtt_ms, b: b.handshake.rtt_ms });
  }
  const ca = codes(a);
  const cb = codes(b);
  const added = [...cb].filter((c) => !ca.has(c) && !ignored.has(c)).sort().map((c) => anomalyChange(c, b));
  const gone = [...ca].filter((c) => !cb.has(c) && !ignored.has(c)).sort().map((c) => anomalyChange(c, a));
  if (changes.length === 0 && added.length === 0 && gone.length === 0) return undefined;
  return { a: ref(a), b: ref(b), changes, anomalies_added: added, anomalies_gone: gone };
}

/**
 * Compares two analyses flow by flow. Accepts what `analyzeFile` returns or a
 * saved `--format json` output parsed with JSON.parse (the same shape).
 */
export function diff(a: DiffInput, b: DiffInput, options: DiffOptions = {}): DiffResult {
  const match = options.match ?? 'server';
  const ignore = [...new Set(options.ignore ?? [])].sort();
  const ignored = new Set(ignore);
  const sa = sideOf(a, match);
  const sb = sideOf(b, match);
  const oa = ordered(sa);
  const ob = ordered(sb);
  const onlyA: FlowRef[] = [];
  const onlyB: FlowRef[] = [];
  const changed: FlowDiff[] = [];
  let matched = 0;
  // Both sides in key order: walk them together a key at a time; within a
  // key, flows pair in order of first frame, and the rest are only in one.
  // The walk only pairs: a shelf's flows are read afterwards in the order
  // they were set aside, which its stash reads a page at a time, where the
  // key order sent it to disk for each flow.
  const partner = new Int32Array(sa.length).fill(-1);
  const pairedB = new Uint8Array(sb.length);
  let i = 0;
  let j = 0;
  while (i < oa.length || j < ob.length) {
    const order = i === oa.length ? 1 : j === ob.length ? -1 : sa.keys.compare(oa[i]!, sb.keys, ob[j]!);
    if (order < 0) i++;
    else if (order > 0) j++;
    else {
      partner[oa[i++]!] = ob[j]!;
      pairedB[ob[j++]!] = 1;
    }
  }
  // Everything is reported in order of id below, so the order flows are compared in does not show.
  for (let x = 0; x < sa.length; x++) {
    const fa = sa.flow(x);
    const y = partner[x]!;
    if (y < 0) {
      onlyA.push(ref(fa));
      continue;
    }
    matched++;
    const fb = sb.flow(y);
    const d = compare(fa, fb, options, ignored);
    if (d !== undefined) changed.push(d);
    else options.onSame?.(ref(fa), ref(fb));
  }
  for (let y = 0; y < sb.length; y++) if (pairedB[y] === 0) onlyB.push(ref(sb.flow(y)));
  // Reported in A's flow order (B's for flows only in B), whatever the grouping.
  changed.sort((x, y) => x.a.id - y.a.id);
  onlyA.sort((x, y) => x.id - y.id);
  onlyB.sort((x, y) => x.id - y.id);
  return {
    equal: changed.length === 0 && onlyA.length === 0 && onlyB.length === 0,
    match,
    rtt_tolerance: options.rttTolerance === undefined ? null : toleranceText(options.rttTolerance),
    strict_close: options.strictClose === true,
    ignore,
    flows_a: sa.length,
    flows_b: sb.length,
    matched,
    only_in_a: onlyA,
    only_in_b: onlyB,
    changed,
  };
}

/** Where A and B came from, for the report. */
export interface DiffSources {
  readonly a: string;
  readonly b: string;
}

/** `--format json`: the result with its sources, byte-stable like the flows output. */
export function formatDiffJson(result: DiffResult, sources: DiffSources): string {
  return `${escapeJsonControl(JSON.stringify({ schema: SCHEMA, a: sources.a, b: sources.b, ...result }, null, 2))}\n`;
}

/** How a pair (or a lone flow) is named: by what the match kept, so the name is the same on both sides. */
function label(r: FlowRef, match: MatchMode): string {
  const client = match === 'strict' ? hostPort(r.client.addr, r.client.port) : bracketed(r.client.addr);
  return `${client} → ${hostPort(r.server.addr, r.server.port)}`;
}

function value(v: string | number | null): string {
  return v === null ? '-' : typeof v === 'number' ? `${v} ms` : v;
}

function anomalyNote(c: AnomalyChange, flow: 'A' | 'B'): string {
  const facts = [c.severity, c.side, c.frame === null ? null : `${flow} frame ${c.frame}`].filter((x) => x !== null);
  return facts.length === 0 ? c.code : `${c.code} (${facts.join(', ')})`;
}

/** What changed in a pair, one phrase each, as the text output words them: `close four-way → half-closed`. */
export function changeLines(d: FlowDiff): string[] {
  return [
    ...d.changes.map((c) => `${c.field} ${value(c.a)} → ${value(c.b)}`),
    ...d.anomalies_added.map((c) => `anomaly added ${anomalyNote(c, 'B')}`),
    ...d.anomalies_gone.map((c) => `anomaly gone ${anomalyNote(c, 'A')}`),
  ];
}

/** A flow only one side has, as the text output words it: `three-way → four-way`, or `refused`. */
export function lone(f: FlowRef): string {
  return f.close === 'none' ? f.handshake : `${f.handshake} → ${f.close}`;
}

/**
 * Text: one line per difference, naming the flow by client address and server
 * address:port with the flow ids in A and B, then one summary line.
 */
export function formatDiffText(result: DiffResult, sources: DiffSources): string {
  const lines: string[] = [];
  const m = result.match;
  type Line = { readonly order: number; readonly text: string };
  const rows: Line[] = [];
  for (const d of result.changed) {
    // In `order` mode the pair may differ in addresses or ports: then both are named.
    const la = label(d.a, m);
    const lb = label(d.b, m);
    const name = la === lb ? `${la} (A#${d.a.id}, B#${d.b.id})` : `${la} (A#${d.a.id}) ≈ ${lb} (B#${d.b.id})`;
    for (const text of changeLines(d)) rows.push({ order: d.a.id, text: `${name}: ${text}` });
  }
  for (const r of result.only_in_a) rows.push({ order: r.id, text: `${label(r, m)} (A#${r.id}, B -): only in A: ${lone(r)}` });
  rows.sort((x, y) => x.order - y.order);
  lines.push(...rows.map((r) => r.text));
  for (const r of result.only_in_b) lines.push(`${label(r, m)} (A -, B#${r.id}): only in B: ${lone(r)}`);
  const flows = (n: number): string => `${n} flow${n === 1 ? '' : 's'}`;
  const what = `${sources.a} (${flows(result.flows_a)}) vs ${sources.b} (${flows(result.flows_b)}), ${result.matched} matched by ${MATCH_TEXT[m]}`;
  if (result.equal) {
    lines.push(`no differences: ${what}`);
  } else {
    const n = result.changed.length;
    lines.push(`${n} changed, ${result.only_in_a.length} only in A, ${result.only_in_b.length} only in B: ${what}`);
  }
  // Names and addresses can come from a saved JSON file: nothing in it may drive the terminal.
  return `${lines.map(escapeControl).join('\n')}\n`;
}

const MATCH_TEXT: Record<MatchMode, string> = {
  server: 'server address and port, client address and order',
  strict: '4-tuple and order',
  order: 'order of first frame',
};

/** A saved output read back for diffing, or why it cannot be. */
export type SavedOutput =
  | { readonly ok: true; readonly format: 'json' | 'ndjson'; readonly value: DiffInput }
  | { readonly ok: false; readonly error: string };

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The first field diff reads that is missing or of the wrong type, as `flows[2].handshake.kind: expected string`. */
function flowProblem(f: Json | undefined, at: string): string | undefined {
  if (!isObject(f)) return `${at}: expected an object`;
  const checks: [string, (v: Json | undefined) => boolean, string][] = [
    ['id', (v) => typeof v === 'number', 'a number'],
    ['first_frame', (v) => typeof v === 'number', 'a number'],
    ['client.addr', (v) => typeof v === 'string', 'a string'],
    ['client.port', (v) => typeof v === 'number', 'a number'],
    ['client.final_state', (v) => typeof v === 'string', 'a string'],
    ['server.addr', (v) => typeof v === 'string', 'a string'],
    ['server.port', (v) => typeof v === 'number', 'a number'],
    ['server.final_state', (v) => typeof v === 'string', 'a string'],
    ['handshake.kind', (v) => typeof v === 'string', 'a string'],
    ['handshake.rtt_ms', (v) => typeof v === 'number' || v === null, 'a number or null'],
    ['close.kind', (v) => typeof v === 'string', 'a string'],
    ['close.initiator', (v) => typeof v === 'string' || v === null, 'a string or null'],
    ['outcome.client', (v) => typeof v === 'string', 'a string'],
    ['outcome.server', (v) => typeof v === 'string', 'a string'],
    ['anomalies', (v) => Array.isArray(v) && v.every((a) => isObject(a) && typeof a.code === 'string'), 'a list of anomalies with codes'],
    ['anomalies_not_listed', (v) => v === undefined || (isObject(v) && Object.values(v).every((n) => typeof n === 'number')), 'counts by code'],
  ];
  for (const [path, ok, what] of checks) {
    let v: Json | undefined = f;
    for (const k of path.split('.')) v = isObject(v) ? v[k] : undefined;
    if (!ok(v)) return `${at}.${path}: expected ${what}`;
  }
  return undefined;
}

/**
 * One flow of a saved document read a flow at a time (json-scan.ts): what
 * diff compares of it (slimForDiff), or why it cannot be compared, as
 * readSavedOutput would say it.
 */
export function savedFlow(value: unknown, at: string): FlowRecord | string {
  const flow = checkedFlow(value, at);
  return typeof flow === 'string' ? flow : slimForDiff(flow);
}

/** One flow of a saved document, whole (`synfin merge`), or why it is not one, as readSavedOutput would say it. */
export function checkedFlow(value: unknown, at: string): FlowRecord | string {
  return flowProblem(value as Json, at) ?? value as FlowRecord;
}

/** Why a saved document's `schema` cannot be read by this version, as readSavedOutput would say it. */
export function savedSchemaProblem(schema: unknown): string | undefined {
  if (typeof schema !== 'number') return 'no "schema" number: not a synfin output';
  if (schema > SCHEMA) return `schema ${schema} is newer than this synfin reads (${SCHEMA}): upgrade synfin`;
  return undefined;
}

function firstLineOf(text: string): string {
  return text.trimStart().split('\n', 1)[0]!.trim();
}

/**
 * What diff reads of a flow (its pairing key, kinds, states, outcomes, RTT and
 * anomaly codes), without its Zeek rows, timeline and messages: a capture on
 * either side is analysed into these, so two large captures cost a fraction
 * of their records.
 */
export function slimForDiff(f: FlowRecord): FlowRecord {
  const end = (e: FlowRecord['client']) => ({ addr: e.addr, port: e.port, final_state: e.final_state });
  const slim = {
    id: f.id, first_frame: f.first_frame, client: end(f.client), server: end(f.server),
    handshake: { kind: f.handshake.kind, rtt_ms: f.handshake.rtt_ms },
    close: { kind: f.close.kind, initiator: f.close.initiator, first_fin_frame: f.close.first_fin_frame ?? null, second_fin_frame: f.close.second_fin_frame ?? null },
    // The two FINs' frames only, for their times (finsCrossed), when the flow has a timeline.
    ...(f.events === undefined ? {} : { events: f.events.filter((e) => e.frame === f.close.first_fin_frame || e.frame === f.close.second_fin_frame) }),
    outcome: f.outcome, anomalies: f.anomalies.map((a) => ({ code: a.code, severity: a.severity, side: a.side, frame: a.frame })),
    ...(f.anomalies_not_listed === undefined ? {} : { anomalies_not_listed: f.anomalies_not_listed }),
  };
  // Only the fields diff reads are there; the rest of a FlowRecord is never looked at.
  return slim as unknown as FlowRecord;
}

/**
 * Reads a saved `--format json` output (the whole document) or an ndjson
 * output (one flow per line, in any order). Checks the fields diff compares,
 * and refuses a `schema` newer than this version's.
 */
export function readSavedOutput(text: string): SavedOutput {
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (e) {
    // A pretty-printed document starts with a line holding only `{`: report it
    // as one broken document; anything else is read as ndjson, line by line.
    if (firstLineOf(text) === '{') return { ok: false, error: `not valid JSON: ${(e as Error).message}` };
    return readNdjson(text);
  }
  if (isObject(doc) && Array.isArray(doc.flows)) {
    const schemaProblem = savedSchemaProblem(doc.schema);
    if (schemaProblem !== undefined) return { ok: false, error: schemaProblem };
    for (let i = 0; i < doc.flows.length; i++) {
      const problem = flowProblem(doc.flows[i], `flows[${i}]`);
      if (problem !== undefined) return { ok: false, error: problem };
    }
    return { ok: true, format: 'json', value: { flows: doc.flows as unknown as FlowRecord[] } };
  }
  if (isObject(doc) && 'id' in doc && 'client' in doc) return readNdjson(text);
  return { ok: false, error: 'a JSON document without "flows": not a synfin output' };
}

function readNdjson(text: string): SavedOutput {
  const flows: FlowRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const flow = ndjsonLine(lines[i]!, i + 1);
    if (flow === undefined) continue;
    if (typeof flow === 'string') return { ok: false, error: flow };
    flows.push(flow);
  }
  // ndjson prints flows as they end; diff pairs them by first frame anyway.
  flows.sort(byFirstFrame);
  return { ok: true, format: 'ndjson', value: { flows } };
}

/** Line `n` of an ndjson output: nothing when blank, else its flow or why diff cannot compare it. */
export function ndjsonLine(raw: string, n: number): FlowRecord | string | undefined {
  const line = raw.trim();
  if (line === '') return undefined;
  let f: Json;
  try {
    f = JSON.parse(line) as Json;
  } catch (e) {
    return `line ${n}: not valid JSON: ${(e as Error).message}`;
  }
  return flowProblem(f, `line ${n}`) ?? (f as unknown as FlowRecord);
}
