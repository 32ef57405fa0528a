import { rmSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellConfig, startServe } from './support/admin.js';
import { requireBuilt, runCli, type RoleProcess } from './support/roles.js';

/**
 * The admin listener binds any port, so `urnd status` and `urnd explain`
 * reach it on any port, those the Fetch standard blocks too (6665–6669,
 * 6000, 10080, …): with fetch they failed as "bad port" against a process
 * that was there and answering. The first of those ports free on a loopback
 * address of its own is used.
 */
const HOST = '127.0.46.9';
const FETCH_BLOCKED_PORTS = [6666, 6667, 6668, 6669, 6665, 10080, 6000];

function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, HOST, () => s.close(() => resolve(true)));
  });
}

const urnd = (args: string[]) => runCli(args);

let cfg: { dir: string; file: string };
let serve: { proc: RoleProcess; admin: string } | undefined;
let admin = '';

beforeAll(async () => {
  requireBuilt();
  cfg = cellConfig('anyport', ['127.0.46.1'], 9);
  for (const port of FETCH_BLOCKED_PORTS) {
    if (!(await free(port))) continue;
    admin = `${HOST}:${port}`;
    serve = await startServe('serve', cfg.file, ['--admin', admin]);
    break;
  }
  if (serve === undefined) throw new Error(`none of ${FETCH_BLOCKED_PORTS.join(', ')} is free on ${HOST}`);
}, 30_000);

afterAll(async () => {
  await serve?.proc.stop();
  if (cfg !== undefined) rmSync(cfg.dir, { recursive: true, force: true });
});

describe('urnd status and explain reach an admin listener on a port fetch blocks', () => {
  it('status and explain answer from the running process', async () => {
    expect(serve?.admin).toBe(`http://${admin}`);
    const status = await urnd(['status', '--admin', admin]);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^urnd serve: cell "anyport", 64 slots/);
    const explain = await urnd(['explain', 'pool.anyport.test', '--admin', admin]);
    expect(explain.code).toBe(0);
    expect(explain.stdout).toMatch(/^pool\.anyport\.test: /);
  });
});
