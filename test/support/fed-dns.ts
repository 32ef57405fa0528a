import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SnapshotEncoder } from '../../src/snapshot/encoder.js';
import { FramePublisher } from '../../src/snapshot/push.js';
import { StatusTable } from '../../src/table/status-table.js';
import { RoleProcess, freePort } from './roles.js';

/**
 * A real `urnd dns` process (admin on, DNS on a port the OS picks) whose
 * aggregator is the test itself: a StatusTable, a SnapshotEncoder and a
 * FramePublisher that pushes the whole table every `everyMs` while
 * `startPushing` holds, and stops, so the process keeps its last good table.
 */
export class FedDns {
  readonly table: StatusTable;
  readonly encoder: SnapshotEncoder;
  private timer: NodeJS.Timeout | null = null;
  /** When the last frame went out (Date.now()), 0 before the first. */
  lastPushAtMs = 0;

  private constructor(
    readonly dns: RoleProcess,
    readonly admin: string,
    readonly dnsPort: number,
    private readonly publisher: FramePublisher,
    private readonly dir: string,
    cell: string,
    capacity: number,
  ) {
    this.table = StatusTable.create(capacity);
    this.encoder = new SnapshotEncoder({ cell, configVersion: 'test' });
  }

  /** `checks` and `records` are the document's YAML list lines; tick 200 ms. `args`: more `urnd dns` options (`--workers 2`). */
  static async start(
    cell: string,
    capacity: number,
    checks: string[],
    records: string[],
    args: string[] = [],
  ): Promise<FedDns> {
    const dir = mkdtempSync(path.join(tmpdir(), `urnd-${cell}-`));
    const framesPort = await freePort();
    const config = path.join(dir, 'cell.yaml');
    writeFileSync(
      config,
      [
        `cell: { name: ${cell}, capacity: ${capacity} }`,
        'aggregator: { tick: 200ms }',
        `dns: { framesListen: 127.0.0.1:${framesPort} }`,
        'checks:',
        ...checks,
        `zones: [{ origin: ${cell}.test }]`,
        'records:',
        ...records,
      ].join('\n'),
    );
    const dns = new RoleProcess('dns', [
      'dns',
      '--config',
      config,
      '--dns-listen',
      '127.0.0.1:0',
      '--admin',
      '127.0.0.1:0',
      ...args,
    ]);
    const dnsPort = Number((await dns.waitForLine(/^urnd dns: DNS on 127\.0\.0\.1:(\d+)/, 15_000))[1]);
    const admin = (await dns.waitForLine(/admin on (http:\/\/[\d.:]+)/, 15_000))[1] as string;
    const publisher = new FramePublisher([{ host: '127.0.0.1', port: framesPort }]);
    return new FedDns(dns, admin, dnsPort, publisher, dir, cell, capacity);
  }

  /** Pushes the table now and every `everyMs` until `stopPushing`. */
  startPushing(everyMs = 200): void {
    this.stopPushing();
    const push = () => {
      this.publisher.publish(this.encoder.encodeStatus(this.table));
      this.lastPushAtMs = Date.now();
    };
    push();
    this.timer = setInterval(push, everyMs);
  }

  stopPushing(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  async stop(): Promise<void> {
    this.stopPushing();
    this.publisher.close();
    await this.dns.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
