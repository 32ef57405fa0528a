/**
 * Child entry, run inside the targets namespace: one listener on 0.0.0.0
 * answers every target address with a minimal HTTP/1.1 response — 200
 * unless the harness marked that target down (stdin line `down I J …` /
 * `up I J …`), then 503 — and closes. A bare `net` server, not `http`:
 * three vantages probing 64 targets a second each must stay cheap on a
 * busy machine. (Black-holing is `ip addr del`, outside this process.)
 */
import net from 'node:net';
import { createInterface } from 'node:readline';
import { PORTS, targetOfAddr, TARGETS } from './topology.js';

const OK = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n');
const DOWN = Buffer.from('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5\r\nConnection: close\r\n\r\ndown\n');
const down = new Uint8Array(TARGETS);

// The response goes out on accept, without reading the request: a probe
// reads its status line either way, and the server does the least work.
//
// The request is read and dropped: a socket nobody reads never sees the
// peer's FIN, so Node never destroys it and its descriptor stays open. That
// leaked one descriptor per probe (~100 a second) until the process hit its
// open-files limit after ~200 s, when every probe failed and every target
// read as down (issue #17: "dns0 never agreed again"). A peer that never
// closes (its path black-holed meanwhile) is dropped after 5 s.
const server = net.createServer({ allowHalfOpen: false }, (sock) => {
  sock.on('error', () => undefined);
  sock.resume();
  sock.setTimeout(5000, () => sock.destroy());
  const i = targetOfAddr(sock.localAddress?.replace(/^::ffff:/, '') ?? '');
  sock.end(i >= 0 && down[i] === 0 ? OK : DOWN);
});
server.listen({ port: PORTS.target, host: '0.0.0.0', backlog: 4096 }, () =>
  process.stdout.write(`targets: listening on ${PORTS.target}\n`),
);

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, ...rest] = line.trim().split(/\s+/);
  for (const s of rest) {
    const i = Number(s);
    if (Number.isInteger(i) && i >= 0 && i < TARGETS) down[i] = cmd === 'down' ? 1 : 0;
  }
  process.stdout.write(`targets: ${line.trim()} ok\n`);
});
process.stdin.on('end', () => process.exit(0));
