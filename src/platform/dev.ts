// `hactl dev` (what `npm start` runs): a dev server with a SQLite file and the Web UI, a worker
// for this host, and `hactl apply` of the config. Ctrl-C stops all of it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { BadInput } from '../core/errors';
import type { BaseConfig } from './config/load';
import { applyConfig, loadConfig } from './registry-api';
import { ensureTemporalCli } from './temporal/cli-binary';
import { codecFor } from './temporal/codec-config';
import { startCodecServer } from './temporal/codec-server';
import type { CodecServer } from './temporal/codec-server';
import { connectClient } from './temporal/connection';
import { checkPortFree, DEV_IP, startDevServer } from './temporal/dev-server';
import type { DevServer } from './temporal/dev-server';
import { workerProcessEnv } from './worker-process-env';

export interface DevOptions {
  configFile: string;
  port: number;
  uiPort: number;
  /** Where the codec server listens when the config encrypts payloads. */
  codecPort: number;
  dbFile: string;
  host?: string;
  dataDir: string;
  /** Script that runs hactl (so that the worker is the same build). */
  hactlScript: string;
}

/** The command line does not say enough (which host, say): exit 2. */
export class UsageError extends BadInput {}

/** The host this machine's worker serves in dev mode. */
export function chooseDevHost(config: BaseConfig, explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.HA_HOST) return process.env.HA_HOST;
  const names = config.hosts.map((h) => h.name);
  const me = os.hostname().split('.')[0]!;
  if (names.includes(me)) return me;
  if (names.length === 1) return names[0]!;
  throw new UsageError(
    `the config defines several hosts (${names.join(', ')}) and none is named like this machine ("${me}"); ` +
      `choose one with --host NAME or HA_HOST=NAME`,
  );
}

function prefixLines(stream: NodeJS.ReadableStream, prefix: string, out: NodeJS.WritableStream): void {
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      out.write(`${prefix}${buf.slice(0, i)}\n`);
      buf = buf.slice(i + 1);
    }
  });
  stream.on('end', () => {
    if (buf) out.write(`${prefix}${buf}\n`);
  });
}

export async function runDev(
  opts: DevOptions,
  log: (line: string) => void = (l) => console.log(l),
): Promise<number> {
  const config = loadConfig(opts.configFile);
  const host = chooseDevHost(config, opts.host);

  const cli = await ensureTemporalCli(log);
  await checkPortFree(opts.port, 'Temporal gRPC', '--port N or HA_TEMPORAL_PORT=N');
  await checkPortFree(opts.uiPort, 'Temporal Web UI', '--ui-port N or HA_UI_PORT=N');

  const serverLog = path.join(opts.dataDir, 'temporal-server.log');
  log(`Starting Temporal dev server (${cli.path}); state in ${opts.dbFile}, log in ${serverLog}`);
  let server: DevServer | undefined;
  let worker: ChildProcess | undefined;
  let codecServer: CodecServer | undefined;
  let stopping = false;
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => (resolveDone = r));

  const address = `${DEV_IP}:${opts.port}`;
  // The dev server takes plaintext: TLS settings and an API key in the environment are for the
  // user's real cluster, not for it.
  const { TEMPORAL_API_KEY: _apiKey, ...inherited } = process.env;
  const env = workerProcessEnv({
    ...inherited,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TLS: 'false',
    // The worker's own records (restore staging journal) stay with the dev server's data.
    HA_STATE_DIR: process.env.HA_STATE_DIR ?? path.join(opts.dataDir, 'state'),
  });

  const startWorker = (): void => {
    const args = [opts.hactlScript, 'worker', '--host', host, '--workflows', '--config', opts.configFile];
    const child = spawn(process.execPath, args, {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prefixLines(child.stdout, `[worker ${host}] `, process.stdout);
    prefixLines(child.stderr, `[worker ${host}] `, process.stderr);
    child.on('exit', (code, signal) => {
      if (stopping) return;
      log(`worker for ${host} exited (${code ?? signal}); restarting in 2s`);
      setTimeout(() => !stopping && startWorker(), 2000);
    });
    worker = child;
  };

  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log('Stopping worker and Temporal server ...');
    if (worker && worker.exitCode === null && worker.signalCode === null) {
      const exited = new Promise((r) => worker!.once('exit', r));
      worker.kill('SIGTERM');
      const t = setTimeout(() => worker?.kill('SIGKILL'), 40_000);
      await exited;
      clearTimeout(t);
    }
    await server?.stop();
    await codecServer?.close();
    log('Stopped.');
    resolveDone(code);
  };
  // `on`, not `once`: Ctrl-C reaches us twice (terminal + npm/bootstrap forwarding) and the
  // second must not kill us halfway through stopping the children.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void shutdown(0));

  try {
    // With encryption configured, the Web UI decodes payloads through a codec server of ours.
    const codec = codecFor(opts.configFile);
    if (codec) {
      codecServer = await startCodecServer({
        listen: `${DEV_IP}:${opts.codecPort}`,
        codec,
        origins: [`http://${DEV_IP}:${opts.uiPort}`, `http://localhost:${opts.uiPort}`],
      });
      log(`Codec server:     ${codecServer.url} (the Web UI decodes encrypted payloads through it)`);
    }
    server = await startDevServer({
      bin: cli.path,
      port: opts.port,
      uiPort: opts.uiPort,
      ...(codecServer ? { uiCodecEndpoint: codecServer.url } : {}),
      dbFile: opts.dbFile,
      logFile: serverLog,
    });
    server.process.once('exit', (code, signal) => {
      if (stopping) return;
      log(`Temporal server exited unexpectedly (${code ?? signal}); see ${serverLog}`);
      void shutdown(1);
    });
    startWorker();

    const conn = await connectClient({
      address,
      namespace: 'default',
      config: opts.configFile,
      plaintext: true,
    });
    try {
      const result = await applyConfig(conn.client, config);
      log(
        `Applied ${opts.configFile}: ${result.created.length} created, ${result.updated.length} updated, ` +
          `${result.deleted.length} deleted, ${result.unchanged.length} unchanged`,
      );
      for (const c of result.conflicts) log(`conflict: ${c}`);
    } finally {
      await conn.close();
    }
    log('');
    log(`Temporal Web UI:  ${server.uiUrl}`);
    log(`Temporal gRPC:    ${address}  (namespace "default")`);
    log(`Worker host:      ${host}`);
    log(
      `Try:              npx hactl status   |   npx hactl hosts   |   ${cli.source === 'PATH' ? 'temporal' : cli.path} schedule list`,
    );
    log('Press Ctrl-C to stop.');
  } catch (err) {
    await shutdown(1);
    throw err;
  }
  return done;
}
