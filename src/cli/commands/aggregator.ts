import { runAggregator } from '../../roles/aggregator-role.js';
import { optionalField, optionalInteger, optionalListen, optionalNumber } from '../args.js';
import { ROLE_OPTIONS, defineCommand } from '../command.js';
import { OPERATING_OPTIONS } from '../command.js';
import { operating, roleCommon } from './role-options.js';

export const aggregatorCommand = defineCommand({
  name: 'aggregator',
  summary: "merge vantage points' observations, vote, push status frames",
  usage: 'urnd aggregator --config FILE|URL [options]',
  description: `Listens for the checkers' observation vectors (aggregator.listen), one row
per vantage point (aggregator.vantages), and once a tick votes over every
slot and pushes the whole status table, as one frame, to every DNS process
in aggregator.subscribers. A vantage with no good vector for 5 ticks is
silent: its last verdicts are kept and vote only on checks no reporting
vantage has observed, so losing checkers never makes an unhealthy check
healthy (with none reporting, the last verdicts stand). After a start it
sends no status frames until every vantage has reported (or
aggregator.warmup has passed), so DNS servers keep their last good table
meanwhile. Follows the config like every node.`,
  options: {
    config: ROLE_OPTIONS.config,
    listen: {
      type: 'string',
      value: 'HOST:PORT',
      default: '`aggregator.listen`',
      help: 'take vectors here instead (port 0: the OS picks, and the start line says which)',
    },
    'local-checks': {
      type: 'boolean',
      default: 'off',
      help: 'also probe every check in this process, as vantage 0 (remote checkers then use 1 and up)',
    },
    checkers: {
      type: 'string',
      value: 'N',
      default: 'min(2, cores)',
      help: 'checker worker threads for `--local-checks`',
    },
    'tick-ms': { type: 'string', value: 'MS', default: '`aggregator.tick`', help: 'aggregator tick' },
    'config-interval': ROLE_OPTIONS['config-interval'],
    duration: ROLE_OPTIONS.duration,
    ...OPERATING_OPTIONS,
  },
  async run({ values: v }, write) {
    const common = roleCommon(v);
    await runAggregator(
      {
        ...common,
        ...operating(v, 'aggregator'),
        localChecks: v['local-checks'] === true,
        ...optionalField('listen', optionalListen('listen', v.listen)),
        ...optionalField('checkers', optionalInteger('checkers', v.checkers, 1, 64)),
        ...optionalField('tickMs', optionalNumber('tick-ms', v['tick-ms'], 10, 60_000)),
      },
      write,
    );
    return 0;
  },
});
