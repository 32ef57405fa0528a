import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HEADLINES, updateReadme } from '../bench/readme.js';

/**
 * The README's benchmark table is generated from summary.json, whose
 * scenarios may come from runs on different Node lines: each figure's row
 * names the Node its scenario ran on, and the footer names every run's.
 */
describe('README benchmark table', () => {
  it('shows each figure with the Node version of the run it came from', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'urnd-readme-'));
    try {
      const readme = path.join(dir, 'README.md');
      const summary = path.join(dir, 'summary.json');
      writeFileSync(readme, '# x\n\n<!-- bench:start -->\nold\n<!-- bench:end -->\n\nafter\n');
      writeFileSync(
        summary,
        JSON.stringify({
          resolve: {
            _commit: 'aaa',
            _date: '2026-12-01T00:00:00Z',
            _quick: false,
            _node: 'v24.22.3',
            weighted8_resolves_per_sec_healthy: 12_345_678,
          },
          'mass-failure': {
            _commit: 'bbb',
            _date: '2026-12-02T00:00:00Z',
            _quick: true,
            _node: 'v20.20.2',
            all_down_p99_ratio: 0.99,
          },
        }),
      );
      expect(updateReadme(readme, summary)).toBe(true);
      const text = readFileSync(readme, 'utf8');
      const row = (label: string) => text.split('\n').find((l) => l.startsWith(`| ${label} |`));
      const label = (scenario: string, key: string) =>
        HEADLINES.find((h) => h.scenario === scenario && h.key === key)?.label as string;
      expect(row(label('resolve', 'weighted8_resolves_per_sec_healthy'))).toBe(
        `| ${label('resolve', 'weighted8_resolves_per_sec_healthy')} | 12,345,678 | v24.22.3 | ≥ 10,000,000 |`,
      );
      expect(row(label('mass-failure', 'all_down_p99_ratio'))).toBe(
        `| ${label('mass-failure', 'all_down_p99_ratio')} | 0.99 | v20.20.2 | ≤ 1.1 |`,
      );
      // A scenario not in the summary has no figure and so no Node.
      expect(row(label('dns', 'urnd_vs_bare_ratio'))).toBe(
        `| ${label('dns', 'urnd_vs_bare_ratio')} | not measured yet |  | ≥ 0.8 |`,
      );
      expect(text).toContain('(commit aaa, Node v24.22.3)');
      expect(text).toContain('(commit bbb, Node v20.20.2, quick)');
      expect(text).not.toContain('\nold\n');
      expect(text.endsWith('<!-- bench:end -->\n\nafter\n')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
