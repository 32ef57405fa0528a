/**
 * The UDP half of a DnsServer: one socket, each datagram answered at once
 * through the responder, or shed.
 *
 * - The receive queue is bounded in time (`maxQueueMs`, udp-queue-bound.ts):
 *   the receive buffer holds that long of queries at the rate this thread
 *   answers, so under overload the kernel drops new datagrams instead of
 *   holding a backlog that makes every answer late; those drops are read
 *   from /proc/net/udp once a second (Linux only; unknown elsewhere), and
 *   the same samples measure the rate. `maxQueueMs` 0: a fixed buffer of
 *   `recvBufferBytes`.
 * - While this thread's event loop is more than `maxLagMs` behind (a stall,
 *   a long GC), datagrams are dropped unanswered (`shed`): they waited too
 *   long to be worth an answer, and answering them would make the fresh
 *   ones wait too.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { GuardedResponder } from './guarded-responder.js';
import { listenError } from './listen-address.js';
import type { LoopLag } from './loop-lag.js';
import { readUdpSocketCounters } from './proc-net-udp.js';
import type { UdpQueueBound } from './udp-queue-bound.js';

export class UdpServer {
  readonly socket: dgram.Socket;
  private readonly responder: GuardedResponder;
  private readonly lag: LoopLag;
  private readonly host: string;
  private kernelTimer: NodeJS.Timeout | null = null;
  private kernelReading = false;
  private closed = false;

  // Counters (see DnsServerStats, udp*).
  received = 0;
  answered = 0;
  ignored = 0;
  shed = 0;
  sendErrors = 0;
  kernelDrops: number | null = null;
  recvQueueBytes: number | null = null;
  /** The receive buffer the kernel granted (Linux reports twice the request). */
  recvBufferBytes: number;
  /** Sizes the receive buffer from the measured answer rate (a fixed size while its bound is 0). */
  readonly queueBound: UdpQueueBound;
  // The previous kernel sample, for the answer rate over the window since.
  private lastSampleAt = 0;
  private lastElu = performance.eventLoopUtilization();
  private lastAnswered = 0;

  /** Serves on `socket`, already bound (with `queueBound`'s initial buffer when there is one). */
  constructor(
    socket: dgram.Socket,
    host: string,
    responder: GuardedResponder,
    lag: LoopLag,
    queueBound: UdpQueueBound,
  ) {
    this.socket = socket;
    this.host = host;
    this.responder = responder;
    this.lag = lag;
    this.queueBound = queueBound;
    this.recvBufferBytes = socket.getRecvBufferSize();
    socket.on('message', this.onDatagram);
    // After bind, a socket error (e.g. a failed send with no callback) must not kill the thread.
    socket.on('error', () => {
      this.sendErrors += 1;
    });
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Reads the kernel's counters for this socket now and every `everyMs` (0: never). */
  sampleKernelEvery(everyMs: number): void {
    if (everyMs <= 0) return;
    this.lastSampleAt = performance.now();
    this.lastElu = performance.eventLoopUtilization();
    void this.sampleKernel();
    this.kernelTimer = setInterval(() => void this.sampleKernel(), everyMs);
    this.kernelTimer.unref();
  }

  close(): Promise<void> {
    if (this.kernelTimer !== null) clearInterval(this.kernelTimer);
    this.kernelTimer = null;
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  // An arrow property, made once: the hot path allocates no closure per datagram.
  private readonly onDatagram = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    this.received += 1;
    // The datagram waited behind a stalled loop: drop it, and so drain the
    // backlog at full speed to the datagrams that are still fresh.
    if (this.lag.over(performance.now())) {
      this.shed += 1;
      return;
    }
    const answer = this.responder.answer(msg, 'udp', rinfo.address);
    if (answer === null) {
      this.ignored += 1;
      return;
    }
    if (this.closed) return;
    this.socket.send(answer, rinfo.port, rinfo.address, this.onSent);
  };

  private readonly onSent = (err: Error | null): void => {
    if (err === null) this.answered += 1;
    else this.sendErrors += 1;
  };

  private async sampleKernel(): Promise<void> {
    if (this.closed || this.kernelReading) return;
    this.kernelReading = true;
    try {
      const row = await readUdpSocketCounters(this.host, this.port);
      this.kernelDrops = row === null ? null : row.drops;
      this.recvQueueBytes = row === null ? null : row.rxQueueBytes;
      this.followAnswerRate();
    } catch {
      // closed while reading: the last sample stands
    } finally {
      this.kernelReading = false;
    }
  }

  /** Feeds the window since the last sample to the queue bound, and resizes the buffer if the rate moved. */
  private followAnswerRate(): void {
    const now = performance.now();
    const elu = performance.eventLoopUtilization();
    const windowMs = now - this.lastSampleAt;
    const utilization = performance.eventLoopUtilization(elu, this.lastElu).utilization;
    const answered = this.answered - this.lastAnswered;
    this.lastSampleAt = now;
    this.lastElu = elu;
    this.lastAnswered = this.answered;
    if (this.closed || !this.queueBound.observe(answered, windowMs, utilization)) return;
    this.applyQueueBound();
  }

  /** Requests the receive buffer the queue bound asks for now (after a new rate or a new bound). */
  applyQueueBound(): void {
    if (this.closed) return;
    this.socket.setRecvBufferSize(this.queueBound.requestBytes());
    this.recvBufferBytes = this.socket.getRecvBufferSize();
  }
}

/** Binds a UDP socket on host:port with the given receive buffer; `reusePort` where reuse-port.ts says Node has it. */
export function bindUdp(host: string, port: number, recvBufferBytes: number, reusePort = false): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    // reusePort is not in this @types/node yet (Node 22.12+ has it).
    const options: dgram.SocketOptions & { reusePort?: boolean } = {
      type: net.isIPv6(host) ? 'udp6' : 'udp4',
      recvBufferSize: recvBufferBytes,
    };
    if (reusePort) options.reusePort = true;
    const socket = dgram.createSocket(options);
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
export function openUdp(host: string, port: number, fd: number, recvBufferBytes: number): Promise<dgram.Socket> {
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
