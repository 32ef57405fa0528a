/**
 * The server the `dns-sharing` benchmark measures: a DnsProcessSet of N DNS
 * processes on 127.0.0.1 (port picked by the OS), sharing the port the way
 * it is told ('reuse-port' or 'inherited'), fed a fixed all-healthy status
 * table as a status frame once a second, as an aggregator's tick would.
 * Run with the Node to measure as its execPath: the DNS processes are forked
 * from it and run that Node too.
 *
 *   node dist/bench/dns-sharing-server.js '{"config":…,"cell":…,"capacity":…,"slots":…,"count":2,"sharing":"reuse-port"}'
 *
 * Prints one JSON line when every process answers:
 * {"port", "node", "sharing", "pids"}, or {"error"} and exits 1. Then reads
 * commands from stdin, one a line: `sample` answers with one JSON line
 * {"answered", "up", "restarts", "pids"} (answered: per process, as last
 * reported, once a second). Stops the processes and exits when stdin closes
 * or on SIGTERM.
 */
import { createInterface } from 'node:readline';
import { DnsProcessSet } from '../src/serving/dns-processes.js';
import { SnapshotEncoder } from '../src/snapshot/encoder.js';
import { Status } from '../src/table/layout.js';
import { StatusTable } from '../src/table/status-table.js';

interface Spec {
  readonly config: string;
  readonly cell: string;
  readonly capacity: number;
  /** Slots of the checks the records use: all set healthy. */
  readonly slots: readonly number[];
  readonly count: number;
  readonly sharing: 'reuse-port' | 'inherited';
}

const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
  const table = StatusTable.create(spec.capacity);
  for (const slot of spec.slots) table.set(slot, Status.HEALTHY);
  const encoder = new SnapshotEncoder({ cell: spec.cell, configVersion: 'dns-sharing-bench' });
  const set = await DnsProcessSet.start({
    count: spec.count,
    configSource: spec.config,
    listen: { host: '127.0.0.1', port: 0 },
    sharing: spec.sharing,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  set.relay(encoder.encodeStatus(table));
  const tick = setInterval(() => set.relay(encoder.encodeStatus(table)), 1000);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(tick);
    await set.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() !== 'sample') return;
    const s = set.sample();
    say({ answered: s.answered, up: s.up, restarts: s.restarts, pids: set.pids });
  });
  lines.on('close', () => void stop());
  say({ port: set.addresses[0]?.port ?? 0, node: process.version, sharing: set.sharing, pids: set.pids });
}

main().catch((err: unknown) => {
  say({ error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
