import { describe, expect, it } from 'vitest';
import {
  LINKTYPE_EN10MB,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  linktypeName,
} from '../../src/capture/linktypes.ts';

describe('linktypeName', () => {
  it.each([
    [0, 'NULL'],
    [1, 'EN10MB'],
    [9, 'PPP'],
    [101, 'RAW'],
    [105, 'IEEE802_11'],
    [108, 'LOOP'],
    [113, 'LINUX_SLL'],
    [127, 'IEEE802_11_RADIOTAP'],
    [276, 'LINUX_SLL2'],
  ])('%d is %s', (n, name) => {
    expect(linktypeName(n)).toBe(name);
  });

  it('names the BSD DLT_RAW values 12 and 14 RAW, as libpcap reads them', () => {
    expect([linktypeName(12), linktypeName(14)]).toEqual(['RAW', 'RAW']);
  });

  it('names an unknown link type by its number', () => {
    expect(linktypeName(4242)).toBe('LINKTYPE_4242');
  });

  it('exports the numbers the decoders switch on', () => {
    expect([LINKTYPE_NULL, LINKTYPE_EN10MB, LINKTYPE_RAW, LINKTYPE_LOOP, LINKTYPE_LINUX_SLL2]).toEqual([0, 1, 101, 108, 276]);
  });
});
