/** `synfin flows`: one line (or record) per connection. */

import { type Command, InvalidArgumentError, Option } from 'commander';
import { analyzeFiles, type AnalyzeOptions } from '../analyze.ts';
import { formatJson, formatNdjsonFlow } from '../report/json.ts';
import { formatText } from '../report/text.ts';
import { formatZeek } from '../report/zeek-flows.ts';
import { formatCsv } from '../report/csv.ts';
import { out, seconds } from './common.ts';

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

/** Adds `flows` to the program. */
export function registerFlows(program: Command): void {
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
}
