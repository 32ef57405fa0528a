import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RoleProcess } from './roles.js';

/** Whether a binary is on PATH (tests that need promtool / prometheus skip visibly without it). */
export function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** GET `url` → status and body (no redirects, 5 s timeout). */
export async function get(url: string): Promise<{ status: number; body: string; type: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}

/** A temp dir with `cell.yaml`: one http check and one A answer per host, all on `port`, in a multivalue set `pool.<zone>`. */
export function cellConfig(
  name: string,
  hosts: readonly string[],
  port: number,
  extra: readonly string[] = [],
): { dir: string; file: string; text: string } {
  const dir = mkdtempSync(path.join(tmpdir(), `urnd-${name}-`));
  const file = path.join(dir, 'cell.yaml');
  const text = [
    `cell: { name: ${name}, capacity: 64 }`,
    'checks:',
    ...hosts.map(
      (h, i) =>
        `  - { id: t${i}, slot: ${i}, type: http, host: ${h}, port: ${port}, interval: 1s, timeout: 500ms, failureThreshold: 1 }`,
    ),
    `zones: [{ origin: ${name}.test }]`,
    'records:',
    `  - name: pool.${name}.test`,
    '    type: A',
    '    policy: multivalue',
    '    answers:',
    ...hosts.map((h, i) => `      - { value: ${h}, check: t${i} }`),
    ...extra,
  ].join('\n');
  writeFileSync(file, text);
  return { dir, file, text };
}

/** `urnd serve` on an OS-picked DNS port and admin port; resolves once both are printed. */
export async function startServe(
  name: string,
  config: string,
  extraArgs: readonly string[] = [],
): Promise<{ proc: RoleProcess; admin: string; dnsPort: number }> {
  const proc = new RoleProcess(name, [
    'serve',
    '-c',
    config,
    '--dns-listen',
    '127.0.0.1:0',
    '--admin',
    '127.0.0.1:0',
    '--tick-ms',
    '250',
    ...extraArgs,
  ]);
  const dns = await proc.waitForLine(/DNS on 127\.0\.0\.1:(\d+)/, 20_000);
  const admin = await proc.waitForLine(/admin on (http:\/\/[\d.:]+)/, 20_000);
  return { proc, admin: admin[1] as string, dnsPort: Number(dns[1]) };
}

/** The value of the first sample line `series` (exact name and labels as printed) in an exposition, or null. */
export function sampleValue(exposition: string, series: string): number | null {
  for (const line of exposition.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return null;
}
