import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';

/** A DNS message asking for `name`/`type`, with an id and RD clear. */
export function query(name: string, type: dnsPacket.RecordType = 'A', id = 1, edns = false): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: 0,
    questions: [{ type, name, class: 'IN' }],
    ...(edns
      ? {
          additionals: [
            {
              type: 'OPT',
              name: '.',
              udpPayloadSize: 1232,
              extendedRcode: 0,
              ednsVersion: 0,
              flags: 0,
              flag_do: false,
              options: [],
            },
          ],
        }
      : {}),
  });
}

/** One UDP query to host:port; resolves with the decoded reply, rejects after `timeoutMs`. */
export function queryUdp(
  port: number,
  name: string,
  type: dnsPacket.RecordType = 'A',
  host = '127.0.0.1',
  timeoutMs = 2000,
): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const id = 1 + Math.floor(Math.random() * 65_000);
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no UDP reply from ${host}:${port} for ${name} ${type} in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('message', (msg) => {
      let reply: dnsPacket.DecodedPacket;
      try {
        reply = dnsPacket.decode(msg);
      } catch {
        return;
      }
      const q = reply.questions?.[0];
      // Only our reply: same id and question (a stray datagram to a reused port is not).
      if (reply.id !== id || q?.name.toLowerCase() !== name.toLowerCase() || q.type !== type) return;
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    });
    socket.send(query(name, type, id), port, host);
  });
}

/** The reply's RCODE name (dns-packet decodes it; its types leave it out). */
export function rcode(reply: dnsPacket.DecodedPacket): string {
  return (reply as { rcode?: string }).rcode ?? '';
}

/** Addresses in a reply's answer section, sorted. */
export function addresses(reply: dnsPacket.DecodedPacket): string[] {
  return (reply.answers ?? [])
    .filter((a) => a.type === 'A' || a.type === 'AAAA')
    .map((a) => String((a as { data: unknown }).data))
    .sort();
}

/** The 2-byte length-framed form of messages, concatenated (TCP). */
export function frames(...messages: Buffer[]): Buffer {
  return Buffer.concat(messages.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m])));
}

/** A TCP connection that collects length-framed replies and notes when it closed. */
export class TcpClient {
  readonly socket: net.Socket;
  readonly replies: dnsPacket.DecodedPacket[] = [];
  closedAt: number | null = null;
  readonly openedAt = Date.now();
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 2) {
        const len = this.buf.readUInt16BE(0);
        if (this.buf.length < 2 + len) break;
        this.replies.push(dnsPacket.decode(this.buf.subarray(2, 2 + len)));
        this.buf = this.buf.subarray(2 + len);
      }
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closedAt = Date.now();
      this.wake();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      const client = new TcpClient(socket);
      socket.once('connect', () => resolve(client));
      socket.once('error', reject);
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Waits until `n` replies arrived (or the socket closed, or `timeoutMs`). */
  async replyCount(n: number, timeoutMs = 2000): Promise<dnsPacket.DecodedPacket[]> {
    await this.until(() => this.replies.length >= n || this.closedAt !== null, timeoutMs);
    return this.replies;
  }

  /** Waits until the server closes the connection; returns ms since `since` (default: when the client connected). */
  async closed(timeoutMs = 3000, since = this.openedAt): Promise<number> {
    await this.until(() => this.closedAt !== null, timeoutMs);
    if (this.closedAt === null) throw new Error(`connection still open after ${timeoutMs} ms`);
    return this.closedAt - since;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private until(done: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(finish, timeoutMs);
      const check = () => {
        if (done()) finish();
        else this.waiters.push(check);
      };
      function finish() {
        clearTimeout(timer);
        resolve();
      }
      check();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
