// Failover when what runs it fails mid-way: the target's worker SIGKILLed in the middle of the
// promotion, and the Temporal server restarted in the middle of a failover. Exactly one
// promotion each time, counted by the node program itself. This file runs its own dev server
// (SQLite file, so that it can be stopped and started again).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { failoverHistory, groupState, switchover } from '../../src/failover/client';
import type { GroupView } from '../../src/failover/model/types';
import { freePort, startDevServer } from '../../src/platform/temporal/dev-server';
import type { DevServer } from '../../src/platform/temporal/dev-server';
import { ROOT } from '../setup/shared';
import { hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { TestEnv, WorkerProcess } from '../helpers';
import { freePorts, processesOf } from '../helpers/service';

const shared = testEnv(__filename);
const tmp = tempDir('failover-restart');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const NODE = path.join(ROOT, 'test', 'fixtures', 'failover', 'node.js');
const HOSTS = ['alpha', 'beta', 'gamma'];
let port: number;
let server: DevServer;
let env: TestEnv;
let ports: Record<string, number>;
const workers: Record<string, WorkerProcess> = {};

const up = async (): Promise<void> => {
  server = await startDevServer({
    bin: shared.temporalCli,
    port,
    dbFile: W('temporal.db'),
    logFile: W('temporal.log'),
  });
};
const startHost = async (h: string): Promise<void> => {
  workers[h] = await startWorker(env, h, [], { PROMOTE_DELAY_MS: '3000' });
};
async function withClient<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: server.address });
  try {
    return await fn(new Client({ connection, namespace: 'default' }));
  } finally {
    await connection.close();
  }
}
const state = (): Promise<GroupView> => withClient((c) => groupState(c, 'db'));
const promotions = (n: string): number =>
  existsSync(W(n, 'promotions')) ? readFileSync(W(n, 'promotions'), 'utf8').trim().split('\n').length : 0;
const node = (args: string[]) => JSON.stringify([process.execPath, NODE, ...args]);
async function startNode(name: string, role: string): Promise<void> {
  const code = await new Promise<number | null>((resolve) =>
    spawn(
      process.execPath,
      [NODE, 'start', '--port', String(ports[name]), '--dir', W(name), '--role', role],
      {
        stdio: 'ignore',
      },
    ).on('exit', resolve),
  );
  if (code !== 0) throw new Error(`node ${name} did not start`);
}
const stopNode = (n: string): void => void spawnSync(process.execPath, [NODE, 'stop', '--dir', W(n)]);
async function until(pred: (v: GroupView) => boolean, timeoutMs = 60_000): Promise<GroupView> {
  return waitFor(
    async () => {
      try {
        const v = await state();
        return pred(v) ? v : undefined;
      } catch {
        return undefined; // the server is coming back
      }
    },
    { timeoutMs },
  );
}

beforeAll(async () => {
  const p = await freePorts(2);
  ports = { pg1: p[0]!, pg2: p[1]! };
  for (const n of ['pg1', 'pg2']) mkdirSync(W(n), { recursive: true });
  await startNode('pg1', 'primary');
  await startNode('pg2', 'standby');
  port = await freePort();
  await up();
  env = {
    ...shared,
    address: server.address,
    namespace: 'default',
    env: { ...shared.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default' },
  };
  for (const h of HOSTS) await startHost(h);
  writeConfig(
    tmp.dir,
    'ha.yml',
    `version: 1
hosts: [{ name: alpha }, { name: beta }, { name: gamma }]
failover:
  - name: db
    nodes:
      - { name: pg1, host: alpha, priority: 100, env: { PORT: '${ports.pg1}', DIR: ${JSON.stringify(W('pg1'))} } }
      - { name: pg2, host: beta, priority: 90, env: { PORT: '${ports.pg2}', DIR: ${JSON.stringify(W('pg2'))} } }
    primary: pg1
    observers: [alpha, beta, gamma]
    health: [{ type: http, url: 'http://127.0.0.1:\${PORT}/health', interval: 500ms, timeout: 400ms, failureThreshold: 3 }]
    role: { type: http, url: 'http://127.0.0.1:\${PORT}/role', interval: 500ms, timeout: 400ms }
    actions:
      fence: [{ argv: ${node(['fence', '--dir', '${DIR}'])} }]
      promote: { argv: ${node(['promote', '--dir', '${DIR}', '--delay-ms', '${PROMOTE_DELAY_MS}'])} }
      demote: { argv: ${node(['demote', '--dir', '${DIR}'])} }
    cooldown: 0s
`,
  );
  const applied = await hactl(['apply', W('ha.yml')], { env: env.env });
  if (applied.code !== 0) throw new Error(applied.stderr);
  await until((v) => v.nodes.every((n) => n.health === 'up'));
}, 180_000);

afterAll(async () => {
  await Promise.all(Object.values(workers).map((w) => w.stop()));
  await server?.stop();
  for (const n of ['pg1', 'pg2']) stopNode(n);
  tmp.cleanup();
});

it('the target’s worker SIGKILLed in the middle of the promotion: one promotion', async () => {
  stopNode('pg1');
  // pg2's promote command runs (3 s): kill beta's worker now, and start it again.
  await waitFor(() => processesOf(W('pg2')).length > 1, { timeoutMs: 30_000, intervalMs: 20 });
  workers.beta!.kill('SIGKILL');
  await workers.beta!.exited;
  await startHost('beta');
  const v = await until((x) => x.primary === 'pg2' && x.state === 'healthy', 90_000);
  expect(v.primary).toBe('pg2');
  expect(promotions('pg2')).toBe(1);
  const ev = (await withClient((c) => failoverHistory(c, 'db'))).filter((e) => e.kind === 'failover');
  expect(ev).toHaveLength(1);
}, 150_000);

it('the Temporal server restarted in the middle of a failover: one promotion', async () => {
  // pg1 back as a standby, and primary again by a switchover.
  await startNode('pg1', 'standby');
  await until((x) => x.nodes.find((n) => n.name === 'pg1')?.health === 'up');
  await withClient((c) => switchover(c, 'db', 'pg1', 'test'));
  await until((x) => x.primary === 'pg1' && x.state === 'healthy');
  const before = promotions('pg2');
  stopNode('pg1');
  await waitFor(() => processesOf(W('pg2')).length > 1, { timeoutMs: 30_000, intervalMs: 20 });
  await server.stop();
  await new Promise((r) => setTimeout(r, 4000));
  await up();
  const v = await until((x) => x.primary === 'pg2' && x.state === 'healthy', 120_000);
  expect(v.primary).toBe('pg2');
  expect(promotions('pg2')).toBe(before + 1);
}, 200_000);
