/**
 * `synfin report FILE... -o report.html`: one self-contained HTML file
 * (src/report/html.ts) that opens from disk with no network.
 */

import { basename } from 'node:path';
import type { Command } from 'commander';
import { createReportCollector } from '../report/html.ts';
import { escapeControl } from '../report/escape.ts';
import { analyzeWithProgress, addDisplayOptions, inputOf, type DisplayOptions } from './explain.ts';
import { addCaptureOption, type CaptureOptions } from './capture.ts';
import { seconds, writeOutputFile } from './common.ts';
import { EXPLAIN_EVENTS } from '../tcp/lifecycle.ts';

interface ReportOptions extends DisplayOptions, CaptureOptions {
  output: string;
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
    }, opts, capture);
    for (const w of result.warnings) process.stderr.write(`synfin: warning: ${escapeControl(w)}\n`);
    const title = capture === undefined ? files.map((f) => basename(f)).join(', ') : `live on ${capture.iface}`;
    writeOutputFile(opts.output, collector.html(title));
    if (opts.quiet !== true) process.stderr.write(`synfin: wrote ${opts.output} (${collector.flows} flows)\n`);
  } finally {
    collector.close();
  }
}

/** Adds `report` to the program. */
export function registerReport(program: Command): void {
  const cmd = program.command('report')
    .description('one self-contained HTML file: summary, sortable and filterable flow table, ladder diagrams, sockets per state over time')
    .argument('[file...]', 'pcap, pcapng or .gz captures (merged by timestamp); - reads standard input; with -i, a tcpdump filter')
    .requiredOption('-o, --output <file>', 'where to write the HTML')
    .option('--msl <seconds>', 'maximum segment lifetime; TIME_WAIT lasts 2 MSL', seconds('--msl'), 30)
    .option('--stuck-after <seconds>', 'report CLOSE_WAIT / FIN_WAIT_2 waits longer than this', seconds('--stuck-after'), 5);
  addCaptureOption(cmd);
  addDisplayOptions(cmd);
  cmd.addHelpText('after', `
The file opens from disk in any browser with no network access: nothing is
fetched, the data and the code are inside it.

Example:
  synfin report captures/demo-mixed.pcap -o report.html`)
    .action(runReport);
}
