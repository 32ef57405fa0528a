/**
 * The TCP probe: success is a completed TCP handshake within the deadline.
 * The socket is destroyed the moment the verdict is known — on connect, on
 * error, or at the deadline — and nothing is ever written to it.
 */
import { connect, type Socket } from 'node:net';
import type { ProbeCheckSpec } from '../config/plan.js';
import { ProbeRun, classifyError, promiseProbe, runOf, tagSocket, type ProbeDone } from './probe-common.js';
import type { Probe } from './probe.js';

class TcpRun extends ProbeRun {
  socket: Socket | null = null;

  protected close(): void {
    // destroy() closes the descriptor now; the handle is freed on the next loop turn.
    this.socket?.destroy();
    this.socket = null;
  }
}

// Shared listeners: `this` is the socket.
function onError(this: Socket, err: Error): void {
  runOf<TcpRun>(this).finish(classifyError(err));
}
function onConnect(this: Socket): void {
  runOf<TcpRun>(this).finish(null);
}

/** Starts a TCP probe; `done(context, …)` gets its verdict. The callback form of `tcpProbe`. */
export function startTcpProbe<T>(spec: ProbeCheckSpec, deadlineMs: number, done: ProbeDone<T>, context: T): void {
  const run = new TcpRun(deadlineMs, done as ProbeDone<unknown>, context);
  let socket: Socket;
  try {
    // One address, one attempt (see probe.ts on autoSelectFamily).
    socket = connect({ host: spec.host, port: spec.port, autoSelectFamily: false });
  } catch {
    // e.g. a port outside 0..65535: net throws synchronously.
    run.finish('error');
    return;
  }
  run.socket = socket;
  tagSocket(socket, run);
  // The error listener stays for the socket's life: a destroyed socket
  // may still report, and an 'error' with no listener would crash the worker.
  socket.on('error', onError);
  socket.on('connect', onConnect);
}

export const tcpProbe: Probe = promiseProbe(startTcpProbe);
