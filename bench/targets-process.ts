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
 *                 '2' hanging (accepts and reads a request, never answers,
 *                 so a probe runs to its timeout)
 *
 * and answers each with one line {"up": count} once every listener has
 * opened or closed. Exits when stdin closes (the parent finished or died).
 */
import http from 'node:http';
import { createInterface } from 'node:readline';

const hosts = Number(process.argv[2] ?? 64);
const prefix = process.argv[3] ?? '127.0.9';
if (!Number.isInteger(hosts) || hosts < 1 || hosts > 254) fail(`HOSTS must be 1…254, not ${process.argv[2]}`);
if (!/^127\.\d{1,3}\.\d{1,3}$/.test(prefix)) fail(`PREFIX must be a loopback 127.x.y, not ${prefix}`);

function fail(message: string): never {
  process.stderr.write(`targets-process: ${message}\n`);
  process.exit(2);
}

const servers: (http.Server | null)[] = Array.from({ length: hosts }, () => null);
const hanging: boolean[] = Array.from({ length: hosts }, () => false);

function open(i: number, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    // A held request keeps its socket open until the client gives up and
    // closes it; nothing here keeps a reference to it.
    const s = http.createServer({ keepAliveTimeout: 1000 }, (_req, res) => {
      if (!hanging[i]) res.end('ok');
    });
    s.on('clientError', (_err, socket) => socket.destroy());
    s.once('error', reject);
    s.listen(port, `${prefix}.${i + 1}`, 512, () => {
      servers[i] = s;
      resolve((s.address() as { port: number }).port);
    });
  });
}

function close(i: number): Promise<void> {
  const s = servers[i];
  servers[i] = null;
  if (s === null || s === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  });
}

const port = await open(0, 0);
for (let i = 1; i < hosts; i++) await open(i, port);
process.stdout.write(`${JSON.stringify({ port })}\n`);

// Commands run one after another, in the order they came.
let chain = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  chain = chain.then(async () => {
    const m = /^state ([012]+)$/.exec(line.trim());
    if (m === null || (m[1] as string).length !== hosts) {
      process.stdout.write(`${JSON.stringify({ error: `expected "state" and ${hosts} of 0/1/2, got ${JSON.stringify(line)}` })}\n`);
      return;
    }
    const want = m[1] as string;
    for (let i = 0; i < hosts; i++) {
      const up = want[i] !== '0';
      hanging[i] = want[i] === '2';
      if (up && servers[i] === null) await open(i, port);
      else if (!up && servers[i] !== null) await close(i);
    }
    process.stdout.write(`${JSON.stringify({ up: servers.filter((s) => s !== null).length })}\n`);
  });
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
