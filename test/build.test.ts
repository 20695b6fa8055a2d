/**
 * The command as users run it: bin/synfin.js executes the JavaScript that
 * `npm run build` bundles into dist/ (npm ci runs it through `postprepare`). A
 * build that is missing, or older than src/, fails here, so CI never passes on
 * code that users would not get.
 */

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

function run(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000, env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the built command', () => {
  it('dist/ is what src/ builds to now (run `npm run build` after changing src/)', () => {
    const r = run(['scripts/build.mjs', '--check']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('bin/synfin.js runs dist/cli.cjs, not the TypeScript sources', () => {
    const bin = readFileSync('bin/synfin.js', 'utf8');
    expect(bin).toContain("require('../dist/cli.cjs')");
    expect(bin).not.toMatch(/tsx|\.ts['"]/);
    // CommonJS, so a start never pays for Node's ES-module loader.
    expect(JSON.parse(readFileSync('bin/package.json', 'utf8'))).toEqual({ type: 'commonjs' });
    const lib = readFileSync('lib/index.js', 'utf8');
    expect(lib).toContain("from '../dist/index.js'");
    expect(lib).not.toMatch(/tsx/);
  });

  it('prints the golden text for a capture, as the sources do', () => {
    const r = run(['bin/synfin.js', 'flows', 'captures/lost-final-ack.pcap']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync('test/golden/lost-final-ack.txt', 'utf8'));
  });

  it('needs no writable temporary directory to start (no loader writes its cache there)', () => {
    // A TMPDIR that cannot exist: a path under a regular file (root can write anywhere else).
    const env = { ...process.env, TMPDIR: '/dev/null/synfin-tmp' };
    const v = run(['bin/synfin.js', '--version'], env);
    expect(v.stderr).toBe('');
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(v.status).toBe(0);
  });
});
