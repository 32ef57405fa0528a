/**
 * Helpers for the probe tests: fake ProbeCheckSpecs, loopback servers, and
 * counting what is still open. Every target is on 127.0.0.1; every wait is
 * bounded.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { ProbeCheckSpec } from '../../src/config/plan.js';

/** A complete ProbeCheckSpec with the config's defaults, overridden by `over`. */
export function probeSpec(over: Partial<ProbeCheckSpec> = {}): ProbeCheckSpec {
  return {
    kind: 'probe',
    id: 'probe-test',
    slot: 0,
    type: 'tcp',
    host: '127.0.0.1',
    port: 9,
    path: '/',
    statusMin: 200,
    statusMax: 399,
    bodyMatch: null,
    verifyTls: false,
    intervalMs: 10_000,
    timeoutMs: 4_000,
    failureThreshold: 3,
    inverted: false,
    disabled: false,
    ...over,
  };
}

// Every connection a test server accepted, so `close` can end them even when the code under test didn't.
const accepted = new WeakMap<Server | HttpServer | HttpsServer, Set<Socket>>();

/** Listens on 127.0.0.1 on a free port; resolves with the port. */
export function listen(server: Server | HttpServer | HttpsServer): Promise<number> {
  const sockets = new Set<Socket>();
  accepted.set(server, sockets);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      const addr = server.address();
      if (addr === null || typeof addr === 'string') reject(new Error('no port'));
      else resolve(addr.port);
    });
  });
}

/** Closes a server, destroying any connection it still holds. */
export function close(server: Server | HttpServer | HttpsServer): Promise<void> {
  for (const s of accepted.get(server) ?? []) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * A TCP server that accepts and never writes a byte (reads are discarded).
 * `sockets` holds the server side of every live connection, so a test can
 * see the client hang up.
 */
export function hangingServer(): { server: Server; sockets: Set<Socket>; accepted: () => number } {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    s.resume();
  });
  return { server, sockets, accepted: () => accepted };
}

/** A port that was just free: bound, noted, closed. Nothing listens there now. */
export async function closedPort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await close(s);
  return port;
}

/** Polls `cond` every 10 ms until true or `ms` passes; returns the last value. */
export async function waitFor(cond: () => boolean, ms = 2_000): Promise<boolean> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

/** How many of each kind of libuv resource this process holds right now. */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/** Open TCP sockets (clients and accepted connections) in this process. */
export function openTcpSockets(): number {
  return activeResources().get('TCPSocketWrap') ?? 0;
}
