import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import dns from 'node:dns';
import { fileURLToPath } from 'node:url';

export { freePort } from '../../bench/free-port.js';

/** The built CLI: role tests run the real `urnd` binary (npm test builds first). */
export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export function requireBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does)`);
}

/** What one finished `urnd` command printed, and its exit code. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `urnd ARGS` to the end. Bounded: a command that hangs instead of
 * finishing is killed after `timeoutMs` (its code is then null) and fails
 * the test that expected an exit.
 */
export function runCli(args: readonly string[], timeoutMs = 15_000): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** A `urnd <role>` process whose stdout lines are kept and can be waited for. */
export class RoleProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];
  private buf = '';

  /** `script`: the CLI to run (default: the built one), as a deployment lays it out. */
  constructor(name: string, args: string[], env: NodeJS.ProcessEnv = {}, script: string = CLI) {
    this.name = name;
    this.child = spawn(process.execPath, [script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      this.buf += chunk;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 1);
      }
      this.wake();
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (c: string) => (this.stderr += c));
    void this.exited.then(() => this.wake());
  }

  /** The first line (from index `from`) matching `re`; rejects after `timeoutMs` with the output so far. */
  async waitForLine(re: RegExp, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
    const t0 = Date.now();
    for (;;) {
      for (let i = from; i < this.lines.length; i++) {
        const m = (this.lines[i] as string).match(re);
        if (m !== null) return m;
      }
      if (Date.now() - t0 > timeoutMs || this.child.exitCode !== null) {
        throw new Error(
          `${this.name}: no line matching ${re} within ${timeoutMs} ms (exit ${String(this.child.exitCode)}${this.child.signalCode === null ? '' : `, killed by ${this.child.signalCode}`})\n${this.lines.slice(-15).join('\n')}\n${this.stderr}`,
        );
      }
      await new Promise<void>((r) => {
        const timer = setTimeout(r, 100);
        this.waiters.push(() => {
          clearTimeout(timer);
          r();
        });
      });
    }
  }

  /** The last line matching `re`, or null. */
  last(re: RegExp): RegExpMatchArray | null {
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const m = (this.lines[i] as string).match(re);
      if (m !== null) return m;
    }
    return null;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child.kill(signal);
  }

  /** SIGTERM, and SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 8000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/**
 * A records of `name` from the DNS server on 127.0.0.1:`port`, sorted, via
 * Node's own stub resolver (dns.promises.Resolver): [] for an empty answer,
 * 'NXDOMAIN' for a name that does not exist, 'ERROR <code>' for anything else.
 */
export async function resolve4(port: number, name: string, host = '127.0.0.1'): Promise<string[] | string> {
  const r = new dns.promises.Resolver({ timeout: 700, tries: 1 });
  r.setServers([`${host}:${port}`]);
  try {
    return (await r.resolve4(name)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENODATA') return [];
    if (code === 'ENOTFOUND') return 'NXDOMAIN';
    return `ERROR ${String(code)}`;
  }
}

/** Polls `resolve4` on every port until each answers `expected`; returns the ms it took, or throws with the last answers. */
export async function waitForAnswers(
  ports: readonly number[],
  name: string,
  expected: string[] | string,
  timeoutMs: number,
): Promise<number> {
  const t0 = Date.now();
  const want = JSON.stringify(expected);
  let last: (string[] | string)[] = [];
  for (;;) {
    last = await Promise.all(ports.map((p) => resolve4(p, name)));
    if (last.every((a) => JSON.stringify(a) === want)) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(
        `${name}: wanted ${want} from ports ${ports.join(', ')} within ${timeoutMs} ms; last answers ${JSON.stringify(last)}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Writes a file the way a control plane should: whole, to a temporary name, then renamed over the old one. */
export function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** `secondsSinceLastGood` from the last `urnd dns` status line, or null (no line yet, or "none yet"). */
export function dnsStaleness(p: RoleProcess): number | null {
  const line = p.last(/^\[\s*\d+s\] frames: .*/);
  const m = line?.[0].match(/frames: last good ([\d.]+) s ago/);
  return m === null || m === undefined ? null : Number(m[1]);
}
