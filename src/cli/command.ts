import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * One definition per command: its options (with defaults and help), its
 * description and how it runs. `--help`, argument parsing (node:util
 * parseArgs) and the README's option tables are all derived from it, so an
 * option cannot be parsed without being documented, or the other way round.
 */

/** One `--name` option of a command. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** One-letter alias (`-c`). */
  readonly short?: string;
  /** May be given more than once; the values arrive as an array. */
  readonly multiple?: boolean;
  /** The value's placeholder in help and README (`FILE`, `HOST:PORT`); string options only. */
  readonly value?: string;
  /** The default as help and README show it ("required", "off", "15"); the command applies it. */
  readonly default: string;
  /** What it does, one sentence or two, no trailing period. */
  readonly help: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** What parseArgs hands a command for its options `O`. */
export type OptionValues<O extends OptionSpecs> = {
  readonly [K in keyof O]?: O[K] extends { type: 'boolean' }
    ? boolean
    : O[K] extends { multiple: true }
      ? string[]
      : string;
};

/** A command's parsed arguments. */
export interface CommandInput<O extends OptionSpecs> {
  readonly values: OptionValues<O>;
  readonly positionals: readonly string[];
}

export interface Command<O extends OptionSpecs = OptionSpecs> {
  readonly name: string;
  /** One line for `urnd --help`'s command list. */
  readonly summary: string;
  /** The usage line after `usage: `, e.g. `urnd serve [--config FILE] [options]`. */
  readonly usage: string;
  /** The paragraph `urnd NAME --help` prints above the options. */
  readonly description: string;
  readonly options: O;
  /** Operands after the options, if the command takes any (e.g. `FILE.hgrm…`). */
  readonly positionals?: string;
  /** Runs the command; resolves to the exit code. Errors it throws are reported by main. */
  run(input: CommandInput<O>, write: (line: string) => void): Promise<number>;
}

/** Types a command definition (keeps its option names for `values`). */
export function defineCommand<const O extends OptionSpecs>(command: Command<O>): Command<O> {
  return command;
}

/** Every command takes these; main handles them before `run`. */
export const STANDARD_OPTIONS = {
  help: { type: 'boolean', short: 'h', default: 'off', help: 'print this help' },
  version: { type: 'boolean', short: 'v', default: 'off', help: 'print the version' },
} as const satisfies OptionSpecs;

/** `--config` as serve, demo and validate take it: a file, defaulting to the bundled demo. */
export const CONFIG_FILE_OPTION = {
  type: 'string',
  short: 'c',
  value: 'FILE',
  default: '`examples/demo.yaml`',
  help: 'config document (YAML or JSON)',
} as const satisfies OptionSpec;

/** Options every separate role (checker, aggregator, dns) takes the same way. */
export const ROLE_OPTIONS = {
  config: {
    type: 'string',
    short: 'c',
    value: 'FILE|URL',
    default: 'required',
    help: 'config document (YAML or JSON), a file or an http(s) URL',
  },
  'config-interval': {
    type: 'string',
    value: 'SEC',
    default: "the config's `configInterval`, 5 s",
    help: 'fetch and apply the whole document this often',
  },
  duration: { type: 'string', value: 'SEC', default: 'until a signal', help: 'stop after SEC seconds' },
} as const satisfies OptionSpecs;

/**
 * Options every long-running command (serve and the three roles) takes: the
 * admin listener, lameduck and the log format. main applies `--log-format`
 * to the command's output; the command passes the rest on (`operating()`).
 */
export const OPERATING_OPTIONS = {
  admin: {
    type: 'string',
    value: 'HOST[:PORT]',
    default: 'admin.listen, else off (serve: 127.0.0.1:9530)',
    help: "admin HTTP listener (live page, /metrics /healthz /readyz /status /explain); HOST alone: the role's port (9530–9533: serve, checker, aggregator, dns); `off`: none",
  },
  lameduck: {
    type: 'string',
    value: 'SEC',
    default: '0',
    help: 'on SIGTERM/SIGINT, first answer /readyz 503 for SEC seconds while still serving, then stop (a second signal stops at once)',
  },
  'log-format': {
    type: 'string',
    value: 'text|json',
    default: 'text',
    help: 'text: the human lines; json: one object a line (time, level, role, kind, msg)',
  },
} as const satisfies OptionSpecs;

/** The package's folder: the nearest above this file with a package.json (it runs compiled from dist/src/cli, and from src/cli in tests). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

const ROOT = packageRoot();

/** The bundled demo config: serve's and demo's default. */
export const DEMO_CONFIG = path.join(ROOT, 'examples', 'demo.yaml');

/** The package's version, for --version. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Wrong operands for a command: main prints the message and the command's help, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
