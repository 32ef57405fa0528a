#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UrndError, ConfigError } from '../errors.js';
import {
  STANDARD_OPTIONS,
  UsageError,
  packageVersion,
  type Command,
  type OptionSpecs,
  type OptionValues,
} from './command.js';
import { COMMANDS } from './commands/index.js';
import { commandHelp, mainHelp } from './help.js';
import { formatLines, LOG_FORMATS, type LogFormat } from '../log/line-format.js';

/** The option table in node:util parseArgs' form. */
function parseArgsOptions(
  options: OptionSpecs,
): Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> {
  const out: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(options)) {
    out[name] = {
      type: spec.type,
      ...(spec.short === undefined ? {} : { short: spec.short }),
      ...(spec.multiple === true ? { multiple: true } : {}),
    };
  }
  return out;
}

/**
 * `--tick-ms -5` as `--tick-ms=-5`: parseArgs refuses a value that starts
 * with a dash as "ambiguous" (three lines, no value named), while joined it
 * reaches the option's own check, which names the option, the value and
 * the range in one line. Only a negative number is joined: `--config
 * --demo` still reads as a missing value.
 */
function joinNegativeValues(args: readonly string[], options: OptionSpecs): string[] {
  const longOf = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type !== 'string') continue;
    longOf.set(`--${name}`, name);
    if (spec.short !== undefined) longOf.set(`-${spec.short}`, name);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const name = longOf.get(arg);
    const next = args[i + 1];
    if (name !== undefined && next !== undefined && /^-[0-9.]/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** A Node system error (ENOENT, EACCES, …): an ordinary failure, reported in one line. */
function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return (
    err instanceof Error &&
    typeof (err as NodeJS.ErrnoException).code === 'string' &&
    typeof (err as NodeJS.ErrnoException).syscall === 'string'
  );
}

/** `cannot open missing.hgrm: no such file or directory (ENOENT)`, from Node's `ENOENT: no such file or directory, open 'missing.hgrm'`. */
function systemErrorLine(err: NodeJS.ErrnoException): string {
  const reason = err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return err.path === undefined
    ? `${err.syscall ?? 'system call'}: ${reason} (${err.code})`
    : `cannot ${err.syscall} ${err.path}: ${reason} (${err.code})`;
}

/** Runs `urnd ARGV…`; resolves to the exit code (0 ok, 1 failed, 2 usage). */
/** `--log-format`, text by default. */
function logFormat(raw: string | boolean | string[] | undefined): LogFormat {
  if (raw === undefined) return 'text';
  if (typeof raw === 'string' && (LOG_FORMATS as readonly string[]).includes(raw)) return raw as LogFormat;
  throw new UrndError('URND_ERR_ARGUMENT', `--log-format: ${JSON.stringify(raw)} is not text or json`);
}

export async function main(
  argv: readonly string[],
  out: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    out(mainHelp(COMMANDS));
    return name === undefined ? 2 : 0;
  }
  if (name === '-v' || name === '--version') {
    out(packageVersion());
    return 0;
  }
  const command: Command | undefined = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    process.stderr.write(`urnd: unknown command "${name}"\n\n${mainHelp(COMMANDS)}\n`);
    return 2;
  }
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: joinNegativeValues(rest, { ...command.options, ...STANDARD_OPTIONS }),
      allowPositionals: command.positionals !== undefined,
      options: parseArgsOptions({ ...command.options, ...STANDARD_OPTIONS }),
      strict: true,
    });
  } catch (err) {
    process.stderr.write(`urnd ${name}: ${(err as Error).message}\n\n${commandHelp(command)}\n`);
    return 2;
  }
  if (parsed.values.help === true) {
    out(commandHelp(command));
    return 0;
  }
  if (parsed.values.version === true) {
    out(packageVersion());
    return 0;
  }
  try {
    // parseArgs was given exactly the command's options, so its values have the command's shape.
    const values = parsed.values as OptionValues<OptionSpecs>;
    // Long-running commands can log one JSON object a line instead of the human lines.
    const write = 'log-format' in command.options ? formatLines(logFormat(values['log-format']), name, out) : out;
    return await command.run({ values, positionals: parsed.positionals }, write);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`urnd ${name}: ${err.message}\n\n${commandHelp(command)}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`urnd ${name}: ${err.message}\n`);
      return 1;
    }
    if (err instanceof UrndError) {
      process.stderr.write(`urnd ${name}: ${err.message} [${err.code}]\n`);
      return 1;
    }
    if (isSystemError(err)) {
      process.stderr.write(`urnd ${name}: ${systemErrorLine(err)}\n`);
      return 1;
    }
    throw err;
  }
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === realpathSync(process.argv[1]);
if (isMain) {
  // A reader that goes away (`urnd validate … | head -1`) is not an error: stop quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
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
