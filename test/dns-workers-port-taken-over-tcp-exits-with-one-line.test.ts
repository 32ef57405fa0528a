import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindSharedDnsSockets } from '../src/serving/shared-sockets.js';
import { requireBuilt, runCli } from './support/roles.js';

/**
 * A DNS address whose TCP port another server holds (its UDP port free) is
 * refused when several DNS processes share it, as it is for one: one line
 * naming the address and tcp, exit 1. libuv defers a TCP bind's EADDRINUSE
 * to listen() and reports the bind as done, so the shared sockets (Node 20's
 * way to share a port) used to come back with an unbound TCP socket, on
 * which each DNS process then listened at a random port on every interface
 * while `urnd dns --workers 2` said "udp+tcp" and the other server took
 * every TCP query.
 */
let dir: string;
let config: string;
let squat: net.Server;
let port: number;

beforeAll(async () => {
  requireBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-tcp-taken-'));
  config = path.join(dir, 'cell.yaml');
  writeFileSync(
    config,
    'cell: { name: shop, capacity: 64 }\nzones: [{ origin: shop.example }]\nrecords: [{ name: www.shop.example, type: A, answers: [{ value: 127.0.0.1 }] }]\n',
  );
  squat = net.createServer((s) => s.destroy());
  port = await new Promise<number>((resolve) =>
    squat.listen(0, '127.0.0.1', () => resolve((squat.address() as net.AddressInfo).port)),
  );
});

afterAll(() => {
  squat.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a DNS port taken over TCP, with DNS processes sharing it', () => {
  it('the shared sockets refuse it: the TCP socket is bound to the address or not at all', () => {
    // Null where Node lacks the socket handles; then there is nothing shared to check.
    const shared = (() => {
      try {
        return bindSharedDnsSockets('127.0.0.1', port);
      } catch (err) {
        return err as Error & { code?: string };
      }
    })();
    if (shared === null) return;
    if (!(shared instanceof Error)) shared.close();
    expect(shared).toBeInstanceOf(Error);
    expect((shared as Error & { code?: string }).code).toBe('URND_ERR_DNS_LISTEN');
    expect((shared as Error).message).toContain(`127.0.0.1:${port}: address already in use (tcp)`);
  });

  it('urnd dns --workers 2: one line naming the address and tcp, exit 1', async () => {
    // --workers 2: the processes share the address (reusePort on Node 22.12+, the shared sockets before).
    const { code, stderr } = await runCli([
      'dns',
      '-c',
      config,
      '--dns-listen',
      `127.0.0.1:${port}`,
      '--frames-listen',
      '127.0.0.1:0',
      '--workers',
      '2',
      '--admin',
      'off',
      '--duration',
      '10',
    ]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `urnd dns: dns listen 127.0.0.1:${port}: address already in use (tcp): another DNS server is there; choose another with --dns-listen HOST:PORT or dns.listen [URND_ERR_DNS_LISTEN]\n`,
    );
  }, 20_000);
});
