/**
 * `synfin flows -i IFACE [filter...]` (src/cli/capture.ts): synfin runs
 * tcpdump itself on loopback, a real TCP exchange crosses it, and Ctrl-C
 * stops tcpdump and prints the connection. Nothing leaves the host.
 */

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../fixtures/free-port.ts';
import { tcpdumpArgs } from '../../src/cli/capture.ts';

const hasTcpdump = spawnSync('sh', ['-c', 'command -v tcpdump']).status === 0;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A request and its reply on 127.0.0.1, the client closing first; resolves with the server's port once both ends closed. */
async function exchange(port: number): Promise<void> {
  const server = createServer((s) => s.on('data', () => s.end('pong')));
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const c = connect(port, '127.0.0.1');
  await once(c, 'connect');
  c.write('ping');
  c.resume();
  await once(c, 'end');
  c.end();
  await once(c, 'close');
  server.close();
}


/** Runs synfin capturing on lo; resolves once tcpdump listens. */
async function capturing(args: string[]) {
  const child = spawn(process.execPath, ['bin/synfin.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  while (!stderr.includes('listening on lo') && Date.now() < deadline && child.exitCode === null) await sleep(20);
  return { child, closed, out: () => ({ stdout, stderr }) };
}

describe('tcpdump is run as the brief says', () => {
  it('-U --immediate-mode -w -, the interface, a 32 MiB buffer, the filter passed on word for word', () => {
    expect(tcpdumpArgs('eth0', ['tcp', 'port', '443'])).toEqual(['-i', 'eth0', '-B', '32768', '-U', '--immediate-mode', '-w', '-', 'tcp', 'port', '443']);
  });
});

// Capturing needs tcpdump (.ci/run installs it) and root or CAP_NET_RAW, as CI runs.
describe.skipIf(!hasTcpdump)('synfin -i lo (skipped when tcpdump is not installed: nothing to capture with)', () => {
  it('flows: a real exchange on loopback, printed on Ctrl-C, exit 0', async () => {
    const port = await freePort();
    const run = await capturing(['flows', '-i', 'lo', 'tcp', 'port', String(port)]);
    expect(run.out().stderr).toMatch(/^tcpdump: listening on lo/m);
    await exchange(port);
    await sleep(300);
    run.child.kill('SIGINT');
    expect(await run.closed).toBe(0);
    const { stdout, stderr } = run.out();
    const rows = stdout.split('\n').filter((l) => /^\s+\d+\s/.test(l));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(new RegExp(`127\\.0\\.0\\.1:\\d+  →  127\\.0\\.0\\.1:${port} .* three-way → `));
    expect(stdout).toMatch(/^1 flow$|, 1 flow$/m);
    // tcpdump's own count at the end, as it prints it.
    expect(stderr).toMatch(/packets captured/);
  }, 60_000);

  it('netstat and report capture too', async () => {
    const port = await freePort();
    const out = join(mkdtempSync(join(tmpdir(), 'synfin-capture-')), 'live.html');
    const runs = [
      await capturing(['netstat', '-i', 'lo', 'tcp', 'port', String(port)]),
      await capturing(['report', '-o', out, '-i', 'lo', 'tcp', 'port', String(port)]),
    ];
    await exchange(port);
    await sleep(300);
    for (const r of runs) r.child.kill('SIGINT');
    expect(await Promise.all(runs.map((r) => r.closed))).toEqual([0, 0]);
    expect(runs[0]!.out().stdout).toMatch(new RegExp(`127\\.0\\.0\\.1:${port} `));
    expect(readFileSync(out, 'utf8')).toContain('live on lo');
  }, 60_000);

  it('an interface that does not exist: one line, exit 2', () => {
    const r = spawnSync(process.execPath, ['bin/synfin.js', 'flows', '-i', 'nosuchif0'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd()).toMatch(/^synfin: tcpdump could not capture on nosuchif0: .*(No such device|doesn't exist)/);
  });

  const setpriv = spawnSync('sh', ['-c', 'command -v setpriv']).status === 0;
  it.skipIf(!setpriv)('a user who may not capture: one line naming the permission, exit 2 (needs util-linux\'s setpriv)', () => {
    // The checkout may sit where nobody cannot read it (a fresh clone in a mode-700 temporary
    // directory): the compiled command, which needs nothing else, is copied where anyone can.
    const home = mkdtempSync(join(tmpdir(), 'synfin-nobody-'));
    try {
      chmodSync(home, 0o755);
      for (const d of ['bin', 'dist']) cpSync(d, join(home, d), { recursive: true });
      const r = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, join(home, 'bin/synfin.js'), 'flows', '-i', 'lo'], { encoding: 'utf8', timeout: 20_000, cwd: home });
      expect(r.status).toBe(2);
      expect(r.stderr.trimEnd()).toMatch(/^synfin: tcpdump could not capture on lo: .*permission.*\(capturing needs root or CAP_NET_RAW/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('without tcpdump', () => {
  it('a clear error, exit 2', () => {
    const r = spawnSync(process.execPath, ['bin/synfin.js', 'flows', '-i', 'lo'], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, SYNFIN_TCPDUMP: '/nonexistent/tcpdump' } });
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd()).toMatch(/^synfin: -i needs tcpdump, and \/nonexistent\/tcpdump is not installed or not on PATH/);
  });
});
