import { parseAdminListen } from '../../admin/admin.js';
import { defineCommand } from '../command.js';
import { runStatus } from '../status.js';

export const statusCommand = defineCommand({
  name: 'status',
  summary: "a running process's cell: readiness, staleness, what is down",
  usage: 'urnd status [--admin HOST[:PORT]] [--all] [--json]',
  description: `Asks a running urnd process (started with --admin) for its /status page
and prints a summary: role, cell, config version, readiness, how old its
table is, checks by status with every check that is not healthy, and every
record set with an unhealthy answer.`,
  options: {
    admin: {
      type: 'string',
      value: 'HOST[:PORT]',
      default: '127.0.0.1:9530',
      help: "the process's admin address (HOST alone: port 9530)",
    },
    all: { type: 'boolean', default: 'off', help: 'list every check and record set' },
    json: { type: 'boolean', default: 'off', help: 'print the /status page as it is' },
  },
  async run({ values: v }, write) {
    const admin = parseAdminListen(v.admin ?? '127.0.0.1', 'serve') as { host: string; port: number };
    await runStatus({ admin, json: v.json === true, all: v.all === true }, write);
    return 0;
  },
});
