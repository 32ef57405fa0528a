// The probes benchmark's lateness floor thread: wiring only (logic in bench/timer-floor.ts).
import { timerFloorWorkerMain } from '../timer-floor.js';

timerFloorWorkerMain();
