import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Ordinary mistakes and ordinary endings, as real processes: a missing
 * file or an unwritable output is one line on stderr and exit 1 (no stack),
 * and a reader that stops early (`| head -1`) ends urnd quietly.
 */
const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const demoConfig = fileURLToPath(new URL('../examples/demo.yaml', import.meta.url));
const savedHistogram = fileURLToPath(new URL('../results/probes-lateness-answering.hgrm', import.meta.url));

function urnd(...args: string[]) {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does)`);
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 15_000 });
}

/** stderr as lines, without the final newline. */
const lines = (s: string) => s.replace(/\n$/, '').split('\n');

describe('ordinary errors are one line, exit 1', () => {
  it('urnd report missing.hgrm names the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'urnd-errors-'));
    try {
      const missing = path.join(dir, 'missing.hgrm');
      const r = urnd('report', missing);
      expect(r.status).toBe(1);
      expect(lines(r.stderr)).toEqual([`urnd report: cannot open ${missing}: no such file or directory (ENOENT)`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('urnd report --svg into a folder that does not exist names the path', () => {
    const r = urnd('report', savedHistogram, '--svg', '/nonexistent/x.svg');
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual([
      'urnd report: cannot open /nonexistent/x.svg: no such file or directory (ENOENT)',
    ]);
  });

  it('urnd validate of a missing file is one line', () => {
    const r = urnd('validate', '/nonexistent/cell.yaml');
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('/nonexistent/cell.yaml');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('a reader that goes away ends urnd quietly', () => {
  it.each([
    ['demo', ['demo']],
    ['validate', ['validate', demoConfig]],
  ])('urnd %s | head -1: first line out, nothing on stderr, exit 0', (_name, args) => {
    // bash, so PIPESTATUS gives urnd's own exit status rather than head's.
    const quoted = [process.execPath, cli, ...args].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('bash', ['-c', `${quoted} | head -1; echo "status \${PIPESTATUS[0]}"`], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.stderr).toBe('');
    const out = lines(r.stdout);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^urnd demo|: valid$/);
    expect(out[1]).toBe('status 0');
  });
});
