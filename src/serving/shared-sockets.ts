/**
 * One DNS address (UDP and TCP) for several processes, on Node before 22.12
 * (from 22.12 each process binds it itself with reusePort: reuse-port.ts).
 *
 * Node 20's dgram and net have no `reusePort` (it came in 22.12), and
 * node:cluster's shared handles never reach the resolver worker thread that
 * owns a DNS process's sockets. What does reach it is a file descriptor:
 * `dgram.Socket#bind({ fd })` and `net.Server#listen({ fd })` wrap an open
 * socket, in any thread of the process that holds it. So the supervisor
 * binds the UDP socket and the TCP socket once, never reads or accepts on
 * them itself, and each DNS process inherits both at fork (extra stdio
 * entries); its resolver thread then reads and accepts on them like any
 * socket. The kernel hands each datagram and each connection to one of the
 * processes waiting on the shared socket.
 *
 * Binding without reading needs the socket handles themselves:
 * `process.binding('udp_wrap' | 'tcp_wrap')`, on the allow-list Node keeps
 * for them (documentation-deprecated, DEP0111; no warning is printed). Where
 * they are missing, `bindSharedDnsSockets` returns null and the caller falls
 * back to one port per process.
 */
import net from 'node:net';
import { constants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import type { UrndError } from '../errors.js';
import { listenError } from './listen-address.js';

const { errno } = constants;

/** The two handles' surface used here (libuv status codes: 0 or a negative errno). */
interface UdpHandle {
  readonly fd: number;
  bind(address: string, port: number, flags: number): number;
  bind6(address: string, port: number, flags: number): number;
  getsockname(out: { address?: string; port?: number }): number;
  close(callback?: () => void): void;
}
interface TcpHandle {
  readonly fd: number;
  bind(address: string, port: number): number;
  bind6(address: string, port: number, flags: number): number;
  getsockname(out: { address?: string; port?: number }): number;
  close(callback?: () => void): void;
}
interface UdpWrap {
  UDP: new () => UdpHandle;
}
interface TcpWrap {
  TCP: new (type: number) => TcpHandle;
  constants: { SERVER: number };
}

/** A bound UDP socket and a bound (not yet listening) TCP socket on one address, owned by the supervisor. */
export interface SharedDnsSockets {
  readonly host: string;
  /** The bound port (the OS's pick when 0 was asked for): the same for UDP and TCP. */
  readonly port: number;
  readonly udpFd: number;
  readonly tcpFd: number;
  /** Closes the supervisor's copies; processes that inherited them keep theirs. */
  close(): void;
}

/** How a DNS process finds the inherited sockets: its stdio entries 4 and 5 (3 is the IPC channel). */
export const INHERITED_UDP_FD = 4;
export const INHERITED_TCP_FD = 5;

/** How many OS-picked ports to try for one free on both UDP and TCP (port 0). */
const PORT_PICK_ATTEMPTS = 20;

/**
 * Binds `host:port` for UDP and TCP without reading from either. Returns
 * null where Node lacks the handles (see above). Throws URND_ERR_DNS_LISTEN,
 * naming the address, when it cannot bind.
 */
export function bindSharedDnsSockets(host: string, port: number): SharedDnsSockets | null {
  const wraps = socketWraps();
  if (wraps === null) return null;
  const v6 = net.isIPv6(host);
  for (let attempt = 1; ; attempt++) {
    const udp = new wraps.udp.UDP();
    const udpErr = v6 ? udp.bind6(host, port, 0) : udp.bind(host, port, 0);
    if (udpErr !== 0) {
      udp.close();
      throw bindError(host, port, 'udp', udpErr);
    }
    const name: { port?: number } = {};
    udp.getsockname(name);
    const bound = name.port ?? port;
    const tcp = new wraps.tcp.TCP(wraps.tcp.constants.SERVER);
    let tcpErr = v6 ? tcp.bind6(host, bound, 0) : tcp.bind(host, bound);
    // libuv defers a TCP bind's EADDRINUSE to listen() and returns 0, leaving
    // the socket unbound: a DNS process listening on it would get a random
    // port on every interface while another server kept this one. So the
    // bound address is read back, and a socket without it counts as in use.
    const tcpName: { port?: number } = {};
    if (tcpErr === 0 && (tcp.getsockname(tcpName) !== 0 || tcpName.port !== bound)) tcpErr = -errno.EADDRINUSE;
    if (tcpErr !== 0) {
      udp.close();
      tcp.close();
      if (port === 0 && attempt < PORT_PICK_ATTEMPTS) continue;
      throw bindError(host, bound, 'tcp', tcpErr);
    }
    return {
      host,
      port: bound,
      udpFd: udp.fd,
      tcpFd: tcp.fd,
      close: () => {
        udp.close();
        tcp.close();
      },
    };
  }
}

function socketWraps(): { udp: UdpWrap; tcp: TcpWrap } | null {
  const binding = (process as unknown as { binding?: (name: string) => unknown }).binding;
  if (typeof binding !== 'function') return null;
  try {
    const udp = binding.call(process, 'udp_wrap') as Partial<UdpWrap>;
    const tcp = binding.call(process, 'tcp_wrap') as Partial<TcpWrap>;
    if (typeof udp.UDP !== 'function' || typeof tcp.TCP !== 'function' || tcp.constants?.SERVER === undefined)
      return null;
    return { udp: udp as UdpWrap, tcp: tcp as TcpWrap };
  } catch {
    return null;
  }
}

/** A libuv status as the error node:dgram / node:net would have raised, for the same message. */
function bindError(host: string, port: number, proto: 'udp' | 'tcp', status: number): UrndError {
  const code = getSystemErrorName(status);
  return listenError(host, port, proto, Object.assign(new Error(`bind ${code}`), { code }));
}
