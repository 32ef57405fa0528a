/**
 * Load generators of the DNS benchmark, behind one result shape:
 *
 * - **dnsperf** (where installed): saturation = no rate limit and a fixed
 *   number of queries outstanding (`-q`); fixed rate = `-Q RATE` with a
 *   large `-q`, so a stalled server does not hold the sender back, and `-v`,
 *   whose per-query lines (`> NOERROR www.bench.test A 0.000123`) give
 *   every query's latency from its actual send time — dnsperf 2.10 prints
 *   only a mean, a stddev, min and max itself, so percentiles come from
 *   those lines, read into an HDR histogram after the run.
 * - **node** (`bench/workers/dns-loader.ts`, its own process): one UDP
 *   socket; saturation keeps N queries outstanding; fixed rate sends on a
 *   schedule and measures latency from each query's *intended* send time,
 *   so a stall of the loader or the server counts against every query it
 *   delays (no coordinated omission).
 *
 * Every run is bounded in time (duration, a reply timeout, and a hard kill
 * after both) and in count (`maxQueries`; dnsperf's `-n` passes over the
 * query file).
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { closeSync, openSync, readFileSync } from 'node:fs';
import * as hdr from 'hdr-histogram-js';

export type LoaderName = 'dnsperf' | 'node';
export type LoadMode = 'saturate' | 'rate';

/** One load run against one server. */
export interface LoadSpec {
  readonly host: string;
  readonly port: number;
  readonly mode: LoadMode;
  /** `rate`: queries per second. */
  readonly rate: number;
  /** `saturate`: queries kept outstanding. */
  readonly outstanding: number;
  readonly durationMs: number;
  /** Hard cap on queries sent. */
  readonly maxQueries: number;
  /** A query unanswered this long is lost. */
  readonly timeoutMs: number;
  /** Names queried (type A), in turn. */
  readonly names: readonly string[];
}

/** What one load run measured. */
export interface LoadResult {
  readonly loader: LoaderName;
  readonly mode: LoadMode;
  readonly sent: number;
  readonly completed: number;
  /** Unanswered within the timeout, or still in flight when the run ended. */
  readonly lost: number;
  /** Replies that were not NOERROR with at least one answer (node) / not NOERROR (dnsperf). */
  readonly wrong: number;
  readonly seconds: number;
  /** Completed queries per second. */
  readonly qps: number;
  /** Latency in µs as a compressed HDR histogram (`rate` mode), else null. */
  readonly histogram: string | null;
  /** The loader's own CPU, % of one core; null when not known (dnsperf). */
  readonly loaderCpuPct: number | null;
  /** Mean latency of completed queries from the loader's own summary, ms; null when it prints none (node). */
  readonly avgLatencyMs: number | null;
  /** Reply codes seen, by name. */
  readonly rcodes: Record<string, number>;
}

/** HDR histogram of latencies in µs, 1 µs to 1 h, 3 digits. */
export function latencyHistogram(): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

/** A DNS query in wire form: ID 0 (patched per send), RD clear, one question of type A class IN. */
export function queryBytes(name: string): Buffer {
  const labels = name.split('.').filter((l) => l.length > 0);
  const q = Buffer.alloc(12 + labels.reduce((t, l) => t + 1 + l.length, 0) + 1 + 4);
  q.writeUInt16BE(1, 4); // QDCOUNT
  let at = 12;
  for (const l of labels) {
    q[at++] = l.length;
    at += q.write(l, at, 'ascii');
  }
  q[at++] = 0;
  q.writeUInt16BE(1, at); // QTYPE A
  q.writeUInt16BE(1, at + 2); // QCLASS IN
  return q;
}

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
const kIds = 65_536;

/**
 * The built-in loader's loop (runs in bench/workers/dns-loader.ts, a
 * process of its own). Resolves when every query is answered or timed out.
 */
export function runNodeLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket({
      type: spec.host.includes(':') ? 'udp6' : 'udp4',
      recvBufferSize: 4 * 1024 * 1024,
      sendBufferSize: 1024 * 1024,
    });
    const templates = spec.names.map(queryBytes);
    // Send time (or intended send time) of the query with each ID; 0: none outstanding.
    const pending = new Float64Array(kIds);
    const histogram = spec.mode === 'rate' ? latencyHistogram() : null;
    const rcodes: Record<string, number> = {};
    // A sleeper for sub-millisecond waits between paced sends (Atomics.wait
    // with a fractional timeout; the loop spins no CPU while it waits).
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    let seq = 0;
    let sent = 0;
    let completed = 0;
    let lost = 0;
    let wrong = 0;
    let inFlight = 0;
    let done = false;
    let deadline = Number.POSITIVE_INFINITY;
    const total =
      spec.mode === 'rate'
        ? Math.min(spec.maxQueries, Math.floor((spec.durationMs * spec.rate) / 1000))
        : spec.maxQueries;
    const periodMs = spec.mode === 'rate' ? 1000 / spec.rate : 0;
    let t0 = 0;
    const cpu0 = process.cpuUsage();

    const send = (at: number) => {
      const id = seq & 0xffff;
      if (pending[id] !== 0) {
        // 65,536 queries later and still unanswered: lost.
        lost += 1;
        inFlight -= 1;
      }
      const template = templates[seq % templates.length] as Buffer;
      const q = Buffer.allocUnsafe(template.length);
      template.copy(q);
      q.writeUInt16BE(id, 0);
      pending[id] = at;
      seq += 1;
      sent += 1;
      inFlight += 1;
      socket.send(q, spec.port, spec.host);
    };

    socket.on('message', (msg) => {
      const now = performance.now();
      if (msg.length < 12) return;
      const id = msg.readUInt16BE(0);
      const at = pending[id] as number;
      if (at === 0) return; // already counted lost
      pending[id] = 0;
      inFlight -= 1;
      const rcode = (msg[3] as number) & 0x0f;
      const name = RCODES[rcode] ?? `RCODE${rcode}`;
      rcodes[name] = (rcodes[name] ?? 0) + 1;
      if (((msg[2] as number) & 0x80) === 0 || rcode !== 0 || msg.readUInt16BE(6) === 0) wrong += 1;
      if (spec.mode === 'rate') {
        completed += 1;
        histogram?.recordValue(Math.max(1, Math.round((now - at) * 1000)));
      } else if (now <= deadline) {
        completed += 1;
        if (sent < total) send(performance.now());
      }
      if (done && inFlight === 0) finish();
    });
    socket.on('error', () => {
      // a failed send: that query times out and counts as lost
    });

    const sweep = setInterval(() => {
      const now = performance.now();
      for (let id = 0; id < kIds; id++) {
        const at = pending[id] as number;
        if (at !== 0 && now - at > spec.timeoutMs) {
          pending[id] = 0;
          lost += 1;
          inFlight -= 1;
          // Saturation keeps N outstanding: a lost query is replaced.
          if (spec.mode === 'saturate' && !done && now <= deadline && sent < total) send(now);
        }
      }
      if (done && inFlight === 0) finish();
    }, 100);

    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearInterval(sweep);
      clearTimeout(hardStop);
      const seconds = spec.mode === 'rate' ? (performance.now() - t0) / 1000 : spec.durationMs / 1000;
      const cpu = process.cpuUsage(cpu0);
      lost += inFlight;
      socket.close();
      resolve({
        loader: 'node',
        mode: spec.mode,
        sent,
        completed,
        lost,
        wrong,
        seconds,
        qps: spec.mode === 'rate' ? completed / (spec.durationMs / 1000) : completed / seconds,
        histogram: histogram === null ? null : hdr.encodeIntoCompressedBase64(histogram),
        loaderCpuPct: ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100,
        avgLatencyMs: null,
        rcodes,
      });
    };
    // However the run goes, it ends: duration + one timeout + 2 s.
    const hardStop = setTimeout(finish, spec.durationMs + spec.timeoutMs + 2000);

    const drain = () => {
      done = true;
      if (inFlight === 0) finish();
    };

    // Sends what is due, then waits for the next send time: a timer when it
    // is over 2 ms away, else a short Atomics.wait (at most 0.2 ms, so
    // replies wait at most that long to be read) and setImmediate, which
    // lets the event loop read replies between sends.
    const paced = (): void => {
      const due = Math.min(total, Math.floor((performance.now() - t0) / periodMs) + 1);
      // Each query carries its intended send time: lateness counts as latency.
      while (seq < due) send(t0 + seq * periodMs);
      if (seq >= total) {
        drain();
        return;
      }
      const wait = t0 + seq * periodMs - performance.now();
      if (wait > 2) {
        setTimeout(paced, wait - 1);
        return;
      }
      if (wait > 0.01) Atomics.wait(sleeper, 0, 0, Math.min(wait, 0.2));
      setImmediate(paced);
    };

    socket.bind(0, spec.host.includes(':') ? '::1' : '127.0.0.1', () => {
      t0 = performance.now();
      if (spec.mode === 'rate') {
        paced();
      } else {
        deadline = t0 + spec.durationMs;
        for (let i = 0; i < spec.outstanding && sent < total; i++) send(performance.now());
        setTimeout(drain, spec.durationMs);
      }
    });
  });
}

/** Outstanding queries one dnsperf socket can track: its query IDs are 16 bits; a margin below 65,536. */
const kDnsperfIdsPerSocket = 60_000;

/** Options of one dnsperf run. */
export interface DnsperfRun {
  readonly spec: LoadSpec;
  /** A query file (`name A` per line) holding `spec.names` in order. */
  readonly queryFile: string;
  /** Where `-v` output goes in `rate` mode (read back, then left to the caller to delete). */
  readonly verboseFile: string;
  /**
   * dnsperf's `-c`: UDP sockets (source ports) it sends from, in its one
   * thread. Default 1. More than one where the server spreads queries by
   * sender (SO_REUSEPORT hashes the source port).
   */
  readonly clients?: number;
  /**
   * Whether a `rate` run prints a line per query (`-v`) for percentiles.
   * Default true. Writing and later parsing a line per query costs dnsperf
   * more CPU than sending it, so a flood meant to reach a high rate goes
   * without, and takes its mean from dnsperf's summary.
   */
  readonly perQueryLines?: boolean;
  /**
   * dnsperf's `-b`: its sockets' buffers, KiB; default the system's. Under a
   * flood its one receiving thread falls behind in bursts, and a small
   * buffer then drops replies the server did send (counted lost).
   */
  readonly bufferKiB?: number;
  /**
   * Cap on `-q` in a `rate` run (default: a quarter second of queries). dnsperf
   * sends slower the more it may keep outstanding: on one core of this
   * machine, flat out, ~70,000 q/s at -q 2,000–10,000, 43,000 at 30,000,
   * 21,000 at 60,000. But lost queries hold their places until the timeout,
   * so the cap also bounds the loss rate it can sustain (cap ÷ timeout).
   */
  readonly maxOutstanding?: number;
  /** Run dnsperf pinned to these CPUs (`taskset -c`, e.g. "1"); default: unpinned. */
  readonly cpus?: string;
}

/**
 * dnsperf's version if it can be run here, else null.
 * `URND_BENCH_DNS_LOADER=node` forces the built-in loader (as on a machine without dnsperf).
 */
export function dnsperfVersion(bin = 'dnsperf'): Promise<string | null> {
  if (process.env.URND_BENCH_DNS_LOADER === 'node') return Promise.resolve(null);
  return new Promise((resolve) => {
    let out = '';
    const c = spawn(bin, ['-h'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const kill = setTimeout(() => c.kill('SIGKILL'), 5000);
    c.stdout?.on('data', (b: Buffer) => (out += b.toString('utf8')));
    c.stderr?.on('data', (b: Buffer) => (out += b.toString('utf8')));
    c.once('error', () => {
      clearTimeout(kill);
      resolve(null);
    });
    c.once('exit', () => {
      clearTimeout(kill);
      resolve(/Version ([\w.]+)/.exec(out)?.[1] ?? 'unknown version');
    });
  });
}

/** Runs dnsperf once and reads its summary (and, at a fixed rate, its per-query latencies). */
export async function runDnsperf(run: DnsperfRun, bin = 'dnsperf'): Promise<LoadResult> {
  const { spec } = run;
  const seconds = spec.durationMs / 1000;
  const passes = String(Math.max(1, Math.ceil(spec.maxQueries / spec.names.length)));
  const args = [
    '-s',
    spec.host,
    '-p',
    String(spec.port),
    '-d',
    run.queryFile,
    '-c',
    String(run.clients ?? 1),
    '-T',
    '1',
    '-t',
    (spec.timeoutMs / 1000).toFixed(3),
  ];
  // Saturation ends at the time limit (-l), with -n (passes over the query
  // file) as a count bound; queries in flight then count as lost. A
  // fixed-rate run ends when its count is sent (-n), and dnsperf waits for
  // the last replies, so "lost" means lost; -l is then only a bound.
  if (spec.mode === 'saturate') args.push('-l', seconds.toFixed(3), '-n', passes, '-q', String(spec.outstanding));
  else
    args.push(
      '-n',
      passes,
      '-l',
      (seconds + 2).toFixed(3),
      '-Q',
      String(spec.rate),
      '-q',
      // A quarter second of queries, but no more than the 16-bit query IDs of
      // its sockets hold, nor than `maxOutstanding`.
      String(
        Math.max(
          100,
          Math.min(Math.ceil(spec.rate / 4), kDnsperfIdsPerSocket * (run.clients ?? 1), run.maxOutstanding ?? Infinity),
        ),
      ),
      ...(run.perQueryLines === false ? [] : ['-v']),
    );
  if (run.bufferKiB !== undefined) args.push('-b', String(run.bufferKiB));
  const command = run.cpus === undefined ? bin : 'taskset';
  const argv = run.cpus === undefined ? args : ['-c', run.cpus, bin, ...args];
  const fd = openSync(run.verboseFile, 'w');
  let stderr = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(command, argv, { stdio: ['ignore', fd, 'pipe'] });
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (s: string) => (stderr += s));
      const kill = setTimeout(() => child.kill('SIGKILL'), spec.durationMs + spec.timeoutMs + 5000);
      child.once('error', (err) => {
        clearTimeout(kill);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(kill);
        if (code === 0) resolve();
        else
          reject(
            new Error(
              `dnsperf ${args.join(' ')}: exit ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' / ')}`,
            ),
          );
      });
    });
  } finally {
    closeSync(fd);
  }
  return parseDnsperf(readFileSync(run.verboseFile, 'utf8'), spec.mode);
}

/** Reads dnsperf's statistics block, and `-v` per-query lines if present, into a LoadResult. */
export function parseDnsperf(text: string, mode: LoadMode): LoadResult {
  const num = (re: RegExp) => {
    const m = re.exec(text);
    return m === null ? Number.NaN : Number(m[1]);
  };
  const sent = num(/Queries sent:\s+(\d+)/);
  const completed = num(/Queries completed:\s+(\d+)/);
  const lost = num(/Queries lost:\s+(\d+)/);
  const seconds = num(/Run time \(s\):\s+([\d.]+)/);
  const qps = num(/Queries per second:\s+([\d.]+)/);
  if (![sent, completed, lost, seconds, qps].every(Number.isFinite))
    throw new Error(`dnsperf: no statistics in its output:\n${text.slice(-2000)}`);
  const rcodes: Record<string, number> = {};
  const codes = /Response codes:\s+(.*)/.exec(text)?.[1] ?? '';
  for (const m of codes.matchAll(/([A-Z]+\d*) (\d+) \(/g)) rcodes[m[1] as string] = Number(m[2]);
  let histogram: string | null = null;
  if (mode === 'rate') {
    const h = latencyHistogram();
    // "> NOERROR www.bench.test A 0.000123": status, name, type, seconds.
    for (const m of text.matchAll(/^> ([A-Z]+) \S+ \S+ ([\d.]+)$/gm))
      h.recordValue(Math.max(1, Math.round(Number(m[2]) * 1e6)));
    histogram = hdr.encodeIntoCompressedBase64(h);
    h.destroy();
  }
  const wrong = completed - (rcodes.NOERROR ?? 0);
  const avgS = num(/Average Latency \(s\):\s+([\d.]+)/);
  return {
    loader: 'dnsperf',
    mode,
    sent,
    completed,
    lost,
    wrong,
    seconds,
    qps,
    histogram,
    loaderCpuPct: null,
    avgLatencyMs: Number.isFinite(avgS) && completed > 0 ? avgS * 1000 : null,
    rcodes,
  };
}
