import type { Cell } from '../cell.js';
import type { PrometheusWriter } from '../metrics/prometheus.js';
import type { DnsProcessSet } from '../serving/dns-processes.js';
import type { ConfigLoop } from '../config/loop.js';
import type { AdminSource, Readiness } from './admin.js';
import { writeChecks, writeConfig, writeDns, writeProbes, writeStatusChanges, writeTick } from './metric-families.js';
import { cellStatus } from './status-document.js';

/**
 * What `urnd serve` shows its admin listener. Ready once the first tick has
 * run and DNS (when asked for) is bound.
 */
export function serveSource(parts: {
  cell: Cell;
  config: ConfigLoop;
  dnsSet: DnsProcessSet | null;
  dns: boolean;
}): AdminSource {
  const { cell, config, dnsSet } = parts;
  const readiness = (): Readiness => {
    if (cell.aggregator.stats.ticks === 0) return { ready: false, reason: 'no aggregator tick yet' };
    if (parts.dns && cell.dns === null && dnsSet === null) return { ready: false, reason: 'DNS not bound' };
    if (dnsSet !== null && dnsSet.sample().up === 0) return { ready: false, reason: 'no DNS process up' };
    return { ready: true, reason: `ticking, ${parts.dns ? 'DNS bound' : 'no DNS (--no-dns)'}` };
  };
  return {
    role: 'serve',
    readiness,
    writeMetrics(w: PrometheusWriter) {
      const plan = cell.plan;
      writeConfig(w, 'serve', config.stats(), plan.cell.name);
      writeChecks(w, plan, cell.statusTable.statuses, plan.admin.checkSeries, (s) => cell.aggregator.lastFailure(s));
      writeStatusChanges(w, cell.changes.total);
      writeTick(w, cell.aggregator.stats.ticks, cell.aggregator.stats.tickMs);
      writeProbes(w, cell.checkers.stats(), cell.checkers.lateness());
      const front = cell.dns;
      if (front !== null) writeDns(w, front.sample?.stats ?? null, front.crashes);
      if (dnsSet !== null) {
        const s = dnsSet.sample();
        w.single('urnd_dns_processes', 'gauge', 'DNS processes configured.', s.count);
        w.single('urnd_dns_processes_up', 'gauge', 'DNS processes up and fed.', s.up);
        w.single('urnd_dns_process_restarts_total', 'counter', 'DNS processes restarted.', s.restarts);
      }
    },
    status() {
      const plan = cell.plan;
      const c = config.stats();
      return {
        role: 'serve',
        cell: plan.cell,
        config: { version: plan.version, passes: c.passes, rejected: c.rejected, lastError: c.lastError },
        // One process computes and serves the table: it is as fresh as the last tick.
        table: {
          secondsSinceLastTick: cell.aggregator.stats.ticks === 0 ? null : (Date.now() - cell.changes.lastAtMs) / 1000,
          ticks: cell.aggregator.stats.ticks,
        },
        ...cellStatus({
          plan,
          statuses: cell.statusTable.statuses,
          changedAtMs: cell.changes.changedAtMs,
          vantages: { count: cell.aggregator.vantages, verdict: (v, s) => cell.aggregator.verdict(v, s) },
          lastFailure: (s) => cell.aggregator.lastFailure(s),
        }),
      };
    },
    explainTable: () => ({ plan: cell.plan, statuses: cell.statusTable.statuses }),
  };
}
