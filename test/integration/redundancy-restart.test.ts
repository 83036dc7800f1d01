// Service redundancy when what runs it fails mid-action: a worker SIGKILLed in the middle of a
// start, and the Temporal server restarted while a reconcile is starting instances. Never two
// instances where one was wanted, counted from /proc. This file runs its own dev server (SQLite
// file, so that it can be stopped and started again).
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { serviceHistory, serviceState } from '../../src/redundancy/client';
import type { ServiceView } from '../../src/redundancy/model/types';
import { freePort, startDevServer } from '../../src/platform/temporal/dev-server';
import type { DevServer } from '../../src/platform/temporal/dev-server';
import { hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { TestEnv, WorkerProcess } from '../helpers';
import { freePorts, processesOf, serviceCommands } from '../helpers/service';

const shared = testEnv(__filename);
const tmp = tempDir('redundancy-restart');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const HOSTS = ['alpha', 'beta'] as const;
let port: number;
let server: DevServer;
let env: TestEnv;
let svcPorts: number[];
const workers: Record<string, WorkerProcess> = {};

const up = async (): Promise<void> => {
  server = await startDevServer({
    bin: shared.temporalCli,
    port,
    dbFile: W('temporal.db'),
    logFile: W('temporal.log'),
  });
};

const startHost = async (h: string, i: number): Promise<void> => {
  workers[h] = await startWorker(env, h, [], { SVC_PORT: String(svcPorts[i]) });
};

/** Processes of a kind ("serve" or "start") of one instance on one host, from /proc. */
function procs(host: string, instance: string, kind: 'serve' | 'start'): number {
  return processesOf(W(host, `${instance}.pid`)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`\0${kind}\0`);
    } catch {
      return false;
    }
  }).length;
}
const serving = (instance: string): number => HOSTS.reduce((n, h) => n + procs(h, instance, 'serve'), 0);

function config(min: number): string {
  // The program takes 3 s to start listening, so that there is a "middle of a start".
  const cmds = serviceCommands({ dir: W('${HA_HOST}'), port: '${SVC_PORT}', delayMs: 3000 });
  return `version: 1
hosts:
  - { name: alpha }
  - { name: beta }
services:
  - name: slow
    minInstances: ${min}
    start: ${JSON.stringify(cmds.start)}
    stop: ${JSON.stringify(cmds.stop)}
    status: ${JSON.stringify(cmds.status)}
    probes:
      - { type: http, url: 'http://127.0.0.1:\${SVC_PORT}/health', interval: 500ms, timeout: 400ms }
`;
}

async function withClient<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: server.address });
  try {
    return await fn(new Client({ connection, namespace: 'default' }));
  } finally {
    await connection.close();
  }
}
const state = (): Promise<ServiceView> => withClient((c) => serviceState(c, 'slow'));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  for (const h of HOSTS) mkdirSync(W(h), { recursive: true });
  svcPorts = await freePorts(2);
  port = await freePort();
  await up();
  env = {
    ...shared,
    address: server.address,
    namespace: 'default',
    env: { ...shared.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default' },
  };
  for (const [i, h] of HOSTS.entries()) await startHost(h, i);
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(workers).map((w) => w.stop()));
  await server?.stop();
  for (const h of HOSTS)
    for (const pid of processesOf(`${W(h)}/`))
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
  tmp.cleanup();
});

it('a worker SIGKILLed in the middle of a start: one instance, adopted after the restart', async () => {
  writeConfig(tmp.dir, 'ha.yml', config(1));
  const applied = await hactl(['apply', W('ha.yml')], { env: env.env });
  expect(applied.code).toBe(0);
  // The start command runs (the program is not listening yet): kill the worker now.
  const host = await waitFor(() => HOSTS.find((h) => procs(h, 'slow-1', 'start') > 0), { timeoutMs: 30_000 });
  workers[host]!.kill('SIGKILL');
  await workers[host]!.exited;
  await startHost(host, HOSTS.indexOf(host));
  const v = await waitFor(
    async () => {
      const s = await state();
      return s.healthy === 1 ? s : undefined;
    },
    { timeoutMs: 90_000 },
  );
  await sleep(3000);
  expect(serving('slow-1')).toBe(1);
  expect(v.instances).toHaveLength(1);
  const h = await withClient((c) => serviceHistory(c, 'slow'));
  expect(h.filter((e) => e.what === 'start')).toHaveLength(1);
  // The retried start found the program the killed attempt had started, and ran nothing.
  expect(h.find((e) => e.what === 'adopted')?.reason).toMatch(/^already started by an earlier attempt/);
}, 150_000);

it('the Temporal server restarted while a reconcile starts instances: never two of one', async () => {
  writeConfig(tmp.dir, 'ha.yml', config(2));
  const applied = await hactl(['apply', W('ha.yml')], { env: env.env });
  expect(applied.code).toBe(0);
  expect(applied.stdout).toContain('redundancy:slow');
  // slow-2 is being started (3 s) when the server goes away.
  await waitFor(() => HOSTS.some((h) => procs(h, 'slow-2', 'start') > 0), { timeoutMs: 30_000 });
  await server.stop();
  await sleep(4000);
  await up();
  const v = await waitFor(
    async () => {
      try {
        const s = await state();
        return s.healthy === 2 ? s : undefined;
      } catch {
        return undefined; // the server is still coming up
      }
    },
    { timeoutMs: 120_000 },
  );
  await sleep(3000);
  expect(serving('slow-1')).toBe(1);
  expect(serving('slow-2')).toBe(1);
  expect(new Set(v.instances.map((i) => i.host)).size).toBe(2);
}, 200_000);
