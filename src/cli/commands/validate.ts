import { validateConfigFile } from '../../config/validate-file.js';
import { formatEndpoint } from '../../config/plan-change.js';
import { defineCommand, UsageError } from '../command.js';

export const validateCommand = defineCommand({
  name: 'validate',
  summary: 'check a config document and print what it compiles to',
  usage: 'urnd validate [--config] FILE [--json]',
  description: `Parses, validates and compiles a config document. Prints a summary and
exits 0 when it is valid; prints every problem, each as "path: what", and
exits 1 when it is not.`,
  positionals: 'FILE',
  options: {
    config: {
      type: 'string',
      short: 'c',
      value: 'FILE',
      default: 'the operand',
      help: 'the document (or give it as the only operand)',
    },
    json: { type: 'boolean', default: 'off', help: 'print the summary as JSON' },
  },
  async run({ values: v, positionals }, write) {
    const file = v.config ?? positionals[0];
    if (file === undefined || positionals.length > (v.config === undefined ? 1 : 0))
      throw new UsageError('give exactly one config file');
    const plan = await validateConfigFile(file);
    const summary = {
      file,
      cell: plan.cell,
      version: plan.version,
      checks: plan.checks.length,
      zones: plan.zones.map((z) => z.origin),
      recordSets: plan.setCount,
      answers: plan.answerCount,
    };
    if (v.json === true) {
      write(JSON.stringify(summary, null, 2));
      return 0;
    }
    write(`${file}: valid`);
    write(`  cell ${plan.cell.name}, capacity ${plan.cell.capacity} slots (${plan.checks.length} used)`);
    write(`  zones: ${summary.zones.join(', ')}`);
    write(`  ${plan.setCount} record sets, ${plan.answerCount} answers`);
    const list = (l: readonly { host: string; port: number }[]) =>
      l.length === 0 ? 'none' : l.map(formatEndpoint).join(', ');
    const a = plan.aggregator;
    write(
      `  aggregator: vectors on ${a.listen === null ? '(--listen)' : formatEndpoint(a.listen)}, ${a.vantages} vantage points, tick ${a.tickMs} ms, status frames to ${list(a.subscribers)}`,
    );
    write(
      `  checkers push to ${list(plan.checker.aggregators)}; dns frames on ${plan.dns.framesListen === null ? '(--frames-listen)' : formatEndpoint(plan.dns.framesListen)}, ${plan.dns.workers} DNS process(es)`,
    );
    const f = plan.frames;
    write(
      `  frame key: ${f.keyFile !== null ? `file ${f.keyFile}` : f.keyEnv !== null ? `environment variable ${f.keyEnv}` : f.key !== null ? 'inline (in the document)' : 'none (CRC32C only)'}; config every ${plan.configIntervalMs / 1000} s`,
    );
    write(`  plan version ${plan.version}`);
    return 0;
  },
});
