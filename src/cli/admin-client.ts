import http from 'node:http';
import { UrndError } from '../errors.js';

/** How long a page may take before the process counts as unreachable. */
const ADMIN_TIMEOUT_MS = 5000;

/**
 * GET a JSON page of a running process's admin listener; URND_ERR_ADMIN_UNREACHABLE naming the address when nothing answers.
 * node:http, not fetch: fetch refuses the ports the Fetch standard blocks (6000, 6665–6669, 1, …)
 * as "bad port", while the admin listener binds any port, so `urnd status` could not reach a process that is there.
 */
export async function getAdminJson(
  address: { host: string; port: number },
  pathAndQuery: string,
): Promise<{ status: number; value: unknown }> {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  let res: { status: number; contentType: string; body: string };
  try {
    res = await new Promise((resolve, reject) => {
      const req = http.get(
        { host: address.host, port: address.port, path: pathAndQuery, signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS) },
        (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () =>
            resolve({
              status: r.statusCode ?? 0,
              contentType: r.headers['content-type'] ?? '',
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          r.on('error', reject);
        },
      );
      req.on('error', reject);
    });
  } catch (err) {
    // A refused connection has a code; one to a name with several addresses is an AggregateError of them.
    const e = err as { name?: string; code?: string; message?: string; errors?: { code?: string }[] };
    const cause =
      e.name === 'AbortError' || e.name === 'TimeoutError'
        ? `no answer within ${ADMIN_TIMEOUT_MS / 1000} s`
        : (e.code ?? e.errors?.[0]?.code ?? e.message);
    throw new UrndError(
      'URND_ERR_ADMIN_UNREACHABLE',
      `admin ${host}:${address.port}: ${cause} (is the process running with --admin ${host}:${address.port}?)`,
    );
  }
  if (!res.contentType.startsWith('application/json')) {
    throw new UrndError(
      'URND_ERR_ADMIN_UNREACHABLE',
      `admin ${host}:${address.port}${pathAndQuery}: HTTP ${res.status}: ${res.body.trim()}`,
    );
  }
  return { status: res.status, value: JSON.parse(res.body) as unknown };
}
