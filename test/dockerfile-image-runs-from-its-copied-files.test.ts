import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cellConfig, get } from './support/admin.js';
import { RoleProcess, requireBuilt } from './support/roles.js';

/**
 * deploy/Dockerfile without Docker (this machine has no daemon): its base
 * image is the newest Node line package.json supports, every file a stage
 * copies exists, and the runtime stage's files alone (laid out as its COPY
 * lines say, in a temp folder standing in for /app) run its ENTRYPOINT and
 * CMD: /healthz and /readyz answer, SIGTERM stops it cleanly. A runtime
 * import of a file the image leaves out (src/, workers/, bench/ sources)
 * fails here.
 */
const root = fileURLToPath(new URL('../', import.meta.url));
const text = readFileSync(path.join(root, 'deploy/Dockerfile'), 'utf8');

interface Stage {
  readonly image: string;
  readonly name: string | null;
  workdir: string;
  readonly copies: { from: string | null; sources: string[]; dest: string }[];
}

function parseDockerfile(source: string): { stages: Stage[]; entrypoint: string[]; cmd: string[]; expose: string[] } {
  const stages: Stage[] = [];
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  const expose: string[] = [];
  for (const raw of source.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [op = '', ...rest] = line.split(/\s+/);
    const stage = stages.at(-1);
    switch (op.toUpperCase()) {
      case 'FROM':
        stages.push({ image: rest[0] ?? '', name: rest[2] ?? null, workdir: '/', copies: [] });
        break;
      case 'WORKDIR':
        if (stage !== undefined) stage.workdir = rest[0] ?? '/';
        break;
      case 'COPY': {
        const from = rest[0]?.startsWith('--from=') ? (rest.shift() as string).slice('--from='.length) : null;
        stage?.copies.push({ from, sources: rest.slice(0, -1), dest: rest.at(-1) ?? '' });
        break;
      }
      case 'ENTRYPOINT':
        entrypoint = JSON.parse(line.slice(op.length)) as string[];
        break;
      case 'CMD':
        cmd = JSON.parse(line.slice(op.length)) as string[];
        break;
      case 'EXPOSE':
        expose.push(...rest);
        break;
    }
  }
  return { stages, entrypoint, cmd, expose };
}

const docker = parseDockerfile(text);
const runtime = docker.stages.at(-1) as Stage;
const work = mkdtempSync(path.join(tmpdir(), 'urnd-image-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('deploy/Dockerfile', () => {
  it('builds on the newest Node line package.json supports, from files the repository has', () => {
    const engines = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } })
      .engines.node;
    const newest = Math.max(...[...engines.matchAll(/\^(\d+)\./g)].map((m) => Number(m[1])));
    expect(docker.stages.length).toBeGreaterThanOrEqual(2);
    for (const s of docker.stages) expect(s.image).toBe(`node:${newest}-bookworm-slim`);
    for (const s of docker.stages)
      for (const c of s.copies.filter((c) => c.from === null))
        for (const src of c.sources) expect(statSync(path.join(root, src)), `${src}`).toBeTruthy();
    const admin = docker.cmd[docker.cmd.indexOf('--admin') + 1] as string;
    expect(docker.expose).toContain(admin.split(':').at(-1));
  });

  it("runs its ENTRYPOINT and CMD from the runtime stage's files alone, and stops on SIGTERM", async () => {
    requireBuilt();
    // The build stage's WORKDIR is a built checkout of this repository: its /app/X is our X.
    const build = docker.stages.find((s) => s.name !== null && runtime.copies.some((c) => c.from === s.name));
    const app = path.join(work, 'app');
    mkdirSync(app, { recursive: true });
    const inApp = (p: string) => path.join(app, path.relative(runtime.workdir, path.resolve(runtime.workdir, p)));
    for (const c of runtime.copies) {
      for (const src of c.sources) {
        const from =
          c.from === null ? path.join(root, src) : path.join(root, path.relative(build?.workdir ?? '/', src));
        const dest = c.dest.endsWith('/') ? path.join(inApp(c.dest), path.basename(src)) : inApp(c.dest);
        // node_modules is linked, not copied: the same tree, seconds faster.
        if (path.basename(src) === 'node_modules') symlinkSync(from, dest);
        else cpSync(from, dest, { recursive: true });
      }
    }
    expect(docker.entrypoint[0]).toBe('node');
    const script = inApp(docker.entrypoint[1] as string);
    const cell = cellConfig('image', ['127.0.0.1'], 9);
    const args = docker.cmd.map((a, i) => {
      const flag = docker.cmd[i - 1];
      return flag === '--config' ? cell.file : flag === '--admin' ? '127.0.0.1:0' : flag === '--lameduck' ? '1' : a;
    });
    const proc = new RoleProcess('image', [...args, '--dns-listen', '127.0.0.1:0'], {}, script);
    try {
      const admin = (await proc.waitForLine(/admin on (http:\/\/[\d.:]+)/, 20_000))[1] as string;
      await proc.waitForLine(/DNS on 127\.0\.0\.1:\d+/, 20_000);
      expect((await get(`${admin}/healthz`)).status).toBe(200);
      for (let t0 = Date.now(); (await get(`${admin}/readyz`)).status !== 200; ) {
        expect(Date.now() - t0, 'readyz within 10 s').toBeLessThan(10_000);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await proc.stop(8000)).toBe(0);
      // The version comes from the package.json beside dist/, as in the image.
      const version = new RoleProcess('image --version', ['--version'], {}, script);
      const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
      await version.waitForLine(new RegExp(`^${pkg.version.replaceAll('.', '\\.')}$`), 10_000);
    } finally {
      proc.kill();
      rmSync(cell.dir, { recursive: true, force: true });
    }
  });
});
