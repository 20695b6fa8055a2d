/**
 * Reads a saved `--format json` document a flow at a time: the members of the
 * top-level object are handed on as their JSON text, except `flows`, whose
 * elements are handed on one by one (after a `flows` part saying the array began). A document of a million flows is a
 * gigabyte of objects once parsed whole; this holds one flow's text at a time.
 *
 * It only finds where values begin and end (strings, escapes, nesting); each
 * piece is then read by JSON.parse, which judges its validity. Anything that
 * is not one JSON object with these members ends the scan with `invalid`, and
 * the caller reads the document the whole way to say what is wrong.
 */

/** What the scan yields, in document order. */
export type ScannedPart =
  | { readonly kind: 'member'; readonly key: string; readonly text: string }
  | { readonly kind: 'flows' }
  | { readonly kind: 'flow'; readonly text: string }
  | { readonly kind: 'invalid' };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

/** Scans the document in `chunks` (UTF-8 bytes). */
export async function* scanSavedJson(chunks: AsyncIterable<Buffer>): AsyncGenerator<ScannedPart> {
  // Where the scan is at depth 1 (inside the top-level object).
  type Place = 'start' | 'key' | 'colon' | 'value' | 'after-value' | 'done';
  let place: Place = 'start';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let key = '';
  let keyBytes: number[] = [];
  /** The value being gathered (a member's, or one flow's), and the depth it began at. */
  let parts: Buffer[] = [];
  let gathering = false;
  let gatherDepth = 0;
  let inFlows = false;
  let start = 0;
  const take = (chunk: Buffer, from: number, to: number): void => {
    if (to > from) parts.push(chunk.subarray(from, to));
  };
  const flush = (): string => {
    const text = Buffer.concat(parts).toString('utf8');
    parts = [];
    return text;
  };
  for await (const chunk of chunks) {
    start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) inString = false;
        if (place === 'key' && depth === 1 && !gathering) {
          if (inString || escaped) keyBytes.push(b);
          else {
            key = JSON.parse(`"${Buffer.from(keyBytes).toString('utf8')}"`) as string;
            keyBytes = [];
            place = 'colon';
          }
        }
        continue;
      }
      if (gathering) {
        if (b === QUOTE) inString = true;
        else if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth++;
        else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY || b === COMMA) {
          // A value ends where its own depth closes, or at a comma or bracket at the depth it began.
          const ends = (b === COMMA && depth === gatherDepth) || ((b === CLOSE_OBJECT || b === CLOSE_ARRAY) && depth === gatherDepth);
          if (ends) {
            take(chunk, start, i);
            gathering = false;
            const text = flush();
            if (inFlows) {
              yield { kind: 'flow', text };
              if (b === CLOSE_ARRAY) { inFlows = false; depth--; place = 'after-value'; }
            } else {
              yield { kind: 'member', key, text };
              place = b === COMMA ? 'key' : 'done';
              if (b === CLOSE_OBJECT) depth--;
            }
            continue;
          }
          if (b !== COMMA) depth--;
        }
        continue;
      }
      if (isSpace(b)) continue;
      if (place === 'done') return yield { kind: 'invalid' };
      if (depth === 0) {
        // A UTF-8 byte-order mark before the document, however the chunks cut it.
        if (place === 'start' && (b === 0xef || b === 0xbb || b === 0xbf)) continue;
        if (b !== OPEN_OBJECT) return yield { kind: 'invalid' };
        depth = 1;
        place = 'key';
        continue;
      }
      if (inFlows) {
        // Between the elements of `flows` (depth 2).
        if (b === COMMA) continue;
        if (b === CLOSE_ARRAY) { inFlows = false; depth = 1; place = 'after-value'; continue; }
        gathering = true;
        gatherDepth = depth;
        start = i;
        if (b === QUOTE) inString = true;
        else if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth++;
        continue;
      }
      switch (place) {
        case 'key':
          if (b === CLOSE_OBJECT) { depth = 0; place = 'done'; continue; }
          if (b !== QUOTE) return yield { kind: 'invalid' };
          inString = true;
          keyBytes = [];
          continue;
        case 'colon':
          if (b !== COLON) return yield { kind: 'invalid' };
          place = 'value';
          continue;
        case 'value':
          if (key === 'flows' && b === OPEN_ARRAY) {
            inFlows = true;
            depth = 2;
            yield { kind: 'flows' };
            continue;
          }
          gathering = true;
          gatherDepth = 1;
          start = i;
          if (b === QUOTE) inString = true;
          else if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth++;
          continue;
        case 'after-value':
          if (b === COMMA) { place = 'key'; continue; }
          if (b === CLOSE_OBJECT) { depth = 0; place = 'done'; continue; }
          return yield { kind: 'invalid' };
        default:
          return yield { kind: 'invalid' };
      }
    }
    if (gathering) take(chunk, start, chunk.length);
  }
  if (place !== 'done' || gathering) yield { kind: 'invalid' };
}
