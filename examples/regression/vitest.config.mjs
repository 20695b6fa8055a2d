import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // vitest's cache in the repository's node_modules: one here would make this directory look like a
  // project of its own to npm (npx run here would look for its commands in it, then in the registry).
  cacheDir: join(import.meta.dirname, '../../node_modules/.vite/examples-regression'),
  test: { root: import.meta.dirname, include: ['*.test.mjs'] },
});
