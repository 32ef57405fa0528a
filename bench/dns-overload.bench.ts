import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { fmt, markdownTable, type Figure, type Scenario, type ScenarioResult } from './harness.js';
import { type LineChild, Serve, Targets } from './dns-children.js';
import {
  dnsperfVersion,
  latencyHistogram,
  queryBytes,
  runDnsperf,
  type LoadResult,
  type LoadSpec,
} from './dns-load.js';
import {
  affinityOf,
  busyPct,
  type CpuPlan,
  cpuPlan,
  cpuTicks,
  pinThreads,
  pinTree,
  processTree,
  treeCpuSeconds,
} from './dns-overload-cpus.js';
import { detectPeers, startGdnsd, startPdns, tail, waitAnswering, type PeerName } from './dns-peers-servers.js';

/**
 * DNS under overload, side by side with real peers: each server (urnd
 * serve, gdnsd, PowerDNS where installed) is first saturated (dnsperf,
 * 100 outstanding) to find its own rate S, then offered 1×, 2× and 10× S
 * open-loop (`-Q`), and the answered queries are counted (goodput ÷ S) and
 * timed. A server that queues its overload answers everything late; one
 * that bounds its queue in time drops the excess and answers the rest as
 * fast as at 1×.
 *
 * The loader must not be the limit, or the ratio measures it instead:
 * - With two CPUs or more (and `taskset`), the server (every thread of
 *   it and its children, and the health-check targets) is pinned to CPU 0,
 *   and every dnsperf, this process and its TCP client to CPU 1, so S and
 *   every phase are measured with the same core each.
 * - The flood prints no per-query lines (they cost dnsperf more than the
 *   sending: with them it reached 92,000 q/s of 676,000 offered): its mean
 *   latency comes from dnsperf's summary. Percentiles come from a second,
 *   low-rate dnsperf (the probe, `-v`) sending beside the flood; the flood
 *   offers the multiple's rate less the probe's.
 * - What dnsperf actually sent is reported, and a phase it sent under 95%
 *   of is marked loader-limited: there the offered overload is "sent ÷ S".
 *
 * Meanwhile a TCP client asks one query at a time over one connection
 * (every 20 ms), in the 1× phase and in the 10× phase: a UDP flood must
 * not starve TCP.
 */

const HOSTS = 8;
const PREFIX = '127.0.10';
const ZONE = 'overload.test';
const LABEL = 'pool';
const NAME = `${LABEL}.${ZONE}`;
const TTL = 60;
const OUTSTANDING = 100;
/** An answer later than this is lost: it is of no use to a client that has retried. */
const TIMEOUT_MS = 500;
/**
 * The flood's timeout. A query dropped by the server holds one of the
 * flood's `-q` places until it times out, so the loss rate dnsperf can
 * sustain is its cap ÷ this: at the probe's 0.5 s, 20,000 q/s, and a
 * "10×" phase really offered 1.1–1.5 S. Every flood answer that counts
 * comes within a few ms (the servers here bound or do not build a queue);
 * one after 100 ms is one a client under a flood has given up on.
 */
const FLOOD_TIMEOUT_MS = 100;
const MULTIPLES = [1, 2, 10] as const;
/** Rounds per server in a full run (S measured again in each); the quick run has one. */
const ROUNDS = 3;
const TCP_EVERY_MS = 20;
/** The latency probe's rate, q/s (at most a twentieth of the phase's offered rate). */
const PROBE_QPS = 1000;
/**
 * dnsperf's socket buffers, KiB (`-b`). With the system's default, dnsperf's
 * own socket dropped some 6,000 of urnd's replies in a 2× phase (nstat
 * UdpRcvbufErrors over the server socket's drops): lost to the loader.
 */
const LOADER_BUFFER_KIB = 8192;
/**
 * The flood's `-q` cap: dnsperf sends slower the more it may keep
 * outstanding (see DnsperfRun.maxOutstanding); at the default (a quarter
 * second of queries, 166,000 at 10×) it sent 20,000 q/s of 676,000 offered.
 * Each flood dnsperf has its own 10,000, which at FLOOD_TIMEOUT_MS holds
 * 100,000 lost q/s.
 */
const LOADER_MAX_OUTSTANDING = 10_000;
/**
 * dnsperf processes the flood is split across, each offering its share.
 * One dnsperf sends in bursts (it catches up after each time it is
 * descheduled, and pauses while its places are full); several interleave
 * their bursts, closer to many clients, and each brings its own places.
 */
const FLOODS = 4;
/** A phase whose flood sent less than this share of its offered rate is loader-limited. */
const LOADER_LIMITED_BELOW = 0.95;

type ServerName = 'urnd' | 'urnd_queue_2ms' | PeerName;

/**
 * urnd as measured: its default queue bound, and a tighter one
 * (`dns.maxQueue`) that trades drops at capacity for latency under a flood.
 */
const URND_VARIANTS: readonly { name: ServerName; version: string; maxQueue: string | null }[] = [
  { name: 'urnd', version: 'this build', maxQueue: null },
  { name: 'urnd_queue_2ms', version: 'this build, dns.maxQueue 2ms', maxQueue: '2ms' },
];

interface Phase {
  readonly multiple: number;
  readonly offeredQps: number;
  /** What dnsperf managed to send (flood + probe), q/s. */
  readonly sentQps: number;
  /** sent < 95% of offered: the loader, not the server, set the rate. */
  readonly loaderLimited: boolean;
  readonly goodputQps: number;
  readonly lost: number;
  /** Of the probe's answered queries. */
  readonly avgMs: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** The probe's queries: sent, answered. */
  readonly probeSent: number;
  readonly probeAnswered: number;
  /** Mean latency of the flood's answered queries, from dnsperf's summary. */
  readonly floodAvgMs: number | null;
  /** urnd only, from its status lines during the phase: kernel drops and shed, per second (max of the lines). */
  readonly kernelDropsPerSec: number | null;
  /** The server's CPU (all its threads and children) over the phase, % of one core: under ~90 with goodput under S, the server had time to spare. */
  readonly serverCpuPct: number | null;
  /**
   * The two cores, % busy over the phase (kernel work included: the
   * loopback delivery of each query is done on the sender's core): a loader
   * core near 100 sends in bursts, each a scheduler slice long, and a
   * server core under ~90 with goodput under S had time between them.
   */
  readonly serverCoreBusyPct: number | null;
  readonly loaderCoreBusyPct: number | null;
  /** A process of the server's tree exited during the phase (PowerDNS respawns under overload): its CPU time went with it. */
  readonly serverRestarted: boolean;
  readonly shedPerSec: number | null;
  readonly tcp: {
    readonly asked: number;
    readonly answered: number;
    readonly p50Ms: number | null;
    readonly p99Ms: number | null;
  } | null;
}

/** One round: S measured, then each multiple of it offered. */
interface Round {
  readonly saturatedQps: number;
  readonly phases: Phase[];
}

interface Row {
  readonly name: ServerName;
  readonly version: string;
  status: string;
  /** Every round run; the table shows the median one (medianRound). */
  readonly rounds: Round[];
  /** The median round's S and phases. */
  saturatedQps: number | null;
  phases: Phase[];
}

/** Goodput ÷ S of a round, averaged over its overload phases (2× and 10×). */
function overloadRatio(r: Round): number {
  const over = r.phases.filter((p) => p.multiple > 1);
  return over.length === 0 ? 0 : over.reduce((t, p) => t + p.goodputQps / r.saturatedQps, 0) / over.length;
}

/**
 * The round whose overload goodput ratio is the median of the rounds (the
 * lower middle of an even count), or null. This machine's speed shifts
 * between runs (S measured 39,500 and 66,000 q/s minutes apart), and a shift
 * between a round's S and its phases moves every ratio of that round: one
 * whole round is reported, the median, and the others' ratios beside it.
 */
function medianRound(rounds: readonly Round[]): Round | null {
  const full = rounds.filter((r) => r.phases.length === MULTIPLES.length);
  const pool = full.length > 0 ? full : rounds;
  const sorted = [...pool].sort((a, b) => overloadRatio(a) - overloadRatio(b));
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? null;
}

function urndConfig(targetPort: number, maxQueue: string | null): object {
  const targets = Array.from({ length: HOSTS }, (_, i) => `${PREFIX}.${i + 1}`);
  return {
    cell: { name: 'overloadbench', capacity: 1024 },
    ...(maxQueue === null ? {} : { dns: { maxQueue } }),
    checks: targets.map((h, i) => ({
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
        answers: targets.map((h, i) => ({ value: h, check: `t${i}` })),
      },
    ],
  };
}

/** One TCP connection asking `NAME A` one query at a time, every `everyMs`, until `stop()`; latencies in µs. */
function tcpProbe(
  port: number,
  everyMs: number,
): { stop: () => Promise<{ asked: number; answered: number; histogram: hdr.Histogram }> } {
  const histogram = latencyHistogram();
  const q = queryBytes(NAME);
  const frame = Buffer.alloc(2 + q.length);
  frame.writeUInt16BE(q.length, 0);
  q.copy(frame, 2);
  let asked = 0;
  let answered = 0;
  let sentAt = 0;
  let waiting = false;
  let pending = Buffer.alloc(0);
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
      pending = pending.subarray(2 + pending.readUInt16BE(0));
      if (waiting) {
        waiting = false;
        answered += 1;
        histogram.recordValue(Math.max(1, Math.round((performance.now() - sentAt) * 1000)));
      }
    }
  });
  const timer = setInterval(() => {
    // One at a time: a query still unanswered when the next is due counts as unanswered, and the next waits.
    if (waiting || socket.destroyed || socket.connecting) return;
    frame.writeUInt16BE(asked & 0xffff, 2);
    asked += 1;
    waiting = true;
    sentAt = performance.now();
    socket.write(frame);
  }, everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      socket.destroy();
      return { asked, answered, histogram };
    },
  };
}

/** The flood's dnsperfs as one: counts summed, the longest run, the mean latency weighted by answers. */
function sumFloods(runs: readonly LoadResult[]): {
  sent: number;
  completed: number;
  lost: number;
  seconds: number;
  avgLatencyMs: number | null;
} {
  const sum = (k: 'sent' | 'completed' | 'lost') => runs.reduce((t, r) => t + r[k], 0);
  const completed = sum('completed');
  const weighted = runs.reduce((t, r) => t + (r.avgLatencyMs ?? 0) * r.completed, 0);
  return {
    sent: sum('sent'),
    completed,
    lost: sum('lost'),
    seconds: Math.max(...runs.map((r) => r.seconds)),
    avgLatencyMs: completed === 0 ? null : weighted / completed,
  };
}

function ms(h: hdr.Histogram, p: number): number | null {
  return h.totalCount === 0 ? null : h.getValueAtPercentile(p) / 1000;
}

function fromB64(b64: string | null): hdr.Histogram | null {
  return b64 === null ? null : hdr.decodeFromCompressedBase64(b64);
}

const round = (x: number | null, d = 3): number | null =>
  x === null || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d;

export const dnsOverloadScenario: Scenario = {
  name: 'dns-overload',
  description:
    'urnd serve vs gdnsd and PowerDNS where installed, server pinned to one CPU and dnsperf to the other, each offered 1×, 2× and 10× its own saturated rate: goodput ÷ saturated rate, what the loader really sent, latency of answered queries from a low-rate probe beside the flood, TCP latency during the UDP flood',
  estimateSeconds: (quick) => (quick ? 30 : 200),
  async run(ctx): Promise<ScenarioResult> {
    const version = await dnsperfVersion();
    if (version === null) {
      return {
        summary: { loader: 'absent' },
        markdown:
          "### DNS under overload\n\ndnsperf is not installed here (or `URND_BENCH_DNS_LOADER=node`): this scenario needs an open-loop loader that can offer 10× a server's rate, so nothing was measured.",
        details: {},
      };
    }
    const satMs = ctx.quick ? 1000 : 3000;
    const rounds = ctx.quick ? 1 : ROUNDS;
    const phaseMs = ctx.quick ? 1000 : 3000;
    const installs = detectPeers();
    const dir = mkdtempSync(path.join(tmpdir(), 'urnd-dns-overload-'));
    const queryFile = path.join(dir, 'queries.txt');
    const floodFile = (i: number) => path.join(dir, `flood-${i}.out`);
    const probeFile = path.join(dir, 'probe.out');
    const cpus = cpuPlan();
    const ownCpus = affinityOf(process.pid);
    writeFileSync(queryFile, `${NAME} A\n`);
    const children: LineChild[] = [];
    const rows: Row[] = [];
    const servers: { row: Row; port: number; proc: LineChild; serve?: Serve }[] = [];
    try {
      const targets = await Targets.start(HOSTS, PREFIX);
      children.push(targets.proc);
      const serves: Serve[] = [];
      for (const v of URND_VARIANTS) {
        const configPath = path.join(dir, `${v.name}.json`);
        writeFileSync(configPath, `${JSON.stringify(urndConfig(targets.port, v.maxQueue), null, 2)}\n`);
        const serve = await Serve.start(configPath, ['--checkers', '1']);
        children.push(serve.proc);
        serves.push(serve);
        servers.push({
          row: { name: v.name, version: v.version, status: 'measured', saturatedQps: null, rounds: [], phases: [] },
          port: serve.port,
          proc: serve.proc,
          serve,
        });
      }
      const spec = {
        zone: ZONE,
        label: LABEL,
        targets: Array.from({ length: HOSTS }, (_, i) => `${PREFIX}.${i + 1}`),
        targetPort: targets.port,
        ttl: TTL,
      };
      for (const p of ['gdnsd', 'pdns'] as const) {
        const install = installs[p];
        if (install.bin === null) {
          rows.push({
            name: p,
            version: '',
            status: `absent: ${install.missing}`,
            saturatedQps: null,
            rounds: [],
            phases: [],
          });
          continue;
        }
        const pdir = path.join(dir, p);
        mkdirSync(pdir, { recursive: true });
        try {
          const s = p === 'pdns' ? await startPdns(install.bin, pdir, spec) : await startGdnsd(install.bin, pdir, spec);
          children.push(s.proc);
          servers.push({
            row: {
              name: p,
              version: install.version ?? 'unknown version',
              status: 'measured',
              saturatedQps: null,
              rounds: [],
              phases: [],
            },
            port: s.port,
            proc: s.proc,
          });
        } catch (err) {
          rows.push({
            name: p,
            version: install.version ?? '',
            status: `failed: ${(err as Error).message}`,
            saturatedQps: null,
            rounds: [],
            phases: [],
          });
        }
      }
      for (const serve of serves) await serve.waitForStatus(HOSTS, 0, 20_000);
      for (const s of servers) {
        try {
          await waitAnswering(s.proc, s.port, NAME, 15_000);
        } catch (err) {
          s.row.status = `failed: ${(err as Error).message}`;
        }
      }
      // Pinned once every server answers (all its threads started): later threads inherit the pin.
      if (cpus.pinned) {
        for (const s of servers) pinTree(s.proc.child.pid as number, cpus.server);
        pinTree(targets.proc.child.pid as number, cpus.server);
        pinThreads(process.pid, cpus.loader);
      }
      const loaderCpus = cpus.pinned ? cpus.loader : undefined;
      const load = (
        port: number,
        mode: LoadSpec['mode'],
        rate: number,
        durationMs: number,
        outFile: string,
        perQueryLines: boolean,
        timeoutMs = TIMEOUT_MS,
      ): Promise<LoadResult> =>
        runDnsperf({
          spec: {
            host: '127.0.0.1',
            port,
            mode,
            rate,
            outstanding: OUTSTANDING,
            durationMs,
            maxQueries: mode === 'rate' ? Math.floor((rate * durationMs) / 1000) : durationMs * 1000,
            timeoutMs,
            names: [NAME],
          },
          queryFile,
          verboseFile: outFile,
          perQueryLines,
          bufferKiB: LOADER_BUFFER_KIB,
          maxOutstanding: LOADER_MAX_OUTSTANDING,
          ...(loaderCpus === undefined ? {} : { cpus: loaderCpus }),
        });

      for (const s of servers) {
        const row = s.row;
        if (row.status !== 'measured') continue;
        try {
          for (let k = 0; k < rounds && row.status === 'measured' && s.proc.child.exitCode === null; k++) {
            const tag = rounds > 1 ? `round ${k + 1}/${rounds}, ` : '';
            ctx.log(`${tag}${row.name}: saturation ${satMs / 1000} s`);
            await load(s.port, 'saturate', 0, Math.min(500, satMs), floodFile(0), false);
            const sat = await load(s.port, 'saturate', 0, satMs, floodFile(0), false);
            const phases: Phase[] = [];
            row.rounds.push({ saturatedQps: sat.qps, phases });
            for (const m of MULTIPLES) {
              const offered = Math.round(sat.qps * m);
              const probeQps = Math.max(10, Math.min(PROBE_QPS, Math.round(offered / 20)));
              ctx.log(`${tag}${row.name}: ${m}× = ${offered.toLocaleString('en-US')} q/s for ${phaseMs / 1000} s`);
              const tcp = m === 1 || m === 10 ? tcpProbe(s.port, TCP_EVERY_MS) : null;
              const linesBefore = s.proc.lines.length;
              const tree0 = processTree(s.proc.child.pid as number);
              const cpu0 = treeCpuSeconds(s.proc.child.pid as number);
              const wall0 = performance.now();
              const cores0 = cpus.pinned ? [cpuTicks(cpus.server), cpuTicks(cpus.loader)] : [null, null];
              const floodQps = Math.round((offered - probeQps) / FLOODS);
              const [probe, ...floods] = await Promise.all([
                load(s.port, 'rate', probeQps, phaseMs, probeFile, true),
                ...Array.from({ length: FLOODS }, (_, i) =>
                  load(s.port, 'rate', floodQps, phaseMs, floodFile(i), false, FLOOD_TIMEOUT_MS),
                ),
              ]);
              const flood = sumFloods(floods);
              const cores1 = cpus.pinned ? [cpuTicks(cpus.server), cpuTicks(cpus.loader)] : [null, null];
              const cpuPct =
                ((treeCpuSeconds(s.proc.child.pid as number) - cpu0) * 100_000) / (performance.now() - wall0);
              const tree1 = new Set(processTree(s.proc.child.pid as number));
              const serverRestarted = tree0.some((pid) => !tree1.has(pid));
              const serverCpuPct = serverRestarted ? null : cpuPct;
              const tcpResult = tcp === null ? null : await tcp.stop();
              const h = fromB64(probe.histogram);
              // dnsperf's run time includes waiting out the last timeouts: goodput is over the sending time.
              const sendSeconds = Math.max(
                phaseMs / 1000,
                flood.seconds - (flood.lost > 0 ? FLOOD_TIMEOUT_MS / 1000 : 0),
              );
              const sentQps = (flood.sent + probe.sent) / sendSeconds;
              const status = s.serve === undefined ? [] : s.serve.statusSince(linesBefore);
              const maxOf = (xs: number[]) => (xs.length === 0 ? null : Math.max(...xs));
              phases.push({
                multiple: m,
                offeredQps: offered,
                sentQps,
                loaderLimited: sentQps < offered * LOADER_LIMITED_BELOW,
                goodputQps: (flood.completed + probe.completed) / sendSeconds,
                lost: flood.lost + probe.lost,
                avgMs: h === null || h.totalCount === 0 ? null : h.mean / 1000,
                p50Ms: h === null ? null : ms(h, 50),
                p99Ms: h === null ? null : ms(h, 99),
                probeSent: probe.sent,
                probeAnswered: probe.completed,
                floodAvgMs: flood.avgLatencyMs,
                kernelDropsPerSec: s.serve === undefined ? null : maxOf(status.map((x) => x.kernelDropsPerSec)),
                serverCpuPct,
                serverCoreBusyPct: busyPct(cores0[0] ?? null, cores1[0] ?? null),
                loaderCoreBusyPct: busyPct(cores0[1] ?? null, cores1[1] ?? null),
                serverRestarted,
                shedPerSec: s.serve === undefined ? null : maxOf(status.map((x) => x.shedPerSec)),
                tcp:
                  tcpResult === null
                    ? null
                    : {
                        asked: tcpResult.asked,
                        answered: tcpResult.answered,
                        p50Ms: ms(tcpResult.histogram, 50),
                        p99Ms: ms(tcpResult.histogram, 99),
                      },
              });
              h?.destroy();
              tcpResult?.histogram.destroy();
            }
          }
        } catch (err) {
          row.status = `failed: ${(err as Error).message.split('\n')[0]}`;
        }
        if (s.proc.child.exitCode !== null) row.status = `failed: exited: ${tail(s.proc.stderr)}`;
        const median = medianRound(row.rounds);
        row.saturatedQps = median?.saturatedQps ?? null;
        row.phases = median?.phases ?? [];
        rows.push(row);
      }
    } finally {
      // This process runs other scenarios after this one: give it back its CPUs.
      if (cpus.pinned && ownCpus !== null) pinThreads(process.pid, ownCpus);
      for (const c of children.reverse()) await c.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    return report(rows, version, satMs, phaseMs, cpus, rounds);
  },
};

function report(
  rows: readonly Row[],
  version: string,
  satMs: number,
  phaseMs: number,
  cpus: CpuPlan,
  rounds: number,
): ScenarioResult {
  const summary: Record<string, Figure> = {
    loader: `dnsperf ${version}`,
    pinning: cpus.pinned ? `server CPU ${cpus.server}, loader CPU ${cpus.loader}` : `none (${cpus.why})`,
  };
  const table: (string | number)[][] = [];
  const f = (x: number | null | undefined, d = 2) =>
    x === null || x === undefined || !Number.isFinite(x) ? '–' : fmt(x, d);
  for (const r of rows) {
    const at = (m: number) => r.phases.find((p) => p.multiple === m);
    const base = at(1);
    // A server that failed part-way (PowerDNS's guardian respawns it under overload) keeps the phases it ran.
    const measured = r.saturatedQps !== null && r.phases.length > 0;
    if (measured) summary[`${r.name}_saturated_qps`] = round(r.saturatedQps, 0);
    summary[`${r.name}_status`] =
      r.status === 'measured'
        ? 'ran through every phase'
        : r.status.includes(' / ')
          ? `exited: ${(r.status.split(' / ').at(-1) ?? '').replace(/^\w{3} \d\d [\d:]{8} /, '')}`
          : r.status;
    for (const m of MULTIPLES) {
      const p = at(m);
      const ratio = p === undefined || r.saturatedQps === null ? null : p.goodputQps / r.saturatedQps;
      const sentRatio = p === undefined || r.saturatedQps === null ? null : p.sentQps / r.saturatedQps;
      if (measured) {
        summary[`${r.name}_goodput_ratio_${m}x`] = round(ratio);
        summary[`${r.name}_sent_ratio_${m}x`] = round(sentRatio);
        summary[`${r.name}_loader_limited_${m}x`] = p === undefined ? null : p.loaderLimited ? 'yes' : 'no';
        summary[`${r.name}_p99_ms_${m}x`] = round(p?.p99Ms ?? null);
        summary[`${r.name}_avg_ms_${m}x`] = round(p?.avgMs ?? null);
        summary[`${r.name}_flood_avg_ms_${m}x`] = round(p?.floodAvgMs ?? null);
        summary[`${r.name}_server_cpu_pct_${m}x`] = round(p?.serverCpuPct ?? null, 0);
        summary[`${r.name}_server_core_busy_pct_${m}x`] = round(p?.serverCoreBusyPct ?? null, 0);
        summary[`${r.name}_loader_core_busy_pct_${m}x`] = round(p?.loaderCoreBusyPct ?? null, 0);
        summary[`${r.name}_cpu_us_per_answer_${m}x`] = round(
          p?.serverCpuPct == null || p.goodputQps <= 0 ? null : (p.serverCpuPct * 10_000) / p.goodputQps,
          1,
        );
      }
      // Every round's goodput ÷ S at this multiple, in the order run: the spread the median was taken from.
      const each = r.rounds.map((x) => {
        const q = x.phases.find((y) => y.multiple === m);
        return q === undefined ? '–' : f(q.goodputQps / x.saturatedQps, 2);
      });
      if (measured && r.rounds.length > 1) summary[`${r.name}_goodput_ratio_${m}x_rounds`] = each.join(' / ');
      const notes: string[] = [];
      if (m === 1 && r.status !== 'measured') notes.push(r.status);
      if (r.rounds.length > 1) notes.push(`goodput ÷ S by round: ${each.join(' / ')}`);
      if (p?.serverRestarted === true) notes.push('a server process exited during the phase (its CPU time is unknown)');
      if (p?.loaderLimited === true) notes.push(`loader-limited: sent ${f(sentRatio, 2)} S`);
      if (p?.kernelDropsPerSec != null)
        notes.push(`kernel drops ≤ ${f(p.kernelDropsPerSec, 0)}/s, shed ≤ ${f(p.shedPerSec, 0)}/s`);
      table.push([
        m === 1 ? `${r.name.startsWith('urnd') ? 'urnd serve' : r.name} ${r.version}`.trim() : '',
        m === 1 ? f(r.saturatedQps, 0) : '',
        `${m}×`,
        p === undefined ? '–' : `${f(p.offeredQps, 0)} (sent ${f(p.sentQps, 0)})`,
        p === undefined ? '–' : f(p.goodputQps, 0),
        f(ratio, 3),
        f(p?.avgMs),
        f(p?.p50Ms),
        f(p?.p99Ms),
        p === undefined ? '–' : `${p.probeAnswered}/${p.probeSent}`,
        f(p?.floodAvgMs),
        f(p?.serverCpuPct, 0),
        p?.serverCpuPct == null || p.goodputQps <= 0 ? '–' : f((p.serverCpuPct * 10_000) / p.goodputQps, 1),
        p === undefined ? '–' : `${f(p.serverCoreBusyPct, 0)} / ${f(p.loaderCoreBusyPct, 0)}`,
        p?.tcp === null || p?.tcp === undefined
          ? ''
          : `${p.tcp.answered}/${p.tcp.asked}, p50 ${f(p.tcp.p50Ms)}, p99 ${f(p.tcp.p99Ms)}`,
        notes.join('; '),
      ]);
    }
    if (measured && base !== undefined) {
      const top = at(10);
      summary[`${r.name}_p99_ratio_10x_vs_1x`] = round(
        top?.p99Ms != null && base.p99Ms != null ? top.p99Ms / base.p99Ms : null,
      );
      summary[`${r.name}_avg_ratio_10x_vs_1x`] = round(
        top?.avgMs != null && base.avgMs != null ? top.avgMs / base.avgMs : null,
      );
      summary[`${r.name}_tcp_p99_ms_udp_10x`] = round(top?.tcp?.p99Ms ?? null);
      summary[`${r.name}_tcp_p99_ms_udp_1x`] = round(base.tcp?.p99Ms ?? null);
    }
  }
  const pinning = cpus.pinned
    ? `Each server (all its threads, and the check targets) runs pinned to CPU ${cpus.server}; every dnsperf, and this process with its TCP client, to CPU ${cpus.loader}, so the server has a whole core and so has the loader, for S and for every phase.`
    : `Nothing is pinned (${cpus.why}): dnsperf shares the cores with the server.`;
  const markdown = [
    '### DNS under overload, side by side with peers',
    '',
    `${pinning} ${rounds > 1 ? `Each server runs ${rounds} rounds; a round measures S, then offers 1×, 2× and 10× of it, and the table shows the median round by goodput ÷ S over 2× and 10× (this machine's speed shifts from run to run, and a shift between a round's S and its phases moves all of that round's ratios), with every round's goodput ÷ S in the notes. ` : ''}Each server is saturated (dnsperf ${version}, \`-c 1 -T 1 -q ${OUTSTANDING} -b ${LOADER_BUFFER_KIB}\`, ${satMs / 1000} s) to find its own rate S, then offered 1×, 2× and 10× S open-loop (\`-Q\`, ${phaseMs / 1000} s each, \`-t ${FLOOD_TIMEOUT_MS / 1000}\` for the flood, \`-t ${TIMEOUT_MS / 1000}\` for the probe: a later answer counts as lost) by dnsperfs side by side: a flood split across ${FLOODS} of them (their bursts interleave, closer to many clients; \`-q\` at most ${LOADER_MAX_OUTSTANDING.toLocaleString('en-US')}: each, dnsperf sends slower the more it may keep outstanding) without per-query lines (they cost dnsperf more than sending; its mean latency is dnsperf's summary, "flood avg") and a probe at ${PROBE_QPS.toLocaleString('en-US')} q/s (at most 1/20 of the offered rate) with per-query lines, whose answered queries give avg, p50 and p99. "server CPU %" is the server's CPU time over the phase (dnsperf's wait for its last timeouts included), % of its one core; "CPU µs/answer" is that time per answered query (the kernel's loopback work on the server's core is not in it). "core busy %" is each pinned core's busy time over the phase from /proc/stat, kernel work included (the loopback delivery of a query is done on the loader's core): a loader core near 100% sends in bursts a scheduler slice long, and a server core well under 100% with goodput under S had time between them. Goodput is both clients' answered queries per second of sending. "sent" is what the loaders reached; under ${LOADER_LIMITED_BELOW * 100}% of offered the phase is marked loader-limited, and the overload it really offered is sent ÷ S. A TCP client asks one query at a time every ${TCP_EVERY_MS} ms over one connection during the 1× and 10× phases. Goals for urnd: goodput ≥ 0.95 S at 2× and 10×; average and p99 at 10× ≤ 2× their 1× value. urnd runs twice: with its default queue bound (\`dns.maxQueue\` 5 ms) and with 2 ms, which waits less under a flood and drops more at capacity.`,
    '',
    markdownTable(
      [
        'server',
        'S (q/s)',
        'offered',
        'offered q/s',
        'goodput q/s',
        'goodput ÷ S',
        'avg ms',
        'p50 ms',
        'p99 ms',
        'probe answered/sent',
        'flood avg ms',
        'server CPU %',
        'CPU µs/answer',
        'core busy %: server / loader',
        'TCP during the phase: answered/asked, ms',
        'notes',
      ],
      table,
    ),
  ].join('\n');
  return { summary, markdown, details: { rows, cpus } };
}
