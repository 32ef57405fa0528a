import { CONFIG_FILE_OPTION, DEMO_CONFIG, defineCommand } from '../command.js';
import { runDemo } from '../demo.js';

export const demoCommand = defineCommand({
  name: 'demo',
  summary: 'walk the resolver core through health states, in-process',
  usage: 'urnd demo [--config FILE]',
  description: `Loads a config, compiles it, and walks the resolver core through health
states by hand: no results yet, all healthy, every other target down, all
down; explains one name; then routes a real http.request through
createLookup to two loopback servers, before and after the primary fails.`,
  options: { config: CONFIG_FILE_OPTION },
  async run({ values }, write) {
    await runDemo(values.config ?? DEMO_CONFIG, write);
    return 0;
  },
});
