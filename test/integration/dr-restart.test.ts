// A DR run while the Temporal server restarts: the run waits for an approval, the server is
// stopped and started again (SQLite file), and the approval, given afterwards from the stock
// `temporal workflow signal`, still works; the run completes with its steps run once. This file
// runs its own dev server so that it can be stopped.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { runState } from '../../src/dr/client';
import type { RunReport } from '../../src/dr/model/report';
import type { RunView } from '../../src/dr/model/types';
import { freePort, startDevServer } from '../../src/platform/temporal/dev-server';
import type { DevServer } from '../../src/platform/temporal/dev-server';
import { ROOT } from '../setup/shared';
import { hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { TestEnv, WorkerProcess } from '../helpers';

const shared = testEnv(__filename);
const tmp = tempDir('dr-restart');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const STEP = path.join(ROOT, 'test', 'fixtures', 'dr', 'step.js');
let port: number;
let server: DevServer;
let env: TestEnv;
let worker: WorkerProcess;

const up = async (): Promise<void> => {
  server = await startDevServer({
    bin: shared.temporalCli,
    port,
    dbFile: W('temporal.db'),
    logFile: W('temporal.log'),
  });
};
async function withClient<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: server.address });
  try {
    return await fn(new Client({ connection, namespace: 'default' }));
  } finally {
    await connection.close();
  }
}
const view = (id: string): Promise<RunView> => withClient((c) => runState(c, id));

beforeAll(async () => {
  port = await freePort();
  await up();
  env = {
    ...shared,
    address: server.address,
    namespace: 'default',
    env: { ...shared.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default' },
  };
  worker = await startWorker(env, 'alpha');
  const step = (name: string) => JSON.stringify([process.execPath, STEP, 'ok', W('steps.log'), name]);
  writeConfig(
    tmp.dir,
    'ha.yml',
    `version: 1
hosts: [{ name: alpha }]
drPlans:
  - name: site
    contacts: [{ name: ann, role: dba }, { name: bob, role: dba }]
    groups:
      - name: before
        steps: [{ name: stop, command: { host: alpha, argv: ${step('stop')} } }]
      - name: decide
        steps: [{ name: go, approval: { approvers: [role:dba] } }]
      - name: after
        steps: [{ name: start, command: { host: alpha, argv: ${step('start')} } }]
`,
  );
  const applied = await hactl(['apply', W('ha.yml')], { env: env.env });
  if (applied.code !== 0) throw new Error(applied.stderr);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await server?.stop();
  tmp.cleanup();
});

it('the server restarts while a run awaits approval: the approval still works and the run completes', async () => {
  const r = await hactl(['dr', 'run', 'site', '--as', 'zed', '--config', W('ha.yml')], { env: env.env });
  expect(r.code).toBe(0);
  const id = r.stdout.trim();
  await waitFor(
    async () => (await view(id)).steps.find((s) => s.name === 'go')!.state === 'awaiting-approval',
    {
      timeoutMs: 30_000,
    },
  );
  await server.stop();
  await new Promise((res) => setTimeout(res, 2000));
  await up();
  // Once the server is back, the run still waits and takes the approval from the stock CLI.
  await waitFor(
    async () => {
      try {
        return (await view(id)).steps.find((s) => s.name === 'go')!.state === 'awaiting-approval';
      } catch {
        return false;
      }
    },
    { timeoutMs: 60_000 },
  );
  execFileSync(env.temporalCli, [
    'workflow',
    'signal',
    '--address',
    server.address,
    '--namespace',
    'default',
    '--workflow-id',
    id,
    '--name',
    'approve',
    '--input',
    '{"step":"go","by":"bob","comment":"after the restart"}',
  ]);
  const report = (await withClient((c) => c.workflow.getHandle(id).result())) as RunReport;
  expect(report.outcome).toBe('completed');
  expect(report.steps.find((s) => s.name === 'go')!.decisions).toMatchObject([
    { what: 'approve', by: 'bob', comment: 'after the restart' },
  ]);
  expect(readFileSync(W('steps.log'), 'utf8')).toBe('stop\nstart\n');
}, 150_000);
