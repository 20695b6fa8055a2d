/**
 * Crafted flood and scale captures (issue 8, item 3), too large to commit:
 * written to bench-out/ (ignored by git) for measuring synfin's peak RSS and
 * wall time on each (docs/performance.md, "Floods").
 *
 *   syn-flood       1,000,000 SYNs from spoofed sources (random address and
 *                   port) to 10.99.0.2:80 over 10 s; the server answers one in
 *                   four with a SYN-ACK that is never acknowledged
 *   short-conns     1,000,000 complete connections (SYN, SYN-ACK, ACK, 100
 *                   bytes of data, its ACK, FIN/ACK, FIN/ACK, ACK), one
 *                   starting every millisecond and lasting 0.92 s: about 920
 *                   open at once, 1,000 s of traffic
 *   one-2gb         one connection carrying 2 GiB client → server in 1448-byte
 *                   segments, an ACK for every second one, then a clean close
 *   rst-flood       1,000,000 RSTs from spoofed sources to 10.99.0.2:80 over
 *                   10 s (backscatter, each its own rst-only flow)
 *   syn-repeat      one SYN, the same bytes, repeated 2,000,000 times over
 *                   2,000 s: one flow whose cost must not grow with its
 *                   retransmissions (gzipped, a few hundred KB that inflate to
 *                   140 MB: the decompression bomb of this kind)
 *
 * Ethernet, IPv4, checksums left zero (synfin does not verify them unless
 * asked). Deterministic: a fixed LCG, no clock.
 *
 *   npx tsx scripts/floods/generate.ts [--out DIR] [--only NAME,...] [--scale F]
 *   npm run floods -- --only syn-flood
 */

import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;
const FIN = 0x01;

/** Capture start: 2027-01-14T08:00:00Z. */
const T0 = 1_799_913_600;

/** Buffered pcap writer: records go into a 4 MiB block, written when full. */
class PcapWriter {
  private readonly fd: number;
  private readonly block = Buffer.alloc(4 * 1024 * 1024);
  private used = 0;
  packets = 0;
  bytes = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(262144, 16);
    h.writeUInt32LE(1, 20); // EN10MB
    writeSync(this.fd, h);
    this.bytes = 24;
  }

  /** One Ethernet/IPv4/TCP packet at `usec` microseconds after T0. */
  packet(usec: number, src: number, sport: number, dst: number, dport: number, flags: number, seq: number, ack: number, payload = 0): void {
    const frameLen = 54 + payload;
    const need = 16 + frameLen;
    if (this.used + need > this.block.length) this.flush();
    if (need > this.block.length) throw new Error('packet larger than the write block');
    const b = this.block;
    let o = this.used;
    const sec = T0 + Math.floor(usec / 1e6);
    b.writeUInt32LE(sec, o);
    b.writeUInt32LE(usec % 1e6, o + 4);
    b.writeUInt32LE(frameLen, o + 8);
    b.writeUInt32LE(frameLen, o + 12);
    o += 16;
    // Ethernet: fixed MACs, IPv4.
    b.fill(0, o, o + 12);
    b[o + 5] = 1;
    b[o + 11] = 2;
    b.writeUInt16BE(0x0800, o + 12);
    o += 14;
    b[o] = 0x45;
    b[o + 1] = 0;
    b.writeUInt16BE(40 + payload, o + 2);
    b.writeUInt32BE(0x4000_0000, o + 4); // id 0, DF
    b[o + 8] = 64;
    b[o + 9] = 6;
    b.writeUInt16BE(0, o + 10);
    b.writeUInt32BE(src >>> 0, o + 12);
    b.writeUInt32BE(dst >>> 0, o + 16);
    o += 20;
    b.writeUInt16BE(sport, o);
    b.writeUInt16BE(dport, o + 2);
    b.writeUInt32BE(seq >>> 0, o + 4);
    b.writeUInt32BE(ack >>> 0, o + 8);
    b[o + 12] = 5 << 4;
    b[o + 13] = flags;
    b.writeUInt16BE(65535, o + 14);
    b.writeUInt32BE(0, o + 16);
    o += 20;
    if (payload > 0) b.fill(0x61, o, o + payload);
    this.used = o + payload;
    this.packets++;
    this.bytes += need;
  }

  flush(): void {
    for (let done = 0; done < this.used;) done += writeSync(this.fd, this.block, done, this.used - done);
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** A 32-bit LCG (Numerical Recipes), deterministic everywhere. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x;
  };
}

const ip = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const SERVER = ip(10, 99, 0, 2);

/** A spoofed source outside the server's net: 1.0.0.0–223.255.255.255 minus 10/8. */
function spoofed(rand: () => number): number {
  for (;;) {
    const a = rand();
    const first = a >>> 24;
    if (first >= 1 && first < 224 && first !== 10 && first !== 127) return a;
  }
}

function synFlood(path: string, n: number): PcapWriter {
  const w = new PcapWriter(path);
  const rand = lcg(1);
  const spanUs = 10_000_000;
  for (let i = 0; i < n; i++) {
    const t = Math.floor((i * spanUs) / n);
    const src = spoofed(rand);
    const sport = 1024 + (rand() % 64_000);
    const isn = rand();
    w.packet(t, src, sport, SERVER, 80, SYN, isn, 0);
    if (i % 4 === 0) w.packet(t + 1, SERVER, 80, src, sport, SYN | ACK, rand(), isn + 1);
  }
  w.close();
  return w;
}

function rstFlood(path: string, n: number): PcapWriter {
  const w = new PcapWriter(path);
  const rand = lcg(2);
  const spanUs = 10_000_000;
  for (let i = 0; i < n; i++) {
    const t = Math.floor((i * spanUs) / n);
    w.packet(t, spoofed(rand), 1024 + (rand() % 64_000), SERVER, 80, RST | ACK, rand(), rand());
  }
  w.close();
  return w;
}

/**
 * Connection i starts at i ms; its packets at these offsets (ms), from these
 * sides, with these flags and payloads. Every tick of 1 ms emits, for each
 * step, the connection that is at that step, so the file is in time order.
 */
const STEPS: readonly { at: number; fromClient: boolean; flags: number; len: number }[] = [
  { at: 0, fromClient: true, flags: SYN, len: 0 },
  { at: 10, fromClient: false, flags: SYN | ACK, len: 0 },
  { at: 20, fromClient: true, flags: ACK, len: 0 },
  { at: 100, fromClient: true, flags: PSH | ACK, len: 100 },
  { at: 110, fromClient: false, flags: ACK, len: 0 },
  { at: 900, fromClient: true, flags: FIN | ACK, len: 0 },
  { at: 910, fromClient: false, flags: FIN | ACK, len: 0 },
  { at: 920, fromClient: true, flags: ACK, len: 0 },
];

function shortConns(path: string, n: number): PcapWriter {
  const w = new PcapWriter(path);
  const span = STEPS[STEPS.length - 1]!.at;
  const order = STEPS.map((s, j) => ({ ...s, j })).sort((a, b) => b.at - a.at); // oldest connection first within a tick
  for (let tick = 0; tick < n + span; tick++) {
    for (let k = 0; k < order.length; k++) {
      const st = order[k]!;
      const i = tick - st.at;
      if (i < 0 || i >= n) continue;
      const client = ip(10, 1 + (i >>> 16), (i >>> 8) & 255, i & 255);
      const cport = 10_000 + (i % 50_000);
      const cisn = (i * 2654435761) >>> 0;
      const sisn = (i * 40503 + 12345) >>> 0;
      const usec = tick * 1000 + k;
      if (st.fromClient) {
        const seq = st.j === 0 ? cisn : st.j <= 3 ? cisn + 1 : st.j === 5 ? cisn + 101 : cisn + 102;
        const ack = st.j === 0 ? 0 : st.j === 7 ? sisn + 2 : sisn + 1;
        w.packet(usec, client, cport, SERVER, 80, st.flags, seq, ack, st.len);
      } else {
        const seq = st.j === 1 ? sisn : sisn + 1;
        const ack = st.j === 1 ? cisn + 1 : st.j === 4 ? cisn + 101 : cisn + 102;
        w.packet(usec, SERVER, 80, client, cport, st.flags, seq, ack, st.len);
      }
    }
  }
  w.close();
  return w;
}

function oneBig(path: string, bytes: number): PcapWriter {
  const w = new PcapWriter(path);
  const c = ip(10, 1, 0, 1);
  const cport = 50_000;
  const cisn = 1_000_000;
  const sisn = 3_000_000_000;
  let t = 0;
  w.packet(t, c, cport, SERVER, 80, SYN, cisn, 0);
  w.packet(t += 100, SERVER, 80, c, cport, SYN | ACK, sisn, cisn + 1);
  w.packet(t += 100, c, cport, SERVER, 80, ACK, cisn + 1, sisn + 1);
  let sent = 0;
  let segs = 0;
  // 1448 bytes every 12 µs: about 1 Gbit/s.
  while (sent < bytes) {
    const len = Math.min(1448, bytes - sent);
    t += 12;
    w.packet(t, c, cport, SERVER, 80, PSH | ACK, cisn + 1 + sent, sisn + 1, len);
    sent += len;
    segs++;
    if (segs % 2 === 0 || sent >= bytes) w.packet(t + 6, SERVER, 80, c, cport, ACK, sisn + 1, cisn + 1 + sent);
  }
  t += 1000;
  w.packet(t, c, cport, SERVER, 80, FIN | ACK, cisn + 1 + sent, sisn + 1);
  w.packet(t += 100, SERVER, 80, c, cport, FIN | ACK, sisn + 1, cisn + 2 + sent);
  w.packet(t += 100, c, cport, SERVER, 80, ACK, cisn + 2 + sent, sisn + 2);
  w.close();
  return w;
}

function synRepeat(path: string, n: number): PcapWriter {
  const w = new PcapWriter(path);
  const c = ip(10, 1, 0, 1);
  for (let i = 0; i < n; i++) w.packet(i * 1000, c, 50_000, SERVER, 80, SYN, 1_000_000, 0);
  w.close();
  return w;
}

/** The captures, by name. */
export const FLOODS = {
  'syn-flood': (p: string, scale: number) => synFlood(p, Math.round(1_000_000 * scale)),
  'short-conns': (p: string, scale: number) => shortConns(p, Math.round(1_000_000 * scale)),
  'one-2gb': (p: string, scale: number) => oneBig(p, Math.round(2 * 1024 ** 3 * scale)),
  'rst-flood': (p: string, scale: number) => rstFlood(p, Math.round(1_000_000 * scale)),
  'syn-repeat': (p: string, scale: number) => synRepeat(p, Math.round(2_000_000 * scale)),
} as const;

function main(argv: readonly string[]): void {
  let out = 'bench-out';
  let only: string[] = Object.keys(FLOODS);
  let scale = 1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') out = argv[++i] ?? out;
    else if (a === '--only') only = (argv[++i] ?? '').split(',').filter((x) => x !== '');
    else if (a === '--scale') scale = Number(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  mkdirSync(out, { recursive: true });
  for (const name of only) {
    const make = FLOODS[name as keyof typeof FLOODS];
    if (make === undefined) throw new Error(`unknown capture ${name} (${Object.keys(FLOODS).join(', ')})`);
    const path = join(out, `flood-${name}.pcap`);
    const w = make(path, scale);
    process.stdout.write(`${path}: ${w.packets.toLocaleString('en-US')} packets, ${(w.bytes / 1e6).toFixed(0)} MB\n`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv.slice(2));
