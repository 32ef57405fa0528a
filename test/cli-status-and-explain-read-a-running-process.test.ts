import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { Targets } from './support/targets.js';
import { freePort, requireBuilt, runCli, type RoleProcess } from './support/roles.js';
import { cellConfig, get, startServe } from './support/admin.js';

async function until(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * `urnd status` and `urnd explain` as real commands against a running
 * `urnd serve --admin`, and `urnd explain -c` offline; an address where
 * nothing listens is one line naming it, exit 1.
 */
const hosts = ['127.0.45.1', '127.0.45.2'];
let targets: Targets;
let cfg: { dir: string; file: string };
let serve: { proc: RoleProcess; admin: string; dnsPort: number };

beforeAll(async () => {
  requireBuilt();
  targets = await Targets.start(hosts);
  cfg = cellConfig('clistatus', hosts, targets.port);
  serve = await startServe('serve', cfg.file);
}, 30_000);

afterAll(async () => {
  await serve?.proc.stop();
  await targets?.stop();
  if (cfg !== undefined) rmSync(cfg.dir, { recursive: true, force: true });
});

const urnd = (args: string[]) => runCli(args);

describe('urnd status / urnd explain', () => {
  it('report a target going down', async () => {
    const admin = serve.admin.replace('http://', '');
    // Wait on the page itself (a CLI start per poll is slow on a busy machine), then run each command once.
    const statuses = async () =>
      (JSON.parse((await get(`${serve.admin}/status`)).body) as { checks: { id: string; status: string }[] }).checks;
    await until(async () => (await statuses()).every((c) => c.status === 'healthy'), 15_000, 'all healthy');
    const json = await urnd(['status', '--admin', admin, '--json']);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { checks: { status: string }[] }).checks.map((c) => c.status)).toEqual([
      'healthy',
      'healthy',
    ]);
    await targets.down('127.0.45.2');
    await until(
      async () => (await statuses()).find((c) => c.id === 't1')?.status === 'unhealthy',
      15_000,
      't1 unhealthy',
    );
    const human = (await urnd(['status', '--admin', admin])).stdout;
    expect(human).toMatch(/checks: healthy 1 {2}unhealthy 1 {2}unknown 0/);
    expect(human).toMatch(/^urnd serve: cell "clistatus", 64 slots, config [0-9a-f]{12}/);
    expect(human).toMatch(/^ {2}ready: /m);
    // Refused once the listener is gone; reset if a probe was mid-request when down() cut its connection.
    expect(human).toMatch(/^ {4}t1 +slot +1 +unhealthy votes unhealthy +last failure (?:refused|reset) +since /m);
    expect(human).not.toMatch(/^ {4}t0 /m); // healthy checks only with --all
    expect(human).toMatch(/pool\.clistatus\.test A multivalue: 1 of 2 answers healthy/);

    const ex = await urnd(['explain', 'pool.clistatus.test', 'A', '--admin', admin]);
    expect(ex.code).toBe(0);
    expect(ex.stdout).toMatch(/^ {4}\+ 127\.0\.45\.1 /m);
    expect(ex.stdout).toMatch(/^ {4}- 127\.0\.45\.2 /m);
    const exJson = JSON.parse((await urnd(['explain', 'pool.clistatus.test', '--admin', admin, '--json'])).stdout) as {
      recordSets: { candidates: { eligible: boolean }[] }[];
    };
    expect(exJson.recordSets[0]?.candidates.map((c) => c.eligible)).toEqual([true, false]);
    await targets.up('127.0.45.2');
  }, 60_000); // four CLI starts, each a few seconds on a busy 2-core machine

  it('explains offline from a config file, every check unknown', async () => {
    const r = await urnd(['explain', 'pool.clistatus.test', '-c', cfg.file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/offline: every check unknown/);
    expect(r.stdout.match(/^ {4}\+ /gm)?.length).toBe(2);
  });

  it('says which address did not answer, in one line, exit 1', async () => {
    const port = await freePort('127.0.0.1');
    const r = await urnd(['status', '--admin', `127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(`^urnd status: admin 127\\.0\\.0\\.1:${port}: ECONNREFUSED .*\\[URND_ERR_ADMIN_UNREACHABLE\\]$`),
      ),
    ]);
  });
});
