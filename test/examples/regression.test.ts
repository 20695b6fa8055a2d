/**
 * examples/regression, run as its README tells a newcomer to run it, so the
 * example cannot rot: the one command passes on the example as committed,
 * and fails, naming each connection and its CLOSE_WAIT, with the one-line
 * change that makes the server leak its sockets. The command records on lo
 * with tcpdump (root, as CI runs), on the example's fixed port 8931: in a
 * network namespace of its own when the machine allows one (`unshare -n`,
 * so that another run of this suite on the same host neither collides with
 * the port nor shows up in the capture), else on the host's lo, skipped when
 * something else holds the port.
 */

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';

/** The example's one command, and the change that breaks it, word for word as its README gives them. */
const COMMAND = 'npm run example:regression';
const LEAKING = 'LEAK_CLOSE_WAIT=1 npm run example:regression';

const hasTcpdump = spawnSync('sh', ['-c', 'command -v tcpdump']).status === 0;
/** A network namespace with its lo up: root and unshare(1) with CAP_SYS_ADMIN, and ip(8). */
const hasNetns = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' }).status === 0;

async function portFree(port: number): Promise<boolean> {
  const s = createServer();
  s.listen(port, '127.0.0.1');
  const free = await Promise.race([once(s, 'listening').then(() => true), once(s, 'error').then(() => false)]);
  if (free) s.close();
  return free;
}

const runnable = hasTcpdump && (hasNetns || await portFree(8931));

interface Run { readonly status: number | null; readonly output: string }

/** Runs a README line with sh, in a namespace of its own when there is one; stdout and stderr together, colours removed. */
async function run(line: string): Promise<Run> {
  const script = hasNetns ? `ip link set lo up && ${line}` : line;
  // Nothing of this vitest run's own state for the example's vitest to pick up.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
  const child = spawn(hasNetns ? 'unshare' : 'sh', hasNetns ? ['-n', 'sh', '-c', script] : ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { output += s; });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { output += s; });
  const [status] = await once(child, 'close') as [number | null];
  return { status, output: output.replace(/\x1b\[[0-9;]*m/g, '') };
}

describe('examples/regression/README.md', () => {
  it('gives the command and the leaking change this test runs', () => {
    const readme = readFileSync('examples/regression/README.md', 'utf8');
    expect(readme).toContain(`\n${COMMAND}\n`);
    expect(readme).toContain(`\n${LEAKING}\n`);
    expect(JSON.parse(readFileSync('package.json', 'utf8')).scripts['example:regression']).toMatch(/synfin\.js record --filter 'tcp port 8931' -o run\.pcap -- vitest run app && vitest run lifecycle$/);
  });
});

describe.skipIf(!runnable)('the example, run (skipped without tcpdump, or with port 8931 taken and no network namespace to be had)', () => {
  it(`${COMMAND}: records the app test, then the lifecycle test passes against the committed baseline`, async () => {
    const r = await run(COMMAND);
    expect(r.output).toMatch(/tcpdump: listening on lo/);
    // The flows table, on stderr: the three GETs, each on a connection of its own, closed cleanly.
    expect(r.output.match(/127\.0\.0\.1:\d+ +→ +127\.0\.0\.1:8931 .* three-way → (three-segment|four-way) \(server first\)/g)).toHaveLength(3);
    expect(r.output).toMatch(/30 frames, 30 TCP segments, 3 flows/);
    // Both steps' vitest: one test each, passed (the lifecycle test skips itself when there is no capture).
    expect(r.output).toMatch(/lifecycle\.test\.mjs \(1 test\)/);
    expect(r.output.match(/Tests +1 passed \(1\)/g)).toHaveLength(2);
    expect(r.status).toBe(0);
  }, 180_000);

  it(`${LEAKING}: the server leaves each socket in CLOSE_WAIT, and the lifecycle test fails naming each connection`, async () => {
    const r = await run(LEAKING);
    // The app's own test still passes: every reply arrived whole.
    expect(r.output).toMatch(/app\.test\.mjs \(1 test\)/);
    expect(r.output).toMatch(/FAIL +lifecycle\.test\.mjs > the app test's connections opened and closed as they should/);
    expect(r.output).toMatch(/expected every established connection in run\.pcap to close cleanly \(four-way, three-segment or simultaneous\); 3 flows of 3 did not:/);
    const named = r.output.match(/^ {2}127\.0\.0\.1:8931 ← 127\.0\.0\.1:\d+ \(flow [123]\): three-way, stuck-close-wait \(warning\): server 127\.0\.0\.1:8931 stayed in CLOSE_WAIT for \d+\.\d+ s after client's FIN \(frame \d+\) until frame \d+: its application had not called close\(\); look for a leaked socket/gm);
    expect(named).toHaveLength(3);
    expect(r.status).not.toBe(0);
  }, 180_000);
});
