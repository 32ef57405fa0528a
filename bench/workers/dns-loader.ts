/**
 * The DNS benchmark's built-in load generator, as a process of its own
 * (wiring only; the loop is `runNodeLoad` in bench/dns-load.ts):
 *
 *   node dist/bench/workers/dns-loader.js '<LoadSpec as JSON>'
 *
 * Prints one JSON line, the LoadResult, and exits. Loopback targets only.
 */
import { runNodeLoad, type LoadSpec } from '../dns-load.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
if (!(spec.host === '::1' || spec.host.startsWith('127.'))) {
  process.stderr.write(`dns-loader: ${spec.host} is not a loopback address\n`);
  process.exit(2);
}
const result = await runNodeLoad(spec);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
