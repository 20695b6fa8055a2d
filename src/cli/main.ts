/**
 * The command line: a thin layer over the library (src/index.ts). Parses
 * arguments with commander, prints what the report layer formats, and maps
 * failures to exit statuses: 0 success, 1 differences/--fail-on, 2 bad usage
 * or unreadable input. Never a stack trace for anything a user can cause.
 */

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { analyzeFiles, type AnalyzeOptions } from '../analyze.ts';
import { CaptureError } from '../capture/frame.ts';
import { formatJson, formatNdjsonFlow } from '../report/json.ts';
import { formatText } from '../report/text.ts';
import { formatZeek } from '../report/zeek-flows.ts';
import { formatCsv } from '../report/csv.ts';

/** Exit statuses (DESIGN.md "Commands"). */
export const EXIT_OK = 0;
export const EXIT_DIFFERENT = 1;
export const EXIT_BAD_INPUT = 2;

/** A usage or input problem the user must fix: printed as one line, exit 2. */
class UsageError extends Error {}

function seconds(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} takes a number of seconds, got '${v}'`);
    return n;
  };
}

function shardSpec(v: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || count < 1 || index >= count) throw new InvalidArgumentError(`--shard takes I/N with 0 <= I < N, got '${v}'`);
  return { index, count };
}

const FORMATS = ['text', 'json', 'ndjson', 'zeek', 'csv'] as const;
type Format = (typeof FORMATS)[number];

interface FlowsOptions {
  format: Format;
  events?: boolean;
  msl: number;
  stuckAfter: number;
  shard?: { index: number; count: number };
}

function out(s: string): void {
  process.stdout.write(s);
}

async function runFlows(files: string[], opts: FlowsOptions): Promise<void> {
  const analyzeOptions: AnalyzeOptions = {
    msl: opts.msl,
    stuckAfter: opts.stuckAfter,
    events: opts.events === true,
    ...(opts.shard === undefined ? {} : { shard: opts.shard }),
    ...(opts.format === 'ndjson' ? { onFlow: (f) => out(formatNdjsonFlow(f)) } : {}),
  };
  const result = await analyzeFiles(files, analyzeOptions);
  for (const w of result.warnings) process.stderr.write(`synfin: warning: ${w}\n`);
  switch (opts.format) {
    case 'json': out(formatJson(result)); break;
    case 'ndjson': break;
    case 'zeek': out(formatZeek(result)); break;
    case 'csv': out(formatCsv(result)); break;
    default: out(formatText(result));
  }
}

/** Builds the program (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('synfin')
    .description('Tells the story of every TCP connection in a tcpdump capture: handshake, both endpoints\' RFC 9293 states, close, and what went wrong.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(s) })
    .showHelpAfterError('(run with --help for usage)');

  program.command('flows')
    .description('one line per TCP connection: who opened it, how it closed, final states and anomalies')
    .argument('<file...>', 'pcap, pcapng or .gz captures (merged by timestamp); - reads standard input')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('text'))
    .option('--events', 'add each flow\'s per-frame timeline (json, ndjson)')
    .option('--msl <seconds>', 'maximum segment lifetime; TIME_WAIT lasts 2 MSL', seconds('--msl'), 30)
    .option('--stuck-after <seconds>', 'report CLOSE_WAIT / FIN_WAIT_2 waits longer than this', seconds('--stuck-after'), 5)
    .option('--shard <I/N>', 'keep only the flows whose 4-tuple hashes to shard I of N (0-based)', shardSpec)
    .addHelpText('after', `
Examples:
  synfin flows captures/normal-close-client.pcap
  synfin flows --format json capture.pcapng > baseline.json
  tcpdump -i eth0 -w - 'tcp port 443' | synfin flows --format ndjson -
  synfin flows rotated-*.pcap.gz          # several files form one timeline`)
    .action(runFlows);
  return program;
}

function fail(message: string): never {
  process.stderr.write(`synfin: ${message}\n`);
  process.exit(EXIT_BAD_INPUT);
}

/** Runs the CLI on `argv` (process.argv form). */
export async function main(argv: readonly string[]): Promise<void> {
  // `synfin flows x.pcap | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_OK);
    fail(`cannot write output: ${e.message}`);
  });
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') process.exit(EXIT_OK);
      process.exit(EXIT_BAD_INPUT);
    }
    if (e instanceof CaptureError || e instanceof UsageError) fail(e.message);
    const err = e as NodeJS.ErrnoException;
    fail(`unexpected error: ${err?.message ?? String(e)} (please report this with the capture)`);
  }
}

await main(process.argv);
