/**
 * A done flow's record is made when it is done (tcp/record.ts finishEarly) and
 * settled when it is printed, as text: an end whose TIME_WAIT has run out by
 * then is CLOSED. test/e2e/compact.test.ts holds whole analyses equal with and
 * without; these hold the text edit itself to the record it stands for.
 */

import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/analyze.ts';
import { endOfRecordText, settleEarlyText } from '../../src/tcp/record.ts';
import { goldenCaptures } from '../e2e/golden-cases.ts';

const record = {
  id: 7,
  client: { addr: '10.0.0.1', port: 40000, final_state: 'TIME_WAIT', frames: 5 },
  server: { addr: '10.0.0.2', port: 80, final_state: 'CLOSED', frames: 4 },
  anomalies: [{ code: 'x', message: 'a message quoting "final_state":"TIME_WAIT" in its text' }],
};
const json = JSON.stringify(record);
const MSL = 30;

describe('settleEarlyText', () => {
  it('leaves a TIME_WAIT that has not run out by the end as it is', () => {
    expect(settleEarlyText(json, { clientTimeWait: 100, serverTimeWait: NaN }, 100 + 2 * MSL - 0.001, MSL)).toBe(json);
  });

  it('closes a TIME_WAIT that ran out, exactly at 2 MSL as settleAtEnd does, and changes nothing else', () => {
    const settled = settleEarlyText(json, { clientTimeWait: 100, serverTimeWait: NaN }, 100 + 2 * MSL, MSL);
    expect(JSON.parse(settled)).toStrictEqual({ ...record, client: { ...record.client, final_state: 'CLOSED' } });
  });

  it('closes the server\'s, and both, by their own times', () => {
    const both = JSON.stringify({ ...record, server: { ...record.server, final_state: 'TIME_WAIT' } });
    const serverOnly = settleEarlyText(both, { clientTimeWait: 150, serverTimeWait: 100 }, 200, MSL);
    expect(JSON.parse(serverOnly)).toStrictEqual({ ...record, client: { ...record.client, final_state: 'TIME_WAIT' } });
    const closed = settleEarlyText(both, { clientTimeWait: 150, serverTimeWait: 100 }, 300, MSL);
    expect(JSON.parse(closed)).toStrictEqual({ ...record, client: { ...record.client, final_state: 'CLOSED' } });
  });

  it('refuses a record whose end is not in TIME_WAIT where the times say it is', () => {
    expect(() => settleEarlyText(json, { clientTimeWait: NaN, serverTimeWait: 100 }, 300, MSL)).toThrow(/early record's server is not in TIME_WAIT/);
  });
});

describe('endOfRecordText (explain spools records it was given as text)', () => {
  it.each(goldenCaptures())('%s: every record\'s end, read from its text with its timeline and any via', async (name) => {
    const { flows } = await analyzeFile(`captures/${name}.pcap`, { events: true });
    for (const f of flows) expect(endOfRecordText(JSON.stringify(f))).toBe(f.end);
  });

  it('says so when a text has no end', () => {
    expect(() => endOfRecordText('{"id":1}')).toThrow(/no "end"/);
  });
});
