// Resolver worker thread entry: wiring only, the logic is in src/serving/resolver-worker.ts.
import { parentPort } from 'node:worker_threads';
import { runResolverWorker } from '../src/serving/resolver-worker.js';

if (parentPort === null) throw new Error('workers/resolver.js runs as a worker thread');
runResolverWorker(parentPort);
