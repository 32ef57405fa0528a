import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { reusePortAvailable } from '../src/serving/reuse-port.js';
import { fmt, markdownTable, type BenchContext, type Figure, type Scenario, type ScenarioResult } from './harness.js';
import { ask, LineChild, processCpuMs, type Reply } from './dns-children.js';
import { dnsperfVersion, latencyHistogram, runDnsperf, type LoadMode, type LoadResult } from './dns-load.js';
import { sleep, tail } from './dns-peers-servers.js';

/**
 * DNS processes sharing one port, both ways, on one Node (issue #19):
 * SO_REUSEPORT (each DNS process opens its own UDP and TCP sockets, Node ≥
 * 22.12 on Linux) against inherited sockets (the supervisor binds them once
 * and every process inherits them, as on Node 20), with 1 and 2 DNS
 * processes: four cells, each a DnsProcessSet (bench/dns-sharing-server.ts)
 * fed a fixed all-healthy table as a status frame once a second.
 *
 * The sets run on a Node that has reusePort, so that both ways are measured
 * by the same Node: URND_BENCH_NODE24 (a node binary) if set and working,
 * else this Node if it is 24 or later, else node-linux-<arch>@24.22.3 from
 * the npm registry (`npm pack`, as .ci/run fetches it; kept in the temp
 * folder for the next run). Failing all three, the sets run on this Node
 * and only 'inherited' is measured (the report says why); the suite does
 * not fail for it.
 *
 * Per cell, in rounds (the order rotates per round, so a noisy neighbour
 * hits every cell alike): saturated q/s (dnsperf, 100 outstanding) and,
 * at one fixed rate for all four cells (half the slowest cell's saturated
 * rate in round 1), latency p50/p99. dnsperf sends from 16 sockets: with
 * SO_REUSEPORT the kernel picks a process by a hash of the sender, and one
 * socket would put every query on one process.
 */

/** The Node line fetched when none is given (the one .ci/run tests on). */
const NODE24 = '24.22.3';
const HOSTS = 8;
const PREFIX = '127.0.12';
const ZONE = 'sharing.test';
const NAME = `pool.${ZONE}`;
const CELL = 'sharingbench';
const CAPACITY = 1024;
const TARGETS = Array.from({ length: HOSTS }, (_, i) => `${PREFIX}.${i + 1}`);
const TARGET_SET = new Set(TARGETS);
/** dnsperf `-c`: sockets (source ports) the queries come from. */
const CLIENTS = 16;
const OUTSTANDING = 100;
const TIMEOUT_MS = 1000;

type Sharing = 'inherited' | 'reuse-port';
const CELLS: readonly { sharing: Sharing; processes: number }[] = [
  { sharing: 'inherited', processes: 1 },
  { sharing: 'reuse-port', processes: 1 },
  { sharing: 'inherited', processes: 2 },
  { sharing: 'reuse-port', processes: 2 },
];

const here = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const keyOf = (sharing: Sharing, processes: number) =>
  `${sharing === 'reuse-port' ? 'reuse_port' : sharing}_${processes}p`;

interface Cell {
  readonly key: string;
  readonly sharing: Sharing;
  readonly processes: number;
  /** 'measured' until something fails; else why not. */
  status: string;
  proc: LineChild | null;
  port: number;
  pids: number[];
  readonly sat: { qps: number; sent: number; lost: number; wrong: number; cpuUsPerQuery: number | null }[];
  readonly rate: { qps: number; sent: number; lost: number; wrong: number; histogram: string | null }[];
  /** Queries each DNS process answered over the whole run (its last report). */
  answered: number[] | null;
  restarts: number;
  readonly wrong: string[];
}

/** The Node the DNS processes run on, and how it was found. */
interface NodePick {
  readonly bin: string;
  readonly version: string;
  /** Whether it has reusePort (Node ≥ 22.12 on Linux). */
  readonly reusePort: boolean;
  readonly how: string;
  /** Why a Node with reusePort could not be had (when it could not). */
  readonly notes: string[];
}

function nodeVersionOf(bin: string): string | null {
  try {
    const v = execFileSync(bin, ['--version'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return /^v\d+\.\d+\.\d+/.test(v) ? v : null;
  } catch {
    return null;
  }
}

const hasReusePort = (version: string) => reusePortAvailable(version.replace(/^v/, ''));

/** The first useful line of a failed command's output. */
function why(err: unknown): string {
  const e = err as { stderr?: Buffer | string; message?: string };
  const text = `${e.stderr?.toString() ?? ''}\n${e.message ?? String(err)}`;
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '' && !l.includes('complete log')) ?? 'failed'
  );
}

/** node-linux-<arch>@NODE24 from the npm registry, unpacked in the temp folder (kept there for later runs). */
function fetchNode24(timeoutMs: number): { bin: string; how: string } | { bin: null; why: string } {
  const arch = process.arch === 'x64' || process.arch === 'arm64' ? process.arch : null;
  if (process.platform !== 'linux' || arch === null)
    return { bin: null, why: `no node-linux package for ${process.platform}/${process.arch}` };
  const pkg = `node-linux-${arch}@${NODE24}`;
  const cache = path.join(tmpdir(), `urnd-bench-node-v${NODE24}-linux-${arch}`);
  const cachedBin = path.join(cache, 'package', 'bin', 'node');
  // Only a folder this user made: a binary someone else left in the temp folder is not run.
  const ours = (p: string) => {
    try {
      return statSync(p).uid === process.getuid?.();
    } catch {
      return false;
    }
  };
  if (ours(cache) && ours(cachedBin) && nodeVersionOf(cachedBin) === `v${NODE24}`)
    return { bin: cachedBin, how: `${pkg} from the npm registry (fetched by an earlier run, kept in ${cache})` };
  const t0 = Date.now();
  const work = mkdtempSync(path.join(tmpdir(), 'urnd-bench-node-'));
  try {
    execFileSync('npm', ['pack', pkg, '--loglevel=error'], {
      cwd: work,
      timeout: timeoutMs,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (tgz === undefined) throw new Error('npm pack wrote no .tgz');
    execFileSync('tar', ['xzf', tgz], { cwd: work, timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
    rmSync(path.join(work, tgz), { force: true });
    if (nodeVersionOf(path.join(work, 'package', 'bin', 'node')) !== `v${NODE24}`)
      throw new Error(`${pkg} did not unpack a working node v${NODE24}`);
    const how = `${pkg} from the npm registry (\`npm pack\`, ${fmt((Date.now() - t0) / 1000, 1)} s; kept in ${cache})`;
    try {
      if (ours(cache)) rmSync(cache, { recursive: true, force: true });
      renameSync(work, cache);
      return { bin: cachedBin, how };
    } catch {
      return { bin: path.join(work, 'package', 'bin', 'node'), how: how.replace(/; kept in .*\)$/, ')') };
    }
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    return { bin: null, why: `could not fetch ${pkg} (no network?): ${why(err)}` };
  }
}

/** URND_BENCH_NODE24, else this Node if ≥ 24, else a fetched Node 24; failing all, this Node (inherited only). */
function pickNode(ctx: BenchContext): NodePick {
  const notes: string[] = [];
  const env = process.env.URND_BENCH_NODE24;
  if (env !== undefined && env !== '') {
    const v = nodeVersionOf(env);
    if (v !== null && hasReusePort(v))
      return { bin: env, version: v, reusePort: true, how: 'URND_BENCH_NODE24', notes };
    notes.push(
      v === null
        ? `URND_BENCH_NODE24=${env} does not run as \`node --version\``
        : `URND_BENCH_NODE24=${env} is Node ${v}, which has no reusePort`,
    );
  }
  if (Number(process.versions.node.split('.')[0]) >= 24 && reusePortAvailable())
    return {
      bin: process.execPath,
      version: process.version,
      reusePort: true,
      how: 'the Node running the suite',
      notes,
    };
  ctx.log(`fetching node-linux-${process.arch}@${NODE24} (npm pack) for the DNS processes`);
  const fetched = fetchNode24(ctx.quick ? 15_000 : 30_000);
  if (fetched.bin !== null) {
    const v = nodeVersionOf(fetched.bin);
    if (v !== null && hasReusePort(v))
      return { bin: fetched.bin, version: v, reusePort: true, how: fetched.how, notes };
    notes.push(`${fetched.bin} is ${v ?? 'not a working node'}, without reusePort`);
  } else notes.push(fetched.why);
  return {
    bin: process.execPath,
    version: process.version,
    reusePort: hasReusePort(process.version),
    how: 'the Node running the suite (no Node 24 could be had)',
    notes,
  };
}

function twoDigitsDown(x: number): number {
  if (x < 10) return Math.max(1, Math.floor(x));
  const unit = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Math.floor(x / unit) * unit;
}

function rotate<T>(xs: readonly T[], by: number): T[] {
  const k = by % Math.max(1, xs.length);
  return [...xs.slice(k), ...xs.slice(0, k)];
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((t, x) => t + x, 0) / xs.length);
const round = (x: number | null | undefined, d = 3): number | null =>
  x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d;

function cellConfig(): object {
  return {
    cell: { name: CELL, capacity: CAPACITY },
    // Never probed here: the DNS processes only read the checks' slots, set healthy by the frames.
    checks: TARGETS.map((h, i) => ({
      id: `t${i}`,
      slot: i,
      type: 'tcp',
      host: h,
      port: 9,
      interval: '1s',
      timeout: '500ms',
      failureThreshold: 2,
    })),
    zones: [{ origin: ZONE, ttl: 60 }],
    records: [
      {
        name: NAME,
        type: 'A',
        policy: 'multivalue',
        answers: TARGETS.map((h, i) => ({ value: h, check: `t${i}` })),
      },
    ],
  };
}

/** Sum of the DNS processes' CPU time, ms; null where /proc is missing. */
function cpuOf(pids: readonly number[]): number | null {
  let total = 0;
  for (const pid of pids) {
    const ms = processCpuMs(pid);
    if (ms === null) return null;
    total += ms;
  }
  return total;
}

export const dnsSharingScenario: Scenario = {
  name: 'dns-sharing',
  description:
    'DNS processes sharing one port by SO_REUSEPORT vs inherited sockets, 1 and 2 processes, on one Node 24: saturated q/s and p99 at one fixed rate',
  estimateSeconds: (quick) => (quick ? 12 : 55),
  async run(ctx): Promise<ScenarioResult> {
    const version = await dnsperfVersion();
    if (version === null) {
      return {
        summary: { loader: 'absent' },
        markdown:
          '### DNS processes sharing one port: SO_REUSEPORT vs inherited sockets\n\ndnsperf is not installed here (or `URND_BENCH_DNS_LOADER=node`): this scenario needs a loader that sends from many sockets (SO_REUSEPORT spreads queries by sender; the built-in loader has one), so nothing was measured.',
        details: {},
      };
    }
    const satMs = ctx.quick ? 500 : 2500;
    const rateMs = ctx.quick ? 500 : 3000;
    const warmMs = ctx.quick ? 200 : 500;
    const rounds = ctx.quick ? 1 : 2;

    const node = pickNode(ctx);
    ctx.log(`DNS processes on Node ${node.version} (${node.how})${node.reusePort ? '' : ': inherited sockets only'}`);
    const cells: Cell[] = CELLS.map((c) => ({
      key: keyOf(c.sharing, c.processes),
      sharing: c.sharing,
      processes: c.processes,
      status:
        c.sharing === 'reuse-port' && !node.reusePort
          ? `not measured: SO_REUSEPORT needs Node ≥ 22.12 on Linux, and this run had Node ${node.version} on ${process.platform}`
          : 'measured',
      proc: null,
      port: 0,
      pids: [],
      sat: [],
      rate: [],
      answered: null,
      restarts: 0,
      wrong: [],
    }));
    const fail = (c: Cell, reason: string) => {
      if (c.status !== 'measured') return;
      c.status = `failed: ${reason}`;
      ctx.log(`${c.key} ${c.status}`);
    };
    const alive = (c: Cell): boolean => {
      if (c.status !== 'measured') return false;
      const p = c.proc;
      if (p === null || p.child.exitCode !== null || p.child.signalCode !== null) {
        fail(c, `the server exited: ${tail(p?.stderr ?? '')}`);
        return false;
      }
      return true;
    };

    const dir = mkdtempSync(path.join(tmpdir(), 'urnd-dns-sharing-'));
    const configPath = path.join(dir, 'cell.json');
    const queryFile = path.join(dir, 'queries.txt');
    const verboseFile = path.join(dir, 'dnsperf.out');
    writeFileSync(configPath, `${JSON.stringify(cellConfig(), null, 2)}\n`);
    writeFileSync(queryFile, `${NAME} A\n`);
    let rate = 0;
    try {
      // Start every cell's set (each its own server process, on the chosen Node).
      await Promise.all(
        cells
          .filter((c) => c.status === 'measured')
          .map(async (c) => {
            const spec = {
              config: configPath,
              cell: CELL,
              capacity: CAPACITY,
              slots: TARGETS.map((_, i) => i),
              count: c.processes,
              sharing: c.sharing,
            };
            const proc = new LineChild(`dns-sharing ${c.key}`, node.bin, [
              here('./dns-sharing-server.js'),
              JSON.stringify(spec),
            ]);
            c.proc = proc;
            try {
              const line = await proc.waitForLine(
                (l) => l.startsWith('{"port"') || l.startsWith('{"error"'),
                30_000,
                'the ready line',
              );
              const r = JSON.parse(line) as {
                port?: number;
                node?: string;
                sharing?: string | null;
                pids?: number[];
                error?: string;
              };
              if (r.error !== undefined) throw new Error(r.error);
              if (r.sharing !== c.sharing)
                throw new Error(`the set shares the port by ${r.sharing ?? 'one port each'}, not ${c.sharing}`);
              c.port = r.port ?? 0;
              c.pids = r.pids ?? [];
            } catch (err) {
              fail(c, (err as Error).message);
              await proc.stop();
            }
          }),
      );
      // Every answer: all 8 targets (every check healthy, or unknown before the first frame: both answer all).
      for (const c of cells.filter(alive)) {
        const replies: Reply[] = [];
        for (let k = 0; k < 10; k++) replies.push(await ask(c.port, NAME));
        const bad = replies.filter(
          (r) => r.rcode !== 'NOERROR' || new Set(r.addrs).size !== HOSTS || !r.addrs.every((a) => TARGET_SET.has(a)),
        );
        if (bad.length > 0)
          c.wrong.push(`${bad.length} of 10 replies not all ${HOSTS} targets: ${JSON.stringify(bad[0])}`);
      }
      ctx.log(
        `${cells
          .filter(alive)
          .map((c) => `${c.key} on 127.0.0.1:${c.port}`)
          .join(', ')}; load: dnsperf ${version}, ${CLIENTS} sockets`,
      );

      const load = async (c: Cell, mode: LoadMode, durationMs: number): Promise<LoadResult | null> => {
        try {
          return await runDnsperf({
            spec: {
              host: '127.0.0.1',
              port: c.port,
              mode,
              rate,
              outstanding: OUTSTANDING,
              durationMs,
              maxQueries: mode === 'rate' ? Math.floor((rate * durationMs) / 1000) : durationMs * 1000,
              timeoutMs: TIMEOUT_MS,
              names: [NAME],
            },
            queryFile,
            verboseFile,
            clients: CLIENTS,
          });
        } catch (err) {
          fail(c, `dnsperf: ${(err as Error).message.split('\n')[0]}`);
          return null;
        }
      };

      for (const c of cells.filter(alive)) await load(c, 'saturate', warmMs);
      for (let r = 1; r <= rounds; r++) {
        const order = rotate(cells, r - 1);
        for (const c of order) {
          if (!alive(c)) continue;
          ctx.log(`round ${r}/${rounds}: ${c.key} saturation ${satMs / 1000} s`);
          const cpu0 = cpuOf(c.pids);
          const res = await load(c, 'saturate', satMs);
          const cpu1 = cpuOf(c.pids);
          if (res === null) continue;
          c.sat.push({
            qps: res.qps,
            sent: res.sent,
            lost: res.lost,
            wrong: res.wrong,
            cpuUsPerQuery:
              cpu0 === null || cpu1 === null || res.completed === 0 ? null : ((cpu1 - cpu0) * 1000) / res.completed,
          });
          if (res.wrong > 0)
            c.wrong.push(`saturation: ${res.wrong} replies not NOERROR (${JSON.stringify(res.rcodes)})`);
        }
        if (r === 1) {
          const qs = cells.filter((c) => c.status === 'measured' && c.sat.length > 0).map((c) => c.sat[0]?.qps ?? 0);
          rate = qs.length === 0 ? 0 : Math.max(100, twoDigitsDown(Math.min(...qs) / 2));
        }
        if (rate === 0) break;
        for (const c of order) {
          if (!alive(c)) continue;
          ctx.log(`round ${r}/${rounds}: ${c.key} ${rate.toLocaleString('en-US')} q/s for ${rateMs / 1000} s`);
          const res = await load(c, 'rate', rateMs);
          if (res === null) continue;
          c.rate.push({ qps: res.qps, sent: res.sent, lost: res.lost, wrong: res.wrong, histogram: res.histogram });
          if (res.wrong > 0)
            c.wrong.push(`fixed rate: ${res.wrong} replies not NOERROR (${JSON.stringify(res.rcodes)})`);
        }
      }

      // Each DNS process reports its count once a second: wait for the last, then ask every set.
      await sleep(1200);
      for (const c of cells.filter(alive)) {
        const p = c.proc as LineChild;
        const from = p.lines.length;
        p.send('sample');
        try {
          const s = JSON.parse(await p.waitForLine((l) => l.startsWith('{"answered"'), 5000, 'a sample', from)) as {
            answered: number[];
            restarts: number;
          };
          c.answered = s.answered;
          c.restarts = s.restarts;
          if (s.restarts > 0) c.wrong.push(`${s.restarts} DNS process restarts during the run`);
        } catch (err) {
          fail(c, (err as Error).message);
        }
      }
    } finally {
      for (const c of cells) await c.proc?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    return report(ctx, { cells, node, version, rate, rounds, warmMs, satMs, rateMs });
  },
};

interface Facts {
  readonly cells: readonly Cell[];
  readonly node: NodePick;
  readonly version: string;
  readonly rate: number;
  readonly rounds: number;
  readonly warmMs: number;
  readonly satMs: number;
  readonly rateMs: number;
}

interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

function report(ctx: BenchContext, f: Facts): ScenarioResult {
  const lat = new Map<Cell, Latency>();
  for (const c of f.cells) {
    const hs = c.rate.map((r) => r.histogram).filter((h): h is string => h !== null);
    if (hs.length === 0) continue;
    const merged = latencyHistogram();
    for (const b64 of hs) {
      const h = hdr.decodeFromCompressedBase64(b64);
      merged.add(h);
      h.destroy();
    }
    if (merged.totalCount > 0) {
      ctx.writeFile(`dns-sharing/${c.key}.hgrm`, merged.outputPercentileDistribution(5, 1000)); // µs → ms
      lat.set(c, {
        p50: merged.getValueAtPercentile(50) / 1000,
        p99: merged.getValueAtPercentile(99) / 1000,
        p999: merged.getValueAtPercentile(99.9) / 1000,
        max: merged.maxValue / 1000,
      });
    }
    merged.destroy();
  }
  const measured = (c: Cell | undefined): c is Cell => c !== undefined && c.status === 'measured' && c.sat.length > 0;
  const qps = (c: Cell | undefined) => (measured(c) ? mean(c.sat.map((s) => s.qps)) : null);
  const p99 = (c: Cell | undefined) => (c !== undefined && c.status === 'measured' ? (lat.get(c)?.p99 ?? null) : null);
  const cell = (sharing: Sharing, processes: number) =>
    f.cells.find((c) => c.sharing === sharing && c.processes === processes);
  const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b);

  const summary: Record<string, Figure> = {
    loader: `dnsperf ${f.version}`,
    node: f.node.version,
    node_source: f.node.how,
    reuse_port_measured: f.cells.some((c) => c.sharing === 'reuse-port' && measured(c)),
    clients: CLIENTS,
    rounds: f.rounds,
    rate_qps: f.rate === 0 ? null : f.rate,
  };
  for (const c of f.cells) {
    const l = lat.get(c);
    const ok = measured(c);
    summary[`${c.key}_qps`] = round(qps(c), 0);
    summary[`${c.key}_p50_ms`] = ok ? round(l?.p50) : null;
    summary[`${c.key}_p99_ms`] = ok ? round(l?.p99) : null;
    summary[`${c.key}_cpu_us_per_query`] = ok
      ? round(c.sat.some((s) => s.cpuUsPerQuery === null) ? null : mean(c.sat.map((s) => s.cpuUsPerQuery as number)), 2)
      : null;
  }
  for (const n of [1, 2]) {
    summary[`reuse_port_vs_inherited_qps_ratio_${n}p`] = round(
      ratio(qps(cell('reuse-port', n)), qps(cell('inherited', n))),
    );
    summary[`reuse_port_vs_inherited_p99_ratio_${n}p`] = round(
      ratio(p99(cell('reuse-port', n)), p99(cell('inherited', n))),
    );
  }
  summary.answers_correct = f.cells.every((c) => c.wrong.length === 0);

  const d = (x: number | null | undefined, digits = 2) =>
    x === null || x === undefined || !Number.isFinite(x) ? '–' : fmt(x, digits);
  const rows = f.cells.map((c) => {
    const l = lat.get(c);
    const qs = c.sat.map((s) => s.qps);
    const cpu = summary[`${c.key}_cpu_us_per_query`];
    return [
      c.sharing === 'reuse-port' ? 'SO_REUSEPORT' : 'inherited',
      c.processes,
      d(qps(c), 0),
      qs.length < 2 ? '–' : `${fmt(Math.min(...qs), 0)}–${fmt(Math.max(...qs), 0)}`,
      typeof cpu === 'number' ? fmt(cpu, 1) : '–',
      d(l?.p50, 3),
      d(l?.p99, 3),
      d(l?.p999, 3),
      d(l?.max, 3),
      `${c.sat.reduce((t, s) => t + s.lost, 0)} / ${c.rate.reduce((t, s) => t + s.lost, 0)}`,
      c.answered === null ? '–' : c.answered.map((n) => n.toLocaleString('en-US')).join(' + '),
      [c.status === 'measured' ? '' : c.status, ...c.wrong].filter((s) => s !== '').join('; '),
    ];
  });
  const r2q = summary.reuse_port_vs_inherited_qps_ratio_2p;
  const r2p = summary.reuse_port_vs_inherited_p99_ratio_2p;
  const markdown = [
    '### DNS processes sharing one port: SO_REUSEPORT vs inherited sockets',
    '',
    `Four cells, each a set of DNS processes (\`DnsProcessSet\`, run by \`bench/dns-sharing-server.ts\`) on 127.0.0.1 answering \`${NAME} A\` (multivalue over ${HOSTS} answers, every check healthy: the set is fed a fixed status frame once a second, as by an aggregator's tick): the port shared by SO_REUSEPORT (each process its own UDP and TCP sockets) or by inherited sockets (the supervisor binds them, every process reads them), with 1 and 2 processes. ${f.node.reusePort ? 'All four' : 'The inherited cells (SO_REUSEPORT could not be measured)'} ran on **Node ${f.node.version}**, found as: ${f.node.how}.${f.node.notes.length > 0 ? ` (${f.node.notes.join('; ')}.)` : ''} Load: dnsperf ${f.version} from ${CLIENTS} sockets in one thread (\`-c ${CLIENTS} -T 1\`; SO_REUSEPORT picks a process by a hash of the sender, so one socket would load one process), on the same 2 cores. ${f.rounds} round${f.rounds > 1 ? 's' : ''} (the cells' order rotates per round), after an unreported ${f.warmMs / 1000} s saturation per cell to warm up: saturation ${f.satMs / 1000} s (${OUTSTANDING} outstanding), then ${f.rate === 0 ? 'no fixed rate (no cell saturated)' : `${f.rate.toLocaleString('en-US')} q/s (half the slowest cell's saturated rate in round 1) for ${f.rateMs / 1000} s`}; p50/p99 are of the fixed-rate phases, merged over rounds (\`dns-sharing/*.hgrm\`). Server CPU is the DNS processes' user + system time per completed query at saturation. "Answered per process" is each process's own count over the whole run: how the kernel spread the queries.`,
    '',
    markdownTable(
      [
        'sharing',
        'processes',
        'saturated q/s',
        'range',
        'server CPU µs/query',
        'p50 ms',
        'p99 ms',
        'p99.9 ms',
        'max ms',
        'lost (saturation / rate)',
        'answered per process',
        'notes',
      ],
      rows,
    ),
    '',
    `SO_REUSEPORT ÷ inherited at 2 processes: q/s **${r2q ?? '–'}**, p99 **${r2p ?? '–'}**; at 1 process (one socket either way, so a difference there is this run's noise): q/s ${summary.reuse_port_vs_inherited_qps_ratio_1p ?? '–'}, p99 ${summary.reuse_port_vs_inherited_p99_ratio_1p ?? '–'}. urnd uses SO_REUSEPORT wherever the Node running it has it (≥ 22.12 on Linux), inherited sockets on older Node.`,
  ].join('\n');
  const details = {
    node: f.node,
    loader: `dnsperf ${f.version}`,
    clients: CLIENTS,
    outstanding: OUTSTANDING,
    rate: f.rate,
    rounds: f.rounds,
    saturationSeconds: f.satMs / 1000,
    rateSeconds: f.rateMs / 1000,
    latencyMs: Object.fromEntries([...lat.entries()].map(([c, l]) => [c.key, l])),
    cells: f.cells.map((c) => ({
      key: c.key,
      sharing: c.sharing,
      processes: c.processes,
      status: c.status,
      sat: c.sat,
      rate: c.rate.map(({ histogram: _h, ...rest }) => rest),
      answered: c.answered,
      restarts: c.restarts,
      wrong: c.wrong,
    })),
  };
  return { summary, markdown, details };
}
