/**
 * What the commands that analyse a capture share, so flows, explain,
 * netstat, report and diff spell their options the same way: the flow
 * filters, --color and --quiet, --jobs, how the words naming the input
 * become files or a live capture, and the analysis with its progress line.
 */

import { type Command, InvalidArgumentError, Option } from 'commander';
import { analyzeFiles, type AnalysisResult, type AnalyzeOptions } from '../analyze.ts';
import { COLOR_MODES, painter, useColor, type ColorMode, type Painter } from '../report/color.ts';
import { CLOSE_KINDS, HANDSHAKE_KINDS } from '../report/fail-on.ts';
import { createProgress, inputSize } from '../report/progress.ts';
import { canonicalAddr } from '../decode/address.ts';
import { parseStateName, type FlowFilter } from '../report/text.ts';
import type { TcpState } from '../tcp/transitions.ts';
import type { TimelineChoice } from '../tcp/types.ts';
import { startCapture, type CaptureOptions } from './capture.ts';
import { UsageError } from './common.ts';
import { interruptSignal } from './interrupt.ts';

/** Handshake and close kinds (docs/design.md), the values `--kind` takes. */
export const KINDS = [...HANDSHAKE_KINDS, ...CLOSE_KINDS] as const;

/** What the filter options parse to. */
export interface FilterOptions {
  host?: string;
  port?: number;
  state?: TcpState;
  kind?: string;
  anomaly?: string;
  flow?: number[];
  via?: string;
}

function port(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new InvalidArgumentError(`--port takes a port number 0-65535, got '${v}'`);
  return n;
}

function state(v: string): TcpState {
  const s = parseStateName(v);
  if (s === undefined) throw new InvalidArgumentError(`--state takes a TCP state (ESTABLISHED, CLOSE_WAIT, TIME_WAIT, FIN_WAIT2…), got '${v}'`);
  return s;
}

function flowIds(v: string, previous: number[] | undefined): number[] {
  const ids = v.split(',').map((x) => x.trim());
  if (ids.some((x) => !/^\d+$/.test(x) || Number(x) < 1)) throw new InvalidArgumentError(`--flow takes flow ids (1, 2… or 2,5), got '${v}'`);
  return [...(previous ?? []), ...ids.map(Number)];
}

/** Help texts of the filters a command reads its own way (netstat: --host picks a host's table). */
export interface FilterHelp {
  readonly host?: string;
  readonly port?: string;
  readonly state?: string;
}

/** Adds --host --port --state --kind --anomaly --flow. */
export function addFilterOptions(cmd: Command, help: FilterHelp = {}): Command {
  return cmd
    .option('--host <addr>', help.host ?? 'only flows with this address at either end')
    .option('--port <port>', help.port ?? 'only flows with this port at either end', port)
    .option('--state <state>', help.state ?? "only flows where either side's final state is this (RFC, netstat or ss spelling)", state)
    .addOption(new Option('--kind <kind>', 'only flows whose handshake or close is of this kind').choices(KINDS))
    .option('--anomaly <code>', 'only flows with this anomaly code (e.g. stuck-close-wait)')
    .option('--flow <ids>', 'only these flow ids (comma list, or repeat the option)', flowIds)
    .option('--via <name>', 'only flows that came through this encapsulation (MPLS, GRE, VXLAN, … see docs/formats.md)');
}

/** The filter the options describe. */
export function filterOf(o: FilterOptions): FlowFilter {
  return {
    ...(o.host === undefined ? {} : { host: o.host }),
    ...(o.port === undefined ? {} : { port: o.port }),
    ...(o.state === undefined ? {} : { state: o.state }),
    ...(o.kind === undefined ? {} : { kind: o.kind }),
    ...(o.anomaly === undefined ? {} : { anomaly: o.anomaly }),
    ...(o.flow === undefined ? {} : { flow: o.flow }),
    ...(o.via === undefined ? {} : { via: o.via }),
  };
}

/**
 * What of the filter a flow's id and tuple decide when it begins
 * (LifecycleOptions.timelineOf): only those flows need a timeline, when the
 * output shows only the flows the filter picks (explain, flows --events).
 * Undefined when the filter decides nothing by them.
 */
export function timelineChoice(filter: FlowFilter): TimelineChoice | undefined {
  if (filter.flow === undefined && filter.host === undefined && filter.port === undefined) return undefined;
  return {
    ...(filter.flow === undefined ? {} : { ids: filter.flow }),
    ...(filter.host === undefined ? {} : { host: canonicalAddr(filter.host) }),
    ...(filter.port === undefined ? {} : { port: filter.port }),
  };
}

/** What the display options parse to. */
export interface DisplayOptions {
  color: ColorMode;
  quiet?: boolean;
  /** --jobs: threads that replay flows (AnalyzeOptions.jobs); default 'auto'. */
  jobs?: number;
}

/** Adds --color, --quiet and --jobs. */
export function addDisplayOptions(cmd: Command): Command {
  return addJobsOption(cmd
    .addOption(new Option('--color <when>', 'colour the text output: auto (a terminal, unless NO_COLOR is set), never, always').choices(COLOR_MODES).default('auto'))
    .option('-q, --quiet', 'no progress bar on standard error'));
}

/** Adds --jobs. */
export function addJobsOption(cmd: Command): Command {
  return cmd.option('-j, --jobs <n>', 'worker threads that replay flows; the output is the same for any n (default: one per core but the reading thread\'s, on 3 or more cores, for a capture file of 32 MB or more; else 1)', jobCount);
}

function jobCount(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError(`--jobs takes a whole number from 1 to 256, got '${v}'`);
  return n;
}

/** The painter for standard output under `--color`. */
export function stdoutPainter(o: DisplayOptions): Painter {
  return painter(useColor(o.color, process.stdout));
}

/** `-i IFACE [filter...]`: what to capture (capture.ts). */
export interface CaptureRequest {
  readonly iface: string;
  readonly filter: readonly string[];
}

/** The files a command reads, and the capture it runs instead when given -i (the words are then its filter). */
export function inputOf(words: readonly string[], o: CaptureOptions, command: string): { files: string[]; capture?: CaptureRequest } {
  if (o.interface !== undefined) return { files: ['-'], capture: { iface: o.interface, filter: words } };
  if (words.length === 0) throw new UsageError(`${command}: missing capture file (or -i IFACE to capture live; run with --help for usage)`);
  return { files: [...words] };
}

/**
 * Runs tcpdump and analyses what it writes, live. Ctrl-C stops tcpdump, and
 * the analysis ends at its end of file with everything it wrote.
 */
async function analyzeCapture(capture: CaptureRequest, options: AnalyzeOptions, display: DisplayOptions): Promise<AnalysisResult> {
  const interrupt = interruptSignal();
  const live = await startCapture(capture.iface, capture.filter, display.quiet !== true);
  const stop = (): void => live.stop();
  interrupt.addEventListener('abort', stop, { once: true });
  try {
    const result = await analyzeFiles(['-'], { ...options, stdin: live.stdout });
    await live.done;
    return result;
  } catch (err) {
    // tcpdump's own failure (no permission, no such interface, a bad filter) explains an empty input best.
    live.stop();
    await live.done;
    throw err;
  } finally {
    interrupt.removeEventListener('abort', stop);
  }
}

/**
 * `-` with a terminal on standard input would wait silently for a capture
 * nobody is typing: refused, as `tcpdump -r -` refuses it.
 */
export function refuseTerminalStdin(files: readonly string[]): void {
  if (files.includes('-') && process.stdin.isTTY === true) {
    throw new UsageError("-: standard input is a terminal, but a capture is expected on standard input (pipe one in: tcpdump -U --immediate-mode -w - | synfin flows -; or name a file)");
  }
}

/**
 * Runs the analysis with a progress bar on standard error when that is a
 * terminal (and not --quiet), erased before anything is printed.
 */
export async function analyzeWithProgress(
  files: readonly string[], options: AnalyzeOptions, display: DisplayOptions, capture?: CaptureRequest,
): Promise<AnalysisResult> {
  if (capture !== undefined) return analyzeCapture(capture, options, display);
  refuseTerminalStdin(files);
  const quiet = display.quiet === true;
  const total = quiet || process.stderr.isTTY !== true ? undefined : await inputSize(files);
  const progress = createProgress({ stream: process.stderr, total, quiet });
  try {
    // Ctrl-C stops the reading; what was read is still analysed and printed (interrupt.ts).
    const signal = interruptSignal();
    const withJobs: AnalyzeOptions = { jobs: display.jobs ?? 'auto', ...options, signal };
    return await analyzeFiles(files, progress.active ? { ...withJobs, onProgress: progress.update } : withJobs);
  } finally {
    progress.done();
  }
}
