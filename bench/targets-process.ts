/**
 * Loopback HTTP targets for the DNS and probe benchmarks, in a process of
 * their own (so neither `urnd serve`, the checkers nor the load generator
 * shares a CPU budget with them by accident), each of which can be switched
 * between answering, refusing and hanging while it runs.
 *
 *   node dist/bench/targets-process.js HOSTS PREFIX
 *
 * Serves HTTP 200 "ok" on PREFIX.1 … PREFIX.HOSTS (loopback only), all on
 * one port the OS picks, and prints {"port": N} when listening. Then reads
 * commands from stdin, one a line:
 *
 *   state 1102…   one character per host: '1' answering; '0' refusing
 *                 (its listener is closed, so a connection is refused);
 *                 '2' hanging (a bare TCP listener: accepts, reads and
 *                 discards, never writes, so a probe runs to its timeout)
 *
 * and answers each with one line {"up": count} once every listener has
 * opened or closed. Exits when stdin closes (the parent finished or died).
 */
import http from 'node:http';
import net from 'node:net';
import { createInterface } from 'node:readline';

const hosts = Number(process.argv[2] ?? 64);
const prefix = process.argv[3] ?? '127.0.9';
if (!Number.isInteger(hosts) || hosts < 1 || hosts > 254) fail(`HOSTS must be 1…254, not ${process.argv[2]}`);
if (!/^127\.\d{1,3}\.\d{1,3}$/.test(prefix)) fail(`PREFIX must be a loopback 127.x.y, not ${prefix}`);

function fail(message: string): never {
  process.stderr.write(`targets-process: ${message}\n`);
  process.exit(2);
}

// What each host's listener is: '1' an HTTP server that answers 200 "ok";
// '2' a bare TCP listener that accepts, reads and discards, and never
// writes, so a probe runs to its timeout. Hanging stays a TCP listener, not
// an HTTP server that holds the request: these targets stand in for
// machines elsewhere and share this machine's 2 cores with what is
// measured, and parsing and holding every request made the hanging state
// cost them about a quarter more CPU a probe than answering. For a probe
// the two are the same: connected, request sent, nothing back.
type Mode = '1' | '2';
const servers: ({ mode: Mode; server: net.Server } | null)[] = Array.from({ length: hosts }, () => null);

function listener(mode: Mode): net.Server {
  if (mode === '2') {
    return net.createServer((socket) => {
      socket.on('data', () => {});
      // The client gave up (its deadline): close this side too.
      socket.on('end', () => socket.destroy());
      socket.on('error', () => socket.destroy());
    });
  }
  const s = http.createServer({ keepAliveTimeout: 1000 }, (_req, res) => res.end('ok'));
  s.on('clientError', (_err, socket) => socket.destroy());
  return s;
}

function open(i: number, port: number, mode: Mode): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = listener(mode);
    s.once('error', reject);
    s.listen(port, `${prefix}.${i + 1}`, 512, () => {
      servers[i] = { mode, server: s };
      resolve((s.address() as net.AddressInfo).port);
    });
  });
}

/**
 * Stops host i listening. Connections an HTTP listener holds are closed;
 * those a hanging listener holds stay, as a hanging server's would, until
 * their clients give up.
 */
function close(i: number): Promise<void> {
  const entry = servers[i];
  servers[i] = null;
  if (entry === null || entry === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const s = entry.server;
    if (s instanceof http.Server) {
      s.close(() => resolve());
      s.closeAllConnections();
    } else {
      // A net.Server's close callback waits for every connection: the
      // listening socket itself is closed by the next loop turn.
      s.close();
      setImmediate(resolve);
    }
  });
}

const port = await open(0, 0, '1');
for (let i = 1; i < hosts; i++) await open(i, port, '1');
process.stdout.write(`${JSON.stringify({ port })}\n`);

// Commands run one after another, in the order they came.
let chain = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  chain = chain.then(async () => {
    const m = /^state ([012]+)$/.exec(line.trim());
    if (m === null || (m[1] as string).length !== hosts) {
      process.stdout.write(
        `${JSON.stringify({ error: `expected "state" and ${hosts} of 0/1/2, got ${JSON.stringify(line)}` })}\n`,
      );
      return;
    }
    const want = m[1] as string;
    for (let i = 0; i < hosts; i++) {
      const mode = want[i] as '0' | Mode;
      const current = servers[i]?.mode ?? '0';
      if (mode === current) continue;
      if (current !== '0') await close(i);
      if (mode !== '0') await open(i, port, mode);
    }
    process.stdout.write(`${JSON.stringify({ up: servers.filter((s) => s !== null).length })}\n`);
  });
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
