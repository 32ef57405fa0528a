import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UrndError } from '../errors.js';

/** What a route sees of a request: the path and the query string. */
export interface AdminRequest {
  readonly path: string;
  readonly query: URLSearchParams;
}

/** What a route answers. */
export interface AdminResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string | Uint8Array;
}

export type AdminHandler = (req: AdminRequest) => AdminResponse | Promise<AdminResponse>;

/** A JSON response. */
export function json(status: number, value: unknown): AdminResponse {
  return { status, contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(value, null, 2)}\n` };
}

/** A plain-text response. */
export function text(status: number, body: string): AdminResponse {
  return { status, contentType: 'text/plain; charset=utf-8', body: body.endsWith('\n') ? body : `${body}\n` };
}

/**
 * The admin HTTP listener: a table of GET routes by exact path, on the
 * supervisor (main) thread. It holds no state of its own; each route reads
 * the tables when asked. Routes can be added while it runs (`route`), so
 * other modules plug their pages in without editing this file.
 */
export class AdminServer {
  private readonly routes = new Map<string, AdminHandler>();

  private constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
  ) {}

  /**
   * Listens on host:port (port 0: the OS picks; `port` says which). Rejects
   * with URND_ERR_ADMIN_LISTEN naming the address when it cannot bind.
   */
  static async start(listen: { readonly host: string; readonly port: number }): Promise<AdminServer> {
    let admin: AdminServer | null = null;
    const server = createServer((req, res) => {
      if (admin !== null) admin.handle(req, res);
    });
    // A scrape is small; a client that dribbles its request is cut, never waited on.
    server.requestTimeout = 10_000;
    server.headersTimeout = 5_000;
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        const where = listen.host.includes(':') ? `[${listen.host}]:${listen.port}` : `${listen.host}:${listen.port}`;
        // The fix is usually another address, so the line says how to give one.
        const why = err.code === 'EADDRINUSE' ? 'the address is in use' : (err.code ?? err.message);
        reject(
          new UrndError(
            'URND_ERR_ADMIN_LISTEN',
            `admin listen ${where}: ${why} (give --admin HOST:PORT, or --admin off)`,
          ),
        );
      };
      server.once('error', onError);
      server.listen(listen.port, listen.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    admin = new AdminServer(server, listen.host, port);
    return admin;
  }

  /** `127.0.0.1:9530` / `[::1]:9530`. */
  get address(): string {
    return this.host.includes(':') ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  /** Adds (or replaces) the handler of GET `path`. */
  route(path: string, handler: AdminHandler): void {
    this.routes.set(path, handler);
  }

  /** Paths served, in the order added. */
  get paths(): readonly string[] {
    return [...this.routes.keys()];
  }

  /** Stops listening and closes every connection. */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://admin');
    const handler = this.routes.get(url.pathname);
    const send = (r: AdminResponse) => {
      res.writeHead(r.status, { 'content-type': r.contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : r.body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(text(405, `${req.method ?? '?'} not allowed; the admin listener is read-only`));
      return;
    }
    if (handler === undefined) {
      send(text(404, `no such page: ${url.pathname} (pages: ${this.paths.join(' ')})`));
      return;
    }
    Promise.resolve()
      .then(() => handler({ path: url.pathname, query: url.searchParams }))
      .then(send, (err: unknown) =>
        send(
          text(
            err instanceof UrndError && err.code === 'URND_ERR_ARGUMENT' ? 400 : 500,
            err instanceof Error ? err.message : String(err),
          ),
        ),
      );
  }
}
