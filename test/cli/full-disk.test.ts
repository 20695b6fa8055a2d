/**
 * A full disk under standard output, or under the temporary directory, is
 * an error the user sees: one line on stderr and exit 2, in every format and
 * command. Before, text, csv, zeek and explain stopped at the disk's size
 * (Node's stream for a file ignores a short write) and exited 0, so a
 * regression pipeline could keep a cut file as its baseline.
 *
 * The disk is a 16 KiB tmpfs (CI runs as root, as here), mounted, used and
 * unmounted by one shell per case; every output below is larger than it.
 */

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const CAPTURE = 'captures/concurrent-200.pcap';
const SIZE = 16 * 1024;

/**
 * Runs the CLI on a fresh 16 KiB tmpfs: standard output to a file on it, or
 * (tmpdir) the tmpfs as TMPDIR and standard output to /dev/null. Returns the
 * exit status, stderr, the size of the output file, and what the tmpfs still
 * held after the run.
 */
function onFullDisk(args: string[], use: 'stdout' | 'tmpdir' | 'roomy' | 'tmpdir-free' = 'stdout') {
  // An argument OUT names a file on the full disk (report -o, explain --svg --out).
  const quoted = args.map((a) => (a === 'OUT' ? '"$d/out"' : `'${a}'`)).join(' ');
  const redirect = use === 'stdout' ? '> "$d/out"' : use === 'roomy' ? '> "$r/out"' : '> /dev/null';
  // tmpdir-free: the output file is on the full disk, standard output goes nowhere.
  const env = use === 'tmpdir' ? 'TMPDIR="$d" ' : '';
  const script = `
    d=$(mktemp -d) r=$(mktemp -d)
    mount -t tmpfs -o size=${SIZE} tmpfs "$d" || { echo "mount failed: these tests need root" >&2; exit 99; }
    ${env}"${process.execPath}" bin/synfin.js ${quoted} ${redirect} 2>"$r/err"
    status=$?
    size=$(stat -c %s "$d/out" "$r/out" 2>/dev/null | head -1)
    left=$(ls -A "$d" | grep -v '^out$' | wc -l)
    umount "$d"; rmdir "$d"
    printf '%s %s %s\\n' "$status" "\${size:-0}" "$left"
    cat "$r/err" >&2; rm -rf "$r"`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 99) throw new Error(r.stderr);
  const [status, size, left] = r.stdout.trim().split(' ').map(Number);
  return { status, stderr: r.stderr, size: size!, left };
}

describe('an output file on a full disk', () => {
  it.each([
    ['report -o', ['report', CAPTURE, '-o', 'OUT', '--quiet']],
    ['explain --svg --out', ['explain', '--svg', '--out', 'OUT', CAPTURE]],
  ])('%s: exit 2, one line naming the file, and no cut file left', (_, args) => {
    const r = onFullDisk(args, 'tmpdir-free');
    expect(r.stderr).toMatch(/^synfin: cannot write \S*\/out\S*: ENOSPC: no space left on device/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.status).toBe(2);
    // The cut HTML was removed (for --svg, OUT is the directory the drawings went into).
    if (args[0] === 'report') expect(r.size).toBe(0);
  });
});

describe('standard output on a full disk', () => {
  it.each([
    ['flows (text)', ['flows', CAPTURE]],
    ['flows --format json', ['flows', '--format', 'json', CAPTURE]],
    ['flows --format ndjson', ['flows', '--format', 'ndjson', CAPTURE]],
    ['flows --format zeek', ['flows', '--format', 'zeek', CAPTURE]],
    ['flows --format csv', ['flows', '--format', 'csv', CAPTURE]],
    ['explain --all', ['explain', '--all', CAPTURE]],
    ['netstat', ['netstat', CAPTURE, '--at', '0.03']],
    ['diff', ['diff', CAPTURE, 'captures/refused.pcap']],
  ])('%s: exit 2 and one line saying so', (_, args) => {
    const r = onFullDisk(args);
    expect(r.stderr).toMatch(/^synfin: cannot write output: ENOSPC: no space left on device/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.status).toBe(2);
    // The disk did fill: the output was larger than it.
    expect(r.size).toBeGreaterThan(SIZE - 4096);
  });

  it('the same outputs exit 0 where there is room (not every run fails)', () => {
    for (const args of [['flows', CAPTURE], ['flows', '--format', 'csv', CAPTURE], ['explain', '--all', CAPTURE]]) {
      const r = onFullDisk(args, 'roomy');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.size).toBeGreaterThan(SIZE);
    }
  });
});

describe('the temporary directory full', () => {
  it('names the directory and TMPDIR, says how much was needed, exit 2, and leaves nothing behind', () => {
    // --events makes the JSON spool about 1 MB, more than the disk holds.
    const r = onFullDisk(['flows', '--format', 'json', '--events', CAPTURE], 'tmpdir');
    expect(r.stderr).toMatch(/^synfin: the temporary directory \/\S+ \(TMPDIR\) is full \(ENOSPC\): .* needed [\d.]+ (KiB|MiB) more; point TMPDIR at a directory with more space\n$/);
    expect(r.status).toBe(2);
    expect(r.left).toBe(0);
  });
});
