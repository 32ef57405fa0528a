import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { fmt, markdownTable, type BenchContext, type Figure, type Scenario, type ScenarioResult } from './harness.js';
import { ask, type LineChild, processCpuMs, runNodeLoader, Serve, Targets, type Reply } from './dns-children.js';
import {
  dnsperfVersion,
  runDnsperf,
  type LoaderName,
  type LoadMode,
  type LoadResult,
  type LoadSpec,
} from './dns-load.js';
import {
  detectPeers,
  sleep,
  startGdnsd,
  startPdns,
  tail,
  waitAnswering,
  type PeerInstall,
  type PeerName,
  type PeerServer,
} from './dns-peers-servers.js';

/**
 * DNS under load, side by side with real peers: `urnd serve`, PowerDNS
 * Authoritative (LUA `ifportup`) and gdnsd (`multifo` + `tcp_connect`),
 * where installed, serve the same name over the same 8 loopback targets
 * (bench/targets-process.ts) in the same run:
 *
 * (a) with all targets up, every answer ⊆ the 8 targets;
 * (b) saturated q/s and latency p50/p99 at one fixed rate for all;
 * (c) 4 of 8 targets refused at t0, each server polled every 50 ms until
 *     no answer holds a down target (and that lasts 1 s): its drop time;
 * (d) all 8 down: what each answers.
 *
 * Phases are interleaved (the order rotates per round) so a noisy
 * neighbour hits every server alike. Peers that are not installed are
 * reported absent; a peer that fails to start or dies is reported
 * "failed: …"; neither fails the suite. A server that answers wrongly is
 * marked, not ranked.
 */

const HOSTS = 8;
const PREFIX = '127.0.9';
const ZONE = 'peers.test';
const LABEL = 'pool';
const NAME = `${LABEL}.${ZONE}`;
const TTL = 60;
const RATE = 20_000;
const OUTSTANDING = 100;
const TIMEOUT_MS = 1000;
/** Targets 1–4 go down in the drop phase. */
const DOWN = (i: number) => i < HOSTS / 2;
const POLL_MS = 50;
/** A drop counts once no answer has held a down target for this long. */
const STABLE_MS = 1000;

type ServerName = 'urnd' | PeerName;

const host = (i: number) => `${PREFIX}.${i + 1}`;
const TARGETS = Array.from({ length: HOSTS }, (_, i) => host(i));
const TARGET_SET = new Set(TARGETS);

const INSTALL_HINT =
  'On Debian/Ubuntu: `apt-get install pdns-server pdns-backend-bind gdnsd` (then stop the system services they start: the benchmark runs its own instances on high loopback ports).';

interface Contestant {
  readonly name: ServerName;
  readonly port: number;
  readonly proc: LineChild;
  readonly version: string;
  /** 'measured' until something fails; then 'failed: …'. */
  status: string;
  /** What it answered wrongly, if anything. */
  readonly wrong: string[];
  readonly notes: string[];
  readonly sat: { qps: number; cpuUsPerQuery: number | null; lost: number; notNoerror: number }[];
  readonly rate: { histogram: string | null; qps: number; lost: number; notNoerror: number }[];
  dropS: number | null;
  dropDetail: string;
  allDown: string;
  readonly config: Record<string, string>;
}

function urndConfig(targetPort: number): object {
  return {
    cell: { name: 'peersbench', capacity: 1024 },
    checks: TARGETS.map((h, i) => ({
      id: `t${i}`,
      slot: i,
      type: 'tcp',
      host: h,
      port: targetPort,
      interval: '1s',
      timeout: '500ms',
      failureThreshold: 2,
    })),
    zones: [{ origin: ZONE, ttl: TTL }],
    records: [
      {
        name: NAME,
        type: 'A',
        policy: 'multivalue',
        whenAllUnhealthy: 'answer-all',
        answers: TARGETS.map((h, i) => ({ value: h, check: `t${i}` })),
      },
    ],
  };
}

/** A short description of a set of replies: "8 of 8", "SERVFAIL", … (the distinct outcomes, most frequent first). */
function describe(replies: readonly Reply[]): string {
  const counts = new Map<string, number>();
  for (const r of replies) {
    let k: string;
    if (r.rcode !== 'NOERROR') k = r.rcode;
    else if (r.addrs.length === 0) k = 'NOERROR, no answer';
    else if (!r.addrs.every((a) => TARGET_SET.has(a)))
      k = `foreign addresses (${r.addrs
        .filter((a) => !TARGET_SET.has(a))
        .slice(0, 2)
        .join(', ')})`;
    else
      k =
        r.addrs.length === HOSTS && new Set(r.addrs).size === HOSTS
          ? `all ${HOSTS}`
          : `${new Set(r.addrs).size} of ${HOSTS}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const list = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  return list.length === 1 ? (list[0]?.[0] ?? '–') : list.map(([k, n]) => `${k} (${n}/${replies.length})`).join(', ');
}

function absentResult(installs: Record<PeerName, PeerInstall>): ScenarioResult {
  const summary: Record<string, Figure> = { pdns: 'absent', gdnsd: 'absent' };
  const markdown = [
    '### DNS side by side with peers: urnd serve, PowerDNS, gdnsd',
    '',
    `Neither PowerDNS Authoritative nor gdnsd is installed here (${installs.pdns.missing}; ${installs.gdnsd.missing}), so nothing was compared; the \`dns\` scenario still measures urnd serve on its own.`,
    '',
    INSTALL_HINT,
  ].join('\n');
  return { summary, markdown, details: { installs } };
}

export const dnsPeersScenario: Scenario = {
  name: 'dns-peers',
  description:
    'urnd serve vs PowerDNS (LUA ifportup) and gdnsd (multifo + tcp_connect) where installed: same name, same targets, same failure — q/s, latency, time to drop a dead target, answer when all are down',
  estimateSeconds: (quick) => (quick ? 18 : 70),
  async run(ctx): Promise<ScenarioResult> {
    const installs = detectPeers();
    const present = (['pdns', 'gdnsd'] as const).filter((p) => installs[p].bin !== null);
    for (const p of ['pdns', 'gdnsd'] as const)
      if (installs[p].bin === null) ctx.log(`${p}: absent (${installs[p].missing})`);
    if (present.length === 0) return absentResult(installs);

    const satMs = ctx.quick ? 300 : 3000;
    const rateMs = ctx.quick ? 300 : 3000;
    const rounds = ctx.quick ? 1 : 2;
    const warmMs = ctx.quick ? 150 : 1000;
    const dropDeadlineMs = ctx.quick ? 12_000 : 20_000;
    const dropTrials = ctx.quick ? 1 : 2;
    // gdnsd marks a target down after 2 failed checks 2 s apart: 4 s at worst, plus margin.
    const allDownWaitMs = ctx.quick ? 5000 : 7000;

    const dir = mkdtempSync(path.join(tmpdir(), 'urnd-dns-peers-'));
    const queryFile = path.join(dir, 'queries.txt');
    const verboseFile = path.join(dir, 'dnsperf.out');
    writeFileSync(queryFile, `${NAME} A\n`);
    const version = await dnsperfVersion();
    let loader: LoaderName = version === null ? 'node' : 'dnsperf';
    const runNotes: string[] = [];
    const children: LineChild[] = [];
    const status: Record<PeerName, string> = {
      pdns: installs.pdns.bin === null ? 'absent' : 'failed: not started',
      gdnsd: installs.gdnsd.bin === null ? 'absent' : 'failed: not started',
    };
    const contestants: Contestant[] = [];
    const make = (
      name: ServerName,
      port: number,
      proc: LineChild,
      v: string,
      config: Record<string, string>,
    ): Contestant => ({
      name,
      port,
      proc,
      version: v,
      status: 'measured',
      wrong: [],
      notes: [],
      sat: [],
      rate: [],
      dropS: null,
      dropDetail: '',
      allDown: '–',
      config,
    });
    const fail = (c: Contestant, why: string) => {
      if (c.status !== 'measured') return;
      c.status = `failed: ${why}`;
      ctx.log(`${c.name} ${c.status}`);
    };
    const alive = (c: Contestant) =>
      c.status === 'measured' && c.proc.child.exitCode === null && c.proc.child.signalCode === null;
    const checkAlive = (c: Contestant) => {
      if (c.status === 'measured' && !alive(c))
        fail(c, `exited (${c.proc.child.exitCode ?? c.proc.child.signalCode}): ${tail(c.proc.stderr)}`);
      return c.status === 'measured';
    };

    try {
      const targets = await Targets.start(HOSTS, PREFIX);
      children.push(targets.proc);
      const configPath = path.join(dir, 'cell.json');
      const cell = urndConfig(targets.port);
      writeFileSync(configPath, `${JSON.stringify(cell, null, 2)}\n`);
      const serve = await Serve.start(configPath, ['--checkers', '1']);
      children.push(serve.proc);
      const urnd = make('urnd', serve.port, serve.proc, 'this build', { 'cell.json': JSON.stringify(cell, null, 2) });
      contestants.push(urnd);

      const spec = { zone: ZONE, label: LABEL, targets: TARGETS, targetPort: targets.port, ttl: TTL };
      for (const p of present) {
        const install = installs[p];
        const pdir = path.join(dir, p);
        mkdirSync(pdir, { recursive: true });
        let server: PeerServer | null = null;
        try {
          server =
            p === 'pdns'
              ? await startPdns(install.bin as string, pdir, spec)
              : await startGdnsd(install.bin as string, pdir, spec);
          children.push(server.proc);
          const c = make(p, server.port, server.proc, install.version ?? 'unknown version', server.config);
          contestants.push(c);
        } catch (err) {
          status[p] = `failed: ${(err as Error).message}`;
          ctx.log(`${p} ${status[p]}`);
        }
      }
      await serve.waitForStatus(HOSTS, 0, 20_000);
      await Promise.all(
        contestants.map(async (c) => {
          try {
            const ms = await waitAnswering(c.proc, c.port, NAME, 15_000);
            ctx.log(`${c.name} on 127.0.0.1:${c.port} answering after ${ms} ms`);
          } catch (err) {
            fail(c, (err as Error).message);
          }
        }),
      );
      // Let every health checker see all 8 up (pdns starts checking on the first query and answers as if all were down until then).
      await settle(contestants.filter(alive), (r) => r.rcode === 'NOERROR' && new Set(r.addrs).size === HOSTS, 8000);

      // (a) correctness with all up.
      for (const c of contestants.filter(alive)) {
        const replies: Reply[] = [];
        for (let k = 0; k < 10; k++) replies.push(await ask(c.port, NAME));
        const bad = replies.filter(
          (r) => r.rcode !== 'NOERROR' || r.addrs.length === 0 || !r.addrs.every((a) => TARGET_SET.has(a)),
        );
        if (bad.length > 0) c.wrong.push(`all up: ${describe(bad)} in ${bad.length} of 10 replies`);
        c.notes.push(`all up: ${describe(replies)}`);
      }

      // (b) load: saturation, then a fixed rate, interleaved per round.
      const load = async (s: LoadSpec): Promise<LoadResult> => {
        if (loader === 'dnsperf') {
          try {
            return await runDnsperf({ spec: s, queryFile, verboseFile });
          } catch (err) {
            loader = 'node';
            runNotes.push(
              `dnsperf failed (${(err as Error).message.split('\n')[0]}); the built-in Node loader drove that and every later phase.`,
            );
          }
        }
        return runNodeLoader(s);
      };
      const loadSpec = (c: Contestant, mode: LoadMode, durationMs: number, rate: number): LoadSpec => ({
        host: '127.0.0.1',
        port: c.port,
        mode,
        rate,
        outstanding: OUTSTANDING,
        durationMs,
        maxQueries: mode === 'rate' ? Math.floor((rate * durationMs) / 1000) : durationMs * 500,
        timeoutMs: TIMEOUT_MS,
        names: [NAME],
      });
      ctx.log(`load generator: ${loader === 'dnsperf' ? `dnsperf ${version}` : 'built-in Node loader'}`);
      for (const c of contestants.filter(alive)) await load(loadSpec(c, 'saturate', warmMs, RATE));
      let rate = RATE;
      for (let round = 1; round <= rounds; round++) {
        const order = rotate(contestants, round - 1);
        for (const c of order) {
          if (!checkAlive(c)) continue;
          ctx.log(`round ${round}/${rounds}: ${c.name} saturation ${satMs / 1000} s`);
          const cpu0 = processCpuMs(c.proc.pid);
          const r = await load(loadSpec(c, 'saturate', satMs, rate));
          const cpu1 = processCpuMs(c.proc.pid);
          c.sat.push({
            qps: r.qps,
            cpuUsPerQuery:
              cpu0 === null || cpu1 === null || r.completed === 0 ? null : ((cpu1 - cpu0) * 1000) / r.completed,
            lost: r.lost,
            notNoerror: r.wrong,
          });
          if (r.wrong > 0) c.wrong.push(`saturation: ${r.wrong} replies not NOERROR (${JSON.stringify(r.rcodes)})`);
          checkAlive(c);
        }
        if (round === 1) {
          const qs = contestants
            .filter((c) => c.status === 'measured' && c.sat.length > 0)
            .map((c) => c.sat[0]?.qps ?? 0);
          const lowest = qs.length === 0 ? RATE : Math.min(...qs);
          // Two significant digits, not whole thousands: PowerDNS saturates
          // near 1,000 q/s here, and a floor of 1,000 ran it at its limit.
          rate = Math.min(RATE, Math.max(100, twoDigitsDown(lowest / 2)));
        }
        for (const c of order) {
          if (!checkAlive(c)) continue;
          ctx.log(`round ${round}/${rounds}: ${c.name} ${rate.toLocaleString('en-US')} q/s for ${rateMs / 1000} s`);
          const r = await load(loadSpec(c, 'rate', rateMs, rate));
          c.rate.push({ histogram: r.histogram, qps: r.qps, lost: r.lost, notNoerror: r.wrong });
          if (r.wrong > 0) c.wrong.push(`fixed rate: ${r.wrong} replies not NOERROR (${JSON.stringify(r.rcodes)})`);
          checkAlive(c);
        }
      }

      // (c) 4 of 8 down at t0: time until no answer holds a down target, for 1 s.
      // A check that fires at a random point of its interval makes one trial
      // noisy: full mode runs two (all up again, and settled, in between).
      const downSet = new Set(TARGETS.filter((_, i) => DOWN(i)));
      const trials = new Map<Contestant, (number | null)[]>();
      const pollCounts = new Map<Contestant, { polls: number; failed: number }>();
      for (let trial = 1; trial <= dropTrials; trial++) {
        const up = contestants.filter((c) => checkAlive(c));
        if (trial > 1) {
          await targets.set(() => true);
          await settle(up, (r) => r.rcode === 'NOERROR' && new Set(r.addrs).size === HOSTS, 10_000);
          await sleep(1000);
        }
        ctx.log(
          `drop trial ${trial}/${dropTrials}: targets 1–4 down; polling ${up.map((c) => c.name).join(', ')} every ${POLL_MS} ms`,
        );
        // t0 is when the command goes out: the listeners close within ms of it.
        const t0 = performance.now();
        await targets.set((i) => !DOWN(i));
        await Promise.all(
          up.map(async (c) => {
            let streakStart: number | null = null;
            const counts = pollCounts.get(c) ?? { polls: 0, failed: 0 };
            pollCounts.set(c, counts);
            let foreign = 0;
            while (performance.now() - t0 < dropDeadlineMs) {
              const at = performance.now() - t0;
              const r = await ask(c.port, NAME, 500);
              counts.polls += 1;
              const ok = r.rcode === 'NOERROR' && r.addrs.length > 0;
              if (!ok) counts.failed += 1;
              if (r.addrs.some((a) => !TARGET_SET.has(a))) foreign += 1;
              const clean = ok && r.addrs.every((a) => TARGET_SET.has(a) && !downSet.has(a));
              if (!clean) streakStart = null;
              else if (streakStart === null) streakStart = at;
              if (streakStart !== null && performance.now() - t0 - streakStart >= STABLE_MS) break;
              await sleep(Math.max(0, POLL_MS - (performance.now() - t0 - at)));
            }
            const stable = streakStart !== null && performance.now() - t0 - streakStart >= STABLE_MS;
            const list = trials.get(c) ?? [];
            list.push(stable ? (streakStart as number) / 1000 : null);
            trials.set(c, list);
            if (foreign > 0)
              c.wrong.push(`drop trial ${trial}: ${foreign} answers held addresses that are not targets`);
          }),
        );
        for (const c of up) checkAlive(c);
      }
      for (const [c, list] of trials) {
        const ok = list.filter((x): x is number => x !== null);
        c.dropS = ok.length === list.length && ok.length > 0 ? mean(ok) : null;
        const counts = pollCounts.get(c) ?? { polls: 0, failed: 0 };
        c.dropDetail = `${list.length > 1 ? `trials ${list.map((x) => (x === null ? `> ${dropDeadlineMs / 1000}` : fmt(x, 2))).join(', ')} s; ` : ''}${counts.polls} polls${counts.failed > 0 ? `, ${counts.failed} without a NOERROR answer` : ''}${ok.length < list.length ? `; still answering a down target (or no answer) after ${dropDeadlineMs / 1000} s` : ''}`;
      }

      // (d) all 8 down: wait for every checker to see it (gdnsd: 2 s × 2 failures), then ask 10 times.
      const still = contestants.filter((c) => checkAlive(c));
      ctx.log(
        `all targets down; waiting ${allDownWaitMs / 1000} s, then asking ${still.map((c) => c.name).join(', ')}`,
      );
      await targets.set(() => false);
      await sleep(allDownWaitMs);
      for (const c of still) {
        const replies: Reply[] = [];
        for (let k = 0; k < 10; k++) replies.push(await ask(c.port, NAME, 500));
        c.allDown = describe(replies);
        if (replies.some((r) => r.addrs.some((a) => !TARGET_SET.has(a))))
          c.wrong.push(`all down: answers held addresses that are not targets`);
        checkAlive(c);
      }
      for (const c of contestants) if (c.name !== 'urnd') status[c.name] = c.status;
      if (urnd.status !== 'measured') throw new Error(`urnd serve ${urnd.status}`);
      return report(ctx, {
        contestants,
        status,
        installs,
        loader,
        version,
        rate,
        rounds,
        satMs,
        rateMs,
        runNotes,
        dropDeadlineMs,
        dropTrials,
        allDownWaitMs,
      });
    } finally {
      for (const c of children.reverse()) await c.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

function rotate<T>(xs: readonly T[], by: number): T[] {
  const k = by % Math.max(1, xs.length);
  return [...xs.slice(k), ...xs.slice(0, k)];
}

/** Polls each server (every 200 ms, up to `timeoutMs`) until `ok` holds for its answer. */
async function settle(cs: readonly Contestant[], ok: (r: Reply) => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  await Promise.all(
    cs.map(async (c) => {
      while (Date.now() - t0 < timeoutMs) {
        if (ok(await ask(c.port, NAME, 500))) return;
        await sleep(200);
      }
    }),
  );
}

interface Facts {
  readonly contestants: readonly Contestant[];
  readonly status: Record<PeerName, string>;
  readonly installs: Record<PeerName, PeerInstall>;
  readonly loader: LoaderName;
  readonly version: string | null;
  readonly rate: number;
  readonly rounds: number;
  readonly satMs: number;
  readonly rateMs: number;
  readonly runNotes: readonly string[];
  readonly dropDeadlineMs: number;
  readonly dropTrials: number;
  readonly allDownWaitMs: number;
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((t, x) => t + x, 0) / xs.length);

function percentiles(histograms: readonly (string | null)[]): { p50: number; p99: number } | null {
  const hs = histograms.filter((h): h is string => h !== null);
  if (hs.length === 0) return null;
  const merged = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
  for (const b64 of hs) {
    const h = hdr.decodeFromCompressedBase64(b64);
    merged.add(h);
    h.destroy();
  }
  const out =
    merged.totalCount === 0
      ? null
      : { p50: merged.getValueAtPercentile(50) / 1000, p99: merged.getValueAtPercentile(99) / 1000 };
  merged.destroy();
  return out;
}

function num(x: number | null | undefined, digits = 3): number | null {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const m = 10 ** digits;
  return Math.round(x * m) / m;
}

function report(ctx: BenchContext, f: Facts): ScenarioResult {
  const rows = f.contestants.map((c) => {
    const qps = mean(c.sat.map((s) => s.qps));
    const lat = percentiles(c.rate.map((r) => r.histogram));
    return {
      c,
      qps,
      lat,
      cpu: mean(c.sat.map((s) => s.cpuUsPerQuery ?? Number.NaN)),
      lost: c.sat.reduce((t, s) => t + s.lost, 0) + c.rate.reduce((t, s) => t + s.lost, 0),
    };
  });
  const ranked = rows
    .filter((r) => r.c.status === 'measured' && r.c.wrong.length === 0 && Number.isFinite(r.qps))
    .sort((a, b) => b.qps - a.qps);
  const label = (c: Contestant) =>
    c.name === 'urnd' ? 'urnd serve' : c.name === 'pdns' ? `PowerDNS Authoritative ${c.version}` : `gdnsd ${c.version}`;
  const peerNotes: Record<ServerName, string> = {
    urnd: 'tcp checks every 1 s, down after 2 failures; multivalue, answer-all when all unhealthy; `--checkers 1`',
    pdns: 'LUA `ifportup`, selector/backupSelector `all`; checks every 1 s (`lua-health-checks-interval`), down after 1 failure (no `minimumFailures` in 4.7); bind backend, `receiver-threads=1`, 3 distributor threads, caches at their defaults; every LUA answer is computed per query (see its CPU µs/query)',
    gdnsd:
      '`multifo` + `tcp_connect` every **2 s** (its minimum), down after 2 failures (`down_thresh 2`, `ok_thresh 1`); resource `up_thresh 0.1`; 1 UDP thread',
  };
  const table = rows.map((r) => {
    const c = r.c;
    const marked = c.wrong.length > 0;
    const notes = [
      marked ? `**answered wrongly, not ranked**: ${c.wrong.slice(0, 3).join('; ')}` : null,
      c.status !== 'measured' ? `**${c.status}**` : null,
      peerNotes[c.name],
      Number.isFinite(r.cpu) ? `server CPU ${fmt(r.cpu, 1)} µs/query at saturation` : null,
      r.lost > 0 ? `${r.lost} queries lost` : null,
      c.dropDetail.length > 0 ? `drop: ${c.dropDetail}` : null,
    ].filter((x): x is string => x !== null);
    return [
      label(c),
      Number.isFinite(r.qps) ? `${fmt(r.qps, 0)}${marked ? ' (not ranked)' : ''}` : '–',
      r.lat === null ? '–' : fmt(r.lat.p50, 3),
      r.lat === null ? '–' : fmt(r.lat.p99, 3),
      c.dropS === null ? `> ${f.dropDeadlineMs / 1000}` : fmt(c.dropS, 2),
      c.allDown,
      notes.join('; '),
    ];
  });
  for (const p of ['pdns', 'gdnsd'] as const) {
    if (f.contestants.some((c) => c.name === p)) continue;
    table.push([
      p === 'pdns' ? 'PowerDNS Authoritative' : 'gdnsd',
      '–',
      '–',
      '–',
      '–',
      '–',
      f.status[p] === 'absent' ? `absent: ${f.installs[p].missing}` : f.status[p],
    ]);
  }
  const by = (n: ServerName) => rows.find((r) => r.c.name === n);
  const qpsOf = (n: ServerName) => {
    const r = by(n);
    return r === undefined || r.c.status !== 'measured' ? null : num(r.qps, 0);
  };
  const dropOf = (n: ServerName) => {
    const r = by(n);
    return r === undefined || r.c.status !== 'measured' ? null : num(r.c.dropS, 2);
  };
  const downOf = (n: ServerName): Figure => {
    const r = by(n);
    return r === undefined ? (n === 'urnd' ? null : f.status[n as PeerName]) : r.c.allDown;
  };
  const summary: Record<string, Figure> = {
    pdns: f.status.pdns,
    gdnsd: f.status.gdnsd,
    loader: f.loader === 'dnsperf' ? `dnsperf ${f.version ?? ''}`.trim() : 'node',
    rate_qps: f.rate,
    urnd_qps: qpsOf('urnd'),
    pdns_qps: qpsOf('pdns'),
    gdnsd_qps: qpsOf('gdnsd'),
    urnd_p99_ms: num(by('urnd')?.lat?.p99),
    pdns_p99_ms: by('pdns')?.c.status === 'measured' ? num(by('pdns')?.lat?.p99) : null,
    gdnsd_p99_ms: by('gdnsd')?.c.status === 'measured' ? num(by('gdnsd')?.lat?.p99) : null,
    urnd_drop_s: dropOf('urnd'),
    pdns_drop_s: dropOf('pdns'),
    gdnsd_drop_s: dropOf('gdnsd'),
    urnd_all_down: downOf('urnd'),
    pdns_all_down: downOf('pdns'),
    gdnsd_all_down: downOf('gdnsd'),
    urnd_answers_correct: by('urnd')?.c.wrong.length === 0,
    ranking_by_qps: ranked.map((r) => r.c.name).join(' > '),
  };
  const loaderText =
    f.loader === 'dnsperf'
      ? `dnsperf ${f.version ?? ''} (\`-c 1 -T 1\`; saturation \`-q ${OUTSTANDING}\`; fixed rate \`-Q ${f.rate}\` with \`-v\` per-query latencies)`
      : `the built-in Node loader (bench/workers/dns-loader.ts; saturation keeps ${OUTSTANDING} outstanding; fixed rate measures from each query's intended send time)`;
  const configs = f.contestants
    .filter((c) => c.name !== 'urnd')
    .flatMap((c) => [
      `<details><summary>${label(c)} configuration</summary>`,
      '',
      ...Object.entries(c.config).flatMap(([k, v]) => [`\`${k}\`:`, '', '```', v.trimEnd(), '```', '']),
      '</details>',
      '',
    ]);
  const markdown = [
    '### DNS side by side with peers: urnd serve, PowerDNS, gdnsd',
    '',
    `Every server runs as its own foreground process on a loopback port, serving \`${NAME} A\` over the same ${HOSTS} loopback targets (${TARGETS[0]}–${TARGETS[HOSTS - 1]}, one TCP/HTTP port, bench/targets-process.ts), health-checked by TCP connect. One run, same targets, phases interleaved (the order rotates per round): ${f.rounds} round${f.rounds > 1 ? 's' : ''} of saturation (${f.satMs / 1000} s, ${OUTSTANDING} outstanding) and then a fixed rate (${f.rateMs / 1000} s at ${f.rate.toLocaleString('en-US')} q/s, half the lowest saturated rate of round 1, at most ${RATE.toLocaleString('en-US')}: one rate for all, so the slowest server sets it) per server. Load generator: ${loaderText}.`,
    '',
    `**Time to drop a dead target**: targets 1–4 refuse connections at t0 (their listeners closed), and each server is asked every ${POLL_MS} ms; the time is that of the first answer after which no answer held a down target for ${STABLE_MS / 1000} s (so it is the server's detection delay plus up to one poll), measured from when the targets process was told to close them; ${f.dropTrials > 1 ? `the mean of ${f.dropTrials} trials (all up and settled in between), each listed in the notes` : 'one trial: a check fires at a random point of its interval, so one figure can be off by up to an interval'}. **All down**: all 8 refuse; after ${f.allDownWaitMs / 1000} s (enough for gdnsd's 2 × 2 s), 10 queries each. A server whose answers were wrong (an address not among the targets, or no NOERROR answer with all targets up, or replies other than NOERROR under load) is marked and not ranked.`,
    ...(f.runNotes.length > 0 ? ['', ...f.runNotes.map((n) => `- ${n}`)] : []),
    '',
    markdownTable(
      ['server', 'q/s', 'p50 ms', 'p99 ms', 'time to drop a dead target (s)', 'answer when all down', 'notes'],
      table,
    ),
    '',
    ranked.length > 0
      ? `Ranked by saturated q/s (correct answers only): ${ranked.map((r) => `${r.c.name} ${fmt(r.qps, 0)}`).join(' > ')}.`
      : 'No server answered correctly throughout: none is ranked.',
    '',
    'The check cadences are as close as each allows: urnd 1 s interval, 2 failures; PowerDNS 4.7 1 s interval, 1 failure (its `ifportup` has no `interval`/`minimumFailures` options until 4.9); gdnsd 2 s interval (`tcp_connect` refuses 1 s), 2 failures. Drop times therefore compare defaults-constrained products, not equal settings. Threads differ as well: urnd and gdnsd answer from one UDP thread; PowerDNS has one receiver thread and 3 distributor threads, which run the LUA records.',
    '',
    ...(present(f) ? [] : [INSTALL_HINT, '']),
    ...configs,
  ].join('\n');
  const details = {
    installs: f.installs,
    status: f.status,
    loader: f.loader,
    dnsperfVersion: f.version,
    rate: f.rate,
    rounds: f.rounds,
    contestants: rows.map((r) => ({
      name: r.c.name,
      version: r.c.version,
      status: r.c.status,
      port: r.c.port,
      wrong: r.c.wrong,
      notes: r.c.notes,
      saturation: r.c.sat,
      fixedRate: r.c.rate.map(({ histogram: _h, ...rest }) => rest),
      latencyMs: r.lat,
      dropS: r.c.dropS,
      dropDetail: r.c.dropDetail,
      allDown: r.c.allDown,
      config: r.c.config,
    })),
  };
  ctx.log(
    `${rows.map((r) => `${r.c.name} ${fmt(r.qps, 0)} q/s, drop ${r.c.dropS === null ? '–' : fmt(r.c.dropS, 2)} s, all down: ${r.c.allDown}`).join(' | ')}`,
  );
  return { summary, markdown, details };
}

/** Both peers installed (else the report says how to install the missing one). */
function present(f: Facts): boolean {
  return f.status.pdns !== 'absent' && f.status.gdnsd !== 'absent';
}

/** `x` rounded down to two significant digits (531 → 530, 25,730 → 25,000). */
function twoDigitsDown(x: number): number {
  if (x < 10) return Math.max(1, Math.floor(x));
  const unit = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Math.floor(x / unit) * unit;
}
