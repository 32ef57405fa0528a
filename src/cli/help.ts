import { OPERATING_OPTIONS, STANDARD_OPTIONS, type Command, type OptionSpec, type OptionSpecs } from './command.js';

/** Help text and README option tables, derived from the command definitions. */

const WIDTH = 79;
const FLAGS_COLUMN = 25;

/** `-c, --config FILE` / `    --no-dns`. */
function flags(name: string, spec: OptionSpec): string {
  const long = `--${name}${spec.type === 'string' && spec.value !== undefined ? ` ${spec.value}` : ''}`;
  return spec.short === undefined ? `    ${long}` : `-${spec.short}, ${long}`;
}

/** Markdown code spans read as plain text in a terminal. */
function plain(text: string): string {
  return text.replaceAll('`', '');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (word === '') continue;
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

function optionHelp(spec: OptionSpec): string {
  if (spec.type === 'boolean') return plain(spec.help);
  if (spec.default === 'required') return `${plain(spec.help)}; required`;
  return `${plain(spec.help)}; default: ${plain(spec.default)}`;
}

function optionLines(options: OptionSpecs): string[] {
  const out: string[] = [];
  for (const [name, spec] of Object.entries(options)) {
    const head = `  ${flags(name, spec)}`;
    const body = wrap(optionHelp(spec), WIDTH - FLAGS_COLUMN);
    const pad = ' '.repeat(FLAGS_COLUMN);
    if (head.length <= FLAGS_COLUMN - 1) {
      out.push(head.padEnd(FLAGS_COLUMN) + (body[0] ?? ''));
      for (const l of body.slice(1)) out.push(pad + l);
    } else {
      out.push(head);
      for (const l of body) out.push(pad + l);
    }
  }
  return out;
}

/** What `urnd NAME --help` prints. */
export function commandHelp(command: Command): string {
  return [
    `usage: ${command.usage}`,
    '',
    command.description,
    '',
    'options:',
    ...optionLines({ ...command.options, ...STANDARD_OPTIONS }),
  ].join('\n');
}

/** What `urnd --help` prints. */
export function mainHelp(commands: readonly Command[]): string {
  const nameWidth = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'urnd — constant-work health checks and a health-aware DNS resolver core',
    '',
    'usage: urnd <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(nameWidth)}${c.summary}`),
    '',
    'options:',
    ...optionLines(STANDARD_OPTIONS).map((l) =>
      l.replace('print this help', 'help for urnd or a command (urnd <command> --help)'),
    ),
    '',
    "Run `urnd <command> --help` for a command's options.",
  ].join('\n');
}

/**
 * The README's option table of one command (markdown); -h/-v are said once,
 * not per table, and so are the operating options (--admin, --lameduck,
 * --log-format): one row points at their own table.
 */
export function optionsTable(command: Command): string {
  const own = Object.entries(command.options).filter(([name]) => !(name in OPERATING_OPTIONS));
  const rows = own.map(([name, spec]) => optionRow(name, spec));
  if (own.length < Object.keys(command.options).length)
    rows.push(`| ${OPERATING_FLAGS} | | the [operating options](#operating-a-cell) |`);
  return ['| option | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The README's one table of the operating options every long-running command takes. */
export function operatingOptionsTable(): string {
  const rows = Object.entries<OptionSpec>(OPERATING_OPTIONS).map(([name, spec]) => optionRow(name, spec));
  return ['| option | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

const OPERATING_FLAGS = Object.keys(OPERATING_OPTIONS)
  .map((name) => `\`--${name}\``)
  .join(', ');

function optionRow(name: string, spec: OptionSpec): string {
  const cell = (s: string) => s.replaceAll('|', '\\|');
  return `| \`${cell(flags(name, spec).trim())}\` | ${cell(spec.default)} | ${cell(spec.help)} |`;
}

const marker = (name: string, end: 'start' | 'end') => `<!-- options:${name}:${end} -->`;

/**
 * The README with every command's marked option table rewritten from its
 * definition. Throws when a command has no marked section, so a new
 * command cannot go undocumented.
 */
export function withOptionTables(readme: string, commands: readonly Command[]): string {
  let text = readme;
  for (const command of [...commands, { name: 'operating', table: operatingOptionsTable() }]) {
    const start = marker(command.name, 'start');
    const end = marker(command.name, 'end');
    const a = text.indexOf(start);
    const b = text.indexOf(end);
    if (a < 0 || b < a) throw new Error(`README has no ${start} … ${end} section for \`urnd ${command.name}\``);
    const table = 'table' in command ? command.table : optionsTable(command);
    text = `${text.slice(0, a)}${start}\n${table}\n${text.slice(b)}`;
  }
  return text;
}
