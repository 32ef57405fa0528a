/**
 * What `urnd checker`, `urnd aggregator` and `urnd dns` show their admin
 * listeners: closures over the objects each role already has, so a role
 * adds one `Admin.start(listen, xSource({...}))` call and nothing else.
 */
import type { Plan } from '../config/plan.js';
import type { Aggregator } from '../aggregate/aggregator.js';
import type { CheckerPool } from '../check/checker-pool.js';
import type { DnsFront } from '../serving/dns-front.js';
import type { PrometheusWriter } from '../metrics/prometheus.js';
import type { FrameListener, FramePublisher } from '../snapshot/push.js';
import type { StatusTable } from '../table/status-table.js';
import type { StatusChanges } from '../table/status-changes.js';
import type { DnsProcessSet } from '../serving/dns-processes.js';
import type { StatusIntake, VectorIntake } from '../roles/receivers.js';
import type { ConfigLoop } from '../config/loop.js';
import type { AdminSource, Readiness } from './admin.js';
import {
  writeChecks,
  writeConfig,
  writeDns,
  writeFramesIn,
  writeFramesOut,
  writeProbes,
  writeStaleness,
  writeStatusChanges,
  writeTick,
} from './metric-families.js';
import { cellStatus } from './status-document.js';

/** A DNS server is ready while its table is younger than this many ticks (and it has one). */
export const DNS_READY_TICKS = 5;

function configStatus(config: ConfigLoop): object {
  const c = config.stats();
  return { version: c.version, passes: c.passes, rejected: c.rejected, lastError: c.lastError };
}

/** `urnd checker`: ready once it has finished as many probes as it has probe checks (each probed about once). */
export function checkerSource(p: {
  config: ConfigLoop;
  pool: CheckerPool;
  vantage: number;
  publisher: () => FramePublisher;
  probeChecks: () => number;
}): AdminSource {
  const readiness = (): Readiness => {
    const done = p.pool.stats().probesDone;
    const want = p.probeChecks();
    return done >= want
      ? { ready: true, reason: `probing, ${done} probes done` }
      : { ready: false, reason: `first round of probes: ${done} of ${want} done` };
  };
  return {
    role: 'checker',
    readiness,
    writeMetrics(w: PrometheusWriter) {
      writeConfig(w, 'checker', p.config.stats(), p.config.plan.cell.name);
      w.single('urnd_vantage', 'gauge', "This checker's vantage point number.", p.vantage);
      writeProbes(w, p.pool.stats(), p.pool.lateness());
      writeFramesOut(w, p.publisher().stats());
    },
    status() {
      const plan = p.config.plan;
      return {
        role: 'checker',
        cell: plan.cell,
        vantage: p.vantage,
        config: configStatus(p.config),
        probes: p.pool.stats(),
        aggregators: p.publisher().stats(),
        checks: plan.checks.filter((c) => c.kind === 'probe').map((c) => ({ id: c.id, slot: c.slot })),
      };
    },
  };
}

/** `urnd aggregator`: ready once warm (it publishes status frames). */
export function aggregatorSource(p: {
  config: ConfigLoop;
  plan: () => Plan;
  aggregator: Aggregator;
  status: StatusTable;
  changes: StatusChanges;
  intake: VectorIntake;
  remote: readonly number[];
  listener: () => FrameListener | null;
  publisher: () => FramePublisher;
  local: CheckerPool | null;
  warm: () => boolean;
}): AdminSource {
  const ages = (now: number) =>
    p.remote.map((v) => ({ vantage: v, secondsSinceLastGood: p.intake.staleness(v, now).secondsSinceLastGood }));
  return {
    role: 'aggregator',
    readiness: () =>
      p.warm()
        ? { ready: true, reason: 'publishing status frames' }
        : { ready: false, reason: 'warming up: waiting for every vantage (or aggregator.warmup)' },
    writeMetrics(w: PrometheusWriter) {
      const plan = p.plan();
      writeConfig(w, 'aggregator', p.config.stats(), plan.cell.name);
      writeChecks(w, plan, p.status.statuses, plan.admin.checkSeries, (s) => p.aggregator.lastFailure(s));
      writeStatusChanges(w, p.changes.total);
      writeTick(w, p.aggregator.stats.ticks, p.aggregator.stats.tickMs);
      w.family(
        'urnd_vantage_age_seconds',
        'gauge',
        'Seconds since a good vector from each remote vantage; -1 before the first.',
      );
      for (const a of ages(Date.now()))
        w.sample('urnd_vantage_age_seconds', a.secondsSinceLastGood ?? -1, { vantage: a.vantage });
      writeFramesIn(w, 'observations', p.intake.counters, p.listener()?.stats() ?? null);
      writeFramesOut(w, p.publisher().stats());
      if (p.local !== null) writeProbes(w, p.local.stats(), p.local.lateness());
    },
    status() {
      const plan = p.plan();
      return {
        role: 'aggregator',
        cell: plan.cell,
        config: configStatus(p.config),
        warm: p.warm(),
        vantages: ages(Date.now()),
        subscribers: p.publisher().stats(),
        ...cellStatus({
          plan,
          statuses: p.status.statuses,
          changedAtMs: p.changes.changedAtMs,
          vantages: { count: p.aggregator.vantages, verdict: (v, s) => p.aggregator.verdict(v, s) },
          lastFailure: (s) => p.aggregator.lastFailure(s),
        }),
      };
    },
    explainTable: () => ({ plan: p.plan(), statuses: p.status.statuses }),
  };
}

/** `urnd dns`: ready while it has a good table younger than DNS_READY_TICKS ticks. */
export function dnsSource(p: {
  config: ConfigLoop;
  intake: StatusIntake;
  changes: StatusChanges;
  listener: FrameListener;
  front: DnsFront | null;
  set: DnsProcessSet | null;
}): AdminSource {
  const readiness = (): Readiness => {
    const age = p.intake.staleness().secondsSinceLastGood;
    const maxS = (DNS_READY_TICKS * p.config.plan.aggregator.tickMs) / 1000;
    if (age === null) return { ready: false, reason: 'no good status frame yet' };
    if (age > maxS)
      return {
        ready: false,
        reason: `last good table ${age.toFixed(1)} s old (over ${DNS_READY_TICKS} ticks); still answering from it`,
      };
    if (p.set !== null && p.set.sample().up === 0) return { ready: false, reason: 'no DNS process up' };
    return { ready: true, reason: `table ${age.toFixed(1)} s old` };
  };
  return {
    role: 'dns',
    readiness,
    writeMetrics(w: PrometheusWriter) {
      const plan = p.config.plan;
      writeConfig(w, 'dns', p.config.stats(), plan.cell.name);
      writeChecks(w, plan, p.intake.table.statuses, plan.admin.checkSeries);
      writeStatusChanges(w, p.changes.total);
      writeStaleness(w, p.intake.staleness());
      writeFramesIn(w, 'status', p.intake.counters, p.listener.stats());
      if (p.front !== null) writeDns(w, p.front.sample?.stats ?? null, p.front.crashes);
      if (p.set !== null) {
        const s = p.set.sample();
        w.single('urnd_dns_processes', 'gauge', 'DNS processes configured.', s.count);
        w.single('urnd_dns_processes_up', 'gauge', 'DNS processes up and fed.', s.up);
        w.single('urnd_dns_process_restarts_total', 'counter', 'DNS processes restarted.', s.restarts);
      }
    },
    status() {
      const plan = p.config.plan;
      return {
        role: 'dns',
        cell: plan.cell,
        config: configStatus(p.config),
        table: p.intake.staleness(),
        ...cellStatus({ plan, statuses: p.intake.table.statuses, changedAtMs: p.changes.changedAtMs }),
      };
    },
    explainTable: () => ({ plan: p.config.plan, statuses: p.intake.table.statuses }),
  };
}
