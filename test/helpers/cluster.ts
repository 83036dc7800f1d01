// A real Temporal cluster on this machine, from the files users deploy: the Temporal server and
// its SQL tool built with Go at the dev server's version, PostgreSQL from Debian, the schemas set
// up by deploy/temporal/setup-schema.sh, N server nodes (all services each) on their own loopback
// addresses rendering deploy/temporal/config/base.yaml, and HAProxy (deploy/haproxy/haproxy.cfg)
// in front of their frontends. Used by `npm run test:cluster` and the fleet bench.
// With `tls`, the frontends take mTLS (base.yaml's TEMPORAL_TLS_FRONTEND_*) and there is no
// HAProxy: its gRPC balancing is HTTP/2 in cleartext, so clients go to node1's frontend directly.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as net from 'node:net';
import * as path from 'node:path';
import { findGo } from '../../src/platform/temporal/cli-binary';
import { ensureGoTool } from './go-tools';
import type { GoTool } from './go-tools';
import { asPostgres, ensurePostgres, makeServer, psql } from './postgres';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const DEPLOY = path.join(ROOT, 'deploy');

export const TEMPORAL_SERVER: GoTool = {
  name: 'temporal-server',
  version: 'v1.29.1',
  modules: ['go.temporal.io/server/cmd/server', 'go.temporal.io/server/cmd/tools/sql'],
  env: 'TEMPORAL_SERVER_DIR',
  why: 'the cluster tests and the fleet bench run a real Temporal cluster on PostgreSQL',
};

export interface ClusterNode {
  name: string;
  ip: string;
  /** This node's own frontend (host:port). */
  frontend: string;
  log: string;
  pid(): number | undefined;
  running(): boolean;
  /** SIGKILL: no goodbye to the ring, shards move after failure detection. */
  kill(): Promise<void>;
  start(): Promise<void>;
}

export interface TemporalCluster {
  /** What clients and workers use: the load balancer (with `tls`, node1's frontend). */
  address: string;
  nodes: ClusterNode[];
  pg: { bin: string; dir: string; port: number };
  temporalCli: string;
  /** SQL against the main database (`psql -tA` output). */
  sql(query: string): string;
  createNamespace(name: string): void;
  stop(): Promise<void>;
}

/** A port free on every one of these addresses, below `max` (membership ports are a smallint). */
async function freePortOn(
  ips: string[],
  min = 20000,
  max = 32000,
  taken = new Set<number>(),
): Promise<number> {
  const tryBind = (ip: string, port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen({ host: ip, port, exclusive: true }, () => srv.close(() => resolve(true)));
    });
  for (let i = 0; i < 500; i++) {
    const port = min + Math.floor(Math.random() * (max - min));
    if (taken.has(port)) continue;
    let ok = true;
    for (const ip of ips) if (!(await tryBind(ip, port))) ok = false;
    if (ok) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no free port between ${min} and ${max} on ${ips.join(', ')}`);
}

/** HAProxy from Debian (installed with apt-get when missing and we are root). */
export function ensureHaproxy(log: (line: string) => void): string {
  const find = (): string | undefined =>
    ['/usr/sbin/haproxy', '/usr/bin/haproxy'].find((p) => spawnSync(p, ['-v']).status === 0);
  let bin = find();
  if (bin) return bin;
  if (process.getuid?.() !== 0)
    throw new Error('HAProxy is not installed and installing it needs root (apt-get install haproxy)');
  log('installing HAProxy (apt-get install haproxy) ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore', env });
  const r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'haproxy'], {
    encoding: 'utf8',
    env,
  });
  bin = find();
  if (!bin) throw new Error(`apt-get install haproxy failed: ${(r.stderr || r.stdout).slice(-400)}`);
  return bin;
}

/** schema/postgresql/v12 of the server module, from the Go module cache (downloaded if need be). */
function schemaDir(version: string): string {
  const go = findGo();
  if (!go) throw new Error('Go is needed to find the Temporal server module (its schema files)');
  const r = spawnSync(go, ['mod', 'download', '-json', `go.temporal.io/server@${version}`], {
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  if (r.status !== 0)
    throw new Error(`go mod download go.temporal.io/server@${version}: ${r.stderr || r.stdout}`);
  return path.join((JSON.parse(r.stdout) as { Dir: string }).Dir, 'schema', 'postgresql', 'v12');
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

async function waitServing(
  cli: string,
  address: string,
  timeoutMs: number,
  why: () => string,
  cliArgs: string[] = [],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = spawnSync(cli, ['operator', 'cluster', 'health', '--address', address, ...cliArgs], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    if (r.status === 0 && r.stdout.includes('SERVING')) return;
    const fatal = why();
    if (fatal) throw new Error(fatal);
    if (Date.now() > deadline)
      throw new Error(`${address} not serving after ${timeoutMs / 1000}s: ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 300));
  }
}

export interface ClusterOptions {
  dir: string;
  temporalCli: string;
  nodes?: number;
  shards?: number;
  /** PostgreSQL with fsync (benchmarks); tests run without, for speed. */
  durable?: boolean;
  log?: (line: string) => void;
  /** mTLS on the frontends (PEM files); the cluster's address is then node1's frontend. */
  tls?: ClusterTls;
}

export interface ClusterTls {
  /** The frontend's certificate and key: SANs for the nodes' addresses. */
  cert: string;
  key: string;
  /** Signs the client certificates the frontends accept, and the frontend's own. */
  ca: string;
  /** What the temporal CLI (health checks, namespaces) presents. */
  client: { cert: string; key: string };
}

export async function startCluster(opts: ClusterOptions): Promise<TemporalCluster> {
  const log = opts.log ?? (() => undefined);
  const n = opts.nodes ?? 2;
  mkdirSync(opts.dir, { recursive: true });
  const tools = await ensureGoTool(TEMPORAL_SERVER, log);
  const haproxy = opts.tls ? undefined : ensureHaproxy(log);
  const pgBin = ensurePostgres(log);

  // PostgreSQL: a private instance; each node holds about 4 x 10 + 2 x 5 connections.
  const taken = new Set<number>();
  const pgPort = await freePortOn(['127.0.0.1'], 20000, 32000, taken);
  // Its own directory that the postgres user can reach (a test's temporary one is private).
  const pgDir = mkdtempSync(path.join(os.tmpdir(), 'ha-cluster-pg-'));
  chmodSync(pgDir, 0o755);
  const pg = makeServer(pgBin, pgDir, pgPort, 'data', [
    'max_connections = 300',
    ...(opts.durable ? ['fsync = on', 'synchronous_commit = on'] : []),
  ]);
  psql(pgBin, pgPort, `CREATE ROLE temporal LOGIN CREATEDB PASSWORD 'temporal'`);
  const dbEnv = {
    TEMPORAL_DB_HOST: '127.0.0.1',
    TEMPORAL_DB_PORT: String(pgPort),
    TEMPORAL_DB_USER: 'temporal',
    TEMPORAL_DB_PASSWORD: 'temporal',
  };
  log('creating the Temporal schemas (deploy/temporal/setup-schema.sh) ...');
  const setup = spawnSync(path.join(DEPLOY, 'temporal', 'setup-schema.sh'), [], {
    encoding: 'utf8',
    env: {
      ...process.env,
      ...dbEnv,
      TEMPORAL_SQL_TOOL: path.join(tools, 'sql'),
      TEMPORAL_SCHEMA_DIR: schemaDir(TEMPORAL_SERVER.version),
    },
  });
  if (setup.status !== 0) throw new Error(`setup-schema.sh failed:\n${setup.stderr}${setup.stdout}`);

  const ips = Array.from({ length: n }, (_, i) => `127.0.0.${i + 2}`);
  const port = () => freePortOn(ips, 20000, 32000, taken);
  const ports = {
    TEMPORAL_FRONTEND_PORT: await port(),
    TEMPORAL_FRONTEND_HTTP_PORT: await port(),
    TEMPORAL_HISTORY_PORT: await port(),
    TEMPORAL_MATCHING_PORT: await port(),
    TEMPORAL_WORKER_PORT: await port(),
    TEMPORAL_FRONTEND_MEMBERSHIP_PORT: await port(),
    TEMPORAL_HISTORY_MEMBERSHIP_PORT: await port(),
    TEMPORAL_MATCHING_MEMBERSHIP_PORT: await port(),
    TEMPORAL_WORKER_MEMBERSHIP_PORT: await port(),
  };
  const lbPort = await freePortOn(['127.0.0.1'], 20000, 32000, taken);
  const address = opts.tls ? `${ips[0]}:${ports.TEMPORAL_FRONTEND_PORT}` : `127.0.0.1:${lbPort}`;
  const tlsEnv = opts.tls
    ? {
        TEMPORAL_TLS_FRONTEND_CERT: opts.tls.cert,
        TEMPORAL_TLS_FRONTEND_KEY: opts.tls.key,
        TEMPORAL_TLS_FRONTEND_CLIENT_CA: opts.tls.ca,
      }
    : {};
  const cliTls = opts.tls
    ? [
        '--tls-cert-path',
        opts.tls.client.cert,
        '--tls-key-path',
        opts.tls.client.key,
        '--tls-ca-path',
        opts.tls.ca,
      ]
    : [];
  const serverEnv = {
    ...process.env,
    ...dbEnv,
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    TEMPORAL_HISTORY_SHARDS: String(opts.shards ?? 4),
    TEMPORAL_CLUSTER_ADDRESS: address,
    TEMPORAL_DYNAMIC_CONFIG: path.join(DEPLOY, 'temporal', 'dynamicconfig.yaml'),
    ...tlsEnv,
  };

  const nodes: ClusterNode[] = ips.map((ip, i) => {
    const name = `node${i + 1}`;
    const logFile = path.join(opts.dir, `${name}.log`);
    let child: ChildProcess | undefined;
    const running = (): boolean => !!child && child.exitCode === null && child.signalCode === null;
    const node: ClusterNode = {
      name,
      ip,
      frontend: `${ip}:${ports.TEMPORAL_FRONTEND_PORT}`,
      log: logFile,
      pid: () => child?.pid,
      running,
      async kill() {
        if (!child || !running()) return;
        child.kill('SIGKILL');
        await waitExit(child, 10_000);
      },
      async start() {
        if (running()) return;
        const out = openSync(logFile, 'a');
        // --root / with an absolute --config: the server joins root and config.
        child = spawn(
          path.join(tools, 'server'),
          [
            '--root',
            '/',
            '--config',
            path.join(DEPLOY, 'temporal', 'config').slice(1),
            '--allow-no-auth',
            'start',
          ],
          { env: { ...serverEnv, TEMPORAL_BIND_IP: ip }, stdio: ['ignore', out, out] },
        );
        closeSync(out);
        const started = child;
        await waitServing(
          opts.temporalCli,
          node.frontend,
          90_000,
          () => (started.exitCode !== null ? `${name} exited (${started.exitCode}); see ${logFile}` : ''),
          cliTls,
        );
      },
    };
    return node;
  });
  // One after the other: on a new database the first node writes the cluster's record.
  for (const node of nodes) await node.start();

  let lb: ChildProcess | undefined;
  if (haproxy) {
    const lbLog = openSync(path.join(opts.dir, 'haproxy.log'), 'a');
    const started = spawn(haproxy, ['-f', path.join(DEPLOY, 'haproxy', 'haproxy.cfg'), '-db'], {
      env: {
        ...process.env,
        HA_LB_BIND: address,
        TEMPORAL_NODE1: nodes[0]!.frontend,
        TEMPORAL_NODE2: (nodes[1] ?? nodes[0]!).frontend,
      },
      stdio: ['ignore', lbLog, lbLog],
    });
    lb = started;
    closeSync(lbLog);
    await waitServing(opts.temporalCli, address, 30_000, () =>
      started.exitCode !== null
        ? `haproxy exited (${started.exitCode}); see ${path.join(opts.dir, 'haproxy.log')}`
        : '',
    );
  }

  const cluster: TemporalCluster = {
    address,
    nodes,
    pg: { bin: pgBin, dir: pg.dir, port: pgPort },
    temporalCli: opts.temporalCli,
    sql(query) {
      const r = spawnSync(
        path.join(pgBin, 'psql'),
        ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'temporal', '-d', 'temporal', '-tAc', query],
        { encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
      return r.stdout.trim();
    },
    createNamespace(name) {
      const r = spawnSync(
        opts.temporalCli,
        [
          'operator',
          'namespace',
          'create',
          '--namespace',
          name,
          '--retention',
          '72h',
          '--address',
          address,
          ...cliTls,
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      if (r.status !== 0 && !/already exists|already registered/i.test(r.stderr + r.stdout))
        throw new Error(`namespace ${name}: ${r.stderr || r.stdout}`);
    },
    async stop() {
      if (lb) {
        lb.kill('SIGTERM');
        await waitExit(lb, 5_000);
      }
      for (const node of nodes) await node.kill();
      asPostgres([path.join(pgBin, 'pg_ctl'), '-D', pg.dir, 'stop', '-m', 'immediate'], { allowFail: true });
      rmSync(pgDir, { recursive: true, force: true });
    },
  };
  return cluster;
}
