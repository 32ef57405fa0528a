import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RoleProcess, requireBuilt } from './support/roles.js';

/**
 * A relative `frames.keyFile` is read from the config file's folder, wherever
 * the process was started, and `urnd validate` reads the key as every node
 * will: a key file it cannot read makes the document invalid (exit 1).
 */
const KEY = 'ab'.repeat(32);
const doc = (keyFile: string) => `cell: { name: keyed, capacity: 64 }\nframes: { keyFile: ${keyFile} }\n`;

let dir: string;
beforeAll(() => {
  requireBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'urnd-keyfile-'));
  mkdirSync(path.join(dir, 'conf'));
  writeFileSync(path.join(dir, 'conf', 'frames.key'), `${KEY}\n`);
  writeFileSync(path.join(dir, 'conf', 'good.yaml'), doc('frames.key'));
  writeFileSync(path.join(dir, 'conf', 'missing.yaml'), doc('no-such.key'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function validate(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Started from another folder: the key must still be found next to the document.
  const p = new RoleProcess('validate', ['validate', file]);
  const code = await p.exited;
  return { code, stdout: p.lines.join('\n'), stderr: p.stderr };
}

describe('frames.keyFile relative to the config file', () => {
  it('validate reads a relative key file next to the document', async () => {
    const r = await validate(path.join(dir, 'conf', 'good.yaml'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('frame key: file frames.key');
  });

  it('validate rejects a key file it cannot read, naming the field, in one line', async () => {
    const r = await validate(path.join(dir, 'conf', 'missing.yaml'));
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `urnd validate: config rejected: frames.keyFile: cannot read ${path.join(dir, 'conf', 'no-such.key')}: no such file`,
    ]);
  });
});
