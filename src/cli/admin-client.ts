import { UrndError } from '../errors.js';

/** GET a JSON page of a running process's admin listener; URND_ERR_ADMIN_UNREACHABLE naming the address when nothing answers. */
export async function getAdminJson(
  address: { host: string; port: number },
  pathAndQuery: string,
): Promise<{ status: number; value: unknown }> {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  const url = `http://${host}:${address.port}${pathAndQuery}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    // fetch wraps the socket error: TypeError('fetch failed') → cause (an Error, or an AggregateError for several addresses) → code.
    const c = (err as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
    const cause = c?.code ?? c?.errors?.[0]?.code ?? c?.message ?? (err as Error).message;
    throw new UrndError(
      'URND_ERR_ADMIN_UNREACHABLE',
      `admin ${host}:${address.port}: ${cause} (is the process running with --admin ${host}:${address.port}?)`,
    );
  }
  const body = await res.text();
  if (!(res.headers.get('content-type') ?? '').startsWith('application/json')) {
    throw new UrndError(
      'URND_ERR_ADMIN_UNREACHABLE',
      `admin ${host}:${address.port}${pathAndQuery}: HTTP ${res.status}: ${body.trim()}`,
    );
  }
  return { status: res.status, value: JSON.parse(body) as unknown };
}
