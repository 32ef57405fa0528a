import { describe, expect, it } from 'vitest';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { Result } from '../src/table/layout.js';
import { startHttpProbe } from '../src/check/http.js';
import { startTcpProbe } from '../src/check/tcp.js';
import { probeStartFor } from '../src/check/probe.js';
import type { ProbeStart } from '../src/check/probe-common.js';
import type { ProbeCheckSpec } from '../src/config/plan.js';
import { close, hangingServer, listen, probeSpec } from './support/probe.js';

const DEADLINE = 200;

interface Call {
  readonly context: object;
  readonly result: number;
  readonly latencyUs: number;
  readonly reason: string | null;
}

/** Starts `start(spec)`, then waits past the deadline, so a late second call would be seen. */
async function calls(
  start: ProbeStart,
  spec: ProbeCheckSpec,
): Promise<{ calls: Call[]; context: object; returnedFirst: boolean }> {
  const context = { id: Math.random() };
  const seen: Call[] = [];
  let returned = false;
  let returnedFirst = true;
  start(
    spec,
    DEADLINE,
    (ctx, result, latencyUs, reason) => {
      if (!returned) returnedFirst = false;
      seen.push({ context: ctx, result, latencyUs, reason });
    },
    context,
  );
  returned = true;
  await new Promise((r) => setTimeout(r, DEADLINE + 250));
  return { calls: seen, context, returnedFirst };
}

function expectOnce(r: Awaited<ReturnType<typeof calls>>, result: number, reason: string | null): void {
  expect(r.calls).toHaveLength(1);
  const [c] = r.calls;
  expect(c?.context).toBe(r.context);
  expect(c?.result).toBe(result);
  expect(c?.reason).toBe(reason);
}

describe('the callback form (what the checker threads run)', () => {
  it("tcp: done once with the caller's context, on connect and on refusal, and never again", async () => {
    const server = createServer((s) => s.destroy());
    const port = await listen(server);
    try {
      const up = await calls(startTcpProbe, probeSpec({ type: 'tcp', port }));
      expectOnce(up, Result.SUCCESS, null);
      expect(up.returnedFirst).toBe(true);
    } finally {
      await close(server);
    }
    // The same port, nothing listening now.
    expectOnce(await calls(startTcpProbe, probeSpec({ type: 'tcp', port })), Result.FAILURE, 'refused');
  });

  it("http: done once on a 200, a 500 and at the deadline of a target that never answers; the socket's later close adds nothing", async () => {
    const server = createHttpServer((req, res) => {
      res.statusCode = req.url === '/fail' ? 500 : 200;
      res.end('ok');
    });
    const port = await listen(server);
    const hang = hangingServer();
    const hangPort = await listen(hang.server);
    try {
      expectOnce(await calls(startHttpProbe, probeSpec({ type: 'http', port, path: '/' })), Result.SUCCESS, null);
      expectOnce(
        await calls(startHttpProbe, probeSpec({ type: 'http', port, path: '/fail' })),
        Result.FAILURE,
        'status',
      );
      const hung = await calls(startHttpProbe, probeSpec({ type: 'http', port: hangPort }));
      expectOnce(hung, Result.FAILURE, 'timeout');
      expect(hung.calls[0]?.latencyUs).toBeGreaterThanOrEqual(DEADLINE * 1000);
    } finally {
      for (const s of hang.sockets) s.destroy();
      await close(hang.server);
      await close(server);
    }
  });

  it('a spec that cannot be sent, or a type this build does not know, gets its verdict before start returns, once', async () => {
    const bad = await calls(startHttpProbe, probeSpec({ type: 'http', port: 9, path: 'no spaces allowed' }));
    expectOnce(bad, Result.FAILURE, 'error');
    expect(bad.returnedFirst).toBe(false);
    const unknown = await calls(
      probeStartFor({ type: 'gopher' as ProbeCheckSpec['type'] }),
      probeSpec({ type: 'tcp', port: 9 }),
    );
    expectOnce(unknown, Result.FAILURE, 'error');
    expect(unknown.returnedFirst).toBe(false);
  });
});
