/**
 * synfin as another project installs it: `npm pack`, the tarball installed
 * (offline) into a fresh project with a usual tsconfig (NodeNext, strict,
 * outDir), type-checked and compiled by plain `tsc`, then run. The project
 * sees only what the tarball ships: the declarations dist/types/ built from
 * src/, not the TypeScript sources.
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve('.');
const work = mkdtempSync(join(tmpdir(), 'synfin-consumer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, npm_config_update_notifier: 'false' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CONSUMER = `import { analyzeFile, type AnalysisResult, type FlowRecord } from 'synfin';

const result: AnalysisResult = await analyzeFile(process.argv[2]!);
const refused: FlowRecord[] = result.flows.filter((f) => f.outcome.client === 'ECONNREFUSED');
console.log(result.summary.flows, result.flows.map((f) => f.handshake.kind).join(','), refused.map((f) => f.id).join(','));
`;

// synfin/vitest in a test suite: the matchers extend vitest's expect and type its assertions.
const MATCHERS = `import { expect } from 'vitest';
import { synfinMatchers, type NoAnomaliesOptions } from 'synfin/vitest';

expect.extend(synfinMatchers);
const errors: NoAnomaliesOptions = { severity: 'error', ignore: ['keepalive'] };

export async function check(capture: string): Promise<void> {
  await expect(capture).toHaveNoAnomalies(errors);
  await expect(capture).toHaveCleanCloses({ stuckAfter: 1 });
  await expect(capture).toMatchLifecycleBaseline('baseline.json', { match: 'order', ignore: ['rtt'] });
}
`;

// The same matchers in a jest suite: jest's own expect (the `expect` package, what @jest/globals exports) types them too.
const JEST_MATCHERS = `import { expect } from 'expect';
import { synfinMatchers } from 'synfin/vitest';

expect.extend(synfinMatchers);

export async function check(capture: string): Promise<void> {
  await expect(capture).toHaveNoAnomalies({ severity: 'error' });
  await expect(capture).not.toHaveCleanCloses();
  await expect(capture).toMatchLifecycleBaseline('baseline.json', { match: 'order' });
}
`;

describe('a TypeScript project that installs the packed tarball', () => {
  it('type-checks, compiles and runs with plain tsc (NodeNext, strict), synfin/vitest too (with vitest, and with jest\'s expect), and installs without a script warning', () => {
    const packs = join(work, 'packs');
    mkdirSync(packs);
    // --ignore-scripts: dist/ is current (test/build.test.ts), and rebuilding it would race the other test files.
    const pack = run('npm', ['pack', '--ignore-scripts', '--pack-destination', packs, repo], work);
    expect(pack.status, pack.stderr).toBe(0);
    // Its dependency and the Node types, packed from this checkout's node_modules: the install needs no network.
    for (const dep of ['commander', '@types/node', 'undici-types']) {
      expect(run('npm', ['pack', '--ignore-scripts', '--pack-destination', packs, join(repo, 'node_modules', dep)], work).status).toBe(0);
    }
    const app = join(work, 'app');
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'dist', rootDir: 'src', types: ['node'] },
      include: ['src'],
    }));
    writeFileSync(join(app, 'src/main.ts'), CONSUMER);
    writeFileSync(join(app, 'src/matchers.ts'), MATCHERS);
    const tarballs = readdirSync(packs).map((f) => join(packs, f));
    const install = run('npm', ['install', '--offline', '--no-audit', '--no-fund', ...tarballs], app);
    expect(install.status, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/allowScripts|install-scripts|prepare/);
    // vitest for synfin/vitest's types, linked from this checkout (packing it and its dependencies would take minutes).
    symlinkSync(join(repo, 'node_modules/vitest'), join(app, 'node_modules/vitest'), 'dir');
    // Without skipLibCheck: synfin's declarations themselves must check under the consumer's options.
    const tsc = run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', '.'], app);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    const r = run(process.execPath, ['dist/main.js', join(repo, 'captures/demo-mixed.pcap')], app);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('5 three-way,three-way,refused,three-way,unanswered 3\n');
    // Without jest installed, synfin/vitest's augmentation of jest's expect checked above as nothing; with it, it types the matchers.
    symlinkSync(join(repo, 'node_modules/expect'), join(app, 'node_modules/expect'), 'dir');
    writeFileSync(join(app, 'src/jest-matchers.ts'), JEST_MATCHERS);
    const jest = run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', '.', '--noEmit'], app);
    expect(jest.stdout + jest.stderr).toBe('');
    expect(jest.status).toBe(0);
  }, 180_000);
});
