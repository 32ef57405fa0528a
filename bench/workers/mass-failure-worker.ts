// Load thread of the mass-failure scenario: wiring only (logic in bench/mass-failure.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { runLoad, type LoadWorkerData } from '../mass-failure.js';

parentPort?.postMessage(runLoad(workerData as LoadWorkerData));
