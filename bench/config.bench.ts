import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { AggregatorNode } from '../src/aggregate/aggregator-node.js';
import { ConfigLoop } from '../src/config/loop.js';
import { planDiff, reloadNodes } from '../src/node.js';
import { ObservationTable } from '../src/table/observation-table.js';
import { fmt, markdownTable, type Scenario, type ScenarioResult } from './harness.js';

/**
 * The config loop at size: one pass (read, parse, validate, compile, encode)
 * of a document with 1,000 / 16,000 / 100,000 tcp checks (one multivalue
 * name per 4 checks), and of a bad document of 64,000 unknown top-level
 * keys, and of 10 MB documents of hostile shapes (hostileDocs), each in a
 * fresh process (time and peak RSS its own). Then the
 * ticking thread's timer lateness (a 100 ms paced tick, HDR) while a
 * ConfigLoop re-reads the 16,000-check document every second, side by side
 * with the same run without it, interleaved in rounds. Goals: 100,000
 * checks ≤ 3 s and < 500 MB; the bad document ≤ 2 s; every hostile shape
 * rejected with one short problem; lateness p99 with ÷
 * without ≤ 1.1.
 */
const here = path.dirname(fileURLToPath(import.meta.url));

function goodDoc(checks: number): string {
  const capacity = Math.max(1024, 2 ** Math.ceil(Math.log2(checks + 1)));
  const lines = [`cell: { name: bench, capacity: ${capacity} }`, 'checks:'];
  for (let i = 0; i < checks; i++)
    lines.push(
      `  - { id: c${i}, slot: ${i}, type: tcp, host: 127.0.${(i >> 8) & 255}.${i & 255}, port: 9, interval: 10s }`,
    );
  lines.push('zones: [{ origin: bench.test }]', 'records:');
  for (let i = 0; i < checks; i += 4) {
    const answers = [];
    for (let j = i; j < Math.min(i + 4, checks); j++)
      answers.push(`{ value: 10.${(j >> 16) & 255}.${(j >> 8) & 255}.${j & 255}, check: c${j} }`);
    lines.push(`  - { name: n${i}.bench.test, type: A, policy: multivalue, answers: [${answers.join(', ')}] }`);
  }
  return `${lines.join('\n')}\n`;
}

function badDoc(keys: number): string {
  return `cell: { name: bench }\n${Array.from({ length: keys }, (_, i) => `key${i}: value`).join('\n')}\n`;
}

/**
 * Documents of hostile shapes, each about `bytes` long: nesting millions of
 * levels deep (flow and indentation), one huge string, 500,000 tiny keys,
 * and a list of millions of items. Each must be rejected in bounded time and
 * memory with one short problem, never a stack overflow.
 */
export function hostileDocs(bytes: number): [string, string][] {
  const head = 'cell: { name: bench }\n';
  const half = Math.floor((bytes - 32) / 2);
  const indented: string[] = [];
  for (let d = 0, size = 0; size < bytes; d++) {
    const line = `${' '.repeat(d)}k:`;
    indented.push(line);
    size += line.length + 1;
  }
  const keys = Array.from({ length: 500_000 }, (_, i) => `k${i}: 0`).join('\n');
  return [
    [`nesting ${half.toLocaleString('en-US')} lists deep`, `${head}checks: ${'['.repeat(half)}${']'.repeat(half)}\n`],
    [`nesting ${indented.length.toLocaleString('en-US')} mappings deep`, `${head}${indented.join('\n')} 0\n`],
    ['one huge string', `${head}zones: [{ origin: "${'x'.repeat(bytes - 40)}" }]\n`],
    ['500,000 tiny keys', `${head}${keys}\n`],
    [`a list of ${half.toLocaleString('en-US')} items`, `${head}checks: [${'0,'.repeat(half - 1)}0]\n`],
  ];
}

interface PassFigure {
  readonly doc: string;
  readonly bytes: number;
  readonly ok: boolean;
  readonly problems: number;
  readonly ms: number;
  readonly maxRssMb: number;
  /** The first problem as logged, `path: message` (empty when valid). */
  readonly first: string;
}

function passInChild(file: string, doc: string, bytes: number): PassFigure {
  const out = execFileSync(process.execPath, [path.join(here, 'config-pass-child.js'), file], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    timeout: 120_000, // a pass that never ends fails the scenario rather than hanging it
  });
  const r = JSON.parse(out) as { ok: boolean; ms: number; maxRssMb: number; problems: number; first: string };
  return { doc, bytes, ...r, first: r.first.replaceAll(`${path.dirname(file)}${path.sep}`, '') };
}

/**
 * Lateness of a 100 ms paced aggregator tick (the AggregatorNode's whole
 * vote over every slot) on this thread for `ms`, in µs.
 */
async function tickLateness(node: AggregatorNode, ms: number, into: hdr.Histogram): Promise<void> {
  const period = 100;
  const start = performance.now();
  let next = start + period;
  while (next - start <= ms) {
    await new Promise<void>((r) => setTimeout(r, Math.max(0, next - performance.now())));
    into.recordValue(Math.max(0, Math.round((performance.now() - next) * 1000)));
    node.tick(Date.now());
    next += period;
  }
}

export const configScenario: Scenario = {
  name: 'config',
  description:
    'config pass time and peak memory at 1,000 / 16,000 / 100,000 checks, a 64,000-key bad document and 10 MB documents of hostile shapes; aggregator tick lateness with a config pass every second vs without',
  estimateSeconds: (quick) => (quick ? 20 : 90),
  async run(ctx): Promise<ScenarioResult> {
    const dir = mkdtempSync(path.join(tmpdir(), 'urnd-bench-config-'));
    try {
      const passes: PassFigure[] = [];
      const hostile = hostileDocs(ctx.quick ? 1 << 20 : 10 << 20);
      const docs: [string, string][] = [
        ['1,000 checks', goodDoc(1000)],
        ['16,000 checks', goodDoc(16_000)],
        ...(ctx.quick ? [] : ([['100,000 checks', goodDoc(100_000)]] as [string, string][])),
        ['64,000-key bad document', badDoc(64_000)],
        ...hostile,
      ];
      for (const [name, text] of docs) {
        const file = path.join(dir, `${passes.length}.yaml`);
        writeFileSync(file, text);
        ctx.log(`config: one pass of ${name} (${(text.length / 1e6).toFixed(1)} MB)`);
        passes.push(passInChild(file, name, text.length));
      }

      const loopFile = path.join(dir, 'loop.yaml');
      writeFileSync(loopFile, goodDoc(16_000));
      const without = hdr.build({
        lowestDiscernibleValue: 1,
        highestTrackableValue: 60_000_000,
        numberOfSignificantValueDigits: 3,
      });
      const withLoop = hdr.build({
        lowestDiscernibleValue: 1,
        highestTrackableValue: 60_000_000,
        numberOfSignificantValueDigits: 3,
      });
      const rounds = ctx.quick ? 2 : 4;
      const roundMs = ctx.quick ? 1500 : 5000;
      const loop = await ConfigLoop.start({ role: 'bench', source: loopFile, intervalMs: 3_600_000, log: () => {} });
      // The aggregator role's node and reload, as `urnd aggregator` wires them: every pass, changed or not, goes
      // through planDiff and reloadNodes on the thread that ticks.
      const node = new AggregatorNode(loop.plan, ObservationTable.create(loop.plan.cell.capacity, 1), {
        remote: [],
        tickMs: 100,
      });
      loop.onApply((next, prev) => reloadNodes(planDiff(prev.plan, next.plan, next.key), null, [node]));
      let passesWith = 0;
      try {
        for (let r = 0; r < rounds; r++) {
          ctx.log(`config: tick lateness round ${r + 1}/${rounds}`);
          // The loop's own timer is slower than a round (intervalMs above is overridden below by forcing passes), so
          // "without" rounds see no pass and "with" rounds one a second (never two at once, as the loop's timer).
          await tickLateness(node, roundMs, without);
          let running: Promise<void> | null = null;
          const forced = setInterval(() => {
            if (running !== null) return;
            passesWith += 1;
            running = loop.pass().finally(() => (running = null));
          }, 1000);
          await tickLateness(node, roundMs, withLoop);
          clearInterval(forced);
          await running;
        }
      } finally {
        await loop.stop();
      }
      if (loop.stats().rejected > 0) throw new Error(`config: ${loop.stats().rejected} passes rejected`);
      const p99Ratio = withLoop.getValueAtPercentile(99) / Math.max(1, without.getValueAtPercentile(99));
      const row = (name: string, h: hdr.Histogram) => [
        name,
        h.totalCount,
        fmt(h.getValueAtPercentile(50) / 1000, 2),
        fmt(h.getValueAtPercentile(99) / 1000, 2),
        fmt(h.getValueAtPercentile(99.9) / 1000, 2),
        fmt(h.maxValue / 1000, 2),
      ];
      const markdown = [
        '### config',
        '',
        'One pass per document, each in a fresh process:',
        '',
        markdownTable(
          ['document', 'MB', 'result', 'pass ms', 'peak RSS MB'],
          passes.map((p) => [
            p.doc,
            fmt(p.bytes / 1e6, 1),
            p.ok
              ? 'valid'
              : p.problems === 1
                ? `rejected: ${p.first.replace(/\|/g, '\\|')}`
                : `rejected (${p.problems} problems)`,
            fmt(p.ms, 0),
            fmt(p.maxRssMb, 0),
          ]),
        ),
        '',
        `Lateness of a 100 ms aggregator tick on the loop's thread, ms (${rounds} interleaved rounds of ${roundMs / 1000} s; 16,000-check document, ${passesWith} passes, one a second, on the config worker, each applied as \`urnd aggregator\` does):`,
        '',
        markdownTable(
          ['', 'ticks', 'p50', 'p99', 'p99.9', 'max'],
          [row('without passes', without), row('with a pass every second', withLoop)],
        ),
        '',
        `p99 with ÷ without: ${fmt(p99Ratio, 2)} (goal ≤ 1.1).`,
      ].join('\n');
      const summary: Record<string, number | boolean> = { lateness_p99_ratio: p99Ratio };
      // The hostile shapes as one figure each for time and memory: the worst of them, and whether every one was
      // rejected with one problem.
      const shapes = passes.filter((p) => hostile.some(([name]) => name === p.doc));
      summary.hostile_worst_ms = Math.round(Math.max(...shapes.map((p) => p.ms)));
      summary.hostile_worst_rss_mb = Math.round(Math.max(...shapes.map((p) => p.maxRssMb)));
      summary.hostile_all_one_problem = shapes.every((p) => !p.ok && p.problems === 1);
      for (const p of passes) {
        const key = p.doc
          .replace(/[^a-z0-9]+/gi, '_')
          .replace(/_+$/, '')
          .toLowerCase();
        summary[`${key}_ms`] = Math.round(p.ms);
        summary[`${key}_rss_mb`] = Math.round(p.maxRssMb);
      }
      return {
        summary,
        markdown,
        details: {
          passes,
          lateness: { without: without.outputPercentileDistribution(), with: withLoop.outputPercentileDistribution() },
        },
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
