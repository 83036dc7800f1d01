// A Temporal server restart between an alert firing and its delivery: the notification waits in
// the notifier's durable state and arrives once the receiver answers. This file runs its own
// dev server (SQLite file, so that it can be stopped and started again).
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { listAlerts } from '../../src/alerts/client';
import { freePort, startDevServer } from '../../src/platform/temporal/dev-server';
import type { DevServer } from '../../src/platform/temporal/dev-server';
import { hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { TestEnv, WorkerProcess } from '../helpers';
import { startReceiver } from '../helpers/receiver';
import type { TestReceiver } from '../helpers/receiver';

const shared = testEnv(__filename);
const tmp = tempDir('alerts-restart');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
let port: number;
let server: DevServer;
let env: TestEnv;
let worker: WorkerProcess;
let hook: TestReceiver;

const up = async (): Promise<void> => {
  server = await startDevServer({
    bin: shared.temporalCli,
    port,
    dbFile: W('temporal.db'),
    logFile: W('temporal.log'),
  });
};

beforeAll(async () => {
  hook = await startReceiver();
  port = await freePort();
  await up();
  env = {
    ...shared,
    address: server.address,
    namespace: 'default',
    env: { ...shared.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default' },
  };
  writeConfig(
    tmp.dir,
    'ha.yml',
    `version: 1
hosts:
  - name: alpha
health: { interval: 1s, timeout: 800ms }
alerts:
  rules:
    - { name: MemHigh, metric: memory.used_percent, threshold: 90 }
notifications:
  receivers:
    - { name: hook, type: webhook, url: ${JSON.stringify(`${hook.url}/hook`)}, timeout: 2s }
  routes:
    - { receiver: hook, groupWait: 0s, groupInterval: 1s }
`,
  );
  writeFileSync(W('alpha.json'), JSON.stringify({ 'memory.used_percent': 40 }));
  worker = await startWorker(env, 'alpha', [], { HA_TEST_METRICS_FILE: W('alpha.json') });
  const applied = await hactl(['apply', W('ha.yml')], { env: env.env });
  if (applied.code !== 0) throw new Error(applied.stderr);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await server?.stop();
  await hook.close();
  tmp.cleanup();
});

it('delivers a notification that fired before the server went down, after it is back', async () => {
  hook.respond = () => ({ status: 503 });
  writeFileSync(W('alpha.json'), JSON.stringify({ 'memory.used_percent': 97 }));
  // Fired, and the notifier is retrying against the refusing receiver.
  await waitFor(() => hook.received.length >= 1, { timeoutMs: 30_000 });
  const groupKey = hook.received[0]!.body.groupKey;
  await server.stop();
  await new Promise((r) => setTimeout(r, 5000));
  hook.respond = () => ({ status: 200 });
  await up();
  const delivered = await waitFor(() => hook.accepted()[0], { timeoutMs: 90_000 });
  expect(delivered.body.groupKey).toBe(groupKey);
  expect(delivered.body.alerts[0]!.labels.alertname).toBe('MemHigh');
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection, namespace: 'default' });
    const view = await listAlerts(client);
    expect(view.alerts.map((a) => [a.labels.alertname, a.state])).toEqual([['MemHigh', 'firing']]);
  } finally {
    await connection.close();
  }
}, 180_000);
