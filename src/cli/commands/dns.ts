import { runDns } from '../../roles/dns-role.js';
import { optionalField, optionalInteger, optionalListen } from '../args.js';
import { ROLE_OPTIONS, defineCommand } from '../command.js';
import { OPERATING_OPTIONS } from '../command.js';
import { operating, roleCommon } from './role-options.js';

export const dnsCommand = defineCommand({
  name: 'dns',
  summary: 'answer DNS from the status frames an aggregator pushes',
  usage: 'urnd dns --config FILE|URL [options]',
  description: `Answers DNS (UDP and TCP) from the status frames the aggregators push to
dns.framesListen. It runs no checks: when frames stop or go bad it keeps
answering from its last good table, and its status line says how stale it
is (seconds since the last good frame, sequence lag) and counts rejected
frames by reason. Follows the config (records, zones, key) like every node.`,
  options: {
    config: ROLE_OPTIONS.config,
    'frames-listen': {
      type: 'string',
      value: 'HOST:PORT',
      default: '`dns.framesListen`',
      help: 'take status frames here instead (port 0: the OS picks, and the start line says which)',
    },
    'dns-listen': { type: 'string', value: 'HOST:PORT', default: '`dns.listen`', help: 'answer DNS here instead' },
    workers: {
      type: 'string',
      value: 'N',
      default: '`dns.workers`, 1',
      help: 'N DNS processes sharing the DNS address (UDP and TCP; the kernel spreads queries and connections over them), each fed every frame by this process',
    },
    'config-interval': ROLE_OPTIONS['config-interval'],
    duration: ROLE_OPTIONS.duration,
    ...OPERATING_OPTIONS,
  },
  async run({ values: v }, write) {
    const common = roleCommon(v);
    await runDns(
      {
        ...common,
        ...operating(v, 'dns'),
        ...optionalField('framesListen', optionalListen('frames-listen', v['frames-listen'])),
        ...optionalField('dnsListen', optionalListen('dns-listen', v['dns-listen'])),
        ...optionalField('workers', optionalInteger('workers', v.workers, 1, 64)),
      },
      write,
    );
    return 0;
  },
});
