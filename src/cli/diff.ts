/** `synfin diff A B`: what changed between two captures or saved outputs; exit 1 when anything did. */

import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { type Command, Option } from 'commander';
import { analyzeFile, type AnalyzeOptions } from '../analyze.ts';
import {
  checkIgnore, diff, DIFF_TIMELINE, type DiffInput, type FlowRef, formatDiffJson, formatDiffText, MATCH_MODES, type MatchMode,
  FlowShelf, ndjsonLine, parseRttTolerance, readSavedOutput, savedFlow, savedSchemaProblem, slimForDiff,
} from '../report/diff.ts';
import { scanSavedJson } from '../report/json-scan.ts';
import { diffCases, formatJunit } from '../report/junit.ts';
import type { FlowRecord } from '../tcp/record.ts';
import { escapeControl } from '../report/escape.ts';
import { out, seconds, UsageError } from './common.ts';
import { addJobsOption, refuseTerminalStdin } from './options.ts';
import { CaptureError } from '../capture/frame.ts';

/** docs/design.md "Commands": 1 means the two sides differ. */
const EXIT_DIFFERENT = 1;

const FORMATS = ['text', 'json', 'junit'] as const;

interface DiffCommandOptions {
  format: (typeof FORMATS)[number];
  match: MatchMode;
  rttTolerance?: string;
  ignore?: string;
  strictClose?: boolean;
  msl: number;
  stuckAfter: number;
  jobs?: number;
}

/** Bytes that may precede a JSON document: whitespace and a UTF-8 byte-order mark. */
function firstSignificantByte(b: Buffer): number | undefined {
  for (const byte of b) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0xef || byte === 0xbb || byte === 0xbf) continue;
    return byte;
  }
  return undefined;
}

/** True when the file starts (after whitespace) with `{`; undefined when it cannot be read, so the capture reader names the problem. */
async function looksLikeJson(path: string): Promise<boolean | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    // No capture format starts with `{` (pcap, pcapng and gzip all begin with binary magic).
    return firstSignificantByte(head.subarray(0, bytesRead)) === 0x7b;
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks);
}

/**
 * A saved document read a flow at a time (json-scan.ts), so a large one costs
 * the flows' compared fields, not the document parsed whole. Anything the
 * scan cannot follow is read the whole way, for readSavedOutput's message.
 */
async function savedFile(path: string, match: MatchMode): Promise<DiffInput> {
  const whole = async (): Promise<DiffInput> => {
    flows.close();
    return saved(await readFile(path, 'utf8'), path);
  };
  const stream = createReadStream(path);
  const flows = new FlowShelf(match);
  let schema: unknown;
  let sawFlows = false;
  let flowProblem: string | undefined;
  let index = 0;
  try {
    for await (const part of scanSavedJson(stream)) {
      // Not one document: a pretty-printed one is broken (readSavedOutput says where), anything else is read as ndjson.
      if (part.kind === 'invalid') {
        if ((await firstLine(path)) === '{') return await whole();
        flows.close();
        return await savedNdjson(path, match);
      }
      if (part.kind === 'flows') sawFlows = true;
      else if (part.kind === 'member') {
        if (part.key === 'schema') schema = parsed(part.text);
      } else {
        const value = parsed(part.text);
        if (value === INVALID) return await whole();
        const flow = savedFlow(value, `flows[${index++}]`);
        // Kept for after the schema check, the order readSavedOutput reports them in.
        if (typeof flow === 'string') flowProblem ??= flow;
        else if (flowProblem === undefined) flows.add(flow);
      }
    }
  } catch (err) {
    flows.close();
    throw err;
  } finally {
    stream.destroy();
  }
  // One object without a `flows` array: small, and readSavedOutput knows what it is (a one-flow ndjson, or not ours).
  if (!sawFlows || schema === INVALID) return whole();
  const problem = savedSchemaProblem(schema) ?? flowProblem;
  if (problem !== undefined) {
    flows.close();
    throw new UsageError(`${path}: ${problem}`);
  }
  return flows;
}

/**
 * An ndjson output read a line at a time, with readSavedOutput's messages:
 * what diff compares of each flow, in order of first frame.
 */
async function savedNdjson(path: string, match: MatchMode): Promise<DiffInput> {
  const flows = new FlowShelf(match);
  try {
    await eachNdjsonFlow(path, (flow) => flows.add(slimForDiff(flow)));
  } catch (err) {
    flows.close();
    throw err;
  }
  return flows;
}

/** Each flow of an ndjson output, a line at a time; a line that is not one is a UsageError naming it. */
export async function eachNdjsonFlow(path: string, each: (flow: FlowRecord) => void): Promise<void> {
  const stream = createReadStream(path);
  try {
    let n = 0;
    for await (const raw of createInterface({ input: stream, crlfDelay: Infinity })) {
      const flow = ndjsonLine(raw, ++n);
      if (flow === undefined) continue;
      if (typeof flow === 'string') throw new UsageError(`${path}: ${flow}`);
      each(flow);
    }
  } finally {
    stream.destroy();
  }
}

/** The file's first line, trimmed (a pretty-printed document's is `{`). */
async function firstLine(path: string): Promise<string> {
  const stream = createReadStream(path, { end: 4095 });
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      if (line.trim() !== '') return line.replace(/^\ufeff/, '').trim();
    }
    return '';
  } finally {
    stream.destroy();
  }
}

const INVALID = Symbol('invalid JSON');

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return INVALID;
  }
}

function saved(text: string, name: string): DiffInput {
  const r = readSavedOutput(text);
  if (!r.ok) throw new UsageError(`${name}: ${r.error}`);
  return r.value;
}

/** Analyses a capture into what diff compares (slimForDiff), set aside on disk. */
async function analyzed(path: string, options: AnalyzeOptions, match: MatchMode): Promise<DiffInput> {
  const flows = new FlowShelf(match);
  try {
    const result = await analyzeFile(path, { ...options, keepFlow: () => false, onFlow: (f) => flows.add(slimForDiff(f)) });
    for (const w of result.warnings) process.stderr.write(`synfin: warning: ${escapeControl(w)}\n`);
  } catch (err) {
    flows.close();
    throw err;
  }
  return flows;
}

/** One side of the diff: a saved JSON/ndjson output (detected by content) or a capture to analyse (also `record --baseline`'s). */
export async function load(path: string, analyzeOptions: AnalyzeOptions, match: MatchMode): Promise<DiffInput> {
  if (path === '-') {
    refuseTerminalStdin(['-']);
    const bytes = await readAll(process.stdin);
    if (firstSignificantByte(bytes.subarray(0, 512)) === 0x7b) return saved(bytes.toString('utf8'), '-');
    // Loaded here, not at start-up: only a diff of standard input needs it.
    const { Readable } = await import('node:stream');
    return analyzed('-', { ...analyzeOptions, stdin: Readable.from([bytes]) }, match);
  }
  if (await looksLikeJson(path) === true) return savedFile(path, match);
  try {
    return await analyzed(path, analyzeOptions, match);
  } catch (err) {
    // diff reads two kinds of input: say so, not only that the pcap magic is wrong.
    if (err instanceof CaptureError && err.kind === 'bad-magic') {
      throw new UsageError(`${path}: neither a capture (pcap, pcapng, or either gzip-compressed) nor a saved synfin JSON or ndjson output (flows --format json|ndjson); ${err.message.replace(`${path}: `, '')}`);
    }
    throw err;
  }
}

export function ignoreList(v: string | undefined): string[] {
  if (v === undefined) return [];
  const list = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const problem = checkIgnore(list);
  if (problem !== undefined) throw new UsageError(`--ignore: ${problem}`);
  return list;
}

async function runDiff(a: string, b: string, opts: DiffCommandOptions): Promise<void> {
  // Options are checked before any file is read, so a typo fails fast.
  const rttTolerance = opts.rttTolerance === undefined ? undefined : parseRttTolerance(opts.rttTolerance);
  if (opts.rttTolerance !== undefined && rttTolerance === undefined) {
    throw new UsageError(`--rtt-tolerance takes a time (5ms, 250us, 1s) or a percentage of A's RTT (20%), got '${opts.rttTolerance}'`);
  }
  const ignore = ignoreList(opts.ignore);
  if (a === '-' && b === '-') throw new UsageError('only one of A and B can be - (standard input)');
  // A capture's flows keep a timeline of their FIN segments, for the FINs' times: see finsCrossed.
  const analyzeOptions: AnalyzeOptions = {
    msl: opts.msl, stuckAfter: opts.stuckAfter, ...(opts.strictClose === true ? { events: false } : DIFF_TIMELINE), jobs: opts.jobs ?? 'auto',
  };
  const left = await load(a, analyzeOptions, opts.match);
  let right: DiffInput | undefined;
  try {
    right = await load(b, analyzeOptions, opts.match);
    // JUnit lists the pairs that did not change too, each a passing test.
    const same: { a: FlowRef; b: FlowRef }[] = [];
    const result = diff(left, right, {
      match: opts.match, ignore, strictClose: opts.strictClose === true, ...(rttTolerance === undefined ? {} : { rttTolerance }),
      ...(opts.format === 'junit' ? { onSame: (fa: FlowRef, fb: FlowRef) => { same.push({ a: fa, b: fb }); } } : {}),
    });
    const sources = { a, b };
    out(opts.format === 'json' ? formatDiffJson(result, sources)
      : opts.format === 'junit' ? formatJunit([{ name: `synfin diff ${a} ${b}`, cases: diffCases(result, same, 'synfin.diff') }])
        : formatDiffText(result, sources));
    if (!result.equal) process.exitCode = EXIT_DIFFERENT;
  } finally {
    for (const side of [left, right]) if (side instanceof FlowShelf) side.close();
  }
}

/** Adds `diff` to the program. */
export function registerDiff(program: Command): void {
  const cmd = program.command('diff')
    .description('what changed between two captures or saved JSON outputs (exit 0 equal, 1 different, 2 bad input)')
    .argument('<a>', 'baseline: a capture, or a saved `flows --format json` / ndjson output (detected by content); - reads standard input')
    .argument('<b>', 'the run to compare: a capture or a saved output')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('text'))
    .addOption(new Option('--match <mode>', 'pair flows by server address and port + client address (server), the full 4-tuple (strict), or first-frame order alone (order); then by order of first frame')
      .choices(MATCH_MODES).default('server'))
    .option('--rtt-tolerance <t>', 'report handshake RTT changes beyond this: 5ms, 250us, 1s, or 20% of A\'s RTT (default: RTT not compared)')
    .option('--strict-close', 'compare closes exactly even when both ends closed at once (FINs within one handshake RTT, at least 5 ms): by default such a four-way, three-segment or simultaneous close, its initiator and who ended in TIME_WAIT are the same close')
    .option('--ignore <list>', 'comma list of anomaly codes and fields (handshake, close, initiator, final_state, outcome, rtt) to leave out')
    .option('--msl <seconds>', 'for captures: maximum segment lifetime; TIME_WAIT lasts 2 MSL', seconds('--msl'), 30)
    .option('--stuck-after <seconds>', 'for captures: report CLOSE_WAIT / FIN_WAIT_2 waits longer than this', seconds('--stuck-after'), 5)
    .addHelpText('after', `
Flows are paired on what survives a re-run: server address and port, client
address, order of first frame. Client ports, ISNs and times are not compared.

Examples:
  synfin flows --format json integration.pcap > baseline.json
  synfin diff baseline.json today.pcap
  synfin diff --rtt-tolerance 20% --ignore keepalive,retransmission baseline.json today.pcap
  synfin diff --format json old.pcapng new.pcapng
  synfin diff --format junit baseline.json today.pcap > diff-junit.xml

--format junit writes a JUnit XML report for CI (GitLab, Jenkins, GitHub,
Azure): one test per matched pair (failed with what changed) and per flow
only in A or only in B (failed), named server ← client (A#id, B#id). The exit
status is the same as with text.`)
    .action(runDiff);
  addJobsOption(cmd);
}
