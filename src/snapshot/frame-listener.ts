import net from 'node:net';
import { UrndError } from '../errors.js';

/**
 * The receiving end of the push (see push.ts for the sender): a TCP server
 * that splits each connection's byte stream into length-prefixed frames
 * (uint32 BE length, then the frame) and hands each to the handler.
 *
 * The port is reachable by anyone who can reach the host, so it holds
 * against peers that connect and then do not send frames:
 *
 *   every connection must complete a whole frame within frameTimeoutMs of
 *   its accept (or of its previous frame)       else closed: idle (no byte yet) / slow (part of one)
 *   a length prefix over maxBytes                    closed: oversized
 *   a frame the handler says is not genuine          closed: invalid
 *   full (maxConnections) and a newcomer arrives ─►  the unproven connection with the fewest bytes
 *                                                    of its current frame (the oldest of equals) is
 *                                                    closed: evicted; if every one is proven, the
 *                                                    newcomer is closed: refused
 *
 * Every genuine frame is acknowledged with one byte back (ACK), so the
 * sender can tell a live path from a black-holed one, where its writes keep
 * succeeding into the kernel's buffer (push.ts). An acknowledgement is
 * written only when the previous ones have left this process: a peer that
 * never reads them costs one byte of our memory, not one per frame.
 *
 * A connection is *proven* once it delivered a frame the handler accepted
 * as genuine (a checksum or HMAC that holds); a proven one is never evicted,
 * only closed by its own deadline or a bad frame. So a genuine sender,
 * whose frame leaves the moment it connects, is never the cheapest victim
 * for long: an idle or trickling hostile connection has fewer bytes, and to
 * outbid it a hostile one has to send real bytes, which end in a frame that
 * is checked and closed. Hostile sources may use any number of addresses:
 * nothing here counts per address.
 *
 * Work is bounded whatever the peers do: one sweep of at most maxConnections
 * connections every frameTimeoutMs/4, at most maxConnections steps per
 * accepted connection to pick a victim, and each received byte parsed once.
 * Memory: a frame's buffer is allocated at its first body byte (not at the
 * length prefix), so a connection that only announced a length costs none.
 * A frame that arrived in one chunk at an 8-aligned offset is handed over as
 * a view of that chunk; any other is gathered into one buffer of its length
 * (8-aligned): one copy at most.
 */

/** Why the listener closed a connection; each counted in `stats().closed`. */
export const CLOSE_REASONS = ['idle', 'slow', 'oversized', 'invalid', 'evicted', 'refused'] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

export interface FrameListenerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port; see `address`). */
  port?: number;
  /** Longest frame accepted; a longer length prefix closes that connection (counted as `oversized`). */
  maxBytes: number;
  /** Most connections open at once; a newcomer beyond it evicts an unproven one. Default 512. */
  maxConnections?: number;
  /**
   * A connection must complete a whole frame within this many ms of its
   * accept or its previous frame. Default 3000 (three 1 s ticks). A function
   * is asked again at every sweep (a tick that a config reload changes).
   */
  frameTimeoutMs?: number | (() => number);
  /** Closed connections, at most one line per reason per frameTimeoutMs/4 (the rest are summed into the next line). */
  log?: (message: string) => void;
  /** What the frames are, naming the address in a bind error: `vectors listen 127.0.0.1:7000: …`. Default `frames`. */
  purpose?: string;
  /** Where the address was chosen, offered in a bind error: `--listen HOST:PORT or aggregator.listen`. */
  setting?: string;
}

export interface FrameListenerStats {
  /** Connections open now. */
  connections: number;
  /** Of them, the ones that delivered a genuine frame. */
  proven: number;
  /** Connections accepted so far (refused ones included). */
  accepted: number;
  /** Frames handed to the callback. */
  frames: number;
  /** Bytes of those frames. */
  bytes: number;
  /** Connections the peer ended part-way through a frame (that frame is lost; the next one heals). */
  partial: number;
  /** Connections the listener closed, by reason. */
  closed: Record<CloseReason, number>;
  /** Callback calls that threw. */
  callbackErrors: number;
}

/** Who sent a frame. */
export interface FramePeer {
  address: string;
  port: number;
}

/**
 * Called with each whole frame, in the order its sender sent them. Return
 * false if the frame is not genuine (its checksum or HMAC does not hold):
 * the connection is closed (`invalid`). Anything else proves the connection.
 */
export type FrameHandler = (bytes: Buffer, peer: FramePeer) => boolean | void;

const LENGTH_PREFIX_BYTES = 4;
/** The one byte that acknowledges a genuine frame; shared, never modified. */
const ACK = Buffer.from([0x06]);

/** One accepted connection and the frame it is part-way through. */
class Connection {
  readonly peer: FramePeer;
  proven = false;
  /** Set once the listener closed it, so 'close' does not count it as partial too. */
  closedBy: CloseReason | null = null;
  /** When the current frame's deadline started: the accept, or the end of the previous frame. */
  frameStartMs: number;
  /** Bytes of the current frame received so far, prefix included. */
  have = 0;
  readonly header = Buffer.alloc(LENGTH_PREFIX_BYTES);
  headerHave = 0;
  /** -1: reading a length prefix. */
  length = -1;
  body: Buffer | null = null;
  bodyHave = 0;

  constructor(
    readonly sock: net.Socket,
    nowMs: number,
  ) {
    this.peer = { address: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 };
    this.frameStartMs = nowMs;
  }

  /** A whole frame arrived: the next one's deadline starts now. */
  frameDone(nowMs: number): void {
    this.frameStartMs = nowMs;
    this.have = 0;
    this.length = -1;
    this.body = null;
    this.bodyHave = 0;
  }
}

function zeroReasons(): Record<CloseReason, number> {
  const r = {} as Record<CloseReason, number>;
  for (const k of CLOSE_REASONS) r[k] = 0;
  return r;
}

export class FrameListener {
  private readonly server: net.Server;
  /** Open connections in accept order (a Set iterates in insertion order): the oldest first. */
  private readonly conns = new Set<Connection>();
  private readonly counters = { accepted: 0, frames: 0, bytes: 0, partial: 0, callbackErrors: 0 };
  private readonly closed = zeroReasons();
  /** Closes per reason since the last log line of that reason was written. */
  private readonly unlogged = zeroReasons();
  private readonly logged = zeroReasons();
  private readonly maxBytes: number;
  private readonly maxConnections: number;
  private closing = false;
  private readonly frameTimeout: () => number;
  private sweepTimer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly options: FrameListenerOptions,
    private readonly onFrame: FrameHandler,
  ) {
    this.maxBytes = options.maxBytes;
    this.maxConnections = options.maxConnections ?? 512;
    const t = options.frameTimeoutMs ?? 3000;
    this.frameTimeout = typeof t === 'function' ? t : () => t;
    this.server = net.createServer((sock) => this.accept(sock));
  }

  /** Starts listening; resolves once bound. Rejects with URND_ERR_SNAPSHOT_LISTEN. */
  static async listen(options: FrameListenerOptions, onFrame: FrameHandler): Promise<FrameListener> {
    if (!Number.isInteger(options.maxBytes) || options.maxBytes < 1)
      throw new UrndError('URND_ERR_ARGUMENT', `maxBytes: ${String(options.maxBytes)} is not a positive whole number`);
    if (
      options.maxConnections !== undefined &&
      !(Number.isInteger(options.maxConnections) && options.maxConnections >= 1)
    ) {
      throw new UrndError(
        'URND_ERR_ARGUMENT',
        `maxConnections: ${String(options.maxConnections)} is not a positive whole number`,
      );
    }
    const t = typeof options.frameTimeoutMs === 'function' ? options.frameTimeoutMs() : options.frameTimeoutMs;
    if (t !== undefined && !(Number.isFinite(t) && t > 0))
      throw new UrndError('URND_ERR_ARGUMENT', `frameTimeoutMs: ${String(t)} is not a positive number of ms`);
    const listener = new FrameListener(options, onFrame);
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? 0;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        const why =
          err.code === 'EADDRINUSE'
            ? `the address is in use${options.setting === undefined ? '' : ` (choose another with ${options.setting})`}`
            : err.code === 'EADDRNOTAVAIL'
              ? 'not an address of this machine'
              : (err.code ?? err.message);
        const what = `${options.purpose ?? 'frames'} listen ${host.includes(':') ? `[${host}]` : host}:${port}`;
        reject(new UrndError('URND_ERR_SNAPSHOT_LISTEN', `${what}: ${why}`, { cause: err }));
      };
      listener.server.once('error', onError);
      listener.server.listen({ host, port }, () => {
        listener.server.off('error', onError);
        resolve();
      });
    });
    listener.server.on('error', (err) => options.log?.(`snapshot listener: ${err.message}`));
    listener.armSweep();
    return listener;
  }

  /** The bound address. */
  get address(): { host: string; port: number } {
    const a = this.server.address() as net.AddressInfo;
    return { host: a.address, port: a.port };
  }

  stats(): FrameListenerStats {
    let proven = 0;
    for (const c of this.conns) if (c.proven) proven++;
    return { connections: this.conns.size, proven, ...this.counters, closed: { ...this.closed } };
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.sweepTimer !== null) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.conns) c.sock.destroy();
    await closed;
  }

  /** The same sweep every period, attack or not: deadlines are checked there, never by a timer per socket. */
  private armSweep(): void {
    if (this.closing) return;
    const timeoutMs = this.frameTimeout();
    this.sweepTimer = setTimeout(
      () => {
        this.sweep(Date.now(), timeoutMs);
        this.armSweep();
      },
      Math.max(10, timeoutMs / 4),
    );
    this.sweepTimer.unref();
  }

  /** Closes every connection past its frame deadline, and writes the log lines held back. */
  private sweep(nowMs: number, timeoutMs: number): void {
    for (const c of this.conns) {
      if (nowMs - c.frameStartMs <= timeoutMs) continue;
      if (c.have === 0) this.cut(c, 'idle', `sent no frame in ${nowMs - c.frameStartMs} ms`);
      else
        this.cut(
          c,
          'slow',
          `sent ${c.have} bytes of a ${c.length < 0 ? '?' : c.length + LENGTH_PREFIX_BYTES}-byte frame in ${nowMs - c.frameStartMs} ms`,
        );
    }
    const held: string[] = [];
    for (const r of CLOSE_REASONS) {
      if (this.unlogged[r] > 0) held.push(`${r} ${this.unlogged[r]}`);
      this.unlogged[r] = 0;
      this.logged[r] = 0;
    }
    if (held.length > 0)
      this.options.log?.(`snapshot listener: also closed ${held.join(', ')} (${this.conns.size} connections open)`);
  }

  private cut(c: Connection, reason: CloseReason, why: string): void {
    if (c.closedBy !== null) return;
    c.closedBy = reason;
    this.closed[reason]++;
    // Under attack this could be thousands of lines a second: one per reason per sweep period, the rest summed.
    if (this.logged[reason] === 0) {
      this.logged[reason] = 1;
      this.options.log?.(`snapshot listener: ${c.peer.address}:${c.peer.port} ${why}; closed (${reason})`);
    } else {
      this.unlogged[reason]++;
    }
    this.conns.delete(c);
    c.sock.destroy();
  }

  /**
   * The connection to close for a newcomer when full: the unproven one with
   * the fewest bytes of its current frame, the oldest of equals (the Set is
   * in accept order, so the first zero-byte one ends the search).
   */
  private victim(): Connection | null {
    let best: Connection | null = null;
    for (const c of this.conns) {
      if (c.proven) continue;
      if (c.have === 0) return c;
      if (best === null || c.have < best.have) best = c;
    }
    return best;
  }

  private accept(sock: net.Socket): void {
    this.counters.accepted++;
    const now = Date.now();
    const c = new Connection(sock, now);
    sock.on('error', () => {
      // 'close' follows; a reset sender is nothing to report per frame.
    });
    if (this.conns.size >= this.maxConnections) {
      const v = this.victim();
      if (v === null) {
        c.closedBy = 'refused';
        this.closed.refused++;
        if (this.logged.refused === 0) {
          this.logged.refused = 1;
          this.options.log?.(
            `snapshot listener: ${c.peer.address}:${c.peer.port} refused: all ${this.maxConnections} connections have sent genuine frames`,
          );
        } else {
          this.unlogged.refused++;
        }
        sock.destroy();
        return;
      }
      this.cut(
        v,
        'evicted',
        `evicted for a newcomer (${this.maxConnections} connections open; it had sent ${v.have} bytes of a frame and no genuine one)`,
      );
    }
    this.conns.add(c);
    sock.on('data', (chunk: Buffer) => this.read(c, chunk));
    sock.on('close', () => {
      if (c.closedBy !== null) return;
      this.conns.delete(c);
      if (c.have > 0) this.counters.partial++;
    });
  }

  private read(c: Connection, chunk: Buffer): void {
    let off = 0;
    // Each pass consumes at least one byte of the chunk, so the loop ends.
    while (off < chunk.length && c.closedBy === null) {
      if (c.length < 0) {
        const n = Math.min(LENGTH_PREFIX_BYTES - c.headerHave, chunk.length - off);
        chunk.copy(c.header, c.headerHave, off, off + n);
        c.headerHave += n;
        c.have += n;
        off += n;
        if (c.headerHave < LENGTH_PREFIX_BYTES) return;
        c.headerHave = 0;
        const length = c.header.readUInt32BE(0);
        if (length > this.maxBytes) {
          this.cut(c, 'oversized', `announced a ${length}-byte frame (limit ${this.maxBytes})`);
          return;
        }
        c.length = length;
        if (length === 0) this.deliver(c, Buffer.alloc(0));
        continue;
      }
      const available = chunk.length - off;
      if (c.body === null && available >= c.length && ((chunk.byteOffset + off) & 7) === 0) {
        // Whole frame in this chunk, 8-aligned: hand over a view, no copy. (Otherwise it is
        // copied once, to an aligned buffer: the payload inside is aligned when the frame is,
        // and copying it into a SharedArrayBuffer table is word-wise only then.)
        const frame = chunk.subarray(off, off + c.length);
        off += c.length;
        this.deliver(c, frame);
        continue;
      }
      // Allocated at the first body byte: a connection that only announced a length holds nothing.
      if (c.body === null) c.body = Buffer.allocUnsafe(c.length);
      const n = Math.min(c.length - c.bodyHave, available);
      chunk.copy(c.body, c.bodyHave, off, off + n);
      c.bodyHave += n;
      c.have += n;
      off += n;
      if (c.bodyHave === c.length) this.deliver(c, c.body);
    }
  }

  private deliver(c: Connection, frame: Buffer): void {
    c.frameDone(Date.now());
    this.counters.frames++;
    this.counters.bytes += frame.length;
    let genuine: boolean | void;
    try {
      genuine = this.onFrame(frame, c.peer);
    } catch (err) {
      this.counters.callbackErrors++;
      this.options.log?.(`snapshot listener: frame handler threw: ${(err as Error)?.message ?? String(err)}`);
      return;
    }
    if (genuine === false) {
      this.cut(c, 'invalid', `sent a frame that is not genuine`);
      return;
    }
    c.proven = true;
    if (c.closedBy === null && c.sock.writable && c.sock.writableLength === 0) c.sock.write(ACK);
  }
}
