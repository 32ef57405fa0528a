/**
 * The one contract between the main thread's DnsFront and a resolver worker
 * thread (workers/resolver.ts → src/serving/resolver-worker.ts): the messages
 * each side posts, and the counters a worker reports. Neither side imports
 * the other; both import this file.
 *
 *   main                                   resolver worker
 *   ── start {plan, statusTable, listen} ─►  attach table, bind UDP+TCP
 *   ◄─ ready {host, port} | error {code} ──
 *   ── plan {plan} ────────────────────────►  resolver.setPlan (config reload)
 *   ◄─ plan-applied {version} | plan-rejected {version, message}
 *   ── stats {id} ─────────────────────────►  (once a second, and on demand)
 *   ◄─ stats {id, stats} ──────────────────
 *   ── stop ───────────────────────────────►  close sockets
 *   ◄─ stopped {stats} ────────────────────   then the thread exits
 *
 * The plan travels as the Plan object itself: plans are plain objects,
 * typed arrays and Maps, and a structured clone gives back a plan whose
 * `encodePlan` bytes equal the original's (checked when this was written:
 * the 64-check demo plan clones in a few ms). Nothing the worker runs per
 * query depends on which copy it holds.
 */
import type { Plan } from '../config/plan.js';
import type { UrndErrorCode } from '../errors.js';
import type { ResponderCounters } from '../dns/responder.js';

export type { ResponderCounters };

/** Limits of a DnsServer that are not in the config document (the tuning knobs). */
/** File descriptors of a bound UDP socket and a bound TCP socket, open in this process (shared-sockets.ts). */
export interface InheritedSockets {
  readonly udpFd: number;
  readonly tcpFd: number;
}

export interface DnsServerTuning {
  /**
   * The longest a UDP query should wait in the socket's receive queue, ms:
   * the receive buffer is sized to hold this long of queries at the answer
   * rate measured under saturation (udp-queue-bound.ts); the kernel drops
   * the rest. 0: a fixed buffer of `recvBufferBytes`. Unset (the default):
   * the plan's `dns.maxQueue`, which follows config passes.
   */
  readonly maxQueueMs?: number;
  /** The answer rate assumed until one has been measured under saturation, q/s. Default 50,000. */
  readonly initialRateQps: number;
  /** The largest SO_RCVBUF requested for the UDP socket, bytes (the whole buffer when maxQueueMs is 0). Default 1,048,576. */
  readonly recvBufferBytes: number;
  /** Event-loop lag above which UDP queries are shed, ms. Default 200. */
  readonly maxLagMs: number;
  /** Period of the lag-measuring timer, ms. Default 10. */
  readonly lagIntervalMs: number;
  /** Queries of one TCP connection answered but not yet handed to the kernel before reading pauses. Default 32. */
  readonly tcpMaxInFlight: number;
  /** Unsent answer bytes a TCP connection may still hold from earlier loop turns when more queries arrive; above it the client is not reading, and is closed. Default 65,536. */
  readonly tcpMaxUnsentBytes: number;
  /** Largest query accepted over TCP, bytes (a longer length prefix closes the connection). Default 4,096. */
  readonly maxQueryBytes: number;
  /** How often the kernel's drop counter is read, ms (0: never). Default 1000. */
  readonly kernelSampleMs: number;
}

/** Counters of one DnsServer since it started; plain numbers, cheap to post. */
export interface DnsServerStats {
  /** Datagrams received. */
  readonly udpReceived: number;
  /** UDP answers sent. */
  readonly udpAnswered: number;
  /** Datagrams the responder chose not to answer (not a query, too broken to answer). */
  readonly udpIgnored: number;
  /** Datagrams dropped unanswered because the event loop was over its lag bound. */
  readonly udpShed: number;
  /** Failed sends. */
  readonly udpSendErrors: number;
  /** Datagrams the kernel dropped because the receive buffer was full; null when unknown (not Linux). */
  readonly udpKernelDrops: number | null;
  /** Bytes waiting in the receive buffer at the last sample; null when unknown. */
  readonly udpRecvQueueBytes: number | null;
  /** The receive buffer the kernel granted, bytes (Linux reports twice the request). */
  readonly udpRecvBufferBytes: number;
  /** The answer rate the receive buffer is sized for (measured per busy second, see maxQueueMs), q/s; null with a fixed buffer. */
  readonly udpAnswerRateQps: number | null;

  /** TCP connections accepted, and open now. */
  readonly tcpAccepted: number;
  readonly tcpOpen: number;
  /** Connections closed at once because tcpMaxConnections were open. */
  readonly tcpRejected: number;
  /** Complete frames received, and answers written. */
  readonly tcpQueries: number;
  readonly tcpAnswered: number;
  readonly tcpIgnored: number;
  /** Times a connection's reading was paused because tcpMaxInFlight answers were unflushed. */
  readonly tcpPaused: number;
  /**
   * Connections closed: idle past the timeout; with a partial frame at the
   * timeout; a length of 0 or over maxQueryBytes; not reading its answers
   * (paused at the timeout, or unsent answers past tcpMaxUnsentBytes).
   */
  readonly tcpClosedIdle: number;
  readonly tcpClosedPartial: number;
  readonly tcpClosedBadLength: number;
  readonly tcpClosedSlow: number;
  /** Socket errors (resets and the like). */
  readonly tcpErrors: number;

  /** The responder threw (it must not); the query was dropped. */
  readonly responderErrors: number;
  /** Event-loop lag now and the most since start, ms. */
  readonly lagMs: number;
  readonly maxLagMs: number;
  /** A copy of the responder's own counters (both transports). */
  readonly responder: ResponderCounters;
}

/** main → worker: attach the table, build the resolver, bind. */
export interface ResolverStartMessage {
  readonly type: 'start';
  readonly plan: Plan;
  /** The cell's StatusTable buffer (`StatusTable.attach` in the worker). */
  readonly statusTable: SharedArrayBuffer;
  /** Where to answer: plan.dns's address, or an override (`--dns-listen`); port 0 lets the OS pick. */
  readonly listen: { readonly host: string; readonly port: number };
  /** Seed of the resolver's random choices, for repeatable answers. */
  readonly seed?: number;
  readonly tuning?: Partial<DnsServerTuning>;
  /** Serve on these inherited, already bound sockets instead of binding `listen`. */
  readonly inherited?: InheritedSockets;
  /** Bind `listen` with SO_REUSEPORT (other DNS processes bind it too). */
  readonly reusePort?: boolean;
  /** SERVFAIL every query until the table's first update (ResponderOptions.holdUntilTable; `urnd dns`). */
  readonly holdUntilTable?: boolean;
}

/** main → worker: a config reload (dns.maxUdpSize and the TCP limits included); dns.listen and dns.workers take effect at the next start. */
export interface ResolverPlanMessage {
  readonly type: 'plan';
  readonly plan: Plan;
}

export interface ResolverStatsRequest {
  readonly type: 'stats';
  readonly id: number;
}

export interface ResolverStopMessage {
  readonly type: 'stop';
}

export type ToResolverWorker = ResolverStartMessage | ResolverPlanMessage | ResolverStatsRequest | ResolverStopMessage;

/** worker → main: listening on host:port (UDP and TCP). */
export interface ResolverReadyMessage {
  readonly type: 'ready';
  readonly host: string;
  readonly port: number;
  readonly planVersion: string;
}

/** worker → main: start failed; the worker exits after posting it. */
export interface ResolverErrorMessage {
  readonly type: 'error';
  readonly code: UrndErrorCode;
  readonly message: string;
}

export interface ResolverPlanAppliedMessage {
  readonly type: 'plan-applied';
  readonly version: string;
}

/** worker → main: the plan did not fit (e.g. another capacity); the old plan stays. */
export interface ResolverPlanRejectedMessage {
  readonly type: 'plan-rejected';
  readonly version: string;
  readonly message: string;
}

export interface ResolverStatsResponse {
  readonly type: 'stats';
  readonly id: number;
  readonly stats: DnsServerStats;
}

/** worker → main: sockets closed; the thread exits next. */
export interface ResolverStoppedMessage {
  readonly type: 'stopped';
  readonly stats: DnsServerStats;
}

export type FromResolverWorker =
  | ResolverReadyMessage
  | ResolverErrorMessage
  | ResolverPlanAppliedMessage
  | ResolverPlanRejectedMessage
  | ResolverStatsResponse
  | ResolverStoppedMessage;
