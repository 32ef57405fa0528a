/**
 * The logic of a resolver worker thread (workers/resolver.ts is its thin
 * entry): attach the cell's StatusTable, build the Resolver and Responder,
 * bind the DnsServer, and serve the main thread's messages (resolver-messages.ts).
 * Queries never cross a thread: a worker answers them from its own sockets,
 * reading the shared table lock-free, on a loop that runs no probes.
 */
import type { MessagePort } from 'node:worker_threads';
import { UrndError, type UrndErrorCode } from '../errors.js';
import { StatusTable } from '../table/status-table.js';
import { Resolver } from '../resolve/resolver.js';
import { Responder } from '../dns/responder.js';
import { DnsServer } from './server.js';
import type { FromResolverWorker, ResolverStartMessage, ToResolverWorker } from './resolver-messages.js';

/** The end of the channel a worker talks to the main thread through (`parentPort`, or a MessageChannel port in tests). */
export type ResolverWorkerPort = Pick<MessagePort, 'on' | 'postMessage' | 'close'>;

/** Serves one resolver worker's messages on `port` until told to stop. */
export function runResolverWorker(port: ResolverWorkerPort): void {
  let server: DnsServer | null = null;
  let stopping = false;
  let starting = false;
  const post = (m: FromResolverWorker) => port.postMessage(m);

  port.on('message', (msg: ToResolverWorker) => {
    switch (msg.type) {
      case 'start':
        if (server !== null || starting) return;
        starting = true;
        start(msg).then(
          (s) => {
            if (stopping) {
              // Told to stop while binding: close again, and let the thread end.
              void s.stop().then(() => port.close());
              return;
            }
            server = s;
            const a = s.address as { host: string; port: number };
            post({ type: 'ready', host: a.host, port: a.port, planVersion: msg.plan.version });
          },
          (err: unknown) => {
            post({ type: 'error', code: errorCode(err), message: err instanceof Error ? err.message : String(err) });
            port.close();
          },
        );
        return;
      case 'plan':
        if (server === null) return;
        try {
          server.setPlan(msg.plan);
          post({ type: 'plan-applied', version: msg.plan.version });
        } catch (err) {
          post({
            type: 'plan-rejected',
            version: msg.plan.version,
            message: err instanceof Error ? err.message : String(err),
          });
        }
        return;
      case 'stats':
        if (server !== null) post({ type: 'stats', id: msg.id, stats: server.stats() });
        return;
      case 'stop': {
        if (stopping) return;
        stopping = true;
        const s = server;
        // Not started (or still binding: the start above closes it): nothing to close.
        if (s === null) {
          if (!starting) port.close();
          return;
        }
        void s.stop().then(() => {
          post({ type: 'stopped', stats: s.stats() });
          // Nothing else holds the loop: the thread exits.
          port.close();
        });
        return;
      }
    }
  });
}

async function start(msg: ResolverStartMessage): Promise<DnsServer> {
  const table = StatusTable.attach(msg.statusTable);
  const resolver = new Resolver(msg.plan, table, msg.seed === undefined ? {} : { seed: msg.seed });
  // No maxUdpSize option: the Responder follows the live plan's dns.maxUdpSize, reloads included.
  const responder = new Responder(resolver, msg.holdUntilTable === true ? { holdUntilTable: true } : {});
  const server = new DnsServer(resolver, responder, {
    host: msg.listen.host,
    port: msg.listen.port,
    ...(msg.tuning === undefined ? {} : { tuning: msg.tuning }),
    ...(msg.inherited === undefined ? {} : { inherited: msg.inherited }),
    ...(msg.reusePort === true ? { reusePort: true } : {}),
  });
  await server.start();
  return server;
}

function errorCode(err: unknown): UrndErrorCode {
  return err instanceof UrndError ? err.code : 'URND_ERR_DNS_WORKER';
}
