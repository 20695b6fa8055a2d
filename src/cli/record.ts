/**
 * `synfin record [options] -- COMMAND [ARGS...]`: docs/regression.md's CI job
 * in one step. Starts tcpdump (capture.ts) writing a file, waits until it
 * listens, runs the command with the terminal's stdio, gives the last packets
 * a moment, stops tcpdump with SIGINT and waits for it to write out what it
 * holds, then tells the story of what the command's connections did: the
 * flows table on standard error (standard output stays the command's), and
 * with --baseline / --fail-on the gates' verdicts. Exit: the command's status;
 * when it succeeded, 1 if the run differs from the baseline or a term matched.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { analyzeFile } from '../analyze.ts';
import { diff, DIFF_TIMELINE, FlowShelf, formatDiffText, type FlowRef } from '../report/diff.ts';
import { describeFailOnMatch, matchFailOn, parseFailOn, type FailTerm } from '../report/fail-on.ts';
import { diffCases, failOnCase, formatJunit, type JunitSuite } from '../report/junit.ts';
import { formatText } from '../report/text.ts';
import { escapeControl } from '../report/escape.ts';
import { startCaptureToFile } from './capture.ts';
import { seconds, UsageError, writeOut } from './common.ts';
import { load } from './diff.ts';

/** docs/design.md "Commands": 1 means the run differs from its baseline or a --fail-on term matched. */
const EXIT_MATCHED = 1;

const FORMATS = ['text', 'junit'] as const;

interface RecordOptions {
  iface: string;
  filter?: string;
  output?: string;
  baseline?: string;
  failOn?: string;
  format: (typeof FORMATS)[number];
  linger: number;
  msl: number;
  stuckAfter: number;
  quiet?: boolean;
}

/** The shell's status for a process a signal ended: 128 + its number. */
function signalStatus(signal: NodeJS.Signals): number {
  return 128 + (OS_SIGNALS[signal] ?? 0);
}

let OS_SIGNALS: Partial<Record<NodeJS.Signals, number>> = {};

/**
 * Runs the command with the terminal's stdio (with --format junit its
 * standard output goes to our standard error: ours carries the XML) and
 * resolves with its exit status. SIGINT and SIGTERM sent to synfin meanwhile
 * are the command's to act on (Ctrl-C reaches it through the terminal; a
 * SIGTERM is passed on), so the capture is still stopped and analysed.
 */
async function runCommand(words: readonly string[], stdoutToStderr: boolean): Promise<number> {
  const { spawn } = await import('node:child_process');
  const { constants } = await import('node:os');
  OS_SIGNALS = constants.signals;
  const [program, ...args] = words;
  const child = spawn(program!, args, { stdio: ['inherit', stdoutToStderr ? 2 : 'inherit', 'inherit'] });
  const onInt = (): void => undefined;
  const onTerm = (): void => { child.kill('SIGTERM'); };
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on('error', (err: NodeJS.ErrnoException) => reject(new UsageError(
        err.code === 'ENOENT' ? `cannot run ${program}: not found (give the command after --, as on a shell line)` : `cannot run ${program}: ${err.message}`)));
      child.on('close', (code, signal) => resolve(code ?? (signal === null ? 1 : signalStatus(signal))));
    });
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

async function runRecord(words: string[], opts: RecordOptions): Promise<void> {
  // Everything that can be wrong with the options is said before anything runs.
  if (words.length === 0) throw new UsageError('record: missing the command to run (synfin record [options] -- COMMAND [ARGS...])');
  let terms: readonly FailTerm[] = [];
  if (opts.failOn !== undefined) {
    const parsed = parseFailOn(opts.failOn);
    if (!parsed.ok) throw new UsageError(`--fail-on: ${parsed.error}`);
    terms = parsed.terms;
  }
  if (opts.format === 'junit' && opts.baseline === undefined && terms.length === 0) {
    throw new UsageError('--format junit reports the gates: give --baseline FILE, --fail-on TERMS or both');
  }
  const analyzeOptions = { msl: opts.msl, stuckAfter: opts.stuckAfter, ...DIFF_TIMELINE };
  // Read first: a baseline that cannot be read fails before the command runs, not after.
  const baseline = opts.baseline === undefined ? undefined : await load(opts.baseline, analyzeOptions, 'server');
  const dir = opts.output === undefined ? mkdtempSync(join(tmpdir(), 'synfin-record-')) : undefined;
  const file = opts.output ?? join(dir!, 'run.pcap');
  try {
    const capture = await startCaptureToFile(opts.iface, opts.filter === undefined ? [] : [opts.filter], file, opts.quiet !== true);
    let status: number;
    try {
      await capture.ready;
      status = await runCommand(words, opts.format === 'junit');
      // The command's last packets (a close done by the kernel as it exits) reach tcpdump's buffer.
      await new Promise((r) => setTimeout(r, opts.linger * 1000));
    } finally {
      capture.stop();
      await capture.done;
    }
    const result = await analyzeFile(file, analyzeOptions);
    for (const w of result.warnings) process.stderr.write(`synfin: warning: ${escapeControl(w)}\n`);
    if (opts.quiet !== true) process.stderr.write(formatText(result));
    const suites: JunitSuite[] = [];
    let failed = false;
    if (terms.length > 0) {
      for (const f of result.flows) {
        const hits = matchFailOn(terms, f);
        if (hits.length === 0) continue;
        failed = true;
        process.stderr.write(`synfin: --fail-on: ${describeFailOnMatch(f, hits)}\n`);
      }
      suites.push({ name: `synfin record --fail-on ${opts.failOn}`, cases: result.flows.map((f) => failOnCase(terms, f, 'synfin.record')) });
    }
    if (baseline !== undefined) {
      const same: { a: FlowRef; b: FlowRef }[] = [];
      const d = diff(baseline, result, { onSame: (a, b) => { same.push({ a, b }); } });
      if (!d.equal) failed = true;
      const run = opts.output ?? 'this run';
      // The verdict is on standard error with the table; standard output is the command's.
      process.stderr.write(formatDiffText(d, { a: opts.baseline!, b: run }).split('\n').map((l) => (l === '' ? l : `synfin: diff: ${l}`)).join('\n'));
      suites.push({ name: `synfin record --baseline ${opts.baseline}`, cases: diffCases(d, same, 'synfin.record') });
    }
    if (opts.format === 'junit') writeOut(formatJunit(suites));
    // The command's own failure is the one to report; the gates fail a run that passed.
    process.exitCode = status !== 0 ? status : failed ? EXIT_MATCHED : 0;
  } finally {
    if (baseline instanceof FlowShelf) baseline.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/** Adds `record` to the program. */
export function registerRecord(program: Command): void {
  program.command('record')
    .description('capture a command\'s traffic with tcpdump while it runs, then tell each connection\'s story (exit: the command\'s status, or 1 when --baseline differs or --fail-on matches)')
    .argument('<command...>', 'the command to run, after --, with its arguments')
    .option('--iface <iface>', 'interface tcpdump captures on (needs root or CAP_NET_RAW)', 'lo')
    .option('--filter <expr>', 'tcpdump filter, one argument: \'tcp port 8080\'')
    .option('-o, --output <file>', 'keep the capture in this file (default: a temporary file, removed at the end)')
    .option('--baseline <file>', 'diff the run against this capture or saved `flows --format json` output (as `synfin diff`)')
    .option('--fail-on <expr>', 'judge the run as `flows --fail-on`: an anomaly code, severity>=S, handshake=K, close=K, state=S, outcome=O')
    .addOption(new Option('-f, --format <format>', 'text: the table and verdicts on standard error; junit: also a JUnit XML report of the gates on standard output (the command\'s own standard output then goes to standard error)').choices(FORMATS).default('text'))
    .option('--linger <seconds>', 'after the command exits, wait this long before stopping tcpdump, for the last packets (a close the kernel finishes)', seconds('--linger'), 0.25)
    .option('--msl <seconds>', 'maximum segment lifetime; TIME_WAIT lasts 2 MSL', seconds('--msl'), 30)
    .option('--stuck-after <seconds>', 'report CLOSE_WAIT / FIN_WAIT_2 waits longer than this', seconds('--stuck-after'), 5)
    .option('-q, --quiet', 'no table and no tcpdump lines: only the gates\' verdicts')
    .addHelpText('after', `
tcpdump runs as tcpdump -i IFACE -U --immediate-mode -w FILE [FILTER]; the
command starts once tcpdump is listening, with the terminal's stdin, stdout
and stderr. When it exits, tcpdump is stopped with SIGINT and waited for, so
every packet it saw is in the file. The flows table goes to standard error,
so standard output stays the command's.

Exit status: the command's (128 + N when signal N ended it); when the command
succeeded, 1 if the run differs from --baseline or a --fail-on term matched;
2 for bad usage or when tcpdump cannot capture.

Examples:
  synfin record -- npm run test:integration
  synfin record --filter 'tcp port 8080' -o run.pcap -- npm run test:integration
  synfin record --baseline ci/baseline.json --fail-on 'severity>=error,state=CLOSE_WAIT' -- npm run test:integration
  synfin record --format junit --fail-on 'severity>=error' -- ./it.sh > synfin-junit.xml`)
    .action(runRecord);
}
