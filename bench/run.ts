/**
 * `npm run bench [-- --quick] [-- --only NAME] [-- --out DIR]`: runs the
 * benchmark scenarios, one at a time (never two at once: the figures would
 * be worthless on a 2-core machine), and writes per scenario
 * `<name>.json`, then regenerates `summary.json` and `REPORT.md` from every
 * scenario file in the folder.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, environment, makeContext, type Figure } from './harness.js';
import { SCENARIOS } from './scenarios.js';
import { updateReadme } from './readme.js';

interface Args {
  quick: boolean;
  only: string[];
  outDir: string;
}

const USAGE = `usage: npm run bench -- [--quick] [--only NAME[,NAME…]] [--out DIR]

  --quick      smaller sizes, same code paths (about a minute); written to a
               temporary folder unless --out says where, so results/ and the
               README stay as committed
  --only NAME  run only these scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}
  --out DIR    write results to DIR instead of results/
`;

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, only: [], outDir: path.join(ROOT, 'results') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--quick') args.quick = true;
    else if (a === '--only' || a === '--out') {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      if (a === '--only') args.only.push(...v.split(','));
      else args.outDir = path.resolve(v);
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else fail(`unknown option ${a}`);
  }
  // A quick run's figures are not the committed ones: never over results/ unless asked.
  if (args.quick && !argv.includes('--out')) args.outDir = path.join(os.tmpdir(), `urnd-bench-quick-${process.pid}`);
  for (const name of args.only) {
    if (!SCENARIOS.some((s) => s.name === name))
      fail(`--only: no scenario named "${name}" (there are: ${SCENARIOS.map((s) => s.name).join(', ')})`);
  }
  return args;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n\n${USAGE}`);
  process.exit(2);
}

interface ScenarioFile {
  scenario: string;
  description: string;
  quick: boolean;
  environment: Record<string, string | number>;
  summary: Record<string, Figure>;
  markdown: string;
  details: unknown;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const chosen = SCENARIOS.filter((s) => args.only.length === 0 || args.only.includes(s.name));
  const env = environment(process.argv.slice(1).map((a) => path.relative(ROOT, a) || a));
  let left = chosen.reduce((t, s) => t + s.estimateSeconds(args.quick), 0);
  const started = Date.now();
  for (const [i, scenario] of chosen.entries()) {
    const prefix = `[${i + 1}/${chosen.length}] ${scenario.name}`;
    const line = (m: string) =>
      process.stderr.write(`${prefix}: ${m} (about ${Math.max(0, Math.round(left))} s left)\n`);
    const ctx = makeContext(args.quick, args.outDir, line);
    line(scenario.description);
    const t0 = Date.now();
    const result = await scenario.run(ctx);
    left -= scenario.estimateSeconds(args.quick);
    const file: ScenarioFile = {
      scenario: scenario.name,
      description: scenario.description,
      quick: args.quick,
      environment: env,
      ...result,
    };
    ctx.writeFile(`${scenario.name}.json`, `${JSON.stringify(file, null, 2)}\n`);
    process.stderr.write(`${prefix}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  writeReports(args.outDir);
  // The README's table is generated from the committed results, never typed in.
  const defaultOut = path.join(ROOT, 'results');
  if (!args.quick && path.resolve(args.outDir) === defaultOut)
    updateReadme(path.join(ROOT, 'README.md'), path.join(defaultOut, 'summary.json'));
  process.stderr.write(
    `bench: finished in ${((Date.now() - started) / 1000).toFixed(1)} s; wrote ${path.relative(process.cwd(), args.outDir) || '.'}/REPORT.md and summary.json\n`,
  );
}

/** Rebuilds summary.json and REPORT.md from every scenario file in `dir`. */
export function writeReports(dir: string): void {
  const files: ScenarioFile[] = [];
  for (const s of SCENARIOS) {
    const p = path.join(dir, `${s.name}.json`);
    if (existsSync(p)) files.push(JSON.parse(readFileSync(p, 'utf8')) as ScenarioFile);
  }
  const summary: Record<
    string,
    Record<string, Figure> & { _commit: string; _date: string; _quick: boolean; _node: string }
  > = {};
  for (const f of files)
    summary[f.scenario] = {
      _commit: String(f.environment.commit),
      _date: String(f.environment.date),
      _quick: f.quick,
      _node: String(f.environment.node ?? 'unknown'),
      ...f.summary,
    };
  writeFileSync(path.join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);

  const envLines = (env: Record<string, string | number>) =>
    Object.entries(env)
      .map(([k, v]) => `- ${k}: ${String(v)}`)
      .join('\n');
  const parts = [
    '# urnd benchmark report',
    '',
    'Generated by `npm run bench`; do not edit by hand. Each section says which run it came from. Figures to compare are ratios within one run (healthy vs failure, urnd vs baseline): absolute times drift between machines and runs.',
    '',
  ];
  for (const f of files) {
    parts.push(f.markdown, '');
    parts.push(
      `<sub>${f.quick ? 'quick run' : 'full run'}, ${String(f.environment.date)}, commit ${String(f.environment.commit)}, Node ${String(f.environment.node ?? 'unknown')} — raw data: [${f.scenario}.json](${f.scenario}.json)</sub>`,
      '',
    );
  }
  const latest = files.map((f) => f.environment).sort((a, b) => String(b.date).localeCompare(String(a.date)))[0];
  if (latest !== undefined) parts.push('## Environment (latest run)', '', envLines(latest), '');
  writeFileSync(path.join(dir, 'REPORT.md'), parts.join('\n'));
}

const isMain =
  process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
