import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { compileConfig } from '../config/compile.js';
import { loadConfigFile } from '../config/load.js';
import { Status } from '../table/layout.js';
import { StatusTable } from '../table/status-table.js';
import { Resolver } from '../resolve/resolver.js';
import { createLookup } from '../resolve/lookup.js';
import type { Explanation } from '../resolve/explain.js';

/**
 * `urnd demo`: the resolver core, in-process, over a bundled config. It sets
 * statuses by hand (the probing engine is `urnd serve`'s job), so every step
 * is plain to see: what each name answers with every target healthy, with
 * some down, with all down, and an http.request routed by `createLookup`.
 */
export async function runDemo(configPath: string, write: (line: string) => void): Promise<void> {
  const plan = compileConfig(await loadConfigFile(configPath));
  const table = StatusTable.create(plan.cell.capacity);
  const resolver = new Resolver(plan, table);
  const names = ['www.demo.test', 'api.demo.test', 'pool.demo.test'];
  const slotOf = (id: string) => plan.checkSlot.get(id);

  write(`urnd demo — resolver core over ${configPath}`);
  write(
    `cell "${plan.cell.name}": capacity ${plan.cell.capacity} slots, ${plan.checks.length} checks, ${plan.setCount} record sets, plan ${plan.version.slice(0, 12)}`,
  );
  write('');

  const show = (title: string) => {
    write(`── ${title}`);
    for (const name of names) {
      const r = resolver.resolve(name, 'A');
      write(`   ${name.padEnd(16)} → ${r.status === 'ok' ? r.addresses.join(', ') || '(empty answer)' : r.status}`);
    }
  };
  const setAll = (status: Status) => {
    for (const c of plan.checks) if (c.kind === 'probe') table.set(c.slot, status);
    table.publish();
  };

  show('no results yet: every check is unknown, which counts as healthy');
  setAll(Status.HEALTHY);
  show('all 64 targets healthy');
  // Take down every other target, the api primary among them.
  for (const c of plan.checks) if (c.kind === 'probe' && c.slot % 2 === 0) table.set(c.slot, Status.UNHEALTHY);
  table.publish();
  show('every other target down (slots 0, 2, 4, …): answers exclude them');
  write('');
  printExplanation(resolver.explain('api.demo.test'), write);
  setAll(Status.UNHEALTHY);
  show('every target down: record sets answer as if all were healthy (whenAllUnhealthy: answer-all)');

  // A real request through the health-aware lookup: two loopback servers
  // stand in for the api primary and secondary.
  setAll(Status.HEALTHY);
  const apiSet = plan.setByType[0].get('api.demo.test');
  if (apiSet !== undefined) {
    const first = plan.setFirst[apiSet] as number;
    const primary = plan.answerValue[first] as string;
    const secondary = plan.answerValue[first + (plan.setLength[apiSet] as number) - 1] as string;
    const primaryServer = await listen(primary);
    const port = (primaryServer.address() as AddressInfo).port;
    const servers = [primaryServer];
    try {
      servers.push(await listen(secondary, port));
      const lookup = createLookup(resolver);
      write('');
      write(`── http.request to api.demo.test:${port} with lookup: createLookup(resolver)`);
      write(`   primary healthy   → served by ${await get('api.demo.test', port, lookup)}`);
      const primarySlot = plan.answerCheck[first] === null ? undefined : slotOf(plan.answerCheck[first] as string);
      if (primarySlot !== undefined) table.set(primarySlot, Status.UNHEALTHY);
      write(`   primary unhealthy → served by ${await get('api.demo.test', port, lookup)}`);
    } finally {
      await Promise.all(servers.map((s) => new Promise<void>((res) => s.close(() => res()))));
    }
  }
  write('');
  write(
    "The same code path ran for every query above, healthy or not: each answer read every candidate's status byte.",
  );
  write('Next: `urnd validate FILE` checks a config of your own; the README shows the embedding API.');
}

function printExplanation(e: Explanation, write: (line: string) => void): void {
  write(`── explain ${e.name}`);
  for (const set of e.recordSets) {
    write(`   ${set.type} ${set.policy}, ttl ${set.ttl}: ${set.outcome}`);
    for (const c of set.candidates) write(`     ${c.eligible ? '✓' : '✗'} ${c.value.padEnd(12)} ${c.reason}`);
  }
}

function listen(host: string, port = 0): Promise<http.Server> {
  return new Promise((resolve, reject) => {
    const server = http.createServer((_req, res) => res.end(host));
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

function get(host: string, port: number, lookup: ReturnType<typeof createLookup>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, lookup, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.setTimeout(5000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}
