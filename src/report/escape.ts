/**
 * Nothing read from a capture or named on the command line reaches a terminal
 * raw: control characters (C0, DEL, C1 — 0x9b is an 8-bit CSI to some
 * terminals) and bidirectional overrides are written as escapes, so a hostile
 * file name or pcapng comment cannot move the cursor, recolour the screen or
 * reorder what a postmortem pastes.
 */

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `s` with every unsafe character as `\xNN` (or `\u{NNNN}` above 0xFF). */
export function escapeControl(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const code = c.codePointAt(0) ?? 0;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/**
 * JSON text with DEL, C1 and bidi controls escaped as `\u00NN`: JSON.stringify
 * escapes only C0. The result is still valid JSON and parses to the same value.
 */
export function escapeJsonControl(json: string): string {
  // Tested first: a flow's JSON almost never has one, and a global replace
  // with no match cost 5–10 µs an entry (a test about 1).
  if (!JSON_CONTROL.test(json)) return json;
  return json.replace(JSON_CONTROLS, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

const JSON_CONTROL = /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const JSON_CONTROLS = new RegExp(JSON_CONTROL.source, 'g');
