/**
 * `synfin explain`: each chosen connection's timeline and story, for a
 * postmortem.
 */

import type { Command } from 'commander';
import type { AnalysisResult } from '../analyze.ts';
import { formatExplain } from '../report/explain.ts';
import { escapeControl } from '../report/escape.ts';
import { describeFilter, isFiltering, matchesFilter } from '../report/text.ts';
import { endOfRecordText, type FlowRecord } from '../tcp/record.ts';
import { EXPLAIN_EVENTS } from '../tcp/lifecycle.ts';
import { createIdSpool } from '../spool/id-spool.ts';
import { drained } from './batched-out.ts';
import { seconds, UsageError, writeOut } from './common.ts';
import { writeSvgs } from './explain-svg.ts';
import {
  addDisplayOptions, addFilterOptions, analyzeWithProgress, filterOf, stdoutPainter, timelineChoice, type DisplayOptions, type FilterOptions,
} from './options.ts';

interface ExplainCommandOptions extends FilterOptions, DisplayOptions {
  all?: boolean;
  msl: number;
  stuckAfter: number;
  svg?: boolean;
  states?: boolean;
  out?: string;
}

async function runExplain(files: string[], opts: ExplainCommandOptions): Promise<void> {
  // Refused before any capture is read: without --svg these would be silently ignored.
  if (opts.svg !== true) {
    const alone = [opts.states === true ? '--states' : undefined, opts.out === undefined ? undefined : '--out'].filter((o) => o !== undefined);
    if (alone.length > 0) throw new UsageError(`${alone.join(' and ')} ${alone.length === 1 ? 'works' : 'work'} only with --svg: add --svg to draw diagrams, or leave ${alone.length === 1 ? 'it' : 'them'} out for the text account`);
  }
  const filter = filterOf(opts);
  const timelineOf = timelineChoice(filter);
  // Each chosen flow's record (with its timeline) waits on disk, not in memory, until the
  // capture's end is known: explaining every flow of a large capture held them all (1.5 GB for 100 k).
  const spool = createIdSpool();
  let flows = 0;
  let captureEnd = '';
  let result: AnalysisResult;
  try {
    result = await analyzeWithProgress(files, {
      msl: opts.msl, stuckAfter: opts.stuckAfter, events: true, eventsKept: EXPLAIN_EVENTS, keepFlow: () => false,
      // Only the flows the filter can choose by their ids and tuple are explained: only they need a timeline.
      ...(timelineOf === undefined ? {} : { timelineOf }),
      onFlow: (f) => {
        flows++;
        if (f.end > captureEnd) captureEnd = f.end;
        if (matchesFilter(f, filter)) spool.add(f.id, JSON.stringify(f));
      },
      // Every flow is chosen without a filter: a record made as text goes to the spool as it is,
      // not parsed for onFlow and written again (each timeline's record, twice over, was a tenth of the run).
      ...(isFiltering(filter) ? {} : {
        flowText: (id: number, json: string) => {
          flows++;
          const end = endOfRecordText(json);
          if (end > captureEnd) captureEnd = end;
          spool.add(id, json);
        },
      }),
    }, opts);
  } catch (err) {
    spool.close();
    throw err;
  }
  try {
    for (const w of result.warnings) process.stderr.write(`synfin: warning: ${escapeControl(w)}\n`);
    if (flows === 0 && !isFiltering(filter)) {
      // Nothing went wrong: the capture simply holds no TCP (flows exits 0 on it too).
      const frames = result.summary.frames;
      writeOut(`No TCP connections in the capture (${frames} frame${frames === 1 ? '' : 's'}, none a TCP segment of a flow): nothing to explain.\n`);
      return;
    }
    if (spool.size === 0) {
      const why = isFiltering(filter) ? `no flow matches ${describeFilter(filter)}` : 'no TCP flows';
      throw new UsageError(`${why} (the capture has ${flows} flow${flows === 1 ? '' : 's'}; \`synfin flows\` lists them)`);
    }
    if (opts.svg === true) {
      // Diagrams are for a few flows: the chosen ones are read back whole.
      const chosen: FlowRecord[] = [];
      await spool.forEach((text) => { chosen.push(JSON.parse(text) as FlowRecord); });
      writeSvgs(chosen, opts.out, opts.states === true);
      return;
    }
    // Waits still going on are measured to the capture's last frame, as the anomaly detectors measure them.
    const width = process.stdout.isTTY === true ? Math.max(60, Math.min(process.stdout.columns ?? 100, 120)) : 100;
    const options = { all: opts.all === true, painter: stdoutPainter(opts), captureEnd, msl: opts.msl, width };
    let first = true;
    await spool.forEach((text) => {
      // formatExplainAll's separator between two flows.
      const shown = formatExplain(JSON.parse(text) as FlowRecord, options);
      const written = writeOut(first ? shown : `\n${shown}`);
      first = false;
      return written ? undefined : drained(process.stdout);
    });
  } finally {
    spool.close();
  }
}

/** Adds `explain` to the program. */
export function registerExplain(program: Command): void {
  const cmd = program.command('explain')
    .description('each connection frame by frame (tcpdump\'s numbers, both endpoints\' states) and in plain words, citing frames')
    .argument('<file...>', 'pcap, pcapng or .gz captures (merged by timestamp); - reads standard input')
    .option('--all', `show every frame (by default runs of more than 6 plain data-transfer frames fold into one line)`)
    .option('--msl <seconds>', 'maximum segment lifetime; TIME_WAIT lasts 2 MSL', seconds('--msl'), 30)
    .option('--stuck-after <seconds>', 'report CLOSE_WAIT / FIN_WAIT_2 waits longer than this', seconds('--stuck-after'), 5)
    .option('--svg', 'draw each chosen flow as an SVG ladder diagram (one flow to standard output, or one file per flow with --out)')
    .option('--states', "with --svg: draw RFC 9293's state diagram with the path each endpoint took instead of the ladder")
    .option('--out <dir>', 'with --svg: write flow-N.svg files into this directory');
  addFilterOptions(cmd);
  addDisplayOptions(cmd);
  cmd.addHelpText('after', `
Without a filter every flow is explained. Filters combine like tcpdump's
\`host H and port P\`; no flow matching is an error (exit 2).

Examples:
  synfin explain captures/stuck-close-wait.pcap
  synfin explain --flow 4 capture.pcap
  synfin explain --host 10.99.0.2 --port 9505 capture.pcap
  synfin explain --anomaly last-ack-lost --all capture.pcap | less -R
  synfin explain --flow 1 --svg captures/lost-final-ack.pcap > flow.svg
  synfin explain --svg --out diagrams/ capture.pcap`)
    .action(runExplain);
}
