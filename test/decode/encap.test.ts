import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { decodeGre } from '../../src/decode/encap/gre.ts';
import { decodeMpls } from '../../src/decode/encap/mpls.ts';
import { decodeGeneve, decodeGtpu, decodeVxlan } from '../../src/decode/encap/udp-tunnels.ts';
import { decodePppoe } from '../../src/decode/encap/pppoe.ts';
import { hex } from './fixtures.ts';
import { formatText, matchesFilter } from '../../src/report/text.ts';

// captures/encap/*.pcap (captures/encap.py): one connection, 10.99.0.1:40100 → 10.99.0.2:80,
// 8 segments (5 from the client, 3 from the server), 100 payload bytes each way, closed by FIN/ACK, wrapped in the named encapsulation.
const CASES: readonly (readonly [file: string, via: readonly string[] | undefined])[] = [
  ['mpls', ['MPLS']], ['mpls-pw', ['MPLS']], ['pppoe', ['PPPoE']], ['pbb', ['PBB']], ['vntag', ['VN-Tag']],
  ['fabricpath', ['FabricPath']], ['ipip', ['IPIP']], ['gre', ['GRE']], ['gre-teb', ['GRE']],
  ['erspan2', ['ERSPAN']], ['erspan3', ['ERSPAN']], ['vxlan', ['VXLAN']], ['vxlan-in-gre', ['GRE', 'VXLAN']],
  ['geneve', ['Geneve']], ['gtpu', ['GTP-U']], ['c-hdlc', undefined], ['ppp', undefined],
  // PPP's protocol field compressed to one byte (RFC 1661 §6.5), wherever PPP is decoded.
  ['pppoe-pfc', ['PPPoE']], ['ppp-pfc', undefined], ['gre-ppp-pfc', ['GRE']],
  // The same connection over IPv6, 2001:db8::1 → 2001:db8::2.
  ['6in4', ['IPv6-in-IP']], ['teredo', ['Teredo']], ['ayiya', ['AYIYA']],
];

describe('a mirror plus the original (encap-mirror-plus-original.pcap)', () => {
  it('counts every copy in one flow, as tshark\'s tcp.stream does, and reads the copies as retransmissions', async () => {
    const r = await analyzeFile('captures/encap/encap-mirror-plus-original.pcap');
    expect(r.summary).toMatchObject({ frames: 16, tcp_segments: 16, flows: 1, skipped: {} });
    const f = r.flows[0]!;
    // Each of the 8 segments as it crossed the port, then its ERSPAN II copy.
    expect(f.client).toMatchObject({ frames: 10, payload_bytes: 200 });
    expect(f.server).toMatchObject({ frames: 6, payload_bytes: 200 });
    expect(f.via).toEqual(['ERSPAN']);
    expect([...new Set(f.anomalies.map((a) => a.code))].sort()).toEqual(['fin-retransmit', 'retransmission', 'syn-retransmit', 'synack-retransmit']);
    // The copies change no state: the story is the original's.
    expect([f.handshake.kind, f.close.kind, f.client.final_state, f.server.final_state]).toEqual(['three-way', 'three-segment', 'TIME_WAIT', 'CLOSED']);
  });
});

describe('the inner connection of each encapsulation', () => {
  it.each(CASES)('encap-%s.pcap', async (name, via) => {
    const r = await analyzeFile(`captures/encap/encap-${name}.pcap`);
    expect(r.summary).toMatchObject({ frames: 8, tcp_segments: 8, flows: 1, skipped: {} });
    const f = r.flows[0]!;
    const v6 = via?.some((v) => v === 'IPv6-in-IP' || v === 'Teredo' || v === 'AYIYA') === true;
    expect(f.client).toMatchObject({ addr: v6 ? '2001:db8::1' : '10.99.0.1', port: 40100, frames: 5, payload_bytes: 100 });
    expect(f.server).toMatchObject({ addr: v6 ? '2001:db8::2' : '10.99.0.2', port: 80, frames: 3, payload_bytes: 100 });
    expect(f.handshake.kind).toBe('three-way');
    expect(f.close.kind).toBe('three-segment');
    expect(f.via).toEqual(via);
  });

  it('--via picks tunnelled flows by any of their encapsulations, case-insensitive', async () => {
    const r = await analyzeFile('captures/encap/encap-vxlan-in-gre.pcap');
    const f = r.flows[0]!;
    expect(matchesFilter(f, { via: 'vxlan' })).toBe(true);
    expect(matchesFilter(f, { via: 'GRE' })).toBe(true);
    expect(matchesFilter(f, { via: 'MPLS' })).toBe(false);
    const plain = await analyzeFile('captures/normal-close-client.pcap');
    expect(plain.flows[0]!.via).toBeUndefined();
    expect(matchesFilter(plain.flows[0]!, { via: 'GRE' })).toBe(false);
    expect(formatText(r)).toContain('10.99.0.2:80 via GRE > VXLAN');
  });

  it('refuses a nesting bomb by name, without a hang', async () => {
    const r = await analyzeFile('captures/encap/encap-depth-bomb.pcap');
    expect(r.summary.skipped).toEqual({ 'encapsulation too deep': 8 });
    expect(r.flows).toEqual([]);
  });
});

describe('headers cut short are skipped with a reason', () => {
  it('MPLS without a bottom-of-stack label', () => {
    expect(decodeMpls(hex('00064040 00064040'), 0)).toMatchObject({ ok: false, error: { kind: 'bad encapsulation header', offset: 8 } });
  });
  it('GRE with a key flag but no key', () => {
    expect(decodeGre(hex('2000 0800'), 0)).toMatchObject({ ok: false, error: { kind: 'bad encapsulation header' } });
    expect(decodeGre(hex('2000 0800 00000007'), 0)).toEqual({ ok: true, value: { name: 'GRE', next: { network: 'ethertype', type: 0x0800, typeAt: 2, at: 8 } } });
  });
  it('VXLAN shorter than 8 bytes', () => {
    expect(decodeVxlan(hex('08000000 000000'), 0).ok).toBe(false);
  });
  it('Geneve options longer than the frame', () => {
    expect(decodeGeneve(hex('02006558 00000900 00000000'), 0).ok).toBe(false);
  });
  it('GTP-U extension header of length 0 (would never advance)', () => {
    expect(decodeGtpu(hex('34ff0010 0000abcd 00000085 00000000'), 0)).toMatchObject({ ok: false, error: { message: 'GTP-U extension header of length 0' } });
  });
  it('PPPoE with a wrong version', () => {
    expect(decodePppoe(hex('21001234 00100021'), 0).ok).toBe(false);
  });
  it('PPPoE cut inside its PPP protocol', () => {
    expect(decodePppoe(hex('11001234 0010'), 0).ok).toBe(false);
    expect(decodePppoe(hex('11001234 001000'), 0).ok).toBe(false);
  });
});

describe('the PPP protocol field, two bytes or compressed to one (RFC 1661 §6.5)', () => {
  it.each([
    ['PPPoE, 0x0021', '11001234 0010 0021 45', { protocol: 0x21, at: 8 }],
    ['PPPoE, 0x21', '11001234 0010 21 45', { protocol: 0x21, at: 7 }],
    ['PPPoE, 0x57 (IPv6)', '11001234 0010 57 60', { protocol: 0x57, at: 7 }],
  ])('%s', (_, bytes, want) => {
    const r = decodePppoe(hex(bytes), 0);
    expect(r).toMatchObject({ ok: true, value: { name: 'PPPoE', next: { network: 'ppp', typeAt: 6, ...want } } });
  });
  it('GRE (PPTP) with 0xFF 0x03 and a one-byte protocol', () => {
    // version 1, key (length, call id), protocol 0x880B; then FF 03 21.
    expect(decodeGre(hex('2001 880b 0010 0007 ff0321 45'), 0)).toMatchObject({ ok: true, value: { next: { network: 'ppp', protocol: 0x21, at: 11 } } });
  });
});
