// Piscina task entry for checker workers: wiring only, the logic is in src/check.
import { runCheckerTask } from '../src/check/checker-task.js';
import type { CheckerTask, CheckerTaskResult } from '../src/check/messages.js';

export default function checker(task: CheckerTask): Promise<CheckerTaskResult> {
  return runCheckerTask(task);
}
