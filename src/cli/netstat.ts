/** `synfin netstat`: the sockets each host held at a moment of the capture, as `netstat -ant` lists them. */

import { type Command, InvalidArgumentError } from 'commander';
import {
  captureDigits, captureSpan, FrameClock, formatNetstat, formatOverTimeStreamed, formatSummary, overTimeMoments, parseMoment, slimForNetstat,
  socketsAtStreamed, TupleCensus, type FlowSource, type NetstatFlow, type Moment, type SocketFilter,
} from '../report/netstat.ts';
import { createIdSpool } from '../spool/id-spool.ts';
import { compareStamps, nsBetween, secondsFixed, type Stamp } from '../report/text.ts';
import { escapeControl } from '../report/escape.ts';
import { matchesFilter } from '../report/text.ts';
import { out, seconds, UsageError } from './common.ts';
import { addDisplayOptions, addFilterOptions, analyzeWithProgress, filterOf, inputOf, stdoutPainter, type DisplayOptions, type FilterOptions } from './options.ts';
import { addCaptureOption, type CaptureOptions } from './capture.ts';

interface NetstatOptions extends FilterOptions, DisplayOptions, CaptureOptions {
  at?: string;
  summary?: boolean;
  overTime?: boolean | number | string;
  msl: number;
  stuckAfter: number;
}

/** Most moments --over-time prints: a typo like `--over-time 0.000001` must not print millions of rows. */
const MAX_STEPS = 10_000;

/**
 * `--over-time [interval]`: an optional value swallows the next word, so
 * `--over-time capture.pcap` hands over the file; anything not a number is
 * given back to the file list.
 */
function interval(v: string): number | string {
  if (!/^[\d.]+s?$/.test(v)) return v;
  const n = Number(v.replace(/s$/, ''));
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`--over-time takes an interval in seconds, got '${v}'`);
  return n;
}

async function runNetstat(words: string[], opts: NetstatOptions): Promise<void> {
  if (typeof opts.overTime === 'string') {
    words.unshift(opts.overTime);
    opts.overTime = true;
  }
  const { files, capture } = inputOf(words, opts, 'netstat');
  // --state picks sockets by their state at the moment; the other filters pick flows.
  const { state, host, port, ...flowOnly } = filterOf(opts);
  // Each listed flow waits on disk as its changes of state (slimForNetstat), in id order, and
  // its frames' times in a FrameClock (on disk too): holding the records held 600 MB for 34 k flows.
  const spool = createIdSpool();
  const clock = new FrameClock();
  // Taken here, as the records are at hand, rather than by a read of the spool that parses every flow.
  const census = new TupleCensus();
  try {
    // The lowest-id flow's fraction digits, of all flows and of the listed ones (captureDigits reads the first flow).
    let firstAll: { id: number; digits: number } | undefined;
    let firstListed: { id: number; digits: number } | undefined;
    let start: Stamp | undefined;
    let end: Stamp | undefined;
    let listedStart: Stamp | undefined;
    const result = await analyzeWithProgress(files, {
      msl: opts.msl, stuckAfter: opts.stuckAfter, events: true, eventFrames: 'states', keepFlow: () => false,
      onFlow: (f) => {
        const span = captureSpan([f])!;
        if (firstAll === undefined || f.id < firstAll.id) firstAll = { id: f.id, digits: captureDigits([f]) };
        if (start === undefined || compareStamps(span.start, start) < 0) start = span.start;
        if (end === undefined || compareStamps(span.end, end) > 0) end = span.end;
        if (!matchesFilter(f, flowOnly)) return;
        if (firstListed === undefined || f.id < firstListed.id) firstListed = { id: f.id, digits: captureDigits([f]) };
        if (listedStart === undefined || compareStamps(span.start, listedStart) < 0) listedStart = span.start;
        // Every flow of a `states` analysis has its frames' times.
        clock.addFrameTimes(f.frame_times ?? []);
        census.note(f);
        spool.add(f.id, JSON.stringify(slimForNetstat(f)));
      },
    }, opts, capture);
    for (const w of result.warnings) process.stderr.write(`synfin: warning: ${escapeControl(w)}\n`);
    if (start === undefined || end === undefined || firstAll === undefined) {
      // Nothing went wrong: the capture simply holds no TCP (flows exits 0 on it too).
      out(`No TCP connections in the capture (${result.summary.frames} frame${result.summary.frames === 1 ? '' : 's'}, none a TCP segment of a flow): no sockets to list.\n`);
      return;
    }
    const span = { start, end };
    const flows: FlowSource = (visit) => spool.forEach((text) => { visit(JSON.parse(text) as NetstatFlow); });
    const socketFilter: SocketFilter = {
      ...(host === undefined ? {} : { host }), ...(port === undefined ? {} : { port }), ...(state === undefined ? {} : { state }),
    };
    const common = { painter: stdoutPainter(opts), filter: socketFilter, start: span.start, digits: firstAll.digits, msl: opts.msl };
    // What socketsAt took from the listed flows themselves.
    const listed = { msl: opts.msl, clock, census, start: listedStart, digits: firstListed?.digits ?? common.digits };
    if (opts.overTime !== undefined && opts.overTime !== false) {
      const moments = overTimeMoments(span.start, span.end, typeof opts.overTime === 'number' ? opts.overTime : undefined);
      if (moments.length > MAX_STEPS) throw new UsageError(`--over-time ${opts.overTime} gives ${moments.length} steps over this capture; use a longer interval (at most ${MAX_STEPS} steps)`);
      out(await formatOverTimeStreamed(flows, moments, { ...common, clock, census }));
      return;
    }
    let moment: Moment = { kind: 'time', at: span.end };
    if (opts.at !== undefined) {
      const m = parseMoment(opts.at, span.start);
      if (m === undefined) throw new UsageError(`--at takes an ISO time (2026-11-26T02:12:12.19Z), seconds since the first frame (1.5), or frame:N; got '${opts.at}'`);
      refuseOutside(m, span, result.summary.frames, firstAll.digits);
      moment = m;
    }
    const snapshot = await socketsAtStreamed(flows, moment, listed);
    out(opts.summary === true ? formatSummary(snapshot, common) : formatNetstat(snapshot, common));
  } finally {
    spool.close();
    clock.close();
  }
}

/**
 * A moment outside the capture is refused: frame:999 of 38 frames silently
 * meant frame 38, and a time before the first frame printed empty tables.
 */
function refuseOutside(m: Moment, span: { start: Stamp; end: Stamp }, frames: number, digits: number): void {
  const iso = (s: Stamp): string => `${new Date(s.sec * 1000).toISOString().slice(0, 19)}${digits > 0 ? `.${String(s.nsec).padStart(9, '0').slice(0, digits)}` : ''}Z`;
  if (m.kind === 'frame') {
    if (m.frame < 1 || m.frame > frames) throw new UsageError(`--at frame:${m.frame} is outside the capture: it has frames 1-${frames}`);
    return;
  }
  if (compareStamps(m.at, span.start) < 0 || compareStamps(m.at, span.end) > 0) {
    throw new UsageError(`--at ${iso(m.at)} is outside the capture: its TCP frames run from ${iso(span.start)} to ${iso(span.end)} (0 to ${secondsFixed(nsBetween(span.start, span.end), digits)} s into it)`);
  }
}

/** Adds `netstat` to the program. */
export function registerNetstat(program: Command): void {
  const cmd = program.command('netstat')
    .description('the sockets each host held at a moment, as `netstat -ant` would have listed them')
    // Optional here only so that `--over-time FILE` can give the file back (see interval()); runNetstat requires one.
    .argument('[file...]', 'pcap, pcapng or .gz captures (merged by timestamp); - reads standard input; with -i, a tcpdump filter')
    .option('--at <time>', 'the moment, within the capture: ISO time, seconds since the first frame, or frame:N (default: the last frame)')
    .option('--summary', 'count sockets per state on each host, like `ss -s`')
    .option('--over-time [interval]', 'count sockets per state every INTERVAL seconds (default: 10 steps over the capture)', interval)
    .option('--msl <seconds>', 'maximum segment lifetime; TIME_WAIT lasts 2 MSL', seconds('--msl'), 30)
    .option('--stuck-after <seconds>', 'report CLOSE_WAIT / FIN_WAIT_2 waits longer than this', seconds('--stuck-after'), 5);
  addCaptureOption(cmd);
  addFilterOptions(cmd, {
    host: 'only this host\'s table',
    port: 'only sockets with this local or foreign port',
    state: 'only sockets in this state at the moment (RFC, netstat or ss spelling)',
  });
  addDisplayOptions(cmd);
  cmd.addHelpText('after', `
--host picks one host's table; --port and --state pick sockets; --kind,
--anomaly and --flow pick the flows they come from.

Examples:
  synfin netstat captures/stuck-close-wait.pcap                 # at the last frame
  synfin netstat --at frame:9 --host 10.99.0.2 capture.pcap
  synfin netstat --at 2026-11-26T02:12:12.2Z capture.pcap
  synfin netstat --summary --at 30 capture.pcap                  # 30 s into the capture
  synfin netstat --over-time 1 --state TIME_WAIT capture.pcap`)
    .action(runNetstat);
}
