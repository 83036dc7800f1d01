// The orchestrator on a real Temporal cluster: two server nodes (v1.29.1, every service in each)
// on PostgreSQL behind HAProxy, started from the files in deploy/. Three host workers reach it
// through the load balancer only. A backup and a restore, a DR plan that waits for approval and
// a failover run on it; then the server node that holds the run's (or the group's) history shard
// is SIGKILLed in the middle — while the plan waits for its approval, while the failover promotes
// — and each finishes through the surviving node, with nothing done twice.
// Over 400 lines on purpose: one cluster (a minute to start) serves every scenario, in order.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { runState } from '../../src/dr/client';
import type { RunReport } from '../../src/dr/model/report';
import { failoverHistory, groupState } from '../../src/failover/client';
import type { GroupView } from '../../src/failover/model/types';
import { ensureTemporalCli } from '../../src/platform/temporal/cli-binary';
import { ensureWorkflowBundle } from '../../src/platform/worker/bundle';
import { startCluster } from '../helpers/cluster';
import type { ClusterNode, TemporalCluster } from '../helpers/cluster';
import { hactl, ROOT, startWorker, tempDir, waitFor, writeConfig } from '../helpers';
import type { TestEnv, WorkerProcess } from '../helpers';
import { freePorts } from '../helpers/service';
import { snapshotTree } from '../helpers/tree';

const tmp = tempDir('cluster');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const STEP = path.join(ROOT, 'test', 'fixtures', 'dr', 'step.js');
const NODE = path.join(ROOT, 'test', 'fixtures', 'failover', 'node.js');
let cluster: TemporalCluster;
let env: TestEnv;
let connection: Connection;
let client: Client;
let ports: { pg1: number; pg2: number };
const workers: WorkerProcess[] = [];

const cli = (args: string[]) => hactl(args, { env: env.env, timeoutMs: 180_000 });
const temporal = (args: string[], address = cluster.address): string =>
  execFileSync(env.temporalCli, [...args, '--address', address, '--namespace', 'default'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
const step = (name: string) => JSON.stringify([process.execPath, STEP, 'ok', W('steps.log'), name]);
const nodeCmd = (args: string[]) => JSON.stringify([process.execPath, NODE, ...args]);

/** The server node whose history service owns the shard of this workflow, from the database. */
function shardOwner(workflowId: string): ClusterNode {
  const shard = cluster.sql(
    `SELECT DISTINCT shard_id FROM current_executions WHERE workflow_id = '${workflowId}'`,
  );
  if (!/^\d+$/.test(shard)) throw new Error(`no single shard for ${workflowId}: "${shard}"`);
  const owner = cluster.sql(
    `SELECT substring(encode(data, 'escape') from '127\\.0\\.0\\.[0-9]+') FROM shards WHERE shard_id = ${shard}`,
  );
  const node = cluster.nodes.find((n) => n.ip === owner);
  if (!node)
    throw new Error(`shard ${shard} of ${workflowId} is owned by "${owner}", which is no node of ours`);
  return node;
}

async function roleOf(port: number): Promise<string | null> {
  try {
    return await (await fetch(`http://127.0.0.1:${port}/role`, { signal: AbortSignal.timeout(500) })).text();
  } catch {
    return null;
  }
}
const primaries = async (): Promise<string[]> =>
  (
    await Promise.all(
      Object.entries(ports).map(async ([n, p]) => ((await roleOf(p)) === 'primary' ? n : null)),
    )
  ).filter((n): n is string => n !== null);
const promotions = (n: string): number =>
  existsSync(W(n, 'promotions')) ? readFileSync(W(n, 'promotions'), 'utf8').trim().split('\n').length : 0;

async function startNode(name: 'pg1' | 'pg2', role: string): Promise<void> {
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

/** The group's state, or undefined while the server is between owners of its shard. */
async function group(): Promise<GroupView | undefined> {
  try {
    return await groupState(client, 'db');
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  const temporalCli = process.env.TEMPORAL_CLI_FOR_TESTS ?? (await ensureTemporalCli(() => undefined)).path;
  cluster = await startCluster({ dir: W('cluster'), temporalCli, log: (l) => console.error(l) });
  // A namespace just created, and nothing else: `hactl apply` registers the search attributes.
  cluster.createNamespace('default');
  env = {
    address: cluster.address,
    namespace: 'default',
    temporalCli,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: cluster.address,
      TEMPORAL_NAMESPACE: 'default',
      HA_WORKFLOW_BUNDLE: await ensureWorkflowBundle(),
      HA_STATE_DIR: W('state'),
      TEMPORAL_CONFIG_FILE: path.join(os.tmpdir(), 'ha-orchestrator-no-such-temporal.toml'),
      // A slow promotion, so that a server node can die in the middle of it.
      PROMOTE_DELAY_MS: '3000',
    },
  };
  connection = await Connection.connect({ address: cluster.address });
  client = new Client({ connection, namespace: 'default' });
  const p = await freePorts(2);
  ports = { pg1: p[0]!, pg2: p[1]! };
  for (const n of ['pg1', 'pg2']) mkdirSync(W(n), { recursive: true });
  await startNode('pg1', 'primary');
  await startNode('pg2', 'standby');
  mkdirSync(W('data', 'sub'), { recursive: true });
  writeFileSync(W('data', 'orders.txt'), 'order-1\norder-2\n');
  writeFileSync(W('data', 'sub', 'blob.bin'), Buffer.alloc(3 * 1024 * 1024, 9));
  writeConfig(
    tmp.dir,
    'ha.yml',
    `version: 1
hosts: [{ name: alpha }, { name: beta }, { name: gamma }]
backups:
  - { name: files, host: alpha, paths: [data], destination: dest/files, schedule: daily }
drPlans:
  - name: site
    contacts: [{ name: ann, role: dba }, { name: bob, role: dba }]
    groups:
      - name: before
        steps: [{ name: stop, command: { host: alpha, argv: ${step('stop')} } }]
      - name: decide
        steps: [{ name: go, approval: { approvers: [role:dba] } }]
      - name: after
        steps: [{ name: start, command: { host: beta, argv: ${step('start')} } }]
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
      fence: [{ argv: ${nodeCmd(['fence', '--dir', '${DIR}'])} }]
      promote: { argv: ${nodeCmd(['promote', '--dir', '${DIR}', '--delay-ms', '${PROMOTE_DELAY_MS}'])} }
      demote: { argv: ${nodeCmd(['demote', '--dir', '${DIR}'])} }
    cooldown: 0s
`,
  );
  // Two workers run workflows; gamma is a host worker only, as most of a fleet is.
  workers.push(await startWorker(env, 'alpha'));
  workers.push(await startWorker(env, 'beta'));
  workers.push(await startWorker(env, 'gamma', [], {}, { workflows: false }));
}, 600_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  for (const n of ['pg1', 'pg2']) stopNode(n);
  await connection?.close();
  await cluster?.stop();
  tmp.cleanup();
});

it('runs two server nodes as one ring on one PostgreSQL, reached through the load balancer', () => {
  expect(cluster.nodes.every((n) => n.running())).toBe(true);
  // Four services on each node, each with a row in the membership table.
  const members = cluster.sql('SELECT count(DISTINCT rpc_address), count(*) FROM cluster_membership');
  expect(members).toBe('2|8');
  expect(temporal(['operator', 'cluster', 'health'])).toContain('SERVING');
});

it('the first hactl apply on a namespace just created succeeds: it waits until the search attributes are usable', async () => {
  const r = await cli(['apply', W('ha.yml')]);
  expect([r.code, r.stderr]).toEqual([0, expect.not.stringContaining('error')]);
  expect(r.stdout).toMatch(/Applied: \d+ created, 0 updated, 0 deleted, 0 unchanged\./);
  const again = await cli(['apply', W('ha.yml')]);
  expect(again.stdout).toContain('No changes');
});

it('a backup and a restore through the load balancer; the Web UI filter finds the run', async () => {
  const b = await cli(['backup', 'run', 'files', '--wait', '--json', '--config', W('ha.yml')]);
  // stderr: progress only (no error, no warning).
  expect([b.code, b.stderr]).toEqual([0, expect.not.stringMatching(/error|warning/i)]);
  const r = await cli(['restore', 'files', '--to', W('restored'), '--wait', '--config', W('ha.yml')]);
  // stderr: progress only (no error, no warning).
  expect([r.code, r.stderr]).toEqual([0, expect.not.stringMatching(/error|warning/i)]);
  expect(snapshotTree(path.join(W('restored'), W('data').slice(1)))).toEqual(snapshotTree(W('data')));
  const listed = await waitFor(
    () => {
      const out = temporal(['workflow', 'list', '--query', 'HaKind="backup"', '--output', 'json']);
      return out.includes('backup:files') ? out : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(listed).toContain('backup:files');
});

/** Starts a run of the plan and waits until it asks for the approval. */
async function runUntilApproval(): Promise<string> {
  const r = await cli(['dr', 'run', 'site', '--as', 'zed', '--config', W('ha.yml')]);
  expect(r.code).toBe(0);
  const id = r.stdout.trim();
  await waitFor(
    async () =>
      (await runState(client, id)).steps.find((s) => s.name === 'go')!.state === 'awaiting-approval',
    {
      timeoutMs: 60_000,
    },
  );
  return id;
}

it('a DR plan waits for approval and completes once approved', async () => {
  writeFileSync(W('steps.log'), '');
  const id = await runUntilApproval();
  const a = await cli(['dr', 'approve', id, 'go', '--as', 'ann', '--comment', 'go ahead']);
  expect([a.code, a.stderr]).toEqual([0, '']);
  const report = (await client.workflow.getHandle(id).result()) as RunReport;
  expect(report.outcome).toBe('completed');
  expect(readFileSync(W('steps.log'), 'utf8')).toBe('stop\nstart\n');
});

it('the node holding the run’s shard is SIGKILLed while it awaits approval: approved through the other node, it completes, each step once', async () => {
  writeFileSync(W('steps.log'), '');
  const id = await runUntilApproval();
  const victim = shardOwner(id);
  const survivor = cluster.nodes.find((n) => n !== victim)!;
  await victim.kill();
  // The stock CLI, straight at the surviving node's frontend: the run's shard moves to it.
  await waitFor(
    () => {
      temporal(
        [
          'workflow',
          'signal',
          '--workflow-id',
          id,
          '--name',
          'approve',
          '--input',
          '{"step":"go","by":"bob","comment":"node down, go"}',
        ],
        survivor.frontend,
      );
      return true;
    },
    { timeoutMs: 90_000, intervalMs: 1000 },
  );
  const report = (await client.workflow.getHandle(id).result()) as RunReport;
  expect(report.outcome).toBe('completed');
  const go = report.steps.find((s) => s.name === 'go')!;
  expect(go.decisions).toMatchObject([{ what: 'approve', by: 'bob', comment: 'node down, go' }]);
  expect(readFileSync(W('steps.log'), 'utf8')).toBe('stop\nstart\n');
  expect(shardOwner(id)).toBe(survivor);
  await victim.start();
}, 300_000);

it('a failover on the cluster: the primary dies, pg2 is promoted once', async () => {
  await waitFor(async () => (await group())?.nodes.every((n) => n.health === 'up'), { timeoutMs: 60_000 });
  stopNode('pg1');
  await waitFor(async () => (await group())?.primary === 'pg2', { timeoutMs: 60_000 });
  await waitFor(async () => (await primaries()).join() === 'pg2');
  expect(promotions('pg2')).toBe(1);
});

it('the node holding the group’s shard is SIGKILLed in the middle of a failover: it finishes through the other node, promoting once', async () => {
  // pg1 back as a standby, and primary again by a planned switchover.
  await startNode('pg1', 'standby');
  await waitFor(async () => (await group())?.nodes.every((n) => n.health === 'up'), { timeoutMs: 60_000 });
  const sw = await cli(['failover', 'switchover', 'db', '--to', 'pg1']);
  expect([sw.code, sw.stderr]).toEqual([0, '']);
  await waitFor(async () => (await group())?.primary === 'pg1', { timeoutMs: 60_000 });
  await waitFor(async () => (await group())?.nodes.every((n) => n.health === 'up'), { timeoutMs: 60_000 });
  const before = promotions('pg2');
  const failovers = (await failoverHistory(client, 'db')).filter((e) => e.kind === 'failover').length;
  stopNode('pg1');
  // Mid-failover: pg1 fenced, pg2's (3 s) promotion under way.
  await waitFor(async () => (await group())?.state === 'failing-over', {
    timeoutMs: 60_000,
    intervalMs: 100,
  });
  const victim = shardOwner('failover:db');
  await victim.kill();
  await waitFor(async () => (await group())?.primary === 'pg2', { timeoutMs: 120_000 });
  await waitFor(async () => (await primaries()).join() === 'pg2');
  expect(promotions('pg2')).toBe(before + 1);
  const history = await failoverHistory(client, 'db');
  expect(history.filter((e) => e.kind === 'failover')).toHaveLength(failovers + 1);
  expect(history.filter((e) => e.kind === 'failover').at(-1)).toMatchObject({ from: 'pg1', to: 'pg2' });
  await victim.start();
}, 300_000);
