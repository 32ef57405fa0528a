#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UrndError, ConfigError } from '../errors.js';
import { compileConfig } from '../config/compile.js';
import { loadConfigFile } from '../config/load.js';
import { parseListen } from '../config/schema.js';
import { runDemo } from './demo.js';
import { runReport } from './report.js';
import { runServe } from './serve.js';
import { runStatus } from './status.js';
import { runExplain } from './explain.js';
import { formatLines, LOG_FORMATS, type LogFormat } from '../log/line-format.js';
import { runChecker } from '../roles/checker-role.js';
import { runAggregator } from '../roles/aggregator-role.js';
import { runDns } from '../roles/dns-role.js';
import { formatEndpoint } from '../roles/plan-change.js';
import { ADMIN_DEFAULT_PORTS, parseAdminListen, type AdminRole } from '../admin/admin.js';

const DEFAULT_CONFIG = fileURLToPath(new URL('../../../examples/demo.yaml', import.meta.url));

const HELP: Record<string, string> = {
  main: `urnd — constant-work health checks and a health-aware DNS resolver core

usage: urnd <command> [options]

commands:
  serve       run a whole cell: checker workers, aggregator, resolver, DNS
  checker     one vantage point: probe every check, push the observations
  aggregator  merge vantage points' observations, vote, push status frames
  dns         answer DNS from the status frames an aggregator pushes
  demo        walk the resolver core through health states, in-process
  validate    check a config document and print what it compiles to
  report      tables and plots from saved latency histograms (.hgrm)
  status      what a running process sees: readiness, checks, record sets
  explain     why each address of a name is in or out (live or offline)

options:
  -h, --help     help for urnd or a command (urnd <command> --help)
  -v, --version  print the version

Run \`urnd <command> --help\` for a command's options.`,
  serve: `usage: urnd serve [--config FILE] [--demo] [options]

Runs a whole cell in one process: checker worker threads probe every check
on its fixed schedule, the aggregator turns their observations into the
status table once a tick, and a resolver worker thread answers DNS from it
over UDP and TCP on the config's dns.listen (default 127.0.0.1:5353).
Prints a status line every second (healthy / unhealthy / unknown counts,
tick time, probes per second, last status change, DNS queries per second)
and stops cleanly on SIGINT/SIGTERM. Every config interval it fetches the
whole document again and applies it, changed or not; a document that cannot
be read or is invalid is rejected whole ("config rejected, keeping …") and
the last good one stays. With dns.workers: N it answers DNS from N processes
sharing dns.listen (UDP and TCP), fed the cell's status frames.

options:
  -c, --config FILE      config document (YAML or JSON); default: the
                         bundled examples/demo.yaml
      --demo             also start loopback HTTP targets for the config's
                         checks (127.x.x.x / ::1 only) and, every
                         --demo-period seconds, take every other one down
                         or bring it back, so statuses and answers change
      --demo-period SEC  seconds between demo flips (default 15)
      --checkers N       checker worker threads (default: min(2, cores))
      --tick-ms MS       aggregator tick (default 1000)
      --duration SEC     stop after SEC seconds (default: run until a signal)
      --dns-listen HOST:PORT
                         answer DNS here instead of the config's dns.listen
                         (IPv6 in brackets: [::1]:5353; port 0: the OS
                         picks, and the start line says which)
      --no-dns           do not answer DNS (checks and statuses only)
      --config-interval SEC
                         fetch and apply the whole document this often
                         (default: the config's configInterval, 5 s)
      --admin HOST[:PORT]|off
                         admin HTTP listener: the live page at /, and
                         /metrics /healthz /readyz /status /explain /table;
                         HOST alone: port ${ADMIN_DEFAULT_PORTS.serve}; default
                         127.0.0.1:${ADMIN_DEFAULT_PORTS.serve} (off: none)
      --lameduck SEC     on SIGTERM/SIGINT, first answer /readyz 503 for
                         SEC seconds while still serving, then stop
                         (default 0; a second signal stops at once)
      --log-format text|json
                         text: the human lines (default); json: one
                         object a line (time, level, role, kind, msg)
  -h, --help             this help`,
  checker: `usage: urnd checker --config FILE|URL --vantage N [options]

One vantage point. Checker worker threads probe every probe check of the
config on its fixed schedule; once a tick (aggregator.tick) the whole
observation vector is pushed, as one frame stamped with the vantage number,
to every aggregator (checker.aggregators, default aggregator.listen). It
computes no status and answers no DNS. Follows the config like every node.

options:
  -c, --config FILE|URL  config document (YAML or JSON), file or http(s) URL
      --vantage N        this vantage point's row at the aggregators,
                         0 to aggregator.vantages - 1 (default 0)
      --aggregator HOST:PORT
                         push here instead of checker.aggregators (repeat
                         for several aggregators)
      --checkers N       checker worker threads (default: min(2, cores))
      --tick-ms MS       push period (default: the config's aggregator.tick)
      --config-interval SEC
                         fetch and apply the whole document this often
                         (default: the config's configInterval, 5 s)
      --duration SEC     stop after SEC seconds (default: run until a signal)
      --admin HOST[:PORT]
                         admin HTTP listener (/metrics /healthz /readyz
                         /status /explain); HOST alone: port ${ADMIN_DEFAULT_PORTS.checker}; off by
                         default (see the README's Operating section)
      --lameduck SEC     on SIGTERM/SIGINT, first answer /readyz 503 for
                         SEC seconds while still serving, then stop
                         (default 0; a second signal stops at once)
      --log-format text|json
                         text: the human lines (default); json: one
                         object a line (time, level, role, kind, msg)
  -h, --help             this help`,
  aggregator: `usage: urnd aggregator --config FILE|URL [options]

Listens for the checkers' observation vectors (aggregator.listen), one row
per vantage point (aggregator.vantages), and once a tick votes over every
slot and pushes the whole status table, as one frame, to every DNS process
in aggregator.subscribers. A vantage whose vectors stop just stops changing
its row. After a start it sends no status frames until every vantage has
reported (or aggregator.warmup has passed), so DNS servers keep their last
good table meanwhile. Follows the config like every node.

options:
  -c, --config FILE|URL  config document (YAML or JSON), file or http(s) URL
      --listen HOST:PORT vectors here instead of aggregator.listen (port 0:
                         the OS picks, and the start line says which)
      --local-checks     also probe every check in this process, as vantage 0
                         (remote checkers then use 1 and up)
      --checkers N       checker worker threads for --local-checks
      --tick-ms MS       aggregator tick (default: the config's aggregator.tick)
      --config-interval SEC
                         fetch and apply the whole document this often
                         (default: the config's configInterval, 5 s)
      --duration SEC     stop after SEC seconds (default: run until a signal)
      --admin HOST[:PORT]
                         admin HTTP listener (live page at /, /metrics
                         /healthz /readyz /status /explain); HOST alone:
                         port ${ADMIN_DEFAULT_PORTS.aggregator}; off by
                         default (see the README's Operating section)
      --lameduck SEC     on SIGTERM/SIGINT, first answer /readyz 503 for
                         SEC seconds while still serving, then stop
                         (default 0; a second signal stops at once)
      --log-format text|json
                         text: the human lines (default); json: one
                         object a line (time, level, role, kind, msg)
  -h, --help             this help`,
  dns: `usage: urnd dns --config FILE|URL [options]

Answers DNS (UDP and TCP) from the status frames the aggregators push to
dns.framesListen. It runs no checks: when frames stop or go bad it keeps
answering from its last good table, and its status line says how stale it
is (seconds since the last good frame, sequence lag) and counts rejected
frames by reason. Follows the config (records, zones, key) like every node.

options:
  -c, --config FILE|URL  config document (YAML or JSON), file or http(s) URL
      --frames-listen HOST:PORT
                         status frames here instead of dns.framesListen
                         (port 0: the OS picks, and the start line says which)
      --dns-listen HOST:PORT
                         answer DNS here instead of dns.listen
      --workers N        N DNS processes sharing the DNS address (UDP and
                         TCP; the kernel spreads queries and connections
                         over them), each fed every frame by this process
                         (default: the config's dns.workers, 1)
      --config-interval SEC
                         fetch and apply the whole document this often
                         (default: the config's configInterval, 5 s)
      --duration SEC     stop after SEC seconds (default: run until a signal)
      --admin HOST[:PORT]
                         admin HTTP listener (live page at /, /metrics
                         /healthz /readyz /status /explain); HOST alone:
                         port ${ADMIN_DEFAULT_PORTS.dns}; off by
                         default (see the README's Operating section)
      --lameduck SEC     on SIGTERM/SIGINT, first answer /readyz 503 for
                         SEC seconds while still serving, then stop
                         (default 0; a second signal stops at once)
      --log-format text|json
                         text: the human lines (default); json: one
                         object a line (time, level, role, kind, msg)
  -h, --help             this help`,
  demo: `usage: urnd demo [--config FILE]

Loads a config, compiles it, and walks the resolver core through health
states by hand: no results yet, all healthy, every other target down, all
down; explains one name; then routes a real http.request through
createLookup to two loopback servers, before and after the primary fails.

options:
  -c, --config FILE  config document (YAML or JSON); default: the bundled
                     examples/demo.yaml
  -h, --help         this help`,
  validate: `usage: urnd validate [--config] FILE [--json]

Parses, validates and compiles a config document. Prints a summary and
exits 0 when it is valid; prints every problem, each as "path: what", and
exits 1 when it is not.

options:
  -c, --config FILE  the document (or give it as the only argument)
      --json         print the summary as JSON
  -h, --help         this help`,
  status: `usage: urnd status [--admin HOST[:PORT]] [--all] [--json]

Asks a running urnd process (started with --admin) for its /status page
and prints a summary: role, cell, config version, readiness, how old its
table is, checks by status with every check that is not healthy, and every
record set with an unhealthy answer.

options:
      --admin HOST[:PORT]  the process's admin address (default
                           127.0.0.1:${ADMIN_DEFAULT_PORTS.serve}; HOST alone: port ${ADMIN_DEFAULT_PORTS.serve})
      --all                list every check and record set
      --json               print the /status page as it is
  -h, --help               this help`,
  explain: `usage: urnd explain NAME [TYPE] [--admin HOST[:PORT] | -c FILE] [--json]

Why each candidate answer of NAME (TYPE A or AAAA; default both) is in or
out: its check, the check's status, whether a query now could return it and
why. Asks a running process's admin listener (/explain), or with -c reads a
config document offline (every check unknown, as before the first probe).

options:
      --admin HOST[:PORT]  the process's admin address (default
                           127.0.0.1:${ADMIN_DEFAULT_PORTS.serve})
  -c, --config FILE|URL    explain from this document instead, offline
      --json               print the explanation as JSON
  -h, --help               this help`,
  report: `usage: urnd report FILE.hgrm… [--svg OUT.svg] [--title TEXT] [--unit UNIT]

Reads latency histograms saved as HdrHistogram percentile distributions
(.hgrm, as npm run bench writes under results/) and prints a markdown table
of count, p50, p99, p99.9 and max per file, with each file's p99 and p99.9
as a ratio to the first file's. With --svg, also writes their percentile
curves overlaid.

options:
      --svg FILE     write an SVG plot of the curves to FILE
      --title TEXT   the plot's title (default "Latency by percentile")
      --unit UNIT    the values' unit, for labels (default "ms")
  -h, --help         this help`,
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: readonly string[], out: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    out(HELP.main as string);
    return command === undefined ? 2 : 0;
  }
  if (command === '-v' || command === '--version') {
    out(version());
    return 0;
  }
  if (!(command in HELP) || command === 'main') {
    process.stderr.write(`urnd: unknown command "${command}"\n\n${HELP.main as string}\n`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      allowPositionals: command === 'validate' || command === 'report' || command === 'explain',
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
        ...COMMAND_OPTIONS[command],
      },
      strict: true,
    });
  } catch (err) {
    process.stderr.write(`urnd ${command}: ${(err as Error).message}\n\n${HELP[command] as string}\n`);
    return 2;
  }
  if (parsed.values.help === true) {
    out(HELP[command] as string);
    return 0;
  }
  try {
    const v = parsed.values as Record<string, string | boolean | undefined>;
    if (command === 'serve' || command === 'checker' || command === 'aggregator' || command === 'dns') out = formatLines(logFormat(v), command, out);
    if (command === 'demo') {
      await runDemo(parsed.values.config ?? DEFAULT_CONFIG, out);
      return 0;
    }
    if (command === 'status') {
      await runStatus({ admin: parseAdminListen(typeof v.admin === 'string' ? v.admin : '127.0.0.1', 'serve') as { host: string; port: number }, json: v.json === true, all: v.all === true }, out);
      return 0;
    }
    if (command === 'explain') {
      const [name, type, ...more] = parsed.positionals;
      if (name === undefined || more.length > 0) {
        process.stderr.write(`urnd explain: give NAME and optionally TYPE\n\n${HELP.explain as string}\n`);
        return 2;
      }
      if (parsed.values.config !== undefined && v.admin !== undefined) throw new UrndError('URND_ERR_ARGUMENT', '--admin and --config: give one or the other');
      await runExplain(
        {
          name,
          type,
          config: parsed.values.config ?? null,
          admin: parsed.values.config === undefined ? parseAdminListen(typeof v.admin === 'string' ? v.admin : '127.0.0.1', 'serve') : null,
          json: v.json === true,
        },
        out,
      );
      return 0;
    }
    if (command === 'report') {
      if (parsed.positionals.length === 0) {
        process.stderr.write(`urnd report: give at least one .hgrm file\n\n${HELP.report as string}\n`);
        return 2;
      }
      await runReport(
        {
          files: parsed.positionals,
          ...(typeof v.svg === 'string' ? { svg: v.svg } : {}),
          title: typeof v.title === 'string' ? v.title : 'Latency by percentile',
          unit: typeof v.unit === 'string' ? v.unit : 'ms',
        },
        out,
      );
      return 0;
    }
    if (command === 'checker' || command === 'aggregator' || command === 'dns') {
      const configSource = parsed.values.config;
      if (configSource === undefined) throw new UrndError('URND_ERR_ARGUMENT', '--config FILE|URL is required');
      const common = {
        configSource,
        ...optionalField('configIntervalMs', optionalSeconds(v, 'config-interval', 0.1, 3600)),
        statusEverySec: 1,
        durationSec: optionalNumber(v, 'duration', 0, 31_536_000) ?? 0,
        ...operating(v, command),
      };
      if (command === 'checker') {
        const vantage = optionalNumber(v, 'vantage', 0, 63) ?? 0;
        if (!Number.isInteger(vantage)) throw new UrndError('URND_ERR_ARGUMENT', `--vantage: ${vantage} is not a whole number`);
        const aggregators = (parsed.values as { aggregator?: string[] }).aggregator?.map((a) => requireListen('aggregator', a, false));
        await runChecker(
          {
            ...common,
            vantage,
            ...optionalField('aggregators', aggregators),
            ...optionalField('checkers', optionalNumber(v, 'checkers', 1, 64)),
            ...optionalField('tickMs', optionalNumber(v, 'tick-ms', 10, 60_000)),
          },
          out,
        );
      } else if (command === 'aggregator') {
        await runAggregator(
          {
            ...common,
            localChecks: v['local-checks'] === true,
            ...optionalField('listen', optionalListen(v, 'listen')),
            ...optionalField('checkers', optionalNumber(v, 'checkers', 1, 64)),
            ...optionalField('tickMs', optionalNumber(v, 'tick-ms', 10, 60_000)),
          },
          out,
        );
      } else {
        const workers = optionalNumber(v, 'workers', 1, 64);
        if (workers !== undefined && !Number.isInteger(workers)) throw new UrndError('URND_ERR_ARGUMENT', `--workers: ${workers} is not a whole number`);
        await runDns(
          {
            ...common,
            ...optionalField('framesListen', optionalListen(v, 'frames-listen')),
            ...optionalField('dnsListen', optionalListen(v, 'dns-listen')),
            ...optionalField('workers', workers),
          },
          out,
        );
      }
      return 0;
    }
    if (command === 'serve') {
      const checkers = optionalNumber(v, 'checkers', 1, 64);
      const tickMs = optionalNumber(v, 'tick-ms', 10, 60_000);
      const dnsListen = optionalListen(v, 'dns-listen');
      if (dnsListen !== undefined && v['no-dns'] === true) {
        throw new UrndError('URND_ERR_ARGUMENT', '--dns-listen and --no-dns: give one or the other');
      }
      await runServe(
        {
          configPath: parsed.values.config ?? DEFAULT_CONFIG,
          demo: v.demo === true,
          ...(checkers === undefined ? {} : { checkers }),
          ...(tickMs === undefined ? {} : { tickMs }),
          demoPeriodSec: optionalNumber(v, 'demo-period', 1, 3600) ?? 15,
          durationSec: optionalNumber(v, 'duration', 0, 31_536_000) ?? 0,
          statusEverySec: 1,
          dns: v['no-dns'] !== true,
          ...(dnsListen === undefined ? {} : { dnsListen }),
          ...optionalField('configIntervalMs', optionalSeconds(v, 'config-interval', 0.1, 3600)),
          ...operating(v, 'serve'),
        },
        out,
      );
      return 0;
    }
    const file = parsed.values.config ?? parsed.positionals[0];
    if (file === undefined || parsed.positionals.length > (parsed.values.config === undefined ? 1 : 0)) {
      process.stderr.write(`urnd validate: give exactly one config file\n\n${HELP.validate as string}\n`);
      return 2;
    }
    const plan = compileConfig(await loadConfigFile(file));
    const summary = {
      file,
      cell: plan.cell,
      version: plan.version,
      checks: plan.checks.length,
      zones: plan.zones.map((z) => z.origin),
      recordSets: plan.setCount,
      answers: plan.answerCount,
    };
    if (v.json === true) out(JSON.stringify(summary, null, 2));
    else {
      out(`${file}: valid`);
      out(`  cell ${plan.cell.name}, capacity ${plan.cell.capacity} slots (${plan.checks.length} used)`);
      out(`  zones: ${summary.zones.join(', ')}`);
      out(`  ${plan.setCount} record sets, ${plan.answerCount} answers`);
      const list = (l: readonly { host: string; port: number }[]) => (l.length === 0 ? 'none' : l.map(formatEndpoint).join(', '));
      const a = plan.aggregator;
      out(`  aggregator: vectors on ${a.listen === null ? '(--listen)' : formatEndpoint(a.listen)}, ${a.vantages} vantage points, tick ${a.tickMs} ms, status frames to ${list(a.subscribers)}`);
      out(`  checkers push to ${list(plan.checker.aggregators)}; dns frames on ${plan.dns.framesListen === null ? '(--frames-listen)' : formatEndpoint(plan.dns.framesListen)}, ${plan.dns.workers} DNS process(es)`);
      const f = plan.frames;
      out(`  frame key: ${f.keyFile !== null ? `file ${f.keyFile}` : f.keyEnv !== null ? `environment variable ${f.keyEnv}` : f.key !== null ? 'inline (in the document)' : 'none (CRC32C only)'}; config every ${plan.configIntervalMs / 1000} s`);
      out(`  plan version ${plan.version}`);
    }
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`urnd ${command}: ${err.message}\n`);
      return 1;
    }
    if (err instanceof UrndError) {
      process.stderr.write(`urnd ${command}: ${err.message} [${err.code}]\n`);
      return 1;
    }
    throw err;
  }
}

/** Options of each command besides --config and --help (parseArgs form). */
const COMMAND_OPTIONS: Record<string, Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>> = {
  validate: { json: { type: 'boolean' } },
  demo: {},
  status: { admin: { type: 'string' }, json: { type: 'boolean' }, all: { type: 'boolean' } },
  explain: { admin: { type: 'string' }, json: { type: 'boolean' } },
  report: { svg: { type: 'string' }, title: { type: 'string' }, unit: { type: 'string' } },
  serve: {
    demo: { type: 'boolean' },
    'demo-period': { type: 'string' },
    checkers: { type: 'string' },
    'tick-ms': { type: 'string' },
    duration: { type: 'string' },
    'dns-listen': { type: 'string' },
    'no-dns': { type: 'boolean' },
    'config-interval': { type: 'string' },
    admin: { type: 'string' },
    lameduck: { type: 'string' },
    'log-format': { type: 'string' },
  },
  checker: {
    vantage: { type: 'string' },
    aggregator: { type: 'string', multiple: true },
    checkers: { type: 'string' },
    'tick-ms': { type: 'string' },
    'config-interval': { type: 'string' },
    duration: { type: 'string' },
    admin: { type: 'string' },
    lameduck: { type: 'string' },
    'log-format': { type: 'string' },
  },
  aggregator: {
    listen: { type: 'string' },
    'local-checks': { type: 'boolean' },
    checkers: { type: 'string' },
    'tick-ms': { type: 'string' },
    'config-interval': { type: 'string' },
    duration: { type: 'string' },
    admin: { type: 'string' },
    lameduck: { type: 'string' },
    'log-format': { type: 'string' },
  },
  dns: {
    'frames-listen': { type: 'string' },
    'dns-listen': { type: 'string' },
    workers: { type: 'string' },
    'config-interval': { type: 'string' },
    duration: { type: 'string' },
    admin: { type: 'string' },
    lameduck: { type: 'string' },
    'log-format': { type: 'string' },
  },
};

/** `--log-format`, text by default. */
function logFormat(values: Record<string, string | boolean | undefined>): LogFormat {
  const raw = values['log-format'];
  if (raw === undefined) return 'text';
  if (typeof raw === 'string' && (LOG_FORMATS as readonly string[]).includes(raw)) return raw as LogFormat;
  throw new UrndError('URND_ERR_ARGUMENT', `--log-format: ${JSON.stringify(raw)} is not text or json`);
}

/** `--admin` and `--lameduck`, as every long-running command takes them. */
function operating(values: Record<string, string | boolean | undefined>, role: AdminRole): { admin: { host: string; port: number } | null; lameduckSec: number } {
  const raw = values.admin;
  return {
    // serve is the one-process cell a person starts by hand: its page is on by default; the other roles run several to a host.
    admin: parseAdminListen(typeof raw === 'string' ? raw : role === 'serve' ? '127.0.0.1' : undefined, role),
    lameduckSec: optionalNumber(values, 'lameduck', 0, 3600) ?? 0,
  };
}

/** `{ [name]: value }`, or nothing when the value is undefined (exactOptionalPropertyTypes-friendly spreading). */
function optionalField<K extends string, T>(name: K, value: T | undefined): { [P in K]?: T } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: T };
}

/** A duration option given in seconds → ms, or undefined when absent. */
function optionalSeconds(values: Record<string, string | boolean | undefined>, name: string, min: number, max: number): number | undefined {
  const sec = optionalNumber(values, name, min, max);
  return sec === undefined ? undefined : Math.round(sec * 1000);
}

/** A HOST:PORT value (IPv6 in brackets); port 0 only where `anyPort`. */
function requireListen(name: string, raw: string, anyPort: boolean): { host: string; port: number } {
  const parsed = optionalListen({ [name]: raw }, name);
  if (parsed === undefined || (!anyPort && parsed.port === 0)) {
    throw new UrndError('URND_ERR_ARGUMENT', `--${name}: ${JSON.stringify(raw)} is not an IP address and port such as 127.0.0.1:7000 or [::1]:7000`);
  }
  return parsed;
}

/** A numeric option within [min, max], or undefined when absent; a clear error otherwise. */
function optionalNumber(values: Record<string, string | boolean | undefined>, name: string, min: number, max: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UrndError('URND_ERR_ARGUMENT', `--${name}: ${JSON.stringify(raw)} is not a number from ${min} to ${max}`);
  }
  return n;
}

/** A HOST:PORT option (IPv6 in brackets; port 0 lets the OS pick), or undefined when absent; a clear error otherwise. */
function optionalListen(values: Record<string, string | boolean | undefined>, name: string): { host: string; port: number } | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  // parseListen takes ports 1..65535; port 0 is for tests and tools that read the port back.
  const anyPort = typeof raw === 'string' && raw.endsWith(':0');
  const parsed = typeof raw === 'string' ? parseListen(anyPort ? `${raw.slice(0, -1)}1` : raw) : null;
  if (parsed === null) {
    throw new UrndError('URND_ERR_ARGUMENT', `--${name}: ${JSON.stringify(raw)} is not an IP address and port such as 127.0.0.1:5353 or [::1]:5353`);
  }
  return anyPort ? { host: parsed.host, port: 0 } : parsed;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === (await import('node:fs')).realpathSync(process.argv[1]);
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`urnd: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
