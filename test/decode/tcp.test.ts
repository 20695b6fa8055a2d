import { describe, expect, it } from 'vitest';
import { decodeTcp } from '../../src/decode/tcp.ts';
import { ACK, AE, CWR, ECE, FIN, PSH, RST, SYN, URG } from '../../src/decode/segment.ts';
import { EN10MB_SYN, hex, patch, TCP_SYN, tcpHeader } from './fixtures.ts';

function decoded(b: Buffer, at = 0, end?: number) {
  const r = decodeTcp(b, at, end);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function failed(b: Buffer, at = 0, end?: number) {
  const r = decodeTcp(b, at, end);
  if (r.ok) throw new Error('decoded');
  return r.error;
}

/** Options of a header built around `options` (padded by the caller to a multiple of 4). */
function withOptions(options: string) {
  return decoded(tcpHeader(0x02, hex(options)));
}

describe('decodeTcp', () => {
  it('decodes the real loopback SYN', () => {
    expect(decoded(EN10MB_SYN, 34)).toEqual({
      srcPort: 34048,
      dstPort: 18081,
      seq: 2392918837,
      ack: 0,
      flags: SYN,
      window: 65495,
      urgent: 0,
      headerLen: 40,
      payloadLen: 0,
      options: [
        { kind: 'mss', value: 65495 },
        { kind: 'sack-permitted' },
        { kind: 'timestamps', tsval: 84014684, tsecr: 0 },
        { kind: 'wscale', shift: 10 },
      ],
      optionsError: undefined,
      truncated: false,
    });
  });

  it('reads full 32-bit sequence numbers and the urgent pointer', () => {
    const h = decoded(hex('ffff 0001 ffffffff fffffffe 5030 0000 0000 8001'));
    expect(h).toMatchObject({ srcPort: 65535, dstPort: 1, seq: 4294967295, ack: 4294967294, flags: URG | ACK, window: 0, urgent: 0x8001 });
  });

  it.each([
    ['FIN', 0x01, false, FIN],
    ['SYN', 0x02, false, SYN],
    ['RST', 0x04, false, RST],
    ['PSH', 0x08, false, PSH],
    ['ACK', 0x10, false, ACK],
    ['URG', 0x20, false, URG],
    ['ECE', 0x40, false, ECE],
    ['CWR', 0x80, false, CWR],
    ['AE (byte 12 bit 0)', 0x00, true, AE],
    ['SYN+ECE+CWR (ECN setup, RFC 3168)', 0xc2, false, SYN | ECE | CWR],
    ['all nine', 0xff, true, FIN | SYN | RST | PSH | ACK | URG | ECE | CWR | AE],
  ] as const)('flag %s', (_, byte13, ae, flags) => {
    expect(decoded(tcpHeader(byte13, Buffer.alloc(0), ae)).flags).toBe(flags);
  });

  it('ignores the three reserved bits', () => {
    expect(decoded(patch(tcpHeader(0x10), 12, [0x5e])).flags).toBe(ACK);
  });

  it('takes payloadLen from the IP length, not from the captured bytes', () => {
    const seg = Buffer.concat([tcpHeader(0x18), Buffer.alloc(1000)]);
    expect(decoded(seg, 0, 1020)).toMatchObject({ payloadLen: 1000, truncated: false });
    expect(decoded(seg.subarray(0, 96), 0, 1020)).toMatchObject({ payloadLen: 1000, truncated: true });
    expect(decoded(seg.subarray(0, 20), 0, 1020)).toMatchObject({ payloadLen: 1000, truncated: true });
    // Bytes captured past the IP length (link padding) are not payload.
    expect(decoded(seg, 0, 26)).toMatchObject({ payloadLen: 6, truncated: false });
  });

  it('defaults the end to the captured bytes', () => {
    expect(decoded(Buffer.concat([tcpHeader(0x18), Buffer.alloc(7)])).payloadLen).toBe(7);
  });

  describe('bad headers', () => {
    it.each([0, 1, 4])('data offset %i < 5', (words) => {
      const e = failed(patch(tcpHeader(), 12, [words << 4]));
      expect(e).toMatchObject({ kind: 'bad TCP header', offset: 12 });
      expect(e.message).toMatch(`data offset ${words} < 5`);
    });

    it('data offset beyond the IP payload', () => {
      expect(failed(TCP_SYN, 0, 36)).toMatchObject({ kind: 'bad TCP header', message: 'header length 40 exceeds IP payload 36' });
    });

    it('IP payload shorter than 20 bytes', () => {
      expect(failed(TCP_SYN, 0, 12)).toMatchObject({ kind: 'bad TCP header' });
      expect(failed(TCP_SYN.subarray(0, 12), 0, 12)).toMatchObject({ kind: 'bad TCP header' });
    });

    it('fewer than 20 bytes captured of a longer segment is truncated', () => {
      for (let n = 0; n < 20; n++) {
        expect(failed(TCP_SYN.subarray(0, n), 0, 40)).toMatchObject({ kind: 'truncated TCP header', message: `${n} of 20 fixed header bytes captured` });
      }
    });
  });

  describe('options', () => {
    it('MSS', () => {
      expect(withOptions('0204 05b4').options).toEqual([{ kind: 'mss', value: 1460 }]);
    });

    it('window scale, kept as sent even above 14', () => {
      expect(withOptions('010303 07').options).toEqual([{ kind: 'wscale', shift: 7 }]);
      expect(withOptions('010303 0f').options).toEqual([{ kind: 'wscale', shift: 15 }]);
    });

    it('SACK-permitted', () => {
      expect(withOptions('0101 0402').options).toEqual([{ kind: 'sack-permitted' }]);
    });

    it('SACK with one and with three blocks', () => {
      expect(withOptions('0101 050a 00000064 000000c8').options).toEqual([{ kind: 'sack', blocks: [[100, 200]] }]);
      expect(withOptions('0101 051a 00000001 00000002 00000003 00000004 fffffff0 00000010').options).toEqual([
        { kind: 'sack', blocks: [[1, 2], [3, 4], [0xfffffff0, 0x10]] },
      ]);
    });

    it('timestamps', () => {
      expect(withOptions('0101 080a 01020304 a0b0c0d0').options).toEqual([
        { kind: 'timestamps', tsval: 0x01020304, tsecr: 0xa0b0c0d0 },
      ]);
    });

    it('TFO (kind 34): cookie as hex, empty for a cookie request', () => {
      expect(withOptions('220a 0011223344556677 0000').options).toEqual([{ kind: 'tfo', cookie: '0011223344556677' }]);
      expect(withOptions('2202 0000').options).toEqual([{ kind: 'tfo', cookie: '' }]);
    });

    it('TFO in the experimental kind 254 with magic 0xF989', () => {
      expect(withOptions('fe0c f989 0011223344556677').options).toEqual([{ kind: 'tfo', cookie: '0011223344556677' }]);
      expect(withOptions('fe04 f989').options).toEqual([{ kind: 'tfo', cookie: '' }]);
    });

    it('kind 254 with another ExID, and unassigned kinds, are unknown', () => {
      expect(withOptions('fe06 1234 abcd 0000').options).toEqual([{ kind: 'unknown', number: 254, length: 6 }]);
      expect(withOptions('1e04 0000').options).toEqual([{ kind: 'unknown', number: 30, length: 4 }]);
    });

    it('EOL ends the list; what follows is padding', () => {
      const h = withOptions('0204 05b4 00 0204 05b4 000000');
      expect(h.options).toEqual([{ kind: 'mss', value: 1460 }]);
      expect(h.optionsError).toBeUndefined();
    });

    it('NOPs anywhere, and an all-NOP list', () => {
      expect(withOptions('01 01 01 01').options).toEqual([]);
      expect(withOptions('01 0204 05b4 01 01 01').options).toEqual([{ kind: 'mss', value: 1460 }]);
    });

    it('the real Linux ACK: NOP NOP timestamps', () => {
      expect(withOptions('0101 080a 0501f65c c40c5633').options).toEqual([
        { kind: 'timestamps', tsval: 84014684, tsecr: 3289142835 },
      ]);
    });
  });

  describe('malformed options never throw; what came before is kept', () => {
    it.each([
      ['length 0', '0204 05b4 1e00 0000', 'kind 30 option at TCP header offset 24: length 0 < 2'],
      ['length 1', '0204 05b4 0801 0000', 'timestamps option at TCP header offset 24: length 1 < 2'],
      ['length past the header', '0204 05b4 080a 0000', 'timestamps option at TCP header offset 24: length 10 runs past the 28-byte header'],
      ['MSS with length 3', '0203 05 00', 'MSS option at TCP header offset 20: length 3, expected 4'],
      ['window scale with length 4', '0204 05b4 0304 0700', 'window scale option at TCP header offset 24: length 4, expected 3'],
      ['SACK-permitted with length 3', '0204 05b4 0403 0000', 'SACK-permitted option at TCP header offset 24: length 3, expected 2'],
      ['timestamps with length 8', '0204 05b4 0808 0000 0000 0000', 'timestamps option at TCP header offset 24: length 8, expected 10'],
      ['SACK with no block', '0204 05b4 0502 0000', 'SACK option at TCP header offset 24: length 2 is not 2 + 8n (n >= 1)'],
      ['SACK with a partial block', '0204 05b4 050c 00000001 00000002 0000', 'SACK option at TCP header offset 24: length 12 is not 2 + 8n (n >= 1)'],
      ['no length byte at the end', '0204 05b4 010101 02', 'MSS option at TCP header offset 27: no length byte before the end of the header'],
    ])('%s', (_, options, error) => {
      const h = withOptions(options);
      expect(h.optionsError).toBe(error);
      const kept = options.startsWith('0204 05b4') ? [{ kind: 'mss', value: 1460 }] : [];
      expect(h.options).toEqual(kept);
    });
  });

  describe('a header cut by the snaplen', () => {
    it('decodes the fixed 20 bytes and the options that were captured', () => {
      for (let n = 20; n < 40; n++) {
        const h = decoded(TCP_SYN.subarray(0, n), 0, 40);
        expect(h).toMatchObject({ seq: 2392918837, flags: SYN, headerLen: 40, payloadLen: 0, truncated: true });
        expect(h.optionsError).toBe(`options cut by the capture at TCP header offset ${n}: header has 40 bytes, ${n} captured`);
        const expected = [
          { kind: 'mss', value: 65495 }, // ends at 24
          { kind: 'sack-permitted' }, // ends at 26
          { kind: 'timestamps', tsval: 84014684, tsecr: 0 }, // ends at 36
        ].slice(0, n >= 36 ? 3 : n >= 26 ? 2 : n >= 24 ? 1 : 0);
        expect(h.options).toEqual(expected);
      }
    });

    it('reports a malformed option before the cut as such', () => {
      const h = decoded(tcpHeader(0x02, hex('0203 05 00 0000 0000')).subarray(0, 26), 0, 28);
      expect(h.optionsError).toBe('MSS option at TCP header offset 20: length 3, expected 4');
    });
  });
});
