/**
 * Whether this Node can open DNS sockets with `reusePort` (SO_REUSEPORT):
 * `dgram.createSocket({ reusePort })` and `net.Server#listen({ reusePort })`
 * came in Node 22.12 (and 23.1). With it, each DNS process opens its own
 * UDP and TCP sockets on the shared address and the kernel keeps one queue
 * per socket, spreading datagrams and connections by a hash of the sender:
 * no process wakes for a datagram another takes, and each queue is bounded
 * by its own process's answer rate. On Linux only here: the kernel load-
 * balances SO_REUSEPORT sockets there; elsewhere the inherited shared
 * sockets (shared-sockets.ts) stay.
 */
export function reusePortAvailable(
  version: string = process.versions.node,
  platform: NodeJS.Platform = process.platform,
): boolean {
  if (platform !== 'linux') return false;
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}
