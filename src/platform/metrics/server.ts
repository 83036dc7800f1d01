// The HTTP endpoint of the state metrics: GET /metrics in the Prometheus text format. Nothing
// else is served (/ says where to look); scrapes share one cached gathering (see state.ts).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BadInput, OperationFailed } from '../../core/errors';
import { CONTENT_TYPE } from './exposition';
import type { StateExporter } from './state';

export const METRICS_PATH = '/metrics';

/** HOST:PORT ([::1]:PORT for IPv6) of a flag; port 0 lets the system choose. */
export function parseHostPort(text: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65535)
    throw new BadInput(`${flag} ${text}: expected HOST:PORT, like 127.0.0.1:9465 or [::1]:9465`);
  return { host: m[1] ?? m[2]!, port };
}

export interface MetricsServer {
  /** http://host:port/metrics, with the port it really listens on. */
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(opts: {
  listen: string;
  exporter: StateExporter;
  flag?: string;
  log?: (line: string) => void;
}): Promise<MetricsServer> {
  const { host, port } = parseHostPort(opts.listen, opts.flag ?? '--listen');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('use GET\n');
      return;
    }
    if (url.pathname === '/') {
      res
        .writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
        .end(`ha-orchestrator state metrics: ${METRICS_PATH}\n`);
      return;
    }
    if (url.pathname !== METRICS_PATH) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end(`not found; the metrics are at ${METRICS_PATH}\n`);
      return;
    }
    opts.exporter.scrape().then(
      (text) =>
        res.writeHead(200, { 'content-type': CONTENT_TYPE }).end(req.method === 'HEAD' ? undefined : text),
      (err: unknown) => {
        opts.log?.(`rendering the metrics failed: ${err instanceof Error ? err.stack : String(err)}`);
        res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error; see the log\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new OperationFailed(
          `cannot listen on ${opts.listen}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`,
        ),
      ),
    );
    server.listen({ host, port }, resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${actual}${METRICS_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
