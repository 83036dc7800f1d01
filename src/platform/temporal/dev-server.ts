// Starts `temporal server start-dev` as a child process bound to 127.0.0.1 and waits until it
// answers. Used by `hactl dev` (SQLite file, Web UI) and by the test suite (free ports).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { OperationFailed } from '../../core/errors';
import { SEARCH_ATTRIBUTE_TYPES } from '../../core/search-attributes';
import { ensureSearchAttributes } from './search-attributes';

export const DEV_IP = '127.0.0.1';

/**
 * Dynamic config the dev server runs with (deploy/temporal/dynamicconfig.yaml has the same):
 * worker heartbeats, so that `hactl hosts` can list live workers; and the history shard's
 * transfer queue read without its default cap of 20 reads a second. The dev server has one
 * shard, so that cap put ~40 ms before every activity and workflow task of the whole server
 * (a no-op activity took 100 ms round trip; 15 ms without it). The cap bounds reads, not work:
 * an idle server reads no more often than before.
 */
export const DEV_DYNAMIC_CONFIG = [
  // One partition per task queue (the server's default is four): on one server node they add
  // no throughput, and a host queue has one worker, so a task put into a partition where that
  // worker is not polling is written to the store and forwarded instead of handed over.
  'matching.numTaskqueueReadPartitions=1',
  'matching.numTaskqueueWritePartitions=1',
  'frontend.WorkerHeartbeatsEnabled=true',
  'frontend.ListWorkersEnabled=true',
  'history.transferProcessorMaxPollRPS=1000',
  'history.visibilityProcessorMaxPollRPS=1000',
  // Controllers keep their view in the memo (a host's snapshot is a few KiB); the server logs
  // a warning for every memo write above 2 KiB by default.
  'limit.memoSize.warn=65536',
];

/** The port is taken (exit 1). */
export class PortBusy extends OperationFailed {
  constructor(
    readonly port: number,
    what: string,
    howToChange: string,
  ) {
    super(
      `port ${port} (${what}) is already in use on ${DEV_IP}; stop what is using it, or choose another with ${howToChange}`,
    );
  }
}

/** Resolves when nothing listens on 127.0.0.1:port; rejects with PortBusy otherwise. */
export function checkPortFree(port: number, what: string, howToChange: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') reject(new PortBusy(port, what, howToChange));
      else reject(err);
    });
    srv.listen({ host: DEV_IP, port, exclusive: true }, () => srv.close(() => resolve()));
  });
}

/** A port the kernel says is free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ host: DEV_IP, port: 0 }, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface DevServerOptions {
  bin: string;
  port: number;
  /** Omit for a headless server. */
  uiPort?: number;
  /** A codec server the Web UI decodes payloads through. */
  uiCodecEndpoint?: string;
  /** SQLite file; omit for an in-memory server. */
  dbFile?: string;
  /** Extra namespaces created at launch ("default" always exists). */
  namespaces?: string[];
  /** Where the server's own output goes. */
  logFile?: string;
  readyTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const args = ['server', 'start-dev', '--ip', DEV_IP, '--port', String(opts.port), '--log-level', 'warn'];
  if (opts.uiPort !== undefined) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  if (opts.dbFile) {
    mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    // Write-ahead log instead of SQLite's default rollback journal: each commit is one append
    // and one fsync of the log instead of a journal file written, synced and deleted around
    // every write. Still synchronous=FULL (a commit the server acknowledged survives a power
    // loss). Measured: a workflow start and a signal took 25.5 ms, 9.4 ms with the log.
    args.push('--db-filename', opts.dbFile, '--sqlite-pragma', 'journal_mode=wal');
  }
  for (const ns of opts.namespaces ?? []) args.push('--namespace', ns);
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_TYPES))
    args.push('--search-attribute', `${name}=${type}`);
  for (const kv of DEV_DYNAMIC_CONFIG) args.push('--dynamic-config-value', kv);

  let out: number | 'ignore' = 'ignore';
  if (opts.logFile) {
    mkdirSync(path.dirname(opts.logFile), { recursive: true });
    out = openSync(opts.logFile, 'a');
  }
  const child = spawn(opts.bin, args, { stdio: ['ignore', out, out] });
  if (typeof out === 'number') closeSync(out);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );
  child.once('error', () => undefined);

  const address = `${DEV_IP}:${opts.port}`;
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exitPromise;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      throw new Error(
        `temporal server start-dev exited (${exited.code ?? exited.signal}) before it was ready` +
          (opts.logFile ? `; see ${opts.logFile}` : ''),
      );
    }
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.describeNamespace({ namespace: 'default' });
        for (const ns of ['default', ...(opts.namespaces ?? [])]) {
          await conn.workflowService.describeNamespace({ namespace: ns });
          await ensureSearchAttributes(conn, ns);
        }
      } finally {
        await conn.close();
      }
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`temporal dev server at ${address} not ready in time: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  return {
    address,
    ...(opts.uiPort !== undefined ? { uiUrl: `http://${DEV_IP}:${opts.uiPort}` } : {}),
    process: child,
    stop,
  };
}
