import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../src/config/index.js';
import { ConfigError } from '../src/errors.js';
import { MAX_LIST_ITEMS, MAX_MAPPING_FIELDS } from '../src/config/load.js';

/**
 * Documents of hostile shapes — nesting millions of levels deep, one 10 MB
 * string, more fields than any mapping holds, more items than any list —
 * are rejected with one short problem each: no stack overflow, no problem
 * per item, no 10 MB value echoed back. (Their time and memory at 10 MB are
 * the config benchmark's rows.)
 */
const MB10 = 10 << 20;
const head = 'cell: { name: hostile }\n';

function rejection(text: string): ConfigError {
  try {
    parseConfigText(text, 'hostile.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err; // a RangeError (stack overflow) or anything else fails the test
  }
  throw new Error('accepted');
}

function expectOneShortLine(e: ConfigError, code: string, pattern: RegExp): void {
  expect(e.code).toBe(code);
  expect(e.issues).toHaveLength(1);
  expect(e.message.split('\n')).toHaveLength(1);
  expect(e.message.length).toBeLessThan(300);
  expect(e.message).toMatch(pattern);
}

describe('hostile document shapes', () => {
  it('lists nested 5 million deep: a parse error at the depth limit', () => {
    const n = MB10 / 2;
    const e = rejection(`${head}checks: ${'['.repeat(n)}${']'.repeat(n)}\n`);
    expectOneShortLine(e, 'URND_ERR_CONFIG_PARSE', /hostile\.yaml:2:\d+: nesting exceeded maxDepth/);
  });

  it('mappings nested by indentation: a parse error at the depth limit', () => {
    const lines: string[] = [];
    for (let d = 0; d < 3000; d++) lines.push(`${' '.repeat(d)}k:`);
    const e = rejection(`${head}${lines.join('\n')} 0\n`);
    expectOneShortLine(e, 'URND_ERR_CONFIG_PARSE', /nesting exceeded maxDepth/);
  });

  it('one 10 MB string: the problem quotes its first characters only', () => {
    const e = rejection(`${head}zones: [{ origin: "${'x'.repeat(MB10)}" }]\n`);
    expectOneShortLine(e, 'URND_ERR_CONFIG_INVALID', /zones\[0\]\.origin: "x{10,60}\.\.\." is not a valid DNS name/);
  });

  it('more fields than any mapping holds: one problem, not one per key', () => {
    const keys = Array.from({ length: MAX_MAPPING_FIELDS + 1 }, (_, i) => `k${i}: 0`).join('\n');
    const e = rejection(`${head}${keys}\n`);
    expectOneShortLine(e, 'URND_ERR_CONFIG_INVALID', /a mapping of 100002 fields at the top level/);
  });

  it('more items than any list holds, or more checks than the capacity: one problem', () => {
    const huge = rejection(`${head}records: [${'0,'.repeat(MAX_LIST_ITEMS)}0]\n`);
    expectOneShortLine(huge, 'URND_ERR_CONFIG_INVALID', /^.*records: a list of 1048577 items/);
    const beyond = rejection(`${head}checks: [${'0,'.repeat(20_000)}0]\n`);
    expectOneShortLine(beyond, 'URND_ERR_CONFIG_INVALID', /checks: 20001 checks do not fit the cell capacity 16384/);
  });
});
