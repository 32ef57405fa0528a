import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { FramesSpec } from './plan.js';

/** 16 to 64 bytes as hex, whitespace around it ignored. */
const HEX_KEY = /^(?:[0-9a-fA-F]{2}){16,64}$/;

/**
 * The HMAC-SHA256 key of a cell's frames, from where the document's `frames`
 * section says: inline `key`, a `keyFile`, or a `keyEnv` variable — each
 * holding 16 to 64 bytes as hex. Undefined when none is set (frames then
 * carry a CRC32C only: fine on a private network, not where anyone else can
 * reach a frames port).
 *
 * Every node reads it again on every config pass, with the document, so a
 * rotated key file is picked up within one config interval (senders and
 * receivers that disagree reject each other's frames as `auth`, loudly, until
 * they agree). A key that cannot be read is a rejected pass: the node keeps
 * its last good plan and key. Messages never include the key.
 *
 * A relative `keyFile` is relative to the folder of the config file
 * (`configSource`), wherever the process was started; for a document fetched
 * from a URL, to the working directory.
 */
export async function resolveFrameKey(
  frames: FramesSpec,
  env: NodeJS.ProcessEnv = process.env,
  configSource?: string,
): Promise<Uint8Array | undefined> {
  if (frames.key !== null) return Buffer.from(frames.key, 'hex');
  if (frames.keyFile !== null) {
    let text: string;
    const file = keyFilePath(frames.keyFile, configSource);
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
      throw new ConfigError(
        'URND_ERR_CONFIG_READ',
        [{ path: 'frames.keyFile', message: `cannot read ${file}: ${why}` }],
        { cause: err },
      );
    }
    return parseHexKey(text, 'frames.keyFile', `${file} does not hold`);
  }
  if (frames.keyEnv !== null) {
    const text = env[frames.keyEnv];
    if (text === undefined || text === '') {
      throw new ConfigError('URND_ERR_CONFIG_READ', [
        { path: 'frames.keyEnv', message: `the environment variable ${frames.keyEnv} is not set` },
      ]);
    }
    return parseHexKey(text, 'frames.keyEnv', `${frames.keyEnv} does not hold`);
  }
  return undefined;
}

/** Where a `keyFile` is read from: as written if absolute, else next to the config file. */
export function keyFilePath(keyFile: string, configSource?: string): string {
  if (path.isAbsolute(keyFile) || configSource === undefined || /^https?:\/\//i.test(configSource)) return keyFile;
  return path.resolve(path.dirname(configSource), keyFile);
}

function parseHexKey(text: string, path: string, what: string): Uint8Array {
  const hex = text.trim();
  if (!HEX_KEY.test(hex))
    throw new ConfigError('URND_ERR_CONFIG_INVALID', [
      { path, message: `${what} 16 to 64 bytes of hex (32 to 128 hex digits)` },
    ]);
  return Buffer.from(hex, 'hex');
}

/** True if two keys (or their absence) are the same. */
export function sameKey(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.compare(a, b) === 0;
}
