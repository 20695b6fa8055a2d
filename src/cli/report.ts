/**
 * `synfin report FILE... -o report.html`: one self-contained HTML file
 * (src/report/html.ts) that opens from disk with no network.
 */

import { basename } from 'node:path';
import type { Command } from 'commander';
import { createReportCollector } from '../report/html.ts';
import { escapeControl } from '../report/escape.ts';
import { addJobsOption, analyzeWithProgress, inputOf } from './options.ts';
import { addCaptureOption, type CaptureOptions } from './capture.ts';
import { seconds, writeOut, writeOutputFile } from './common.ts';
import { EXPLAIN_EVENTS } from '../tcp/lifecycle.ts';

interface ReportOptions extends CaptureOptions {
  output: string;
  quiet?: boolean;
  jobs?: number;
  msl: number;
  stuckAfter: number;
}

async function runReport(words: string[], opts: ReportOptions): Promise<void> {
  const { files, capture } = inputOf(words, opts, 'report');
  // Each flow leaves what the page needs as it ends (its table columns, its share of the summary and
  // the chart, its record if its diagram is embedded): holding every record held 1.8 GB for 100 k flows.
  const collector = createReportCollector();
  try {
    const result = await analyzeWithProgress(files, {
      msl: opts.msl, stuckAfter: opts.stuckAfter, events: true, eventsKept: EXPLAIN_EVENTS, keepFlow: () => false, onFlow: (f) => collector.add(f),
    }, { color: 'never', quiet: opts.quiet === true, ...(opts.jobs === undefined ? {} : { jobs: opts.jobs }) }, capture);
    for (const w of result.warnings) process.stderr.write(`synfin: warning: ${escapeControl(w)}
`);
    const html = collector.html(capture === undefined ? reportTitle(files) : `live on ${capture.iface}`);
    // `-o -`, as for the captures: standard output, so the page can be piped on.
    if (opts.output === '-') writeOut(html);
    else writeOutputFile(opts.output, html);
    const where = opts.output === '-' ? 'the report to standard output' : opts.output;
    const n = collector.flows;
    if (opts.quiet !== true) process.stderr.write(`synfin: wrote ${where} (${n} flow${n === 1 ? '' : 's'})\n`);
  } finally {
    collector.close();
  }
}

/** The page's title: the captures' file names, standard input for `-`. */
export function reportTitle(files: readonly string[]): string {
  return files.map((f) => (f === '-' ? 'standard input' : basename(f))).join(', ');
}

/** Adds `report` to the program. */
export function registerReport(program: Command): void {
  const cmd = program.command('report')
    .description('one self-contained HTML file: summary, sortable and filterable flow table, ladder diagrams, sockets per state over time')
    .argument('[file...]', 'pcap, pcapng or .gz captures (merged by timestamp); - reads standard input; with -i, a tcpdump filter')
    .requiredOption('-o, --output <file>', 'required: where to write the HTML; - writes it to standard output')
    .option('--msl <seconds>', 'maximum segment lifetime; TIME_WAIT lasts 2 MSL', seconds('--msl'), 30)
    .option('--stuck-after <seconds>', 'report CLOSE_WAIT / FIN_WAIT_2 waits longer than this', seconds('--stuck-after'), 5)
    // No --color: the page is HTML, there is no terminal text to colour.
    .option('-q, --quiet', 'no progress bar on standard error');
  addCaptureOption(cmd);
  addJobsOption(cmd);
  cmd.addHelpText('after', `
The file opens from disk in any browser with no network access: nothing is
fetched, the data and the code are inside it.

Examples:
  synfin report captures/demo-mixed.pcap -o report.html
  tcpdump -r big.pcap -w - 'port 443' | synfin report - -o - > report.html`)
    .action(runReport);
}
