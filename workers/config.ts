// Config worker thread: wiring only, the pass is src/config/pass.ts.
import { parentPort } from 'node:worker_threads';
import { runPass } from '../src/config/pass.js';
import type { PassRequest } from '../src/config/messages.js';

const port = parentPort;
if (port === null) throw new Error('workers/config.js runs as a worker thread');
port.on('message', (req: PassRequest) => {
  void runPass(req).then((reply) => port.postMessage(reply, reply.ok ? [reply.bytes.buffer as ArrayBuffer] : []));
});
