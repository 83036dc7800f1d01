// A webhook receiver on loopback for the notification tests: records every request (also the
// ones it refuses), and answers what the test says: 200, an error status, or late.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookPayload } from '../../src/alerts/model/types';

export interface Received {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: WebhookPayload;
  /** The status it was answered with. */
  status: number;
}

export interface TestReceiver {
  url: string;
  received: Received[];
  /** Accepted notifications only. */
  accepted(): Received[];
  /** What the next requests get: a status, and an optional delay before answering. */
  respond: (req: { path: string; body: WebhookPayload }) => { status: number; delayMs?: number };
  close(): Promise<void>;
}

export async function startReceiver(): Promise<TestReceiver> {
  const received: Received[] = [];
  const r: TestReceiver = {
    url: '',
    received,
    accepted: () => received.filter((x) => x.status >= 200 && x.status < 300),
    respond: () => ({ status: 200 }),
    close: () => new Promise((res) => server.close(() => res())),
  };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      let body: WebhookPayload;
      try {
        body = JSON.parse(raw) as WebhookPayload;
      } catch {
        res.writeHead(400).end('not JSON');
        return;
      }
      const { status, delayMs } = r.respond({ path: req.url ?? '/', body });
      const answer = (): void => {
        received.push({ at: Date.now(), path: req.url ?? '/', headers: req.headers, raw, body, status });
        res.writeHead(status, { 'Content-Type': 'text/plain' }).end(status < 300 ? 'ok' : 'not now');
      };
      if (delayMs) setTimeout(answer, delayMs);
      else answer();
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return r;
}
