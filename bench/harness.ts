import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What a scenario gets from the runner. */
export interface BenchContext {
  /** Smaller sizes, same code paths (`--quick`). */
  readonly quick: boolean;
  /** Folder results go to (`results/` unless `--out`). */
  readonly outDir: string;
  /** A progress line for the person watching. */
  log(message: string): void;
  /** Writes `name` under outDir and returns its path relative to outDir. */
  writeFile(name: string, contents: string): string;
}

/** A headline figure, kept in summary.json under `<scenario>.<key>`. */
export type Figure = number | string | boolean | null;

/** What a scenario returns. */
export interface ScenarioResult {
  /** Headline figures under stable keys. */
  readonly summary: Record<string, Figure>;
  /** The scenario's section of REPORT.md (markdown, starting at a `###` heading). */
  readonly markdown: string;
  /** Everything else worth keeping, written to `<scenario>.json`. */
  readonly details: unknown;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Rough seconds it takes, for the progress line. */
  estimateSeconds(quick: boolean): number;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}

/** Where the package root is, from dist/bench/ or bench/. */
export const ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  fileURLToPath(import.meta.url).includes(`${path.sep}dist${path.sep}`) ? '../..' : '..',
);

/** The machine, versions and command a run was made with. */
export function environment(argv: readonly string[]): Record<string, string | number> {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const versions: Record<string, string> = {};
  for (const name of [...Object.keys(pkg.dependencies ?? {}), 'tinybench']) {
    try {
      versions[name] = (
        JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
      ).version;
    } catch {
      versions[name] = 'not installed';
    }
  }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    // What the suite writes itself (results/, the README table) is not the
    // code measured: a run after an uncommitted run would flag itself.
    const dirty = execFileSync(
      'git',
      ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!results', ':!README.md'],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    ).trim();
    if (dirty !== '') commit += ' (with uncommitted changes)';
  } catch {
    // not a git checkout: leave "unknown"
  }
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    command: `node ${argv.join(' ')}`,
    commit,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    ...Object.fromEntries(Object.entries(versions).map(([k, v]) => [`pkg:${k}`, v])),
  };
}

export function makeContext(quick: boolean, outDir: string, log: (m: string) => void): BenchContext {
  mkdirSync(outDir, { recursive: true });
  return {
    quick,
    outDir,
    log,
    writeFile(name, contents) {
      const file = path.join(outDir, name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, contents);
      return name;
    },
  };
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** A markdown table from a header and rows. */
export function markdownTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A number with a fixed count of significant-ish decimals for reports. */
export function fmt(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

/**
 * CPU time the hypervisor gave to other guests ("steal", all CPUs, ms) since
 * boot, from /proc/stat; null where there is none. The difference over a
 * run says how much of it the machine itself lost: on this VM it comes in
 * stalls of milliseconds, which a latency tail cannot tell from our own.
 */
export function stealMs(): number | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]?.trim().split(/\s+/) ?? [];
    const ticks = Number(fields[8]);
    return Number.isFinite(ticks) ? ticks * 10 : null; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}
