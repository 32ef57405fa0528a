import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { lookup } from 'node:dns/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Result } from '../src/table/layout.js';
import { httpProbe, BODY_MATCH_LIMIT, PROBE_USER_AGENT } from '../src/check/http.js';
import { probeFor } from '../src/check/probe.js';
import type { ProbeCheckSpec } from '../src/config/plan.js';
import { close, closedPort, listen, probeSpec, waitFor } from './support/probe.js';

const DEADLINE = 2_000;
const NEEDLE = 'urnd-is-up';
const MB10 = 10 * 1024 * 1024;

/** What the last /huge response did: bytes the server wrote and whether it got to the end. */
const huge = { written: 0, finished: false, closed: false };
let lastHeaders: IncomingHttpHeaders | null = null;
let lastRequestLine = '';

/** Writes `total` bytes of `first` then filler, minding backpressure, until done or the client leaves. */
function stream(res: ServerResponse, first: string, total: number): void {
  huge.written = 0;
  huge.finished = false;
  huge.closed = false;
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(total) });
  const block = Buffer.alloc(64 * 1024, 'x');
  let sent = 0;
  const pump = (): void => {
    while (sent < total && !res.destroyed) {
      const chunk =
        sent === 0
          ? Buffer.concat([Buffer.from(first), block]).subarray(0, Math.min(block.length, total))
          : block.subarray(0, Math.min(block.length, total - sent));
      sent += chunk.length;
      huge.written = sent;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (sent >= total) res.end(() => (huge.finished = true));
  };
  res.on('close', () => (huge.closed = true));
  pump();
}

function handler(req: IncomingMessage, res: ServerResponse): void {
  lastHeaders = req.headers;
  lastRequestLine = `${req.method} ${req.url} HTTP/${req.httpVersion}`;
  const url = req.url ?? '/';
  const status = /^\/status\/(\d{3})$/.exec(url);
  if (status) {
    const code = Number(status[1]);
    res.writeHead(code, code >= 300 && code < 400 ? { Location: '/elsewhere' } : {});
    res.end(`status ${code}`);
    return;
  }
  switch (url) {
    case '/match-early':
      res.end(`<html>${NEEDLE}</html>`);
      return;
    case '/match-ends-at-limit': // the needle's last byte is byte 5,120
      res.end('a'.repeat(BODY_MATCH_LIMIT - NEEDLE.length) + NEEDLE + 'b'.repeat(1000));
      return;
    case '/match-straddles-limit': // starts inside the first 5,120 bytes, ends after
      res.end('a'.repeat(BODY_MATCH_LIMIT - 2) + NEEDLE + 'b'.repeat(1000));
      return;
    case '/match-late': // a 20 KB body with the needle only after byte 5,120
      res.end('a'.repeat(6000) + NEEDLE + 'b'.repeat(20 * 1024 - 6000 - NEEDLE.length));
      return;
    case '/match-absent':
      res.end('nothing to see here');
      return;
    case '/match-split': {
      // Chunked, the needle split over two chunks sent 50 ms apart.
      res.writeHead(200);
      res.write('x'.repeat(100) + NEEDLE.slice(0, 4));
      const t = setTimeout(() => res.end(NEEDLE.slice(4)), 50);
      res.on('close', () => clearTimeout(t));
      return;
    }
    case '/huge-match-first':
      stream(res, NEEDLE, MB10);
      return;
    case '/huge-no-match':
      stream(res, '', MB10);
      return;
    default:
      res.end('ok');
  }
}

const server = createHttpServer(handler);
let port = 0;
beforeAll(async () => {
  port = await listen(server);
});
afterAll(async () => {
  await close(server);
});

function http(over: Partial<ProbeCheckSpec>): ProbeCheckSpec {
  return probeSpec({ type: 'http', port, ...over });
}

describe('http probe: status', () => {
  it('is chosen for types http and https', () => {
    expect(probeFor(http({}))).toBe(httpProbe);
    expect(probeFor(http({ type: 'https' }))).toBe(httpProbe);
  });

  it('sends GET path HTTP/1.1 with Host, User-Agent and Connection: close', async () => {
    const outcome = await httpProbe(http({ path: '/status/200?x=1' }), DEADLINE);
    expect(outcome.result).toBe(Result.SUCCESS);
    expect(lastRequestLine).toBe('GET /status/200?x=1 HTTP/1.1');
    expect(lastHeaders).toMatchObject({
      host: `127.0.0.1:${port}`,
      'user-agent': PROBE_USER_AGENT,
      connection: 'close',
    });
  });

  it('brackets an IPv6 address in the Host header', async () => {
    const v6 = createHttpServer(handler);
    const v6Port = await new Promise<number>((resolve, reject) => {
      v6.once('error', reject);
      v6.listen(0, '::1', () => resolve((v6.address() as { port: number }).port));
    }).catch(() => 0);
    if (v6Port === 0) return void console.warn('skipped: ::1 not available for listening');
    try {
      expect(await httpProbe(http({ host: '::1', port: v6Port }), DEADLINE)).toMatchObject({ result: Result.SUCCESS });
      expect(lastHeaders).toMatchObject({ host: `[::1]:${v6Port}` });
    } finally {
      v6.closeAllConnections();
      await new Promise((r) => v6.close(r));
    }
  });

  it.each([
    [200, 200, 399, Result.SUCCESS, null],
    [204, 200, 399, Result.SUCCESS, null],
    [301, 200, 399, Result.SUCCESS, null],
    [399, 200, 399, Result.SUCCESS, null],
    [400, 200, 399, Result.FAILURE, 'status'],
    [404, 200, 399, Result.FAILURE, 'status'],
    [500, 200, 399, Result.FAILURE, 'status'],
    [404, 200, 499, Result.SUCCESS, null],
    [204, 200, 200, Result.FAILURE, 'status'],
    [503, 500, 599, Result.SUCCESS, null],
  ] as const)('status %i with range [%i, %i] gives %i (%s)', async (code, statusMin, statusMax, result, reason) => {
    const outcome = await httpProbe(http({ path: `/status/${code}`, statusMin, statusMax }), DEADLINE);
    expect(outcome).toMatchObject({ result, reason });
    expect(outcome.latencyUs).toBeGreaterThan(0);
  });

  it('fails "refused" on a closed port and "reset" when the server hangs up without answering', async () => {
    const dead = await closedPort();
    expect(await httpProbe(http({ port: dead }), DEADLINE)).toMatchObject({
      result: Result.FAILURE,
      reason: 'refused',
    });

    const rude = createServer((s) => s.destroy());
    const rudePort = await listen(rude);
    try {
      expect(await httpProbe(http({ port: rudePort }), DEADLINE)).toMatchObject({
        result: Result.FAILURE,
        reason: 'reset',
      });
    } finally {
      await close(rude);
    }
  });

  it('fails "error" on a response that is not HTTP, and on a path Node will not send', async () => {
    const garbage = createServer((s) => {
      s.on('error', () => {});
      s.resume();
      s.end('SSH-2.0-OpenSSH_9.6\r\n\r\n');
    });
    const garbagePort = await listen(garbage);
    try {
      expect(await httpProbe(http({ port: garbagePort }), DEADLINE)).toMatchObject({
        result: Result.FAILURE,
        reason: 'error',
      });
    } finally {
      await close(garbage);
    }
    expect(await httpProbe(http({ path: '/a b' }), DEADLINE)).toMatchObject({
      result: Result.FAILURE,
      reason: 'error',
    });
  });
});

describe('http probe: body match in the first 5,120 bytes', () => {
  it.each([
    ['/match-early', Result.SUCCESS, null],
    ['/match-ends-at-limit', Result.SUCCESS, null],
    ['/match-split', Result.SUCCESS, null],
    ['/match-straddles-limit', Result.FAILURE, 'body'],
    ['/match-late', Result.FAILURE, 'body'],
    ['/match-absent', Result.FAILURE, 'body'],
  ] as const)('%s gives %i (%s)', async (path, result, reason) => {
    expect(await httpProbe(http({ path, bodyMatch: NEEDLE }), DEADLINE)).toMatchObject({ result, reason });
  });

  it('reads past interim 1xx responses and de-chunks the body, from a server written by hand', async () => {
    const raw = createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => {
        s.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n');
        s.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nxx${NEEDLE.slice(0, 3)}\r\n`);
        setTimeout(() => s.end(`${(NEEDLE.length - 3).toString(16)}\r\n${NEEDLE.slice(3)}\r\n0\r\n\r\n`), 20);
      });
    });
    const rawPort = await listen(raw);
    try {
      expect(await httpProbe(http({ port: rawPort, bodyMatch: NEEDLE }), DEADLINE)).toMatchObject({
        result: Result.SUCCESS,
        reason: null,
      });
      expect(await httpProbe(http({ port: rawPort, bodyMatch: 'absent' }), DEADLINE)).toMatchObject({
        result: Result.FAILURE,
        reason: 'body',
      });
    } finally {
      await close(raw);
    }
  });

  it('checks the status before the body', async () => {
    expect(await httpProbe(http({ path: '/status/500', bodyMatch: 'status' }), DEADLINE)).toMatchObject({
      result: Result.FAILURE,
      reason: 'status',
    });
    expect(await httpProbe(http({ path: '/status/200', bodyMatch: 'status 200' }), DEADLINE)).toMatchObject({
      result: Result.SUCCESS,
    });
  });

  it('succeeds on a 10 MB body with the match at the start without reading the rest', async () => {
    const t0 = performance.now();
    const outcome = await httpProbe(http({ path: '/huge-match-first', bodyMatch: NEEDLE }), DEADLINE);
    const elapsed = performance.now() - t0;
    expect(outcome).toMatchObject({ result: Result.SUCCESS, reason: null });
    expect(elapsed).toBeLessThan(DEADLINE / 2);
    // The probe hung up: the server's response closed before it could finish.
    expect(await waitFor(() => huge.closed, 2_000)).toBe(true);
    expect(huge.finished).toBe(false);
    expect(huge.written).toBeLessThan(MB10);
  });

  it('fails "body" on a 10 MB body without the match as soon as 5,120 bytes are in, not at the end or the deadline', async () => {
    const t0 = performance.now();
    const outcome = await httpProbe(http({ path: '/huge-no-match', bodyMatch: NEEDLE }), DEADLINE);
    const elapsed = performance.now() - t0;
    expect(outcome).toMatchObject({ result: Result.FAILURE, reason: 'body' });
    expect(elapsed).toBeLessThan(DEADLINE / 2);
    expect(await waitFor(() => huge.closed, 2_000)).toBe(true);
    expect(huge.finished).toBe(false);
  });

  it('ignores the body when no match is asked for', async () => {
    const outcome = await httpProbe(http({ path: '/huge-no-match' }), DEADLINE);
    expect(outcome).toMatchObject({ result: Result.SUCCESS, reason: null });
    expect(await waitFor(() => huge.closed, 2_000)).toBe(true);
    expect(huge.finished).toBe(false);
  });
});

// ── https ──────────────────────────────────────────────────────────────────

const hasOpenssl = spawnSync('openssl', ['version'], { timeout: 5_000 }).status === 0;
// The SNI cases probe the name `localhost` against a server on 127.0.0.1; the probe tries the first address only.
const localhostIs4 = await lookup('localhost').then(
  (a) => a.address === '127.0.0.1',
  () => false,
);

describe.skipIf(!hasOpenssl)('https probe with a self-signed certificate', () => {
  let dir = '';
  let tlsPort = 0;
  let lastServername: string | false | null | undefined;
  let tlsServer: ReturnType<typeof createHttpsServer> | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'urnd-probe-tls-'));
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { timeout: 20_000, stdio: 'pipe' },
    );
    if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`);
    tlsServer = createHttpsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (req, res) => {
        lastServername = (req.socket as TLSSocket).servername;
        handler(req, res);
      },
    );
    tlsPort = await listen(tlsServer);
  });
  afterAll(async () => {
    if (tlsServer) await close(tlsServer);
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  const https = (over: Partial<ProbeCheckSpec>): ProbeCheckSpec => probeSpec({ type: 'https', port: tlsPort, ...over });

  it('succeeds with verifyTls false (the default), status and body match as for http', async () => {
    expect(await httpProbe(https({ path: '/status/200' }), DEADLINE)).toMatchObject({
      result: Result.SUCCESS,
      reason: null,
    });
    expect(await httpProbe(https({ path: '/status/500' }), DEADLINE)).toMatchObject({
      result: Result.FAILURE,
      reason: 'status',
    });
    expect(await httpProbe(https({ path: '/match-early', bodyMatch: NEEDLE }), DEADLINE)).toMatchObject({
      result: Result.SUCCESS,
    });
    expect(await httpProbe(https({ path: '/match-late', bodyMatch: NEEDLE }), DEADLINE)).toMatchObject({
      result: Result.FAILURE,
      reason: 'body',
    });
  });

  it('fails "tls" with verifyTls true', async () => {
    expect(await httpProbe(https({ verifyTls: true }), DEADLINE)).toMatchObject({
      result: Result.FAILURE,
      reason: 'tls',
    });
  });

  it.skipIf(!localhostIs4)(
    'fails "tls" with verifyTls true for a name too, and sends SNI for a name and none for an IP address',
    async () => {
      expect(await httpProbe(https({ host: 'localhost', verifyTls: true }), DEADLINE)).toMatchObject({
        result: Result.FAILURE,
        reason: 'tls',
      });
      expect(await httpProbe(https({ host: 'localhost' }), DEADLINE)).toMatchObject({ result: Result.SUCCESS });
      expect(lastServername).toBe('localhost');
      expect(lastHeaders).toMatchObject({ host: `localhost:${tlsPort}` });
      expect(await httpProbe(https({}), DEADLINE)).toMatchObject({ result: Result.SUCCESS });
      expect(lastServername).toBeFalsy();
    },
  );

  it('fails "tls" against a plain HTTP server', async () => {
    expect(await httpProbe(probeSpec({ type: 'https', port }), DEADLINE)).toMatchObject({
      result: Result.FAILURE,
      reason: 'tls',
    });
  });
});
if (!hasOpenssl) {
  describe('https probe', () => {
    it.skip('skipped: openssl not found on PATH, needed to make a self-signed certificate', () => {});
  });
}
