/**
 * Reading a config document: text (YAML, or JSON, which is YAML) → plain
 * data → validated document. Every failure is a ConfigError with a stable
 * code, so the config loop can keep the last good document and say why.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { validateConfig, type ConfigDocument } from './schema.js';

// Guards against "billion laughs" documents; a real config needs few aliases.
const MAX_ALIAS_COUNT = 1000;

function parseIssue(err: YAMLError, lines: LineCounter, source: string | undefined): ConfigIssue {
  const { line, col } = lines.linePos(err.pos[0]);
  const where = source === undefined ? `line ${line}, column ${col}` : `${source}:${line}:${col}`;
  return { path: '', message: `${where}: ${err.message}` };
}

/**
 * Parses and validates a document. `source` (a file name or URL) only
 * labels parse errors. Throws `ConfigError` with code
 * `URND_ERR_CONFIG_PARSE` (not YAML/JSON, or empty) or
 * `URND_ERR_CONFIG_INVALID` (every problem of a well-formed document).
 */
export function parseConfigText(text: string, source?: string): ConfigDocument {
  const lines = new LineCounter();
  // A BOM is legal at the start of a file but not part of the document.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const doc = parseDocument(body, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  // Warnings (an unknown tag such as `!foo`, which would silently turn a value into a string) count as errors.
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    throw new ConfigError('URND_ERR_CONFIG_PARSE', problems.map((e) => parseIssue(e, lines, source)));
  }
  if (doc.contents === null) {
    throw new ConfigError('URND_ERR_CONFIG_PARSE', [{ path: '', message: `${source === undefined ? 'the document' : source} is empty` }]);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // Unresolved or excessive aliases surface only when the tree is built.
    const label = source === undefined ? '' : `${source}: `;
    throw new ConfigError('URND_ERR_CONFIG_PARSE', [{ path: '', message: `${label}${(err as Error).message}` }], { cause: err });
  }
  return validateConfig(data);
}

/**
 * Reads, parses and validates a document file. Throws `ConfigError` with
 * `URND_ERR_CONFIG_READ` if the file cannot be read, otherwise as
 * {@link parseConfigText}.
 */
export async function loadConfigFile(path: string): Promise<ConfigDocument> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw new ConfigError('URND_ERR_CONFIG_READ', [{ path: '', message: `cannot read ${path}: ${reason}` }], { cause: err });
  }
  return parseConfigText(text, path);
}

/** Largest document the loader accepts, bytes: a guard against a runaway response. */
export const MAX_CONFIG_BYTES = 64 * 1024 * 1024;

/** True if `source` names an http(s) URL rather than a file. */
export function isUrlSource(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/**
 * Reads a whole document from a file path or an http(s) URL (an object
 * store's URL works: a plain GET of the whole object), parses and validates
 * it. A URL that answers other than 200, times out (`timeoutMs`) or sends
 * more than MAX_CONFIG_BYTES is `URND_ERR_CONFIG_READ`.
 */
export async function loadConfig(source: string, timeoutMs = 10_000): Promise<ConfigDocument> {
  if (!isUrlSource(source)) return loadConfigFile(source);
  let text: string;
  try {
    const res = await fetch(source, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow', headers: { accept: 'application/yaml, application/json, text/plain, */*' } });
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status}`);
    }
    const length = Number(res.headers.get('content-length') ?? '0');
    if (length > MAX_CONFIG_BYTES) {
      await res.body?.cancel();
      throw new Error(`${length} bytes is above the ${MAX_CONFIG_BYTES}-byte limit`);
    }
    const body = new Uint8Array(await res.arrayBuffer());
    if (body.byteLength > MAX_CONFIG_BYTES) throw new Error(`${body.byteLength} bytes is above the ${MAX_CONFIG_BYTES}-byte limit`);
    if (length > 0 && body.byteLength !== length) throw new Error(`got ${body.byteLength} of ${length} bytes`);
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch (err) {
    const e = err as Error;
    const reason = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : e.message;
    throw new ConfigError('URND_ERR_CONFIG_READ', [{ path: '', message: `cannot fetch ${source}: ${reason}` }], { cause: err });
  }
  return parseConfigText(text, source);
}
