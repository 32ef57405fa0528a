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
import { detectPeers, startGdnsd, startPdns, tail, waitAnswering, type PeerName } from './dns-peers-servers.js';

/**
 * DNS under overload, side by side with real peers: each server (urnd
 * serve, gdnsd, PowerDNS where installed) is first saturated (dnsperf,
 * 100 outstanding) to find its own rate S, then offered 1×, 2× and 10× S
 * open-loop (`-Q`), and the answered queries are counted (goodput ÷ S) and
 * timed (average, p50, p99 from dnsperf's per-query lines). A server that
 * queues its overload answers everything late; one that bounds its queue
 * in time drops the excess and answers the rest as fast as at 1×.
 *
 * Meanwhile a TCP client asks one query at a time over one connection
 * (every 20 ms), in the 1× phase and in the 10× phase: a UDP flood must
 * not starve TCP.
 *
 * dnsperf is one process on the same 2 cores as the server: at 10× it may
 * not reach the offered rate; the offered rate it did reach is reported.
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
const MULTIPLES = [1, 2, 10] as const;
const TCP_EVERY_MS = 20;

type ServerName = 'urnd' | PeerName;

interface Phase {
  readonly multiple: number;
  readonly offeredQps: number;
  /** What dnsperf managed to send, q/s. */
  readonly sentQps: number;
  readonly goodputQps: number;
  readonly lost: number;
  readonly avgMs: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly tcp: {
    readonly asked: number;
    readonly answered: number;
    readonly p50Ms: number | null;
    readonly p99Ms: number | null;
  } | null;
}

interface Row {
  readonly name: ServerName;
  readonly version: string;
  status: string;
  saturatedQps: number | null;
  readonly phases: Phase[];
}

function urndConfig(targetPort: number): object {
  const targets = Array.from({ length: HOSTS }, (_, i) => `${PREFIX}.${i + 1}`);
  return {
    cell: { name: 'overloadbench', capacity: 1024 },
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
    'urnd serve vs gdnsd and PowerDNS where installed, each offered 1×, 2× and 10× its own saturated rate: goodput ÷ saturated rate, latency of answered queries, TCP latency during the UDP flood',
  estimateSeconds: (quick) => (quick ? 20 : 60),
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
    const phaseMs = ctx.quick ? 1000 : 3000;
    const installs = detectPeers();
    const dir = mkdtempSync(path.join(tmpdir(), 'urnd-dns-overload-'));
    const queryFile = path.join(dir, 'queries.txt');
    const verboseFile = path.join(dir, 'dnsperf.out');
    writeFileSync(queryFile, `${NAME} A\n`);
    const children: LineChild[] = [];
    const rows: Row[] = [];
    const servers: { row: Row; port: number; proc: LineChild }[] = [];
    try {
      const targets = await Targets.start(HOSTS, PREFIX);
      children.push(targets.proc);
      const configPath = path.join(dir, 'cell.json');
      writeFileSync(configPath, `${JSON.stringify(urndConfig(targets.port), null, 2)}\n`);
      const serve = await Serve.start(configPath, ['--checkers', '1']);
      children.push(serve.proc);
      servers.push({
        row: { name: 'urnd', version: 'this build', status: 'measured', saturatedQps: null, phases: [] },
        port: serve.port,
        proc: serve.proc,
      });
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
          rows.push({ name: p, version: '', status: `absent: ${install.missing}`, saturatedQps: null, phases: [] });
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
            phases: [],
          });
        }
      }
      await serve.waitForStatus(HOSTS, 0, 20_000);
      for (const s of servers) {
        try {
          await waitAnswering(s.proc, s.port, NAME, 15_000);
        } catch (err) {
          s.row.status = `failed: ${(err as Error).message}`;
        }
      }
      const load = (port: number, mode: LoadSpec['mode'], rate: number, durationMs: number): Promise<LoadResult> =>
        runDnsperf({
          spec: {
            host: '127.0.0.1',
            port,
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
        });

      for (const s of servers) {
        const row = s.row;
        if (row.status !== 'measured') continue;
        try {
          ctx.log(`${row.name}: saturation ${satMs / 1000} s`);
          await load(s.port, 'saturate', 0, Math.min(500, satMs));
          const sat = await load(s.port, 'saturate', 0, satMs);
          row.saturatedQps = sat.qps;
          for (const m of MULTIPLES) {
            const offered = Math.round(sat.qps * m);
            ctx.log(`${row.name}: ${m}× = ${offered.toLocaleString('en-US')} q/s for ${phaseMs / 1000} s`);
            const probe = m === 1 || m === 10 ? tcpProbe(s.port, TCP_EVERY_MS) : null;
            const r = await load(s.port, 'rate', offered, phaseMs);
            const tcp = probe === null ? null : await probe.stop();
            const h = fromB64(r.histogram);
            // dnsperf's run time includes waiting out the last timeouts: goodput is over the sending time.
            const sendSeconds = Math.max(phaseMs / 1000, r.seconds - (r.lost > 0 ? TIMEOUT_MS / 1000 : 0));
            row.phases.push({
              multiple: m,
              offeredQps: offered,
              sentQps: r.sent / sendSeconds,
              goodputQps: r.completed / sendSeconds,
              lost: r.lost,
              avgMs: h === null || h.totalCount === 0 ? null : h.mean / 1000,
              p50Ms: h === null ? null : ms(h, 50),
              p99Ms: h === null ? null : ms(h, 99),
              tcp:
                tcp === null
                  ? null
                  : {
                      asked: tcp.asked,
                      answered: tcp.answered,
                      p50Ms: ms(tcp.histogram, 50),
                      p99Ms: ms(tcp.histogram, 99),
                    },
            });
            h?.destroy();
            tcp?.histogram.destroy();
          }
        } catch (err) {
          row.status = `failed: ${(err as Error).message.split('\n')[0]}`;
        }
        if (s.proc.child.exitCode !== null) row.status = `failed: exited: ${tail(s.proc.stderr)}`;
        rows.push(row);
      }
    } finally {
      for (const c of children.reverse()) await c.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    return report(rows, version, satMs, phaseMs);
  },
};

function report(rows: readonly Row[], version: string, satMs: number, phaseMs: number): ScenarioResult {
  const summary: Record<string, Figure> = { loader: `dnsperf ${version}` };
  const table: (string | number)[][] = [];
  const f = (x: number | null | undefined, d = 2) =>
    x === null || x === undefined || !Number.isFinite(x) ? '–' : fmt(x, d);
  for (const r of rows) {
    const at = (m: number) => r.phases.find((p) => p.multiple === m);
    const base = at(1);
    for (const m of MULTIPLES) {
      const p = at(m);
      const ratio = p === undefined || r.saturatedQps === null ? null : p.goodputQps / r.saturatedQps;
      if (r.status === 'measured') {
        summary[`${r.name}_goodput_ratio_${m}x`] = round(ratio);
        summary[`${r.name}_p99_ms_${m}x`] = round(p?.p99Ms ?? null);
        summary[`${r.name}_avg_ms_${m}x`] = round(p?.avgMs ?? null);
      }
      table.push([
        m === 1 ? `${r.name === 'urnd' ? 'urnd serve' : r.name} ${r.version}`.trim() : '',
        m === 1 ? f(r.saturatedQps, 0) : '',
        `${m}×`,
        p === undefined ? '–' : `${f(p.offeredQps, 0)} (sent ${f(p.sentQps, 0)})`,
        p === undefined ? '–' : f(p.goodputQps, 0),
        f(ratio, 3),
        f(p?.avgMs),
        f(p?.p50Ms),
        f(p?.p99Ms),
        p?.tcp === null || p?.tcp === undefined
          ? ''
          : `${p.tcp.answered}/${p.tcp.asked}, p50 ${f(p.tcp.p50Ms)}, p99 ${f(p.tcp.p99Ms)}`,
        m === 1 && r.status !== 'measured' ? r.status : '',
      ]);
    }
    if (r.status === 'measured' && base !== undefined) {
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
  const markdown = [
    '### DNS under overload, side by side with peers',
    '',
    `Each server is saturated (dnsperf ${version}, \`-c 1 -T 1 -q ${OUTSTANDING}\`, ${satMs / 1000} s) to find its own rate S, then offered 1×, 2× and 10× S open-loop (\`-Q\`, ${phaseMs / 1000} s each, \`-t ${TIMEOUT_MS / 1000}\`: a later answer counts as lost). Goodput is answered queries per second of sending; latency is of answered queries, from dnsperf's per-query lines. A TCP client asks one query at a time every ${TCP_EVERY_MS} ms over one connection during the 1× and 10× phases. Goals for urnd: goodput ≥ 0.95 S at 2× and 10×; average and p99 at 10× ≤ 2× their 1× value. dnsperf shares the machine's cores with the server: "sent" is what it reached.`,
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
        'TCP during the phase: answered/asked, ms',
        'notes',
      ],
      table,
    ),
  ].join('\n');
  return { summary, markdown, details: { rows } };
}
