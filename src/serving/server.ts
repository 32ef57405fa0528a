/**
 * The DNS wire front end of one thread: one UDP socket and one TCP server on
 * the same host:port, each query handed to the Responder and its answer sent
 * back. It runs in a resolver worker thread (src/serving/resolver-worker.ts),
 * never on a thread that runs probes.
 *
 * Load shedding — when it cannot keep up, it drops the excess instead of
 * queueing it, counts what it dropped, and the rest keep their latency:
 * - UDP: the receive buffer is bounded (`recvBufferBytes`, 1 MiB: about
 *   50–100 ms of queries at 20k q/s, in kernel accounting), so
 *   under overload the kernel drops new datagrams instead of holding seconds
 *   of backlog; those drops are read from /proc/net/udp once a second
 *   (Linux only; unknown elsewhere). And while this thread's event loop is
 *   more than `maxLagMs` (200 ms) behind — a stall, a long GC — datagrams
 *   are dropped unanswered (`udpShed`): they waited too long to be worth an
 *   answer, and answering them would make the fresh ones wait too.
 * - TCP: at most `tcpMaxConnections` at once (more are closed on accept);
 *   per connection at most `tcpMaxInFlight` answers not yet handed to the
 *   kernel, beyond which reading pauses until they are (the client's own
 *   queries back up in its socket, nobody else's); a connection that sends
 *   no complete query for `tcpIdleTimeoutMs` is closed — a half-sent or
 *   trickled frame, and a client paused because it does not read, included;
 *   so is one that sends more while earlier answers over
 *   `tcpMaxUnsentBytes` are still unsent, or a length prefix of 0 or over
 *   `maxQueryBytes`.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Plan } from '../config/plan.js';
import { UrndError } from '../errors.js';
import type { Resolver } from '../resolve/resolver.js';
import { LoopLag } from './loop-lag.js';
import type { DnsServerStats, DnsServerTuning, InheritedSockets, ResponderCounters } from './resolver-messages.js';
import { readUdpSocketCounters } from './proc-net-udp.js';

/** What the server needs of a Responder (src/dns/responder.ts has this shape). */
export interface DnsResponder {
  /** The answer to `query` in wire form, or null to send nothing. Never throws. */
  respond(query: Uint8Array, transport: 'udp' | 'tcp'): Buffer | null;
  readonly counters: ResponderCounters;
}

export const DEFAULT_DNS_TUNING: DnsServerTuning = {
  // 256 KiB dropped queries at 17k q/s during ~20 ms scheduler stalls on a
  // shared 2-core machine (bench/dns); 1 MiB rides those out while still
  // bounding the backlog to a fraction of a second.
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
}


/** A bound server's address. */
export interface DnsAddress {
  readonly host: string;
  readonly port: number;
}

/** `host:port`, IPv6 hosts in brackets. */
export function formatAddress(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Times start() re-picks a port when the OS gave UDP a port TCP cannot have (port 0 only). */
const kPortPickAttempts = 8;

/** One TCP client. */
interface Connection {
  readonly socket: net.Socket;
  /** Received bytes not yet consumed as whole frames; null when none. */
  pending: Buffer | null;
  /** Answers written whose write has not completed (handed to the kernel). */
  unflushed: number;
  paused: boolean;
  idle: NodeJS.Timeout;
  readonly onFlushed: (err?: Error | null) => void;
}

/**
 * One UDP socket and one TCP server on one host:port, answering every query
 * through `responder`. See the file comment for what it sheds and when.
 */
export class DnsServer {
  private readonly resolver: Resolver;
  private readonly responder: DnsResponder;
  private readonly tuning: DnsServerTuning;
  private readonly requestedHost: string;
  private readonly requestedPort: number;
  private readonly inherited: InheritedSockets | null;
  private readonly lag: LoopLag;
  private udp: dgram.Socket | null = null;
  private tcp: net.Server | null = null;
  private readonly connections = new Set<Connection>();
  private tcpIdleMs: number;
  private bound: DnsAddress | null = null;
  private kernelTimer: NodeJS.Timeout | null = null;
  private kernelReading = false;

  // Counters (see DnsServerStats).
  private udpReceived = 0;
  private udpAnswered = 0;
  private udpIgnored = 0;
  private udpShed = 0;
  private udpSendErrors = 0;
  private udpKernelDrops: number | null = null;
  private udpRecvQueueBytes: number | null = null;
  private udpRecvBufferBytes = 0;
  private tcpAccepted = 0;
  private tcpRejected = 0;
  private tcpQueries = 0;
  private tcpAnswered = 0;
  private tcpIgnored = 0;
  private tcpPaused = 0;
  private tcpClosedIdle = 0;
  private tcpClosedPartial = 0;
  private tcpClosedBadLength = 0;
  private tcpClosedSlow = 0;
  private tcpErrors = 0;
  private responderErrors = 0;

  constructor(resolver: Resolver, responder: DnsResponder, options: DnsServerOptions = {}) {
    this.resolver = resolver;
    this.responder = responder;
    this.tuning = { ...DEFAULT_DNS_TUNING, ...options.tuning };
    const dns = resolver.plan.dns;
    this.requestedHost = options.host ?? dns.host;
    this.requestedPort = options.port ?? dns.port;
    this.inherited = options.inherited ?? null;
    this.tcpIdleMs = dns.tcpIdleTimeoutMs;
    this.lag = new LoopLag(this.tuning.lagIntervalMs, this.tuning.maxLagMs);
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
    this.udp = udp;
    this.tcp = tcp;
    const a = udp.address();
    this.bound = { host: this.requestedHost, port: a.port };
    this.udpRecvBufferBytes = udp.getRecvBufferSize();
    udp.on('message', this.onDatagram);
    // After bind, a socket error (e.g. a failed send with no callback) must not kill the thread.
    this.udp.on('error', () => {
      this.udpSendErrors += 1;
    });
    this.tcp.on('connection', (socket) => this.onConnection(socket));
    // net.Server closes a connection beyond maxConnections itself and emits 'drop'.
    this.tcp.on('drop', () => {
      this.tcpRejected += 1;
    });
    this.tcp.on('error', () => {
      this.tcpErrors += 1;
    });
    this.lag.start();
    if (this.tuning.kernelSampleMs > 0) {
      void this.sampleKernel();
      this.kernelTimer = setInterval(() => void this.sampleKernel(), this.tuning.kernelSampleMs);
      this.kernelTimer.unref();
    }
    return this.bound as DnsAddress;
  }

  private async bindFresh(): Promise<{ udp: dgram.Socket; tcp: net.Server }> {
    const host = this.requestedHost;
    for (let attempt = 1; ; attempt++) {
      const udp = await bindUdp(host, this.requestedPort, this.tuning.recvBufferBytes);
      const port = udp.address().port;
      try {
        return { udp, tcp: await listenTcp(host, port, this.resolver.plan.dns.tcpMaxConnections) };
      } catch (err) {
        udp.close();
        if (this.requestedPort === 0 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < kPortPickAttempts) continue;
        throw listenError(host, port, 'tcp', err);
      }
    }
  }

  /** Sockets another process bound and this one inherited: no port to pick, nothing to retry. */
  private async openInherited(fds: InheritedSockets): Promise<{ udp: dgram.Socket; tcp: net.Server }> {
    const host = this.requestedHost;
    const udp = await openUdp(host, this.requestedPort, fds.udpFd, this.tuning.recvBufferBytes);
    try {
      return { udp, tcp: await listenTcp(host, this.requestedPort, this.resolver.plan.dns.tcpMaxConnections, fds.tcpFd) };
    } catch (err) {
      udp.close();
      throw listenError(host, this.requestedPort, 'tcp', err);
    }
  }

  /**
   * A config reload: the resolver (and so the responder, maxUdpSize
   * included) answers from `plan` from the next query on.
   * tcpMaxConnections applies at once, tcpIdleTimeout to connections opened
   * from now on; dns.listen and dns.workers need a restart. Throws (and
   * keeps the old plan) if the capacity differs.
   */
  setPlan(plan: Plan): void {
    this.resolver.setPlan(plan);
    this.tcpIdleMs = plan.dns.tcpIdleTimeoutMs;
    if (this.tcp !== null) this.tcp.maxConnections = plan.dns.tcpMaxConnections;
  }

  /** Closes both sockets and every connection. */
  async stop(): Promise<void> {
    this.lag.stop();
    if (this.kernelTimer !== null) clearInterval(this.kernelTimer);
    this.kernelTimer = null;
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = null;
    this.tcp = null;
    for (const c of this.connections) this.close(c);
    await Promise.all([
      udp === null ? undefined : new Promise<void>((resolve) => udp.close(() => resolve())),
      tcp === null ? undefined : new Promise<void>((resolve) => tcp.close(() => resolve())),
    ]);
  }

  stats(): DnsServerStats {
    return {
      udpReceived: this.udpReceived,
      udpAnswered: this.udpAnswered,
      udpIgnored: this.udpIgnored,
      udpShed: this.udpShed,
      udpSendErrors: this.udpSendErrors,
      udpKernelDrops: this.udpKernelDrops,
      udpRecvQueueBytes: this.udpRecvQueueBytes,
      udpRecvBufferBytes: this.udpRecvBufferBytes,
      tcpAccepted: this.tcpAccepted,
      tcpOpen: this.connections.size,
      tcpRejected: this.tcpRejected,
      tcpQueries: this.tcpQueries,
      tcpAnswered: this.tcpAnswered,
      tcpIgnored: this.tcpIgnored,
      tcpPaused: this.tcpPaused,
      tcpClosedIdle: this.tcpClosedIdle,
      tcpClosedPartial: this.tcpClosedPartial,
      tcpClosedBadLength: this.tcpClosedBadLength,
      tcpClosedSlow: this.tcpClosedSlow,
      tcpErrors: this.tcpErrors,
      responderErrors: this.responderErrors,
      lagMs: this.lag.lagMs(),
      maxLagMs: this.lag.maxLagMs,
      responder: { ...this.responder.counters },
    };
  }

  // ── UDP ─────────────────────────────────────────────────────────────────

  // An arrow property, made once: the hot path allocates no closure per datagram.
  private readonly onDatagram = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    this.udpReceived += 1;
    // The datagram waited behind a stalled loop: drop it, and so drain the
    // backlog at full speed to the datagrams that are still fresh.
    if (this.lag.over(performance.now())) {
      this.udpShed += 1;
      return;
    }
    const answer = this.answer(msg, 'udp');
    if (answer === null) {
      this.udpIgnored += 1;
      return;
    }
    const udp = this.udp;
    if (udp === null) return;
    udp.send(answer, rinfo.port, rinfo.address, this.onUdpSent);
  };

  private readonly onUdpSent = (err: Error | null): void => {
    if (err === null) this.udpAnswered += 1;
    else this.udpSendErrors += 1;
  };

  private answer(query: Uint8Array, transport: 'udp' | 'tcp'): Buffer | null {
    try {
      return this.responder.respond(query, transport);
    } catch {
      // The contract says it never throws; if it does, one query is lost, not the thread.
      this.responderErrors += 1;
      return null;
    }
  }

  private async sampleKernel(): Promise<void> {
    const bound = this.bound;
    if (bound === null || this.kernelReading) return;
    this.kernelReading = true;
    try {
      const row = await readUdpSocketCounters(bound.host, bound.port);
      this.udpKernelDrops = row === null ? null : row.drops;
      this.udpRecvQueueBytes = row === null ? null : row.rxQueueBytes;
    } finally {
      this.kernelReading = false;
    }
  }

  // ── TCP ─────────────────────────────────────────────────────────────────

  private onConnection(socket: net.Socket): void {
    this.tcpAccepted += 1;
    socket.setNoDelay(true);
    const conn: Connection = {
      socket,
      pending: null,
      unflushed: 0,
      paused: false,
      idle: setTimeout(() => this.onIdle(conn), this.tcpIdleMs),
      onFlushed: (err) => this.onFlushed(conn, err),
    };
    conn.idle.unref();
    this.connections.add(conn);
    socket.on('data', (chunk: Buffer) => {
      conn.pending = conn.pending === null ? chunk : Buffer.concat([conn.pending, chunk]);
      this.drain(conn);
    });
    socket.on('error', () => {
      this.tcpErrors += 1;
    });
    socket.on('close', () => {
      clearTimeout(conn.idle);
      this.connections.delete(conn);
    });
  }

  /**
   * Answers every whole frame in `conn.pending`, in order, until the
   * in-flight cap: then reading pauses until every answer written is
   * flushed. A client that stops reading so stays paused, sends no more
   * whole queries, and is closed at the idle timeout; writes of one chunk's
   * answers are corked into one send.
   */
  private drain(conn: Connection): void {
    const socket = conn.socket;
    // Answers from earlier turns of the loop are still unsent: the client is
    // not reading them. Checked before this turn's writes, which may briefly
    // exceed the bound on their own (a few large answers, corked).
    if (socket.writableLength > this.tuning.tcpMaxUnsentBytes) {
      this.tcpClosedSlow += 1;
      this.close(conn);
      return;
    }
    socket.cork();
    try {
      while (conn.pending !== null && conn.pending.length >= 2) {
        const buf: Buffer = conn.pending;
        const length = buf.readUInt16BE(0);
        if (length === 0 || length > this.tuning.maxQueryBytes) {
          this.tcpClosedBadLength += 1;
          this.close(conn);
          return;
        }
        if (buf.length < 2 + length) break;
        if (conn.unflushed >= this.tuning.tcpMaxInFlight) {
          if (!conn.paused) {
            conn.paused = true;
            this.tcpPaused += 1;
            socket.pause();
          }
          break;
        }
        const query = buf.subarray(2, 2 + length);
        conn.pending = buf.length === 2 + length ? null : buf.subarray(2 + length);
        this.tcpQueries += 1;
        // Only a whole query counts as activity: a client trickling bytes of a frame still times out.
        conn.idle.refresh();
        const answer = this.answer(query, 'tcp');
        if (answer === null) {
          this.tcpIgnored += 1;
          continue;
        }
        if (!this.writeFrame(conn, answer)) return;
      }
    } finally {
      socket.uncork();
    }
  }

  /** Writes one length-prefixed answer; false if the connection was closed instead. */
  private writeFrame(conn: Connection, answer: Buffer): boolean {
    if (answer.length > 0xffff) {
      this.responderErrors += 1;
      this.close(conn);
      return false;
    }
    const frame = Buffer.allocUnsafe(2 + answer.length);
    frame.writeUInt16BE(answer.length, 0);
    answer.copy(frame, 2);
    conn.unflushed += 1;
    conn.socket.write(frame, conn.onFlushed);
    this.tcpAnswered += 1;
    return true;
  }

  private onFlushed(conn: Connection, err?: Error | null): void {
    conn.unflushed -= 1;
    if (err !== undefined && err !== null) return;
    // Resume once every answer written is flushed, so the next batch goes out as one corked send.
    if (conn.paused && conn.unflushed === 0 && !conn.socket.destroyed) {
      conn.paused = false;
      // Answer what is already buffered before reading more.
      this.drain(conn);
      if (!conn.paused && !conn.socket.destroyed) conn.socket.resume();
    }
  }

  private onIdle(conn: Connection): void {
    if (conn.socket.destroyed) return;
    // Paused for answers it never read: a slow client, not an idle one.
    if (conn.paused) this.tcpClosedSlow += 1;
    else if (conn.pending !== null && conn.pending.length > 0) this.tcpClosedPartial += 1;
    else this.tcpClosedIdle += 1;
    this.close(conn);
  }

  private close(conn: Connection): void {
    clearTimeout(conn.idle);
    conn.pending = null;
    conn.socket.destroy();
    this.connections.delete(conn);
  }
}

function bindUdp(host: string, port: number, recvBufferBytes: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: recvBufferBytes });
    const onError = (err: Error) => {
      try {
        socket.close();
      } catch {
        // already closed by the failed bind
      }
      reject(listenError(host, port, 'udp', err));
    };
    socket.once('error', onError);
    socket.bind({ port, address: host, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/** Wraps an inherited, already bound UDP socket (`fd`). */
function openUdp(host: string, port: number, fd: number, recvBufferBytes: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: recvBufferBytes });
    const onError = (err: Error) => reject(listenError(host, port, 'udp', err));
    socket.once('error', onError);
    try {
      socket.bind({ fd }, () => {
        socket.off('error', onError);
        resolve(socket);
      });
    } catch (err) {
      reject(listenError(host, port, 'udp', err));
    }
  });
}

/** Listens on host:port, or on an inherited bound TCP socket when `fd` is given. */
function listenTcp(host: string, port: number, maxConnections: number, fd?: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ noDelay: true });
    server.maxConnections = maxConnections;
    server.once('error', reject);
    server.listen(fd === undefined ? { port, host, exclusive: true } : { fd }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** URND_ERR_DNS_LISTEN naming the address and what went wrong, from a bind or listen error. */
export function listenError(host: string, port: number, proto: 'udp' | 'tcp', err: unknown): UrndError {
  const code = (err as NodeJS.ErrnoException).code;
  const what =
    code === 'EADDRINUSE'
      ? `address already in use (${proto}): another DNS server is there; choose another with --dns-listen HOST:PORT or dns.listen`
      : code === 'EADDRNOTAVAIL'
        ? `not an address of this machine (${proto})`
        : code === 'EACCES'
          ? `permission denied (${proto}): ports below 1024 need privileges`
          : `${proto} bind failed: ${(err as Error).message}`;
  return new UrndError('URND_ERR_DNS_LISTEN', `dns listen ${formatAddress(host, port)}: ${what}`, { cause: err });
}
