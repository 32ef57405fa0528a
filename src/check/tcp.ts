/**
 * The TCP probe: success is a completed TCP handshake within the deadline.
 * The socket is destroyed the moment the verdict is known — on connect, on
 * error, or at the deadline — and nothing is ever written to it.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Result } from '../table/layout.js';
import { armDeadline, classifyError, elapsedUs } from './probe-common.js';
import type { Probe, ProbeFailure, ProbeOutcome } from './probe.js';

export const tcpProbe: Probe = (spec, deadlineMs) =>
  new Promise<ProbeOutcome>((resolve) => {
    const t0 = performance.now();
    let socket: Socket | null = null;
    let done = false;

    const finish = (reason: ProbeFailure | null): void => {
      if (done) return;
      done = true;
      const latencyUs = elapsedUs(t0);
      clearDeadline();
      // destroy() closes the descriptor now; the handle is freed on the next loop turn.
      socket?.destroy();
      socket = null;
      resolve({ result: reason === null ? Result.SUCCESS : Result.FAILURE, latencyUs, reason });
    };

    const clearDeadline = armDeadline(t0, deadlineMs, () => finish('timeout'));
    try {
      // One address, one attempt (see probe.ts on autoSelectFamily).
      socket = connect({ host: spec.host, port: spec.port, autoSelectFamily: false });
      // The error listener stays for the socket's life: a destroyed socket
      // may still report, and an 'error' with no listener would crash the worker.
      socket.on('error', (err) => finish(classifyError(err)));
      socket.once('connect', () => finish(null));
    } catch {
      // e.g. a port outside 0..65535: net throws synchronously.
      finish('error');
    }
  });
