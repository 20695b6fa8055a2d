/**
 * One crafted capture per Zeek rule that the Zeek view models
 * (captures/zeek-craft.py writes them; docs/zeek.md lists the rules). The
 * rows expected here are derived by hand from Zeek's code, cited at each
 * case (zeek/zeek, Zeek 8.x; ../shared/zeek-tcp-semantics.md), not copied
 * from synfin's output. Times are seconds after the capture's first packet
 * (epoch 1795409044).
 */

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { analyzeFile, type AnalyzeOptions } from '../../src/analyze.ts';
import { formatZeek } from '../../src/report/zeek-flows.ts';
import { DEFAULT_ZEEK_CONFIG } from '../../src/zeek/config.ts';
import type { ZeekConfig } from '../../src/zeek/types.ts';
import type { ZeekRecord } from '../../src/tcp/record.ts';

const EPOCH = 1795409044;

/** What a row says, compactly: [seconds after EPOCH, orig port, resp port, conn_state, history, orig_pkts, resp_pkts]. */
type Row = [at: number, origPort: number, respPort: number, state: string, history: string, origPkts: number, respPkts: number];

function brief(z: ZeekRecord): Row {
  return [Math.round((z.ts - EPOCH) * 1e6) / 1e6, z.orig_p, z.resp_p, z.conn_state, z.history, z.orig_pkts, z.resp_pkts];
}

async function rows(name: string, zeek: Partial<ZeekConfig> = {}, opts: AnalyzeOptions = {}): Promise<ZeekRecord[]> {
  const result = await analyzeFile(`captures/zeek/zeek-${name}.pcap`, { ...opts, zeek: { ...DEFAULT_ZEEK_CONFIG, ...zeek } });
  return result.flows.flatMap((f) => f.zeek).sort((a, b) => a.ts - b.ts);
}

async function briefRows(name: string, zeek: Partial<ZeekConfig> = {}): Promise<Row[]> {
  return (await rows(name, zeek)).map(brief);
}

describe('reuse (TCPSessionAdapter::IsReuse)', () => {
  it('makes each retry of a refused connection on one 4-tuple a REJ row of its own', async () => {
    // SYN, RST+ACK at 0, 1 and 3 s, same ISN. The RST closes the connection
    // (ConnectionClosed sets did_close); IsReuse returns true for any plain SYN
    // once a side has closed, even with the same ISN. Each row: the orig is
    // SYN_SENT, the resp RESET: REJ, history Sr.
    expect(await briefRows('refused-thrice')).toEqual([
      [0, 41000, 9999, 'REJ', 'Sr', 1, 1],
      [1, 41000, 9999, 'REJ', 'Sr', 1, 1],
      [3, 41000, 9999, 'REJ', 'Sr', 1, 1],
    ]);
  });

  it('keeps them one synfin flow, which lists the three rows', async () => {
    const result = await analyzeFile('captures/zeek/zeek-refused-thrice.pcap');
    expect(result.flows).toHaveLength(1);
    expect(result.flows[0]!.zeek.map((z) => z.conn_state)).toEqual(['REJ', 'REJ', 'REJ']);
  });
});

describe('timers', () => {
  it('tcp_attempt_delay: an unanswered SYN retried after 5 s starts a new S0 row', async () => {
    // UpdateInactiveState arms AttemptTimer at SYN + 5 s; it removes the
    // connection while the orig is SYN_SENT and the resp INACTIVE. SYNs at 0,
    // 1, 3 (one connection: same ISN, not a reuse), 7 and 15 (after the
    // timers at 5 and 12). S0, history S; the first row's duration is 3 s.
    const r = await rows('attempt-timer');
    expect(r.map(brief)).toEqual([
      [0, 41001, 9999, 'S0', 'S', 3, 0],
      [7, 41001, 9999, 'S0', 'S', 1, 0],
      [15, 41001, 9999, 'S0', 'S', 1, 0],
    ]);
    expect(r[0]!.duration).toBe(3);
  });

  it('sets the attempt delay from --zeek-timer tcp_attempt_delay', async () => {
    // With 10 s, only the SYN at 15 comes after the timer (armed at 0 + 10).
    expect((await briefRows('attempt-timer', { attemptDelay: 10 })).map((r) => r[0])).toEqual([0, 15]);
  });

  it('tcp_close_delay: a RST 6 s after a clean close is a row of its own, ^r RSTRH', async () => {
    // Both FINs by 0.0021 s: ConnectionClosed sees a complete close and arms
    // ConnDeleteTimer at last_time + 5 s. last_time stops advancing once both
    // sides closed (Process: SetLastTime only while not both did_close), so
    // the client's ACK at 4 s stays in the row without extending it. The RST
    // at 6 s makes a new connection; its first packet is not a SYN and comes
    // from port 80, a likely server port (WantConnection): flipped, ^, then
    // the responder's r. The resp is RESET, the orig INACTIVE: RSTRH.
    const r = await rows('close-delay');
    expect(r.map(brief)).toEqual([
      [0, 41002, 80, 'SF', 'ShADaFf', 6, 3],
      [6, 41002, 80, 'RSTRH', '^r', 0, 1],
    ]);
    expect(r[0]!.duration).toBe(0.0021);
    // With tcp_close_delay 10 s the RST lands in the closed connection: both
    // sides CLOSED, UpdateClosedState ignores it for the state, r is added.
    expect(await briefRows('close-delay', { closeDelay: 10 })).toEqual([[0, 41002, 80, 'SF', 'ShADaFfr', 6, 4]]);
  });

  it('tcp_connection_linger and the expire timer: a half-close then abort is removed at the next check', async () => {
    // The client's FIN at 1 s is an incomplete close (the server is
    // ESTABLISHED and has not closed): ExpireTimer at last_time + 6 = 7 s.
    // Its RST at 1.1 s (UpdateClosedState: the peer is not CLOSED) resets it
    // but reports no new close. At 7 s: idle 5.9 s > tcp_connection_linger,
    // one side closed and one RESET: removed. The server's data at 8 s starts
    // a connection of its own (no SYN, port 9999: no flip): D, OTH.
    expect(await briefRows('expire-linger')).toEqual([
      [0, 41003, 9999, 'RSTO', 'ShAFaR', 4, 2],
      [8, 9999, 41003, 'OTH', 'D', 1, 0],
    ]);
  });

  it('tcp_inactivity_timeout: 301 s of silence ends an established connection, except on port 22', async () => {
    // TCP_Endpoint::SetState sets tcp_inactivity_timeout (300 s) when the
    // first side leaves the handshake states; Session::InactivityTimer removes
    // the connection once last_time + 300 <= now: the data at 302 s starts a
    // new row (Da, OTH: both sides PARTIAL). inactivity.zeek's
    // connection_established handler gives port 22 an hour: one S1 row.
    expect(await briefRows('inactivity')).toEqual([
      [0, 41004, 9999, 'S1', 'ShADa', 3, 2],
      [0, 41014, 22, 'S1', 'ShADa', 4, 3],
      [302, 41004, 9999, 'OTH', 'Da', 1, 1],
    ]);
    expect((await briefRows('inactivity', { inactivityTimeout: 400 })).map((r) => r[0])).toEqual([0, 0]);
  });
});

describe('closes deferred while data is pending (ConnectionClosed, DataPending)', () => {
  it('keeps a RST that jumps ahead of its side\'s data from closing: no close timer, one row', async () => {
    // The server's RST at 0.02 s carries a seq 1000 past its data: its
    // last_seq moves there (update_last_seq trusts jumps under 1 MiB), its
    // reassembler has delivered none of it, so ConnectionClosed defers the
    // close (close_deferred) and arms no ConnDeleteTimer. The client's data
    // at 6 s is in the same connection (no reuse, no timer due): one row,
    // RSTR, history ShADar (the second D adds nothing).
    expect(await briefRows('deferred-close')).toEqual([[0, 41012, 9999, 'RSTR', 'ShADar', 4, 3]]);
  });
});

describe('orientation flips (^)', () => {
  it('flips at creation a connection whose first packet comes from a likely server port', async () => {
    // WantConnection: not a SYN, source port 80 in likely_server_ports, 41005
    // not: flip. ^ first, the responder's data d, the originator's ACK A.
    // Both PARTIAL: OTH.
    expect(await briefRows('flip-port')).toEqual([[0, 41005, 80, 'OTH', '^dA', 1, 1]]);
    // --zeek-ports none: no flip, the sender of the first packet is the originator.
    expect(await briefRows('flip-port', { likelyServerPorts: new Set() })).toEqual([[0, 80, 41005, 'OTH', 'Da', 1, 1]]);
  });

  it('flips a lone SYN-ACK followed by an ACK: ^h', async () => {
    // The SYN-ACK comes from 9999 (no flip at creation): orig, H. The
    // client's ACK is about to add an A while the history is exactly H:
    // TCP_Endpoint::CheckHistory flips, rewrites the history to ^h and
    // records the ACK as the new originator's A. Then D from the client, a
    // from the server. The server stays SYN_ACK_SENT, the client PARTIAL:
    // OTH. ConnSize counts the ACK against the server (direction before the
    // flip, counters swapped by it).
    expect(await briefRows('flip-synack')).toEqual([[0, 41006, 9999, 'OTH', '^hADa', 1, 3]]);
  });

  it('flips a SYN/SYN-ACK reversal: Hs^', async () => {
    // UpdateInactiveState: the responder's plain SYN whose seq is the one the
    // SYN-ACK acknowledged, while the orig is SYN_ACK_SENT: FlipRoles and both
    // ESTABLISHED. IsReuse lets that SYN through (the reversal case). The s was
    // recorded before the flip. S1.
    expect(await briefRows('flip-reversal')).toEqual([[0, 41007, 9999, 'S1', 'Hs^A', 1, 2]]);
  });
});

describe('history letters', () => {
  it('T: a retransmission, again at the 10th (ScaledHistoryEntry)', async () => {
    // update_last_seq: payload that does not advance last_seq is DidRxmit.
    // 12 retransmissions: T at the 1st and the 10th.
    expect(await briefRows('letters-t')).toEqual([[0, 41008, 9999, 'SF', 'ShADaTTFf', 17, 3]]);
  });

  it('W: a zero window, again at the 10th', async () => {
    // update_window: window 0, no RST, the peer not CLOSED: ZeroWindow. The
    // server's 10 zero-window ACKs: w after the a of the first, and at the 10th.
    expect(await briefRows('letters-w')).toEqual([[0, 41009, 9999, 'SF', 'ShADawwFf', 5, 13]]);
  });

  it('G and missed_bytes: data acknowledged but never seen, both sides established', async () => {
    // The server's ACK covers the missing middle 100 bytes; AckReceived runs
    // after the state machine, both ESTABLISHED: TCP_Reassembler::Gap gives
    // the originator's G (after that packet's a) and 100 missed bytes.
    const r = await rows('letters-g');
    expect(r.map(brief)).toEqual([[0, 41010, 9999, 'SF', 'ShADaGFf', 6, 3]]);
    expect(r[0]!.missed_bytes).toBe(100);
    expect(r[0]!.orig_bytes).toBe(300);
  });

  it('G for payload cut by the snaplen: Zeek never hands it to the reassembler', async () => {
    // TCP_Endpoint::DataSent delivers only when caplen >= len. Each of the
    // three 100-byte segments is captured with 64 bytes, so each ACK reveals a
    // 100-byte gap: G once (the 1st of 1, 10, 100...), 300 missed bytes. The
    // segments still count for D and for orig_bytes (sequence numbers).
    const r = await rows('snaplen-gap');
    expect(r.map(brief)).toEqual([[0, 41013, 9999, 'SF', 'ShADaGFf', 7, 5]]);
    expect(r[0]!.missed_bytes).toBe(300);
    expect(r[0]!.orig_bytes).toBe(300);
  });

  it('C: a bad TCP checksum when checksums are verified; the packet is dropped and not counted', async () => {
    // TCPAnalyzer::ValidateChecksum fails: ChecksumError adds C, and the
    // packet goes no further (no D, no count). The resent segment is the D.
    expect(await briefRows('letters-c', { checksums: 'verify' })).toEqual([[0, 41011, 9999, 'SF', 'ShACDaFf', 5, 3]]);
    // Ignored (as zeek -C): the bad one is the D and the resent one a T.
    expect(await briefRows('letters-c')).toEqual([[0, 41011, 9999, 'SF', 'ShADTaFf', 6, 3]]);
  });
});

describe('rows are a pure function of the segments', () => {
  it.each(['refused-thrice', 'attempt-timer', 'close-delay', 'expire-linger', 'inactivity', 'flip-synack', 'letters-g', 'letters-c', 'deferred-close', 'snaplen-gap'])(
    '%s: the same rows when every flow is compacted and rebuilt by replay',
    async (name) => {
      const zeek = { checksums: 'verify' as const };
      expect(await rows(name, zeek, { compact: 'always-on-disk' })).toEqual(await rows(name, zeek, { compact: 'never' }));
    },
  );
});

describe('--format zeek', () => {
  it('prints every row sorted by ts, across flows', async () => {
    const log = formatZeek(await analyzeFile('captures/zeek/zeek-inactivity.pcap'));
    const lines = log.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines.map((l) => l.split('\t').slice(3, 4)[0])).toEqual(['41004', '41014', '41004']);
    const uids = lines.map((l) => l.split('\t')[1]);
    expect(new Set(uids).size).toBe(3);
  });

  it('prints three REJ rows for one 4-tuple refused three times, readable by a zeek-cut reader', () => {
    const r = spawnSync(process.execPath, ['bin/synfin.js', 'flows', '--format', 'zeek', 'captures/zeek/zeek-refused-thrice.pcap'], {
      encoding: 'utf8', timeout: 20_000,
    });
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    const fields = lines.find((l) => l.startsWith('#fields\t'))!.split('\t').slice(1);
    const rowsOut = lines.filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split('\t'));
    const col = (name: string): string[] => rowsOut.map((row) => row[fields.indexOf(name)]!);
    expect(col('conn_state')).toEqual(['REJ', 'REJ', 'REJ']);
    expect(col('history')).toEqual(['Sr', 'Sr', 'Sr']);
    expect(col('id.orig_p')).toEqual(['41000', '41000', '41000']);
    expect(col('ts')).toEqual(['1795409044.000000', '1795409045.000000', '1795409047.000000']);
  });
});
