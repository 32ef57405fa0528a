/**
 * The HTTP and HTTPS probe, as Route 53 does it: one fresh connection, one
 * `GET path HTTP/1.1`, and a verdict from the response status and, when
 * `bodyMatch` is set, the first 5,120 bytes of the body.
 *
 * It speaks HTTP/1.1 on a bare socket (`net` / `tls`) with the small
 * response reader in `http-response.ts`, not through `http.request`: a
 * probe needs only a status and at most 5,120 body bytes. Against the
 * request machinery (ClientRequest, parser, agent bookkeeping), measured
 * with 2,000 checks / 2 s: about a fifth less CPU per probe while targets
 * hang, about the same while they answer; the checker threads' young-
 * generation collections took about half the time while 1,000 probes hung
 * (--trace-gc, 47 ms against 82 ms in 6 s); and the largest cell sustained
 * with every probe timing out went from 4,000 to 8,000 checks per interval
 * (of 2,000, 4,000, 8,000 and 16,000 tried; with probes in their callback
 * form and 12,000 tried too, 12,000; with the one-timer schedule and
 * 24,000 tried too, 16,000: results/REPORT.md, probes). The verdict is given as soon as
 * it is known — on the status line when there is no body match, on the
 * match or the 5,120th body byte otherwise — and the socket is destroyed
 * right then; the rest of a body is never read.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { ProbeCheckSpec } from '../config/plan.js';
import { ProbeRun, classifyError, promiseProbe, runOf, tagSocket, type ProbeDone } from './probe-common.js';
import { ResponseReader, BODY_MATCH_LIMIT } from './http-response.js';
import type { Probe } from './probe.js';

export { BODY_MATCH_LIMIT };
/** The User-Agent every HTTP(S) probe sends. */
export const PROBE_USER_AGENT = 'urnd-health-check';

// Where a probe is, for naming the failure of an error event.
const CONNECTING = 0; // TCP handshake not done
const HANDSHAKE = 1; // https: TCP connected, TLS handshake in progress
const EXCHANGE = 2; // request sent or being sent, response pending or arriving

// Node's own rule for a request target it will send (ERR_UNESCAPED_CHARACTERS).
const INVALID_PATH = /[^\u0021-\u00ff]/;

// The request bytes of a spec, built once: specs live as long as their config.
const requests = new WeakMap<ProbeCheckSpec, Buffer | null>();

/** `GET path HTTP/1.1` with Host, User-Agent and Connection: close; null for a path that can't be sent. */
function requestFor(spec: ProbeCheckSpec): Buffer | null {
  let bytes = requests.get(spec);
  if (bytes !== undefined) return bytes;
  if (INVALID_PATH.test(spec.path) || spec.path === '') bytes = null;
  else {
    const family = isIP(spec.host);
    const host = family === 6 ? `[${spec.host}]` : spec.host;
    bytes = Buffer.from(
      `GET ${spec.path} HTTP/1.1\r\nHost: ${host}:${spec.port}\r\nUser-Agent: ${PROBE_USER_AGENT}\r\nConnection: close\r\n\r\n`,
      'latin1',
    );
  }
  requests.set(spec, bytes);
  return bytes;
}

class HttpRun extends ProbeRun {
  socket: Socket | null = null;
  phase = CONNECTING;

  constructor(
    deadlineMs: number,
    done: ProbeDone<unknown>,
    context: unknown,
    readonly tls: boolean,
    readonly reader: ResponseReader,
  ) {
    super(deadlineMs, done, context);
  }

  protected close(): void {
    // The error listener stays: a destroyed socket may still report, and
    // an 'error' with no listener would crash the worker.
    this.socket?.destroy();
    this.socket = null;
  }

  protected override httpStatus(): number {
    return this.reader.status;
  }
}

// Shared listeners: `this` is the socket. Each may run after the verdict
// (finish ignores a second one).
function onError(this: Socket, err: Error): void {
  const run = runOf<HttpRun>(this);
  run.finish(run.phase === HANDSHAKE ? 'tls' : classifyError(err));
}
function onConnect(this: Socket): void {
  const run = runOf<HttpRun>(this);
  run.phase = run.tls ? HANDSHAKE : EXCHANGE;
}
function onSecureConnect(this: Socket): void {
  runOf<HttpRun>(this).phase = EXCHANGE;
}
function onData(this: Socket, chunk: Buffer): void {
  const run = runOf<HttpRun>(this);
  const verdict = run.reader.read(chunk);
  if (verdict !== undefined) run.finish(verdict);
}
// The server closed its side: a verdict if the response says one (a body
// that ends at the close), else the exchange was cut short.
function onEnd(this: Socket): void {
  const run = runOf<HttpRun>(this);
  run.finish(run.phase === HANDSHAKE ? 'tls' : run.reader.end());
}
function onClose(this: Socket): void {
  const run = runOf<HttpRun>(this);
  run.finish(run.phase === HANDSHAKE ? 'tls' : 'reset');
}

/** Starts an HTTP(S) probe; `done(context, …)` gets its verdict. The callback form of `httpProbe`. */
export function startHttpProbe<T>(spec: ProbeCheckSpec, deadlineMs: number, done: ProbeDone<T>, context: T): void {
  const tls = spec.type === 'https';
  const run = new HttpRun(
    deadlineMs,
    done as ProbeDone<unknown>,
    context,
    tls,
    new ResponseReader(spec.statusMin, spec.statusMax, spec.bodyMatch),
  );
  const request = requestFor(spec);
  if (request === null) {
    run.finish('error');
    return;
  }
  let socket: Socket;
  try {
    // One address, one attempt (see probe.ts on autoSelectFamily).
    if (tls) {
      // tls.connect hands these to the TCP connect too (autoSelectFamily included; its types omit it).
      const options: ConnectionOptions & { autoSelectFamily: boolean } = {
        host: spec.host,
        port: spec.port,
        autoSelectFamily: false,
        // Off by default, as Route 53: a health check asks "is it up?", not "is its certificate valid?".
        rejectUnauthorized: spec.verifyTls,
      };
      // SNI takes names only; an IP address target sends none.
      if (isIP(spec.host) === 0) options.servername = spec.host;
      socket = tlsConnect(options);
    } else socket = netConnect({ host: spec.host, port: spec.port, autoSelectFamily: false });
  } catch {
    // e.g. a port outside 0..65535: thrown synchronously.
    run.finish('error');
    return;
  }
  run.socket = socket;
  tagSocket(socket, run);
  socket.on('error', onError);
  socket.on('connect', onConnect);
  if (tls) socket.on('secureConnect', onSecureConnect);
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('close', onClose);
  // Queued until connected (and, for https, until the handshake is done).
  // Not end(): some servers take a half-close as the client giving up.
  socket.write(request);
}

export const httpProbe: Probe = promiseProbe(startHttpProbe);
