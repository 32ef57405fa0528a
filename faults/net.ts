/**
 * Thin wrappers around the kernel's own tools (`ip`, `nft`, `tc`): every
 * fault is one of these commands, run synchronously so the harness knows
 * it is in place before it starts the clock.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { PREFIX, SUBNET, ownerPid, type Host, type Topology } from './topology.js';

/** Runs a command; throws with its stderr on failure. */
export function sh(cmd: string, args: readonly string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs a command, ignoring failure (teardown of something that may already be gone). */
export function shQuiet(cmd: string, args: readonly string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

export function ip(ns: string, ...args: string[]): string {
  return sh('ip', ['-n', ns, ...args]);
}

/** Why namespaces cannot be made here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root (ip netns needs CAP_SYS_ADMIN)';
  const probe = `${PREFIX}${process.pid}-probe`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.error !== undefined) return `no ip command (${r.error.message})`;
  if (r.status !== 0) return `ip netns add failed: ${r.stderr.trim()}`;
  shQuiet('ip', ['netns', 'del', probe]);
  return undefined;
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Whether this kernel has netem (delay, duplicate, reorder); some build it out. */
export function hasNetem(ns: string, dev: string): boolean {
  const ok = shQuiet('tc', ['-n', ns, 'qdisc', 'add', 'dev', dev, 'root', 'netem', 'delay', '1ms']);
  if (ok) shQuiet('tc', ['-n', ns, 'qdisc', 'del', 'dev', dev, 'root']);
  return ok;
}

export function listNamespaces(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.length > 0);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills every process inside `ns` (they can only be ours: we made the namespace) and deletes it. */
export function removeNamespace(ns: string): void {
  const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  for (const line of (r.stdout ?? '').split('\n')) {
    const pid = Number(line.trim());
    if (Number.isInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  shQuiet('ip', ['netns', 'del', ns]);
}

/** Namespaces with our prefix whose harness pid is dead: a run that was killed -9 left them. */
export function removeStale(log: (m: string) => void): number {
  let n = 0;
  for (const ns of listNamespaces()) {
    const pid = ownerPid(ns);
    if (pid === undefined || (pid !== process.pid && pidAlive(pid))) continue;
    if (pid === process.pid) continue;
    removeNamespace(ns);
    log(`removed stale namespace ${ns} (harness pid ${pid} is gone)`);
    n++;
  }
  return n;
}

/**
 * The bridge lives in a namespace of its own, so nothing in the root
 * namespace has an address or a route on the cell's subnet. Each host gets
 * a veth pair made directly between its namespace and the bridge's.
 */
export function buildNetwork(topo: Topology): void {
  sh('ip', ['netns', 'add', topo.bridgeNs]);
  ip(topo.bridgeNs, 'link', 'set', 'lo', 'up');
  ip(topo.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge');
  ip(topo.bridgeNs, 'link', 'set', 'br0', 'up');
  for (const h of topo.hosts) {
    sh('ip', ['netns', 'add', h.ns]);
    ip(h.ns, 'link', 'set', 'lo', 'up');
    ip(topo.bridgeNs, 'link', 'add', h.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.ns);
    ip(topo.bridgeNs, 'link', 'set', h.veth, 'master', 'br0');
    ip(topo.bridgeNs, 'link', 'set', h.veth, 'up');
    ip(h.ns, 'addr', 'add', `${h.addr}/24`, 'dev', 'eth0');
    ip(h.ns, 'link', 'set', 'eth0', 'up');
  }
  const batch = topo.targetAddrs.map((a) => `addr add ${a}/32 dev eth0`).join('\n');
  sh('ip', ['-n', topo.targets.ns, '-batch', '-'], `${batch}\n`);
}

export function teardownNetwork(topo: Topology): void {
  for (const h of topo.hosts) removeNamespace(h.ns);
  removeNamespace(topo.bridgeNs);
}

/** Host's link up or down, at the bridge's end (the host sees carrier loss, as with a pulled cable). */
export function setLink(topo: Topology, h: Host, up: boolean): void {
  ip(topo.bridgeNs, 'link', 'set', h.veth, up ? 'up' : 'down');
}

// A silent partition with `ip` alone: a permanent neighbour entry with a MAC
// nobody owns, so frames to that peer leave and are dropped by the bridge's
// other ports — no error to the sender, like a cut link. Set on both sides.
const NOBODY = '02:00:5e:00:53:99';

export function partition(a: Host, b: Host): void {
  ip(a.ns, 'neigh', 'replace', b.addr, 'lladdr', NOBODY, 'dev', 'eth0', 'nud', 'permanent');
  ip(b.ns, 'neigh', 'replace', a.addr, 'lladdr', NOBODY, 'dev', 'eth0', 'nud', 'permanent');
}

export function healPartitions(topo: Topology): void {
  for (const h of topo.hosts) shQuiet('ip', ['-n', h.ns, 'neigh', 'flush', 'nud', 'permanent']);
}

/** `pct`% random loss on every packet between `h` and the cell, the client's traffic spared (needs nft). */
export function lossExceptClient(topo: Topology, h: Host, pct: number): void {
  const c = topo.client.addr;
  sh(
    'ip',
    ['netns', 'exec', h.ns, 'nft', '-f', '-'],
    [
      'table inet urndf {',
      `  chain out { type filter hook output priority 0; ip daddr ${SUBNET}.0/24 ip daddr != ${c} numgen random mod 100 < ${pct} drop; }`,
      `  chain in { type filter hook input priority 0; ip saddr ${SUBNET}.0/24 ip saddr != ${c} numgen random mod 100 < ${pct} drop; }`,
      '}',
      '',
    ].join('\n'),
  );
}

export function clearNft(topo: Topology): void {
  for (const h of topo.hosts) shQuiet('ip', ['netns', 'exec', h.ns, 'nft', 'delete', 'table', 'inet', 'urndf']);
}

export function netemDelay(h: Host, ms: number): void {
  sh('tc', ['-n', h.ns, 'qdisc', 'replace', 'dev', 'eth0', 'root', 'netem', 'delay', `${ms}ms`]);
}

export function clearQdiscs(topo: Topology): void {
  for (const h of topo.hosts) shQuiet('tc', ['-n', h.ns, 'qdisc', 'del', 'dev', 'eth0', 'root']);
}

/** Black-holes targets: their addresses leave the targets host, so SYNs to them are dropped unanswered. */
export function blackholeTargets(topo: Topology, which: readonly number[], on: boolean): void {
  const batch = which.map((i) => `addr ${on ? 'del' : 'add'} ${topo.targetAddrs[i]}/32 dev eth0`).join('\n');
  spawnSync('ip', ['-n', topo.targets.ns, '-force', '-batch', '-'], {
    input: `${batch}\n`,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
}

/** Every fault the network can hold, lifted: partitions, loss, delay, links down, black-holed targets. */
export function liftNetworkFaults(topo: Topology): void {
  healPartitions(topo);
  clearNft(topo);
  clearQdiscs(topo);
  for (const h of topo.hosts) setLink(topo, h, true);
  blackholeTargets(
    topo,
    topo.targetAddrs.map((_, i) => i),
    false,
  );
}

/** What is left of a fault in the network (empty when nothing): the check that `liftNetworkFaults` worked. */
export function networkProblems(topo: Topology): string[] {
  const out: string[] = [];
  const run = (args: string[]) => spawnSync(args[0] as string, args.slice(1), { encoding: 'utf8' }).stdout ?? '';
  for (const h of topo.hosts) {
    if (run(['ip', 'netns', 'exec', h.ns, 'nft', 'list', 'tables']).includes('urndf')) out.push(`${h.name}: nft rules`);
    if (run(['ip', '-n', h.ns, 'neigh', 'show', 'nud', 'permanent']).trim() !== '')
      out.push(`${h.name}: permanent neighbour entries`);
    if (run(['tc', '-n', h.ns, 'qdisc', 'show', 'dev', 'eth0']).includes('netem')) out.push(`${h.name}: netem`);
    if (!run(['ip', '-n', topo.bridgeNs, 'link', 'show', h.veth]).includes('state UP'))
      out.push(`${h.name}: link down`);
  }
  const addrs = run(['ip', '-n', topo.targets.ns, '-4', 'addr', 'show', 'dev', 'eth0']);
  const missing = topo.targetAddrs.filter((a) => !addrs.includes(`inet ${a}/32`)).length;
  if (missing > 0) out.push(`targets: ${missing} addresses black-holed`);
  return out;
}
