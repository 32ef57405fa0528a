// One config pass in a fresh process, so its peak memory is its own: `node config-pass-child.js FILE`
// prints {"ok", "ms", "maxRssMb", "problems", "first"} as one JSON line (`first`: the first problem, as logged).
import { runPass } from '../src/config/pass.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: config-pass-child FILE');
const t0 = performance.now();
const reply = await runPass({ id: 1, source: file, fetchTimeoutMs: 60_000, appliedVersion: '' });
const ms = performance.now() - t0;
process.stdout.write(
  `${JSON.stringify({ ok: reply.ok, ms, maxRssMb: process.resourceUsage().maxRSS / 1024, problems: reply.ok ? 0 : reply.count, first: reply.ok ? '' : firstProblem(reply.issues[0]) })}\n`,
);

function firstProblem(issue: { path: string; message: string } | undefined): string {
  if (issue === undefined) return '';
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}
