/**
 * Capturing: `synfin flows -i IFACE [filter...]` runs tcpdump itself
 * (`tcpdump -i IFACE -B 32768 -U --immediate-mode -w - [filter...]`) and reads what it
 * writes, live, as `tcpdump ... -w - | synfin flows -` would. Ctrl-C stops
 * tcpdump (which writes out what it holds and exits), and the analysis ends
 * at its end of file. Every command that captures (flows, netstat, report,
 * and `synfin record`, which has tcpdump write a file: startCaptureToFile)
 * goes through here.
 */

import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { UsageError } from './common.ts';

/** What the capture option parses to. */
export interface CaptureOptions {
  /** -i: the interface tcpdump captures on; the command's words are then its filter. */
  interface?: string;
}

/** Adds `-i, --interface`. */
export function addCaptureOption(cmd: Command): Command {
  return cmd.option('-i, --interface <iface>', 'capture live on this interface with tcpdump (needs root or CAP_NET_RAW); the words after the options are then a tcpdump filter, not files; Ctrl-C stops');
}

/** A tcpdump running for us. */
export interface LiveCapture {
  /** The capture's bytes (pcap), as tcpdump writes them. */
  readonly stdout: Readable;
  /** Asks tcpdump to stop (SIGINT: it writes out what it holds and exits 0). */
  stop(): void;
  /** Resolves when tcpdump has exited; rejects with a UsageError when it could not capture. */
  readonly done: Promise<void>;
}

/** A tcpdump writing a capture file for us (`synfin record`). */
export interface FileCapture {
  /** Resolves once tcpdump says "listening on": packets from then on are captured. Rejects as `done` does if it exits first. */
  readonly ready: Promise<void>;
  /** Asks tcpdump to stop (SIGINT: it writes out what it holds and exits 0). */
  stop(): void;
  /** Resolves when tcpdump has exited, its file complete; rejects with a UsageError when it could not capture. */
  readonly done: Promise<void>;
}

/**
 * tcpdump's capture buffer, in KiB (-B). The kernel's ring holds packets until
 * tcpdump reads them; libpcap's default, 2 MiB, is cut into frames as large as
 * the interface's MTU allows, so on lo (MTU 65536) it holds 16 packets: a burst
 * of connections while tcpdump waits for a busy CPU is "dropped by kernel".
 * 32 MiB holds 256 on lo, some 16,000 on an Ethernet interface.
 */
export const CAPTURE_BUFFER_KIB = 32768;

/**
 * The tcpdump command line for an interface and a filter (the filter's words
 * are passed on as they are), writing to `file` (default `-`, standard output).
 */
export function tcpdumpArgs(iface: string, filter: readonly string[], file = '-'): string[] {
  return ['-i', iface, '-B', String(CAPTURE_BUFFER_KIB), '-U', '--immediate-mode', '-w', file, ...filter];
}

/** The program run: `tcpdump` on PATH, or SYNFIN_TCPDUMP (tests point it at a program that is not there). */
function tcpdumpProgram(): string {
  return process.env['SYNFIN_TCPDUMP'] ?? 'tcpdump';
}

/**
 * Starts tcpdump on `iface`. Its standard error is held: a failure (no such
 * interface, no permission, a bad filter) becomes one UsageError line, and
 * with `echo` its lines from "listening on…" to "N packets captured" are
 * passed on, as tcpdump shows them.
 */
export async function startCapture(iface: string, filter: readonly string[], echo: boolean): Promise<LiveCapture> {
  const { child, stop, done } = await launch(iface, tcpdumpArgs(iface, filter), echo, 'pipe');
  return { stdout: child.stdout, stop, done };
}

/**
 * Starts tcpdump on `iface`, writing `file` (`-U --immediate-mode`: each
 * packet as it comes, so a stop loses nothing). Errors as startCapture's.
 */
export async function startCaptureToFile(iface: string, filter: readonly string[], file: string, echo: boolean): Promise<FileCapture> {
  // In its own process group: a Ctrl-C at the terminal is for the recorded command, and must not end the capture before it.
  const { stop, done, ready } = await launch(iface, tcpdumpArgs(iface, filter, file), echo, 'ignore', true);
  // Nor may it outlive synfin when something ends synfin first.
  process.once('exit', stop);
  void done.finally(() => process.off('exit', stop)).catch(() => undefined);
  return { stop, done, ready };
}

async function launch(iface: string, args: string[], echo: boolean, stdout: 'pipe' | 'ignore', detached = false) {
  // Loaded here, not at start-up: only capturing needs it (it costs every run ~15 ms).
  const { spawn } = await import('node:child_process');
  const program = tcpdumpProgram();
  let child: ChildProcessByStdio<null, Readable, Readable>;
  try {
    child = spawn(program, args, { stdio: ['ignore', stdout, 'pipe'], detached }) as ChildProcessByStdio<null, Readable, Readable>;
  } catch (err) {
    throw missing(program, err);
  }
  let stderr = '';
  let listening = false;
  let heard = (): void => undefined;
  const heardListening = new Promise<void>((resolve) => { heard = resolve; });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    stderr += s;
    // Passed on once capturing began ("listening on…", then the counts at the end); a failure before it becomes our one line.
    if (!listening && /^tcpdump: listening on /m.test(stderr)) {
      listening = true;
      heard();
      if (echo) process.stderr.write(stderr);
    } else if (listening && echo) process.stderr.write(s);
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (err) => reject(missing(program, err)));
    child.on('close', (code, signal) => {
      if (code === 0 || signal === 'SIGINT' || signal === 'SIGTERM') { resolve(); return; }
      const lines = stderr.trim().split('\n').filter((l) => l !== '' && !/listening on |packets? (captured|received|dropped)/.test(l));
      const said = lines.find((l) => l.startsWith('tcpdump: ')) ?? lines.pop() ?? '';
      const hint = /permission|not permitted/i.test(said) ? ' (capturing needs root or CAP_NET_RAW: run as root, or `setcap cap_net_raw,cap_net_admin=eip $(command -v tcpdump)`)' : '';
      reject(new UsageError(`tcpdump could not capture on ${iface}: ${said.replace(/^tcpdump: /, '') || `it exited with status ${code ?? signal}`}${hint}`));
    });
  });
  // Whoever awaits `done` sees the failure; nothing is left unhandled meanwhile.
  done.catch(() => undefined);
  // tcpdump that exits before listening (a bad filter, no permission) settles `ready` with its failure.
  const ready = Promise.race([heardListening, done.then(() => {
    if (!listening) throw new UsageError(`tcpdump exited before capturing on ${iface}`);
  })]);
  ready.catch(() => undefined);
  return {
    child,
    stop: (): void => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT'); },
    done,
    ready,
  };
}

function missing(program: string, err: unknown): UsageError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new UsageError(`-i needs tcpdump, and ${program} is not installed or not on PATH (Debian: apt-get install tcpdump); or pipe a capture in: tcpdump -U --immediate-mode -w - | synfin flows -`);
  return new UsageError(`cannot run ${program}: ${(err as Error | undefined)?.message ?? String(err)}`);
}
