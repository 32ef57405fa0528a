import { runChecker } from '../../roles/checker-role.js';
import { optionalField, optionalInteger, optionalNumber, requireEndpoint } from '../args.js';
import { ROLE_OPTIONS, defineCommand } from '../command.js';
import { OPERATING_OPTIONS } from '../command.js';
import { operating, roleCommon } from './role-options.js';

export const checkerCommand = defineCommand({
  name: 'checker',
  summary: 'one vantage point: probe every check, push the observations',
  usage: 'urnd checker --config FILE|URL --vantage N [options]',
  description: `One vantage point. Checker worker threads probe every probe check of the
config on its fixed schedule; once a tick (aggregator.tick) the whole
observation vector is pushed, as one frame stamped with the vantage number,
to every aggregator (checker.aggregators, default aggregator.listen). It
computes no status and answers no DNS. Follows the config like every node.`,
  options: {
    config: ROLE_OPTIONS.config,
    vantage: {
      type: 'string',
      value: 'N',
      default: '0',
      help: "this vantage point's row at the aggregators, 0 to `aggregator.vantages` − 1",
    },
    aggregator: {
      type: 'string',
      multiple: true,
      value: 'HOST:PORT',
      default: '`checker.aggregators`',
      help: 'push here instead (repeat for several aggregators)',
    },
    checkers: { type: 'string', value: 'N', default: 'min(2, cores)', help: 'checker worker threads' },
    'tick-ms': { type: 'string', value: 'MS', default: '`aggregator.tick`', help: 'push period' },
    'config-interval': ROLE_OPTIONS['config-interval'],
    duration: ROLE_OPTIONS.duration,
    ...OPERATING_OPTIONS,
  },
  async run({ values: v }, write) {
    const common = roleCommon(v);
    await runChecker(
      {
        ...common,
        ...operating(v, 'checker'),
        vantage: optionalInteger('vantage', v.vantage, 0, 63) ?? 0,
        ...optionalField(
          'aggregators',
          v.aggregator?.map((a) => requireEndpoint('aggregator', a)),
        ),
        ...optionalField('checkers', optionalInteger('checkers', v.checkers, 1, 64)),
        ...optionalField('tickMs', optionalNumber('tick-ms', v['tick-ms'], 10, 60_000)),
      },
      write,
    );
    return 0;
  },
});
