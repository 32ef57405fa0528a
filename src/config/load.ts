/**
 * Reading a config document: text (YAML, or JSON, which is YAML) → plain
 * data → its zone files read and merged in → validated document. Every
 * failure is a ConfigError with a stable code, so the config loop can keep
 * the last good document and say why.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CORE_SCHEMA, YAMLException, load } from 'js-yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { validateConfig, type ConfigDocument } from './schema.js';
import { issuesInFiles, mergeZoneFiles, parseZoneFile, usableOrigin, type ReadZoneFile } from './zone-file.js';
import { DEFAULT_CAPACITY, MAX_CAPACITY, MIN_CAPACITY } from '../table/layout.js';

/**
 * Most nodes aliases may add to a document (each alias counted as the size
 * of what it names): guards against "billion laughs" documents, whose
 * aliases expand a few lines into a tree too large to validate.
 */
const MAX_ALIAS_NODES = 100_000;

/**
 * Most fields of one mapping and most items of one list. No object of the
 * schema has more than 20 fields, and no list of a valid document more items
 * than the largest capacity; a document beyond either (a million unknown
 * keys, a list of millions) is rejected here with one problem, before
 * validation would report every item of it (963,000 keys: 24 s and 640 MB
 * on the config worker). Below the limits every problem is still counted.
 */
export const MAX_MAPPING_FIELDS = 100_000;
export const MAX_LIST_ITEMS = MAX_CAPACITY;

/** Where a too-large mapping or list sits (`checks[3]`), for its one-line problem. */
function at(path: readonly (string | number)[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

/**
 * Nodes the document's tree would have with every alias written out, counted
 * without writing them out: js-yaml makes an alias a second reference to the
 * same object, so each distinct object is sized once (linear in the text).
 * Stops counting once above `limit`. Throws a ConfigError for a mapping or a
 * list above MAX_MAPPING_FIELDS / MAX_LIST_ITEMS. Depth needs no guard here:
 * js-yaml stops at 100 levels (its `maxDepth`) with a parse error.
 */
function aliasNodes(root: unknown, limit: number): number {
  const size = new Map<object, number>();
  const path: (string | number)[] = [];
  let aliased = 0;
  const visit = (value: unknown): number => {
    if (typeof value !== 'object' || value === null) return 1;
    const known = size.get(value);
    if (known !== undefined) {
      aliased += known;
      return known;
    }
    size.set(value, 1); // a cycle (an alias inside its own anchor) counts its back edge once
    let n = 1;
    if (Array.isArray(value)) {
      if (value.length > MAX_LIST_ITEMS) tooLarge(path, `a list of ${value.length} items`, MAX_LIST_ITEMS);
      for (let i = 0; i < value.length && aliased <= limit; i++) {
        path.push(i);
        n += visit(value[i]);
        path.pop();
      }
    } else {
      const keys = Object.keys(value);
      if (keys.length > MAX_MAPPING_FIELDS) tooLarge(path, `a mapping of ${keys.length} fields`, MAX_MAPPING_FIELDS);
      for (const key of keys) {
        if (aliased > limit) break;
        path.push(key);
        n += visit((value as Record<string, unknown>)[key]);
        path.pop();
      }
    }
    size.set(value, n);
    return n;
  };
  visit(root);
  return aliased;
}

function tooLarge(path: readonly (string | number)[], what: string, max: number): never {
  const where = path.length === 0 ? ' at the top level' : '';
  throw new ConfigError('URND_ERR_CONFIG_INVALID', [
    {
      path: at(path),
      message: `${what}${where}; no ${what.split(' ')[1]} of a config document holds more than ${max}`,
    },
  ]);
}

/**
 * Parses and validates a document. `source` (a file name or URL) only
 * labels parse errors. Throws `ConfigError` with code
 * `URND_ERR_CONFIG_PARSE` (not YAML/JSON, or empty) or
 * `URND_ERR_CONFIG_INVALID` (every problem of a well-formed document).
 * Reads no files: a document with `zones[].file` is loaded with
 * {@link loadConfig} or {@link loadConfigFile}, which read them.
 *
 * YAML 1.2 core schema (js-yaml): duplicate keys and unknown tags (`!foo`,
 * which would silently turn a value into a string) are errors. js-yaml
 * because its time and memory grow linearly with the document: the `yaml`
 * package took ~10× as long (16,000 checks: 8.2 s vs 0.84 s on a loaded
 * 2-core machine) and checks duplicate keys by scanning the whole mapping
 * for every key (64,000 top-level keys: 26 s).
 */
export function parseConfigText(text: string, source?: string): ConfigDocument {
  return validateConfig(parseDocumentData(text, source));
}

/** YAML or JSON text → plain data, not yet validated. */
function parseDocumentData(text: string, source?: string): unknown {
  let data: unknown;
  try {
    // json: false keeps duplicate keys an error; a BOM is skipped by js-yaml itself.
    data = load(text, { schema: CORE_SCHEMA, json: false, ...(source === undefined ? {} : { filename: source }) });
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err;
    const line = err.mark.line + 1;
    const col = err.mark.column + 1;
    const where = source === undefined ? `line ${line}, column ${col}` : `${source}:${line}:${col}`;
    throw new ConfigError('URND_ERR_CONFIG_PARSE', [{ path: '', message: `${where}: ${err.reason}` }], { cause: err });
  }
  if (data === undefined || data === null) {
    throw new ConfigError('URND_ERR_CONFIG_PARSE', [
      { path: '', message: `${source === undefined ? 'the document' : source} is empty` },
    ]);
  }
  if (aliasNodes(data, MAX_ALIAS_NODES) > MAX_ALIAS_NODES) {
    const label = source === undefined ? '' : `${source}: `;
    throw new ConfigError('URND_ERR_CONFIG_PARSE', [
      { path: '', message: `${label}aliases expand to more than ${MAX_ALIAS_NODES} nodes` },
    ]);
  }
  checksFitCapacity(data);
  return data;
}

/**
 * The schema's rule "no more checks than the capacity", checked before
 * validation: a list of half a million bad checks would otherwise be
 * validated item by item (10 s and 600 MB) only to be refused for its length.
 */
function checksFitCapacity(data: unknown): void {
  if (typeof data !== 'object' || data === null) return;
  const { cell, checks } = data as { cell?: unknown; checks?: unknown };
  if (!Array.isArray(checks) || checks.length <= MIN_CAPACITY) return;
  const given = typeof cell === 'object' && cell !== null ? (cell as { capacity?: unknown }).capacity : undefined;
  const capacity =
    given === undefined
      ? DEFAULT_CAPACITY
      : typeof given === 'number' && Number.isInteger(given) && given >= MIN_CAPACITY && given <= MAX_CAPACITY
        ? given
        : MAX_CAPACITY;
  if (checks.length > capacity)
    throw new ConfigError('URND_ERR_CONFIG_INVALID', [
      { path: 'checks', message: `${checks.length} checks do not fit the cell capacity ${capacity}` },
    ]);
}

/** Per-fetch time limit of a URL read by {@link loadConfigFile} (a zone file given as a URL). */
const DEFAULT_FETCH_TIMEOUT_MS = 10_000;

/**
 * Reads, parses and validates a document file, and the zone files it names.
 * Throws `ConfigError` with `URND_ERR_CONFIG_READ` if a file cannot be read,
 * otherwise as {@link parseConfigText} (a bad zone file is
 * `URND_ERR_CONFIG_PARSE`, at `zones[i].file`, naming file and line).
 */
export async function loadConfigFile(file: string): Promise<ConfigDocument> {
  return loadDocument(await readTextFile(file, ''), file, DEFAULT_FETCH_TIMEOUT_MS);
}

/** Largest document (and zone file) the loader accepts, bytes: a guard against a runaway response. */
export const MAX_CONFIG_BYTES = 64 * 1024 * 1024;

/** True if `source` names an http(s) URL rather than a file. */
export function isUrlSource(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/**
 * Reads a whole document from a file path or an http(s) URL (an object
 * store's URL works: a plain GET of the whole object), and the zone files it
 * names, parses and validates it. A URL that answers other than 200, times
 * out (`timeoutMs`, each fetch) or sends more than MAX_CONFIG_BYTES is
 * `URND_ERR_CONFIG_READ`.
 */
export async function loadConfig(source: string, timeoutMs = DEFAULT_FETCH_TIMEOUT_MS): Promise<ConfigDocument> {
  return loadDocument(await readSource(source, timeoutMs, ''), source, timeoutMs);
}

/** Text → data → zone files merged in → validated; validation issues of file-born records name file and line. */
async function loadDocument(text: string, source: string, timeoutMs: number): Promise<ConfigDocument> {
  const data = parseDocumentData(text, source);
  const merged = mergeZoneFiles(data, await readZoneFiles(data, source, timeoutMs));
  try {
    return validateConfig(merged.data);
  } catch (err) {
    throw err instanceof ConfigError ? issuesInFiles(err, merged) : err;
  }
}

/**
 * Where `zones[].file` is read from: a URL as written; relative to the
 * document's URL when the document is a URL (so an absolute path is a path
 * on the document's server); else a path, relative to the document's folder.
 */
export function zoneFileLocation(file: string, documentSource: string): string {
  if (isUrlSource(file)) return file;
  if (isUrlSource(documentSource)) return new URL(file, documentSource).href;
  return path.resolve(path.dirname(documentSource), file);
}

/**
 * Reads and parses every zone's `file`, all at once. Problems of every file
 * are reported together: `URND_ERR_CONFIG_READ` if any file could not be
 * read, else `URND_ERR_CONFIG_PARSE`. A zone whose origin is not a name, or
 * whose `file` is not a string, is left to validation to report.
 */
async function readZoneFiles(data: unknown, source: string, timeoutMs: number): Promise<ReadZoneFile[]> {
  const zones = (data as { zones?: unknown } | null)?.zones;
  if (!Array.isArray(zones)) return [];
  const issues: ConfigIssue[] = [];
  let unreadable = false;
  const read = await Promise.all(
    zones.map(async (raw: unknown, zoneIndex): Promise<ReadZoneFile | null> => {
      const zone = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
      const file = zone['file'];
      const origin = zone['origin'];
      if (typeof file !== 'string' || !usableOrigin(origin)) return null;
      const at = `zones[${zoneIndex}].file`;
      if (file === '') {
        issues.push({ path: at, message: 'must not be empty' });
        return null;
      }
      const location = zoneFileLocation(file, source);
      let text: string;
      try {
        text = await readSource(location, timeoutMs, at);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        unreadable = true;
        issues.push(...err.issues);
        return null;
      }
      const ttl = zone['ttl'];
      // A bad zone ttl is the schema's to report; the file is read with the default meanwhile.
      const defaultTtl =
        Number.isInteger(ttl) && (ttl as number) >= 0 && (ttl as number) <= 2_147_483_647 ? (ttl as number) : 60;
      try {
        return {
          zoneIndex,
          location,
          content: parseZoneFile(text, { origin, source: location, defaultTtl, path: at }),
        };
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        issues.push(...err.issues);
        return null;
      }
    }),
  );
  if (issues.length > 0) {
    issues.sort((a, b) => zoneOrder(a.path) - zoneOrder(b.path));
    throw new ConfigError(unreadable ? 'URND_ERR_CONFIG_READ' : 'URND_ERR_CONFIG_PARSE', issues);
  }
  return read.filter((r): r is ReadZoneFile => r !== null);
}

function zoneOrder(issuePath: string): number {
  return Number(/^zones\[(\d+)\]/.exec(issuePath)?.[1] ?? -1);
}

/**
 * The whole text of a file or an http(s) URL. Throws `ConfigError`
 * (`URND_ERR_CONFIG_READ`) at document path `at` when it cannot.
 */
async function readSource(source: string, timeoutMs: number, at: string): Promise<string> {
  return isUrlSource(source) ? fetchText(source, timeoutMs, at) : readTextFile(source, at);
}

async function readTextFile(file: string, at: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason =
      e.code === 'ENOENT'
        ? 'no such file'
        : e.code === 'EISDIR'
          ? 'is a directory'
          : e.code === 'EACCES'
            ? 'permission denied'
            : e.message;
    throw new ConfigError('URND_ERR_CONFIG_READ', [{ path: at, message: `cannot read ${file}: ${reason}` }], {
      cause: err,
    });
  }
}

async function fetchText(source: string, timeoutMs: number, at: string): Promise<string> {
  try {
    const res = await fetch(source, {
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'follow',
      headers: { accept: 'application/yaml, application/json, text/plain, */*' },
    });
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
    if (body.byteLength > MAX_CONFIG_BYTES)
      throw new Error(`${body.byteLength} bytes is above the ${MAX_CONFIG_BYTES}-byte limit`);
    if (length > 0 && body.byteLength !== length) throw new Error(`got ${body.byteLength} of ${length} bytes`);
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string; errors?: { code?: string }[] } };
    // fetch says only "fetch failed"; why (ECONNREFUSED, ENOTFOUND, …) is in its cause.
    const why = e.cause?.code ?? e.cause?.errors?.[0]?.code ?? e.cause?.message;
    const reason =
      e.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : e.message === 'fetch failed' && why !== undefined
          ? why
          : e.message;
    throw new ConfigError('URND_ERR_CONFIG_READ', [{ path: at, message: `cannot fetch ${source}: ${reason}` }], {
      cause: err,
    });
  }
}
