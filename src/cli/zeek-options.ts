/**
 * The options that change the Zeek rows (docs/zeek.md, "Options"):
 * `--zeek-ports`, `--zeek-checksums` and `--zeek-timer NAME=SECONDS`, each
 * defaulting to what a `zeek -C -r` run with the base scripts does.
 */

import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_ZEEK_CONFIG } from '../zeek/config.ts';
import type { ZeekConfig } from '../zeek/types.ts';

/** Zeek's names for the timers synfin models, and the ZeekConfig field each sets. */
const TIMERS: Readonly<Record<string, keyof ZeekConfig>> = {
  tcp_attempt_delay: 'attemptDelay',
  tcp_close_delay: 'closeDelay',
  tcp_connection_linger: 'connectionLinger',
  tcp_SYN_timeout: 'synTimeout',
  tcp_session_timer: 'sessionTimer',
  tcp_inactivity_timeout: 'inactivityTimeout',
  udp_inactivity_timeout: 'udpInactivityTimeout',
};

/** What the three options hold once parsed. */
export interface ZeekCliOptions {
  zeekPorts?: ReadonlySet<number>;
  zeekChecksums?: 'ignore' | 'verify';
  zeekTimer?: Readonly<Record<string, number>>;
}

/** `--zeek-ports 80,443,8000-8010` (or `none`): the likely server ports, replacing Zeek's default set. */
export function parseZeekPorts(v: string): ReadonlySet<number> {
  const ports = new Set<number>();
  if (v.trim() === 'none') return ports;
  for (const part of v.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    const lo = Number(m?.[1]);
    const hi = m?.[2] === undefined ? lo : Number(m[2]);
    if (m === null || lo > 65535 || hi > 65535 || hi < lo) {
      throw new InvalidArgumentError(`--zeek-ports takes ports and ranges separated by commas (80,443,6666-6669) or 'none', got '${v}'`);
    }
    for (let p = lo; p <= hi; p++) ports.add(p);
  }
  return ports;
}

/** `--zeek-timer NAME=SECONDS`, repeatable. */
function timerSetting(v: string, previous: Readonly<Record<string, number>> | undefined): Record<string, number> {
  const m = /^([A-Za-z_]+)=(.+)$/.exec(v);
  const name = m?.[1] ?? '';
  const value = Number(m?.[2]);
  if (m === null || TIMERS[name] === undefined) {
    throw new InvalidArgumentError(`--zeek-timer takes NAME=SECONDS with NAME one of ${Object.keys(TIMERS).join(', ')}, got '${v}'`);
  }
  if (!Number.isFinite(value) || value < 0 || (name === 'tcp_session_timer' && value === 0)) {
    throw new InvalidArgumentError(`--zeek-timer ${name} takes a number of seconds${name === 'tcp_session_timer' ? ' above 0' : ''}, got '${m[2]}'`);
  }
  return { ...previous, [name]: value };
}

/** Adds the Zeek options to a command. */
export function addZeekOptions(cmd: Command): Command {
  return cmd
    .option('--zeek-ports <list>', 'likely server ports for the Zeek view\'s flip at creation, replacing Zeek\'s default set (docs/zeek.md): 80,443,6666-6669 or none', parseZeekPorts)
    .addOption(new Option('--zeek-checksums <mode>', 'Zeek view: ignore checksums (as zeek -C), or verify them as plain zeek -r does (a bad one adds C/c and drops the packet)').choices(['ignore', 'verify']).default('ignore'))
    .option('--zeek-timer <name=seconds>', `a Zeek timer for the Zeek view's row boundaries, repeatable: ${Object.keys(TIMERS).join(', ')} (Zeek's defaults: 5, 5, 5, 5, 6, 300, 60)`, timerSetting);
}

/** The ZeekConfig the options describe (DEFAULT_ZEEK_CONFIG where none is given). */
export function zeekConfigOf(opts: ZeekCliOptions): ZeekConfig {
  const config: Record<string, unknown> = { ...DEFAULT_ZEEK_CONFIG };
  if (opts.zeekPorts !== undefined) config.likelyServerPorts = opts.zeekPorts;
  if (opts.zeekChecksums !== undefined) config.checksums = opts.zeekChecksums;
  for (const [name, value] of Object.entries(opts.zeekTimer ?? {})) config[TIMERS[name]!] = value;
  return config as unknown as ZeekConfig;
}
