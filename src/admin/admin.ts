import { RECORD_TYPE_NAMES } from '../config/plan.js';
import { UrndError } from '../errors.js';
import { explain, type Explanation } from '../resolve/explain.js';
import { PROMETHEUS_CONTENT_TYPE, PrometheusWriter } from '../metrics/prometheus.js';
import { AdminServer, json, text } from './admin-server.js';
import { ProcessMetrics } from './process-metrics.js';
import type { Plan } from '../config/plan.js';

import type { AdminRole } from './admin-address.js';

export {
  ADMIN_DEFAULT_PORTS,
  AdminListenWatch,
  parseAdminListen,
  adminAddressFor,
  type AdminRole,
} from './admin-address.js';

/** Whether the process should get traffic now, and why (or why not) in a few words. */
export interface Readiness {
  readonly ready: boolean;
  readonly reason: string;
}

/**
 * What a role shows the admin listener: small closures over the objects it
 * already has. Everything is read on request, on the supervisor thread.
 */
export interface AdminSource {
  readonly role: AdminRole;
  /** The role's own families (the process metrics are added by the listener). */
  writeMetrics(w: PrometheusWriter): void;
  /** The role's meaning of `/readyz` (lameduck is applied on top). */
  readiness(): Readiness;
  /** The `/status` document. */
  status(): object;
  /** The plan and status bytes `/explain` reads; absent in roles without a resolver table. */
  explainTable?(): { plan: Plan; statuses: Uint8Array };
}

/** A running admin listener with the standard pages, and the process's lameduck flag. */
export class Admin {
  private lameduckSince: number | null = null;
  private scrapes = 0;
  private scrapeSeconds = 0;

  private constructor(
    readonly server: AdminServer,
    private readonly source: AdminSource,
    private readonly processMetrics: ProcessMetrics,
  ) {}

  /**
   * Listens on `listen` and serves /metrics, /healthz, /readyz, /status and
   * /explain from `source`. Rejects with URND_ERR_ADMIN_LISTEN when it
   * cannot bind.
   */
  static async start(listen: { readonly host: string; readonly port: number }, source: AdminSource): Promise<Admin> {
    const server = await AdminServer.start(listen);
    const admin = new Admin(server, source, new ProcessMetrics());
    server.route('/metrics', () => ({ status: 200, contentType: PROMETHEUS_CONTENT_TYPE, body: admin.metrics() }));
    server.route('/healthz', () => text(200, 'ok'));
    server.route('/readyz', () => {
      const r = admin.readiness();
      return text(r.ready ? 200 : 503, r.ready ? `ready: ${r.reason}` : `not ready: ${r.reason}`);
    });
    server.route('/status', () =>
      json(200, { ...source.status(), ready: admin.readiness(), lameduck: admin.lameduck }),
    );
    server.route('/explain', (req) => {
      const name = req.query.get('name');
      if (name === null || name === '')
        throw new UrndError('URND_ERR_ARGUMENT', 'explain: give ?name=NAME (and optionally &type=A, AAAA, MX, …)');
      const type = (req.query.get('type') ?? '').toUpperCase();
      if (type !== '' && !(RECORD_TYPE_NAMES as readonly string[]).includes(type))
        throw new UrndError(
          'URND_ERR_ARGUMENT',
          `explain: type ${JSON.stringify(type)} is not one of ${RECORD_TYPE_NAMES.join(', ')}`,
        );
      if (source.explainTable === undefined)
        return text(404, `urnd ${source.role} has no resolver table to explain from`);
      const t = source.explainTable();
      return json(200, onlyType(explain(t.plan, t.statuses, name), type));
    });
    return admin;
  }

  /** `/readyz`: 503 from the moment lameduck starts; otherwise the role's own meaning. */
  readiness(): Readiness {
    if (this.lameduckSince !== null) return { ready: false, reason: 'lameduck: shutting down' };
    return this.source.readiness();
  }

  /** Whether lameduck has started. */
  get lameduck(): boolean {
    return this.lameduckSince !== null;
  }

  /** Turns `/readyz` to 503 for good (SIGTERM); everything else keeps serving. */
  startLameduck(): void {
    if (this.lameduckSince === null) this.lameduckSince = Date.now();
  }

  /** The `/metrics` document. */
  metrics(): Buffer {
    const t0 = performance.now();
    const w = new PrometheusWriter();
    this.source.writeMetrics(w);
    w.single('urnd_ready', 'gauge', '1 when /readyz answers 200.', this.readiness().ready ? 1 : 0);
    w.single('urnd_lameduck', 'gauge', '1 from SIGTERM until the process stops.', this.lameduck ? 1 : 0);
    w.single('urnd_admin_scrapes_total', 'counter', 'Scrapes of /metrics before this one.', this.scrapes);
    w.single(
      'urnd_admin_scrape_duration_seconds',
      'gauge',
      'Time the previous scrape took to build, seconds.',
      this.scrapeSeconds,
    );
    this.processMetrics.write(w);
    const body = w.body();
    this.scrapes += 1;
    this.scrapeSeconds = (performance.now() - t0) / 1000;
    return body;
  }

  async stop(): Promise<void> {
    this.processMetrics.stop();
    await this.server.stop();
  }
}

function onlyType(e: Explanation, type: string): Explanation {
  return type === '' ? e : { ...e, recordSets: e.recordSets.filter((s) => s.type === type) };
}
