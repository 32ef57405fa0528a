import { describe, it, expect } from 'vitest';
import { createServer, type Socket } from 'node:net';
import { Result } from '../src/table/layout.js';
import { probeFor } from '../src/check/probe.js';
import { tcpProbe } from '../src/check/tcp.js';
import { activeResources, close, closedPort, listen, openTcpSockets, probeSpec, waitFor } from './support/probe.js';

const DEADLINE = 2_000;

describe('tcp probe', () => {
  it('is chosen for type tcp', () => {
    expect(probeFor(probeSpec({ type: 'tcp' }))).toBe(tcpProbe);
  });

  it('succeeds against a listening server, with a latency, and hangs up at once', async () => {
    const serverSide: Socket[] = [];
    const server = createServer((s) => {
      s.on('error', () => {});
      s.resume();
      serverSide.push(s);
    });
    const port = await listen(server);
    try {
      const spec = probeSpec({ type: 'tcp', port });
      const t0 = performance.now();
      const outcome = await tcpProbe(spec, DEADLINE);
      const elapsed = performance.now() - t0;

      expect(outcome).toEqual({ result: Result.SUCCESS, latencyUs: expect.any(Number), reason: null });
      expect(outcome.latencyUs).toBeGreaterThan(0);
      expect(outcome.latencyUs).toBeLessThanOrEqual(Math.ceil(elapsed * 1000));
      expect(elapsed).toBeLessThan(DEADLINE / 2);

      // The probe sends nothing and closes: the server sees its end close.
      expect(await waitFor(() => serverSide.length === 1 && serverSide[0]!.destroyed)).toBe(true);
    } finally {
      await close(server);
    }
  });

  it('fails with "refused" on a closed port, well before the deadline', async () => {
    const port = await closedPort();
    const t0 = performance.now();
    const outcome = await tcpProbe(probeSpec({ type: 'tcp', port }), DEADLINE);
    const elapsed = performance.now() - t0;

    expect(outcome.result).toBe(Result.FAILURE);
    expect(outcome.reason).toBe('refused');
    expect(outcome.latencyUs).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(DEADLINE / 4);
  });

  it('does the same work refused or connected: one attempt each, nothing left open', async () => {
    const server = createServer((s) => s.on('error', () => {}).resume());
    const port = await listen(server);
    const dead = await closedPort();
    const before = openTcpSockets();
    const timersBefore = activeResources().get('Timeout') ?? 0;
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          tcpProbe(probeSpec({ type: 'tcp', port: i % 2 === 0 ? port : dead }), DEADLINE),
        ),
      );
      expect(outcomes.filter((o) => o.result === Result.SUCCESS)).toHaveLength(10);
      expect(outcomes.filter((o) => o.reason === 'refused')).toHaveLength(10);
      expect(await waitFor(() => openTcpSockets() <= before)).toBe(true);
      // Each probe's deadline timer was cleared at its verdict, long before it could fire.
      expect(activeResources().get('Timeout') ?? 0).toBeLessThanOrEqual(timersBefore);
    } finally {
      await close(server);
    }
  });

  it('never rejects on a spec net refuses outright', async () => {
    const outcome = await tcpProbe(probeSpec({ type: 'tcp', port: 70_000 }), DEADLINE);
    expect(outcome).toMatchObject({ result: Result.FAILURE, reason: 'error' });
  });
});
