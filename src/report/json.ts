/**
 * `--format json` and `--format ndjson`: the regression-test contract. Key
 * order is fixed by how the records are built and maps are sorted, so the
 * same capture gives the same bytes on any machine and run.
 */

import type { AnalysisResult } from '../analyze.ts';
import type { FlowRecord } from '../tcp/record.ts';
import { escapeJsonControl } from './escape.ts';
import { formatWith, type FlowFormat } from './flow-format.ts';
import { matchesFilter } from './text.ts';

/**
 * One document: `schema`, `captures`, `summary` and the listed flows, pretty
 * (2-space indent, trailing newline), as JSON.stringify prints the object.
 * The summary comes first but is complete only at the end, so the CLI holds
 * the flows' texts until then (src/cli/flow-output.ts).
 */
export const jsonFormat: FlowFormat = {
  fromJson: jsonEntry,
  writer: ({ filter = {} }) => ({
    flow: (f) => (matchesFilter(f, filter) ? formatJsonFlowEntry(f) : undefined),
    document(result, count) {
      const { schema, captures, summary } = result;
      const empty = `${escapeJsonControl(JSON.stringify({ schema, captures, summary, flows: [] }, null, 2))}\n`;
      if (count === 0) return { head: empty, separator: '', tail: () => '' };
      // JSON.stringify ends an empty last member with `[]` and the closing brace.
      const head = empty.slice(0, empty.length - '[]\n}\n'.length);
      return { head: `${head}[\n`, separator: ',\n', tail: () => '\n  ]\n}\n' };
    },
  }),
};

/** A line of compact JSON per listed flow, printed as the flow ends. */
export const ndjsonFormat: FlowFormat = {
  fromJson: ndjsonLine,
  writer: ({ filter = {} }) => ({
    flow: (f) => (matchesFilter(f, filter) ? formatNdjsonFlow(f) : undefined),
  }),
};

/** The whole analysis as pretty JSON (2-space indent, trailing newline). */
export function formatJson(result: AnalysisResult): string {
  return formatWith(jsonFormat, result);
}

/** One flow as one line of ndjson. */
export function formatNdjsonFlow(flow: FlowRecord): string {
  return ndjsonLine(JSON.stringify(flow));
}

/** A record's JSON text as an ndjson line. */
function ndjsonLine(json: string): string {
  return `${escapeJsonControl(json)}\n`;
}

/** What JSON.stringify puts before and after a value nested two arrays deep, at 2-space indent. */
const NESTED_OPEN = '[\n  [\n'.length;
const NESTED_CLOSE = '\n  ]\n]'.length;

/**
 * One flow as formatJson prints it inside `"flows": [...]`: pretty, every line
 * indented two levels. Stringified nested two arrays deep, JSON.stringify
 * indents it so itself; cutting off the two arrays' brackets is cheaper than
 * indenting the text after (a copy of 270 MB on a capture of 140 k flows).
 */
export function formatJsonFlowEntry(flow: FlowRecord): string {
  const nested = JSON.stringify([[flow]], null, 2);
  return escapeJsonControl(nested.slice(NESTED_OPEN, nested.length - NESTED_CLOSE));
}

/** Scratch for layOutEntry: the text in, and the entry out (grown as needed, and kept). */
let jsonIn: Buffer = Buffer.allocUnsafeSlow(64 * 1024);
let entryOut: Buffer = Buffer.allocUnsafeSlow(256 * 1024);
/** The last entry laid out is all ASCII below DEL: its bytes are its UTF-8, with nothing for escapeJsonControl to do. */
let entryPlain = true;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const NEWLINE = 0x0a;
const SPACE = 0x20;
/** The last plain byte (DEL and above are escaped, or are not one byte in UTF-8). */
const LAST_PLAIN = 0x7e;

/**
 * What formatJsonFlowEntry gives, before its escaping, for the record whose
 * JSON.stringify text is `json` (latin1): the same text laid out as
 * JSON.stringify lays out a value nested two arrays deep at a 2-space
 * indent. JSON.stringify's compact text has no whitespace outside its
 * strings, so laying it out is a walk over its bytes, a third of what parsing
 * it and writing it again cost.
 */
export function entryFromJson(json: string): string {
  const length = layOutEntry(json); // first: it may grow entryOut
  return entryOut.toString('latin1', 0, length);
}

/**
 * The json document's entry for the record whose JSON.stringify text is
 * `json` (latin1), as formatJsonFlowEntry gives it: nearly always the bytes
 * to write, a view of a scratch buffer that the next call overwrites; the
 * text, escaped, when a string in it holds DEL or a byte above (escaped, or
 * two bytes in UTF-8).
 */
export function jsonEntry(json: string): Buffer | string {
  const length = layOutEntry(json);
  return entryPlain ? entryOut.subarray(0, length) : escapeJsonControl(entryOut.toString('latin1', 0, length));
}

/** Lays entryFromJson's text out in entryOut and returns its length; sets entryPlain. */
function layOutEntry(json: string): number {
  const length = json.length;
  if (jsonIn.length < length) jsonIn = Buffer.allocUnsafeSlow(2 * length);
  const src = jsonIn;
  src.write(json, 0, 'latin1');
  // Every byte of the text gives at most two (a colon and its space), and each
  // indent its own; room is checked at each indent. No closure here: variables
  // a closure writes live in a context object, and that had made the walk 1.8x slower.
  let out = entryOut;
  let o = 0;
  let depth = 2;
  let plain = true;
  if (out.length < 2 * depth + 2 * length) out = grownEntry(o, 2 * depth + 2 * length);
  for (let k = 2 * depth; k > 0; k--) out[o++] = SPACE;
  for (let i = 0; i < length; i++) {
    const c = src[i]!;
    if (c === QUOTE) {
      out[o++] = QUOTE;
      for (i++; ; i++) {
        const d = src[i]!;
        out[o++] = d;
        if (d === BACKSLASH) out[o++] = src[++i]!;
        else if (d === QUOTE) break;
        else if (d > LAST_PLAIN) plain = false;
      }
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      out[o++] = c;
      const next = src[i + 1];
      // An empty object or array stays on its line.
      if (next === CLOSE_BRACE || next === CLOSE_BRACKET) {
        out[o++] = next;
        i++;
        continue;
      }
      depth++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    } else if (c === COMMA) {
      out[o++] = COMMA;
    } else {
      out[o++] = c;
      if (c === COLON) out[o++] = SPACE;
      continue;
    }
    // A new line, indented: after an opening bracket or a comma, before a closing one.
    const room = o + 2 + 2 * depth + 2 * (length - i);
    if (room > out.length) out = grownEntry(o, room);
    out[o++] = NEWLINE;
    for (let k = 2 * depth; k > 0; k--) out[o++] = SPACE;
    if (c === CLOSE_BRACE || c === CLOSE_BRACKET) out[o++] = c;
  }
  entryPlain = plain;
  return o;
}

/** entryOut grown to at least `room` bytes, its first `used` kept. */
function grownEntry(used: number, room: number): Buffer {
  const bigger = Buffer.allocUnsafeSlow(2 * room);
  entryOut.copy(bigger, 0, 0, used);
  entryOut = bigger;
  return bigger;
}
