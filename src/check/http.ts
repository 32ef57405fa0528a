/**
 * The HTTP and HTTPS probe, as Route 53 does it: one fresh connection, one
 * `GET path HTTP/1.1`, and a verdict from the response status and, when
 * `bodyMatch` is set, the first 5,120 bytes of the body.
 *
 * Node's `http`/`https` `request` does the HTTP/1.1 parsing (chunked bodies,
 * interim 1xx responses); `agent: false` gives every probe its own
 * connection with no keep-alive pooling, so a probe never reuses a socket a
 * previous probe left behind. The verdict is given as soon as it is known —
 * on the status line and headers when there is no body match, on the match
 * or the 5,120th byte otherwise — and the request (and its socket) is
 * destroyed right then; the rest of a body is never read.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Result } from '../table/layout.js';
import { armDeadline, classifyError, elapsedUs } from './probe-common.js';
import type { Probe, ProbeFailure, ProbeOutcome } from './probe.js';

/** The body match looks at no more than this many bytes of the body (Route 53's figure). */
export const BODY_MATCH_LIMIT = 5120;
/** The User-Agent every HTTP(S) probe sends. */
export const PROBE_USER_AGENT = 'urnd-health-check';

// Where a request is, for naming the failure of an error event.
const CONNECTING = 0; // TCP handshake (and name lookup) not done
const HANDSHAKE = 1; // https: TCP connected, TLS handshake in progress
const EXCHANGE = 2; // request sent or being sent, response pending or arriving

export const httpProbe: Probe = (spec, deadlineMs) =>
  new Promise<ProbeOutcome>((resolve) => {
    const t0 = performance.now();
    const tls = spec.type === 'https';
    const match = spec.bodyMatch === null || spec.bodyMatch === '' ? null : Buffer.from(spec.bodyMatch, 'utf8');
    let req: ClientRequest | null = null;
    let phase = CONNECTING;
    let body: Buffer | null = null;
    let filled = 0;
    let done = false;

    const finish = (reason: ProbeFailure | null): void => {
      if (done) return;
      done = true;
      const latencyUs = elapsedUs(t0);
      clearDeadline();
      // Destroys the socket too (synchronously once the request has one; a
      // request still waiting for its socket destroys it when it arrives, a
      // tick later). Listeners stay attached: a destroyed request still emits
      // 'error' ("socket hang up"), and an 'error' with no listener would
      // crash the worker. They go with the request.
      req?.destroy();
      req = null;
      body = null;
      resolve({ result: reason === null ? Result.SUCCESS : Result.FAILURE, latencyUs, reason });
    };

    const onError = (err: unknown): void => {
      finish(phase === HANDSHAKE ? 'tls' : classifyError(err));
    };

    const onConnect = (): void => {
      phase = tls ? HANDSHAKE : EXCHANGE;
    };
    const onSecureConnect = (): void => {
      phase = EXCHANGE;
    };
    const onSocket = (socket: Socket): void => {
      socket.once('connect', onConnect);
      if (tls) socket.once('secureConnect', onSecureConnect);
    };

    const onData = (chunk: Buffer): void => {
      if (done || body === null || match === null) return;
      const take = Math.min(chunk.length, BODY_MATCH_LIMIT - filled);
      chunk.copy(body, filled, 0, take);
      // Search only where a match could newly end: from the last
      // (match.length - 1) old bytes on, so a match split across chunks is found.
      const from = Math.max(0, filled - match.length + 1);
      filled += take;
      if (body.subarray(0, filled).indexOf(match, from) !== -1) finish(null);
      else if (filled >= BODY_MATCH_LIMIT) finish('body');
    };
    const onEnd = (): void => finish('body');

    const onResponse = (res: IncomingMessage): void => {
      phase = EXCHANGE;
      res.on('error', onError);
      const status = res.statusCode ?? 0;
      if (status < spec.statusMin || status > spec.statusMax) return finish('status');
      if (match === null) return finish(null);
      body = Buffer.allocUnsafe(BODY_MATCH_LIMIT);
      res.on('data', onData);
      res.on('end', onEnd);
    };

    const clearDeadline = armDeadline(t0, deadlineMs, () => finish('timeout'));
    try {
      const hostIsName = isIP(spec.host) === 0;
      const options: RequestOptions & { autoSelectFamily: boolean; rejectUnauthorized?: boolean; servername?: string } = {
        hostname: spec.host,
        port: spec.port,
        path: spec.path,
        method: 'GET',
        agent: false,
        // One address, one attempt (see probe.ts on autoSelectFamily).
        autoSelectFamily: false,
        setHost: false,
        headers: {
          Host: `${hostIsName || isIP(spec.host) === 4 ? spec.host : `[${spec.host}]`}:${spec.port}`,
          'User-Agent': PROBE_USER_AGENT,
          Connection: 'close',
        },
      };
      if (tls) {
        // Off by default, as Route 53: a health check asks "is it up?", not "is its certificate valid?".
        options.rejectUnauthorized = spec.verifyTls;
        // SNI takes names only; an IP address target sends none.
        if (hostIsName) options.servername = spec.host;
      }
      req = (tls ? httpsRequest : httpRequest)(options);
      req.on('error', onError);
      req.once('socket', onSocket);
      req.once('response', onResponse);
      req.end();
    } catch {
      // e.g. a path Node refuses to send, or a port out of range: thrown synchronously.
      finish('error');
    }
  });
