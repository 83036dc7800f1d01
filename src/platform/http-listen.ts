// The small HTTP servers of hactl (codec server, state metrics): one way to read a HOST:PORT flag
// and to start listening, with the same messages.
import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BadInput, OperationFailed } from '../core/errors';

/** HOST:PORT ([::1]:PORT for IPv6) of a flag; port 0 lets the system choose. */
export function parseHostPort(
  text: string,
  flag: string,
  examplePort: number,
): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65535)
    throw new BadInput(
      `${flag} ${text}: expected HOST:PORT, like 127.0.0.1:${examplePort} or [::1]:${examplePort}`,
    );
  return { host: m[1] ?? m[2]!, port };
}

/** Listens; resolves to `http://host:port` with the port really bound. `listen` is for messages. */
export async function listenHttp(
  server: http.Server,
  listen: string,
  host: string,
  port: number,
): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new OperationFailed(
          `cannot listen on ${listen}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`,
        ),
      ),
    );
    server.listen({ host, port }, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
}
