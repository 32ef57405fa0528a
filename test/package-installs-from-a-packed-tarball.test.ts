import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What `npm pack` ships is a working package: installed from the tarball
 * into an empty folder (offline, from npm's cache), it imports from an
 * .mjs file, a .ts consumer type-checks against its declarations, and its
 * `urnd` command runs. Packs the already built dist/ (npm test builds
 * first; `prepack` builds when publishing).
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
let dir: string;
let app: string;

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

beforeAll(() => {
  if (!existsSync(path.join(root, 'dist', 'src', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-pack-'));
  npm(['pack', '--ignore-scripts', '--pack-destination', dir], root);
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (tarball === undefined) throw new Error('npm pack wrote no tarball');
  app = path.join(dir, 'app');
  execFileSync('mkdir', [app]);
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
  };
  const dependencies = { urnd: `file:../${tarball}` };
  writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module', dependencies }),
  );
  // The app's lockfile is ours without the development packages, so npm ci
  // needs only tarballs already in npm's cache: no registry, offline.
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const packages: Record<string, unknown> = { '': { name: 'app', version: '1.0.0', dependencies } };
  for (const [where, entry] of Object.entries(lock.packages))
    if (where !== '' && entry.dev !== true) packages[where] = entry;
  packages['node_modules/urnd'] = {
    version: pkg.version,
    resolved: `file:../${tarball}`,
    license: 'MIT',
    dependencies: pkg.dependencies,
    bin: { urnd: 'dist/src/cli/main.js' },
  };
  writeFileSync(
    path.join(app, 'package-lock.json'),
    JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2),
  );
  npm(['ci', '--offline'], app);
}, 240_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('imports from an .mjs file and resolves over its bundled demo config', () => {
    writeFileSync(
      path.join(app, 'consumer.mjs'),
      [
        "import { compileConfig, loadConfigFile, StatusTable, Resolver, UrndError } from 'urnd';",
        "const plan = compileConfig(await loadConfigFile('node_modules/urnd/examples/demo.yaml'));",
        'const resolver = new Resolver(plan, StatusTable.create(plan.cell.capacity));',
        "let code = 'none';",
        "try { resolver.resolve('www.demo.test', 'a'); } catch (err) { if (err instanceof UrndError) code = err.code; }",
        "console.log(JSON.stringify({ static: resolver.resolve('static.demo.test', 'A').addresses.sort(), code }));",
      ].join('\n'),
    );
    const out = execFileSync(process.execPath, ['consumer.mjs'], { cwd: app, encoding: 'utf8', timeout: 20_000 });
    expect(JSON.parse(out)).toEqual({ static: ['127.0.2.1', '127.0.2.2'], code: 'URND_ERR_ARGUMENT' });
  });

  it('type-checks a .ts consumer against its declarations, and rejects a wrong one', () => {
    writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [path.join(root, 'node_modules', '@types')],
        },
        files: ['consumer.ts'],
      }),
    );
    const consumer = (extra: string) =>
      writeFileSync(
        path.join(app, 'consumer.ts'),
        [
          "import { compileConfig, loadConfigFile, StatusTable, Resolver, createLookup, type Plan, type ResolveResult } from 'urnd';",
          "const plan: Plan = compileConfig(await loadConfigFile('urnd.yaml'));",
          'const resolver = new Resolver(plan, StatusTable.create(plan.cell.capacity));',
          "const r: ResolveResult = resolver.resolve('www.demo.test', 'A');",
          'const lookup = createLookup(resolver);',
          'export { r, lookup };',
          extra,
        ].join('\n'),
      );
    consumer('');
    execFileSync(process.execPath, [tsc, '-p', app], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    // Internals are not part of the API: importing one must fail to type-check.
    consumer("import { crc32c } from 'urnd';\nexport { crc32c };");
    const wrong = spawnSync(process.execPath, [tsc, '-p', app], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    expect(wrong.status).not.toBe(0);
    expect(wrong.stdout).toMatch(/consumer\.ts.*has no exported member 'crc32c'/);
  }, 120_000);

  it('installs the urnd command', () => {
    const out = execFileSync(
      path.join(app, 'node_modules', '.bin', 'urnd'),
      ['validate', 'node_modules/urnd/examples/demo.yaml'],
      { cwd: app, encoding: 'utf8', timeout: 20_000 },
    );
    expect(out).toMatch(/^node_modules\/urnd\/examples\/demo\.yaml: valid\n/);
  });
});
