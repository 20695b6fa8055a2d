/**
 * The anomaly registry (src/tcp/anomalies/registry.ts) is the one list of
 * anomalies: what docs/json.md and the schema say, what the goldens show and
 * the severities findings carry must all be its own.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { goldenCaptures } from '../e2e/golden-cases.ts';
import { ANOMALIES, ANOMALY_CODES, isAnomalyCode } from '../../src/tcp/anomalies/registry.ts';
import { DOC, SCHEMA, withCodeEnum, withTable } from '../../scripts/docs-anomalies.ts';
import type { FlowRecord } from '../../src/tcp/record.ts';

const goldens = goldenCaptures().map((name) => `${name}.json`);
const flows: FlowRecord[] = goldens.flatMap((f) => (JSON.parse(readFileSync(`test/golden/${f}`, 'utf8')) as { flows: FlowRecord[] }).flows);

describe('the anomaly registry', () => {
  it('is what docs/json.md tabulates, row for row (npm run docs:anomalies rewrites it)', () => {
    const doc = readFileSync(DOC, 'utf8');
    expect(withTable(doc)).toBe(doc);
  });

  it('is the schema\'s code enum, in its order (npm run docs:anomalies rewrites it)', () => {
    const text = readFileSync(SCHEMA, 'utf8');
    expect(withCodeEnum(text)).toBe(text);
    const schema = JSON.parse(text) as { $defs: { code: { enum: string[] } } };
    expect(schema.$defs.code.enum).toEqual([...ANOMALY_CODES]);
  });

  it('knows every code the goldens show, and gives each finding its severity', () => {
    let checked = 0;
    for (const f of flows) {
      for (const a of f.anomalies) {
        expect(isAnomalyCode(a.code), `flow ${f.id}: ${a.code}`).toBe(true);
        const row: { severity: string; severityWhen?: string } = ANOMALIES[a.code];
        // A row whose severity depends on the case names its worst.
        if (row.severityWhen === undefined) expect(a.severity, a.code).toBe(row.severity);
        else expect(['info', 'warning', 'error'].indexOf(a.severity)).toBeLessThanOrEqual(['info', 'warning', 'error'].indexOf(row.severity));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('has no row that nothing shows: each code is in a golden, or in the test named for it', () => {
    const shown = new Set(flows.flatMap((f) => f.anomalies.map((a) => a.code)));
    // These need options or damaged input the golden captures do not have.
    const elsewhere: Record<string, string> = {
      'flow-evicted': 'test/flow/bounds.test.ts',
      'ip-length-exceeds-frame': 'test/decode/malformed.test.ts',
      'icmp-parameter-problem': 'test/tcp/icmp.test.ts',
    };
    for (const code of ANOMALY_CODES) {
      if (shown.has(code)) continue;
      const file = elsewhere[code];
      expect(file, `${code} is shown by no golden`).toBeDefined();
      expect(readFileSync(file!, 'utf8')).toContain(`'${code}'`);
    }
  });

  it('rejects what is not a code', () => {
    expect(isAnomalyCode('toString')).toBe(false);
    expect(isAnomalyCode('syn-retransmit')).toBe(true);
  });
});
