// Config worker thread: wiring only, the pass is src/config/pass.ts.
import { readlinkSync } from 'node:fs';
import { constants, setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { runPass } from '../src/config/pass.js';
import type { PassRequest } from '../src/config/messages.js';

const port = parentPort;
if (port === null) throw new Error('workers/config.js runs as a worker thread');

// On 2 cores a pass (seconds of parsing at 100,000 checks) competes with the thread that ticks: give the OS a reason to
// prefer the tick. On Linux a priority set on a thread id applies to that thread alone (/proc/thread-self names it);
// elsewhere the pass keeps the process's priority.
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid) && tid > 0) setPriority(tid, constants.priority.PRIORITY_LOW);
} catch {
  // No /proc (not Linux) or not permitted: nothing to lower.
}

port.on('message', (req: PassRequest) => {
  void runPass(req).then((reply) =>
    port.postMessage(reply, reply.ok && reply.bytes !== null ? [reply.bytes.buffer as ArrayBuffer] : []),
  );
});
