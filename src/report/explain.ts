/**
 * `synfin explain`: one connection's story for a postmortem. A timeline with a
 * line per frame (numbers and flags exactly as `tcpdump -nr` prints them, so
 * the two can be read side by side, and both endpoints' states after the
 * frame), then a plain-language account that cites frame numbers a reader can
 * find in Wireshark with `frame.number == N`.
 *
 * A pure formatter over a FlowRecord analysed with `events: true`: everything
 * it says comes from the record, nothing is replayed again here.
 */

import type { AnomalyRecord, EventRecord, FlowRecord, Outcome } from '../tcp/record.ts';
import type { TcpState } from '../tcp/transitions.ts';
import { PLAIN, severityPaint, statePaint, type Painter } from './color.ts';
import {
  alignColumns, bytesText, codePoints, durationText, endpointText, fractionDigits, grouped, nsBetween, parseStamp,
  secondsFixed, severityOf, verdict, type Cell, type Stamp,
} from './text.ts';

/** Runs of plain data transfer longer than this many frames fold into one line. */
export const FOLD_AFTER = 6;

/** How an explanation is rendered. */
export interface ExplainOptions {
  /** Show every frame: no folding of data transfer. */
  readonly all?: boolean;
  readonly painter?: Painter;
  /**
   * Time of the capture's last frame (ISO, as the JSON prints it): a wait still
   * going on is measured to here, as the end-of-flow detectors measure it.
   * Default: the flow's own last frame.
   */
  readonly captureEnd?: string;
  /** MSL in seconds, as the analysis used it (TIME_WAIT lasts 2 MSL); default 30. */
  readonly msl?: number;
  /** Wrap the account at this many columns; default 100. */
  readonly width?: number;
}

/**
 * The seq/ack part of a tcpdump line, exactly as tcpdump 4.99's print-tcp.c
 * writes it: `seq A` when the segment has data or SYN/FIN/RST (`seq A:B` with
 * B = A + length when it has data), then `ack N` when ACK is set. The numbers
 * are the engine's, already relative as tcpdump makes them.
 */
export function tcpdumpSeqAck(e: EventRecord): string {
  // An ICMP error's line says what it said and who said it instead.
  if (e.icmp !== undefined) return `${e.icmp.name} from ${e.icmp.from}${e.icmp.mtu === null ? '' : `, mtu ${e.icmp.mtu}`}`;
  const parts: string[] = [];
  if (e.len > 0 || /[SFR]/.test(e.flags)) parts.push(e.len > 0 && e.end !== null ? `seq ${e.seq}:${e.end}` : `seq ${e.seq}`);
  if (e.ack !== null) parts.push(`ack ${e.ack}`);
  return parts.join(', ');
}

/** One stretch an endpoint spent in one state, from the frame that put it there. */
export interface StateSpan {
  readonly side: 'client' | 'server';
  readonly state: TcpState;
  readonly fromFrame: number;
  readonly from: Stamp;
  /** The frame that moved it on; undefined while it was still there at the end. */
  readonly toFrame: number | undefined;
  readonly to: Stamp;
}

/** The states an endpoint was in before the flow's first frame: a listener and a closed socket, unless the capture began midstream. */
function initialStates(f: FlowRecord): { client: TcpState; server: TcpState } {
  return f.handshake.kind === 'not-observed' ? { client: 'UNKNOWN', server: 'UNKNOWN' } : { client: 'CLOSED', server: 'LISTEN' };
}

function stampOf(iso: string): Stamp {
  return parseStamp(iso) ?? { sec: 0, nsec: 0 };
}

/**
 * Each endpoint's states as spans, read from the events' "state after the
 * frame". A span still open at the end lasts to `end` (the capture's end).
 */
export function stateSpans(f: FlowRecord, end: Stamp = stampOf(f.end)): StateSpan[] {
  const events = f.events ?? [];
  const spans: StateSpan[] = [];
  for (const side of ['client', 'server'] as const) {
    let open: { state: TcpState; fromFrame: number; from: Stamp } | undefined;
    let prev = initialStates(f)[side];
    for (const e of events) {
      const s = e[side];
      if (s === prev && open !== undefined) continue;
      const at = stampOf(e.time);
      if (open !== undefined) spans.push({ side, ...open, toFrame: e.frame, to: at });
      open = { state: s, fromFrame: e.frame, from: at };
      prev = s;
    }
    if (open !== undefined) spans.push({ side, ...open, toFrame: undefined, to: end });
  }
  return spans.sort((a, b) => a.fromFrame - b.fromFrame || (a.side === 'client' ? -1 : 1));
}

function other(side: 'client' | 'server'): 'client' | 'server' {
  return side === 'client' ? 'server' : 'client';
}

/**
 * Plain data transfer: no state change, nothing noted, no SYN/FIN/RST, and no
 * window closing or reopening (a zero window is the story, not the filler).
 */
function isFoldable(e: EventRecord, prev: EventRecord | undefined, prevWin: number | undefined): boolean {
  if (prev === undefined || e.notes.length > 0 || /[SFR]/.test(e.flags)) return false;
  if (e.win === 0 || prevWin === 0) return false;
  return e.client === prev.client && e.server === prev.server;
}

/** Every frame number a text cites (`frame 8`, `frames 8-10`, `frames 4, 7 and 9`). */
export function citedFrames(text: string): Set<number> {
  const out = new Set<number>();
  for (const m of text.matchAll(/\bframes? (\d+(?:(?:-|, | and )\d+)*)/g)) {
    for (const n of (m[1] ?? '').split(/-|, | and /)) out.add(Number(n));
  }
  return out;
}

/** The timeline: a header line and one line per frame, long runs of data transfer folded. */
export function explainTimeline(f: FlowRecord, options: ExplainOptions = {}): string[] {
  const p = options.painter ?? PLAIN;
  const events = f.events ?? [];
  const start = stampOf(f.start);
  const digits = fractionDigits(f.start);
  const severity = severityOf(f.anomalies);
  const header: Cell[] = ['FRAME', 'TIME (s)', 'DIR', 'FLAGS', 'SEQ/ACK (tcpdump)', 'LEN', 'WIN', 'CLIENT', 'SERVER', 'NOTES']
    .map((h) => ({ text: h, paint: p.heading }));
  // Which frames fold: a run of more than FOLD_AFTER frames in which no state changes and nothing is
  // noted, sparing every frame the account cites, so each frame it names can be read in the timeline.
  const keep = options.all === true ? new Set<number>() : citedFrames(Object.values(explainAccount(f, options)).flat().join(' '));
  const lastWin: Partial<Record<'>' | '<', number>> = {};
  const foldable = events.map((e, i) => {
    const ok = options.all !== true && !keep.has(e.frame) && isFoldable(e, events[i - 1], lastWin[e.dir]);
    lastWin[e.dir] = e.win;
    return ok;
  });
  const rows: Cell[][] = [header];
  const folds = new Map<number, string[]>(); // row index before which fold lines go
  const fold = (row: number, text: string): void => { folds.set(row, [...(folds.get(row) ?? []), text]); };
  let prev = initialStates(f);
  const omitted = f.events_omitted;
  // The timeline kept only the flow's first and latest frames: the gap gets a line of its own.
  const afterGap = omitted === undefined ? -1 : events.findIndex((e) => e.frame > omitted.last_frame);
  for (let i = 0; i < events.length;) {
    if (i === afterGap && omitted !== undefined) {
      fold(rows.length, `… frames ${omitted.first_frame}-${omitted.last_frame}: ${grouped(omitted.frames)} frames not kept (explain keeps a flow's first and latest ${grouped(events.length >> 1)}) …`);
    }
    let j = i;
    while (j < events.length && foldable[j] === true && (j === i || j !== afterGap)) j++;
    if (j - i > FOLD_AFTER) {
      const run = events.slice(i, j);
      const first = run[0]!;
      const last = run[run.length - 1]!;
      const bytes = run.reduce((n, e) => n + e.len, 0);
      const span = nsBetween(stampOf(first.time), stampOf(last.time)) / 1e9;
      fold(rows.length, `… frames ${first.frame}-${last.frame}: ${grouped(run.length)} segments of data transfer, ${bytesText(bytes)}, ${durationText(span)} …`);
      i = j;
      continue;
    }
    const end = Math.max(j, i + 1);
    for (; i < end; i++) {
      const e = events[i]!;
      const stateCell = (side: 'client' | 'server'): Cell => {
        const s = e[side];
        const changed = s !== prev[side];
        const text = changed ? `${s}*` : s;
        return { text, paint: changed ? p.changed : statePaint(p, s) };
      };
      const notes = e.notes.join(', ');
      rows.push([
        String(e.frame),
        secondsFixed(nsBetween(start, stampOf(e.time)), digits),
        // An ICMP error from a router on the path comes from neither end.
        e.icmp?.by === 'router' ? (e.dir === '>' ? 'R→S' : 'C←R') : e.dir === '>' ? 'C→S' : 'C←S',
        e.flags,
        tcpdumpSeqAck(e),
        String(e.len),
        String(e.win),
        stateCell('client'),
        stateCell('server'),
        { text: notes, paint: () => e.notes.map((n) => severityPaint(p, severity.get(n))(n)).join(', ') },
      ]);
      prev = { client: e.client, server: e.server };
    }
  }
  const aligned = alignColumns(rows, new Set([0, 1, 5, 6]));
  const out: string[] = [];
  aligned.forEach((line, r) => {
    for (const text of folds.get(r) ?? []) out.push(p.dim(`      ${text}`));
    out.push(line);
  });
  for (const text of folds.get(rows.length) ?? []) out.push(p.dim(`      ${text}`));
  return out;
}

// ---------------------------------------------------------------------------
// The account

/** What a flow's account is made of, so a reader (or a test) can take the parts it wants. */
export interface Account {
  readonly opening: string[];
  readonly data: string[];
  readonly closing: string[];
  readonly applications: string[];
  readonly next: string[];
}

interface Ctx {
  readonly f: FlowRecord;
  readonly events: readonly EventRecord[];
  readonly end: Stamp;
  readonly msl: number;
  readonly c: string;
  readonly s: string;
}

function ms(v: number | null): string {
  return v === null ? '?' : durationText(v / 1000);
}

function frames(list: readonly number[]): string {
  if (list.length === 1) return `frame ${list[0]}`;
  return `frames ${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
}

function times(n: number): string {
  return n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`;
}

function between(ctx: Ctx, a: number | null | undefined, b: number | null | undefined): number | undefined {
  const ea = ctx.events.find((e) => e.frame === a);
  const eb = ctx.events.find((e) => e.frame === b);
  return ea === undefined || eb === undefined ? undefined : nsBetween(stampOf(ea.time), stampOf(eb.time)) / 1e9;
}

/** Frame at which `side` entered `state` (after frame `after`), from the events. */
function entered(ctx: Ctx, side: 'client' | 'server', state: TcpState, after = 0, last = false): number | undefined {
  let prev = initialStates(ctx.f)[side];
  let found: number | undefined;
  for (const e of ctx.events) {
    if (e[side] === state && prev !== state && e.frame > after) {
      found = e.frame;
      if (!last) return found;
    }
    prev = e[side];
  }
  return found;
}

function opening(ctx: Ctx): string[] {
  const { f, c, s } = ctx;
  const h = f.handshake;
  const syns = ctx.events.filter((e) => e.dir === '>' && e.flags === '[S]').map((e) => e.frame);
  const out: string[] = [];
  switch (h.kind) {
    case 'three-way':
    case 'split-syn-ack':
    case 'simultaneous-open': {
      const open = ctx.events.find((e) => e.client === 'ESTABLISHED' && e.server === 'ESTABLISHED')?.frame;
      if (h.kind === 'simultaneous-open') {
        out.push(`Both ends sent a SYN at once (simultaneous open, RFC 9293 §3.5): ${c} (frame ${h.syn_frame}) and ${s}; synfin calls the first sender the client.`);
      } else if (h.kind === 'split-syn-ack' || h.synack_frame === null || h.ack_frame === null) {
        out.push(`The client ${c} opened the connection to ${s} with a SYN (frame ${h.syn_frame})${open === undefined ? '' : `, and both ends were ESTABLISHED at frame ${open}`}${h.kind === 'split-syn-ack' ? ': the server acknowledged the SYN and sent its own SYN in separate segments (a split handshake), which the client answered with a SYN-ACK of its own' : ''}.`);
      } else {
        out.push(`The client ${c} opened the connection to ${s}: SYN (frame ${h.syn_frame}), SYN-ACK (frame ${h.synack_frame}), ACK (frame ${h.ack_frame}).`);
      }
      if (h.syns > 1) {
        const gaps = h.syn_gaps_s.map((g) => durationText(g)).join(', ');
        const total = between(ctx, syns[0], h.ack_frame);
        out.push(`The client sent its SYN ${times(h.syns)} (${frames(syns)}, ${gaps} apart) before it was answered: the earlier SYNs, or the answers to them, were lost${total === undefined ? '' : `, so connect() took ${durationText(total)} in all`}.`);
      }
      if (h.rtt_ms !== null) {
        const a = h.syn_to_synack_ms ?? 0;
        const b = h.synack_to_ack_ms ?? 0;
        let where: string;
        if (h.capture_point === 'client') where = `nearly all of it before the SYN-ACK, so the capture was taken at or near the client and the time went on the path to the server and in the server's kernel`;
        else if (h.capture_point === 'server') where = `nearly all of it after the SYN-ACK, so the capture was taken at or near the server and the time went on the path to the client and back`;
        else if (a + b < 1) where = 'both halves under a millisecond, so both ends are close to the capture point (the same host or LAN) and the split says little';
        else where = `so the capture point sits between the two ends: about ${ms(a)} of round trip on the server's side and ${ms(b)} on the client's`;
        out.push(`The handshake took ${ms(h.rtt_ms)} at the capture point${h.syns > 1 ? ' (from the SYN that was answered)' : ''}: ${ms(a)} from SYN to SYN-ACK and ${ms(b)} from SYN-ACK to ACK, ${where}.`);
      }
      break;
    }
    case 'refused':
    case 'unreachable': {
      const icmp = f.icmp?.find((i) => i.effect === 'ended-attempt');
      if (icmp !== undefined) {
        const dt = between(ctx, h.syn_frame, icmp.frame);
        const who = icmp.by === 'peer' ? `${s} itself` : `a router at ${icmp.from}`;
        out.push(`The client ${c} sent ${h.syns === 1 ? 'a SYN' : `${h.syns} SYNs`} to ${s} (${frames(syns)}), and ${who} answered with ${icmp.protocol} ${icmp.name.replaceAll('-', ' ')} (frame ${icmp.frame})${dt === undefined ? '' : ` ${durationText(dt)} after the first`}: the attempt ended there, and connect() failed with ${icmp.errno}.`);
        const held = f.icmp?.find((i) => i.held_in_connect === true);
        if (held !== undefined) {
          out.push(`The same answer to the first SYN (frame ${held.frame}) came while the client application was still inside connect(), holding the socket: Linux kept it only as a soft error (LockDroppedIcmps) and sent the SYN again a second later, so connect() failed only then. A round trip that fast is two namespaces or containers on one host.`);
        }
        break;
      }
      const rst = f.close.rst_frame;
      const dt = between(ctx, h.syn_frame, rst);
      out.push(`The client ${c} sent a SYN (frame ${h.syn_frame}) and ${s} answered with an RST (frame ${rst})${dt === undefined ? '' : ` ${durationText(dt)} later`}: nothing was listening on port ${f.server.port} there, or a firewall rejected the connection on its behalf.`);
      break;
    }
    case 'unanswered': {
      const span = between(ctx, syns[0], syns[syns.length - 1]);
      const tail = nsBetween(stampOf(f.start), ctx.end) / 1e9;
      out.push(`The client ${c} sent ${h.syns === 1 ? 'a SYN' : `${h.syns} SYNs`} to ${s} (${frames(syns)}${h.syns > 1 && span !== undefined ? `, over ${durationText(span)}` : ''}), and ${h.syns === 1 ? 'it was not' : 'none was'} answered by the end of the capture, ${durationText(tail)} after the first.`);
      break;
    }
    case 'no-final-ack': {
      out.push(`The client ${c} sent a SYN (frame ${h.syn_frame}) and ${s} answered with a SYN-ACK (frame ${h.synack_frame}${h.synacks > 1 ? `, sent ${times(h.synacks)}` : ''}), but the client never acknowledged it: the server was left half-open in SYN_RECEIVED.`);
      break;
    }
    case 'reset-during-handshake': {
      out.push(`The client ${c} sent a SYN (frame ${h.syn_frame}) to ${s}, and an RST (frame ${f.close.rst_frame}) ended the attempt before the handshake completed.`);
      break;
    }
    case 'not-observed': {
      out.push(`The capture began after this connection was opened (its first frame is ${f.first_frame}), so who opened it is ${f.roles === 'inferred' ? 'inferred' : 'unknown'}: ${c} is taken as the client and ${s} as the server.`);
      break;
    }
  }
  return out;
}

function dataAccount(ctx: Ctx): string[] {
  const { f } = ctx;
  if (f.close.kind === 'none' && f.handshake.kind !== 'not-observed') return [];
  const seg = (dir: '>' | '<'): number => ctx.events.filter((e) => e.dir === dir && e.len > 0).length;
  const side = (name: string, bytes: number, n: number): string => (n === 0 ? `the ${name} sent no data` : `the ${name} sent ${grouped(bytes)} bytes in ${grouped(n)} segment${n === 1 ? '' : 's'}`);
  const text = `${side('client', f.client.payload_bytes, seg('>'))} and ${side('server', f.server.payload_bytes, seg('<'))}.`;
  return [text.charAt(0).toUpperCase() + text.slice(1)];
}

/** In a simultaneous close, the CLOSE_WAIT the timeline shows an end in between the peer's FIN and its own crossing one. */
function crossedCloseWaits(ctx: Ctx): ReturnType<typeof stateSpans> {
  if (ctx.f.close.kind !== 'simultaneous') return [];
  return stateSpans(ctx.f, ctx.end).filter((sp) => sp.state === 'CLOSE_WAIT' && sp.toFrame !== undefined
    && ctx.events.find((e) => e.frame === sp.toFrame)?.[sp.side] === 'CLOSING');
}

function waitsAccount(ctx: Ctx): string | undefined {
  // A CLOSE_WAIT its own crossing FIN ended was no wait of the application's (closing() says so).
  const crossed = new Set(crossedCloseWaits(ctx));
  const spans = stateSpans(ctx.f, ctx.end).filter((sp) => (sp.state === 'CLOSE_WAIT' || sp.state === 'FIN_WAIT_2') && ![...crossed].some((c) => c.side === sp.side && c.fromFrame === sp.fromFrame));
  if (spans.length === 0) return undefined;
  const parts = spans.map((sp) => {
    const ns = nsBetween(sp.from, sp.to);
    if (sp.toFrame !== undefined) return `the ${sp.side} spent ${durationText(ns / 1e9)} in ${sp.state} (frames ${sp.fromFrame}-${sp.toFrame})`;
    // Entered on the capture's very last frame: there is no time to tell.
    if (ns <= 0) return `the ${sp.side} entered ${sp.state} at frame ${sp.fromFrame}, the capture's last frame`;
    return `the ${sp.side} was still in ${sp.state} when the capture ended, ${durationText(ns / 1e9)} after frame ${sp.fromFrame}`;
  });
  const text = parts.join('; ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

function timeWaitAccount(ctx: Ctx): string[] {
  const out: string[] = [];
  const last = ctx.events[ctx.events.length - 1];
  if (last === undefined) return out;
  for (const side of ['client', 'server'] as const) {
    if (last[side] !== 'TIME_WAIT') continue;
    const from = entered(ctx, side, 'TIME_WAIT', 0, true);
    const fromEvent = ctx.events.find((e) => e.frame === from);
    if (from === undefined || fromEvent === undefined) continue;
    const held = nsBetween(stampOf(fromEvent.time), ctx.end) / 1e9;
    const limit = 2 * ctx.msl;
    out.push(ctx.f[side].final_state === 'TIME_WAIT'
      ? `The ${side} is in TIME_WAIT from frame ${from}, which lasts 2 MSL (${limit} s); ${durationText(Math.max(0, limit - held))} of it were left when the capture ended.`
      : held >= limit
        ? `The ${side} held TIME_WAIT from frame ${from} for 2 MSL (${limit} s), which had run out by the end of the capture.`
        : `The ${side} held TIME_WAIT from frame ${from} until a later connection on the same 4-tuple replaced it.`);
  }
  return out;
}

function closing(ctx: Ctx): string[] {
  const { f } = ctx;
  const cl = f.close;
  const out: string[] = [];
  const init = cl.initiator === 'client' || cl.initiator === 'server' ? cl.initiator : undefined;
  const peer = init === undefined ? undefined : other(init);
  const f1 = cl.first_fin_frame;
  const f2 = cl.second_fin_frame;
  const acked = init === undefined || f1 === null ? undefined : entered(ctx, init, 'FIN_WAIT_2', f1 - 1);
  const finalAck = peer === undefined ? undefined : entered(ctx, peer, 'CLOSED', f2 ?? 0, true);
  switch (cl.kind) {
    case 'four-way': {
      const dt = between(ctx, f1, f2);
      out.push(`The ${init} closed first: its FIN (frame ${f1}) was acknowledged by the ${peer}${acked === undefined ? '' : ` (frame ${acked})`}; the ${peer} sent its own FIN${dt === undefined ? '' : ` ${durationText(dt)} later`} (frame ${f2})${finalAck === undefined ? '' : `, and the ${init}'s ACK (frame ${finalAck}) completed the close`}.`);
      break;
    }
    case 'three-segment':
      out.push(`The ${init} closed first (FIN, frame ${f1}); the ${peer} answered with a FIN that also acknowledged it (frame ${f2})${finalAck === undefined ? '' : `, and the ${init}'s ACK (frame ${finalAck}) completed the close`}: a three-segment close.`);
      break;
    case 'simultaneous': {
      const dt = between(ctx, f1, f2);
      out.push(`Both ends closed at once: their FINs (frames ${f1} and ${f2}${dt === undefined ? '' : `, ${durationText(dt)} apart`}) crossed, neither acknowledging the other, so each end sent its FIN before the other's reached it, and both passed through CLOSING to TIME_WAIT.`);
      // The capture point can see one FIN arrive before the other leaves: the timeline then shows
      // that end in CLOSE_WAIT for an instant, but its own FIN proves its application had already closed.
      for (const sp of crossedCloseWaits(ctx)) {
        out.push(`The timeline shows the ${sp.side} in CLOSE_WAIT at frame ${sp.fromFrame} only because the capture point saw the ${other(sp.side)}'s FIN before the ${sp.side}'s own, already on its way; its application had closed, not waited.`);
      }
      break;
    }
    case 'half-closed':
      out.push(`The ${init} closed its direction (FIN, frame ${f1}${acked === undefined ? '' : `, acknowledged at frame ${acked}`}), but the ${peer} never sent a FIN: the connection was still half-closed when the capture ended.`);
      break;
    case 'reset': {
      const rst = cl.rst_frame;
      const keepalive = firstOf(f, 'keepalive-timeout');
      if (keepalive !== undefined && keepalive.frame === rst) {
        out.push(`The ${init}'s keep-alive gave up: its ${detail(keepalive, 'probes') ?? '?'} probes (from frame ${detail(keepalive, 'first_probe_frame') ?? '?'}) went unanswered, so it reset the connection (frame ${rst}) and failed its socket with ETIMEDOUT.`);
        break;
      }
      const why = f1 === null
        ? ' instead of a FIN: an abortive close (SO_LINGER with a zero timeout, close() with unread data, a crash, or a peer that no longer knew the connection)'
        : ` after the close had begun (first FIN at frame ${f1})`;
      out.push(`The ${init} ended the connection with an RST (frame ${rst})${why}.`);
      break;
    }
    case 'open': {
      const timeout = firstOf(f, 'retransmission-timeout');
      const trying = firstOf(f, 'retransmitting-at-end');
      if (timeout !== undefined) {
        const gaveUp = other(timeout.side ?? 'server');
        out.push(`No FIN or RST ended it: the ${gaveUp} retransmitted into silence (from frame ${detail(timeout, 'first_frame') ?? '?'} to frame ${timeout.frame}) and then stopped for longer than its next retransmission was due, so it gave up (its user timeout) and dropped the connection without a segment; the ${other(gaveUp)} never heard of it.`);
      } else if (trying !== undefined) {
        out.push(`Neither end had closed the connection when the capture ended, but the ${other(trying.side ?? 'server')} was still retransmitting unanswered data (frames ${detail(trying, 'first_frame') ?? '?'}-${trying.frame}): it was about to give up or be answered, and the capture cannot tell which.`);
      } else {
        out.push(`Neither end had closed the connection when the capture ended.`);
      }
      break;
    }
    case 'none':
      break;
  }
  const waits = waitsAccount(ctx);
  if (waits !== undefined) out.push(waits);
  out.push(...timeWaitAccount(ctx));
  return out;
}

/** Outcomes that are an ICMP error's errno. */
const ICMP_ERRNOS: ReadonlySet<Outcome> = new Set<Outcome>(['EHOSTUNREACH', 'ENETUNREACH', 'EACCES', 'ENOPROTOOPT', 'EHOSTDOWN', 'ENONET', 'EOPNOTSUPP', 'EPROTO']);

const OUTCOME: Record<Outcome, string> = {
  ECONNREFUSED: 'connect() fail with ECONNREFUSED',
  ETIMEDOUT: 'connect() time out (ETIMEDOUT)',
  ECONNRESET: 'a read or write fail with ECONNRESET (connection reset by peer)',
  EOF: 'read() return 0 (EOF): its peer closed cleanly',
  open: 'a connection still open',
  closed: 'its own close: it closed or aborted before its peer did',
  none: 'nothing: no connection ever reached it',
  EHOSTUNREACH: 'connect() fail with EHOSTUNREACH (no route to host)',
  ENETUNREACH: 'connect() fail with ENETUNREACH (network is unreachable)',
  EACCES: 'connect() fail with EACCES (permission denied: administratively prohibited)',
  ENOPROTOOPT: 'connect() fail with ENOPROTOOPT (protocol not available)',
  EHOSTDOWN: 'connect() fail with EHOSTDOWN (host is down)',
  ENONET: 'connect() fail with ENONET (machine is not on the network)',
  EOPNOTSUPP: 'connect() fail with EOPNOTSUPP (source route failed)',
  EPROTO: 'connect() fail with EPROTO (protocol error)',
};

function applications(ctx: Ctx): string[] {
  const { f } = ctx;
  const o = f.outcome;
  // ETIMEDOUT after the handshake is a timeout of the connection, not of connect().
  // An error after the handshake (a timeout, or the ICMP error that outlived it) fails a read or write, not connect().
  const inConnect = f.handshake.kind === 'unanswered' || f.handshake.kind === 'no-final-ack' || f.handshake.kind === 'unreachable' || f.handshake.kind === 'refused';
  const saw = (side: 'client' | 'server'): string => o[side] === 'ETIMEDOUT' && !inConnect
    ? 'a read or write fail with ETIMEDOUT (connection timed out)'
    : ICMP_ERRNOS.has(o[side]) && !inConnect ? `a read or write fail with ${o[side]} (an ICMP error reported it before the connection timed out)` : OUTCOME[o[side]];
  const out = [`The client application saw ${saw('client')}; the server application saw ${saw('server')}.`];
  for (const side of ['client', 'server'] as const) {
    const reason = f[side].final_state_reason;
    if (f[side].final_state_certain === false && reason !== undefined) {
      out.push(`The ${side}'s final state, ${f[side].final_state}*, is inferred, not shown: ${reason}.`);
    }
  }
  return out;
}

function firstOf(f: FlowRecord, code: string): AnomalyRecord | undefined {
  return f.anomalies.find((a) => a.code === code);
}

function countOf(f: FlowRecord, code: string): number {
  return f.anomalies.filter((a) => a.code === code).length + (f.anomalies_not_listed?.[code] ?? 0);
}

function detail(a: AnomalyRecord, key: string): number | string | boolean | null | undefined {
  return a.details?.[key];
}

/** A sentence on what to look at next, per anomaly code (undefined: nothing to add to what is already said). */
function nextStep(ctx: Ctx, a: AnomalyRecord): string | undefined {
  const { f } = ctx;
  const side = a.side ?? 'client';
  const peer = other(side);
  const frameOf = (pred: (e: EventRecord) => boolean, after: number, before = Infinity): number | undefined => {
    const list = ctx.events.filter((e) => e.frame > after && e.frame < before && pred(e));
    return list[list.length - 1]?.frame;
  };
  const nextFrom = (dir: '>' | '<', after: number): number | undefined => ctx.events.find((e) => e.frame > after && e.dir === dir)?.frame;
  const dirOf = (s: 'client' | 'server'): '>' | '<' => (s === 'client' ? '>' : '<');
  switch (a.code) {
    case 'stuck-close-wait': {
      const waited = detail(a, 'waited_s');
      const d = typeof waited === 'number' ? durationText(waited) : '?';
      if (detail(a, 'closed') === true) {
        const fin = ctx.events.find((e) => e.frame > a.frame && e.dir === dirOf(side) && e.flags.includes('F'))?.frame;
        return `The ${side} application took ${d} to call close() after the ${peer}'s FIN (frame ${a.frame})${fin === undefined ? '' : `; its FIN came at frame ${fin}`}: look at what it was doing meanwhile (slow cleanup, a blocked thread, a pool holding the connection).`;
      }
      const ack = ctx.events.find((e) => e.frame > a.frame && e.dir === dirOf(side))?.frame;
      return `The ${side} application did not call close() for ${d} after the ${peer}'s FIN (frame ${a.frame}${ack === undefined ? '' : `, acknowledged at frame ${ack}`}) and had still not when the capture ended (a capture has no end time, so it may have waited much longer): look for a leaked socket in the ${side} application, a code path that returns without closing or a thread blocked before close(); \`ss -tanp state close-wait\` on the ${side} host names the process.`;
    }
    case 'stuck-fin-wait-2': {
      if (firstOf(f, 'stuck-close-wait') !== undefined) return undefined;
      const waited = detail(a, 'waited_s');
      return `The ${side} waited ${typeof waited === 'number' ? durationText(waited) : '?'} in FIN_WAIT_2 for the ${peer}'s FIN (from frame ${a.frame}): the ${peer} application was slow to close; Linux drops an orphaned FIN_WAIT_2 socket after net.ipv4.tcp_fin_timeout (60 s by default).`;
    }
    case 'last-ack-lost': {
      const lost = frameOf((e) => e.dir === dirOf(peer) && e.flags === '[.]', f.close.second_fin_frame ?? 0, a.frame);
      const reAck = nextFrom(dirOf(peer), a.frame);
      const dt = between(ctx, lost, a.frame);
      return `The ${peer}'s final ACK${lost === undefined ? '' : ` (frame ${lost})`} never reached the ${side}: the ${side} repeated its FIN from LAST_ACK (frame ${a.frame}${dt === undefined ? '' : `, ${durationText(dt)} later`})${reAck === undefined ? '' : `, and the ${peer}, still in TIME_WAIT, acknowledged it again (frame ${reAck})`}. The timeline shows the ${side} CLOSED after frame ${lost ?? '?'} until its repeated FIN proved it never got that ACK. This is TIME_WAIT doing its job (RFC 9293 §3.6.1) and no harm was done; if it happens often, look for packet loss on the path from the ${peer} to the ${side}.`;
    }
    case 'fin-retransmit':
      if (ctx.f.anomalies.some((x) => x.code === 'last-ack-lost' && x.frame === a.frame)) return undefined;
      return `The ${side} retransmitted its FIN (frame ${a.frame}): the first FIN or its acknowledgment was lost; look for packet loss on the path between them.`;
    case 'connection-refused':
      return `Check that the service is running and listening on ${ctx.s} (\`ss -ltn 'sport = :${f.server.port}'\` on that host), that the client uses the right address and port, and whether a firewall answers with RST (REJECT) on the server's behalf.`;
    case 'syn-unanswered':
      return `Find out why ${ctx.s} did not answer: a firewall silently dropping SYNs, a wrong address or route, a host that is down, or a listener whose SYN queue is full; a capture taken on the server's side shows whether the SYNs arrived. The client's connect() fails with ETIMEDOUT once its retries run out.`;
    case 'syn-retransmit':
      // A SYN resent because an ICMP error came while connect() held the socket was not lost: the account says so.
      return f.handshake.kind === 'unanswered' || f.icmp?.some((i) => i.held_in_connect === true) === true ? undefined
        : `The lost SYNs cost the client ${f.handshake.syn_gaps_s.reduce((x, y) => x + y, 0).toFixed(2)} s of back-off: look for loss on the path to the server, or a SYN queue that overflowed on it.`;
    case 'synack-retransmit':
      return firstOf(f, 'accept-queue-full') !== undefined || f.handshake.kind === 'no-final-ack' ? undefined
        : `The server repeated its SYN-ACK (frame ${a.frame}): its SYN-ACK or the client's ACK was lost on the way.`;
    case 'handshake-incomplete':
      return `Look for SYN-ACKs that never reach the client (asymmetric routing, a firewall dropping them) or for SYNs from spoofed addresses: many half-open connections at once is a SYN flood (net.ipv4.tcp_syncookies=1 defends against it).`;
    case 'accept-queue-full': {
      const ack = frameOf((e) => e.dir === '>' && e.flags === '[.]', 0, a.frame);
      return `The client's ACK${ack === undefined ? '' : ` (frame ${ack})`} completed the handshake, yet the server repeated its SYN-ACK (frame ${a.frame}): the listener's accept queue was full and dropped the ACK. The client believes it is connected while the server holds only a SYN_RECEIVED entry. Look at the server application: it is not calling accept() fast enough; \`ss -ltn\` shows the listener's Recv-Q at its backlog, \`nstat -az TcpExtListenOverflows\` counts the drops, and the listen() backlog and net.core.somaxconn bound the queue.`;
    }
    case 'zero-window': {
      const reopened = ctx.events.find((e) => e.frame > a.frame && e.dir === dirOf(side) && e.win > 0);
      const dt = reopened === undefined ? undefined : between(ctx, a.frame, reopened.frame);
      const probes = countOf(f, 'zero-window-probe');
      return `The ${side} advertised a zero window at frame ${a.frame}: its application had stopped reading and its receive buffer was full, ${reopened === undefined ? 'and it had not reopened by the end of the capture' : `until a window update at frame ${reopened.frame}${dt === undefined ? '' : ` (${durationText(dt)})`}`}${probes > 0 ? `; meanwhile the ${peer} could only send ${probes} zero-window probe${probes === 1 ? '' : 's'}` : ''}. Look at why the ${side} application was slow to read: blocked, busy, paused for garbage collection, or a receive buffer (SO_RCVBUF) too small.`;
    }
    case 'zero-window-probe':
      return firstOf(f, 'zero-window') !== undefined ? undefined : `The ${side} probed a zero window (frame ${a.frame}).`;
    case 'retransmission': {
      const n = countOf(f, 'retransmission');
      const sides = [...new Set(f.anomalies.filter((x) => x.code === 'retransmission').map((x) => x.side))];
      const from = sides.length === 1 ? `the ${sides[0]}` : 'both sides';
      return `${n} segment${n === 1 ? ' was' : 's were'} retransmitted by ${from} (first at frame ${a.frame}): data was lost on the way or acknowledged too late; look for loss on that path (interface errors, congestion, a policer, a flaky link).`;
    }
    case 'half-open':
      return `Frame ${a.frame} reached an endpoint that no longer had the connection and was answered by RST: the ${side} had forgotten it (a restart, a crash, a timeout) without telling its peer, or a NAT or firewall on the path lost its state. Look at idle timeouts on the path and use TCP keep-alives shorter than them.`;
    case 'rst-in-time-wait':
      return `An RST (frame ${a.frame}) ended the ${side}'s TIME_WAIT early (TIME_WAIT assassination, RFC 1337): a delayed segment could now land in a new connection on this 4-tuple. Linux ignores such RSTs with net.ipv4.tcp_rfc1337=1.`;
    case 'rst-out-of-window':
      return `An RST outside the receive window (frame ${a.frame}) was ignored, as RFC 5961 asks: a stale or spoofed reset; if they recur, look for an off-path attacker or a middlebox injecting resets.`;
    case 'challenge-ack':
      return `The ${side} answered a suspicious RST or SYN with a challenge ACK (frame ${a.frame}, RFC 5961), which a genuine peer answers with an exact RST.`;
    case 'tuple-reuse': {
      const since = detail(a, 'since_previous_s');
      const within = detail(a, 'within_2msl') === true;
      return `This connection reused the 4-tuple of flow ${detail(a, 'previous_flow') ?? '?'} ${typeof since === 'number' ? `${durationText(since)} after its last segment` : ''}${within ? ', within 2 MSL: the old connection\'s TIME_WAIT had to accept the new SYN' : ''}. A client reusing source ports this fast may run short of them (see net.ipv4.ip_local_port_range, or reuse connections).`;
    }
    case 'keepalive-timeout':
      return `The ${side} stopped answering: its host went down, or the path to it was cut (a firewall or NAT that dropped the connection's state, a link down). Keep-alive did its job; if the ${side} is still up, it holds a half-open connection that only its own keep-alive or next write will clear.`;
    case 'retransmission-timeout':
    case 'retransmitting-at-end':
      return `The ${side} acknowledged nothing the ${peer} retransmitted from frame ${detail(a, 'first_frame') ?? a.frame} on: its host went down or the path to it was cut. A capture taken on the ${side}'s side shows whether the segments arrived; Linux's tcp_retries2 (about 15 minutes) or the socket's TCP_USER_TIMEOUT bounds how long the ${peer} keeps trying.`;
    case 'syn-in-connection':
      return `A SYN with a new sequence number reached the established connection (frame ${a.frame}): an injected segment (an off-path attacker probing, RFC 5961 §4), or the ${side}'s host restarted and reused the port. It does not open a new connection; a challenge ACK answers it.`;
    case 'keepalive':
      if (firstOf(f, 'keepalive-timeout') !== undefined) return undefined;
      return `The ${side} sent ${countOf(f, 'keepalive')} keep-alive probe${countOf(f, 'keepalive') === 1 ? '' : 's'} (first at frame ${a.frame}) while the connection was idle; each answer shows the peer still held it.`;
    case 'data-after-fin':
      return `The ${side} sent data after its own FIN (frame ${a.frame}): a broken TCP stack or a forged segment.`;
    case 'segment-gap':
    case 'ack-unseen':
      return ctx.f.anomalies.find((x) => x.code === 'segment-gap' || x.code === 'ack-unseen') !== a ? undefined
        : `The capture missed bytes of this connection (frame ${a.frame}): tcpdump dropped packets (see its "dropped by kernel" count) or some traffic took another path, so states around frame ${a.frame} are less certain.`;
    case 'ip-length-exceeds-frame': {
      const n = countOf(f, 'ip-length-exceeds-frame');
      const bytes = detail(a, 'bytes');
      const claim = typeof bytes === 'number' ? `${bytes} bytes more` : 'more bytes';
      return `${n === 1 ? `Frame ${a.frame}` : `${n} frames (the first, frame ${a.frame}, by ${claim})`} claimed ${n === 1 ? claim : 'more bytes'} in the IP length than ${n === 1 ? 'it' : 'they'} carried on the wire: a capturing tool cut the packets without saying so, or they were forged. The payload counts hold only the bytes captured; the sequence numbers follow the claimed ones, as the peers did. Recapture without slicing if the payload matters.`;
    }
    case 'midstream':
      return undefined;
    case 'icmp-unreachable':
    case 'icmp-time-exceeded':
    case 'icmp-parameter-problem': {
      const from = detail(a, 'from');
      const router = detail(a, 'by') === 'router';
      const ended = detail(a, 'effect') === 'ended-attempt';
      const why = a.code === 'icmp-time-exceeded'
        ? `the packets' TTL ran out on the way: a routing loop, or a path longer than the sender's TTL (${from} is where it ran out)`
        : a.code === 'icmp-parameter-problem'
          ? `${from} could not parse the packet's headers: a middlebox mangling options, or a broken stack`
          : router
            ? `a router on the path (${from}) could not deliver it: no route, a neighbour that never answered ARP or neighbour discovery, or a firewall rule that rejects (nftables' and iptables' reject)`
            : `the ${peer} host itself (${from}) rejected it: a firewall rule that rejects with ICMP, or a stack that answers a closed port with ICMP instead of RST`;
      return `${ended ? `The ${side}'s connection attempt ended at frame ${a.frame}` : `Frame ${a.frame} reported an error the ${side} kept as a soft error`}: ${why}. Check the route and firewall rules on the way to ${ctx.s} (\`ip route get\`, \`nft list ruleset\`), or take a capture at ${from} to see why it answered.`;
    }
    case 'pmtu-black-hole':
      return `The ${side}'s ${detail(a, 'segment_bytes') ?? 'full-size'}-byte segments never arrived while its small ones did (from frame ${a.frame}), and no ICMP "fragmentation needed" / "packet too big" came back: a link on the path has a smaller MTU and the ICMP that should say so is dropped (a firewall blocking all ICMP, or a router configured not to send it). Let ICMP type 3 code 4 (IPv4) and ICMPv6 type 2 through, clamp the MSS where the smaller link begins (nftables \`tcp option maxseg size set rt mtu\`), or turn on packetization-layer path MTU discovery (net.ipv4.tcp_mtu_probing=1, RFC 4821) on the ${side}.`;
    case 'packet-too-big':
      return countOf(f, 'packet-too-big') > 1 && firstOf(f, 'packet-too-big') !== a ? undefined
        : `A link on the path has a smaller MTU (${detail(a, 'mtu') ?? '?'}) than the ${side}'s segments, and ${detail(a, 'from') ?? 'a router'} said so (frame ${a.frame}): path MTU discovery worked, and the ${side} went on with smaller segments. If it recurs on every connection, lower the MTU or clamp the MSS (nftables \`tcp option maxseg size set rt mtu\`) where the tunnel or link begins.`;
    // Nothing to add but where it shows and what it says.
    case 'bad-synack-ack':
    case 'simultaneous-open':
    case 'syn-with-data':
    case 'rst-only':
    case 'flow-evicted':
      return `Frame ${a.frame}: ${a.message}.`;
    default: {
      // Every code of the registry has its case above (the compiler checks:
      // here a.code is never); a record from a newer synfin may still bring one.
      const unknown: never = a.code;
      void unknown;
      return `Frame ${(a as AnomalyRecord).frame}: ${(a as AnomalyRecord).message}.`;
    }
  }
}

function nextSteps(ctx: Ctx): string[] {
  const { f } = ctx;
  const seen = new Set<string>();
  const out: string[] = [];
  for (const a of f.anomalies) {
    if (seen.has(a.code)) continue;
    seen.add(a.code);
    const s = nextStep(ctx, a);
    if (s !== undefined) out.push(s);
  }
  if (out.length === 0) {
    if (f.close.kind === 'reset') {
      const init = f.close.initiator;
      out.push(`Nothing on the wire went wrong, but the ${init} chose to abort: if the ${init === 'client' ? 'server' : 'client'}'s ECONNRESET is unwanted, look at how the ${init} application closes (SO_LINGER, unread data at close()).`);
    } else if (f.client.final_state === 'CLOSE_WAIT' || f.server.final_state === 'CLOSE_WAIT') {
      // A CLOSE_WAIT shorter than --stuck-after at the end: open, not stuck (tcp/anomalies/end.ts).
      const side = f.server.final_state === 'CLOSE_WAIT' ? 'server' : 'client';
      out.push(`Nothing went wrong on the wire: the ${side} was still in CLOSE_WAIT when the capture ended, for less than --stuck-after, so its application may simply not have called close() yet. A longer capture (or a lower --stuck-after) tells whether it leaked the socket.`);
    } else if (f.close.kind === 'open') {
      out.push('Nothing went wrong on the wire: the connection was simply still open when the capture ended.');
    } else {
      out.push('Nothing here needs looking into: the connection opened, carried its data and closed cleanly.');
    }
  }
  return out;
}

/** The plain-language account of a flow, in parts. */
export function explainAccount(f: FlowRecord, options: ExplainOptions = {}): Account {
  const ctx: Ctx = {
    f,
    events: f.events ?? [],
    end: stampOf(options.captureEnd ?? f.end),
    msl: options.msl ?? 30,
    c: endpointText(f.client.addr, f.client.port),
    s: endpointText(f.server.addr, f.server.port),
  };
  return { opening: opening(ctx), data: dataAccount(ctx), closing: closing(ctx), applications: applications(ctx), next: nextSteps(ctx) };
}

/**
 * Words to wrap: spaces inside a `code span` do not break it, so a command
 * stays on one line, nor do the ones in `frame 8` (a frame can be found with
 * grep) and `42.9 ms`.
 */
function words(text: string): string[] {
  const out: string[] = [];
  let inCode = false;
  for (const w of text.split(' ')) {
    const previous = out[out.length - 1] ?? '';
    // A unit stays with its number (`42.9 ms`), a frame number with its word.
    const glue = endsWithFrameWord(previous) || (startsWithUnit(w) && endsWithDigit(previous));
    if (inCode || glue) out[out.length - 1] += ` ${w}`;
    else out.push(w);
    if (backticks(w) % 2 === 1) inCode = !inCode;
  }
  return out;
}

// words' tests, read character by character: as regular expressions (three
// per word, and a match for its backticks) they were the larger part of
// explain's wrapping, which runs over every line of every flow.

/** `/\bframes?$/`: the word ends in `frame` or `frames` with nothing of a word before it. */
function endsWithFrameWord(w: string): boolean {
  const at = w.endsWith('frames') ? w.length - 6 : w.endsWith('frame') ? w.length - 5 : -1;
  return at === 0 || (at > 0 && !isWordChar(w.charCodeAt(at - 1)));
}

/** `/^(ms|s|kB|MB|GB)\b/`: the word starts with a unit that ends there or before a character not of a word. */
function startsWithUnit(w: string): boolean {
  const c = w.charCodeAt(0);
  const n = c === 115 /* s */ ? 1 : (c === 109 /* m */ && w.charCodeAt(1) === 115) || ((c === 107 /* k */ || c === 77 /* M */ || c === 71 /* G */) && w.charCodeAt(1) === 66 /* B */) ? 2 : 0;
  return n > 0 && (w.length === n || !isWordChar(w.charCodeAt(n)));
}

/** `/\d$/`. */
function endsWithDigit(w: string): boolean {
  const c = w.charCodeAt(w.length - 1);
  return c >= 48 && c <= 57;
}

/** A character `\w` matches. */
function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function backticks(w: string): number {
  let n = 0;
  for (let at = w.indexOf('`'); at >= 0; at = w.indexOf('`', at + 1)) n++;
  return n;
}

/** Wraps `text` to `width` columns, the first line after `first`, the rest indented by `indent`. */
function wrap(text: string, first: string, indent: string, width: number): string[] {
  const lines: string[] = [];
  let line = first;
  // Columns counted as the line grows: counting the whole line again for each
  // word was a sixth of explain's time on a capture of many flows.
  let columns = codePoints(first);
  const indentColumns = codePoints(indent);
  let empty = true;
  for (const word of words(text)) {
    const wordColumns = codePoints(word);
    if (!empty && columns + 1 + wordColumns > width) {
      lines.push(line);
      line = indent + word;
      columns = indentColumns + wordColumns;
    } else {
      line += (empty ? '' : ' ') + word;
      columns += (empty ? 0 : 1) + wordColumns;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}

/** One flow's explanation: header, timeline, account. */
export function formatExplain(f: FlowRecord, options: ExplainOptions = {}): string {
  const p = options.painter ?? PLAIN;
  const width = options.width ?? 100;
  const lines: string[] = [];
  const dur = durationText(f.duration_s);
  const via = f.via === undefined || f.via.length === 0 ? '' : ` via ${f.via.join(' > ')}`;
  lines.push(p.heading(`Flow ${f.id}: client ${endpointText(f.client.addr, f.client.port)} → server ${endpointText(f.server.addr, f.server.port)}${via}`));
  lines.push(`frames ${f.first_frame}-${f.last_frame}, ${f.start} + ${dur}: ${verdict(f)}`);
  lines.push('');
  if (f.events === undefined) lines.push('(no per-frame events: analyse with events to see the timeline)');
  else lines.push(...explainTimeline(f, options));
  lines.push('');
  lines.push(p.heading('What happened'));
  const account = explainAccount(f, options);
  const parts: [string, string[]][] = [
    ['Opening', account.opening], ['Data', account.data], ['Closing', account.closing],
    ['Applications', account.applications], ['Look next', account.next],
  ];
  const label = 16;
  for (const [name, sentences] of parts) {
    if (sentences.length === 0) continue;
    const first = `  ${name}:`.padEnd(label);
    lines.push(...wrap(sentences.join(' '), first, ' '.repeat(label), width));
  }
  return `${lines.join('\n')}\n`;
}

/** Several flows' explanations, separated by a blank line. */
export function formatExplainAll(flows: readonly FlowRecord[], options: ExplainOptions = {}): string {
  return flows.map((f) => formatExplain(f, options)).join('\n');
}
