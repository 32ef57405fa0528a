import { compileConfig } from './compile.js';
import { resolveFrameKey } from './frame-key.js';
import { loadConfigFile } from './load.js';
import type { Plan } from './plan.js';

/**
 * What `urnd validate` checks: the document (read, parsed, validated,
 * compiled) and the frame key it names, read as every node will read it (a
 * relative `keyFile` next to the document). Throws ConfigError on either.
 */
export async function validateConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Plan> {
  const plan = compileConfig(await loadConfigFile(file));
  await resolveFrameKey(plan.frames, env, file);
  return plan;
}
