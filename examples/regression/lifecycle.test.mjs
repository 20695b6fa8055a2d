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
  // A test's connections last milliseconds: one that waited a second in CLOSE_WAIT (or FIN_WAIT_2) is
  // stuck. The default, 5 s, suits a production capture.
  await expect(capture).toHaveCleanCloses({ stuckAfter: 1 });
  // Written on the first run, rewritten with `vitest -u`: review it and commit it. The close's kind is
  // left out: whether the client's ACK of the server's FIN rides on its own FIN (three-segment) or goes
  // alone (four-way) is its kernel's delayed ACK (40 ms) racing the client's close(), and on a busy
  // machine a first request is slow enough to lose. toHaveCleanCloses has checked the kind is a clean
  // one; who closed first, the final states, the outcomes and the anomalies are still compared.
  await expect(capture).toMatchLifecycleBaseline(join(import.meta.dirname, 'baseline.json'), { ignore: ['close'] });
});
