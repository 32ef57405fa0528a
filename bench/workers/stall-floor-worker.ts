// The mass-failure scenario's stall floor thread: wiring only (logic in bench/stall-floor.ts).
import { stallFloorWorkerMain } from '../stall-floor.js';

stallFloorWorkerMain();
