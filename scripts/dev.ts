/**
 * synfin from its TypeScript sources, without a build: `npm run dev -- flows x.pcap`.
 * bin/synfin.js runs the compiled dist/ instead (npm run build).
 */
import { main } from '../src/cli/main.ts';

await main(process.argv);
