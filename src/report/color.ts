/**
 * Colour for people reading a terminal, never for files, pipes or goldens.
 * Reports take a Painter; with colour off every paint function returns its
 * text unchanged, so the plain output is byte for byte what it was before
 * colour existed.
 */

import type { Severity } from '../tcp/anomalies/registry.ts';
import type { TcpState } from '../tcp/transitions.ts';

/** `--color` values, as ls and git spell them. */
export const COLOR_MODES = ['auto', 'never', 'always'] as const;

/** When to colour: `auto` means "stdout is a terminal and NO_COLOR is unset". */
export type ColorMode = (typeof COLOR_MODES)[number];

/** Wraps text in one style. */
export type Paint = (text: string) => string;

/** The styles reports use, by meaning rather than by colour. */
export interface Painter {
  readonly enabled: boolean;
  /** Column headers and section titles. */
  readonly heading: Paint;
  /** Secondary text: folded runs, units, the "-" of an empty cell. */
  readonly dim: Paint;
  /** A state that changed on this frame. */
  readonly changed: Paint;
  readonly good: Paint;
  readonly warn: Paint;
  readonly bad: Paint;
  readonly info: Paint;
}

const plain: Paint = (s) => s;

/** A painter that leaves every text as it is. */
export const PLAIN: Painter = {
  enabled: false, heading: plain, dim: plain, changed: plain, good: plain, warn: plain, bad: plain, info: plain,
};

function sgr(open: string): Paint {
  // Reset only what was set (22 ends bold/dim, 39 the foreground), so styles nest.
  const close = open === '1' || open === '2' ? '22' : '39';
  return (s) => (s === '' ? s : `\x1b[${open}m${s}\x1b[${close}m`);
}

/** ANSI SGR colours: the 8 basic ones every terminal has. */
export const ANSI: Painter = {
  enabled: true,
  heading: sgr('1'),
  dim: sgr('2'),
  changed: (s) => sgr('1')(sgr('36')(s)),
  good: sgr('32'),
  warn: sgr('33'),
  bad: sgr('31'),
  info: sgr('36'),
};

/**
 * Decides whether to colour. `always` and `never` are the user's word (a flag
 * outranks NO_COLOR, as no-color.org asks); `auto` colours only a terminal,
 * and not when NO_COLOR is set to anything non-empty or TERM is `dumb`.
 */
export function useColor(mode: ColorMode, stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  if (stream.isTTY !== true) return false;
  if ((env.NO_COLOR ?? '') !== '') return false;
  return env.TERM !== 'dumb';
}

/** The painter for a decision made by {@link useColor}. */
export function painter(enabled: boolean): Painter {
  return enabled ? ANSI : PLAIN;
}

/** The paint for a finding's severity. */
export function severityPaint(p: Painter, severity: Severity | undefined): Paint {
  return severity === 'error' ? p.bad : severity === 'warning' ? p.warn : severity === 'info' ? p.info : plain;
}

/** The paint for an endpoint state: settled states plain, waits that can get stuck in yellow. */
export function statePaint(p: Painter, state: TcpState): Paint {
  switch (state) {
    case 'CLOSE_WAIT': case 'FIN_WAIT_2': case 'SYN_RECEIVED': case 'SYN_SENT': case 'LAST_ACK': case 'CLOSING': return p.warn;
    case 'UNKNOWN': return p.dim;
    default: return plain;
  }
}

/** Removes SGR escapes: what a cell looks like on screen, for measuring widths. */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}
