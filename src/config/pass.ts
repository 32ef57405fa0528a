/**
 * One config pass off the tick's thread: fetch the whole document, parse,
 * validate and compile it, and hand back the plan as bytes (or why it was
 * rejected). Runs in the config worker (workers/config.ts); its reply is all
 * the loop on the main thread ever sees of the document. A plan whose
 * version is the one the loop holds (`req.appliedVersion`) comes back as its
 * version alone.
 */
import { createHash } from 'node:crypto';
import { ConfigError, UrndError } from '../errors.js';
import { compilePlanBytes } from './compile.js';
import { loadConfig } from './load.js';
import { MAX_REPORTED_ISSUES, type PassReply, type PassRequest } from './messages.js';

export async function runPass(req: PassRequest): Promise<PassReply> {
  try {
    const bytes = compilePlanBytes(await loadConfig(req.source, req.fetchTimeoutMs));
    const version = createHash('sha256').update(bytes).digest('hex');
    // The usual pass: the same document again. Only its version crosses to the ticking thread.
    if (version === req.appliedVersion) return { id: req.id, ok: true, bytes: null, version };
    return { id: req.id, ok: true, bytes, version };
  } catch (err) {
    if (err instanceof ConfigError) {
      return {
        id: req.id,
        ok: false,
        code: err.code as Extract<PassReply, { ok: false }>['code'],
        issues: err.issues.slice(0, MAX_REPORTED_ISSUES),
        count: err.count,
      };
    }
    // Anything else (a bug, a resource limit) rejects the pass the same way: the last good plan stays.
    const message = err instanceof UrndError ? err.message : `${(err as Error).name}: ${(err as Error).message}`;
    return { id: req.id, ok: false, code: 'URND_ERR_CONFIG_READ', issues: [{ path: '', message }], count: 1 };
  }
}
