/**
 * CPU pinning for the overload scenario: the server on one core, the loader
 * on another, so neither takes the other's CPU and the goodput ratio says
 * something about the server. Linux only (`taskset`, /proc); elsewhere, or
 * with one CPU, `cpuPlan()` says why not and nothing is pinned.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

/** Where the server and the loader run, or why they are not pinned. */
export type CpuPlan =
  | { readonly pinned: true; readonly server: string; readonly loader: string }
  | { readonly pinned: false; readonly why: string };

/** CPU 0 for the server and CPU 1 for the loader when there are two CPUs and `taskset` runs. */
export function cpuPlan(): CpuPlan {
  if (os.cpus().length < 2) return { pinned: false, why: 'one CPU' };
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore', timeout: 5000 });
  } catch {
    return { pinned: false, why: 'no taskset' };
  }
  return { pinned: true, server: '0', loader: '1' };
}

/** `pid`'s CPU list as taskset prints it ("0,1"), or null if it cannot be read. */
export function affinityOf(pid: number): string | null {
  try {
    const out = execFileSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8', timeout: 5000 });
    return /list:\s*(\S+)/.exec(out)?.[1] ?? null;
  } catch {
    return null;
  }
}

/** `pid` and its descendants, from /proc (a process's children by their parent pid). */
export function processTree(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // exited while listed
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parentOf) if (parent === tree[i]) tree.push(child);
  }
  return tree;
}

/** Pins every thread of process `pid` (not its children) to `cpus`; threads it starts later inherit it. */
export function pinThreads(pid: number, cpus: string): void {
  // `taskset -a` on a pid that does not exist lists no threads and exits 0: check it is there.
  if (!existsSync(`/proc/${pid}/task`)) throw new Error(`taskset -a -c -p ${cpus} ${pid}: no such process`);
  try {
    execFileSync('taskset', ['-a', '-c', '-p', cpus, String(pid)], { stdio: 'ignore', timeout: 5000 });
  } catch (err) {
    throw new Error(`taskset -a -c -p ${cpus} ${pid}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Pins every thread of `pid` and of its descendants to `cpus`. Returns the pids pinned. */
export function pinTree(pid: number, cpus: string): number[] {
  const pids = processTree(pid);
  for (const p of pids) pinThreads(p, cpus);
  return pids;
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on every Linux ABI Node runs on). */
const kTicksPerSecond = 100;

/** CPU seconds (user + system) used so far by `pid` and its descendants; 0 for any that cannot be read. */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After "(comm) ": state is field 3, utime 14 and stime 15 of the whole line.
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited
    }
  }
  return ticks / kTicksPerSecond;
}

/** What one CPU has done since boot, in ticks: busy (not idle, not waiting on I/O) and in all. */
export interface CpuTicks {
  readonly busy: number;
  readonly total: number;
}

/**
 * CPU `cpu`'s ticks from /proc/stat (its "cpuN" line: user nice system idle
 * iowait irq softirq steal; guest time is already in user), or null where
 * there is no such line. The kernel's work for a process (softirq for its
 * packets) is in these, where a process's own CPU time may not be.
 */
export function cpuTicks(cpu: string): CpuTicks | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`cpu${cpu} `));
    if (line === undefined) return null;
    const t = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = t.reduce((a, b) => a + b, 0);
    return { busy: total - (t[3] ?? 0) - (t[4] ?? 0), total };
  } catch {
    return null;
  }
}

/** % of the time CPU `cpu` was busy between two `cpuTicks` readings, or null. */
export function busyPct(before: CpuTicks | null, after: CpuTicks | null): number | null {
  if (before === null || after === null || after.total <= before.total) return null;
  return ((after.busy - before.busy) * 100) / (after.total - before.total);
}
