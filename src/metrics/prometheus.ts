/**
 * Prometheus text exposition (format 0.0.4), written straight from the
 * tables at scrape time.
 *
 * Hand-written rather than prom-client: every urnd figure already lives in a
 * table or a counter another thread owns, so a scrape is "read and print";
 * prom-client would keep a second copy of each value (a Gauge per check, set
 * on every tick or in a collect callback), which is the registry bookkeeping
 * the admin plane must not add per slot. The format is a few lines of rules.
 */

/** Label names to values; values are escaped on output. */
export type Labels = Readonly<Record<string, string | number>>;

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'info';

/** Prometheus metric and label names: `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Builds one exposition document; families are written in the order declared. */
export class PrometheusWriter {
  private readonly parts: (string | Uint8Array)[] = [];
  private readonly declared = new Set<string>();

  /**
   * Declares a family (its HELP and TYPE lines). A family is declared once;
   * its samples follow before the next family. `info` is written as a gauge
   * whose name ends in `_info` (the text format has no info type).
   */
  family(name: string, type: MetricType, help: string): this {
    if (!NAME.test(name)) throw new Error(`metric name ${JSON.stringify(name)} is not a Prometheus name`);
    if (this.declared.has(name)) throw new Error(`metric ${name} declared twice`);
    this.declared.add(name);
    this.parts.push(
      `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type === 'info' ? 'gauge' : type}\n`,
    );
    return this;
  }

  /** One sample line: `name{labels} value`. */
  sample(name: string, value: number, labels?: Labels): this {
    this.parts.push(`${name}${labels === undefined ? '' : formatLabels(labels)} ${formatValue(value)}\n`);
    return this;
  }

  /**
   * A pre-formatted sample line (without the newline), for families with
   * one line per check: the caller escapes label values with
   * `escapeLabelValue`. Building the line directly instead of a labels
   * object per sample took 16,384 lines from ~56 to ~32 ms (bench
   * admin-scrape, one noisy run on a shared 2-core machine).
   */
  raw(line: string): this {
    this.parts.push(`${line}\n`);
    return this;
  }

  /**
   * Pre-built sample lines as UTF-8 bytes (each ending in a newline), for
   * families with one line per check laid out once per plan: a scrape then
   * copies bytes instead of building and joining a string per line.
   */
  bytes(lines: Uint8Array): this {
    this.parts.push(lines);
    return this;
  }

  /** A family with a single unlabelled sample. */
  single(name: string, type: MetricType, help: string, value: number): this {
    return this.family(name, type, help).sample(name, value);
  }

  /**
   * A histogram family from cumulative counts at upper bounds (seconds, in
   * increasing order), plus the sum and total count. `+Inf` is added.
   */
  histogram(
    name: string,
    help: string,
    bounds: readonly number[],
    cumulative: readonly number[],
    sum: number,
    count: number,
    labels?: Labels,
  ): this {
    this.family(name, 'histogram', help);
    for (let i = 0; i < bounds.length; i++) {
      this.sample(`${name}_bucket`, cumulative[i] ?? 0, { ...labels, le: formatValue(bounds[i] as number) });
    }
    this.sample(`${name}_bucket`, count, { ...labels, le: '+Inf' });
    this.sample(`${name}_sum`, sum, labels);
    this.sample(`${name}_count`, count, labels);
    return this;
  }

  /** The document as UTF-8 bytes: each run of string parts joined and encoded once. */
  body(): Buffer {
    const chunks: Uint8Array[] = [];
    let run: string[] = [];
    for (const part of this.parts) {
      if (typeof part === 'string') {
        run.push(part);
        continue;
      }
      if (run.length > 0) chunks.push(Buffer.from(run.join(''), 'utf8'));
      run = [];
      chunks.push(part);
    }
    if (run.length > 0) chunks.push(Buffer.from(run.join(''), 'utf8'));
    return Buffer.concat(chunks);
  }
}

/** The content type of the text format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A label value escaped for the text format (backslash, double quote, newline). */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

function formatLabels(labels: Labels): string {
  let out = '';
  for (const key of Object.keys(labels)) {
    if (!NAME.test(key)) throw new Error(`label name ${JSON.stringify(key)} is not a Prometheus name`);
    const v = escapeLabelValue(String(labels[key]));
    out += `${out === '' ? '' : ','}${key}="${v}"`;
  }
  return `{${out}}`;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
