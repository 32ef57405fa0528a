#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UrndError, ConfigError } from '../errors.js';
import { compileConfig } from '../config/compile.js';
import { loadConfigFile } from '../config/load.js';
import { parseListen } from '../config/schema.js';
import { runDemo } from './demo.js';
import { runServe } from './serve.js';

const DEFAULT_CONFIG = fileURLToPath(new URL('../../../examples/demo.yaml', import.meta.url));

const HELP: Record<string, string> = {
  main: `urnd — constant-work health checks and a health-aware DNS resolver core

usage: urnd <command> [options]

commands:
  serve      run a whole cell: checker workers, aggregator, resolver, DNS
  demo       walk the resolver core through health states, in-process
  validate   check a config document and print what it compiles to

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
and stops cleanly on SIGINT/SIGTERM.

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
      allowPositionals: command === 'validate',
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
        ...(command === 'validate' ? { json: { type: 'boolean' } } : {}),
        ...(command === 'serve'
          ? {
              demo: { type: 'boolean' },
              'demo-period': { type: 'string' },
              checkers: { type: 'string' },
              'tick-ms': { type: 'string' },
              duration: { type: 'string' },
              'dns-listen': { type: 'string' },
              'no-dns': { type: 'boolean' },
            }
          : {}),
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
    if (command === 'demo') {
      await runDemo(parsed.values.config ?? DEFAULT_CONFIG, out);
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
    if (parsed.values.json === true) out(JSON.stringify(summary, null, 2));
    else {
      out(`${file}: valid`);
      out(`  cell ${plan.cell.name}, capacity ${plan.cell.capacity} slots (${plan.checks.length} used)`);
      out(`  zones: ${summary.zones.join(', ')}`);
      out(`  ${plan.setCount} record sets, ${plan.answerCount} answers`);
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
