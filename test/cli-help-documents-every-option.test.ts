import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../src/cli/commands/index.js';
import { STANDARD_OPTIONS, type OptionSpec } from '../src/cli/command.js';
import { withOptionTables } from '../src/cli/help.js';
import { main } from '../src/cli/main.js';

/**
 * Each command is one definition; its --help, its parser and the README's
 * option table come from it. Run as a real process, so what a user sees is
 * what is checked.
 */
const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

function urnd(...args: string[]) {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does)`);
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 10_000 });
}

describe('urnd --help', () => {
  it('lists every command', () => {
    const r = urnd('--help');
    expect(r.status).toBe(0);
    for (const c of COMMANDS)
      expect(r.stdout).toMatch(new RegExp(`^  ${c.name} +${c.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  });

  it.each(COMMANDS.map((c) => [c.name, c] as const))(
    'urnd %s --help documents every option, and the parser takes each',
    (name, command) => {
      const r = urnd(name, '--help');
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout.startsWith(`usage: ${command.usage}\n`)).toBe(true);
      for (const [opt, spec] of Object.entries<OptionSpec>({ ...command.options, ...STANDARD_OPTIONS })) {
        const flag = spec.short === undefined ? `--${opt}` : `-${spec.short}, --${opt}`;
        expect(r.stdout, `${flag} in urnd ${name} --help`).toMatch(new RegExp(`^ {2,6}${flag}[ \\n]`, 'm'));
      }
    },
  );

  it('the parser takes every documented option (help given last wins over a value it would reject)', async () => {
    for (const command of COMMANDS) {
      for (const [opt, spec] of Object.entries<OptionSpec>(command.options)) {
        // An option the parser did not know would fail with exit 2 before help.
        const lines: string[] = [];
        const code = await main([command.name, `--${opt}`, ...(spec.type === 'string' ? ['x'] : []), '--help'], (l) =>
          lines.push(l),
        );
        expect(code, `urnd ${command.name} --${opt}`).toBe(0);
        expect(lines.join('\n')).toContain(`--${opt}`);
      }
    }
  });

  it('an option the definition lacks is refused, exit 2, with the help', () => {
    const r = urnd('serve', '--no-such-option');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("urnd serve: Unknown option '--no-such-option'");
    expect(r.stderr).toContain('usage: urnd serve');
  });

  it('urnd --version and urnd <command> --version print the package version', async () => {
    const r = urnd('dns', '--version');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
    for (const args of [['--version'], ['-v'], ...COMMANDS.map((c) => [c.name, '--version'])]) {
      const lines: string[] = [];
      expect(await main(args, (l) => lines.push(l)), args.join(' ')).toBe(0);
      expect(lines).toEqual([pkg.version]);
    }
  });

  it("the README's option tables are generated from the definitions (npm run docs)", () => {
    const readme = readFileSync(readmePath, 'utf8');
    expect(withOptionTables(readme, COMMANDS), 'README.md is out of date: run npm run docs').toBe(readme);
  });
});
