import http from 'node:http';
import net from 'node:net';
import { UrndError } from '../errors.js';

/** A loopback endpoint the demo serves. */
export interface DemoEndpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * `urnd serve --demo`: real HTTP targets on loopback for the bundled config's
 * checks, so a new user sees probes, statuses and answers change with
 * nothing else installed. Every `periodMs` it takes every other target down
 * (its listener closes: connections are refused) or brings them back.
 */
export class DemoTargets {
  private readonly servers = new Map<string, http.Server>();
  private readonly endpoints: readonly DemoEndpoint[];
  private timer: NodeJS.Timeout | null = null;
  private down = false;

  constructor(endpoints: readonly DemoEndpoint[]) {
    for (const e of endpoints) {
      if (net.isIP(e.host) === 0 || !isLoopback(e.host)) {
        throw new Error(`demo targets must be loopback addresses; ${e.host} is not`);
      }
    }
    this.endpoints = endpoints;
  }

  /**
   * Starts every target, then the down/up cycle. If any address cannot be
   * bound, closes every target it did start (once all attempts have
   * settled, so none is left listening) and throws URND_ERR_DEMO_LISTEN
   * naming the first such address and why.
   */
  async start(periodMs: number, log: (message: string) => void): Promise<void> {
    const outcomes = await Promise.allSettled(this.endpoints.map((e) => this.up(e)));
    const failed = outcomes.findIndex((o) => o.status === 'rejected');
    if (failed >= 0) {
      await this.stop();
      const e = this.endpoints[failed] as DemoEndpoint;
      const err = (outcomes[failed] as PromiseRejectedResult).reason as NodeJS.ErrnoException;
      const why =
        err.code === 'EADDRINUSE'
          ? 'the address is in use'
          : err.code === 'EADDRNOTAVAIL'
            ? 'the address is not local'
            : err.code === 'EACCES'
              ? 'no permission'
              : (err.code ?? err.message);
      throw new UrndError(
        'URND_ERR_DEMO_LISTEN',
        `--demo: cannot serve the demo target ${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}: ${why}`,
        { cause: err },
      );
    }
    log(
      `demo: ${this.endpoints.length} targets up on ${describe(this.endpoints)}; every ${periodMs / 1000} s half of them go down or come back`,
    );
    this.timer = setInterval(() => {
      this.down = !this.down;
      const half = this.endpoints.filter((_, i) => i % 2 === 0);
      const names =
        half
          .slice(0, 2)
          .map((e) => e.host)
          .join(', ') + (half.length > 2 ? ', …' : '');
      log(`demo: ${this.down ? 'taking down' : 'bringing back'} every other target: ${half.length} (${names})`);
      for (const e of half) {
        if (this.down) this.close(e);
        else
          void this.up(e).catch((err: unknown) =>
            log(`demo: ${e.host}:${e.port} could not come back: ${(err as Error).message}`),
          );
      }
    }, periodMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    await Promise.all([...this.servers.keys()].map((k) => this.closeKey(k)));
  }

  private up(e: DemoEndpoint): Promise<void> {
    const key = `${e.host}:${e.port}`;
    if (this.servers.has(key)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const server = http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`ok ${e.host}\n`);
      });
      server.once('error', reject);
      server.listen(e.port, e.host, () => {
        server.off('error', reject);
        this.servers.set(key, server);
        resolve();
      });
    });
  }

  private close(e: DemoEndpoint): void {
    void this.closeKey(`${e.host}:${e.port}`);
  }

  private closeKey(key: string): Promise<void> {
    const server = this.servers.get(key);
    if (server === undefined) return Promise.resolve();
    this.servers.delete(key);
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

function isLoopback(host: string): boolean {
  return host === '::1' || host.startsWith('127.');
}

function describe(endpoints: readonly DemoEndpoint[]): string {
  if (endpoints.length === 0) return 'nothing';
  const first = endpoints[0] as DemoEndpoint;
  const last = endpoints[endpoints.length - 1] as DemoEndpoint;
  return endpoints.length === 1 ? `${first.host}:${first.port}` : `${first.host}…${last.host} port ${first.port}`;
}
