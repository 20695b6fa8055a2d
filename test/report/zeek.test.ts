import { describe, expect, it } from 'vitest';

import type { Segment } from '../../src/decode/segment.ts';
import { ACK, FIN, PSH, SYN } from '../../src/decode/segment.ts';
import type { ZeekRow } from '../../src/report/zeek.ts';
import {
  ZEEK_CONN_FIELDS,
  formatZeekConnLog,
  formatZeekLogDate,
  formatZeekTime,
  zeekRowsFromState,
  zeekUid,
} from '../../src/report/zeek.ts';
import { createZeekState, updateZeek } from '../../src/zeek/analyzer.ts';

/**
 * What zeek-cut does: find the separator in `#separator`, the column names in
 * `#fields`, skip the other `#` lines, and print the asked columns of each row.
 */
function zeekCut(log: string, columns: readonly string[]): string[][] {
  let separator = '\t';
  let fields: string[] = [];
  const out: string[][] = [];
  for (const line of log.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#separator ')) {
      separator = line
        .slice('#separator '.length)
        .replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    } else if (line.startsWith(`#fields${separator}`)) {
      fields = line.split(separator).slice(1);
    } else if (!line.startsWith('#')) {
      const values = line.split(separator);
      out.push(columns.map((c) => values[fields.indexOf(c)] ?? ''));
    }
  }
  return out;
}

const START = 1_795_000_000; // 2026-11-18T11:06:40Z

const ROW: ZeekRow = {
  id: 1,
  row: 0,
  ts: START + 0.754092,
  origAddr: '127.0.0.1',
  origPort: 41116,
  respAddr: '127.0.0.1',
  respPort: 9502,
  duration: 0.05037,
  origBytes: 7n,
  respBytes: 18,
  connState: 'SF',
  missedBytes: 0,
  history: 'ShADadFf',
  origPkts: 6,
  origIpBytes: 379,
  respPkts: 5,
  respIpBytes: 350,
};

const OPTS = { open: START + 0.754092, close: START + 0.804462 };

describe('formatZeekConnLog', () => {
  const log = formatZeekConnLog([ROW], OPTS);
  const lines = log.split('\n');

  it('writes the header lines of Zeek ASCII writer', () => {
    expect(lines.slice(0, 8)).toEqual([
      '#separator \\x09',
      '#set_separator\t,',
      '#empty_field\t(empty)',
      '#unset_field\t-',
      '#path\tconn',
      '#open\t2026-11-18-11-06-40',
      '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto',
      '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tcount',
    ]);
    expect(lines.at(-2)).toBe('#close\t2026-11-18-11-06-40');
    expect(lines.at(-1)).toBe('');
  });

  it('writes one tab-separated row per flow with every column', () => {
    const row = lines[8] ?? '';
    const values = row.split('\t');
    expect(values).toHaveLength(ZEEK_CONN_FIELDS.length);
    expect(values).toEqual([
      '1795000000.754092',
      zeekUid(1),
      '127.0.0.1',
      '41116',
      '127.0.0.1',
      '9502',
      'tcp',
      '-',
      '0.050370',
      '7',
      '18',
      'SF',
      '-',
      '-',
      '0',
      'ShADadFf',
      '6',
      '379',
      '5',
      '350',
      '-',
      '6',
    ]);
  });

  it('can be read the way zeek-cut reads it', () => {
    const second: ZeekRow = { ...ROW, id: 2, origPort: 41118, connState: 'REJ', history: 'Sr' };
    const two = formatZeekConnLog([ROW, second], OPTS);
    expect(zeekCut(two, ['id.orig_p', 'conn_state', 'history', 'ip_proto'])).toEqual([
      ['41116', 'SF', 'ShADadFf', '6'],
      ['41118', 'REJ', 'Sr', '6'],
    ]);
  });

  it('leaves duration and byte counts unset when the duration is not positive', () => {
    const single = formatZeekConnLog([{ ...ROW, duration: 0, history: 'S', connState: 'S0' }], OPTS);
    expect(zeekCut(single, ['duration', 'orig_bytes', 'resp_bytes', 'conn_state'])).toEqual([['-', '-', '-', 'S0']]);
  });

  it('leaves an empty history unset', () => {
    expect(zeekCut(formatZeekConnLog([{ ...ROW, history: '' }], OPTS), ['history'])).toEqual([['-']]);
  });

  it('prints a uint64 byte count that overflowed in Zeek in full', () => {
    const huge = formatZeekConnLog([{ ...ROW, origBytes: 18446744073709551615n }], OPTS);
    expect(zeekCut(huge, ['orig_bytes'])).toEqual([['18446744073709551615']]);
  });

  it('writes nothing without connections, as Zeek creates no conn.log then', () => {
    expect(formatZeekConnLog([], OPTS)).toBe('');
  });

  it('is byte-stable: the same rows give the same text', () => {
    expect(formatZeekConnLog([ROW], OPTS)).toBe(log);
  });
});

describe('formatZeekTime (modp_dtoa, 6 decimals)', () => {
  it.each<[value: number, text: string]>([
    [START + 0.123456, '1795000000.123456'],
    [10.04836, '10.048360'],
    [3, '3.000000'],
    [0, '0.000000'],
    [0.9999996, '1.000000'], // rounds up into the whole part
    [0.0000004, '0.000000'],
    [2 ** 31, '2.147484e+09'], // above 2^31-1 modp_dtoa falls back to %e
  ])('%d -> %s', (value, text) => {
    expect(formatZeekTime(value)).toBe(text);
  });
});

describe('formatZeekLogDate', () => {
  it('formats the whole second as %Y-%m-%d-%H-%M-%S in UTC', () => {
    expect(formatZeekLogDate(START + 0.999)).toBe('2026-11-18-11-06-40');
    expect(formatZeekLogDate(0)).toBe('1970-01-01-00-00-00');
  });
});

describe('zeekUid', () => {
  it('looks like a Zeek uid and depends only on the flow id and seed', () => {
    const uid = zeekUid(1);
    expect(uid).toMatch(/^C[0-9a-zA-Z]{1,17}$/);
    expect(zeekUid(1)).toBe(uid);
    expect(zeekUid(2)).not.toBe(uid);
    expect(zeekUid(1, 'other.pcap')).not.toBe(uid);
  });

  it('is distinct across many flows', () => {
    const uids = new Set(Array.from({ length: 10_000 }, (_, i) => zeekUid(i + 1)));
    expect(uids.size).toBe(10_000);
  });
});

describe('zeekRowsFromState', () => {
  it('maps a replayed connection to the row Zeek would log', () => {
    const base: Segment = {
      frame: 0,
      sec: START,
      nsec: 0,
      ipVersion: 4,
      src: '10.0.0.1',
      dst: '10.0.0.2',
      srcPort: 40000,
      dstPort: 9999,
      frameLen: 54,
  ipLen: 40,
      seq: 0,
      ack: 0,
      flags: 0,
      window: 65535,
      urgent: 0,
      headerLen: 20,
      payloadLen: 0,
      options: [],
      optionsError: undefined,
      truncated: false,
    };
    const c = (flags: number, seq: number, ack: number, payloadLen = 0): Segment => ({ ...base, flags, seq, ack, payloadLen });
    const s = (flags: number, seq: number, ack: number, payloadLen = 0): Segment => ({
      ...base,
      src: base.dst,
      dst: base.src,
      srcPort: base.dstPort,
      dstPort: base.srcPort,
      flags,
      seq,
      ack,
      payloadLen,
    });
    const segs = [
      c(SYN, 100, 0),
      s(SYN | ACK, 900, 101),
      c(ACK, 101, 901),
      c(PSH | ACK, 101, 901, 3),
      s(FIN | ACK, 901, 104),
      c(FIN | ACK, 104, 902),
      s(ACK, 902, 105),
    ].map((seg, i) => ({ ...seg, frame: i + 1, nsec: i * 250_000_000 }));
    const first = segs[0];
    if (first === undefined) throw new Error('no segment');
    const z = createZeekState(first);
    for (const seg of segs) updateZeek(z, { ...seg, ipLen: 40 + seg.payloadLen });

    const rows = zeekRowsFromState(7, z);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toEqual({
      id: 7,
      row: 0,
      ts: START,
      origAddr: '10.0.0.1',
      origPort: 40000,
      respAddr: '10.0.0.2',
      respPort: 9999,
      duration: 1.25, // the last ACK came after both FINs
      origBytes: 3n,
      respBytes: 0n,
      connState: 'SF',
      missedBytes: 0,
      history: 'ShADfFa', // the server's final ACK is its first pure ACK
      origPkts: 4,
      origIpBytes: 163,
      respPkts: 3,
      respIpBytes: 120,
    });
    const log = formatZeekConnLog([row], { open: START, close: START + 1.5 });
    expect(zeekCut(log, ['duration', 'orig_bytes', 'resp_bytes', 'history'])).toEqual([['1.250000', '3', '0', 'ShADfFa']]);
  });
});
