/**
 * schema/synfin.schema.json against what synfin prints: every golden, ndjson
 * lines, outputs without --events, and `diff --format json`. The validator is
 * written here (no dependency) and covers exactly the keywords the schema
 * uses; an unknown keyword is an error, so the schema cannot silently grow
 * rules that nothing checks. The negative cases prove the validator can fail.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { goldenCaptures } from '../e2e/golden-cases.ts';
import { analyzeFile } from '../../src/analyze.ts';
import { diff, formatDiffJson } from '../../src/report/diff.ts';
import { CLOSE_KINDS, HANDSHAKE_KINDS, OUTCOMES, SEVERITIES } from '../../src/report/fail-on.ts';
import { ANOMALY_CODES } from '../../src/tcp/anomalies/registry.ts';
import { formatJson, formatNdjsonFlow } from '../../src/report/json.ts';
import { STATES } from '../../src/tcp/transitions.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = { [k: string]: Json };

/** Keywords that only annotate. */
const ANNOTATIONS = new Set(['$schema', '$id', '$comment', '$defs', 'title', 'description']);
/** Keywords the validator checks. */
const ASSERTIONS = new Set([
  'type', 'enum', 'required', 'properties', 'additionalProperties', 'propertyNames', 'items',
  'minimum', 'maximum', 'pattern', '$ref', 'anyOf', 'oneOf',
]);

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeOk(t: string, v: Json): boolean {
  switch (t) {
    case 'null': return v === null;
    case 'boolean': return typeof v === 'boolean';
    case 'string': return typeof v === 'string';
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'array': return Array.isArray(v);
    case 'object': return isObject(v);
    default: throw new Error(`validator: unknown type '${t}'`);
  }
}

/** JSON Schema 2020-12 for the keywords above; returns one message per failure, each with its JSON pointer. */
function validate(root: Schema, schema: Json, value: Json, at = ''): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${at || '/'}: not allowed`];
  if (!isObject(schema)) throw new Error(`validator: schema at ${at} is not an object`);
  for (const k of Object.keys(schema)) {
    if (!ANNOTATIONS.has(k) && !ASSERTIONS.has(k)) throw new Error(`validator: unsupported keyword '${k}'`);
  }
  const errors: string[] = [];
  const where = at || '/';
  if (typeof schema.$ref === 'string') {
    const m = /^#\/\$defs\/([A-Za-z0-9_]+)$/.exec(schema.$ref);
    const defs = root.$defs;
    const target = m !== null && isObject(defs) ? defs[m[1]!] : undefined;
    if (target === undefined) throw new Error(`validator: cannot resolve $ref ${schema.$ref}`);
    errors.push(...validate(root, target, value, at));
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => typeOk(String(t), value))) {
      errors.push(`${where}: expected ${types.join(' or ')}, got ${JSON.stringify(value)}`);
      return errors;
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value)) {
    errors.push(`${where}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${where}: ${value} < minimum ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${where}: ${value} > maximum ${schema.maximum}`);
  }
  if (typeof value === 'string' && typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
    errors.push(`${where}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    value.forEach((item, i) => errors.push(...validate(root, schema.items!, item, `${at}/${i}`)));
  }
  if (isObject(value)) {
    const props = isObject(schema.properties) ? schema.properties : {};
    if (Array.isArray(schema.required)) {
      for (const r of schema.required) if (!(String(r) in value)) errors.push(`${where}: missing required "${String(r)}"`);
    }
    for (const [k, v] of Object.entries(value)) {
      const path = `${at}/${k}`;
      if (schema.propertyNames !== undefined) {
        const bad = validate(root, schema.propertyNames, k, path);
        if (bad.length > 0) errors.push(`${path}: property name ${JSON.stringify(k)} not allowed (${bad.join('; ')})`);
      }
      if (k in props) errors.push(...validate(root, props[k]!, v, path));
      else if (schema.additionalProperties === false) errors.push(`${path}: additional property not allowed`);
      else if (schema.additionalProperties !== undefined) errors.push(...validate(root, schema.additionalProperties, v, path));
    }
  }
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some((s) => validate(root, s, value, at).length === 0)) {
    errors.push(`${where}: matches none of anyOf`);
  }
  if (Array.isArray(schema.oneOf) && schema.oneOf.filter((s) => validate(root, s, value, at).length === 0).length !== 1) {
    errors.push(`${where}: does not match exactly one of oneOf`);
  }
  return errors;
}

const SCHEMA = JSON.parse(readFileSync('schema/synfin.schema.json', 'utf8')) as Schema;
const defs = SCHEMA.$defs as { [k: string]: Json };
const FLOW: Json = { $ref: '#/$defs/flow' };
const goldens = goldenCaptures().map((name) => `${name}.json`);

function golden(name: string): { [k: string]: Json } {
  return JSON.parse(readFileSync(`test/golden/${name}`, 'utf8')) as { [k: string]: Json };
}

describe('every golden validates against schema/synfin.schema.json', () => {
  it('there are goldens to check', () => {
    expect(goldens.length).toBeGreaterThan(30);
  });
  it.each(goldens)('%s', (name) => {
    expect(validate(SCHEMA, SCHEMA, golden(name))).toEqual([]);
  });
});

describe('other outputs validate too', () => {
  const captures = ['accept-queue-full', 'crafted-midstream', 'crafted-syn-flood', 'tuple-reuse', 'stuck-close-wait'];

  it.each(captures)('%s without --events, and each ndjson line against $defs/flow', async (name) => {
    const result = await analyzeFile(`captures/${name}.pcap`);
    expect(validate(SCHEMA, SCHEMA, JSON.parse(formatJson(result)) as Json)).toEqual([]);
    for (const f of result.flows) expect(validate(SCHEMA, FLOW, JSON.parse(formatNdjsonFlow(f)) as Json)).toEqual([]);
  });

  it('a pcapng at nanosecond precision (nine fraction digits)', async () => {
    const result = await analyzeFile('captures/variants/normal-close-client.ns.pcapng', { events: true });
    const doc = JSON.parse(formatJson(result)) as { flows: { start: string }[] };
    expect(doc.flows[0]!.start).toMatch(/\.\d{9}Z$/);
    expect(validate(SCHEMA, SCHEMA, doc as unknown as Json)).toEqual([]);
  });

  it('diff --format json against $defs/diff', async () => {
    const a = await analyzeFile('captures/stuck-close-wait.pcap');
    const b = await analyzeFile('captures/normal-close-client.pcap');
    const text = formatDiffJson(diff(a, b, { match: 'order', rttTolerance: { ms: 0.001 } }), { a: 'a.pcap', b: 'b.pcap' });
    const doc = JSON.parse(text) as Json;
    expect(validate(SCHEMA, { $ref: '#/$defs/diff' }, doc)).toEqual([]);
    expect(text).toContain('"field": "rtt_ms"');
    const apart = formatDiffJson(diff(a, b), { a: 'a', b: 'b' });
    expect(validate(SCHEMA, { $ref: '#/$defs/diff' }, JSON.parse(apart) as Json)).toEqual([]);
  });
});

describe('the validator fails what it should', () => {
  const base = (): { [k: string]: Json } => golden('lost-final-ack.json');
  const flow0 = (doc: { [k: string]: Json }): { [k: string]: Json } => (doc.flows as { [k: string]: Json }[])[0]!;

  it('a wrong enum value (handshake kind)', () => {
    const doc = base();
    (flow0(doc).handshake as { [k: string]: Json }).kind = 'five-way';
    expect(validate(SCHEMA, SCHEMA, doc)).toEqual([expect.stringMatching(/^\/flows\/0\/handshake\/kind: "five-way" is not one of/)]);
  });

  it('a wrong enum value (state, outcome, severity, anomaly code)', () => {
    const doc = base();
    const f = flow0(doc);
    (f.client as { [k: string]: Json }).final_state = 'TIME-WAIT';
    (f.outcome as { [k: string]: Json }).server = 'ECONNABORTED';
    const anomalies = f.anomalies as { [k: string]: Json }[];
    anomalies[0]!.severity = 'fatal';
    anomalies[1]!.code = 'lost-last-ack';
    const errors = validate(SCHEMA, SCHEMA, doc);
    expect(errors.map((e) => e.split(':')[0])).toEqual([
      '/flows/0/client/final_state', '/flows/0/outcome/server', '/flows/0/anomalies/0/severity', '/flows/0/anomalies/1/code',
    ]);
  });

  it('an extra property, at the top and deep inside', () => {
    const doc = base();
    doc.warnings = [];
    (flow0(doc).close as { [k: string]: Json }).who = 'client';
    // Errors come in document order; warnings was appended after flows.
    expect(validate(SCHEMA, SCHEMA, doc)).toEqual([
      '/flows/0/close/who: additional property not allowed',
      '/warnings: additional property not allowed',
    ]);
  });

  it('a missing field, a wrong type, a negative count, a time at no declared precision, an unknown map key', () => {
    const doc = base();
    const f = flow0(doc);
    delete f.zeek;
    f.id = '1';
    (f.server as { [k: string]: Json }).frames = -1;
    f.start = '2026-11-26T02:12:08.95Z';
    ((doc.summary as { [k: string]: Json }).handshakes as { [k: string]: Json })['two-way'] = 1;
    expect(validate(SCHEMA, SCHEMA, doc).map((e) => e.split(':')[0])).toEqual([
      '/summary/handshakes/two-way', '/flows/0', '/flows/0/id', '/flows/0/server/frames', '/flows/0/start',
    ]);
  });

  it('an unsupported keyword in a schema is refused, not ignored', () => {
    expect(() => validate(SCHEMA, { type: 'string', format: 'date-time' }, 'x')).toThrow(/unsupported keyword 'format'/);
  });

  it('anyOf and oneOf', () => {
    const s: Json = { oneOf: [{ type: 'integer' }, { type: 'number', minimum: 10 }] };
    expect(validate(SCHEMA, s, 3)).toEqual([]);
    expect(validate(SCHEMA, s, 12)).toHaveLength(1); // both match
    expect(validate(SCHEMA, { anyOf: [{ enum: ['a'] }, { type: 'null' }] }, 'b')).toHaveLength(1);
  });
});

describe('the schema and the code agree', () => {
  const enumOf = (name: string): Json => (defs[name] as { enum: Json }).enum;
  it('on handshake kinds, close kinds, outcomes, severities, states and anomaly codes', () => {
    expect(enumOf('handshake_kind')).toEqual([...HANDSHAKE_KINDS]);
    expect(enumOf('close_kind')).toEqual([...CLOSE_KINDS]);
    expect(enumOf('outcome')).toEqual([...OUTCOMES]);
    expect(enumOf('severity')).toEqual([...SEVERITIES]);
    expect(enumOf('state')).toEqual([...STATES]);
    expect(enumOf('code')).toEqual([...ANOMALY_CODES]);
  });

  it('docs/json.md names every property the schema defines and every enum value', () => {
    const doc = readFileSync('docs/json.md', 'utf8');
    const names = new Set<string>();
    const values = new Set<string>();
    const walk = (s: Json): void => {
      if (Array.isArray(s)) { s.forEach(walk); return; }
      if (!isObject(s)) return;
      if (isObject(s.properties)) for (const k of Object.keys(s.properties)) names.add(k);
      if (Array.isArray(s.enum)) for (const v of s.enum) if (typeof v === 'string') values.add(v);
      Object.values(s).forEach(walk);
    };
    walk(SCHEMA);
    const missing = [...names, ...values].filter((n) => !doc.includes(`\`${n}\``) && !doc.includes(`"${n}"`));
    expect(missing).toEqual([]);
  });
});
