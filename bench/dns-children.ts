/**
 * The processes the DNS benchmark runs — loopback targets, the bare
 * responder, `urnd serve`, the built-in loader — and what it asks of them:
 * their stdout lines, their CPU time, a correctness probe of their answers.
 * Every child is stopped by `stop()` (stdin closed, SIGTERM, SIGKILL after
 * a bound); the scenario calls it in `finally`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import type { LoadResult, LoadSpec } from './dns-load.js';

/** A child process whose stdout is read as lines. */
export class LineChild {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly name: string;
  readonly exited: Promise<number | null>;
  private stderrText = '';
  private buf = '';
  private readonly waiters = new Set<() => void>();

  constructor(name: string, command: string, args: readonly string[]) {
    this.name = name;
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      this.buf += chunk;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 1);
      }
      for (const w of this.waiters) w();
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (s: string) => {
      // Bounded: only the tail matters for an error message.
      this.stderrText = (this.stderrText + s).slice(-4000);
    });
    // stdin closing is how most of them learn to exit; a write after exit must not throw.
    this.child.stdin?.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        for (const w of this.waiters) w();
        resolve(code);
      });
      this.child.once('error', () => resolve(null));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** Resolves with the first line at index ≥ `from` that `match` accepts; rejects after `timeoutMs` or if the child exits. */
  waitForLine(match: (line: string) => boolean, timeoutMs: number, what: string, from = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      let next = from;
      const check = () => {
        for (; next < this.lines.length; next++) {
          const line = this.lines[next] as string;
          if (match(line)) {
            done();
            resolve(line);
            return;
          }
        }
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done();
          reject(
            new Error(
              `${this.name} exited (${this.child.exitCode ?? this.child.signalCode}) while waiting for ${what}: ${this.stderrText.trim().split('\n').slice(-3).join(' / ')}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `${this.name}: no ${what} within ${timeoutMs} ms (last line: ${JSON.stringify(this.lines[this.lines.length - 1] ?? '')})`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** Closes stdin and sends SIGTERM; SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 5000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.stdin?.end();
    this.child.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
    const r = await Promise.race([this.exited, timeout]);
    if (r !== 'timeout') return r;
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

/** A file of dist/bench by its path relative to this module. */
export const here = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));

/** `started`, or, if it rejects, the child stopped and the error passed on: a child that never started properly is not left behind. */
async function stopOnError<T>(proc: LineChild, started: Promise<T>): Promise<T> {
  try {
    return await started;
  } catch (err) {
    await proc.stop();
    throw err;
  }
}

/** What a target does with a connection: answers HTTP 200, refuses it (no listener), or accepts and never answers. */
export type TargetMode = 'answer' | 'refuse' | 'hang';
const MODE_CHAR: Record<TargetMode, string> = { answer: '1', refuse: '0', hang: '2' };

/** `bench/targets-process.ts`: HTTP targets on PREFIX.1 … PREFIX.hosts that can be switched. */
export class Targets {
  private constructor(
    readonly proc: LineChild,
    readonly port: number,
    readonly hosts: number,
  ) {}

  static async start(hosts: number, prefix: string): Promise<Targets> {
    const proc = new LineChild('targets', process.execPath, [here('./targets-process.js'), String(hosts), prefix]);
    const line = await stopOnError(
      proc,
      proc.waitForLine((l) => l.startsWith('{'), 10_000, 'targets port line'),
    );
    return new Targets(proc, (JSON.parse(line) as { port: number }).port, hosts);
  }

  /**
   * Sets what each host does: `up(i)` true answers, false refuses, or a
   * TargetMode. Resolves with the hosts listening once every listener has
   * opened or closed.
   */
  async set(up: (index: number) => boolean | TargetMode): Promise<number> {
    const from = this.proc.lines.length;
    const mode = (i: number): TargetMode => {
      const m = up(i);
      return m === true ? 'answer' : m === false ? 'refuse' : m;
    };
    this.proc.send(`state ${Array.from({ length: this.hosts }, (_, i) => MODE_CHAR[mode(i)]).join('')}`);
    const line = await this.proc.waitForLine((l) => l.startsWith('{'), 10_000, 'targets state reply', from);
    const r = JSON.parse(line) as { up?: number; error?: string };
    if (r.up === undefined) throw new Error(`targets: ${r.error ?? line}`);
    return r.up;
  }
}

/** `bench/workers/dns-bare-responder.ts` on 127.0.0.1, port picked by the OS. */
export async function startBare(): Promise<{ proc: LineChild; port: number }> {
  const proc = new LineChild('bare responder', process.execPath, [
    here('./workers/dns-bare-responder.js'),
    '127.0.0.1',
  ]);
  const line = await stopOnError(
    proc,
    proc.waitForLine((l) => l.startsWith('{'), 10_000, 'bare responder port line'),
  );
  return { proc, port: (JSON.parse(line) as { port: number }).port };
}

/** What a `urnd serve` status line says. */
export interface ServeStatus {
  readonly healthy: number;
  readonly unhealthy: number;
  readonly unknown: number;
  readonly dnsQps: number | null;
  /** Queries shed by the server per second, and datagrams the kernel dropped per second, in that second. */
  readonly shedPerSec: number;
  readonly kernelDropsPerSec: number;
}

const kStatus = /^\[\s*\d+s\] healthy (\d+)\s+unhealthy (\d+)\s+unknown (\d+)/;

export function parseStatus(line: string): ServeStatus | null {
  const m = kStatus.exec(line);
  if (m === null) return null;
  const dns = /\| dns (\d+) q\/s(?: \(([^)]*)\))?$/.exec(line);
  const lost = dns?.[2] ?? '';
  return {
    healthy: Number(m[1]),
    unhealthy: Number(m[2]),
    unknown: Number(m[3]),
    dnsQps: dns === null ? null : Number(dns[1]),
    shedPerSec: Number(/shed (\d+)\/s/.exec(lost)?.[1] ?? 0),
    kernelDropsPerSec: Number(/kernel drops (\d+)\/s/.exec(lost)?.[1] ?? 0),
  };
}

/** `urnd serve --config FILE --dns-listen 127.0.0.1:0` as a child process. */
export class Serve {
  private constructor(
    readonly proc: LineChild,
    readonly port: number,
  ) {}

  static async start(configPath: string, extraArgs: readonly string[] = []): Promise<Serve> {
    const cli = here('../src/cli/main.js');
    const proc = new LineChild('urnd serve', process.execPath, [
      cli,
      'serve',
      '--config',
      configPath,
      '--dns-listen',
      '127.0.0.1:0',
      '--admin',
      'off',
      ...extraArgs,
    ]);
    const line = await stopOnError(
      proc,
      proc.waitForLine(
        (l) => /^urnd serve: DNS on 127\.0\.0\.1:\d+ \(udp\+tcp\)$/.test(l),
        20_000,
        'the DNS start line',
      ),
    );
    return new Serve(proc, Number(/:(\d+) \(udp/.exec(line)?.[1]));
  }

  /** Waits for a status line printed from now on with these counts; returns the ms it took. */
  async waitForStatus(healthy: number, unhealthy: number, timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    await this.proc.waitForLine(
      (l) => {
        const s = parseStatus(l);
        return s !== null && s.healthy === healthy && s.unhealthy === unhealthy && s.unknown === 0;
      },
      timeoutMs,
      `a status line with healthy ${healthy} unhealthy ${unhealthy} unknown 0`,
      this.proc.lines.length,
    );
    return Date.now() - t0;
  }

  /** Status lines printed since line index `from`. */
  statusSince(from: number): ServeStatus[] {
    return this.proc.lines
      .slice(from)
      .map(parseStatus)
      .filter((s): s is ServeStatus => s !== null);
  }
}

/** Runs the built-in loader (bench/workers/dns-loader.ts) as a child process. */
export async function runNodeLoader(spec: LoadSpec): Promise<LoadResult> {
  const proc = new LineChild('node loader', process.execPath, [here('./workers/dns-loader.js'), JSON.stringify(spec)]);
  try {
    const line = await proc.waitForLine(
      (l) => l.startsWith('{'),
      spec.durationMs + spec.timeoutMs + 10_000,
      'the loader result',
    );
    return JSON.parse(line) as LoadResult;
  } finally {
    await proc.stop(2000);
  }
}

let clockTicks: number | null = null;

/** User + system CPU time of a process (all its threads), ms; null where /proc is missing. */
export function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    if (clockTicks === null) {
      try {
        clockTicks =
          Number(
            execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
          ) || 100;
      } catch {
        clockTicks = 100;
      }
    }
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is the 3rd field of the line, utime the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return null;
  }
}

/** One DNS reply: its rcode ('timeout' when none came) and its A addresses. */
export interface Reply {
  readonly rcode: string;
  readonly addrs: string[];
}

/** One UDP A query to 127.0.0.1:port. */
export function ask(port: number, name: string, timeoutMs = 1000): Promise<Reply> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const id = 1 + Math.floor(Math.random() * 65_000);
    const timer = setTimeout(() => {
      socket.close();
      resolve({ rcode: 'timeout', addrs: [] });
    }, timeoutMs);
    socket.on('error', () => {
      // e.g. ICMP port unreachable on a later datagram: the timer answers.
    });
    socket.on('message', (msg) => {
      let reply: dnsPacket.DecodedPacket;
      try {
        reply = dnsPacket.decode(msg);
      } catch {
        return;
      }
      if (reply.id !== id) return;
      clearTimeout(timer);
      socket.close();
      resolve({
        rcode: (reply as { rcode?: string }).rcode ?? 'NOERROR',
        addrs: (reply.answers ?? []).filter((a) => a.type === 'A').map((a) => String((a as { data: unknown }).data)),
      });
    });
    socket.send(
      dnsPacket.encode({ type: 'query', id, flags: 0, questions: [{ type: 'A', name, class: 'IN' }] }),
      port,
      '127.0.0.1',
    );
  });
}

/** One UDP query for `name` A; the addresses answered, or null on a timeout or a non-NOERROR reply. */
export async function askA(port: number, name: string, timeoutMs = 2000): Promise<string[] | null> {
  const r = await ask(port, name, timeoutMs);
  return r.rcode === 'NOERROR' ? r.addrs : null;
}
