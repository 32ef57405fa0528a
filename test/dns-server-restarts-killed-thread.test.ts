import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfig } from '../src/config/index.js';
import { StatusTable } from '../src/table/status-table.js';
import { Status } from '../src/table/layout.js';
import { DnsFront } from '../src/serving/dns-front.js';
import { addresses, queryUdp } from './support/dns-client.js';
import { waitFor } from './support/targets.js';

/**
 * A resolver thread that dies is counted and started again on the same
 * address after the fixed restart delay, answering from the same shared
 * StatusTable: nothing to repair, no state to rebuild.
 */
const plan = compileConfig({
  cell: { name: 'restart', capacity: 16 },
  checks: [{ id: 'p0', slot: 0, type: 'tcp', host: '127.0.0.1', port: 9 }],
  zones: [{ origin: 'x.test' }],
  records: [
    {
      name: 'pool.x.test',
      type: 'A',
      policy: 'multivalue',
      answers: [{ value: '192.0.2.1', check: 'p0' }, { value: '192.0.2.2' }],
    },
  ],
});
const table = StatusTable.create(16);
const logs: string[] = [];
let front: DnsFront;

beforeAll(async () => {
  front = await DnsFront.start(plan, table, {
    listen: { host: '127.0.0.1', port: 0 },
    restartDelayMs: 200,
    log: (m) => logs.push(m),
  });
});

afterAll(async () => {
  await front?.stop();
});

describe('resolver thread restart', () => {
  it('a killed resolver thread is counted and restarted on the same port, answering from the shared table', async () => {
    const port = front.port;
    expect(addresses(await queryUdp(port, 'pool.x.test'))).toEqual(['192.0.2.1', '192.0.2.2']);
    await front.thread?.terminate();
    await waitFor(() => front.crashes === 1, 3000, 'crash counted');
    // Written while no thread serves: the new thread reads it from the same table.
    table.set(0, Status.UNHEALTHY);
    table.publish();
    await waitFor(() => front.thread !== null, 3000, 'thread restarted');
    expect(addresses(await queryUdp(port, 'pool.x.test'))).toEqual(['192.0.2.2']);
    expect(front.port).toBe(port);
    expect(logs.some((l) => l.includes('exited') && l.includes('restarting in 200 ms'))).toBe(true);
    expect((await front.stats()).udpReceived).toBe(1);
  });
});
