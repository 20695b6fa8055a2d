/** Stories whose ladder diagrams are compared byte for byte with test/golden/NAME.svg. */
import { analyzeFile } from '../../src/analyze.ts';
import { ladderSvg } from '../../src/report/ladder-svg.ts';

export const SVG_GOLDENS = ['normal-close-client', 'lost-final-ack', 'stuck-close-wait', 'refused', 'simultaneous-close'];

/** The diagram of the capture's first flow, as `synfin explain --svg` draws it. */
export async function renderSvgGolden(name: string): Promise<string> {
  return ladderSvg((await analyzeFile(`captures/${name}.pcap`, { events: true })).flows[0]!);
}
