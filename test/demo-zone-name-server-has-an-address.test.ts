import { describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The bundled demo zone names ns1.demo.test as its name server (NS and SOA);
 * `urnd serve` on the bundled config must answer that name with an address,
 * or a resolver following the delegation finds nobody. Real process, real dig.
 */
const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

describe('the demo zone', () => {
  it('answers its own name server ns1.demo.test with an address', async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm test does)`);
    // The bundled config, no --demo targets: the name server's record has no check.
    const child = spawn(
      process.execPath,
      [cli, 'serve', '--checkers', '1', '--dns-listen', '127.0.0.1:0', '--admin', 'off', '--duration', '20'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let buf = '';
        child.stdout.setEncoding('utf8').on('data', (c: string) => {
          buf += c;
          const m = /urnd serve: DNS on 127\.0\.0\.1:(\d+) /.exec(buf);
          if (m !== null) resolve(Number(m[1]));
        });
        void exited.then((code) => reject(new Error(`serve exited (${code}) before answering DNS: ${buf}${stderr}`)));
      });
      const dig = (...args: string[]) =>
        execFileSync('dig', ['@127.0.0.1', '-p', String(port), '+short', '+time=2', '+tries=2', ...args], {
          encoding: 'utf8',
        }).trim();
      expect(dig('demo.test', 'NS')).toBe('ns1.demo.test.');
      expect(dig('ns1.demo.test', 'A')).toBe('127.0.0.1');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    expect(stderr).toBe('');
  });
});
