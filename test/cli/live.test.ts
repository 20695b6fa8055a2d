/**
 * `tcpdump -w - | synfin flows --format ndjson -`: on a live pipe a
 * connection's line comes once it has ended and settled, while the input is
 * still open, not at EOF (settle.ts). Lateness is measured as "before EOF":
 * the test writes records, keeps the pipe open, and waits for the line; a
 * line that only came at EOF would never arrive and the wait would fail.
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/tcp/record.ts';

/** The 24-byte header and each record of a little-endian pcap. */
function records(name: string): { header: Buffer; records: Buffer[] } {
  const b = readFileSync(`captures/${name}.pcap`);
  const out: Buffer[] = [];
  for (let at = 24; at < b.length;) {
    const n = 16 + b.readUInt32LE(at + 8);
    out.push(b.subarray(at, at + n));
    at += n;
  }
  return { header: b.subarray(0, 24), records: out };
}

interface Live {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: FlowRecord[];
  /** Resolves once `n` lines have come (rejects if the process exits first). */
  until(n: number): Promise<void>;
  /** Closes the input and resolves with the exit status once the process has exited. */
  end(): Promise<number>;
}

let running: ChildProcessWithoutNullStreams | undefined;
afterEach(() => { running?.kill(); running = undefined; });

function live(): Live {
  const child = spawn(process.execPath, ['bin/synfin.js', 'flows', '--format', 'ndjson', '-']);
  running = child;
  const lines: FlowRecord[] = [];
  let buffered = '';
  const waiters: (() => void)[] = [];
  let exited: number | undefined;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffered.slice(0, nl)) as FlowRecord);
      buffered = buffered.slice(nl + 1);
    }
    for (const w of waiters.splice(0)) w();
  });
  const exit = new Promise<number>((resolve) => child.on('close', (code) => { exited = code ?? -1; for (const w of waiters.splice(0)) w(); resolve(exited); }));
  return {
    child, lines,
    until: (n) => new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (lines.length >= n) resolve();
        else if (exited !== undefined) reject(new Error(`synfin exited (${exited}) after ${lines.length} lines`));
        else waiters.push(check);
      };
      check();
    }),
    end: () => { child.stdin.end(); return exit; },
  };
}

describe('live ndjson from a pipe', () => {
  it('prints a connection ended by RST while the pipe is still open', async () => {
    const { header, records: recs } = records('rst-linger0');
    const run = live();
    run.child.stdin.write(Buffer.concat([header, ...recs]));
    // The capture's clock stops at the RST; the wall clock carries it past the settle time.
    await run.until(1);
    expect(run.lines.map((f) => [f.id, f.close.kind, f.client.final_state, f.server.final_state])).toEqual([[1, 'reset', 'CLOSED', 'CLOSED']]);
    expect(await run.end()).toBe(0);
    // Nothing came after it to change it, so it is not printed again.
    expect(run.lines).toHaveLength(1);
  }, 30_000);

  it('a connection still open (stuck CLOSE_WAIT) or unanswered holds back none of the others', async () => {
    const { header, records: recs } = records('demo-mixed');
    const run = live();
    run.child.stdin.write(Buffer.concat([header, ...recs]));
    await run.until(3);
    // The normal close (its client in TIME_WAIT), the refused one and the lost final ACK, in the order they settled.
    expect(run.lines.map((f) => f.id)).toEqual([2, 3, 4]);
    expect(run.lines[0]!.client.final_state).toBe('TIME_WAIT');
    expect(run.lines[2]!.anomalies.map((a) => a.code)).toContain('last-ack-lost');
    expect(await run.end()).toBe(0);
    // The stuck and the unanswered ones come at the end, as they stood then.
    expect(run.lines.map((f) => f.id)).toEqual([2, 3, 4, 1, 5]);
    expect(run.lines.some((f) => f.revised === true)).toBe(false);
  }, 30_000);

  it('a segment after the early line prints the flow again, marked revised', async () => {
    // lost-final-ack: frames 1-11 end in the client's final ACK, which was lost;
    // the server's repeated FIN (12) and the client's new ACK (13) come later.
    const { header, records: recs } = records('lost-final-ack');
    const run = live();
    run.child.stdin.write(Buffer.concat([header, ...recs.slice(0, 11)]));
    await run.until(1);
    expect(run.lines[0]!.anomalies.map((a) => a.code)).not.toContain('last-ack-lost');
    run.child.stdin.write(Buffer.concat(recs.slice(11)));
    expect(await run.end()).toBe(0);
    expect(run.lines).toHaveLength(2);
    const [first, second] = run.lines;
    expect([second!.id, second!.revised, second!.last_frame]).toEqual([first!.id, true, 13]);
    expect(second!.anomalies.map((a) => a.code)).toContain('last-ack-lost');
    expect(first).not.toHaveProperty('revised');
    // The schema knows the mark (an ndjson line is $defs/flow).
    const schema = JSON.parse(readFileSync('schema/synfin.schema.json', 'utf8')) as { $defs: { flow: { properties: Record<string, unknown> } } };
    expect(schema.$defs.flow.properties).toHaveProperty('revised');
  }, 30_000);

  it('standard input redirected from a file is read to the end as a file is, no early lines', async () => {
    const { spawnSync } = await import('node:child_process');
    const viaFile = spawnSync('bash', ['-c', 'node bin/synfin.js flows --format ndjson - < captures/demo-mixed.pcap'], { encoding: 'utf8' });
    const direct = spawnSync(process.execPath, ['bin/synfin.js', 'flows', '--format', 'ndjson', 'captures/demo-mixed.pcap'], { encoding: 'utf8' });
    expect(viaFile.stdout.replaceAll('"file":"-"', '')).toBe(direct.stdout);
  });
});
