import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';

/** `urnd report` as a real process over .hgrm files written by hdr-histogram-js. */
const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

function hgrm(dir: string, name: string, value: number): string {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 1e9, numberOfSignificantValueDigits: 3 });
  for (let i = 0; i < 500; i++) h.recordValue(value);
  const file = path.join(dir, `${name}.hgrm`);
  writeFileSync(file, h.outputPercentileDistribution(5, 1));
  h.destroy();
  return file;
}

describe('urnd report', () => {
  it('prints the table with ratios to the first file and writes the SVG', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'urnd-report-'));
    const a = hgrm(dir, 'healthy', 100);
    const b = hgrm(dir, 'all-down', 110);
    const svg = path.join(dir, 'p.svg');
    const out = execFileSync(process.execPath, [cli, 'report', a, b, '--svg', svg, '--unit', 'µs'], {
      encoding: 'utf8',
    });
    expect(out).toContain('| healthy | 500 | 100 | 100 | 100 | 100 | 1.000 | 1.000 |');
    expect(out).toContain('| all-down | 500 | 110 | 110 | 110 | 110 | 1.100 | 1.100 |');
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg[\s\S]*all-down[\s\S]*<\/svg>\n$/);
  });

  it('names a file that is not a histogram, exit 1; no files, exit 2', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'urnd-report-'));
    const bad = path.join(dir, 'x.hgrm');
    writeFileSync(bad, 'not a histogram\n');
    const r = spawnSync(process.execPath, [cli, 'report', bad], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${bad}: no percentile rows`);
    expect(spawnSync(process.execPath, [cli, 'report'], { encoding: 'utf8' }).status).toBe(2);
  });
});
