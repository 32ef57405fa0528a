/**
 * The fault matrix: one scenario per fault, each an `inject` and a `heal`
 * made of kernel tools (net.ts) and signals. The runner (run.ts) wraps each
 * in the same timeline and judges it with the same invariants.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Cell, ALL_TARGETS, pause } from './cell.js';
import { blackholeTargets, lossExceptClient, netemDelay, partition, setLink } from './net.js';
import { PORTS, configDocument, type Host } from './topology.js';

export interface ScenarioContext {
  cell: Cell;
  /** Facilities this kernel and machine have. */
  has: { nft: boolean; netem: boolean };
  /** Something worth a line in the table's "seen" column. */
  note(m: string): void;
  holdMs: number;
}

export interface Scenario {
  name: string;
  /** What was done, for the table. */
  what: string;
  /** Part of `--quick` (and of CI). */
  quick?: boolean;
  needs?: 'nft';
  /** DNS host indices clients cannot reach during the fault by design (their lost queries are expected). */
  unreachableDns?: number[];
  /** DNS host indices whose process the scenario restarts: judged on what changed before from when the new one serves. */
  restartedDns?: number[];
  /** DNS host indices cut off from every cell host: changes made meanwhile count from the fault's end (they cannot know). */
  isolatedDns?: number[];
  /** The probes' own packets are lost: until the fault's end plus the bound only the safe direction is judged (answerSafe). */
  probesLosePackets?: boolean;
  inject(ctx: ScenarioContext): Promise<void> | void;
  /** Undoes the fault; the runner then also lifts every network fault (net.ts liftNetworkFaults) and revives every process. */
  heal(ctx: ScenarioContext): Promise<void> | void;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));

function stopAll(cell: Cell, hosts: readonly Host[], sig: NodeJS.Signals): void {
  for (const h of hosts) cell.procs.get(h.name)?.signal(sig);
}

async function killAll(cell: Cell, hosts: readonly Host[]): Promise<void> {
  await Promise.all(hosts.map((h) => cell.kill(h)));
}

function restart(cell: Cell, hosts: readonly Host[]): void {
  for (const h of hosts) cell.startRole(h);
}

/** Flaps `h`'s link for `ms`: down 2 s, up 2 s. */
async function flap(cell: Cell, h: Host, ms: number): Promise<void> {
  const until = Date.now() + ms;
  let up = false;
  while (Date.now() < until) {
    setLink(cell.topo, h, up);
    up = !up;
    await pause(Math.min(2000, Math.max(0, until - Date.now())));
  }
  setLink(cell.topo, h, true);
}

let flapping: Promise<void> | undefined;
let hostile: Promise<string> | undefined;

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'checker-dead',
    what: 'kill -9 checker 0; restarted at the end',
    quick: true,
    inject: ({ cell }) => cell.kill(cell.topo.checkers[0] as Host),
    heal: ({ cell }) => void restart(cell, [cell.topo.checkers[0] as Host]),
  },
  {
    name: 'two-checkers-stopped',
    what: 'SIGSTOP checkers 0 and 1 (sockets open, silent); SIGCONT at the end',
    inject: ({ cell }) => stopAll(cell, cell.topo.checkers.slice(0, 2), 'SIGSTOP'),
    heal: ({ cell }) => stopAll(cell, cell.topo.checkers.slice(0, 2), 'SIGCONT'),
  },
  {
    name: 'all-checkers-dead',
    what: 'kill -9 all three checkers; all restarted at the end',
    inject: ({ cell }) => killAll(cell, cell.topo.checkers),
    heal: ({ cell }) => restart(cell, cell.topo.checkers),
  },
  {
    name: 'aggregator-dead',
    what: 'kill -9 aggregator 0; restarted at the end',
    inject: ({ cell }) => cell.kill(cell.topo.aggregators[0] as Host),
    heal: ({ cell }) => restart(cell, [cell.topo.aggregators[0] as Host]),
  },
  {
    name: 'both-aggregators-dead',
    what: 'kill -9 both aggregators (DNS keeps its last table, staleness grows); both restarted at the end',
    quick: true,
    inject: ({ cell }) => killAll(cell, cell.topo.aggregators),
    heal: ({ cell }) => restart(cell, cell.topo.aggregators),
  },
  {
    name: 'partition-checker-aggregators',
    what: 'checker 0 cut off from both aggregators (silent neighbour black-hole, both ways)',
    inject: ({ cell }) => {
      for (const a of cell.topo.aggregators) partition(cell.topo.checkers[0] as Host, a);
    },
    heal: () => undefined,
  },
  {
    name: 'partition-aggregator-dns',
    what: 'aggregator 0 cut off from DNS host 0 (DNS 0 still fed by aggregator 1)',
    inject: ({ cell }) => partition(cell.topo.aggregators[0] as Host, cell.topo.dns[0] as Host),
    heal: () => undefined,
  },
  {
    name: 'dns-isolated',
    what: 'DNS host 0 cut off from every cell host, its clients still reach it',
    quick: true,
    isolatedDns: [0],
    inject: ({ cell }) => {
      const d = cell.topo.dns[0] as Host;
      for (const h of cell.topo.hosts) if (h !== d && h.role !== 'client') partition(d, h);
    },
    heal: () => undefined,
  },
  {
    name: 'loss-and-delay',
    what: '30% random loss (nft numgen) on every cell link, both directions, client traffic spared; 200 ms delay (netem) where the kernel has it',
    needs: 'nft',
    probesLosePackets: true,
    inject: ({ cell, has, note }) => {
      for (const h of cell.topo.hosts) if (h.role !== 'client') lossExceptClient(cell.topo, h, 30);
      if (has.netem) {
        for (const h of cell.topo.hosts) if (h.role !== 'client') netemDelay(h, 200);
      } else note('no 200 ms delay: this kernel has no sch_netem, loss only');
    },
    heal: () => undefined,
  },
  {
    name: 'flapping-link',
    what: "aggregator 0's link down/up every 2 s (ip link set at the bridge)",
    inject: (ctx) => {
      flapping = flap(ctx.cell, ctx.cell.topo.aggregators[0] as Host, ctx.holdMs - 500);
    },
    heal: async () => {
      await flapping;
    },
  },
  {
    name: 'hostile-peer',
    what: "16 connections each flooding random bytes into aggregator 0's vector port and DNS 0's frames port",
    inject: (ctx) => {
      const { topo } = ctx.cell;
      const to = [`${topo.aggregators[0]?.addr}:${PORTS.vectors}`, `${topo.dns[0]?.addr}:${PORTS.frames}`].join(',');
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          topo.client.ns,
          process.execPath,
          path.join(HERE, 'hostile-peer.js'),
          to,
          String(Math.round((ctx.holdMs - 500) / 1000)),
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      hostile = new Promise((r) => child.once('exit', () => r(out.trim())));
    },
    heal: async ({ note }) => {
      const out = await hostile;
      if (out !== undefined && out.length > 0) note(`flood ${out}`);
    },
  },
  {
    name: 'config-host-down',
    what: "config host's link down",
    inject: ({ cell }) => setLink(cell.topo, cell.topo.config, false),
    heal: ({ cell }) => setLink(cell.topo, cell.topo.config, true),
  },
  {
    name: 'config-slow',
    what: 'config host trickles the document, one byte per 100 ms',
    inject: ({ cell }) => cell.procs.get('config')?.send('slow'),
    heal: ({ cell }) => cell.procs.get('config')?.send('ok'),
  },
  {
    name: 'config-truncated',
    what: 'config host announces the whole document and sends half',
    inject: ({ cell }) => cell.procs.get('config')?.send('truncated'),
    heal: ({ cell }) => cell.procs.get('config')?.send('ok'),
  },
  {
    name: 'config-other-cell',
    what: 'config host serves a valid document of another cell',
    inject: ({ cell }) =>
      cell.procs.get('config')?.send(`other ${Buffer.from(configDocument(cell.topo, 'another')).toString('base64')}`),
    heal: ({ cell }) => cell.procs.get('config')?.send('ok'),
  },
  {
    name: 'mass-failure-aggregator-dead',
    what: 'kill -9 aggregator 0, then all 64 targets black-holed (addresses removed, SYNs unanswered); restored at the end',
    inject: async ({ cell }) => {
      await cell.kill(cell.topo.aggregators[0] as Host);
      blackholeTargets(cell.topo, ALL_TARGETS, true);
      cell.truth.set(Date.now(), ALL_TARGETS, false);
    },
    heal: ({ cell }) => {
      blackholeTargets(cell.topo, ALL_TARGETS, false);
      restart(cell, [cell.topo.aggregators[0] as Host]);
    },
  },
  {
    name: 'dns-role-restarted',
    what: 'kill -9 all three DNS processes at once, restarted at once',
    unreachableDns: [0, 1, 2],
    restartedDns: [0, 1, 2],
    inject: async ({ cell }) => {
      await killAll(cell, cell.topo.dns);
      restart(cell, cell.topo.dns);
    },
    heal: () => undefined,
  },
];
