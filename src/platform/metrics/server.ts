// The HTTP endpoint of the state metrics: GET /metrics in the Prometheus text format. Nothing
// else is served (/ says where to look); scrapes share one cached gathering (see state.ts).
import * as http from 'node:http';
import { parseHostPort as parseListenFlag, listenHttp } from '../http-listen';
import { CONTENT_TYPE } from './exposition';
import type { StateExporter } from './state';

export const METRICS_PATH = '/metrics';

/** HOST:PORT ([::1]:PORT for IPv6) of a flag; port 0 lets the system choose. */
export function parseHostPort(text: string, flag: string): { host: string; port: number } {
  return parseListenFlag(text, flag, 9465);
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
  const base = await listenHttp(server, opts.listen, host, port);
  return {
    url: `${base}${METRICS_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
