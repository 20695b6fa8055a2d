/**
 * Compares synfin's flows with tshark's TCP streams (`tcp.stream`) on each
 * capture given: per connection, first and last frame, and per direction the
 * frames, payload bytes (tcp.len) and frame bytes (frame.len). Addresses are
 * the innermost ones (the last ip/ipv6 layer of a tunnelled frame), as synfin
 * keys flows. Prints one line per capture, every difference, the agreement
 * over all connections, and exits 1 on any unexplained disagreement.
 *
 *   bash captures/crosscheck-tshark.sh            (installs tshark if needed)
 *   npx tsx captures/crosscheck-tshark.ts captures/*.pcap captures/encap/*.pcap captures/malformed/*.pcap captures/icmp/*.pcap
 */

import { execFileSync } from 'node:child_process';
import { analyzeFile } from '../src/analyze.ts';

interface Side { frames: number; payload: number; bytes: number }
/** One tcp.stream: its frame range, each side's frames and bytes, and the ICMP errors quoting it. */
interface Stream { first: number; last: number; sides: Map<string, Side>; icmp: number }

/** tshark's streams: per tcp.stream, frames and bytes by sending endpoint ("addr|port"). */
function streams(file: string): Map<number, Stream> {
  const out = execFileSync('tshark', [
    ...(TSHARK_ARGS[file] ?? []), '-n', '-r', file, '-Y', 'tcp', '-T', 'fields', '-E', 'occurrence=l', '-E', 'separator=\t',
    '-e', 'frame.number', '-e', 'tcp.stream', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.srcport', '-e', 'tcp.len', '-e', 'frame.len',
    '-e', 'icmp.type', '-e', 'icmpv6.type',
  ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 30 });
  const by = new Map<number, Stream>();
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [frame, stream, ip4, ip6, port, len, frameLen, icmp4, icmp6] = line.split('\t');
    // A TCP header tshark could not read far enough (cut by the snaplen) has a tcp layer but no stream.
    if (stream === undefined || stream === '') continue;
    // With both layers in a frame (6in4, Teredo), the one decoded last is the inner one: IPv6.
    const src = ip6 !== undefined && ip6 !== '' ? ip6 : ip4!;
    const n = Number(stream);
    let s = by.get(n);
    if (s === undefined) { s = { first: Number(frame), last: Number(frame), sides: new Map(), icmp: 0 }; by.set(n, s); }
    s.last = Number(frame);
    // tshark puts the TCP header an ICMP error quotes in the stream it is about; synfin counts such a frame
    // as one of the flow's frames too (first and last frame), but apart from its segments (the flow's icmp).
    if ((icmp4 ?? '') !== '' || (icmp6 ?? '') !== '') {
      s.icmp++;
      continue;
    }
    const key = `${src}|${port}`;
    const side = s.sides.get(key) ?? { frames: 0, payload: 0, bytes: 0 };
    side.frames++;
    side.payload += Number(len);
    side.bytes += Number(frameLen);
    s.sides.set(key, side);
  }
  return by;
}

/**
 * Where tshark's streams and synfin's flows cut a connection differently on
 * purpose, and why. Still printed, not counted as a disagreement.
 */
const KNOWN: Record<string, string> = {
  'captures/crafted-split-syn-ack.pcap':
    "tshark starts a new tcp.stream at the server's separate SYN; synfin keeps the split handshake as the one connection it is",
  'captures/syn-injected.pcap':
    "tshark starts a new tcp.stream at each SYN with a new ISN (frames 8 and 10, injected while the connection was established); synfin keeps them in the connection, which answered them with challenge ACKs (RFC 5961 §4, docs/states.md)",
  'captures/encap/encap-depth-bomb.pcap':
    'IPv4-in-IPv4 nested 20 deep: tshark walks it, synfin refuses past 8 encapsulations (skipped as `encapsulation too deep`), on purpose',
  'captures/malformed/tcp-offset-beyond.pcap':
    'frame 6, a TCP data offset of 60 in a 20-byte segment: tshark reads its ports and puts it in the stream (no tcp.len); synfin skips it as `bad TCP header`, never a segment of the flow (docs/formats.md)',
  'captures/malformed/tcp-offset-under-5.pcap':
    'frame 6, a TCP data offset of 3 (12 bytes): tshark puts it in the stream with tcp.len 8; synfin skips it as `bad TCP header`, never a segment of the flow (docs/formats.md)',
};

/**
 * What tshark must be told about a capture to decode it at all: an MPLS label's
 * payload is whatever the operator configured, and tshark guesses Ethernet
 * without a control word unless told (synfin reads a first nibble 0 as one).
 */
const TSHARK_ARGS: Record<string, readonly string[]> = {
  'captures/encap/encap-mpls-pw.pcap': ['-d', 'mpls.label==300,pwethcw'],
};

const ZERO: Side = { frames: 0, payload: 0, bytes: 0 };
const text = (s: Side): string => `${s.frames} frames ${s.payload} payload ${s.bytes} bytes`;

let failed = 0;
let knownDiffs = 0;
let connections = 0;
let agreeing = 0;
/** Connections of captures whose difference KNOWN explains. */
let explained = 0;
for (const file of process.argv.slice(2)) {
  const r = await analyzeFile(file);
  const before = connections;
  const agreedBefore = agreeing;
  const tsh = [...streams(file).values()].sort((a, b) => a.first - b.first);
  const problems: string[] = [];
  const used = new Set<number>();
  for (const f of r.flows) {
    connections++;
    const c = `${f.client.addr}|${f.client.port}`;
    const s = `${f.server.addr}|${f.server.port}`;
    // tshark numbers a tuple's incarnations in order too: take the first unused stream of this tuple.
    const i = tsh.findIndex((v, k) => !used.has(k) && [...v.sides.keys()].every((e) => e === c || e === s));
    if (i < 0) { problems.push(`flow ${f.id} ${c} ${s}: no tcp.stream`); continue; }
    used.add(i);
    const v = tsh[i]!;
    const tc = v.sides.get(c) ?? ZERO;
    const ts = v.sides.get(s) ?? ZERO;
    const sc: Side = { frames: f.client.frames, payload: f.client.payload_bytes, bytes: f.client.frame_bytes };
    const ss: Side = { frames: f.server.frames, payload: f.server.payload_bytes, bytes: f.server.frame_bytes };
    const same = v.first === f.first_frame && v.last === f.last_frame && text(tc) === text(sc) && text(ts) === text(ss) && v.icmp === (f.icmp?.length ?? 0);
    if (same) agreeing++;
    else {
      problems.push(`flow ${f.id}: synfin frames ${f.first_frame}-${f.last_frame}, client ${text(sc)}, server ${text(ss)}, ${f.icmp?.length ?? 0} ICMP`);
      problems.push(`${' '.repeat(`flow ${f.id}: `.length)}tshark stream frames ${v.first}-${v.last}, client ${text(tc)}, server ${text(ts)}, ${v.icmp} ICMP`);
    }
  }
  if (used.size !== tsh.length) {
    connections += tsh.length - used.size;
    problems.push(`tshark has ${tsh.length} streams, synfin ${r.flows.length} flows`);
  }
  const known = KNOWN[file];
  if (problems.length > 0 && known !== undefined) {
    explained += connections - before - (agreeing - agreedBefore);
  }
  const verdict = problems.length === 0 ? 'agree' : known !== undefined ? 'known' : 'DIFFER';
  console.log(`${verdict}  ${file}: ${r.flows.length} flows${problems.length === 0 ? '' : `\n  ${problems.join('\n  ')}${known === undefined ? '' : `\n  (${known})`}`}`);
  if (problems.length > 0 && known === undefined) failed++;
  if (problems.length > 0 && known !== undefined) knownDiffs++;
}
const compared = connections - explained;
const pct = compared === 0 ? 100 : (100 * agreeing) / compared;
console.log(`${agreeing} of ${compared} connections agree with tshark's tcp.stream (${pct.toFixed(1)} %)${knownDiffs > 0 ? `; ${explained} more in ${knownDiffs} capture(s) cut differently on purpose, as explained above` : ''}`);
console.log(failed === 0 ? 'every difference is explained' : `${failed} capture(s) differ without explanation`);
process.exit(failed === 0 ? 0 : 1);
