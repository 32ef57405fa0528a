import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { affinityOf, cpuPlan, pinThreads, pinTree, processTree } from '../bench/dns-overload-cpus.js';

/**
 * The overload benchmark pins the server to one CPU and the loader to the
 * other. A server is a process with threads (urnd: resolver and checker
 * workers) and maybe children (PowerDNS's guardian): a pin that missed one
 * would leave it free to take the loader's core, so every thread of every
 * process in the tree is read back from /proc.
 */
const twoCpus = os.cpus().length >= 2 && cpuPlan().pinned;

/** Every thread's allowed CPU list, for each pid. */
function threadCpus(pids: readonly number[]): string[] {
  const lists: string[] = [];
  for (const pid of pids)
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      lists.push(/Cpus_allowed_list:\s*(\S+)/.exec(status)?.[1] ?? '?');
    }
  return lists;
}

// A process with a worker thread and a child process of its own; it prints "ready" once both run.
const TREE = `
const { Worker } = require('node:worker_threads');
const { spawn } = require('node:child_process');
new Worker('setInterval(() => {}, 1000)', { eval: true }).on('online', () => {
  const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  c.on('spawn', () => process.stdout.write('ready\\n'));
  process.on('SIGTERM', () => { c.kill('SIGKILL'); process.exit(0); });
});
`;

describe.skipIf(!twoCpus)('overload benchmark CPU pinning', () => {
  let child: ChildProcess | null = null;
  afterEach(() => {
    child?.kill('SIGTERM');
    child = null;
  });

  it('pins every thread of a process and of its children, and only the threads of one process with pinThreads', async () => {
    child = spawn(process.execPath, ['-e', TREE], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('tree not ready in 10 s')), 10_000);
      child?.stdout?.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const pid = child.pid as number;
    const tree = processTree(pid);
    expect(tree.length).toBe(2);
    // Before: whatever this test runner allows (both CPUs here), not yet 0 alone.
    expect(threadCpus(tree).every((l) => l === '0')).toBe(false);

    expect(pinTree(pid, '0')).toEqual(tree);
    const pinned = threadCpus(tree);
    expect(pinned.length).toBeGreaterThan(4); // node's own threads, the worker, the child's
    expect(new Set(pinned)).toEqual(new Set(['0']));
    expect(affinityOf(pid)).toBe('0');

    pinThreads(pid, '1');
    expect(new Set(threadCpus([pid]))).toEqual(new Set(['1']));
    expect(new Set(threadCpus(tree.slice(1)))).toEqual(new Set(['0']));
  });

  it('fails in one line naming the pid when it cannot pin', () => {
    expect(() => pinThreads(999_999_999, '0')).toThrow(/^taskset -a -c -p 0 999999999: /);
  });
});
