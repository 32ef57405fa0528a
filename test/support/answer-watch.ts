import { execFile, execFileSync } from 'node:child_process';
import { resolve4 } from './roles.js';

/** True if dig is on the PATH (CI installs bind9-dnsutils); otherwise Node's resolver asks. */
export const hasDig: boolean = (() => {
  try {
    execFileSync('which', ['dig'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A records of `name` from 127.0.0.1:`port`, sorted: dig +short where installed, else Node's resolver; a string for no answer. */
export function askA(port: number, name: string): Promise<string[] | string> {
  if (!hasDig) return resolve4(port, name);
  return new Promise((resolve) => {
    execFile(
      'dig',
      ['@127.0.0.1', '-p', String(port), '+time=1', '+tries=1', '+short', name, 'A'],
      { timeout: 3000 },
      (err, stdout) => {
        if (err !== null) return resolve(`ERROR ${err.message.split('\n')[0] ?? ''}`);
        resolve(
          stdout
            .split('\n')
            .filter((l) => l.length > 0)
            .sort(),
        );
      },
    );
  });
}

/**
 * Asks every port for `name` every `everyMs` until stopped, keeping every
 * answer, so a test can assert on what the DNS servers said all along (not
 * just at the moments it looked).
 */
export class AnswerWatch {
  readonly answers: { readonly atMs: number; readonly port: number; readonly answer: string[] | string }[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(ports: readonly number[], name: string, everyMs = 100, maxMs = 150_000) {
    const t0 = Date.now();
    this.done = (async () => {
      while (this.running && Date.now() - t0 < maxMs) {
        const started = Date.now();
        const got = await Promise.all(ports.map((p) => askA(p, name)));
        got.forEach((answer, i) => this.answers.push({ atMs: started - t0, port: ports[i] as number, answer }));
        await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - started))));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  /** The answers that contained `address`. */
  containing(address: string): { atMs: number; port: number; answer: string[] | string }[] {
    return this.answers.filter((a) => Array.isArray(a.answer) && a.answer.includes(address));
  }
}
