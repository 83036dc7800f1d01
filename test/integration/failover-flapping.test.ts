// A flapping primary on the real path: two real node programs, two observer workers, the
// suite's server. A second automatic failover within the cooldown is held back (and happens
// once the cooldown is over); past maxFailovers the group pauses and says so.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { failoverHistory, groupState, switchover } from '../../src/failover/client';
import type { GroupView } from '../../src/failover/model/types';
import { ROOT } from '../setup/shared';
import { connect, hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { WorkerProcess } from '../helpers';
import { freePorts } from '../helpers/service';

const env = testEnv(__filename);
const tmp = tempDir('failover-flap');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const NODE = path.join(ROOT, 'test', 'fixtures', 'failover', 'node.js');
let client: Client;
let close: () => Promise<void>;
let ports: Record<string, number>;
const workers: WorkerProcess[] = [];
const state = (): Promise<GroupView> => groupState(client, 'flap');
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
const until = (pred: (v: GroupView) => boolean, timeoutMs = 30_000): Promise<GroupView> =>
  waitFor(
    async () => {
      const v = await state();
      return pred(v) ? v : undefined;
    },
    { timeoutMs },
  );
/** pg1 back as a standby, then primary again by a switchover (not an automatic failover). */
async function pg1Primary(): Promise<void> {
  await startNode('pg1', 'standby');
  await until((v) => v.nodes.every((n) => n.health === 'up'));
  await switchover(client, 'flap', 'pg1', 'test');
  await until((v) => v.primary === 'pg1' && v.state === 'healthy');
}

beforeAll(async () => {
  const p = await freePorts(2);
  ports = { pg1: p[0]!, pg2: p[1]! };
  for (const n of ['pg1', 'pg2']) mkdirSync(W(n), { recursive: true });
  await startNode('pg1', 'primary');
  await startNode('pg2', 'standby');
  ({ client, close } = await connect(env));
  for (const h of ['alpha', 'beta']) workers.push(await startWorker(env, h));
  writeConfig(
    tmp.dir,
    'ha.yml',
    `version: 1
hosts: [{ name: alpha }, { name: beta }]
failover:
  - name: flap
    nodes:
      - { name: pg1, host: alpha, priority: 100, env: { PORT: '${ports.pg1}', DIR: ${JSON.stringify(W('pg1'))} } }
      - { name: pg2, host: beta, priority: 90, env: { PORT: '${ports.pg2}', DIR: ${JSON.stringify(W('pg2'))} } }
    primary: pg1
    health: [{ type: http, url: 'http://127.0.0.1:\${PORT}/health', interval: 500ms, timeout: 400ms, failureThreshold: 3 }]
    role: { type: http, url: 'http://127.0.0.1:\${PORT}/role', interval: 500ms, timeout: 400ms }
    actions:
      fence: [{ argv: ${node(['fence', '--dir', '${DIR}'])} }]
      promote: { argv: ${node(['promote', '--dir', '${DIR}'])} }
      demote: { argv: ${node(['demote', '--dir', '${DIR}'])} }
    cooldown: 15s
    maxFailovers: { count: 2, window: 1h }
`,
  );
  const applied = await hactl(['apply', W('ha.yml')], { env: env.env });
  if (applied.code !== 0) throw new Error(applied.stderr);
  await until((v) => v.nodes.every((n) => n.health === 'up'));
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  for (const n of ['pg1', 'pg2']) stopNode(n);
  await close?.();
  tmp.cleanup();
});

it('at most one failover per cooldown; past maxFailovers the group pauses', async () => {
  // Failover 1.
  stopNode('pg1');
  await until((v) => v.primary === 'pg2');
  const first = Date.now();
  await pg1Primary();
  // The primary dies again within the cooldown: held back, and the reason says so.
  stopNode('pg1');
  const held = await until((v) => v.explain.includes('within the cooldown of 15s'));
  expect(held.primary).toBe('pg1');
  // Once the cooldown is over, failover 2 happens.
  await until((v) => v.primary === 'pg2', 40_000);
  expect(Date.now() - first).toBeGreaterThanOrEqual(15_000);
  await pg1Primary();
  // A third time: two failovers within the hour already, so the group pauses instead.
  await new Promise((r) => setTimeout(r, 15_000)); // past the cooldown
  stopNode('pg1');
  const paused = await until((v) => v.paused, 30_000);
  expect(paused.primary).toBe('pg1');
  const h = await failoverHistory(client, 'flap');
  expect(h.filter((e) => e.kind === 'failover')).toHaveLength(2);
  expect(h.at(-1)).toMatchObject({ kind: 'paused' });
  expect(h.at(-1)!.reason).toContain('2 failovers within 1h already (maxFailovers 2): the group pauses');
}, 180_000);
