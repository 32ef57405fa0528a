/**
 * Entry of one DNS process of `urnd dns --workers N` (or `urnd serve` with
 * `dns.workers: N`), forked by DnsProcessSet: follows the config document
 * itself, answers DNS on its own port, and applies the status frames its
 * supervisor relays over IPC (dns-process-messages.ts). Exits when told to stop or
 * when the supervisor goes away (the IPC channel closes).
 */
import { parseArgs } from 'node:util';
import { parseListen } from '../config/schema.js';
import { UrndError } from '../errors.js';
import { INHERITED_TCP_FD, INHERITED_UDP_FD } from './shared-sockets.js';
import { DnsNode } from './dns-node.js';
import type { FromDnsProcess, ToDnsProcess } from './dns-process-messages.js';
import { ConfigLoop } from '../config/loop.js';

function send(m: FromDnsProcess): void {
  if (process.connected) process.send?.(m);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      'config-interval-ms': { type: 'string' },
      'dns-listen': { type: 'string' },
      index: { type: 'string' },
      // The supervisor's shared UDP and TCP sockets are this process's fds 4 and 5.
      'inherited-sockets': { type: 'boolean' },
      // Bind --dns-listen with SO_REUSEPORT, beside the other DNS processes.
      'reuse-port': { type: 'boolean' },
      // SERVFAIL until this process's table has its first frame (`urnd dns`, not `urnd serve`).
      'hold-until-table': { type: 'boolean' },
    },
    strict: true,
  });
  const index = Number(values.index ?? '0');
  const role = `dns[${index}]`;
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const raw = values['dns-listen'] ?? '';
  const anyPort = raw.endsWith(':0');
  const parsed = parseListen(anyPort ? `${raw.slice(0, -1)}1` : raw);
  if (values.config === undefined || parsed === null)
    throw new UrndError('URND_ERR_ARGUMENT', `${role}: needs --config and --dns-listen`);
  const listen = anyPort ? { host: parsed.host, port: 0 } : parsed;

  const config = await ConfigLoop.start({
    role,
    source: values.config,
    log,
    ...(values['config-interval-ms'] === undefined ? {} : { intervalMs: Number(values['config-interval-ms']) }),
  });
  // The table and its intake first: the supervisor's last good frame lands before the DNS sockets are bound.
  const intake = DnsNode.intake(config.applied);
  let node: DnsNode | null = null;
  let statusTimer: NodeJS.Timeout | null = null;
  let stopping = false;
  let primed: () => void = () => {};
  const primedSeen = new Promise<void>((resolve) => (primed = resolve));
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    primed();
    if (statusTimer !== null) clearInterval(statusTimer);
    await config.stop();
    await node?.stop();
    process.exitCode = 0;
    if (process.connected) process.disconnect?.();
  };
  process.on('message', (m: ToDnsProcess) => {
    if (m.type === 'frame') intake.receive(m.bytes);
    else if (m.type === 'primed') primed();
    else if (m.type === 'stop') void stop();
  });
  // The supervisor is gone (killed, crashed): nobody feeds this table or restarts this process.
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => {
    // A terminal's ^C reaches the whole process group: the supervisor stops us in order.
  });
  send({ type: 'intake-ready' });
  // A supervisor that never answers must not hold the start forever.
  await Promise.race([primedSeen, new Promise((r) => setTimeout(r, 2000).unref())]);
  if (stopping) return;
  try {
    node = await DnsNode.start(config.applied, {
      listen,
      log,
      intake,
      ...(values['reuse-port'] === true ? { reusePort: true } : {}),
      ...(values['hold-until-table'] === true ? { holdUntilTable: true } : {}),
      ...(values['inherited-sockets'] === true
        ? {
            inherited: { udpFd: INHERITED_UDP_FD, tcpFd: INHERITED_TCP_FD },
            // The sockets closed with the thread: only a new process (the supervisor starts one) can have them again.
            onThreadLost: () => process.exit(1),
          }
        : {}),
    });
  } catch (err) {
    await config.stop();
    throw err;
  }
  const serving = node;
  if (stopping) {
    await serving.stop();
    return;
  }
  config.onApply((next) => serving.apply(next));
  send({ type: 'ready', host: serving.front.host, port: serving.front.port });
  statusTimer = setInterval(() => {
    send({
      type: 'status',
      queriesPerSec: serving.front.sample?.queriesPerSec ?? 0,
      answered: (serving.front.sample?.stats.udpAnswered ?? 0) + (serving.front.sample?.stats.tcpAnswered ?? 0),
      servfail: serving.front.sample?.stats.responder.servfail ?? 0,
      applied: intake.counters.applied,
      secondsSinceLastGood: intake.staleness().secondsSinceLastGood,
      configVersion: config.plan.version,
    });
  }, 1000);
}

main().catch((err: unknown) => {
  const code = err instanceof UrndError ? err.code : 'URND_ERR_DNS_WORKER';
  const message = err instanceof Error ? err.message : String(err);
  // The supervisor reports it (once); without one, say it here.
  if (process.connected) send({ type: 'error', code, message });
  else process.stderr.write(`urnd dns: DNS process: ${message}\n`);
  process.exitCode = 1;
  if (process.connected) process.disconnect?.();
});
