import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../src/cli/commands/index.js';
import { withOptionTables } from '../src/cli/help.js';

/** `npm run docs`: rewrites the README's marked option tables from the command definitions. */
const readme = fileURLToPath(new URL('../../README.md', import.meta.url));
const before = readFileSync(readme, 'utf8');
const after = withOptionTables(before, COMMANDS);
if (after !== before) writeFileSync(readme, after);
process.stdout.write(
  after === before ? 'README.md option tables are up to date\n' : 'README.md option tables rewritten\n',
);
