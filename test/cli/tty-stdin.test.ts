/**
 * `synfin flows -` typed at a shell prompt: standard input is the terminal,
 * and waiting on it would hang silently. Refused with exit 2, as
 * `tcpdump -r -` refuses it. Run under a pseudo-terminal (python3's pty).
 */

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Runs synfin with a pty as its standard input and output; its output and exit status (or 'hung'). */
function onTerminal(args: string[]): { status: number | 'hung'; output: string } {
  // The child's output is read until the pty closes (EIO once it exits); after 15 s it counts as hung.
  const py = `
import os, pty, sys, select, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(${JSON.stringify(process.execPath)}, [${JSON.stringify(process.execPath)}, 'bin/synfin.js'] + sys.argv[1:])
out = b''
deadline = time.time() + 15
while True:
    if time.time() > deadline:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        print('hung')
        sys.exit(0)
    r, _, _ = select.select([fd], [], [], 0.2)
    if not r:
        continue
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(str(os.waitstatus_to_exitcode(status)) + '\\n' + out.decode('utf8', 'replace'))
`;
  const r = spawnSync('python3', ['-c', py, ...args], { encoding: 'utf8', timeout: 30_000 });
  const [first, ...rest] = r.stdout.split('\n');
  return { status: first === 'hung' ? 'hung' : Number(first), output: rest.join('\n') };
}

describe('a terminal on standard input', () => {
  it.each([
    [['flows', '-']],
    [['flows', '--format', 'ndjson', '-']],
    [['netstat', '-']],
    [['explain', '-']],
    [['diff', 'captures/refused.pcap', '-']],
  ])('%j is refused, exit 2', (args) => {
    const r = onTerminal(args);
    expect(r.status).toBe(2);
    expect(r.output).toMatch(/^synfin: -: standard input is a terminal, but a capture is expected on standard input/m);
  }, 30_000);
});
