import net from 'node:net';
import { UrndError } from '../errors.js';

/**
 * The push transport: TCP, each frame preceded by its length (uint32,
 * big-endian). Frames go from the smaller fleet to the larger — aggregators
 * push status frames to DNS servers, checker vantage points push observation
 * vectors to aggregators — and receivers never poll.
 *
 * FramePublisher (sender). Every tick the caller hands it one frame; for each
 * subscriber, independently:
 *
 *   connected, nothing in flight ──► write [length][frame]        (sent++ when the kernel has it)
 *   connected, previous in flight ──► hold it as the one pending   (replacing an older pending: replaced++)
 *   connecting                    ──► hold it as the one pending   (replaced++ likewise)
 *   disconnected                  ──► connect (one attempt per publish, no timers),
 *                                     hold it; send it when connected (dropped++ if the attempt fails)
 *
 * So a subscriber costs at most one frame in flight plus one pending, however
 * slow or dead it is, and a slow or dead one never delays another: publish()
 * never waits on a socket. There is no backoff and no retry timer — a dead
 * subscriber gets one connection attempt per tick, the same on a calm day as
 * during an outage. A subscriber whose frame has been in flight longer than
 * `stallTimeoutMs` (a peer that stopped reading) is disconnected, and the
 * next publish connects again.
 *
 * Peer liveness. The listener answers every genuine frame with one byte
 * (frame-listener.ts). A small frame "leaves" the moment the kernel copies
 * it into the send buffer, so on a black-holed path (a partition, a host
 * gone without a reset) writes keep succeeding while TCP retransmits with
 * exponential backoff: the connection heals only at the next retransmission,
 * 10–20 s after a 10 s outage (measured in the fault matrix). So once a
 * subscriber has acknowledged frames, a connection that has frames written
 * and has heard nothing for `ackTimeoutMs` is dropped at that publish and a
 * new connection attempt starts at once; a fresh SYN goes through as soon as
 * the path does. A subscriber that never acknowledges (a listener from
 * before acknowledgements) is never judged by this.
 */

export interface Subscriber {
  host: string;
  port: number;
}

export interface FramePublisherOptions {
  /** Frames held per subscriber besides the one in flight. Only 1: the newest replaces an unsent older one. */
  maxQueuedFrames?: 1;
  /** A connection attempt not done by then fails (and is retried on a later publish). Default 1000 ms. */
  connectTimeoutMs?: number;
  /** A frame in flight this long means the subscriber stopped reading: disconnect it. Default 10,000 ms. */
  stallTimeoutMs?: number;
  /**
   * Frames written and not a byte heard back for this long, from a subscriber
   * that acknowledges frames: the path is dead (black-holed); drop the
   * connection and connect again at once. Default 3000 ms (three 1 s ticks).
   */
  ackTimeoutMs?: number;
  /** Connection state changes: connected, disconnected, and the first failed attempt of a run (not every one). */
  log?: (message: string) => void;
}

export type SubscriberState = 'connected' | 'connecting' | 'disconnected';

export interface SubscriberStats {
  host: string;
  port: number;
  state: SubscriberState;
  connected: boolean;
  /** Frames the kernel accepted. */
  sent: number;
  /** Unsent frames replaced by a newer one (the subscriber was slow, or still connecting). */
  replaced: number;
  /** Frames given up because the connection failed or closed before they went out. */
  dropped: number;
  /** Connection attempts that failed (refused, timed out, unreachable). */
  connectFailures: number;
  /** Connections made. */
  connects: number;
  /** Connections that closed after being made (by the peer, an error, or a stall). */
  disconnects: number;
  /** Disconnects for a frame in flight longer than stallTimeoutMs. */
  stalls: number;
  /** Frames the subscriber acknowledged (one byte each). */
  acknowledged: number;
  /** Disconnects for frames unacknowledged longer than ackTimeoutMs (a black-holed path). */
  unacknowledged: number;
  /** 0 or 1: the frame held for when the socket is free. */
  pendingFrames: number;
  /** Bytes written to the socket that the kernel has not taken yet. */
  bufferedBytes: number;
  lastError: string | null;
}

const LENGTH_PREFIX_BYTES = 4;

/** One subscriber's connection and its one pending frame. */
class Link {
  readonly host: string;
  readonly port: number;
  state: SubscriberState = 'disconnected';
  private socket: net.Socket | null = null;
  /** A frame handed to the socket whose write has not completed. */
  private inFlightSince = -1;
  private pending: Buffer | null = null;
  sent = 0;
  replaced = 0;
  dropped = 0;
  connectFailures = 0;
  connects = 0;
  disconnects = 0;
  stalls = 0;
  acknowledged = 0;
  unacknowledged = 0;
  lastError: string | null = null;
  private failingQuietly = false;
  /** The subscriber has acknowledged a frame (on any connection): from then on, silence means a dead path. */
  private acks = false;
  /** Frames written on this connection and not acknowledged yet. */
  private unackedFrames = 0;
  /** Since when frames have been waiting for an acknowledgement with none heard (-1: none waiting). */
  private waitingSince = -1;

  constructor(
    sub: Subscriber,
    private readonly connectTimeoutMs: number,
    private readonly stallTimeoutMs: number,
    private readonly ackTimeoutMs: number,
    private readonly log: ((m: string) => void) | undefined,
  ) {
    this.host = sub.host;
    this.port = sub.port;
  }

  publish(frame: Buffer, nowMs: number): void {
    switch (this.state) {
      case 'connected':
        if (this.socket === null || this.socket.destroyed) {
          // Closing; its 'close' drops this and the next publish reconnects.
          this.hold(frame);
          return;
        }
        if (this.acks && this.waitingSince >= 0 && nowMs - this.waitingSince > this.ackTimeoutMs) {
          // Writes still "succeed" into the kernel's buffer, but nothing comes back: a dead path.
          this.unacknowledged++;
          this.abandon(`no acknowledgement for ${nowMs - this.waitingSince} ms (${this.unackedFrames} frames waiting)`);
          this.hold(frame);
          this.connect();
          return;
        }
        if (this.inFlightSince < 0) {
          this.write(frame);
          return;
        }
        if (nowMs - this.inFlightSince > this.stallTimeoutMs) {
          this.stalls++;
          this.lastError = `stalled: a frame in flight for ${nowMs - this.inFlightSince} ms`;
          this.say(`${this.name()}: ${this.lastError}; disconnecting`);
          this.socket?.destroy();
        }
        this.hold(frame);
        return;
      case 'connecting':
        this.hold(frame);
        return;
      case 'disconnected':
        this.hold(frame);
        this.connect();
        return;
    }
  }

  close(): void {
    this.pending = null;
    this.socket?.destroy();
    this.socket = null;
    this.state = 'disconnected';
  }

  stats(): SubscriberStats {
    return {
      host: this.host,
      port: this.port,
      state: this.state,
      connected: this.state === 'connected',
      sent: this.sent,
      replaced: this.replaced,
      dropped: this.dropped,
      connectFailures: this.connectFailures,
      connects: this.connects,
      disconnects: this.disconnects,
      stalls: this.stalls,
      acknowledged: this.acknowledged,
      unacknowledged: this.unacknowledged,
      pendingFrames: this.pending === null ? 0 : 1,
      bufferedBytes: this.socket?.writableLength ?? 0,
      lastError: this.lastError,
    };
  }

  private hold(frame: Buffer): void {
    if (this.pending !== null) this.replaced++;
    this.pending = frame;
  }

  private write(frame: Buffer): void {
    const sock = this.socket as net.Socket;
    const prefix = Buffer.allocUnsafe(LENGTH_PREFIX_BYTES);
    prefix.writeUInt32BE(frame.length, 0);
    this.inFlightSince = Date.now();
    this.unackedFrames++;
    if (this.waitingSince < 0) this.waitingSince = this.inFlightSince;
    // Corked: prefix and frame leave in one writev, and the frame is not copied.
    sock.cork();
    sock.write(prefix);
    sock.write(frame, (err) => {
      // A callback of a socket since replaced belongs to a connection that is gone.
      if (this.socket !== sock || err) return;
      this.sent++;
      this.inFlightSince = -1;
      const next = this.pending;
      if (next !== null) {
        this.pending = null;
        this.write(next);
      }
    });
    sock.uncork();
  }

  private connect(): void {
    const sock = net.connect({ host: this.host, port: this.port, noDelay: true });
    this.socket = sock;
    this.state = 'connecting';
    sock.setTimeout(this.connectTimeoutMs);
    sock.on('timeout', () => {
      if (this.state === 'connecting' && this.socket === sock)
        sock.destroy(new Error(`connect timed out after ${this.connectTimeoutMs} ms`));
    });
    sock.once('connect', () => {
      if (this.socket !== sock) return;
      sock.setTimeout(0);
      this.state = 'connected';
      this.connects++;
      this.inFlightSince = -1;
      this.unackedFrames = 0;
      this.waitingSince = -1;
      if (this.failingQuietly || this.connects === 1) this.say(`${this.name()}: connected`);
      this.failingQuietly = false;
      // Read the acknowledgements (one byte a frame); reading also shows a peer's close at once.
      sock.on('data', (chunk: Buffer) => {
        if (this.socket !== sock) return;
        this.acks = true;
        this.acknowledged += chunk.length;
        this.unackedFrames = Math.max(0, this.unackedFrames - chunk.length);
        this.waitingSince = this.unackedFrames > 0 ? Date.now() : -1;
      });
      const next = this.pending;
      if (next !== null) {
        this.pending = null;
        this.write(next);
      }
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (this.socket === sock) this.lastError = err.code ?? err.message;
    });
    sock.once('close', () => {
      if (this.socket !== sock) return;
      if (this.state === 'connecting') {
        this.connectFailures++;
        if (!this.failingQuietly)
          this.say(`${this.name()}: cannot connect (${this.lastError ?? 'closed'}); retrying once per publish`);
        this.failingQuietly = true;
      } else {
        this.disconnects++;
        this.say(
          `${this.name()}: disconnected (${this.lastError ?? 'closed by peer'}); reconnecting on the next publish`,
        );
      }
      if (this.pending !== null) this.dropped++;
      this.pending = null;
      this.inFlightSince = -1;
      this.socket = null;
      this.state = 'disconnected';
    });
  }

  /** Gives up the current connection now (its 'close' is then ignored): the caller connects again at once. */
  private abandon(why: string): void {
    const sock = this.socket;
    this.disconnects++;
    this.lastError = why;
    this.say(`${this.name()}: ${why}; reconnecting now`);
    this.socket = null;
    this.state = 'disconnected';
    this.inFlightSince = -1;
    this.unackedFrames = 0;
    this.waitingSince = -1;
    sock?.destroy();
  }

  private name(): string {
    return `snapshot subscriber ${this.host}:${this.port}`;
  }

  private say(m: string): void {
    this.log?.(m);
  }
}

/**
 * Pushes every frame to every subscriber (see the drawing above). Call
 * `publish` once per tick with the tick's frame; don't modify a frame after
 * publishing it (it may still be going out). `encodeSnapshot` returns a new
 * buffer each call.
 */
export class FramePublisher {
  private readonly links: Link[];
  private closed = false;

  constructor(subscribers: readonly Subscriber[], options: FramePublisherOptions = {}) {
    if (options.maxQueuedFrames !== undefined && options.maxQueuedFrames !== 1) {
      throw new UrndError(
        'URND_ERR_ARGUMENT',
        `maxQueuedFrames: ${String(options.maxQueuedFrames)}; only 1 is supported (the newest frame replaces an unsent older one)`,
      );
    }
    const connectTimeoutMs = options.connectTimeoutMs ?? 1000;
    const stallTimeoutMs = options.stallTimeoutMs ?? 10_000;
    const ackTimeoutMs = options.ackTimeoutMs ?? 3000;
    for (const [name, v] of [
      ['connectTimeoutMs', connectTimeoutMs],
      ['stallTimeoutMs', stallTimeoutMs],
      ['ackTimeoutMs', ackTimeoutMs],
    ] as const) {
      if (!(Number.isFinite(v) && v > 0))
        throw new UrndError('URND_ERR_ARGUMENT', `${name}: ${String(v)} is not a positive number of ms`);
    }
    this.links = subscribers.map((s, i) => {
      if (typeof s?.host !== 'string' || s.host === '' || !Number.isInteger(s.port) || s.port < 1 || s.port > 65535) {
        throw new UrndError('URND_ERR_ARGUMENT', `subscribers[${i}]: needs a host and a port from 1 to 65535`);
      }
      return new Link(s, connectTimeoutMs, stallTimeoutMs, ackTimeoutMs, options.log);
    });
  }

  /** Sends `frame` to every subscriber, or holds it as that subscriber's one pending frame. Never waits. A no-op after `close()`. */
  publish(frame: Buffer): void {
    if (this.closed) return; // a last tick racing shutdown: nothing to send to
    if (frame.length === 0 || frame.length > 0xffffffff)
      throw new UrndError('URND_ERR_ARGUMENT', `frame: ${frame.length} bytes does not fit a length prefix`);
    const now = Date.now();
    for (const link of this.links) link.publish(frame, now);
  }

  /** Per subscriber, in the order given. */
  stats(): SubscriberStats[] {
    return this.links.map((l) => l.stats());
  }

  /** Closes every connection and drops pending frames. */
  close(): void {
    this.closed = true;
    for (const link of this.links) link.close();
  }
}

// The receiving end lives in frame-listener.ts; re-exported so both ends import from one place.
export {
  FrameListener,
  CLOSE_REASONS,
  type CloseReason,
  type FrameListenerOptions,
  type FrameListenerStats,
  type FramePeer,
  type FrameHandler,
} from './frame-listener.js';
