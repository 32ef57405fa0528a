// The page scenario's server thread: wiring only (logic in bench/page-server.ts).
import { pageServerWorkerMain } from '../page-server.js';

void pageServerWorkerMain();
