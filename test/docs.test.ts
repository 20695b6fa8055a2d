/**
 * The docs stand alone: a clone holds nothing beside the repository, so every
 * relative link in the README and docs/ must name a file inside it that
 * exists.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve('.');
const pages = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f)), 'captures/README.md'];

describe('links in the README and docs/', () => {
  it.each(pages.map((p) => [p]))('%s links only to files in the repository', (page) => {
    const text = readFileSync(page, 'utf8');
    const broken: string[] = [];
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!.split('#')[0]!;
      if (target === '' || /^[a-z]+:/i.test(target)) continue;
      const path = resolve(dirname(page), target);
      const inside = !relative(root, path).startsWith('..');
      if (!inside || !existsSync(path)) broken.push(m[1]!);
    }
    expect(broken).toEqual([]);
  });

  it('the README names nothing outside the repository as its contract', () => {
    expect(readFileSync('README.md', 'utf8')).not.toMatch(/\.\.\/shared/);
  });
});
