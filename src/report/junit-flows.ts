/**
 * `flows --format junit` (with `--fail-on`): one test per listed flow, failed
 * when a term matches (report/junit.ts), in a suite named after the command.
 */

import type { FlowFormat } from './flow-format.ts';
import { failOnCase, formatJunit, type JunitCase } from './junit.ts';
import { matchesFilter } from './text.ts';

export const junitFlowsFormat: FlowFormat = {
  problem: ({ failOn }) => (failOn === undefined || failOn.terms.length === 0
    ? '--format junit reports a --fail-on gate: give --fail-on TERMS (each listed flow is then a test, failed when a term matches)'
    : undefined),
  writer({ filter = {}, failOn, source = '' }) {
    const terms = failOn?.terms ?? [];
    return {
      // A test is a few strings, held as their JSON until the document is printed.
      flow: (f) => (matchesFilter(f, filter) ? JSON.stringify(failOnCase(terms, f, 'synfin.flows')) : undefined),
      document() {
        const cases: JunitCase[] = [];
        const name = `synfin flows --fail-on ${failOn?.expr ?? ''} ${source}`.trimEnd();
        return {
          head: '',
          separator: '',
          each(text) {
            cases.push(JSON.parse(text) as JunitCase);
            return '';
          },
          tail: () => formatJunit([{ name, cases }]),
        };
      },
    };
  },
  help: `--format junit (with --fail-on) writes a JUnit XML report for CI (GitLab,
Jenkins, GitHub, Azure): one test per listed flow, named server ← client
(flow N), failed with the matched terms and the anomaly's message when a term
matches. The exit status is the same as with text.`,
};
