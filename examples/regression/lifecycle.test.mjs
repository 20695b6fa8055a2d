// The second step: how the connections the app test made opened and closed,
// read from the capture `synfin record -o` kept (README.md).
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';
import { synfinMatchers } from 'synfin/vitest';

expect.extend(synfinMatchers);

// Named relative to where vitest runs: the baseline records the capture's name as given.
const capture = process.env.CAPTURE ?? relative(process.cwd(), join(import.meta.dirname, 'run.pcap'));

it.skipIf(!existsSync(capture))('the app test\'s connections opened and closed as they should', async () => {
  await expect(capture).toHaveNoAnomalies({ severity: 'error' });
  await expect(capture).toHaveCleanCloses();
  // Written on the first run, rewritten with `vitest -u`: review it and commit it.
  await expect(capture).toMatchLifecycleBaseline(join(import.meta.dirname, 'baseline.json'));
});
