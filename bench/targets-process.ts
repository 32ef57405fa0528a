/**
 * Loopback targets for the probe benchmark, in a process of their own so the
 * benchmark's CPU figures count the checkers, not the targets. Prints one
 * JSON line {"ok": port, "hang": port} when listening; exits when stdin
 * closes (the parent died or finished).
 *
 *   ok   HTTP 200 "ok" on 127.0.3.1 … 127.0.3.<hosts>
 *   hang accepts TCP on 127.0.4.1 … 127.0.4.<hosts> and never answers
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

const hosts = Number(process.argv[2] ?? 8);

function listenAll(make: () => net.Server, prefix: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const first = make();
    first.once('error', reject);
    first.listen(0, `${prefix}.1`, 4096, () => {
      const port = (first.address() as AddressInfo).port;
      let pending = hosts - 1;
      if (pending === 0) resolve(port);
      for (let i = 2; i <= hosts; i++) {
        const s = make();
        s.once('error', reject);
        s.listen(port, `${prefix}.${i}`, 4096, () => {
          pending -= 1;
          if (pending === 0) resolve(port);
        });
      }
    });
  });
}

const ok = await listenAll(() => http.createServer({ keepAliveTimeout: 1000 }, (_req, res) => res.end('ok')), '127.0.3');
const hang = await listenAll(
  () =>
    net.createServer((socket) => {
      socket.on('error', () => socket.destroy());
    }),
  '127.0.4',
);
process.stdout.write(`${JSON.stringify({ ok, hang })}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
