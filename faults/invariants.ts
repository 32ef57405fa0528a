/**
 * The invariants a fault scenario is judged by, as pure functions over what
 * the DNS client recorded and the health the harness set. No sockets here:
 * a test feeds recorded samples.
 */
import { SET_SIZE, TARGETS } from './topology.js';

/** One query the client sent: when, to which DNS host, for which set, the targets answered (null: lost). */
export interface QueryRecord {
  t: number;
  h: number;
  s: number;
  a: number[] | null;
  rc: string;
}

/** The health the harness gave the targets over time (every target starts up at time 0). */
export class Truth {
  private readonly changes: { t: number; up: boolean }[][] = Array.from({ length: TARGETS }, () => []);

  set(t: number, targets: readonly number[], up: boolean): void {
    for (const i of targets) this.changes[i]?.push({ t, up });
  }

  /** Whether target i is up at t, and since when. */
  at(i: number, t: number): { up: boolean; since: number } {
    let up = true;
    let since = 0;
    for (const c of this.changes[i] ?? []) {
      if (c.t > t) break;
      if (c.up !== up) {
        up = c.up;
        since = c.t;
      }
    }
    return { up, since };
  }
}

type Known = 'up' | 'down' | 'either';

/**
 * A time span during which a DNS host could not learn of health changes (it
 * was cut off from every cell host): a change inside it counts as made at
 * its end, when the news could first travel.
 */
export interface Blind {
  from: number;
  until: number;
}

function members(s: number): number[] {
  return Array.from({ length: SET_SIZE }, (_, k) => s * SET_SIZE + k);
}

/** What a record's set members are known to be, `boundMs` after any change (a change while blind: after the blind span). */
function known(truth: Truth, s: number, t: number, boundMs: number, blind?: Blind): Known[] {
  return members(s).map((i) => {
    const at = truth.at(i, t);
    const since = blind !== undefined && at.since >= blind.from && at.since <= blind.until ? blind.until : at.since;
    if (t - since < boundMs && since > 0) return 'either';
    return at.up ? 'up' : 'down';
  });
}

/**
 * Whether a multivalue answer is right: it holds every member known up and
 * none known down — unless every member is down, when any non-empty answer
 * is right (fail open: Route 53 answers the unhealthy ones then), or none
 * is known up, when the whole set is (every member may look down already).
 */
export function answerCorrect(r: QueryRecord, truth: Truth, boundMs: number, blind?: Blind): boolean {
  if (r.a === null) return true; // lost, counted elsewhere
  if (r.rc !== 'NOERROR') return false;
  const k = known(truth, r.s, r.t, boundMs, blind);
  if (k.every((x) => x === 'down')) return r.a.length > 0;
  const ms = members(r.s);
  // None known up (the rest may have gone down just now): the whole set is the fail-open answer.
  if (!k.includes('up') && r.a.length === ms.length && r.a.every((i) => ms.includes(i))) return true;
  for (let j = 0; j < ms.length; j++) {
    const inAnswer = r.a.includes(ms[j] as number);
    if (k[j] === 'up' && !inAnswer) return false;
    if (k[j] === 'down' && inAnswer) return false;
  }
  return r.a.every((i) => ms.includes(i));
}

/**
 * The weaker rule while the probes' own packets are being lost (30% loss on
 * every link): a probe that loses its packets is a failed probe, so the cell
 * rightly sees up targets as down and may leave them out. What must still
 * hold is the safe direction: no target known down is answered, unless the
 * answer is the whole set (fail open: every member looked down).
 */
export function answerSafe(r: QueryRecord, truth: Truth, boundMs: number): boolean {
  if (r.a === null) return true;
  if (r.rc !== 'NOERROR') return false;
  const ms = members(r.s);
  if (!r.a.every((i) => ms.includes(i)) || r.a.length === 0) return false;
  if (r.a.length === ms.length) return true; // fail open
  const k = known(truth, r.s, r.t, boundMs);
  return ms.every((m, j) => k[j] !== 'down' || !r.a?.includes(m));
}

/** How a host's answers are judged besides the plain rule. */
export interface JudgeOptions {
  /** The host could not learn of changes in this span (isolated): they count as made at its end. */
  blind?: Blind;
  /** Until then (the fault's end plus the bound), only `answerSafe` is asked of answers (probes lose packets). */
  lenientUntil?: number;
  /**
   * Until then a SERVFAIL is no answer rather than a wrong one (a restarted
   * `urnd dns` holds every query until its first status frame: it names no
   * target, and the client asks another server). Counted in `servfail`;
   * after it, or without it, a SERVFAIL is wrong.
   */
  servfailUntil?: number;
}

export interface HostVerdict {
  host: number;
  sent: number;
  answered: number;
  lost: number;
  /** SERVFAIL replies allowed by `servfailUntil` (a DNS process with no table yet). */
  servfail: number;
  wrong: number;
  firstWrong?: string;
  flips: number;
  firstFlip?: string;
  /** ms from the fault's end until every later answer matched the truth exactly; null: never did. */
  convergeMs: number | null;
}

function show(r: QueryRecord): string {
  return `set g${r.s} at +${r.t} ms answered [${(r.a ?? []).join(',')}] (${r.rc})`;
}

/**
 * Judges one DNS host's records of a scenario. `boundMs` is how long an
 * answer may lag a health change; `faultEnd` is when the fault was lifted.
 * Times in the messages are relative to `origin`.
 */
export function judgeHost(
  records: readonly QueryRecord[],
  host: number,
  truth: Truth,
  boundMs: number,
  faultEnd: number,
  origin = 0,
  opts: JudgeOptions = {},
): HostVerdict {
  const v: HostVerdict = { host, sent: 0, answered: 0, lost: 0, servfail: 0, wrong: 0, flips: 0, convergeMs: null };
  // Per target, whether this host has been seen leaving it out while it was down.
  const excluded = new Uint8Array(TARGETS);
  // The first answer after the fault's end from which on every answer matched the truth exactly.
  let convergedAt: number | null = null;
  let anyAfterEnd = false;
  for (const r of records) {
    if (r.h !== host) continue;
    v.sent++;
    if (r.a === null) {
      v.lost++;
      if (r.t >= faultEnd) {
        anyAfterEnd = true;
        convergedAt = null;
      }
      continue;
    }
    v.answered++;
    if (r.rc === 'SERVFAIL' && opts.servfailUntil !== undefined && r.t < opts.servfailUntil) {
      v.servfail++;
      if (r.t >= faultEnd) {
        anyAfterEnd = true;
        convergedAt = null;
      }
      continue;
    }
    const rel = { ...r, t: r.t - origin };
    const lenient = opts.lenientUntil !== undefined && r.t < opts.lenientUntil;
    const right = lenient ? answerSafe(r, truth, boundMs) : answerCorrect(r, truth, boundMs, opts.blind);
    if (!right) {
      v.wrong++;
      v.firstWrong ??= show(rel);
    }
    const ms = members(r.s);
    // Fail open while lenient: the whole set answered because every member looked down, not data gone missing.
    const allDown = ms.every((i) => !truth.at(i, r.t).up) || (lenient && r.a.length === ms.length);
    for (const i of ms) {
      const down = !truth.at(i, r.t).up;
      if (!down) {
        excluded[i] = 0;
        continue;
      }
      const inAnswer = r.a.includes(i);
      if (!inAnswer) excluded[i] = 1;
      else if (excluded[i] === 1 && !allDown) {
        // It was left out as unhealthy and came back while still down: data went missing, or worse.
        v.flips++;
        v.firstFlip ??= `target ${i}: ${show(rel)}`;
        excluded[i] = 0;
      }
    }
    if (r.t >= faultEnd) {
      anyAfterEnd = true;
      if (!answerCorrect(r, truth, 0)) convergedAt = null;
      else convergedAt ??= r.t;
    }
  }
  if (anyAfterEnd && convergedAt !== null) v.convergeMs = convergedAt - faultEnd;
  return v;
}

/** A resource reading of one process. */
export interface Resources {
  threads: number;
  sockets: number;
  rssKb: number;
}

/**
 * RSS growth tolerated whatever the process's size: V8's young generation
 * starts at 1 MiB and grows, under allocation pressure, to two 16 MiB
 * semi-spaces on 64-bit Node, and keeps them; a flood or a burst of
 * reconnects can do that with nothing leaked. Leaks of sockets or buffers
 * per frame or connection show in the socket count, or far past this.
 */
export const RSS_ABSOLUTE_TOLERANCE_KB = 32 * 1024;

/**
 * The resources rule: no growth (the invariant is about leaks; a fault may
 * legitimately close connections or let the heap shrink). `before` is the
 * largest of the readings taken before the fault, `after` the smallest of
 * those taken after recovery, so a probe socket in flight or a garbage
 * collection pending at one reading is not a leak. RSS may grow by
 * max(`tolerance`, RSS_ABSOLUTE_TOLERANCE_KB); threads and sockets not at all.
 * Deltas are relative, for the table.
 */
export function resourceDelta(
  before: Resources,
  after: Resources,
  tolerance = 0.05,
): { threads: number; sockets: number; rss: number; held: boolean } {
  const rel = (a: number, b: number) => (a === 0 ? (b === 0 ? 0 : 1) : (b - a) / a);
  const d = {
    threads: rel(before.threads, after.threads),
    sockets: rel(before.sockets, after.sockets),
    rss: rel(before.rssKb, after.rssKb),
  };
  const rssAllowedKb = Math.max(before.rssKb * tolerance, RSS_ABSOLUTE_TOLERANCE_KB);
  return {
    ...d,
    held:
      after.threads <= before.threads && after.sockets <= before.sockets && after.rssKb - before.rssKb <= rssAllowedKb,
  };
}

/** The largest of each figure over readings (before a fault), or the smallest (after recovery). */
export function envelope(readings: readonly Resources[], pick: 'max' | 'min'): Resources | undefined {
  if (readings.length === 0) return undefined;
  const f = pick === 'max' ? Math.max : Math.min;
  return {
    threads: f(...readings.map((r) => r.threads)),
    sockets: f(...readings.map((r) => r.sockets)),
    rssKb: f(...readings.map((r) => r.rssKb)),
  };
}

/** The largest `last good N s ago` in status lines. */
export function maxStaleness(lines: readonly string[]): number {
  let max = 0;
  for (const l of lines) {
    const m = /last good ([\d.]+) s ago/.exec(l);
    if (m !== null) max = Math.max(max, Number(m[1]));
  }
  return max;
}

/** dnsperf's own loss count, from its summary. */
export function parseDnsperf(out: string): { sent: number; completed: number; lost: number } | undefined {
  const num = (re: RegExp) => {
    const m = re.exec(out);
    return m === null ? undefined : Number(m[1]);
  };
  const sent = num(/Queries sent:\s+(\d+)/);
  const completed = num(/Queries completed:\s+(\d+)/);
  const lost = num(/Queries lost:\s+(\d+)/);
  if (sent === undefined || completed === undefined || lost === undefined) return undefined;
  return { sent, completed, lost };
}
