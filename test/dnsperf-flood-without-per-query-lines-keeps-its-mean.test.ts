import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuPlan } from '../bench/dns-overload-cpus.js';
import { dnsperfVersion, runDnsperf } from '../bench/dns-load.js';

/**
 * The overload benchmark floods without dnsperf's per-query lines (writing
 * them cost dnsperf more than sending) and takes the flood's mean latency
 * from dnsperf's own summary; a probe with the lines gives percentiles.
 * Both, against a real UDP responder: the summary's mean is read, and it
 * agrees with the mean of the per-query lines when they are printed.
 */
const hasDnsperf = (await dnsperfVersion()) !== null;

describe.skipIf(!hasDnsperf)('dnsperf summary and per-query lines', () => {
  let server: dgram.Socket;
  let port = 0;
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'urnd-dnsperf-mean-'));
    writeFileSync(path.join(dir, 'q.txt'), 'a.test A\n');
    server = dgram.createSocket('udp4');
    // Echo the query back as a NOERROR response (QR set): dnsperf counts it answered.
    server.on('message', (msg, rinfo) => {
      msg[2] = ((msg[2] as number) | 0x80) & 0xff;
      server.send(msg, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    port = server.address().port;
  });
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (perQueryLines: boolean) => {
    const plan = cpuPlan();
    return runDnsperf({
      spec: {
        host: '127.0.0.1',
        port,
        mode: 'rate',
        rate: 2000,
        outstanding: 100,
        durationMs: 500,
        maxQueries: 1000,
        timeoutMs: 500,
        names: ['a.test'],
      },
      queryFile: path.join(dir, 'q.txt'),
      verboseFile: path.join(dir, perQueryLines ? 'lines.out' : 'flood.out'),
      perQueryLines,
      ...(plan.pinned ? { cpus: plan.loader } : {}),
    });
  };

  it('reads the mean from the summary when no per-query lines are printed', async () => {
    const r = await run(false);
    expect(r.completed).toBeGreaterThan(900);
    expect(r.avgLatencyMs).not.toBeNull();
    expect(r.avgLatencyMs as number).toBeGreaterThan(0);
    expect(r.avgLatencyMs as number).toBeLessThan(500);
    const h = hdr.decodeFromCompressedBase64(r.histogram as string);
    expect(h.totalCount).toBe(0);
    h.destroy();
  });

  it("the summary's mean agrees with the per-query lines' mean", async () => {
    const r = await run(true);
    const h = hdr.decodeFromCompressedBase64(r.histogram as string);
    expect(h.totalCount).toBe(r.completed);
    const linesMeanMs = h.mean / 1000;
    h.destroy();
    // Lines round to the µs and the histogram keeps 3 digits: a few per cent, plus a µs or two.
    expect(Math.abs((r.avgLatencyMs as number) - linesMeanMs)).toBeLessThan(linesMeanMs * 0.05 + 0.002);
  });
});
