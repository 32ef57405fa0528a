import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UrndError } from './errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// This file is src/worker-path.ts in a checkout or dist/src/worker-path.js once built.
const distRoot = here.split(path.sep).includes('dist') ? path.resolve(here, '..') : path.resolve(here, '..', 'dist');

/**
 * Path of a compiled worker entry (`dist/workers/<name>.js`). Worker threads
 * load compiled JavaScript, also when the caller runs from TypeScript source
 * (tests), so `npm test` and `npm start` build first.
 */
export function compiledWorker(name: string): string {
  const file = path.join(distRoot, 'workers', `${name}.js`);
  if (!existsSync(file)) {
    throw new UrndError('URND_ERR_ARGUMENT', `worker entry ${file} is missing: run \`npm run build\` first`);
  }
  return file;
}
