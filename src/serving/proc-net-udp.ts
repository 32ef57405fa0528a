/**
 * Kernel counters of one UDP socket, read from /proc/net/udp (udp6): how
 * many datagrams the kernel dropped because the socket's receive buffer was
 * full (the `drops` column), and how many bytes wait in it now (`rx_queue`).
 *
 * Linux only. Elsewhere, or when the file cannot be read, the reader returns
 * null and the server reports the drops as unknown. Node has no API for
 * SO_RXQ_OVFL, so this is the cheapest honest source: one read of a small
 * file a second, never per datagram.
 */
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { isIPv6 } from 'node:net';
import { parseIPv4, parseIPv6 } from '../config/names.js';

/** One socket's row of /proc/net/udp. */
export interface UdpSocketCounters {
  /** Datagrams dropped by the kernel since the socket was created. */
  readonly drops: number;
  /** Bytes queued in the receive buffer now (kernel accounting, truesize). */
  readonly rxQueueBytes: number;
}

/** Column indices of a /proc/net/udp row split on whitespace. */
const kLocalAddressColumn = 1;
const kQueuesColumn = 4; // tx_queue:rx_queue, hex
const kDropsColumn = 12;

/**
 * The `local_address` text the kernel prints for host:port: each 32-bit word
 * of the address as `%08X` of its in-memory value (so byte-reversed on
 * little-endian machines), then `:` and the port as `%04X`.
 */
export function procLocalAddress(
  host: string,
  port: number,
  littleEndian: boolean = endianness() === 'LE',
): string | null {
  const bytes = isIPv6(host) ? parseIPv6(host) : parseIPv4(host);
  if (bytes === null) return null;
  let hex = '';
  for (let w = 0; w < bytes.length; w += 4) {
    for (let k = 0; k < 4; k++) {
      const b = bytes[w + (littleEndian ? 3 - k : k)] as number;
      hex += b.toString(16).toUpperCase().padStart(2, '0');
    }
  }
  return `${hex}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The counters of the socket bound to host:port in a /proc/net/udp(6) text, or null if there is none. */
export function findUdpSocket(
  text: string,
  host: string,
  port: number,
  littleEndian?: boolean,
): UdpSocketCounters | null {
  const local = procLocalAddress(host, port, littleEndian);
  if (local === null) return null;
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols[kLocalAddressColumn] !== local) continue;
    const drops = Number(cols[kDropsColumn]);
    const rx = Number.parseInt((cols[kQueuesColumn] ?? '').split(':')[1] ?? '', 16);
    if (!Number.isFinite(drops)) return null;
    return { drops, rxQueueBytes: Number.isFinite(rx) ? rx : 0 };
  }
  return null;
}

/** Reads the counters of our UDP socket bound to host:port; null when unknown (not Linux, no row). */
export async function readUdpSocketCounters(host: string, port: number): Promise<UdpSocketCounters | null> {
  if (process.platform !== 'linux') return null;
  try {
    const text = await readFile(isIPv6(host) ? '/proc/net/udp6' : '/proc/net/udp', 'latin1');
    return findUdpSocket(text, host, port);
  } catch {
    return null;
  }
}
