/**
 * The TCP half of a DnsServer: the listener and its connections, each
 * length-prefixed query answered in order through the responder.
 *
 * Limits, so one client's backlog stays its own:
 * - at most `tcpMaxConnections` at once (more are closed on accept);
 * - per connection at most `tcpMaxInFlight` answers not yet handed to the
 *   kernel, beyond which reading pauses until they are (the client's own
 *   queries back up in its socket, nobody else's);
 * - a connection that sends no complete query for `tcpIdleTimeoutMs` is
 *   closed — a half-sent or trickled frame, and a client paused because it
 *   does not read, included; so is one that sends more while earlier
 *   answers over `tcpMaxUnsentBytes` are still unsent, or a length prefix
 *   of 0 or over `maxQueryBytes`.
 */
import net from 'node:net';
import type { GuardedResponder } from './guarded-responder.js';
import type { DnsServerTuning } from './resolver-messages.js';

/** One TCP client. */
interface Connection {
  readonly socket: net.Socket;
  /** The client's address, read once (IP-based routing without ECS). */
  readonly remoteAddress: string;
  /** Received bytes not yet consumed as whole frames; null when none. */
  pending: Buffer | null;
  /** Answers written whose write has not completed (handed to the kernel). */
  unflushed: number;
  paused: boolean;
  idle: NodeJS.Timeout;
  readonly onFlushed: (err?: Error | null) => void;
}

export class TcpServer {
  readonly server: net.Server;
  private readonly responder: GuardedResponder;
  private readonly tuning: DnsServerTuning;
  private readonly connections = new Set<Connection>();
  private idleMs: number;

  // Counters (see DnsServerStats, tcp*).
  accepted = 0;
  rejected = 0;
  queries = 0;
  answered = 0;
  ignored = 0;
  paused = 0;
  closedIdle = 0;
  closedPartial = 0;
  closedBadLength = 0;
  closedSlow = 0;
  errors = 0;

  /** Serves on `server`, already listening. */
  constructor(server: net.Server, responder: GuardedResponder, tuning: DnsServerTuning, idleMs: number) {
    this.server = server;
    this.responder = responder;
    this.tuning = tuning;
    this.idleMs = idleMs;
    server.on('connection', (socket) => this.onConnection(socket));
    // net.Server closes a connection beyond maxConnections itself and emits 'drop'.
    server.on('drop', () => {
      this.rejected += 1;
    });
    server.on('error', () => {
      this.errors += 1;
    });
  }

  get open(): number {
    return this.connections.size;
  }

  /** tcpMaxConnections applies at once, the idle timeout to connections opened from now on. */
  setLimits(maxConnections: number, idleMs: number): void {
    this.server.maxConnections = maxConnections;
    this.idleMs = idleMs;
  }

  /** Closes the listener and every connection. */
  close(): Promise<void> {
    for (const c of this.connections) this.closeConnection(c);
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(socket: net.Socket): void {
    this.accepted += 1;
    socket.setNoDelay(true);
    const conn: Connection = {
      socket,
      remoteAddress: socket.remoteAddress ?? '',
      pending: null,
      unflushed: 0,
      paused: false,
      idle: setTimeout(() => this.onIdle(conn), this.idleMs),
      onFlushed: (err) => this.onFlushed(conn, err),
    };
    conn.idle.unref();
    this.connections.add(conn);
    socket.on('data', (chunk: Buffer) => {
      conn.pending = conn.pending === null ? chunk : Buffer.concat([conn.pending, chunk]);
      this.drain(conn);
    });
    socket.on('error', () => {
      this.errors += 1;
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
      this.closedSlow += 1;
      this.closeConnection(conn);
      return;
    }
    socket.cork();
    try {
      while (conn.pending !== null && conn.pending.length >= 2) {
        const buf: Buffer = conn.pending;
        const length = buf.readUInt16BE(0);
        if (length === 0 || length > this.tuning.maxQueryBytes) {
          this.closedBadLength += 1;
          this.closeConnection(conn);
          return;
        }
        if (buf.length < 2 + length) break;
        if (conn.unflushed >= this.tuning.tcpMaxInFlight) {
          if (!conn.paused) {
            conn.paused = true;
            this.paused += 1;
            socket.pause();
          }
          break;
        }
        const query = buf.subarray(2, 2 + length);
        conn.pending = buf.length === 2 + length ? null : buf.subarray(2 + length);
        this.queries += 1;
        // Only a whole query counts as activity: a client trickling bytes of a frame still times out.
        conn.idle.refresh();
        const answer = this.responder.answer(query, 'tcp', conn.remoteAddress);
        if (answer === null) {
          this.ignored += 1;
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
      this.responder.errors += 1;
      this.closeConnection(conn);
      return false;
    }
    const frame = Buffer.allocUnsafe(2 + answer.length);
    frame.writeUInt16BE(answer.length, 0);
    answer.copy(frame, 2);
    conn.unflushed += 1;
    conn.socket.write(frame, conn.onFlushed);
    this.answered += 1;
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
    if (conn.paused) this.closedSlow += 1;
    else if (conn.pending !== null && conn.pending.length > 0) this.closedPartial += 1;
    else this.closedIdle += 1;
    this.closeConnection(conn);
  }

  private closeConnection(conn: Connection): void {
    clearTimeout(conn.idle);
    conn.pending = null;
    conn.socket.destroy();
    this.connections.delete(conn);
  }
}

/** Listens on host:port (with SO_REUSEPORT when `reusePort`), or on an inherited bound TCP socket when `fd` is given. */
export function listenTcp(
  host: string,
  port: number,
  maxConnections: number,
  fd?: number,
  reusePort = false,
): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ noDelay: true });
    server.maxConnections = maxConnections;
    server.once('error', reject);
    // reusePort is not in this @types/node yet (Node 22.12+ has it).
    const options: net.ListenOptions & { reusePort?: boolean } = { port, host, exclusive: true };
    if (reusePort) options.reusePort = true;
    server.listen(fd === undefined ? options : { fd }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
