// The benchmark's bare-reader baseline: counts the packets of a classic pcap
// file through pcap-parser's own parse() on its own file stream, touching
// nothing else. Plain JavaScript run by node, so the baseline pays no loader.
//
//   node scripts/bench/count-pcap-parser.mjs FILE.pcap

import pcapParser from 'pcap-parser';

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: count-pcap-parser.mjs FILE.pcap\n');
  process.exit(2);
}
let packets = 0;
let bytes = 0;
const parser = pcapParser.parse(file);
parser.on('packet', (p) => {
  packets++;
  bytes += p.data.length;
});
parser.on('error', (err) => {
  process.stderr.write(`pcap-parser: ${err.message}\n`);
  process.exit(2);
});
parser.on('end', () => {
  process.stdout.write(`${packets} packets, ${bytes} captured bytes\n`);
});
