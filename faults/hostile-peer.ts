/**
 * Child entry: a hostile peer. Keeps CONNS TCP connections to each given
 * host:port and writes random bytes down them as fast as they drain,
 * reconnecting when cut, until --duration seconds pass. Prints what it
 * sent and how often it was cut.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';

const CONNS = 16;
const targets = (process.argv[2] ?? '').split(',').filter((s) => s.length > 0);
const durationMs = Number(process.argv[3] ?? '10') * 1000;
const until = Date.now() + durationMs;
const junk = randomBytes(64 * 1024);
let sent = 0;
let cut = 0;

function open(hostPort: string): void {
  if (Date.now() >= until) return;
  const i = hostPort.lastIndexOf(':');
  const sock = net.connect(Number(hostPort.slice(i + 1)), hostPort.slice(0, i));
  const pump = () => {
    while (Date.now() < until && sock.writable) {
      sent += junk.length;
      if (!sock.write(junk)) return;
    }
    if (Date.now() >= until) sock.destroy();
  };
  sock.on('connect', pump);
  sock.on('drain', pump);
  sock.on('error', () => undefined);
  sock.on('close', () => {
    cut++;
    setTimeout(() => open(hostPort), 20);
  });
}
for (const t of targets) for (let k = 0; k < CONNS; k++) open(t);
setTimeout(() => {
  process.stdout.write(`${JSON.stringify({ sentBytes: sent, cut })}\n`);
  process.exit(0);
}, durationMs + 200);
