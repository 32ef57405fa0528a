import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Real HTTP targets on loopback addresses sharing one port, each can go down (refuse) and come back. */
export class Targets {
  readonly port: number;
  private readonly servers = new Map<string, http.Server>();

  private constructor(port: number) {
    this.port = port;
  }

  static async start(hosts: readonly string[]): Promise<Targets> {
    const [first, ...rest] = hosts;
    if (first === undefined) throw new Error('no hosts');
    const probe = await listen(first, 0);
    const t = new Targets((probe.address() as AddressInfo).port);
    t.servers.set(first, probe);
    for (const h of rest) await t.up(h);
    return t;
  }

  async up(host: string): Promise<void> {
    if (!this.servers.has(host)) this.servers.set(host, await listen(host, this.port));
  }

  async down(host: string): Promise<void> {
    const s = this.servers.get(host);
    if (s === undefined) return;
    this.servers.delete(host);
    await new Promise<void>((r) => {
      s.close(() => r());
      s.closeAllConnections();
    });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((h) => this.down(h)));
  }
}

function listen(host: string, port: number): Promise<http.Server> {
  return new Promise((resolve, reject) => {
    const s = http.createServer((_req, res) => res.end('ok'));
    s.once('error', reject);
    s.listen(port, host, () => resolve(s));
  });
}

/** Polls `predicate` every 20 ms until it holds or `timeoutMs` passes; returns the elapsed ms or throws. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (!predicate()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - t0;
}
