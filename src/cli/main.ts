/**
 * The command line: a thin layer over the library (src/index.ts). Parses
 * arguments with commander, prints what the report layer formats, and maps
 * failures to exit statuses: 0 success, 1 differences/--fail-on, 2 bad usage
 * or unreadable input. Never a stack trace for anything a user can cause.
 */

import { Command, CommanderError } from 'commander';
import { CaptureError } from '../capture/frame.ts';
import { OutputError, UsageError } from './common.ts';
import { StashFullError } from '../spool/stash.ts';
import { WorkerError } from '../parallel/pool.ts';
import { escapeControl } from '../report/escape.ts';
import { registerDiff } from './diff.ts';
import { registerExplain } from './explain.ts';
import { registerFlows } from './flows.ts';
import { registerMerge } from './merge.ts';
import { registerNetstat } from './netstat.ts';
import { registerRecord } from './record.ts';
import { registerReport } from './report.ts';
import { wasInterrupted } from './interrupt.ts';
import { drained } from './batched-out.ts';

/** Exit statuses (docs/design.md "Commands"). */
export const EXIT_OK = 0;
export const EXIT_DIFFERENT = 1;
export const EXIT_BAD_INPUT = 2;

/** Builds the program (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('synfin')
    .description('Tells the story of every TCP connection in a tcpdump capture: handshake, both endpoints\' RFC 9293 states, close, and what went wrong.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(s) })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `
Examples:
  synfin flows capture.pcap
  synfin flows --format json --events capture.pcapng > baseline.json
  tcpdump -i lo -U --immediate-mode -w - | synfin flows --format ndjson -
    (live: a line per connection as it ends; Ctrl-C prints the rest, still-open ones as open)`);

  // Each command lives in its own file and registers itself here.
  registerFlows(program);
  registerExplain(program);
  registerNetstat(program);
  registerDiff(program);
  registerReport(program);
  registerMerge(program);
  registerRecord(program);
  return program;
}

function fail(message: string): never {
  process.stderr.write(`synfin: ${escapeControl(message)}\n`);
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
    // After a Ctrl-C the read still waiting on a pipe would keep the process alive: everything is printed, so end.
    if (wasInterrupted()) {
      if (process.stdout.writableLength > 0) await drained(process.stdout);
      process.exit(process.exitCode ?? EXIT_OK);
    }
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') process.exit(EXIT_OK);
      process.exit(EXIT_BAD_INPUT);
    }
    if (e instanceof CaptureError || e instanceof UsageError || e instanceof OutputError || e instanceof StashFullError || e instanceof WorkerError) fail(e.message);
    const err = e as NodeJS.ErrnoException;
    fail(`unexpected error: ${err?.message ?? String(e)} (please report this with the capture)`);
  }
}
