/**
 * Deterministic, structure-aware mutations of capture files, one family per
 * layer a parser can trip over: file header, record header, pcapng block
 * lengths and options, link header, IP header, TCP header, and whole-file
 * damage. The same seed always yields the same inputs, so any failure can be
 * reproduced from its seed alone.
 */

/** Mutation families (the classes a test exercises one by one). */
export const FAMILIES = [
  'file-header', 'record-header', 'pcapng-block', 'link-header', 'ip-header', 'tcp-header',
  'tcp-fields', 'truncate', 'random-bytes', 'zero-run',
] as const;

/** One mutation family. */
export type Family = (typeof FAMILIES)[number];

/** mulberry32: small, fast, good enough to pick bytes, and the same everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Where a packet's bytes sit in the file, found by walking the container. */
interface Packet { readonly recordAt: number; readonly dataAt: number; readonly len: number }

/** Record (pcap) or block (pcapng) boundaries and packet data, as far as they parse. */
export function packetsOf(b: Buffer): { packets: Packet[]; blocks: number[]; pcapng: boolean } {
  const packets: Packet[] = [];
  const blocks: number[] = [];
  if (b.length < 24) return { packets, blocks, pcapng: false };
  const magic = b.readUInt32LE(0);
  if (magic === 0x0a0d0d0a) {
    const le = b.readUInt32LE(8) === 0x1a2b3c4d;
    const u32 = (at: number): number => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
    for (let at = 0; at + 12 <= b.length;) {
      const type = u32(at);
      const len = u32(at + 4);
      if (len < 12 || len % 4 !== 0 || at + len > b.length) break;
      blocks.push(at);
      if (type === 6 && len >= 32) packets.push({ recordAt: at, dataAt: at + 28, len: Math.min(u32(at + 20), len - 32) });
      at += len;
    }
    return { packets, blocks, pcapng: true };
  }
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const u32 = (at: number): number => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  for (let at = 24; at + 16 <= b.length;) {
    const caplen = u32(at + 8);
    if (at + 16 + caplen > b.length) break;
    blocks.push(at);
    packets.push({ recordAt: at, dataAt: at + 16, len: caplen });
    at += 16 + caplen;
  }
  return { packets, blocks, pcapng: false };
}

const BOUNDARY32 = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 0x3ffff, 0x40000, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff];

/** One mutated copy of `input` in the given family. */
export function mutate(input: Buffer, family: Family, rnd: () => number): Buffer {
  const b = Buffer.from(input);
  const pick = (n: number): number => Math.floor(rnd() * n);
  const { packets, blocks, pcapng } = packetsOf(b);
  const packet = packets.length > 0 ? packets[pick(packets.length)]! : undefined;
  const poke32 = (at: number): void => {
    if (at + 4 > b.length) return;
    const v = rnd() < 0.6 ? BOUNDARY32[pick(BOUNDARY32.length)]! : Math.floor(rnd() * 2 ** 32);
    if (rnd() < 0.5) b.writeUInt32LE(v >>> 0, at); else b.writeUInt32BE(v >>> 0, at);
  };
  const flip = (from: number, to: number, count = 1 + pick(3)): void => {
    for (let i = 0; i < count && to > from; i++) b[from + pick(to - from)] = pick(256);
  };
  switch (family) {
    case 'file-header':
      if (rnd() < 0.5) poke32(4 * pick(6)); else flip(0, Math.min(28, b.length));
      return b;
    case 'record-header':
    case 'pcapng-block': {
      const at = blocks.length > 0 ? blocks[pick(blocks.length)]! : 24;
      if (pcapng || family === 'pcapng-block') {
        // Leading length, trailing length, or an option length inside the block.
        const choice = pick(3);
        if (choice === 0) poke32(at + 4);
        else if (choice === 1 && at + 8 <= b.length) poke32(Math.min(b.length - 4, at + 8 + 4 * pick(8)));
        else flip(at, Math.min(b.length, at + 64));
      } else {
        poke32(at + 4 * pick(4)); // ts_sec, ts_usec, caplen, origlen
      }
      return b;
    }
    case 'link-header':
      if (packet !== undefined) flip(packet.dataAt, packet.dataAt + Math.min(packet.len, 22));
      return b;
    case 'ip-header':
      if (packet !== undefined && packet.len > 34) {
        const ip = packet.dataAt + 14;
        const field = pick(5);
        if (field === 0) b[ip] = pick(256); // version + IHL
        else if (field === 1) b.writeUInt16BE(pick(65536), ip + 2); // total length
        else if (field === 2) b.writeUInt16BE(pick(65536), ip + 6); // flags + fragment offset
        else if (field === 3) b[ip + 9] = pick(256); // protocol
        else flip(ip, ip + 20);
      }
      return b;
    case 'tcp-header':
      if (packet !== undefined && packet.len > 54) {
        const tcp = packet.dataAt + 34;
        if (rnd() < 0.5) b[tcp + 12] = pick(256); // data offset + AE
        else flip(tcp + 20, Math.min(packet.dataAt + packet.len, tcp + 60)); // options
      }
      return b;
    case 'tcp-fields':
      if (packet !== undefined && packet.len > 54) {
        const tcp = packet.dataAt + 34;
        const field = pick(3);
        if (field === 0) poke32(tcp + 4);
        else if (field === 1) poke32(tcp + 8);
        else b[tcp + 13] = pick(256); // flags
      }
      return b;
    case 'truncate': {
      const cuts = [...blocks, ...packets.map((p) => p.dataAt + 14), ...packets.map((p) => p.dataAt + 34)];
      const at = cuts.length > 0 && rnd() < 0.7 ? cuts[pick(cuts.length)]! + pick(8) : pick(b.length + 1);
      return b.subarray(0, Math.min(at, b.length));
    }
    case 'random-bytes': {
      const at = pick(b.length + 1);
      const junk = Buffer.from(Array.from({ length: 1 + pick(64) }, () => pick(256)));
      return rnd() < 0.5 ? Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]) : (junk.copy(b, Math.min(at, b.length)), b);
    }
    case 'zero-run': {
      const at = pick(b.length);
      b.fill(0, at, Math.min(b.length, at + 1 + pick(256)));
      return b;
    }
  }
}
