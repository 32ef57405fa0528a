/** Addresses of a DNS listener, and the one error a failed bind or listen becomes. */
import net from 'node:net';
import { UrndError } from '../errors.js';

/** A bound server's address. */
export interface DnsAddress {
  readonly host: string;
  readonly port: number;
}

/** `host:port`, IPv6 hosts in brackets. */
export function formatAddress(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
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
