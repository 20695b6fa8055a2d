/**
 * Small things a new user trips over (issue 24): `diff` given something that
 * is neither a capture nor a saved output says both; the text table fits a
 * terminal's width (files and pipes keep every column); `netstat` and
 * `explain` on a capture without TCP say so and exit 0, as `flows` does.
 */

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fitColumns } from '../../src/report/text.ts';
import { writeTmp } from '../capture/build.ts';

function synfin(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/synfin.js', ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** synfin's output on a pseudo-terminal `cols` columns wide (python3's pty; TIOCSWINSZ sets the width Node reads). */
function onTerminal(args: string[], cols: number): string {
  const py = `
import os, pty, sys, fcntl, termios, struct
pid, fd = pty.fork()
if pid == 0:
    os.execv(${JSON.stringify(process.execPath)}, [${JSON.stringify(process.execPath)}, 'bin/synfin.js'] + sys.argv[1:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, ${cols}, 0, 0))
out = b''
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8'))
`;
  return spawnSync('python3', ['-c', py, ...args], { encoding: 'utf8', timeout: 30_000 }).stdout.replace(/\r\n/g, '\n');
}

// eslint-disable-next-line no-control-regex
const plain = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');
const width = (line: string): number => [...plain(line)].length;

describe('diff of something that is neither a capture nor a saved output', () => {
  it('says it is neither, not only that the pcap magic is wrong', () => {
    const csv = writeTmp('baseline.csv', Buffer.from('id,client_addr\n1,10.0.0.1\n'));
    const r = synfin(['diff', csv, 'captures/refused.pcap']);
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd()).toMatch(/^synfin: .*baseline\.csv: neither a capture \(pcap, pcapng, or either gzip-compressed\) nor a saved synfin JSON or ndjson output/);
  });
});

describe('the text table on a terminal fits its width', () => {
  it.each([80, 100, 120])('%i columns: every line fits, the endpoints and states whole', (cols) => {
    const out = onTerminal(['flows', 'captures/demo-mixed.pcap'], cols);
    // The table's lines (the summary under it is prose a terminal wraps).
    const lines = out.split('\n\n')[0]!.split('\n');
    expect(lines).toHaveLength(6);
    for (const l of lines) expect(width(l), l).toBeLessThanOrEqual(cols);
    expect(plain(lines[0]!)).toMatch(/^ID +CLIENT +SERVER +.*STATES C\/S +ANOMALIES$/);
    expect(plain(out)).toMatch(/10\.99\.0\.1:41603 +(→ +)?10\.99\.0\.2:9603/);
    expect(plain(out)).toContain('FIN_WAIT_2/CLOSE_WAIT');
  });

  it('a wide terminal gets the whole table, as a file does', () => {
    const out = plain(onTerminal(['flows', '--color', 'never', 'captures/demo-mixed.pcap'], 250));
    expect(out).toBe(synfin(['flows', 'captures/demo-mixed.pcap']).stdout);
  });

  it('a pipe keeps every column whole (the golden bytes)', () => {
    expect(synfin(['flows', 'captures/lost-final-ack.pcap']).stdout).toBe(readFileSync('test/golden/lost-final-ack.txt', 'utf8'));
  });

  it('drops FRAMES, BYTES, PKTS, DURATION in that order, then cuts ANOMALIES and VERDICT, drops the arrow, cuts further, drops them', () => {
    //              ID CLIENT → SERVER PKTS BYTES FRAMES DUR VERDICT STATES ANOMALIES
    const widths = [2, 15, 1, 14, 8, 9, 6, 8, 46, 21, 33];
    const full = widths.reduce((a, b) => a + b) + 2 * 10;
    expect(fitColumns(widths, full)).toEqual({ keep: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], caps: new Map() });
    expect(fitColumns(widths, full - 1).keep).toEqual([0, 1, 2, 3, 4, 5, 7, 8, 9, 10]);
    expect(fitColumns(widths, full - 40).keep).toEqual([0, 1, 2, 3, 8, 9, 10]);
    const at100 = fitColumns(widths, 100);
    expect(at100.keep).toEqual([0, 1, 2, 3, 8, 9, 10]);
    expect(at100.caps.get(10)).toBe(12);
    expect(at100.caps.get(8)).toBeLessThan(46);
    // At 80 the arrow goes and both are cut to 9.
    expect(fitColumns(widths, 80)).toEqual({ keep: [0, 1, 3, 8, 9, 10], caps: new Map([[10, 9], [8, 9]]) });
    expect(fitColumns(widths, 60).keep).toEqual([0, 1, 3, 9]);
  });
});

describe('a capture with no TCP', () => {
  const noTcp = 'captures/encap/encap-depth-bomb.pcap';
  it('flows, netstat and explain exit 0, saying there is no TCP', () => {
    expect(synfin(['flows', noTcp]).status).toBe(0);
    for (const command of ['netstat', 'explain']) {
      const r = synfin([command, noTcp]);
      expect(r.status, command).toBe(0);
      expect(r.stdout, command).toMatch(/^No TCP connections in the capture \(8 frames, none a TCP segment of a flow\)/);
    }
  });

  it('explain with a filter no flow matches still exits 2', () => {
    expect(synfin(['explain', '--port', '1', 'captures/refused.pcap']).status).toBe(2);
  });
});
