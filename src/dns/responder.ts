/**
 * The authoritative DNS responder: one query message in, one reply message
 * (or nothing) out, with no sockets. A UDP or TCP server hands it each
 * message (TCP: without the 2-byte length prefix) and sends what it returns.
 */
import { UrndError } from '../errors.js';
import type { Plan } from '../config/plan.js';
import type { Resolver } from '../resolve/resolver.js';
import { answerQuery, badVersion, refused } from './answer.js';
import { readFast } from './fast-path.js';
import { Outcome, headerOnlyReply, serverFailure } from './reply.js';
import { Verdict, readSlow } from './slow-path.js';
import { HEADER_LENGTH, MAX_MESSAGE_SIZE, MIN_UDP_SIZE, QueryState, Rcode } from './wire.js';
import { planRecords, type PlanRecords } from './zone-records.js';

/** How the message arrived; decides the size limit of the reply. */
export type Transport = 'udp' | 'tcp';

export interface ResponderOptions {
  /**
   * Largest UDP reply to an EDNS client, 512..65535. Default: the live
   * plan's `dns.maxUdpSize` (so a config reload changes it).
   */
  maxUdpSize?: number;
  /**
   * Answer SERVFAIL to every query with a readable question until the status
   * table has had its first update published (`sequence` ≠ 0). For a DNS
   * process fed by frames (`urnd dns`), whose fresh table knows nothing: an
   * all-unknown table would answer every target, the dead ones too. Default
   * false: `urnd serve` answers from its own aggregator's table from the start.
   */
  holdUntilTable?: boolean;
}

/**
 * What a Responder has done, as plain numbers that only grow. Every call of
 * `respond` counts once in `queries` and once in exactly one of `fastPath`,
 * `slowPath` or `ignored`; every reply counts once in exactly one of
 * `noerror`, `nodata`, `nxdomain`, `servfail`, `refused`, `formerr`, `notimp`, `badvers`.
 */
export interface ResponderCounters {
  /** Calls of `respond`. */
  queries: number;
  /** Replies made by the fast path (the common query shape, read without dns-packet). */
  fastPath: number;
  /** Replies made by the slow path (everything else, decoded with dns-packet). */
  slowPath: number;
  /** NOERROR replies with answers (counted here even when truncated away), and referrals to a delegation. */
  noerror: number;
  /** NOERROR replies with no answer: another type, or a fail-closed set that gave nothing. */
  nodata: number;
  nxdomain: number;
  /** Queries held (`holdUntilTable`) because the status table had no update yet. */
  servfail: number;
  /** Names outside our zones, classes other than IN, zone transfers. */
  refused: number;
  /** Malformed queries, and internal errors (see `errors`). */
  formerr: number;
  /** Opcodes other than QUERY. */
  notimp: number;
  /** EDNS versions above 0. */
  badvers: number;
  /** Replies sent with TC set and their records left out (UDP only). */
  truncated: number;
  /** Messages given no reply: shorter than a header, or a response (QR=1). */
  ignored: number;
  /** Exceptions caught inside `respond` (a bug if ever above 0); each got FORMERR or no reply. */
  errors: number;
}

function newCounters(): ResponderCounters {
  return {
    queries: 0,
    fastPath: 0,
    slowPath: 0,
    noerror: 0,
    nodata: 0,
    nxdomain: 0,
    servfail: 0,
    refused: 0,
    formerr: 0,
    notimp: 0,
    badvers: 0,
    truncated: 0,
    ignored: 0,
    errors: 0,
  };
}

/**
 * Answers DNS queries for the zones of `resolver.plan`, from the resolver's
 * health-aware choices. See README.md here for the behaviour table.
 *
 * `respond` never throws. It is not re-entrant (one scratch state per
 * Responder): use one Responder per thread, as each resolver worker does.
 */
export class Responder {
  /** Live counters; read them, don't write them. */
  readonly counters: ResponderCounters = newCounters();
  private readonly resolver: Resolver;
  /** 0: follow the plan's `dns.maxUdpSize`. */
  private readonly maxUdpSize: number;
  private readonly state = new QueryState();
  private plan: Plan | null = null;
  private records: PlanRecords | null = null;
  /** True once the table has been seen published (or when not holding): from then on one field load a query. */
  private tableSeen: boolean;
  /** The query's source address, from the server (undefined in-process): IP-based routing without ECS. */
  private source: string | undefined = undefined;

  constructor(resolver: Resolver, options: ResponderOptions = {}) {
    const max = options.maxUdpSize;
    if (max !== undefined && !(Number.isInteger(max) && max >= MIN_UDP_SIZE && max <= MAX_MESSAGE_SIZE)) {
      throw new UrndError(
        'URND_ERR_ARGUMENT',
        `maxUdpSize: ${String(max)} is not an integer from ${MIN_UDP_SIZE} to ${MAX_MESSAGE_SIZE}`,
      );
    }
    this.resolver = resolver;
    this.maxUdpSize = max ?? 0;
    this.tableSeen = options.holdUntilTable !== true;
    this.state.client = resolver.client;
  }

  /**
   * The reply to one DNS message, or null when none should be sent. Over
   * 'udp' the reply fits 512 bytes (no EDNS) or the EDNS size agreed,
   * truncated (TC) otherwise; over 'tcp' it is never truncated.
   */
  respond(query: Uint8Array, transport: Transport, source?: string): Buffer | null {
    this.counters.queries++;
    this.source = source;
    // Scope 0 unless an IP-based set answers this query (REFUSED, BADVERS: none does).
    this.resolver.client.scope = 0;
    try {
      if (readFast(this.state, query, query.length)) {
        const out = this.answer(query, transport);
        this.counters.fastPath++;
        return out;
      }
      return this.slow(query, transport);
    } catch {
      return this.failed(query);
    }
  }

  /**
   * `respond`, but through the slow path whatever the message's shape: for
   * tests that hold the two paths to the same answers.
   */
  respondSlow(query: Uint8Array, transport: Transport, source?: string): Buffer | null {
    this.counters.queries++;
    this.source = source;
    // Scope 0 unless an IP-based set answers this query (REFUSED, BADVERS: none does).
    this.resolver.client.scope = 0;
    try {
      return this.slow(query, transport);
    } catch {
      return this.failed(query);
    }
  }

  private slow(query: Uint8Array, transport: Transport): Buffer | null {
    const c = this.counters;
    const s = this.state;
    const verdict = readSlow(s, query, query.length);
    let out: Buffer | null;
    switch (verdict) {
      case Verdict.IGNORE:
        c.ignored++;
        return null;
      case Verdict.ANSWER:
        out = this.answer(query, transport);
        break;
      case Verdict.NOTIMP:
        c.notimp++;
        out = headerOnlyReply(query, Rcode.NOTIMP);
        break;
      case Verdict.BADVERS:
        this.setLimits(this.resolver.plan, transport);
        out = badVersion(s, query);
        this.count();
        break;
      case Verdict.REFUSED:
        this.setLimits(this.resolver.plan, transport);
        out = refused(s, query);
        this.count();
        break;
      default:
        c.formerr++;
        out = headerOnlyReply(query, Rcode.FORMERR);
    }
    c.slowPath++;
    return out;
  }

  /** Answers the question read into the state, from the live plan. */
  private answer(query: Uint8Array, transport: Transport): Buffer {
    const plan = this.resolver.plan;
    // One reference compare a query; a reload swaps the plan, and with it these.
    if (plan !== this.plan || this.records === null) {
      this.records = planRecords(plan);
      this.plan = plan;
    }
    this.setLimits(plan, transport);
    // The client IP-based sets route by: the ECS option's subnet, else the source address (RFC 7871 §7.2.1).
    const s = this.state;
    const client = this.resolver.client;
    const ecs = s.clientSubnet;
    if (ecs.present) client.setBytes(ecs.family, ecs.address, ecs.sourcePrefix);
    else if (this.source !== undefined) client.setText(this.source);
    else client.clear();
    const out =
      this.tableSeen || this.firstTableSeen()
        ? answerQuery(s, this.resolver, this.records, query)
        : serverFailure(s, query);
    this.count();
    return out;
  }

  /**
   * Whether the table has been published since start: one atomic load of its
   * sequence word, made only until it has (the sequence never goes back to 0
   * within a wrap of 2^32 frames, and a latched `tableSeen` needs no load).
   */
  private firstTableSeen(): boolean {
    if (this.resolver.statusTable.sequence === 0) return false;
    this.tableSeen = true;
    return true;
  }

  /**
   * The reply's size limit: TCP 65535; UDP without EDNS 512; UDP with EDNS
   * max(512, min(client's size, ours)) (RFC 6891 §6.2.5: below 512 counts as 512).
   */
  private setLimits(plan: Plan, transport: Transport): void {
    const s = this.state;
    const ours =
      this.maxUdpSize !== 0 ? this.maxUdpSize : Math.min(Math.max(plan.dns.maxUdpSize, MIN_UDP_SIZE), MAX_MESSAGE_SIZE);
    s.replyUdpSize = ours;
    s.limit =
      transport === 'tcp'
        ? MAX_MESSAGE_SIZE
        : s.edns
          ? Math.max(MIN_UDP_SIZE, Math.min(s.ednsUdpSize, ours))
          : MIN_UDP_SIZE;
  }

  /** Counts the reply the state describes. */
  private count(): void {
    const c = this.counters;
    const s = this.state;
    if (s.truncated) c.truncated++;
    switch (s.outcome) {
      case Outcome.NOERROR:
        c.noerror++;
        break;
      case Outcome.NODATA:
        c.nodata++;
        break;
      case Outcome.NXDOMAIN:
        c.nxdomain++;
        break;
      case Outcome.SERVFAIL:
        c.servfail++;
        break;
      case Outcome.REFUSED:
        c.refused++;
        break;
      case Outcome.BADVERS:
        c.badvers++;
        break;
      default:
        break;
    }
  }

  /** An exception escaped: FORMERR if there is an ID to answer, else nothing. Never throws. */
  private failed(query: unknown): Buffer | null {
    const c = this.counters;
    c.errors++;
    try {
      if (query instanceof Uint8Array && query.length >= HEADER_LENGTH) {
        const out = headerOnlyReply(query, Rcode.FORMERR);
        c.formerr++;
        c.slowPath++;
        return out;
      }
    } catch {
      // fall through: no reply
    }
    c.ignored++;
    return null;
  }
}

/** Answers `query` through the slow path (dns-packet) whatever its shape. For tests. */
export function respondViaSlowPath(responder: Responder, query: Uint8Array, transport: Transport): Buffer | null {
  return responder.respondSlow(query, transport);
}
