import dgram from 'node:dgram';
import net from 'node:net';

/**
 * Loopback ports for servers that a test or benchmark starts as separate
 * processes, which must be told their port before they bind it.
 *
 * Asking the kernel for port 0 and closing it is racy twice over: the kernel
 * may hand the same ephemeral port to the next request (two "free" ports for
 * one config, seen in CI), and any outgoing connection may take it meanwhile.
 * So ports come from below Linux's ephemeral range (32768–60999), from a
 * block of this process's own (vitest runs files in parallel processes),
 * never twice from one process, and only after a trial bind on TCP and UDP.
 */
const LOW = 10_000;
const HIGH = 32_767;
const BLOCK = 1_000;
const handedOut = new Set<number>();

function processBlock(): number {
  const pool = Number(process.env.VITEST_POOL_ID ?? process.pid);
  const blocks = Math.floor((HIGH + 1 - LOW) / BLOCK);
  return LOW + ((Number.isFinite(pool) ? pool : process.pid) % blocks) * BLOCK;
}

/**
 * A port on `host` free for both TCP and UDP right now, with the `span - 1`
 * ports above it free too, that this process has not handed out before.
 */
export async function freePort(host = '127.0.0.1', span = 1): Promise<number> {
  const base = processBlock();
  const start = Math.floor(Math.random() * BLOCK);
  for (let i = 0; i < BLOCK; i++) {
    const port = base + ((start + i) % BLOCK);
    if (port + span > base + BLOCK) continue;
    let ok = true;
    for (let p = port; p < port + span && ok; p++) {
      ok = !handedOut.has(p) && (await canBind(host, p, 'tcp')) && (await canBind(host, p, 'udp'));
    }
    if (!ok) continue;
    for (let p = port; p < port + span; p++) handedOut.add(p);
    return port;
  }
  throw new Error(`no free port on ${host} in ${base}–${base + BLOCK - 1} (span ${span})`);
}

function canBind(host: string, port: number, proto: 'tcp' | 'udp'): Promise<boolean> {
  return new Promise((resolve) => {
    if (proto === 'tcp') {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, host, () => s.close(() => resolve(true)));
    } else {
      const s = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
      s.once('error', () => {
        s.close();
        resolve(false);
      });
      s.bind(port, host, () => s.close(() => resolve(true)));
    }
  });
}
