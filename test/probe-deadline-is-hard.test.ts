import { describe, it, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { Result } from '../src/table/layout.js';
import { httpProbe } from '../src/check/http.js';
import { tcpProbe } from '../src/check/tcp.js';
import type { Probe, ProbeOutcome } from '../src/check/probe.js';
import type { ProbeCheckSpec } from '../src/config/plan.js';
import { activeResources, close, hangingServer, listen, openTcpSockets, probeSpec, waitFor } from './support/probe.js';

const DEADLINE = 300;
/** Event-loop slack allowed past the deadline. */
const SLACK = 150;

async function timed(
  probe: Probe,
  spec: ProbeCheckSpec,
  deadline = DEADLINE,
): Promise<{ outcome: ProbeOutcome; elapsed: number }> {
  const t0 = performance.now();
  const outcome = await probe(spec, deadline);
  return { outcome, elapsed: performance.now() - t0 };
}

function expectTimeoutAtDeadline({ outcome, elapsed }: { outcome: ProbeOutcome; elapsed: number }): void {
  expect(outcome.result).toBe(Result.FAILURE);
  expect(outcome.reason).toBe('timeout');
  expect(elapsed).toBeGreaterThanOrEqual(DEADLINE);
  expect(elapsed).toBeLessThanOrEqual(DEADLINE + SLACK);
  // The probe's own latency is measured from its start, inside the caller's window.
  expect(outcome.latencyUs).toBeGreaterThanOrEqual(DEADLINE * 1000);
  expect(outcome.latencyUs).toBeLessThanOrEqual(Math.ceil(elapsed * 1000));
}

const hasPython = spawnSync('python3', ['-c', 'pass'], { timeout: 5_000 }).status === 0;

/** A Python listener with `listen(0)` that never accepts; prints its port, exits when stdin closes. */
const NEVER_ACCEPTS = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0))
s.listen(0)
print(s.getsockname()[1], flush=True)
sys.stdin.read()
`;

describe('the deadline is hard', () => {
  it('(a) an HTTP server that accepts and never answers: timeout at the deadline, connection closed', async () => {
    const requests: IncomingMessage[] = [];
    const server = createHttpServer((req) => requests.push(req));
    const port = await listen(server);
    try {
      const result = await timed(httpProbe, probeSpec({ type: 'http', port, path: '/hang' }));
      expectTimeoutAtDeadline(result);
      // The server got the request, and sees the probe hang up.
      expect(requests).toHaveLength(1);
      expect(requests[0]!.url).toBe('/hang');
      expect(await waitFor(() => requests[0]!.socket.destroyed, 1_000)).toBe(true);
    } finally {
      await close(server);
    }
  });

  it.skipIf(!hasPython)('(b) a target that never completes the TCP handshake: timeout at the deadline', async () => {
    const py = spawn('python3', ['-c', NEVER_ACCEPTS], { stdio: ['pipe', 'pipe', 'inherit'] });
    const fillers: Socket[] = [];
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('python listener did not start in 5 s')), 5_000);
        py.once('error', reject);
        py.stdout.once('data', (d: Buffer) => {
          clearTimeout(t);
          resolve(Number(d.toString().trim()));
        });
      });
      expect(port).toBeGreaterThan(0);

      // Fill the accept queue: connect until one connection hangs. After
      // that the kernel drops further SYNs (Linux), so a connect never ends.
      let hung = false;
      for (let i = 0; i < 8 && !hung; i++) {
        const s = connect(port, '127.0.0.1');
        s.on('error', () => {});
        fillers.push(s);
        hung = !(await new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(false), 300);
          s.once('connect', () => {
            clearTimeout(t);
            resolve(true);
          });
        }));
      }
      expect(hung, 'the accept backlog never filled; SYNs are not being dropped here').toBe(true);

      const [tcp, http] = await Promise.all([
        timed(tcpProbe, probeSpec({ type: 'tcp', port })),
        timed(httpProbe, probeSpec({ type: 'http', port })),
      ]);
      expectTimeoutAtDeadline(tcp);
      expectTimeoutAtDeadline(http);
    } finally {
      for (const s of fillers) s.destroy();
      py.stdin.end();
      py.kill('SIGKILL');
    }
  });
  if (!hasPython) it.skip('(b) skipped: python3 not found on PATH, needed for a listener that never accepts', () => {});

  it('(c) a server that trickles the status line a byte every 100 ms: timeout at the deadline', async () => {
    const line = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    let sent = 0;
    let clientGone = false;
    const server = createServer((s) => {
      s.on('error', () => {});
      s.resume();
      const tick = setInterval(() => {
        if (sent < line.length) s.write(line.subarray(sent, ++sent));
      }, 100);
      s.on('close', () => {
        clearInterval(tick);
        clientGone = true;
      });
    });
    const port = await listen(server);
    try {
      const result = await timed(httpProbe, probeSpec({ type: 'http', port }));
      expectTimeoutAtDeadline(result);
      expect(sent).toBeGreaterThan(0);
      expect(sent).toBeLessThan(line.length);
      expect(await waitFor(() => clientGone, 1_000)).toBe(true);
    } finally {
      await close(server);
    }
  });

  it('(d) 200 probes at once against an accept-and-hang server all end by the deadline, leaving nothing open', async () => {
    const { server, sockets, accepted } = hangingServer();
    const port = await listen(server);
    const before = activeResources();
    try {
      const spec = probeSpec({ type: 'http', port });
      const t0 = performance.now();
      const outcomes = await Promise.all(Array.from({ length: 200 }, () => httpProbe(spec, DEADLINE)));
      const elapsed = performance.now() - t0;

      expect(outcomes.every((o) => o.result === Result.FAILURE && o.reason === 'timeout')).toBe(true);
      expect(elapsed).toBeGreaterThanOrEqual(DEADLINE);
      expect(elapsed).toBeLessThanOrEqual(DEADLINE + 2 * SLACK);
      expect(accepted()).toBe(200);

      // Every connection is gone on both ends, and no probe left a timer behind.
      expect(
        await waitFor(() => sockets.size === 0 && openTcpSockets() <= (before.get('TCPSocketWrap') ?? 0), 2_000),
      ).toBe(true);
      expect(activeResources().get('Timeout') ?? 0).toBeLessThanOrEqual(before.get('Timeout') ?? 0);
    } finally {
      await close(server);
    }
  });
});
