/**
 * Reads the `ss -tanoi` snapshots record.sh saves next to each kernel capture
 * (captures/NAME.ss.txt): the kernel's own word on every socket's state at the
 * end of the scenario, which synfin's final states are checked against.
 */

import { readFileSync } from 'node:fs';

/** One connection socket ss listed. */
export interface SsSocket {
  /** `client` or `server`: the namespace it was listed in. */
  readonly host: string;
  /** RFC 9293 name (ss's `TIME-WAIT` → `TIME_WAIT`, `ESTAB` → `ESTABLISHED`, `SYN-RECV` → `SYN_RECEIVED`). */
  readonly state: string;
  readonly local: string;
  readonly peer: string;
}

const SS_TO_RFC: Record<string, string> = {
  ESTAB: 'ESTABLISHED', 'SYN-SENT': 'SYN_SENT', 'SYN-RECV': 'SYN_RECEIVED', 'FIN-WAIT-1': 'FIN_WAIT_1',
  'FIN-WAIT-2': 'FIN_WAIT_2', 'TIME-WAIT': 'TIME_WAIT', 'CLOSE-WAIT': 'CLOSE_WAIT', 'LAST-ACK': 'LAST_ACK',
  CLOSING: 'CLOSING',
};

/** The connection sockets (not listeners) in an ss snapshot. */
export function readSs(path: string): SsSocket[] {
  const out: SsSocket[] = [];
  let host = '';
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const h = /^# (\w+)/.exec(line);
    if (h !== null) { host = h[1] ?? ''; continue; }
    const cols = line.trim().split(/\s+/);
    const state = SS_TO_RFC[cols[0] ?? ''];
    if (state === undefined || cols.length < 5) continue;
    out.push({ host, state, local: cols[3] ?? '', peer: cols[4] ?? '' });
  }
  return out;
}

/** `addr:port` as ss prints it (IPv6 in brackets). */
export function ssAddr(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}
