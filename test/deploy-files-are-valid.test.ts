import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import { compileConfig } from '../src/config/compile.js';
import { parseConfigText } from '../src/config/load.js';
import { ADMIN_DEFAULT_PORTS } from '../src/admin/admin.js';
import { hasBinary } from './support/admin.js';

/**
 * The deploy/ files say what the code does: each systemd unit passes
 * `systemd-analyze verify` (where installed), reloads with SIGHUP, restarts,
 * uses its role's admin port, and only the DNS-serving ones may bind port
 * 53; the Kubernetes manifest probes /readyz and /healthz on the admin
 * port, and its cell document compiles.
 */
const deploy = fileURLToPath(new URL('../deploy/', import.meta.url));
const units = readdirSync(path.join(deploy, 'systemd')).filter((f) => f.endsWith('.service'));

describe('systemd units', () => {
  it('one per role, each with reload, restart, its admin port and lameduck', () => {
    expect(units.sort()).toEqual([
      'urnd-aggregator.service',
      'urnd-checker.service',
      'urnd-dns.service',
      'urnd-serve.service',
    ]);
    for (const u of units) {
      const role = u.replace(/^urnd-|\.service$/g, '') as keyof typeof ADMIN_DEFAULT_PORTS;
      const text = readFileSync(path.join(deploy, 'systemd', u), 'utf8');
      expect(text).toMatch(
        new RegExp(
          `^ExecStart=/usr/bin/urnd ${role} .*--admin 127\\.0\\.0\\.1:${ADMIN_DEFAULT_PORTS[role]} --lameduck \\d+$`,
          'm',
        ),
      );
      expect(text).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
      expect(text).toMatch(/^Restart=always$/m);
      const binds53 = role === 'serve' || role === 'dns';
      expect(/^AmbientCapabilities=CAP_NET_BIND_SERVICE$/m.test(text)).toBe(binds53);
    }
  });

  it.skipIf(!hasBinary('systemd-analyze'))('pass systemd-analyze verify', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'urnd-units-'));
    try {
      // verify checks that ExecStart's binary exists: point it at a stand-in.
      const bin = path.join(dir, 'urnd');
      writeFileSync(bin, '#!/bin/sh\n');
      chmodSync(bin, 0o755);
      for (const u of units) {
        writeFileSync(
          path.join(dir, u),
          readFileSync(path.join(deploy, 'systemd', u), 'utf8').replaceAll('/usr/bin/urnd', bin),
        );
        const r = spawnSync('systemd-analyze', ['verify', path.join(dir, u)], { encoding: 'utf8' });
        expect(`${u}: ${r.stdout}${r.stderr}`.trim()).toBe(`${u}:`);
        expect(r.status).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Kubernetes manifest', () => {
  const docs = loadAll(readFileSync(path.join(deploy, 'kubernetes', 'urnd-serve.yaml'), 'utf8')) as Record<
    string,
    unknown
  >[];
  // biome-ignore lint/suspicious/noExplicitAny: a manifest read as plain JSON
  const byKind = (k: string) => docs.find((d) => d.kind === k) as Record<string, any>;

  it('probes /readyz and /healthz on the admin port the args open', () => {
    const c = byKind('Deployment').spec.template.spec.containers[0];
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    const admin = c.ports.find((p: { name: string }) => p.name === 'admin');
    expect(c.args.join(' ')).toContain(`--admin 0.0.0.0:${admin.containerPort}`);
    const lameduck = Number(c.args[c.args.indexOf('--lameduck') + 1]);
    expect(byKind('Deployment').spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(lameduck);
  });

  it('carries a cell document that compiles, answering on the port the Service targets', () => {
    const plan = compileConfig(parseConfigText(byKind('ConfigMap').data['cell.yaml'], 'cell.yaml'));
    const udp = byKind('Deployment').spec.template.spec.containers[0].ports.find(
      (p: { name: string }) => p.name === 'dns-udp',
    );
    expect(plan.dns.port).toBe(udp.containerPort);
    expect(byKind('Service').spec.ports.map((p: { port: number }) => p.port)).toEqual([53, 53]);
  });
});
