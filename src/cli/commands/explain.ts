import { UrndError } from '../../errors.js';
import { parseAdminListen } from '../../admin/admin.js';
import { UsageError, defineCommand } from '../command.js';
import { runExplain } from '../explain.js';

export const explainCommand = defineCommand({
  name: 'explain',
  summary: 'why each answer of a name is in or out, live or from a config',
  usage: 'urnd explain NAME [TYPE] [--admin HOST[:PORT] | -c FILE] [--json]',
  description: `Why each candidate answer of NAME (TYPE A, AAAA, CNAME, TXT, MX, SRV, CAA,
PTR or NS; default every type) is in or out: its check, the check's status,
whether a query now could return it and why, down every alias tree. Asks a running process's admin listener (/explain), or with -c reads a
config document offline (every check unknown, as before the first probe).`,
  positionals: 'NAME [TYPE]',
  options: {
    admin: { type: 'string', value: 'HOST[:PORT]', default: '127.0.0.1:9530', help: "the process's admin address" },
    config: {
      type: 'string',
      short: 'c',
      value: 'FILE|URL',
      default: 'off',
      help: 'explain from this document instead, offline',
    },
    json: { type: 'boolean', default: 'off', help: 'print the explanation as JSON' },
  },
  async run({ values: v, positionals }, write) {
    const [name, type, ...more] = positionals;
    if (name === undefined || more.length > 0) throw new UsageError('give NAME and optionally TYPE');
    if (v.config !== undefined && v.admin !== undefined)
      throw new UrndError('URND_ERR_ARGUMENT', '--admin and --config: give one or the other');
    await runExplain(
      {
        name,
        type,
        config: v.config ?? null,
        admin: v.config === undefined ? parseAdminListen(v.admin ?? '127.0.0.1', 'serve') : null,
        json: v.json === true,
      },
      write,
    );
    return 0;
  },
});
