import path from 'node:path';

/** What `npm run bench` and `npm run faults` take: `--quick`, `--only NAME[,NAME…]`, `--out DIR`. */
export interface SuiteArgs {
  quick: boolean;
  only: string[];
  outDir: string;
  /** Whether `--out` was given (a quick benchmark run then writes where it says). */
  outGiven: boolean;
}

/**
 * Parses a suite's arguments; a wrong one prints `PROG: why` and the usage,
 * exit 2; `--help` prints the usage, exit 0.
 */
export function parseSuiteArgs(
  argv: readonly string[],
  prog: string,
  usage: string,
  names: readonly string[],
  defaultOut: string,
): SuiteArgs {
  const fail = (message: string): never => {
    process.stderr.write(`${prog}: ${message}\n\n${usage}`);
    process.exit(2);
  };
  const args: SuiteArgs = { quick: false, only: [], outDir: defaultOut, outGiven: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--quick') args.quick = true;
    else if (a === '--only' || a === '--out') {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      else if (a === '--only') args.only.push(...v.split(','));
      else {
        args.outDir = path.resolve(v);
        args.outGiven = true;
      }
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(usage);
      process.exit(0);
    } else fail(`unknown option ${a}`);
  }
  for (const name of args.only) {
    if (!names.includes(name)) fail(`--only: no scenario named "${name}" (there are: ${names.join(', ')})`);
  }
  return args;
}
