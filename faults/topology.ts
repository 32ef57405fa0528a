/**
 * The fault cell's layout, planned as plain data: which namespaces exist,
 * their addresses, the config document they all follow. Pure, so a test
 * can pin it down without root.
 */

/** Every namespace and link of one run starts with this, so a later run can find leftovers. */
export const PREFIX = 'urndf-';
/** The cell's private subnet: it exists only on the bridge namespace's veths, never in the root namespace. */
export const SUBNET = '10.213.0';
export const TARGETS = 64;
export const SET_SIZE = 8;
export const SETS = TARGETS / SET_SIZE;
export const ZONE = 'faults.test';

export const PORTS = { vectors: 7000, frames: 7001, dns: 5353, config: 8053, target: 8080 } as const;

export type Role = 'checker' | 'aggregator' | 'dns' | 'targets' | 'config' | 'client';

export interface Host {
  /** Short name: chk0, agg1, dns2, targets, config, client (also the veth's suffix, ≤ 15 bytes in all). */
  readonly name: string;
  readonly role: Role;
  /** Index within its role (vantage number for checkers). */
  readonly index: number;
  readonly ns: string;
  readonly addr: string;
  /** Bridge-side end of its veth pair (in the bridge namespace). */
  readonly veth: string;
}

export interface Topology {
  readonly runId: string;
  readonly bridgeNs: string;
  readonly hosts: readonly Host[];
  readonly checkers: readonly Host[];
  readonly aggregators: readonly Host[];
  readonly dns: readonly Host[];
  readonly targets: Host;
  readonly config: Host;
  readonly client: Host;
  /** Target i answers on targetAddr(i):PORTS.target. */
  readonly targetAddrs: readonly string[];
}

const LAYOUT: readonly [Role, number, number][] = [
  // role, count, first host number on the subnet
  ['checker', 3, 11],
  ['aggregator', 2, 21],
  ['dns', 3, 31],
  ['targets', 1, 40],
  ['config', 1, 50],
  ['client', 1, 60],
];
const SHORT: Record<Role, string> = {
  checker: 'chk',
  aggregator: 'agg',
  dns: 'dns',
  targets: 'targets',
  config: 'config',
  client: 'client',
};

/** Namespace names carry the harness's pid, so a leftover of a dead run is recognisable. */
export function planTopology(pid: number): Topology {
  const runId = `${PREFIX}${pid}-`;
  const hosts: Host[] = [];
  for (const [role, count, first] of LAYOUT) {
    for (let i = 0; i < count; i++) {
      const name = count === 1 ? SHORT[role] : `${SHORT[role]}${i}`;
      hosts.push({ name, role, index: i, ns: `${runId}${name}`, addr: `${SUBNET}.${first + i}`, veth: `v-${name}` });
    }
  }
  const of = (r: Role) => hosts.filter((h) => h.role === r);
  return {
    runId,
    bridgeNs: `${runId}br`,
    hosts,
    checkers: of('checker'),
    aggregators: of('aggregator'),
    dns: of('dns'),
    targets: of('targets')[0] as Host,
    config: of('config')[0] as Host,
    client: of('client')[0] as Host,
    targetAddrs: Array.from({ length: TARGETS }, (_, i) => targetAddr(i)),
  };
}

export function targetAddr(i: number): string {
  return `${SUBNET}.${64 + i}`;
}

/** The target an answer address stands for, or -1. */
export function targetOfAddr(addr: string): number {
  if (!addr.startsWith(`${SUBNET}.`)) return -1;
  const i = Number(addr.slice(SUBNET.length + 1)) - 64;
  return i >= 0 && i < TARGETS ? i : -1;
}

export function setName(s: number): string {
  return `g${s}.${ZONE}`;
}

/** The namespace's pid if `ns` is one of ours, else undefined. */
export function ownerPid(ns: string): number | undefined {
  const m = /^urndf-(\d+)-/.exec(ns);
  return m === null ? undefined : Number(m[1]);
}

export interface Timing {
  tickMs: number;
  intervalMs: number;
  timeoutMs: number;
  failureThreshold: number;
  warmupMs: number;
  configIntervalMs: number;
}

export const TIMING: Timing = {
  tickMs: 1000,
  intervalMs: 2000,
  timeoutMs: 1000,
  failureThreshold: 1,
  warmupMs: 3000,
  configIntervalMs: 2000,
};

/**
 * How long after a target's health changes a DNS host may still answer the
 * old way: the failing results in a row, the last probe's deadline, the
 * checker's push (a tick), the aggregator's tick and its push (a tick), and
 * a second of margin for a shared 2-core machine.
 */
export function detectionBoundMs(t: Timing = TIMING): number {
  return t.intervalMs * t.failureThreshold + t.timeoutMs + 2 * t.tickMs + 1000;
}

/** The issue's convergence bound: two ticks plus the detection bound. */
export function convergenceBoundMs(t: Timing = TIMING): number {
  return 2 * t.tickMs + detectionBoundMs(t);
}

/** The config document every node fetches from the config host. `cellName` differs only in the wrong-cell fault. */
export function configDocument(topo: Topology, cellName = 'faults', t: Timing = TIMING): string {
  const sec = (ms: number) => `${ms}ms`;
  const lines = [
    `cell: { name: ${cellName}, capacity: 256 }`,
    `configInterval: ${sec(t.configIntervalMs)}`,
    'aggregator:',
    `  listen: ${topo.aggregators[0]?.addr}:${PORTS.vectors}`,
    `  tick: ${sec(t.tickMs)}`,
    `  vantages: ${topo.checkers.length}`,
    `  subscribers: [${topo.dns.map((h) => `${h.addr}:${PORTS.frames}`).join(', ')}]`,
    `  warmup: ${sec(t.warmupMs)}`,
    `checker: { aggregators: [${topo.aggregators.map((h) => `${h.addr}:${PORTS.vectors}`).join(', ')}] }`,
    `dns: { listen: 0.0.0.0:${PORTS.dns}, framesListen: 0.0.0.0:${PORTS.frames} }`,
    'checks:',
  ];
  for (let i = 0; i < TARGETS; i++) {
    lines.push(
      `  - { id: t${i}, slot: ${i}, type: http, host: ${targetAddr(i)}, port: ${PORTS.target}, path: /health, interval: ${sec(t.intervalMs)}, timeout: ${sec(t.timeoutMs)}, failureThreshold: ${t.failureThreshold} }`,
    );
  }
  lines.push(`zones: [{ origin: ${ZONE} }]`, 'records:');
  for (let s = 0; s < SETS; s++) {
    const answers = Array.from(
      { length: SET_SIZE },
      (_, k) => `{ value: ${targetAddr(s * SET_SIZE + k)}, check: t${s * SET_SIZE + k} }`,
    );
    lines.push(`  - { name: ${setName(s)}, type: A, ttl: 5, policy: multivalue, answers: [${answers.join(', ')}] }`);
  }
  return `${lines.join('\n')}\n`;
}
