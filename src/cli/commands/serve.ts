import { UrndError } from '../../errors.js';
import { optionalField, optionalInteger, optionalListen, optionalNumber, optionalSeconds } from '../args.js';
import { CONFIG_FILE_OPTION, DEMO_CONFIG, defineCommand } from '../command.js';
import { OPERATING_OPTIONS } from '../command.js';
import { operating } from './role-options.js';
import { runServe } from '../../roles/serve.js';

export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'run a whole cell: checker workers, aggregator, resolver, DNS',
  usage: 'urnd serve [--config FILE] [--demo] [options]',
  description: `Runs a whole cell in one process: checker worker threads probe every check
on its fixed schedule, the aggregator turns their observations into the
status table once a tick, and a resolver worker thread answers DNS from it
over UDP and TCP on the config's dns.listen (default 127.0.0.1:5353).
Prints a status line every second (healthy / unhealthy / unknown counts,
tick time, probes per second, last status change, DNS queries per second)
and stops cleanly on SIGINT/SIGTERM. Every config interval it fetches the
whole document again and applies it, changed or not; a document that cannot
be read or is invalid is rejected whole ("config rejected, keeping …") and
the last good one stays. With dns.workers: N it answers DNS from N processes
sharing dns.listen (UDP and TCP), fed the cell's status frames.`,
  options: {
    config: CONFIG_FILE_OPTION,
    demo: {
      type: 'boolean',
      default: 'off',
      help: "also start loopback HTTP targets for the config's checks (127.x.x.x / ::1 only) and, every `--demo-period` seconds, take every other one down or bring it back, so statuses and answers change",
    },
    'demo-period': { type: 'string', value: 'SEC', default: '15', help: 'seconds between demo flips' },
    checkers: { type: 'string', value: 'N', default: 'min(2, cores)', help: 'checker worker threads' },
    'tick-ms': { type: 'string', value: 'MS', default: '1000', help: 'aggregator tick' },
    duration: { type: 'string', value: 'SEC', default: 'until a signal', help: 'stop after SEC seconds' },
    'dns-listen': {
      type: 'string',
      value: 'HOST:PORT',
      default: "the config's `dns.listen`",
      help: 'answer DNS here instead (IPv6 in brackets: `[::1]:5353`; port 0: the OS picks, and the start line says which)',
    },
    'no-dns': { type: 'boolean', default: 'off', help: 'do not answer DNS (checks and statuses only)' },
    'config-interval': {
      type: 'string',
      value: 'SEC',
      default: "the config's `configInterval`, 5 s",
      help: 'fetch and apply the whole document this often',
    },
    ...OPERATING_OPTIONS,
  },
  async run({ values: v }, write) {
    const dnsListen = optionalListen('dns-listen', v['dns-listen']);
    if (dnsListen !== undefined && v['no-dns'] === true) {
      throw new UrndError('URND_ERR_ARGUMENT', '--dns-listen and --no-dns: give one or the other');
    }
    await runServe(
      {
        configPath: v.config ?? DEMO_CONFIG,
        demo: v.demo === true,
        ...optionalField('checkers', optionalInteger('checkers', v.checkers, 1, 64)),
        ...optionalField('tickMs', optionalNumber('tick-ms', v['tick-ms'], 10, 60_000)),
        demoPeriodSec: optionalNumber('demo-period', v['demo-period'], 1, 3600) ?? 15,
        durationSec: optionalNumber('duration', v.duration, 0, 31_536_000) ?? 0,
        statusEverySec: 1,
        dns: v['no-dns'] !== true,
        ...optionalField('dnsListen', dnsListen),
        ...optionalField('configIntervalMs', optionalSeconds('config-interval', v['config-interval'], 0.1, 3600)),
        // serve is the one-process cell a person starts by hand: its page is on by default; the other roles run several to a host.
        ...operating(v, 'serve', '127.0.0.1'),
      },
      write,
    );
    return 0;
  },
});
