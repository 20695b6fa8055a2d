/**
 * `--format zeek`: a Zeek conn.log in Zeek's ASCII (TSV) format, so that
 * `zeek-cut` and every tool that reads Zeek logs can read synfin's output.
 *
 * Layout follows Zeek's ASCII writer (src/logging/writers/ascii/Ascii.cc,
 * `WriteHeader`, `CloseFile`) and value formatter
 * (src/threading/formatters/Ascii.cc, `Describe`); the columns are
 * `Conn::Info` of scripts/base/protocols/conn/main.zeek (Zeek 8.x, which ends
 * with `ip_proto`). Differences from a real Zeek run are in docs/zeek.md.
 */

import type { createHash as CreateHash } from 'node:crypto';
import { createRequire } from 'node:module';

import type { ZeekState } from '../zeek/types.ts';
import { zeekRows } from '../zeek/analyzer.ts';
import { IPPROTO_TCP } from '../decode/ipproto.ts';

/** One conn.log line: what synfin knows of a flow, in Zeek's terms. */
export interface ZeekRow {
  /** synfin's flow id; the `uid` is derived from it and `row` (see {@link zeekUid}). */
  readonly id: number;
  /** Which of the flow's Zeek rows this is (0 for the first). */
  readonly row: number;
  /** `ts`: epoch seconds of the connection's first packet (microseconds, as Zeek has them). */
  readonly ts: number;
  /** `id.orig_h`/`id.orig_p`: Zeek's originator, which may not be the first sender. */
  readonly origAddr: string;
  readonly origPort: number;
  readonly respAddr: string;
  readonly respPort: number;
  /**
   * `duration` in seconds. As main.zeek's `set_conn` does, `duration`,
   * `orig_bytes` and `resp_bytes` are printed unset (`-`) unless it is > 0.
   */
  readonly duration: number;
  /** `orig_bytes`/`resp_bytes`: Zeek's sequence-number sizes, not payload sums. */
  readonly origBytes: bigint | number;
  readonly respBytes: bigint | number;
  readonly connState: string;
  /** `missed_bytes`: bytes in content gaps (0 unless the caller measured them). */
  readonly missedBytes: number;
  /** `history`; printed unset when empty, as main.zeek leaves it then. */
  readonly history: string;
  readonly origPkts: number;
  readonly origIpBytes: number;
  readonly respPkts: number;
  readonly respIpBytes: number;
}

/** Options for {@link formatZeekConnLog}. */
export interface ZeekLogOptions {
  /**
   * Epoch seconds for `#open` and `#close`. Zeek writes the wall clock there;
   * synfin writes the capture's first and last packet times (in UTC) so
   * that two runs on one capture print the same bytes.
   */
  readonly open: number;
  readonly close: number;
  /** Mixed into every uid, e.g. the capture's file name, so flows of two captures differ. */
  readonly uidSeed?: string;
}

const SEPARATOR = '\t';
const UNSET = '-';

// Conn::Info's &log fields in declaration order; `id` expands to its four
// &log fields (in Zeek 8 conn_id's `proto` is not &log and `ctx` is empty).
const FIELDS: readonly (readonly [name: string, type: string])[] = [
  ['ts', 'time'],
  ['uid', 'string'],
  ['id.orig_h', 'addr'],
  ['id.orig_p', 'port'],
  ['id.resp_h', 'addr'],
  ['id.resp_p', 'port'],
  ['proto', 'enum'],
  ['service', 'string'],
  ['duration', 'interval'],
  ['orig_bytes', 'count'],
  ['resp_bytes', 'count'],
  ['conn_state', 'string'],
  ['local_orig', 'bool'],
  ['local_resp', 'bool'],
  ['missed_bytes', 'count'],
  ['history', 'string'],
  ['orig_pkts', 'count'],
  ['orig_ip_bytes', 'count'],
  ['resp_pkts', 'count'],
  ['resp_ip_bytes', 'count'],
  ['tunnel_parents', 'set[string]'],
  ['ip_proto', 'count'],
];

/** The `#fields` names of Zeek's conn.log, in order. */
export const ZEEK_CONN_FIELDS: readonly string[] = FIELDS.map(([name]) => name);

const BASE62 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Zeek's util::uitoa_n in base 62: least significant digit first (Zeek does
 * not reverse the digits, and its uids are defined by that output).
 */
function uitoa62(v: bigint): string {
  let out = '';
  do {
    out += BASE62[Number(v % 62n)];
    v /= 62n;
  } while (v > 0n);
  return out;
}

/**
 * A Zeek-shaped uid for flow `id`: "C" then the base-62 digits of a 32-bit
 * and a 64-bit word, as Zeek's UID::Base62 prints its 96 random bits (so at
 * most 18 characters, sometimes fewer). synfin's words are the first 12
 * bytes of SHA-256 over the seed and the flow id instead of random bits, so
 * the uid is the same on every run.
 */
export function zeekUid(id: number, seed = '', row = 0): string {
  // A flow's first row keeps the uid of a flow that is one row; later rows add their index.
  const digest = sha256().update(`synfin-uid\0${seed}\0${row === 0 ? id : `${id}.${row}`}`).digest();
  const high = BigInt(digest.readUInt32BE(0));
  const low = digest.readBigUInt64BE(4);
  return `C${uitoa62(high)}${uitoa62(low)}`;
}

/**
 * node:crypto, loaded on first use: loading it took 13 ms of every start,
 * and only `--format zeek` needs it.
 */
let createHash: typeof CreateHash | undefined;
function sha256(): ReturnType<typeof CreateHash> {
  createHash ??= (createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')).createHash;
  return createHash('sha256');
}

/**
 * A `time` or `interval` value as Zeek's log formatter writes it
 * (Formatter::Render -> modp_dtoa with precision 6): six decimals, rounded
 * the way modp_dtoa rounds, and `%e` notation above 2^31-1.
 */
export function formatZeekTime(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  const pow10 = 1_000_000;
  let neg = false;
  if (value < 0) {
    neg = true;
    value = -value;
  }
  if (value > 0x7fffffff) return formatExponent(neg ? -value : value);

  let whole = Math.trunc(value);
  const tmp = (value - whole) * pow10;
  let frac = Math.trunc(tmp);
  const diff = tmp - frac;
  if (diff > 0.5) {
    ++frac;
    // "handle rollover, e.g. case 0.99 with prec 1 is 1.0"
    if (frac >= pow10) {
      frac = 0;
      ++whole;
    }
  } else if (diff === 0.5 && (frac === 0 || frac & 1)) {
    // modp_dtoa rounds a half up when the digit is odd or 0 (and, as there,
    // without the rollover check).
    ++frac;
  }
  return `${neg ? '-' : ''}${whole}.${String(frac).padStart(6, '0')}`;
}

/** C's printf("%e"): six decimals and an exponent of at least two digits. */
function formatExponent(value: number): string {
  const [mantissa, exponent = '0'] = value.toExponential(6).split('e');
  const sign = exponent.startsWith('-') ? '-' : '+';
  const digits = exponent.replace(/^[+-]/, '').padStart(2, '0');
  return `${mantissa}e${sign}${digits}`;
}

/** `#open`/`#close` value: strftime("%Y-%m-%d-%H-%M-%S") of the whole second, in UTC. */
export function formatZeekLogDate(epochSeconds: number): string {
  const d = new Date(Math.trunc(epochSeconds) * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}`;
}

/** The conn.log lines Zeek would write for a flow whose Zeek state is `z`, oldest first. */
export function zeekRowsFromState(id: number, z: ZeekState): ZeekRow[] {
  return zeekRows(z).map((r, row) => ({
    id,
    row,
    ts: r.ts,
    origAddr: r.origAddr,
    origPort: r.origPort,
    respAddr: r.respAddr,
    respPort: r.respPort,
    duration: r.duration,
    origBytes: r.origBytes,
    respBytes: r.respBytes,
    connState: r.connState,
    missedBytes: r.missedBytes,
    history: r.history,
    origPkts: r.origPkts,
    origIpBytes: r.origIpBytes,
    respPkts: r.respPkts,
    respIpBytes: r.respIpBytes,
  }));
}

/** One conn.log row (no line end). */
export function formatZeekRow(row: ZeekRow, uidSeed: string): string {
  // set_conn(): "if ( c$duration > 0secs )" guards duration and both sizes.
  const timed = row.duration > 0;
  const values = [
    formatZeekTime(row.ts),
    zeekUid(row.id, uidSeed, row.row),
    row.origAddr,
    String(row.origPort),
    row.respAddr,
    String(row.respPort),
    'tcp',
    UNSET, // service: synfin does no protocol detection
    timed ? formatZeekTime(row.duration) : UNSET,
    timed ? String(row.origBytes) : UNSET,
    timed ? String(row.respBytes) : UNSET,
    row.connState,
    UNSET, // local_orig: unset while Site::local_nets is empty (the default)
    UNSET, // local_resp
    String(row.missedBytes),
    row.history === '' ? UNSET : row.history,
    String(row.origPkts),
    String(row.origIpBytes),
    String(row.respPkts),
    String(row.respIpBytes),
    UNSET, // tunnel_parents: synfin decodes no tunnels
    String(IPPROTO_TCP),
  ];
  return values.join(SEPARATOR);
}

/**
 * A whole conn.log: the header Zeek's ASCII writer writes, one line per row
 * sorted by `ts` (rows of equal ts in the order given), and `#close`.
 * No rows gives the empty string: Zeek creates no conn.log without a connection.
 */
export function formatZeekConnLog(rows: readonly ZeekRow[], opts: ZeekLogOptions): string {
  if (rows.length === 0) return '';
  const uidSeed = opts.uidSeed ?? '';
  const sorted = rows.map((row, i) => ({ row, i })).sort((a, b) => a.row.ts - b.row.ts || a.i - b.i).map(({ row }) => row);
  return `${zeekLogHead(opts.open)}${sorted.map((row) => `${formatZeekRow(row, uidSeed)}\n`).join('')}${zeekLogTail(opts.close)}`;
}

/** A conn.log's header lines, up to its first row (for a writer that holds rows elsewhere). */
export function zeekLogHead(open: number): string {
  const lines = [
    // WriteHeader: "Always use space as separator here."
    '#separator \\x09',
    `#set_separator${SEPARATOR},`,
    `#empty_field${SEPARATOR}(empty)`,
    `#unset_field${SEPARATOR}${UNSET}`,
    `#path${SEPARATOR}conn`,
    `#open${SEPARATOR}${formatZeekLogDate(open)}`,
    `#fields${SEPARATOR}${FIELDS.map(([name]) => name).join(SEPARATOR)}`,
    `#types${SEPARATOR}${FIELDS.map(([, type]) => type).join(SEPARATOR)}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** A conn.log's closing line. */
export function zeekLogTail(close: number): string {
  return `#close${SEPARATOR}${formatZeekLogDate(close)}\n`;
}
