import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { compileConfig, loadConfigFile } from '../src/config/index.js';
import { StatusTable } from '../src/table/status-table.js';
import { Status } from '../src/table/layout.js';
import { Resolver } from '../src/resolve/resolver.js';
import { Responder } from '../src/dns/index.js';
import { buildQuery, decode, rcodeOf } from './support/dns.js';

/**
 * examples/company.yaml, the zone issue 18 asks urnd to serve alone, loads,
 * compiles and answers as it says it does, as targets go down.
 */
const FILE = fileURLToPath(new URL('../examples/company.yaml', import.meta.url));

describe('examples/company.yaml', () => {
  it('serves its apex, www, api tree, wildcard and delegation', async () => {
    const plan = compileConfig(await loadConfigFile(FILE));
    const table = StatusTable.create(plan.cell.capacity);
    const responder = new Responder(new Resolver(plan, table, { seed: 2 }));
    const ask = (name: string, qtype: number) => decode(responder.respond(buildQuery(name, qtype), 'udp'));
    const data = (name: string, qtype: number) =>
      (ask(name, qtype).answers ?? []).map((a) => `${a.type} ${JSON.stringify((a as { data: unknown }).data)}`);

    expect(data('shop.example', 15).sort()).toEqual([
      'MX {"preference":10,"exchange":"mail.shop.example"}',
      'MX {"preference":20,"exchange":"mail-backup.shop.example"}',
    ]);
    expect(data('www.shop.example', 1)[0]).toBe('CNAME "web.shop.example"');
    expect(data('nothing-here.shop.example', 1)[0]).toBe('CNAME "web.shop.example"');
    const api = () => data('api.shop.example', 1);
    expect(['A "127.0.1.11"', 'A "127.0.1.12"']).toContain(api()[0]);
    table.set(2, Status.UNHEALTHY);
    table.set(3, Status.UNHEALTHY);
    table.publish();
    expect(['A "127.0.1.21"', 'A "127.0.1.22"']).toContain(api()[0]);
    const referral = ask('host.lab.shop.example', 1);
    expect(rcodeOf(referral)).toBe('NOERROR');
    expect((referral.authorities ?? []).map((r) => r.type)).toEqual(['NS']);
    expect((referral.additionals ?? []).map((r) => r.type)).toEqual(['A']);
  });
});
