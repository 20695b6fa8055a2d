/**
 * `diff` across re-runs of one test: captures/rerun/ holds ten recordings of
 * the same loopback HTTP exchange whose two ends close at the same moment
 * (captures/record-rerun.sh). Whose FIN the capture saw first is a race, so
 * the closes come out four-way, three-segment or simultaneous, client or
 * server first. Every pair must diff equal by default, the race must really
 * be in the recordings (--strict-close sees it), and real regressions, from
 * the kernel captures, must still show.
 */

import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeFile, type AnalysisResult } from '../../src/analyze.ts';
import { diff, DIFF_TIMELINE, finsCrossed, slimForDiff } from '../../src/report/diff.ts';

const RERUNS = readdirSync('captures/rerun').filter((n) => n.endsWith('.pcap')).sort();
const runs = new Map<string, AnalysisResult>();

/** What the CLI compares of a capture: its flows, each with the timeline's FIN frames only. */
async function analyzed(path: string): Promise<AnalysisResult> {
  const r = await analyzeFile(path, DIFF_TIMELINE);
  return { ...r, flows: r.flows.map(slimForDiff) };
}

beforeAll(async () => {
  for (const n of RERUNS) runs.set(n, await analyzed(`captures/rerun/${n}`));
}, 60_000);

describe('ten re-runs of one loopback HTTP test', () => {
  it('are ten captures of one flow whose two ends closed at once', () => {
    expect(RERUNS).toHaveLength(10);
    for (const [n, r] of runs) {
      expect(r.flows, n).toHaveLength(1);
      expect(finsCrossed(r.flows[0]!), n).toBe(true);
    }
  });

  it('race: the close kind, initiator or final states differ between some of them', () => {
    const kinds = new Set([...runs.values()].map((r) => `${r.flows[0]!.close.kind}/${r.flows[0]!.close.initiator}`));
    expect(kinds.size).toBeGreaterThan(1);
    let noisy = 0;
    for (const a of RERUNS) for (const b of RERUNS) if (a < b && !diff(runs.get(a)!, runs.get(b)!, { strictClose: true }).equal) noisy++;
    expect(noisy).toBeGreaterThan(0);
  });

  it('every pair diffs equal by default', () => {
    for (const a of RERUNS) {
      for (const b of RERUNS) {
        if (a === b) continue;
        const d = diff(runs.get(a)!, runs.get(b)!);
        expect(d.changed, `${a} vs ${b}`).toEqual([]);
        expect(d.equal, `${a} vs ${b}`).toBe(true);
        expect(d.strict_close).toBe(false);
      }
    }
  });

  it.each([
    ['rst-linger0', ['close', 'client.outcome'], 'a reset instead of a close'],
    ['stuck-close-wait', ['close', 'server.final_state'], 'a stuck CLOSE_WAIT'],
    ['refused', ['handshake'], 'a refusal'],
  ])('a real regression still shows against every run: %s (%s)', async (name, fields) => {
    const today = await analyzed(`captures/${name}.pcap`);
    for (const n of RERUNS) {
      const d = diff(runs.get(n)!, today, { match: 'order' });
      expect(d.equal, `${n} vs ${name}`).toBe(false);
      const changed = d.changed[0]!.changes.map((c) => c.field);
      for (const f of fields) expect(changed, `${n} vs ${name}`).toContain(f);
    }
  });

  it('the CLI: exit 0 between two runs, 1 with --strict-close when their closes differ', () => {
    const [a, b] = (() => {
      for (const x of RERUNS) for (const y of RERUNS) if (!diff(runs.get(x)!, runs.get(y)!, { strictClose: true }).equal) return [x, y];
      throw new Error('no two runs differ');
    })();
    const run = (...args: string[]) => spawnSync(process.execPath, ['bin/synfin.js', 'diff', ...args], { encoding: 'utf8' });
    const same = run(`captures/rerun/${a}`, `captures/rerun/${b}`);
    expect(same.status, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).toMatch(/^no differences: /);
    const strict = run('--strict-close', `captures/rerun/${a}`, `captures/rerun/${b}`);
    expect(strict.status).toBe(1);
  });
});
