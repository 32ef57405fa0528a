import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { get } from './support/admin.js';
import { RoleProcess, freePort, requireBuilt } from './support/roles.js';
import { adminAddressFor, parseAdminListen } from '../src/admin/admin-address.js';
import { validateConfig } from '../src/config/index.js';

/**
 * The document's `admin.listen` opens a role's admin listener; `--admin`
 * wins over it (an address, or `off`); a bad value is one line naming the
 * field.
 */
let dir: string;
const procs: RoleProcess[] = [];

beforeAll(() => {
  requireBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-admin-listen-'));
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function doc(name: string, admin: string): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, [`cell: { name: ${name}, capacity: 8 }`, `admin: { listen: '${admin}' }`].join('\n'));
  return file;
}

describe('admin.listen in the config document', () => {
  it('resolves flag, then document, then the role default', () => {
    expect(adminAddressFor('dns', undefined, '127.0.0.9', undefined)).toEqual({ host: '127.0.0.9', port: 9533 });
    expect(adminAddressFor('dns', { host: '::1', port: 1 }, '127.0.0.9', undefined)).toEqual({ host: '::1', port: 1 });
    expect(adminAddressFor('serve', null, '127.0.0.9:1', '127.0.0.1')).toBeNull(); // --admin off
    expect(adminAddressFor('checker', undefined, 'off', '127.0.0.1')).toBeNull();
    expect(adminAddressFor('serve', undefined, null, '127.0.0.1')).toEqual({ host: '127.0.0.1', port: 9530 });
    expect(adminAddressFor('aggregator', undefined, null, undefined)).toBeNull();
    expect(parseAdminListen(':7', 'checker')).toEqual({ host: '127.0.0.1', port: 7 });
    expect(validateConfig({ cell: { name: 'a' }, admin: { listen: '[::1]:9' } }).admin.listen).toBe('[::1]:9');
    expect(() => validateConfig({ cell: { name: 'a' }, admin: { listen: 'localhost:x' } })).toThrow(
      /admin\.listen.*"localhost:x" is not HOST\[:PORT\]/,
    );
  });

  it('urnd serve listens where the document says, and --admin wins', async () => {
    const port = await freePort();
    const file = doc('fromdoc', `127.0.0.1:${port}`);
    const serve = new RoleProcess('serve', ['serve', '-c', file, '--no-dns']);
    procs.push(serve);
    const at = (await serve.waitForLine(/admin on (http:\/\/[\d.:]+)/, 20_000))[1];
    expect(at).toBe(`http://127.0.0.1:${port}`);
    expect((await get(`${at}/healthz`)).status).toBe(200);

    const flagged = new RoleProcess('serve --admin', ['serve', '-c', file, '--no-dns', '--admin', '127.0.0.1:0']);
    procs.push(flagged);
    const other = (await flagged.waitForLine(/admin on (http:\/\/[\d.:]+)/, 20_000))[1];
    expect(other).not.toBe(`http://127.0.0.1:${port}`);
    expect((await get(`${other}/healthz`)).status).toBe(200);

    const off = new RoleProcess('serve --admin off', ['serve', '-c', file, '--no-dns', '--admin', 'off']);
    procs.push(off);
    await off.waitForLine(/^urnd serve: /, 20_000);
    await off.stop();
    expect(off.lines.some((l) => /admin on/.test(l))).toBe(false);
  }, 60_000);

  it('a bad admin.listen stops the start with one line naming the field', async () => {
    const p = new RoleProcess('validate', ['validate', '-c', doc('bad', 'nowhere')]);
    procs.push(p);
    expect(await p.exited).not.toBe(0);
    const said = `${p.lines.join('\n')}\n${p.stderr}`;
    expect(said).toMatch(/admin\.listen/);
    expect(said).toMatch(/"nowhere"/);
    expect(said).not.toMatch(/\n\s+at /); // no stack
  });
});
