/**
 * Ctrl-C on a live pipe (`tcpdump -w - | synfin flows -`): the first SIGINT
 * stops the reading, and every command prints the connections read so far,
 * still-open ones as open, then exits 0, as tcpdump and tshark do. The test
 * keeps the pipe open, so the output can only come from the interrupt.
 */

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { EXIT_INTERRUPTED, interruptSignal } from '../../src/cli/interrupt.ts';

const CAPTURE = 'captures/demo-mixed.pcap';

/**
 * Bytes still waiting in the pipe whose write end is this process's fd `fd`
 * (FIONREAD works on either end of a Linux pipe; Node has no ioctl, python3 does).
 */
function pipeBacklog(fd: number): number {
  const py = 'import os,fcntl,termios,array,sys\n'
    + 'f=os.open(sys.argv[1],os.O_WRONLY|os.O_NONBLOCK); b=array.array("i",[0]); fcntl.ioctl(f,termios.FIONREAD,b); print(b[0])';
  const r = spawnSync('python3', ['-c', py, `/proc/${process.pid}/fd/${fd}`], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs synfin on a pipe kept open, writes the capture, sends one SIGINT once it reads, and collects what it printed. */
async function interrupted(args: string[]): Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['bin/synfin.js', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  const closed = new Promise<[number | null, string | null]>((resolve) => child.on('close', (code, sig) => resolve([code, sig])));
  child.stdin.write(readFileSync(CAPTURE));
  // Interrupt only once synfin has taken the whole capture from the pipe (and started on it).
  const fd = (child.stdin as unknown as { _handle: { fd: number } })._handle.fd;
  const deadline = Date.now() + 20_000;
  while (pipeBacklog(fd) !== 0 && Date.now() < deadline) await sleep(20);
  await sleep(100);
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [status, signal] = await closed;
  clearTimeout(timer);
  child.stdin.destroy();
  return { status, signal, stdout, stderr };
}

/** What the same command prints reading the whole capture from standard input to its end. */
function whole(args: string[]): string {
  return spawnSync(process.execPath, ['bin/synfin.js', ...args], { input: readFileSync(CAPTURE), encoding: 'utf8' }).stdout;
}

describe('the first Ctrl-C prints what was read and exits 0', () => {
  it.each([['text'], ['json'], ['ndjson'], ['csv'], ['zeek']])('flows --format %s', async (format) => {
    const args = ['flows', '--format', format, '-'];
    const r = await interrupted(args);
    expect([r.status, r.signal]).toEqual([0, null]);
    expect(r.stderr).toMatch(/^synfin: warning: interrupted after frame 38: the connections read so far, still-open ones as open$/m);
    // Every connection, flow 1 still open in CLOSE_WAIT and flow 5 unanswered, as at the end of the file.
    const expected = whole(args);
    if (format === 'ndjson') {
      const sorted = (s: string): string[] => s.trimEnd().split('\n').sort();
      expect(sorted(r.stdout)).toEqual(sorted(expected));
    } else {
      expect(r.stdout).toBe(expected);
    }
  }, 60_000);

  it('netstat', async () => {
    const r = await interrupted(['netstat', '-']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(whole(['netstat', '-']));
    expect(r.stdout).toMatch(/CLOSE_WAIT/);
  }, 60_000);

  it('report', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'synfin-int-')), 'r.html');
    const r = await interrupted(['report', '-q', '-o', out, '-']);
    expect(r.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/<html/i);
  }, 60_000);

  it('the top-level help shows the pipe that works live', () => {
    const help = spawnSync(process.execPath, ['bin/synfin.js', '--help'], { encoding: 'utf8' }).stdout;
    expect(help).toContain('tcpdump -i lo -U --immediate-mode -w - | synfin flows --format ndjson -');
  });
});

describe('the second Ctrl-C quits at once', () => {
  it('aborts on the first SIGINT, exits 130 on the second', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    try {
      const signal = interruptSignal();
      expect(signal.aborted).toBe(false);
      process.emit('SIGINT', 'SIGINT');
      expect(signal.aborted).toBe(true);
      expect(exit).not.toHaveBeenCalled();
      process.emit('SIGINT', 'SIGINT');
      expect(exit).toHaveBeenCalledWith(EXIT_INTERRUPTED);
    } finally {
      exit.mockRestore();
      process.removeAllListeners('SIGINT');
    }
  });
});
