/**
 * Child entry, run inside the targets namespace: one HTTP listener on
 * 0.0.0.0 answers every target address. `GET /health` is 200 unless the
 * harness marked that target down (stdin line `down I J …` / `up I J …`),
 * then 503. (Black-holing is done with `ip addr del`, outside this process.)
 */
import http from 'node:http';
import { createInterface } from 'node:readline';
import { PORTS, targetOfAddr, TARGETS } from './topology.js';

const down = new Uint8Array(TARGETS);
const server = http.createServer((req, res) => {
  const i = targetOfAddr(req.socket.localAddress?.replace(/^::ffff:/, '') ?? '');
  res.statusCode = i >= 0 && down[i] === 0 ? 200 : 503;
  res.end(res.statusCode === 200 ? 'ok\n' : 'down\n');
});
server.keepAliveTimeout = 5000;
server.listen(PORTS.target, '0.0.0.0', () => process.stdout.write(`targets: listening on ${PORTS.target}\n`));

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, ...rest] = line.trim().split(/\s+/);
  for (const s of rest) {
    const i = Number(s);
    if (Number.isInteger(i) && i >= 0 && i < TARGETS) down[i] = cmd === 'down' ? 1 : 0;
  }
  process.stdout.write(`targets: ${line.trim()} ok\n`);
});
process.stdin.on('end', () => process.exit(0));
