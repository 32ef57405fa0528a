/**
 * `npm run faults [-- --quick] [-- --only NAME] [-- --out DIR]`: builds the
 * fault cell out of network namespaces, runs the scenarios one at a time on
 * it, judges each, writes `faults.json` and `faults.md`, and removes every
 * namespace, link and process it made — also on SIGINT/SIGTERM, and a dead
 * run's leftovers on the next start.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_TARGETS, Cell, pause } from './cell.js';
import { envelope, judgeHost, maxStaleness, parseDnsperf, resourceDelta, type Resources } from './invariants.js';
import { hasCommand, hasNetem, liftNetworkFaults, netnsUnavailable, networkProblems, removeStale } from './net.js';
import { type InvariantResult, type ScenarioResult, writeResults } from './report.js';
import { SCENARIOS, type Scenario, type ScenarioContext } from './scenarios.js';
import { PORTS, SETS, TIMING, convergenceBoundMs, planTopology, setName } from './topology.js';
import { parseSuiteArgs, type SuiteArgs } from '../bench/suite-args.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Exit code when the machine cannot make namespaces: CI reports it and moves on. */
export const EXIT_UNAVAILABLE = 3;

const USAGE = `usage: npm run faults -- [--quick] [--only NAME[,NAME…]] [--out DIR]

  --quick      only the quick subset (${SCENARIOS.filter((s) => s.quick)
    .map((s) => s.name)
    .join(', ')})
  --only NAME  run only these scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}
  --out DIR    write faults.json and faults.md to DIR instead of results/
Needs root (ip netns). Exits ${EXIT_UNAVAILABLE} and says why when namespaces cannot be made.
`;

/** Targets down before every fault (a set's worth among them, so one set fails open), up again when it ends. */
const DOWN_BEFORE = [1, 2, 9, 24, 25, 26, 27, 28, 29, 30, 31];
/** Goes down 1 s into the fault, where the scenario leaves a path for the news to travel. */
const DOWN_DURING = 40;
const HOLD_MS = 10_000;

function parseArgs(argv: readonly string[]): SuiteArgs {
  const names = SCENARIOS.map((s) => s.name);
  return parseSuiteArgs(argv, 'faults', USAGE, names, path.join(ROOT, 'results'));
}

/** Scenarios whose fault leaves no path from checkers to a DNS host: a change made meanwhile cannot arrive. */
const NO_PATH = new Set([
  'all-checkers-dead',
  'both-aggregators-dead',
  'dns-isolated',
  'dns-role-restarted',
  'mass-failure-aggregator-dead',
]);

function runDnsperf(ns: string, addr: string, seconds: number, queryFile: string): Promise<string> {
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      'dnsperf',
      '-s',
      addr,
      '-p',
      String(PORTS.dns),
      '-d',
      queryFile,
      '-l',
      String(seconds),
      '-Q',
      '100',
      '-t',
      '1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  return new Promise((r) => child.once('exit', () => r(out)));
}

/**
 * Back to the healthy cell every scenario starts from, and checked: no rule,
 * neighbour entry, qdisc or downed link left in the network, every role
 * process running (not stopped), every push link established, every target up.
 */
async function reset(cell: Cell): Promise<void> {
  liftNetworkFaults(cell.topo);
  cell.procs.get('config')?.send('ok');
  await cell.reviveAll();
  cell.setTargets(ALL_TARGETS, true);
  const left = networkProblems(cell.topo);
  if (left.length > 0) throw new Error(`the network still holds a fault after reset: ${left.join(', ')}`);
  await cell.waitWhole(20_000);
}

/**
 * Each process's resources read `count` times `everyMs` apart, reduced to
 * one reading (see resourceDelta): the largest before a fault, the smallest
 * after recovery. Keyed by name, with the pid (a restarted process is not judged).
 */
async function sampleResources(
  cell: Cell,
  count: number,
  everyMs: number,
  pick: 'max' | 'min',
): Promise<Map<string, { pid: number; r: Resources }>> {
  const readings = new Map<string, { pid: number; rs: Resources[] }>();
  for (let i = 0; i < count; i++) {
    if (i > 0) await pause(everyMs);
    for (const h of [...cell.topo.checkers, ...cell.topo.aggregators, ...cell.topo.dns]) {
      const p = cell.procs.get(h.name);
      const r = p?.resources();
      if (p === undefined || r === undefined) continue;
      const e = readings.get(h.name);
      if (e === undefined || e.pid !== p.pid) readings.set(h.name, { pid: p.pid, rs: [r] });
      else e.rs.push(r);
    }
  }
  const m = new Map<string, { pid: number; r: Resources }>();
  for (const [name, { pid, rs }] of readings) {
    const r = envelope(rs, pick);
    if (r !== undefined) m.set(name, { pid, r });
  }
  return m;
}

async function runScenario(
  cell: Cell,
  s: Scenario,
  has: ScenarioContext['has'],
  queryFile: string,
  log: (m: string) => void,
): Promise<ScenarioResult> {
  const bound = convergenceBoundMs();
  const notes: string[] = [];
  const ctx: ScenarioContext = { cell, has, note: (m) => notes.push(m), holdMs: HOLD_MS };
  await reset(cell);
  await cell.waitConverged(40_000);
  cell.setTargets(DOWN_BEFORE, false);
  await cell.waitConverged(30_000);
  const before = await sampleResources(cell, 5, 200, 'max');

  const t0 = Date.now();
  const perf = Promise.all(
    cell.topo.dns.map((h) => runDnsperf(cell.topo.client.ns, h.addr, Math.round(HOLD_MS / 1000), queryFile)),
  );
  await s.inject(ctx);
  const mid = !NO_PATH.has(s.name);
  if (mid) {
    await pause(1000);
    cell.setTargets([DOWN_DURING], false);
  }
  await pause(Math.max(0, HOLD_MS - (Date.now() - t0)));
  await s.heal(ctx);
  // Whatever the scenario did to the network ends here too: the fault is over for every link.
  liftNetworkFaults(cell.topo);
  const tEnd = Date.now();
  // The fault is over: every target comes back, and every DNS host must follow.
  cell.setTargets(ALL_TARGETS, true);
  // The revived processes of the scenario itself (a killed checker restarted at heal) are already running.
  const revived = await cell.reviveAll();
  if (revived.length > 0) notes.push(`runner restarted ${revived.join(', ')}`);
  try {
    await cell.waitConverged(bound + 8000);
  } catch {
    notes.push(`not converged ${((bound + 8000) / 1000).toFixed(0)} s after the fault`);
  }
  // Recovered: two seconds of readings, the smallest of each kept.
  const after = await sampleResources(cell, 9, 250, 'min');
  // Leave a second for the client's last timeouts to be written.
  const tStop = Date.now() - 1100;
  const records = cell.recordsSince(t0).filter((r) => r.t <= tStop);
  const perfOut = await perf;

  // A DNS process restarted by the scenario knows nothing until its first frame: whatever changed
  // before it started serving counts as changed then, so it must converge within the bound of that.
  const servingSince = (h: number): number => {
    const p = cell.procs.get(cell.topo.dns[h]?.name ?? '');
    return p?.lines.find((l) => l.t >= t0 && /^urnd dns: DNS on/.test(l.line))?.t ?? tEnd;
  };
  // It answers SERVFAIL (names no target) from then until its first frame lands.
  const firstFrameAt = (h: number): number => {
    const p = cell.procs.get(cell.topo.dns[h]?.name ?? '');
    return p?.lines.find((l) => l.t >= t0 && /^urnd dns: first status frame applied/.test(l.line))?.t ?? tEnd;
  };
  const verdicts = cell.topo.dns.map((_, h) =>
    judgeHost(records, h, cell.truth, bound, tEnd, t0, {
      ...((s.isolatedDns ?? []).includes(h) ? { blind: { from: t0, until: tEnd } } : {}),
      ...((s.restartedDns ?? []).includes(h)
        ? { blind: { from: 0, until: servingSince(h) }, servfailUntil: firstFrameAt(h) }
        : {}),
      ...(s.probesLosePackets === true ? { lenientUntil: tEnd + bound } : {}),
    }),
  );
  const reachable = verdicts.filter((v) => !(s.unreachableDns ?? []).includes(v.host));
  const perfParsed = perfOut.map(parseDnsperf);
  const perfReach = perfParsed.filter((_, h) => !(s.unreachableDns ?? []).includes(h));
  const perfLost = perfReach.reduce((t, p) => t + (p?.lost ?? 0), 0);
  const clientLost = reachable.reduce((t, v) => t + v.lost, 0);
  const inv: Partial<Record<string, InvariantResult>> = {};
  inv['no-loss'] = {
    held: clientLost === 0 && perfLost === 0,
    seen: `${verdicts.map((v) => `dns${v.host} lost ${v.lost}/${v.sent}`).join(', ')}; dnsperf lost ${perfParsed.map((p) => (p === undefined ? '?' : p.lost)).join('/')}${(s.unreachableDns ?? []).length > 0 ? ' (restarted hosts exempt)' : ''}`,
  };
  const wrong = verdicts.filter((v) => v.wrong > 0);
  inv['correct-answers'] = {
    held: wrong.length === 0,
    seen: wrong.map((v) => `dns${v.host} ${v.wrong} wrong, first ${v.firstWrong}`).join('; '),
  };
  const flips = verdicts.filter((v) => v.flips > 0);
  inv['no-flip'] = {
    held: flips.length === 0,
    seen: flips.map((v) => `dns${v.host} ${v.flips}, first ${v.firstFlip}`).join('; '),
  };
  const conv = verdicts.map((v) => v.convergeMs);
  const worst = conv.some((c) => c === null) ? null : Math.max(...(conv as number[]));
  inv.converged = {
    held: worst !== null && worst <= bound,
    seen: conv.map((c, h) => `dns${h} ${c === null ? 'never' : `${(c / 1000).toFixed(1)} s`}`).join(', '),
  };

  let rss = 0;
  let threads = 0;
  let sockets = 0;
  const resSeen: string[] = [];
  const restarted: string[] = [];
  let resHeld = true;
  for (const [name, b] of before) {
    const a = after.get(name);
    if (a === undefined || a.pid !== b.pid) {
      restarted.push(name);
      continue;
    }
    const d = resourceDelta(b.r, a.r);
    const big = (x: number, y: number) => (Math.abs(y) > Math.abs(x) ? y : x);
    rss = big(rss, d.rss);
    threads = big(threads, d.threads);
    sockets = big(sockets, d.sockets);
    if (!d.held) {
      resHeld = false;
      resSeen.push(
        `${name} threads ${b.r.threads}→${a.r.threads}, sockets ${b.r.sockets}→${a.r.sockets}, RSS ${b.r.rssKb}→${a.r.rssKb} kB`,
      );
    }
  }
  inv.resources = { held: resHeld, seen: resSeen.join('; ') };

  let stale = 0;
  for (const h of cell.topo.dns) {
    for (const p of [cell.procs.get(h.name)]) {
      if (p === undefined) continue;
      stale = Math.max(stale, maxStaleness(p.lines.filter((l) => l.t >= t0 && l.t <= tStop).map((l) => l.line)));
    }
  }
  // Killed DNS processes' lines live on in their old objects only until replaced: staleness of the new ones is what counts.
  const perfSum = perfParsed.every((p) => p !== undefined)
    ? perfParsed.reduce(
        (t, p) => ({
          sent: t.sent + (p?.sent ?? 0),
          completed: t.completed + (p?.completed ?? 0),
          lost: t.lost + (p?.lost ?? 0),
        }),
        { sent: 0, completed: 0, lost: 0 },
      )
    : null;
  if (perfSum === null) notes.push('dnsperf gave no summary');
  if (!mid) notes.push('no health change during the fault (no path for it)');
  log(
    `${s.name}: ${Object.entries(inv)
      .map(([k, v]) => `${k} ${v?.held ? 'held' : 'FAILED'}`)
      .join(', ')}`,
  );
  return {
    name: s.name,
    what: s.what,
    invariants: inv,
    convergeMs: worst,
    convergeBoundMs: bound,
    maxStalenessS: stale,
    answered: verdicts.reduce((t, v) => t + v.answered, 0),
    lost: verdicts.reduce((t, v) => t + v.lost, 0),
    dnsperf: perfSum,
    rssDeltaMax: rss,
    threadsDeltaMax: threads,
    socketsDeltaMax: sockets,
    restarted,
    notes,
  };
}

function skipped(s: Scenario, why: string): ScenarioResult {
  return {
    name: s.name,
    what: s.what,
    skipped: why,
    invariants: {},
    convergeMs: null,
    convergeBoundMs: convergenceBoundMs(),
    maxStalenessS: 0,
    answered: 0,
    lost: 0,
    dnsperf: null,
    rssDeltaMax: 0,
    threadsDeltaMax: 0,
    socketsDeltaMax: 0,
    restarted: [],
    notes: [],
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (m: string) => process.stderr.write(`faults: ${m}\n`);
  const why = netnsUnavailable();
  if (why !== undefined) {
    log(`cannot build the fault cell: ${why}`);
    process.exit(EXIT_UNAVAILABLE);
  }
  if (!hasCommand('dnsperf')) {
    log('cannot run the fault matrix: dnsperf is not installed (it counts lost queries; apt-get install dnsperf)');
    process.exit(EXIT_UNAVAILABLE);
  }
  removeStale(log);
  const topo = planTopology(process.pid);
  const cell = new Cell(topo);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'urnd-faults-'));
  let down = false;
  const teardown = () => {
    if (down) return;
    down = true;
    cell.teardown();
    rmSync(tmp, { recursive: true, force: true });
  };
  process.on('exit', teardown);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      log(`${sig}: removing the cell`);
      teardown();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
  const queryFile = path.join(tmp, 'queries.txt');
  writeFileSync(queryFile, Array.from({ length: SETS }, (_, s) => `${setName(s)} A`).join('\n') + '\n');

  const chosen = SCENARIOS.filter((s) =>
    args.only.length > 0 ? args.only.includes(s.name) : !args.quick || s.quick === true,
  );
  const started = Date.now();
  log(`building the cell (${topo.hosts.length} namespaces + a bridge namespace, prefix ${topo.runId})`);
  await cell.build();
  const has = { nft: hasCommand('nft'), netem: hasNetem(topo.client.ns, 'eth0') };
  log(
    `cell up in ${((Date.now() - started) / 1000).toFixed(1)} s; nft ${has.nft ? 'yes' : 'no'}, netem ${has.netem ? 'yes' : 'no'}`,
  );
  const results: ScenarioResult[] = [];
  // Written after every scenario, so an interrupted run keeps the rows it finished.
  const save = (done: boolean) => {
    const environment = {
      node: process.version,
      kernel: os.release(),
      cpus: os.cpus().length,
      loadavg1m: Number(os.loadavg()[0]?.toFixed(1)),
      mode: args.quick ? 'quick' : args.only.length > 0 ? `only ${args.only.join(',')}` : 'full',
      tickMs: TIMING.tickMs,
      probeIntervalMs: TIMING.intervalMs,
      wallSeconds: Math.round((Date.now() - started) / 1000),
      complete: done ? 'yes' : 'no',
      date: new Date().toISOString(),
    };
    writeResults(
      args.outDir,
      { environment, scenarios: results },
      args.only.length > 0 || args.quick || !done,
      SCENARIOS.map((x) => x.name),
    );
  };
  for (const [i, s] of chosen.entries()) {
    if (s.needs === 'nft' && !has.nft) {
      results.push(skipped(s, 'nft is not installed'));
      continue;
    }
    log(`[${i + 1}/${chosen.length}] ${s.name}: ${s.what}`);
    try {
      results.push(await runScenario(cell, s, has, queryFile, log));
    } catch (e) {
      const r = skipped(s, `harness error: ${(e as Error).message.split('\n')[0]}`);
      results.push(r);
      log(`${s.name}: ${r.skipped}`);
    }
    save(false);
  }
  teardown();
  save(true);
  log(
    `wrote ${path.join(args.outDir, 'faults.md')} in ${Math.round((Date.now() - started) / 1000)} s; namespaces left: none of ${topo.runId}*`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`faults: ${(e as Error).message}\n`);
  process.exit(1);
});
