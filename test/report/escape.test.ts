import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeControl, escapeJsonControl } from '../../src/report/escape.ts';

describe('escapeControl', () => {
  it.each([
    ['\x1b[31mred', '\\x1b[31mred'],
    ['a\u009bb', 'a\\x9bb'],
    ['tab\there', 'tab\\x09here'],
    ['rtl\u202eevil', 'rtl\\u{202e}evil'],
    ['plain ünïcode ok', 'plain ünïcode ok'],
  ])('%j → %j', (input, expected) => {
    expect(escapeControl(input)).toBe(expected);
  });

  it('leaves JSON valid and equal in value', () => {
    const value = { name: 'x\u0085y\u202ez' };
    const text = escapeJsonControl(JSON.stringify(value));
    expect(text).not.toMatch(/[\u0085\u202e]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('hostile file names never reach the terminal raw', () => {
  it('escapes control characters in an error naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synfin-esc-'));
    const evil = join(dir, 'cap\x1b[2J\x1b[31m.pcap');
    copyFileSync('captures/bad/err-not-a-capture.pcap', evil);
    const r = spawnSync(process.execPath, ['bin/synfin.js', 'flows', evil], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).not.toContain('\x1b');
    expect(r.stderr).toContain('cap\\x1b[2J\\x1b[31m.pcap');
  });

  it('--strict turns a cut capture into exit 1', () => {
    const r = spawnSync(process.execPath, ['bin/synfin.js', 'flows', '--strict', 'captures/bad/err-cut-mid-record.pcap'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/flow/);
  });
});
