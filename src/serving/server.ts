/**
 * The DNS wire front end of one thread: one UDP socket (udp-server.ts) and
 * one TCP listener (tcp-server.ts) on the same host:port, each query handed
 * to the Responder and its answer sent back. It runs in a resolver worker
 * thread (resolver-worker.ts), never on a thread that runs probes.
 *
 * Load shedding — when it cannot keep up, it drops the excess instead of
 * queueing it, counts what it dropped, and the rest keep their latency: the
 * UDP and TCP files say what each sheds and when.
 */
import type dgram from 'node:dgram';
import type net from 'node:net';
import type { Plan } from '../config/plan.js';
import { UrndError } from '../errors.js';
import type { Resolver } from '../resolve/resolver.js';
import { GuardedResponder, type DnsResponder } from './guarded-responder.js';
import { listenError, type DnsAddress } from './listen-address.js';
import { LoopLag } from './loop-lag.js';
import type { DnsServerStats, DnsServerTuning, InheritedSockets } from './resolver-messages.js';
import { collectStats } from './server-stats.js';
import { listenTcp, TcpServer } from './tcp-server.js';
import { UdpQueueBound } from './udp-queue-bound.js';
import { bindUdp, openUdp, UdpServer } from './udp-server.js';

export type { DnsResponder } from './guarded-responder.js';
export { formatAddress, listenError, type DnsAddress } from './listen-address.js';

export const DEFAULT_DNS_TUNING: DnsServerTuning = {
  // maxQueueMs comes from the plan (dns.maxQueue, 5 ms by default): a fixed
  // 1 MiB (2 MiB in kernel accounting) held ~20 ms of queries at the 86k q/s
  // one thread answers here, so under 20× overload every answer waited that long.
  initialRateQps: 50_000,
  recvBufferBytes: 1024 * 1024,
  maxLagMs: 200,
  lagIntervalMs: 10,
  tcpMaxInFlight: 32,
  tcpMaxUnsentBytes: 64 * 1024,
  maxQueryBytes: 4096,
  kernelSampleMs: 1000,
};

/** Options of a DnsServer; host and port default to the plan's `dns.listen`. */
export interface DnsServerOptions {
  readonly host?: string;
  /** 0: the OS picks a port free for both UDP and TCP (see `start`). */
  readonly port?: number;
  readonly tuning?: Partial<DnsServerTuning>;
  /**
   * Serve on sockets this process inherited, already bound (shared-sockets.ts),
   * instead of binding host:port. Closing the server closes them.
   */
  readonly inherited?: InheritedSockets;
  /**
   * Bind with SO_REUSEPORT (Node ≥ 22.12, see reuse-port.ts), so other DNS
   * processes can bind the same address, each with a queue of its own.
   */
  readonly reusePort?: boolean;
}

/** The smallest SO_RCVBUF the queue bound requests: room for a burst of ~60 queries whatever the rate. */
const kMinRecvBufferBytes = 32 * 1024;

/** Times start() re-picks a port when the OS gave UDP a port TCP cannot have (port 0 only). */
const kPortPickAttempts = 8;

/** One UDP socket and one TCP server on one host:port, answering every query through `responder`. */
export class DnsServer {
  private readonly resolver: Resolver;
  private readonly responder: GuardedResponder;
  private readonly tuning: DnsServerTuning;
  private readonly requestedHost: string;
  private readonly requestedPort: number;
  private readonly inherited: InheritedSockets | null;
  private readonly reusePort: boolean;
  private readonly lag: LoopLag;
  private readonly queueBound: UdpQueueBound;
  // Kept after stop, so the last stats still count what they served.
  private udp: UdpServer | null = null;
  private tcp: TcpServer | null = null;
  private bound: DnsAddress | null = null;

  constructor(resolver: Resolver, responder: DnsResponder, options: DnsServerOptions = {}) {
    this.resolver = resolver;
    this.responder = new GuardedResponder(responder);
    this.tuning = { ...DEFAULT_DNS_TUNING, ...options.tuning };
    const dns = resolver.plan.dns;
    this.requestedHost = options.host ?? dns.host;
    this.requestedPort = options.port ?? dns.port;
    this.inherited = options.inherited ?? null;
    this.reusePort = options.reusePort === true;
    this.lag = new LoopLag(this.tuning.lagIntervalMs, this.tuning.maxLagMs);
    const t = this.tuning;
    this.queueBound = new UdpQueueBound({
      maxQueueMs: t.maxQueueMs ?? dns.maxQueueMs,
      initialRateQps: t.initialRateQps,
      minBytes: Math.min(kMinRecvBufferBytes, t.recvBufferBytes),
      maxBytes: t.recvBufferBytes,
    });
  }

  /** Where it answers; null before `start` resolves. */
  get address(): DnsAddress | null {
    return this.bound;
  }

  /**
   * Binds UDP, then TCP on the port UDP got. With port 0 the OS picks, and
   * if TCP cannot have the port UDP got, another is picked. With inherited
   * sockets, wraps them instead. Rejects with URND_ERR_DNS_LISTEN naming the
   * address if either cannot bind.
   */
  async start(): Promise<DnsAddress> {
    if (this.udp !== null) throw new UrndError('URND_ERR_ARGUMENT', 'DnsServer.start: already started');
    const { udp, tcp } = this.inherited === null ? await this.bindFresh() : await this.openInherited(this.inherited);
    const dns = this.resolver.plan.dns;
    this.udp = new UdpServer(udp, this.requestedHost, this.responder, this.lag, this.queueBound);
    this.tcp = new TcpServer(tcp, this.responder, this.tuning, dns.tcpIdleTimeoutMs);
    this.bound = { host: this.requestedHost, port: this.udp.port };
    this.lag.start();
    this.udp.sampleKernelEvery(this.tuning.kernelSampleMs);
    return this.bound;
  }

  private async bindFresh(): Promise<{ udp: dgram.Socket; tcp: net.Server }> {
    const host = this.requestedHost;
    for (let attempt = 1; ; attempt++) {
      const udp = await bindUdp(host, this.requestedPort, this.queueBound.requestBytes(), this.reusePort);
      const port = udp.address().port;
      try {
        return {
          udp,
          tcp: await listenTcp(host, port, this.resolver.plan.dns.tcpMaxConnections, undefined, this.reusePort),
        };
      } catch (err) {
        udp.close();
        if (
          this.requestedPort === 0 &&
          (err as NodeJS.ErrnoException).code === 'EADDRINUSE' &&
          attempt < kPortPickAttempts
        )
          continue;
        throw listenError(host, port, 'tcp', err);
      }
    }
  }

  /** Sockets another process bound and this one inherited: no port to pick, nothing to retry. */
  private async openInherited(fds: InheritedSockets): Promise<{ udp: dgram.Socket; tcp: net.Server }> {
    const host = this.requestedHost;
    const udp = await openUdp(host, this.requestedPort, fds.udpFd, this.queueBound.requestBytes());
    try {
      return {
        udp,
        tcp: await listenTcp(host, this.requestedPort, this.resolver.plan.dns.tcpMaxConnections, fds.tcpFd),
      };
    } catch (err) {
      udp.close();
      throw listenError(host, this.requestedPort, 'tcp', err);
    }
  }

  /**
   * A config reload: the resolver (and so the responder, maxUdpSize
   * included) answers from `plan` from the next query on.
   * tcpMaxConnections and maxQueue apply at once, tcpIdleTimeout to
   * connections opened from now on; dns.listen and dns.workers need a
   * restart. Throws (and keeps the old plan) if the capacity differs.
   */
  setPlan(plan: Plan): void {
    this.resolver.setPlan(plan);
    if (this.tcp !== null) this.tcp.setLimits(plan.dns.tcpMaxConnections, plan.dns.tcpIdleTimeoutMs);
    if (this.tuning.maxQueueMs === undefined && this.queueBound.setMaxQueueMs(plan.dns.maxQueueMs))
      this.udp?.applyQueueBound();
  }

  /** Closes both sockets and every connection. */
  async stop(): Promise<void> {
    this.lag.stop();
    await Promise.all([this.udp?.close(), this.tcp?.close()]);
  }

  stats(): DnsServerStats {
    return collectStats(this.udp, this.tcp, this.responder, this.lag);
  }
}
