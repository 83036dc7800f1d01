// A codec server: the Temporal Web UI and `temporal --codec-endpoint` send it the payloads they
// show or send, and it runs them through our codec. Protocol (docs.temporal.io/codec-server):
// `POST .../encode` and `POST .../decode` (only the last path segment counts, so
// `/{namespace}/decode` works), body and answer `{"payloads":[{"metadata":{"k":"<base64>"},
// "data":"<base64>"}]}` (Payloads in proto3 JSON), 400 for bad JSON or a codec error. One key set
// serves every namespace, so the X-Namespace header is accepted and ignored.
//
// Anyone who can reach it can decrypt what they can read from the Temporal server: listen on
// loopback, or set a token (the CLI sends it with --codec-auth "Bearer <token>") or an
// authenticating proxy in front.
import { createHash, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { BadInput } from '../../core/errors';
import { isBase64 } from './codec';
import { listenHttp, parseHostPort } from '../http-listen';

/** Where `temporal server start-dev` serves the Web UI; the UI is reached under either name. */
export const DEFAULT_UI_ORIGINS: readonly string[] = ['http://127.0.0.1:8233', 'http://localhost:8233'];
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
const SHAPE = '{"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}';

export interface CodecServerOptions {
  /** `host:port` (`[::1]:8081` for IPv6); port 0 picks a free one. */
  listen: string;
  codec: PayloadCodec;
  /** Browser origins allowed to call it (`*`: any but "null"). Default: the dev server's Web UI. */
  origins?: readonly string[];
  /** When set, every POST needs `Authorization: Bearer <token>`. */
  token?: string;
  maxBodyBytes?: number;
  /** Where refused codec calls and internal errors are reported. */
  log?: (line: string) => void;
}

export interface CodecServer {
  url: string;
  origins: readonly string[];
  close(): Promise<void>;
}

export function parseListen(text: string): { host: string; port: number } {
  return parseHostPort(text, '--listen', 8081);
}

/** An origin as browsers send it (`scheme://host[:port]`), or `*`. */
export function parseOrigin(text: string): string {
  if (text === '*') return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BadInput(`--origin ${text}: not a URL; expected an origin like http://localhost:8233`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new BadInput(`--origin ${text}: only http and https origins exist for the Web UI`);
  if (url.pathname !== '/' || url.search || url.hash || url.username)
    throw new BadInput(`--origin ${text}: an origin has no path; did you mean ${url.origin}?`);
  return url.origin;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Settings {
  codec: PayloadCodec;
  origins: readonly string[];
  tokenHash?: Buffer;
  maxBodyBytes: number;
  log: (line: string) => void;
}

export async function startCodecServer(opts: CodecServerOptions): Promise<CodecServer> {
  const { host, port } = parseListen(opts.listen);
  const origins = (opts.origins ?? DEFAULT_UI_ORIGINS).map(parseOrigin);
  if (opts.token !== undefined && opts.token.trim() === '') throw new BadInput('codec server token is empty');
  const settings: Settings = {
    codec: opts.codec,
    origins,
    ...(opts.token !== undefined ? { tokenHash: sha256(opts.token) } : {}),
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    log: opts.log ?? (() => undefined),
  };
  const server = http.createServer((req, res) => void serve(req, res, settings));
  const url = await listenHttp(server, opts.listen, host, port);
  return {
    url,
    origins,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
        // A request still being answered gets a moment; a stalled client does not hold us.
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}

async function serve(req: http.IncomingMessage, res: http.ServerResponse, s: Settings): Promise<void> {
  try {
    await handle(req, res, s);
  } catch (err) {
    if (err instanceof HttpError) return reply(res, err.status, err.message);
    s.log(`codec server: ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}`);
    reply(res, 500, 'internal error; see the codec server log');
  }
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, s: Settings): Promise<void> {
  res.setHeader('Vary', 'Origin');
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (!originAllowed(origin, s.origins))
      throw new HttpError(
        403,
        `origin ${origin} is not allowed; start the codec server with --origin ${origin}`,
      );
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
  }
  const op = endpoint(req.url ?? '/');
  if (!op) throw new HttpError(404, 'no such endpoint; POST to /encode or /decode (or /<namespace>/decode)');
  if (req.method === 'OPTIONS') {
    res.setHeader('Allow', 'POST, OPTIONS');
    if (origin !== undefined) {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      res.setHeader('Access-Control-Max-Age', '600');
    }
    res.writeHead(204).end();
    return;
  }
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST, OPTIONS');
    throw new HttpError(405, `${req.method} is not allowed; POST a JSON body ${SHAPE}`);
  }
  if (s.tokenHash && !bearerMatches(req.headers.authorization, s.tokenHash)) {
    res.setHeader('WWW-Authenticate', 'Bearer');
    throw new HttpError(401, 'missing or wrong token; send Authorization: Bearer <token>');
  }
  const payloads = payloadsFromJson(await readJson(req, s.maxBodyBytes));
  let out: Payload[];
  try {
    out = await s.codec[op](payloads);
  } catch (err) {
    // The protocol's answer to a codec error; our codec's messages name keys by ID only.
    const why = err instanceof Error ? err.message : String(err);
    s.log(`codec server: ${op} refused: ${why}`);
    throw new HttpError(400, `${op} failed: ${why}`);
  }
  const body = JSON.stringify({ payloads: out.map(payloadToJson) });
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
}

function originAllowed(origin: string, allowed: readonly string[]): boolean {
  // "null" is what sandboxed frames and file:// pages send: never trusted with credentials.
  if (allowed.includes('*')) return origin !== 'null';
  return allowed.includes(origin);
}

function endpoint(url: string): 'encode' | 'decode' | undefined {
  const last = new URL(url, 'http://x').pathname.replace(/\/+$/, '').split('/').pop();
  return last === 'encode' || last === 'decode' ? last : undefined;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares hashes, so neither the content nor the length of the token leaks through timing. */
function bearerMatches(header: string | undefined, tokenHash: Buffer): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m !== null && timingSafeEqual(sha256(m[1]!), tokenHash);
}

function reply(res: http.ServerResponse, status: number, message: string): void {
  if (res.headersSent) return void res.destroy();
  const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'text/plain; charset=utf-8' };
  // The rest of a refused body is not worth reading.
  if (status === 413) headers.Connection = 'close';
  res.writeHead(status, headers).end(`${message}\n`);
}

async function readJson(req: http.IncomingMessage, limit: number): Promise<unknown> {
  const tooBig = new HttpError(413, `request body over ${limit} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > limit) throw tooBig;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooBig;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, `request body is not valid JSON; expected ${SHAPE}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Proto3 JSON of Payloads: absent or null means empty, unknown fields are ignored (as the SDK does). */
function payloadsFromJson(doc: unknown): Payload[] {
  if (!isObject(doc)) throw new HttpError(400, `expected ${SHAPE}`);
  const list = doc.payloads ?? [];
  if (!Array.isArray(list)) throw new HttpError(400, `"payloads" is not an array; expected ${SHAPE}`);
  return list.map((p: unknown, i) => payloadFromJson(p, `payloads[${i}]`));
}

function payloadFromJson(p: unknown, at: string): Payload {
  if (!isObject(p)) throw new HttpError(400, `${at}: expected {"metadata":{...},"data":"<base64>"}`);
  if (p.metadata != null && !isObject(p.metadata))
    throw new HttpError(400, `${at}.metadata: expected an object of base64 strings`);
  const metadata = Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, bytes(v, `${at}.metadata.${k}`)]),
  );
  return { metadata, data: bytes(p.data ?? '', `${at}.data`) };
}

function bytes(v: unknown, at: string): Buffer {
  if (typeof v !== 'string' || !isBase64(v)) throw new HttpError(400, `${at}: not a base64 string`);
  return Buffer.from(v, 'base64');
}

/** Always both fields, standard base64 with padding: what every proto3 JSON reader accepts. */
export function payloadToJson(p: Payload): { metadata: Record<string, string>; data: string } {
  const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
    data: b64(p.data ?? new Uint8Array()),
  };
}
