import net from 'node:net';

/**
 * Connections that hold a frames port without ever sending a whole genuine
 * frame, from many loopback source addresses (127.0.<b>.<c>), each opened
 * again 100 ms after it is closed — the attack of issue 13. Bounded in count
 * (`maxConnects` in all) and by `stop()`.
 *
 *   idle      connect, send nothing
 *   trickle   one byte of a length prefix per second
 *   half      a valid length prefix, half the frame, then nothing
 *   junk      a valid length prefix and a whole frame of junk (not genuine)
 *   garbage   64 random bytes (a random length prefix: mostly oversized)
 */
/** Delay before a closed connection is opened again: 1,000 connections can still make 10,000 attempts a second. */
const RECONNECT_MS = 100;

export const HOSTILE_KINDS = ['idle', 'trickle', 'half', 'junk', 'garbage'] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];

export interface HostilePeersOptions {
  port: number;
  /** Connections held open at once, spread evenly over `kinds`. */
  count: number;
  /** Default: every kind. */
  kinds?: readonly HostileKind[];
  /** Length the `half` and `junk` kinds announce: a length the port accepts. */
  frameBytes: number;
  /** Connection attempts in all, reconnects included. */
  maxConnects: number;
  /** Source addresses: 127.0.<firstB + i / 250>.<1 + i % 250>. Default 1. */
  firstB?: number;
}

export class HostilePeers {
  connects = 0;
  /** Connections open now. */
  open = 0;
  private stopped = false;
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly prefix: Buffer;

  constructor(private readonly o: HostilePeersOptions) {
    this.prefix = Buffer.alloc(4);
    this.prefix.writeUInt32BE(o.frameBytes);
    const kinds = o.kinds ?? HOSTILE_KINDS;
    for (let i = 0; i < o.count; i++) this.connect(i, kinds[i % kinds.length] as HostileKind);
  }

  /** Resolves once `n` connections are open at the same time, or rejects after `timeoutMs`. */
  async waitOpen(n: number, timeoutMs: number): Promise<void> {
    const t0 = Date.now();
    while (this.open < n) {
      if (Date.now() - t0 > timeoutMs)
        throw new Error(`hostile peers: ${this.open} of ${n} open after ${timeoutMs} ms (${this.connects} connects)`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Closes everything and opens nothing more. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private connect(i: number, kind: HostileKind): void {
    if (this.stopped || this.connects >= this.o.maxConnects) return;
    this.connects++;
    const b = (this.o.firstB ?? 1) + Math.floor(i / 250);
    const sock: net.Socket = net.connect({
      host: '127.0.0.1',
      port: this.o.port,
      localAddress: `127.0.${b}.${1 + (i % 250)}`,
    });
    this.sockets.add(sock);
    let timer: NodeJS.Timeout | null = null;
    let opened = false;
    sock.on('error', () => {});
    sock.resume();
    sock.once('connect', () => {
      opened = true;
      this.open++;
      switch (kind) {
        case 'idle':
          break;
        case 'trickle': {
          let k = 0;
          timer = setInterval(() => {
            if (k < 4) sock.write(this.prefix.subarray(k, k + 1));
            k++;
          }, 1000);
          this.timers.add(timer);
          break;
        }
        case 'half':
          sock.write(Buffer.concat([this.prefix, Buffer.alloc(this.o.frameBytes >> 1, 0x55)]));
          break;
        case 'junk':
          sock.write(Buffer.concat([this.prefix, Buffer.alloc(this.o.frameBytes, 0xaa)]));
          break;
        case 'garbage': {
          const g = Buffer.alloc(64);
          for (let j = 0; j < g.length; j++) g[j] = Math.floor(Math.random() * 256);
          sock.write(g);
          break;
        }
      }
    });
    sock.once('close', () => {
      if (opened) this.open--;
      if (timer !== null) {
        clearTimeout(timer);
        this.timers.delete(timer);
      }
      this.sockets.delete(sock);
      // Back soon, as an attacker would; RECONNECT_MS later, so that this process (which is
      // also the test) keeps time on a busy machine.
      if (!this.stopped) {
        const t = setTimeout(() => {
          this.timers.delete(t);
          this.connect(i, kind);
        }, RECONNECT_MS);
        this.timers.add(t);
      }
    });
  }
}
