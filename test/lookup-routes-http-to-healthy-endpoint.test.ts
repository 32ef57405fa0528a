import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Status } from '../src/table/layout.js';
import { createLookup, type LookupAddress } from '../src/resolve/lookup.js';
import { buildCell, tcpChecks } from './support/cell.js';

/**
 * `lookup` plugged into real Node clients: http.request and net.connect to
 * loopback servers on 127.0.0.2 (primary) and 127.0.0.3 (secondary) follow
 * the status table.
 */
const servers: http.Server[] = [];
let port = 0;

function listen(host: string, p: number): Promise<http.Server> {
  return new Promise((resolve, reject) => {
    const s = http.createServer((_req, res) => res.end(host));
    s.once('error', reject);
    s.listen(p, host, () => resolve(s));
  });
}

beforeAll(async () => {
  const a = await listen('127.0.0.2', 0);
  port = (a.address() as AddressInfo).port;
  servers.push(a, await listen('127.0.0.3', port));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

const cell = buildCell({
  checks: tcpChecks(2),
  records: [
    {
      name: 'svc.t.test',
      type: 'A',
      policy: 'failover',
      answers: [
        { value: '127.0.0.2', role: 'primary', check: 'c0' },
        { value: '127.0.0.3', role: 'secondary', check: 'c1' },
      ],
    },
  ],
});
const lookup = createLookup(cell.resolver, { passthrough: false });

function get(): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: 'svc.t.test', port, path: '/', lookup, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('lookup', () => {
  it('http.request reaches the primary, then the secondary once the primary is unhealthy', async () => {
    cell.table.set(0, Status.HEALTHY);
    cell.table.set(1, Status.HEALTHY);
    expect(await get()).toBe('127.0.0.2');
    cell.table.set(0, Status.UNHEALTHY);
    expect(await get()).toBe('127.0.0.3');
    cell.table.set(0, Status.HEALTHY);
    expect(await get()).toBe('127.0.0.2');
  });

  it('net.connect (which asks for all addresses) connects to the healthy endpoint', async () => {
    cell.table.set(0, Status.UNHEALTHY);
    const remote = await new Promise<string>((resolve, reject) => {
      const sock = net.connect({ host: 'svc.t.test', port, lookup, autoSelectFamily: true }, () => {
        resolve(sock.remoteAddress ?? '');
        sock.destroy();
      });
      sock.on('error', reject);
    });
    expect(remote).toBe('127.0.0.3');
    cell.table.set(0, Status.HEALTHY);
  });

  it('answers the dns.lookup call shapes: (name, cb), (name, family, cb), (name, {all}, cb)', async () => {
    const one = await new Promise<[string, number]>((resolve, reject) =>
      lookup('svc.t.test', (err, address, family) => (err ? reject(err) : resolve([address as string, family ?? 0]))),
    );
    expect(one).toEqual(['127.0.0.2', 4]);
    const all = await new Promise<LookupAddress[]>((resolve, reject) =>
      lookup('SVC.t.test.', { all: true }, (err, addresses) =>
        err ? reject(err) : resolve(addresses as LookupAddress[]),
      ),
    );
    expect(all).toEqual([{ address: '127.0.0.2', family: 4 }]);
    const six = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      lookup('svc.t.test', 6, (err) => resolve(err)),
    );
    expect(six?.code).toBe('ENOTFOUND');
  });

  it('fails names of our zone that do not exist, and names outside it without passthrough, with ENOTFOUND', async () => {
    for (const name of ['nope.t.test', 'example.com']) {
      const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => lookup(name, {}, (e) => resolve(e)));
      expect(err?.code).toBe('ENOTFOUND');
    }
  });

  it('passes names outside our zones to the passthrough lookup', async () => {
    const passed: string[] = [];
    const withPass = createLookup(cell.resolver, {
      passthrough: (hostname, _o, cb) => {
        passed.push(hostname);
        (cb as (e: null, a: string, f: number) => void)(null, '127.0.0.9', 4);
      },
    });
    const addr = await new Promise<string>((resolve) =>
      withPass('elsewhere.example', {}, (_e, a) => resolve(a as string)),
    );
    expect(addr).toBe('127.0.0.9');
    expect(passed).toEqual(['elsewhere.example']);
  });
});
