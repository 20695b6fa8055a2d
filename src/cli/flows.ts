/** `synfin flows`: one line (or record) per connection. */

import { fstatSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_MAX_FLOWS, type AnalysisResult, type AnalyzeOptions } from '../analyze.ts';
import { DEFAULT_SETTLE } from '../settle.ts';
import { isFiltering, matchesFilter } from '../report/text.ts';
import { describeFailOnMatch, type FailTerm, matchFailOn, parseFailOn } from '../report/fail-on.ts';
import type { FormatContext } from '../report/flow-format.ts';
import { FLOW_FORMAT_NAMES, FLOW_FORMATS, type FlowFormatName } from '../report/formats.ts';
import type { FlowRecord } from '../tcp/record.ts';
import { seconds, UsageError, writeOut } from './common.ts';
import { drained } from './batched-out.ts';
import { createFlowOutput } from './flow-output.ts';
import { escapeControl } from '../report/escape.ts';
import { addZeekOptions, zeekConfigOf, type ZeekCliOptions } from './zeek-options.ts';
import {
  addDisplayOptions, addFilterOptions, analyzeWithProgress, filterOf, inputOf, stdoutPainter, timelineChoice, type DisplayOptions, type FilterOptions,
} from './options.ts';
import { addCaptureOption, type CaptureOptions } from './capture.ts';

/** docs/design.md "Commands": 1 means a --fail-on term matched. */
const EXIT_MATCHED = 1;

function shardSpec(v: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || count < 1 || index >= count) throw new InvalidArgumentError(`--shard takes I/N with 0 <= I < N, got '${v}'`);
  return { index, count };
}

interface FlowsOptions extends FilterOptions, DisplayOptions, ZeekCliOptions, CaptureOptions {
  format: FlowFormatName;
  events?: boolean;
  msl: number;
  stuckAfter: number;
  shard?: { index: number; count: number };
  failOn?: string;
  verifyChecksums?: boolean;
  strict?: boolean;
  idleTimeout?: number;
  maxFlows: number;
}

function flowCount(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`--max-flows takes a whole number of flows (at least 1), got '${v}'`);
  return n;
}

/** `--fail-on` parsed before any input is read, so a bad EXPR fails at once with one line. */
function failTerms(expr: string | undefined): readonly FailTerm[] {
  if (expr === undefined) return [];
  const parsed = parseFailOn(expr);
  if (!parsed.ok) throw new UsageError(`--fail-on: ${parsed.error}`);
  return parsed.terms;
}

/** Lists the flows that match on stderr, one per line; true when any did. */
function reportMatches(terms: readonly FailTerm[], flows: readonly FlowRecord[]): boolean {
  let any = false;
  for (const f of flows) {
    const hits = matchFailOn(terms, f);
    if (hits.length === 0) continue;
    any = true;
    process.stderr.write(`synfin: --fail-on: ${describeFailOnMatch(f, hits)}\n`);
  }
  return any;
}

/** True when standard input is a regular file (`< capture.pcap`), which nobody is waiting on. */
function stdinIsFile(): boolean {
  try {
    return fstatSync(0).isFile();
  } catch {
    return false;
  }
}

async function runFlows(words: string[], opts: FlowsOptions): Promise<void> {
  const { files, capture } = inputOf(words, opts, 'flows');
  const terms = failTerms(opts.failOn);
  const filter = filterOf(opts);
  const format = FLOW_FORMATS[opts.format];
  const context: FormatContext = {
    filter,
    painter: stdoutPainter(opts),
    ...(process.stdout.isTTY === true ? { columns: process.stdout.columns } : {}),
    files,
    source: capture === undefined ? files.join(' ') : `-i ${capture.iface}`,
    ...(opts.failOn === undefined ? {} : { failOn: { expr: opts.failOn, terms } }),
  };
  const problem = format.problem?.(context);
  if (problem !== undefined) throw new UsageError(problem);
  // A document is held as text on disk until the end, not as records in memory (flow-output.ts);
  // a format without one (ndjson) is printed as each flow ends.
  const output = createFlowOutput(format.writer(context));
  const keepFailing = (f: FlowRecord): boolean => terms.length > 0 && matchesFilter(f, filter) && matchFailOn(terms, f).length > 0;
  // Every flow printed and none kept for --fail-on: a record made early is printed from the JSON text it was kept as.
  const fromJson = !isFiltering(filter) && terms.length === 0 ? format.fromJson : undefined;
  const timelineOf = timelineChoice(filter);
  const analyzeOptions: AnalyzeOptions = {
    msl: opts.msl,
    stuckAfter: opts.stuckAfter,
    events: opts.events === true,
    // The flows the filter leaves out are not printed: they need no timeline.
    ...(opts.events === true && timelineOf !== undefined ? { timelineOf } : {}),
    verifyChecksums: opts.verifyChecksums === true,
    zeek: zeekConfigOf(opts),
    maxFlows: opts.maxFlows,
    ...(opts.idleTimeout === undefined ? {} : { idleTimeout: opts.idleTimeout }),
    ...(opts.shard === undefined ? {} : { shard: opts.shard }),
    // Each flow goes to the output as it ends: keep only those --fail-on will name, so memory stays flat.
    onFlow: (f) => output.add(f),
    keepFlow: keepFailing,
    ...(fromJson === undefined ? {} : { flowText: (id: number, json: string) => output.addText(id, fromJson(json)) }),
    ...(output.streamed ? {
      waitForOutput: () => output.backlog(),
      // From a pipe, a line as each connection settles, not when the table lets it go (settle.ts).
      ...(capture !== undefined || (files.includes('-') && !stdinIsFile()) ? { live: { settle: DEFAULT_SETTLE } } : {}),
    } : {}),
  };
  // Streamed output on a terminal would interleave with a progress line.
  const quiet = opts.quiet === true || (output.streamed && process.stdout.isTTY === true);
  let all: AnalysisResult;
  try {
    all = await analyzeWithProgress(files, analyzeOptions, { ...opts, quiet }, capture);
  } catch (err) {
    output.close();
    throw err;
  } finally {
    // The flows found before a fault are printed before its message.
    output.flush();
  }
  // Filters pick the flows printed; the summary still describes the whole capture.
  const result = { ...all, flows: all.flows.filter((f) => matchesFilter(f, filter)) };
  for (const w of result.warnings) process.stderr.write(`synfin: warning: ${escapeControl(w)}\n`);
  // Waits for a slow pipe rather than queueing the document (a million flows are a gigabyte).
  const write = (chunk: Buffer | string): Promise<void> | undefined => (writeOut(chunk) ? undefined : drained(process.stdout));
  await output.finish(result, write);
  // After the normal output, so a CI log shows the whole story and then why it failed.
  if (terms.length > 0 && reportMatches(terms, result.flows)) process.exitCode = EXIT_MATCHED;
  // A capture cut mid-record is analysed to its last whole record; --strict makes that a failure.
  if (opts.strict === true && result.captures.some((c) => c.truncated)) process.exitCode = EXIT_MATCHED;
}

/** Adds `flows` to the program. */
export function registerFlows(program: Command): void {
  const cmd = program.command('flows')
    .description('one line per TCP connection: who opened it, how it closed, final states and anomalies')
    .argument('[file...]', 'pcap, pcapng or .gz captures (merged by timestamp); - reads standard input; with -i, a tcpdump filter')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FLOW_FORMAT_NAMES).default('text'))
    .option('--events', 'add each flow\'s per-frame timeline (json, ndjson)')
    .option('--msl <seconds>', 'maximum segment lifetime; TIME_WAIT lasts 2 MSL', seconds('--msl'), 30)
    .option('--stuck-after <seconds>', 'report CLOSE_WAIT / FIN_WAIT_2 waits longer than this', seconds('--stuck-after'), 5)
    .option('--idle-timeout <seconds>', 'finalise a flow with no segment for this long, as it stands (default: never; a later segment starts a new flow)', seconds('--idle-timeout'))
    .option('--max-flows <n>', 'most flows held at once (a compact or parked one counts 1/16); beyond it the longest-idle one is finalised early with a flow-evicted warning', flowCount, DEFAULT_MAX_FLOWS)
    .option('--strict', 'exit 1 when a capture is cut mid-record (it is still analysed up to its last whole record)')
    .option('--verify-checksums', 'skip frames whose IPv4 or TCP checksum is wrong (off: captures taken on the sending host carry offloaded, unfilled checksums)')
    .option('--shard <I/N>', 'keep only the flows whose 4-tuple hashes to shard I of N (0-based)', shardSpec)
    .option('--fail-on <expr>', 'exit 1 when a flow matches any term of a comma list: an anomaly code, severity>=S, handshake=K, close=K, state=S, outcome=O')
    .addHelpText('after', `
Examples:
  synfin flows captures/normal-close-client.pcap
  synfin flows --format json capture.pcapng > baseline.json
  tcpdump -i eth0 -U --immediate-mode -w - 'tcp port 443' | synfin flows --format ndjson -
  synfin flows -i eth0 tcp port 443       # capture live (runs tcpdump); Ctrl-C prints the table
  synfin flows rotated-*.pcap.gz          # several files form one timeline
  synfin flows --fail-on stuck-close-wait,connection-refused integration.pcap
  synfin flows --fail-on 'severity>=warning' --format json integration.pcap
  synfin flows --anomaly stuck-close-wait --port 9505 capture.pcap
  synfin flows --fail-on 'severity>=error,state=CLOSE_WAIT' --format junit new.pcap > flows-junit.xml${Object.values<{ help?: string }>(FLOW_FORMATS).map((f) => (f.help === undefined ? '' : `\n\n${f.help}`)).join('')}`)
    .action(runFlows);
  addCaptureOption(cmd);
  addFilterOptions(cmd);
  addDisplayOptions(cmd);
  addZeekOptions(cmd);
}
