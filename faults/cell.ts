/**
 * The running fault cell: namespaces (net.ts), the config and targets
 * hosts, the `urnd` role processes and the DNS client, each a real process
 * started with `ip netns exec`. Knows how to kill, stop, restart and
 * measure them, and when the DNS hosts agree with the truth.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { answerCorrect, type QueryRecord, type Resources, Truth } from './invariants.js';
import { buildNetwork, teardownNetwork } from './net.js';
import { PORTS, TARGETS, TIMING, configDocument, type Host, type Topology } from './topology.js';

const DIST = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const CLI = path.join(DIST, 'src', 'cli', 'main.js');
const MAX_LINES = 4000;

/** One process in a namespace, its output lines kept (the newest MAX_LINES, with the time each arrived). */
export class NsProcess {
  readonly child: ChildProcess;
  readonly lines: { t: number; line: string }[] = [];
  stderr = '';
  readonly exited: Promise<void>;
  private buf = '';
  onLine: ((line: string) => void) | undefined;

  constructor(
    readonly name: string,
    ns: string,
    argv: string[],
    stdin: 'pipe' | 'ignore' = 'ignore',
  ) {
    this.child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: [stdin, 'pipe', 'pipe'] });
    this.exited = new Promise((r) => this.child.once('exit', () => r()));
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      this.buf += chunk;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (this.onLine !== undefined) this.onLine(line);
        else {
          this.lines.push({ t: Date.now(), line });
          if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
        }
      }
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (c: string) => {
      if (this.stderr.length < 20_000) this.stderr += c;
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Stopped by SIGSTOP (state T in /proc). */
  get stopped(): boolean {
    try {
      return /^\d+ \(.*\) T/.test(readFileSync(`/proc/${this.pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  }

  async waitForLine(re: RegExp, timeoutMs: number): Promise<void> {
    const t0 = Date.now();
    while (!this.lines.some((l) => re.test(l.line))) {
      if (Date.now() - t0 > timeoutMs || !this.alive)
        throw new Error(
          `${this.name}: no line matching ${re} within ${timeoutMs} ms\n${this.lines
            .slice(-5)
            .map((l) => l.line)
            .join('\n')}\n${this.stderr.slice(-2000)}`,
        );
      await pause(100);
    }
  }

  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.alive) this.child.kill(sig);
  }

  /** Threads, sockets and RSS from /proc (the spawned pid is node itself: `ip netns exec` execs it). */
  resources(): Resources | undefined {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const threads = Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      let sockets = 0;
      for (const fd of readdirSync(`/proc/${this.pid}/fd`)) {
        try {
          if (readlinkSync(`/proc/${this.pid}/fd/${fd}`).startsWith('socket:')) sockets++;
        } catch {
          // closed meanwhile
        }
      }
      return { threads, sockets, rssKb };
    } catch {
      return undefined;
    }
  }
}

function openDescriptors(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** Peer addresses of established TCP connections to `port` inside namespace `ns`. */
function establishedPeers(ns: string, port: number): Set<string> {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'ss', '-Htn', 'state', 'established', `( sport = :${port} )`], {
    encoding: 'utf8',
  });
  const peers = new Set<string>();
  for (const line of (r.stdout ?? '').split('\n')) {
    const peer = line.trim().split(/\s+/)[3];
    if (peer !== undefined) peers.add(peer.slice(0, peer.lastIndexOf(':')));
  }
  return peers;
}

export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class Cell {
  readonly procs = new Map<string, NsProcess>();
  readonly records: QueryRecord[] = [];
  readonly truth = new Truth();
  private client: NsProcess | undefined;
  readonly configUrl: string;

  constructor(readonly topo: Topology) {
    this.configUrl = `http://${topo.config.addr}:${PORTS.config}/cell.yaml`;
  }

  async build(): Promise<void> {
    buildNetwork(this.topo);
    const node = process.execPath;
    const doc = Buffer.from(configDocument(this.topo)).toString('base64');
    const cfg = new NsProcess(
      'config',
      this.topo.config.ns,
      [node, path.join(DIST, 'faults', 'config-server.js'), doc],
      'pipe',
    );
    const tgt = new NsProcess(
      'targets',
      this.topo.targets.ns,
      [node, path.join(DIST, 'faults', 'targets-server.js')],
      'pipe',
    );
    this.procs.set('config', cfg).set('targets', tgt);
    await cfg.waitForLine(/listening/, 10_000);
    await tgt.waitForLine(/listening/, 10_000);
    // Role by role, receivers first: eight node processes starting at once on a
    // shared 2-core machine can starve a DNS process's resolver thread past its start limit.
    for (const role of [this.topo.dns, this.topo.aggregators, this.topo.checkers]) {
      for (const h of role) this.startRole(h);
      await Promise.all(role.map((h) => this.waitStarted(h, 90_000)));
    }
    this.startClient();
  }

  /**
   * Waits for a role's start line; a process that gave up meanwhile (a DNS
   * resolver thread that did not start within its own limit on a busy
   * machine) is started again, twice at most.
   */
  async waitStarted(h: Host, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const p = this.procs.get(h.name) ?? this.startRole(h);
      try {
        await p.waitForLine(/^urnd \w+: .*(vectors to|vectors on|DNS on)/, Math.max(1000, until - Date.now()));
        return;
      } catch (e) {
        if (p.alive || attempt >= 2 || Date.now() >= until) throw e;
        this.startRole(h);
      }
    }
  }

  roleArgs(h: Host): string[] {
    const common = ['--config', this.configUrl];
    if (h.role === 'checker') return ['checker', '--vantage', String(h.index), '--checkers', '1', ...common];
    if (h.role === 'aggregator') return ['aggregator', '--listen', `${h.addr}:${PORTS.vectors}`, ...common];
    return ['dns', ...common];
  }

  startRole(h: Host): NsProcess {
    const p = new NsProcess(h.name, h.ns, [process.execPath, CLI, ...this.roleArgs(h)]);
    this.procs.set(h.name, p);
    return p;
  }

  /** SIGKILL, waiting until it is gone. */
  async kill(h: Host): Promise<void> {
    const p = this.procs.get(h.name);
    if (p === undefined || !p.alive) return;
    p.signal('SIGKILL');
    await p.exited;
  }

  /** Starts every role process that is not running and resumes every stopped one. */
  async reviveAll(): Promise<string[]> {
    const started: string[] = [];
    for (const h of [...this.topo.checkers, ...this.topo.aggregators, ...this.topo.dns]) {
      const p = this.procs.get(h.name);
      if (p !== undefined && p.alive) {
        p.signal('SIGCONT');
        continue;
      }
      this.startRole(h);
      started.push(h.name);
    }
    return started;
  }

  private startClient(): void {
    const c = new NsProcess(
      'client',
      this.topo.client.ns,
      [
        process.execPath,
        path.join(DIST, 'faults', 'dns-client.js'),
        this.topo.dns.map((h) => h.addr).join(','),
        '1800',
      ],
      'pipe',
    );
    c.onLine = (line) => {
      try {
        this.records.push(JSON.parse(line) as QueryRecord);
      } catch {
        // not a record
      }
    };
    this.client = c;
  }

  /** Marks targets down/up (HTTP 503 / 200) and records it as the truth. */
  setTargets(which: readonly number[], up: boolean): void {
    this.procs.get('targets')?.send(`${up ? 'up' : 'down'} ${which.join(' ')}`);
    this.truth.set(Date.now(), which, up);
  }

  /**
   * Resolves with the time every DNS host has answered exactly the truth for
   * `holdMs` (every set seen), or rejects after `timeoutMs`.
   */
  async waitConverged(timeoutMs: number, holdMs = 1500): Promise<number> {
    const t0 = Date.now();
    for (;;) {
      const now = Date.now();
      const since = now - holdMs;
      let ok = true;
      let why = '';
      for (let h = 0; h < this.topo.dns.length && ok; h++) {
        let n = 0;
        for (let i = this.records.length - 1; i >= 0; i--) {
          const r = this.records[i] as QueryRecord;
          if (r.t < since) break;
          if (r.h !== h) continue;
          n++;
          if (r.a === null || !answerCorrect(r, this.truth, 0)) {
            ok = false;
            why = `dns${h} g${r.s} answered ${r.a === null ? 'nothing' : `[${r.a.join(',')}]`} (${r.rc})`;
          }
        }
        if (n < 8) {
          ok = false;
          why = `dns${h}: ${n} answers in ${holdMs} ms`;
        }
      }
      if (ok && now - t0 >= holdMs) return now - t0;
      if (now - t0 > timeoutMs) {
        // The host's own last status line (its table's counts, frames applied and rejected) says why.
        const host = /^dns(\d+)/.exec(why)?.[1];
        const last = host === undefined ? undefined : this.procs.get(`dns${host}`)?.lines.at(-1)?.line;
        throw new Error(
          `DNS hosts did not agree with the targets' health within ${timeoutMs} ms: ${why}${last === undefined ? '' : `; its last status: ${last}`}`,
        );
      }
      await pause(200);
    }
  }

  /**
   * What keeps the cell from being the healthy cell every scenario starts
   * from: a role process dead or stopped, or a push link not established
   * (every checker → every aggregator's vectors port, every aggregator →
   * every DNS host's frames port, seen with `ss` at the receiving host).
   * Empty when whole.
   */
  problems(): string[] {
    const out: string[] = [];
    const targets = this.procs.get('targets');
    if (targets === undefined || !targets.alive) out.push('targets server not running');
    else {
      // Each probe is one connection, closed at once: more than a few hundred descriptors is a leak.
      const fds = openDescriptors(targets.pid);
      if (fds > 1000) out.push(`targets server holds ${fds} descriptors`);
    }
    for (const h of [...this.topo.checkers, ...this.topo.aggregators, ...this.topo.dns]) {
      const p = this.procs.get(h.name);
      if (p === undefined || !p.alive) out.push(`${h.name} not running`);
      else if (p.stopped) out.push(`${h.name} stopped`);
    }
    const links: [Host, number, readonly Host[]][] = [
      ...this.topo.aggregators.map((a): [Host, number, readonly Host[]] => [a, PORTS.vectors, this.topo.checkers]),
      ...this.topo.dns.map((d): [Host, number, readonly Host[]] => [d, PORTS.frames, this.topo.aggregators]),
    ];
    for (const [to, port, from] of links) {
      const peers = establishedPeers(to.ns, port);
      for (const f of from) if (!peers.has(f.addr)) out.push(`${f.name} → ${to.name}:${port} not connected`);
    }
    return out;
  }

  /** Waits until `problems()` is empty; rejects with them after `timeoutMs`. */
  async waitWhole(timeoutMs: number): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      const p = this.problems();
      if (p.length === 0) return;
      if (Date.now() - t0 > timeoutMs) throw new Error(`the cell is not whole after ${timeoutMs} ms: ${p.join(', ')}`);
      await pause(250);
    }
  }

  /** Records from `from` on (the client's records are only ever appended). */
  recordsSince(from: number): QueryRecord[] {
    let i = this.records.length;
    while (i > 0 && (this.records[i - 1] as QueryRecord).t >= from) i--;
    return this.records.slice(i);
  }

  /** Everything down, synchronously: safe from an exit handler. */
  teardown(): void {
    this.client?.signal('SIGKILL');
    for (const p of this.procs.values()) p.signal('SIGKILL');
    teardownNetwork(this.topo);
  }
}

export const ALL_TARGETS: readonly number[] = Array.from({ length: TARGETS }, (_, i) => i);
export { TIMING };
