// One config pass in a fresh process, so its peak memory is its own: `node config-pass-child.js FILE`
// prints {"ok", "ms", "maxRssMb", "problems"} as one JSON line.
import { runPass } from '../src/config/pass.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: config-pass-child FILE');
const t0 = performance.now();
const reply = await runPass({ id: 1, source: file, fetchTimeoutMs: 60_000, appliedVersion: '' });
const ms = performance.now() - t0;
process.stdout.write(
  `${JSON.stringify({ ok: reply.ok, ms, maxRssMb: process.resourceUsage().maxRSS / 1024, problems: reply.ok ? 0 : reply.count })}\n`,
);
