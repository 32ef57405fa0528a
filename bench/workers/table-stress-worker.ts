/**
 * Worker entry for bench/table-stress.ts: attach the shared tables, then run
 * the reader or writer loop until the main thread sets the stop flag. Wiring
 * only; the loops live in the module so tests can import them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ObservationTable } from '../../src/table/observation-table.js';
import { StatusTable } from '../../src/table/status-table.js';
import {
  runTableReader,
  runTableWriter,
  type TableStressMessage,
  type TableStressWorkerData,
} from '../table-stress.js';

if (parentPort === null) throw new Error('table-stress-worker: start me with new Worker(), not directly');
const port = parentPort;
const data = workerData as TableStressWorkerData;
const status = StatusTable.attach(data.status);
const observation = ObservationTable.attach(data.observation);
const control = new Int32Array(data.control);
const post = (message: TableStressMessage): void => port.postMessage(message);

if (data.role === 'reader') runTableReader(status, observation, control, data.worker, post);
else runTableWriter(status, observation, control, data.worker, data.seed, post);
