// The receivers that run on a host (file, command) and the log receiver, and events from other
// capabilities: one alert and one event, delivered to each.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { notifierState, sendEvent } from '../../src/alerts/client';
import type { WebhookPayload } from '../../src/alerts/model/types';
import { connect, hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { WorkerProcess } from '../helpers';

const env = testEnv(__filename);
const tmp = tempDir('receivers');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
let worker: WorkerProcess;
let client: Client;
let close: () => Promise<void>;

function lines(file: string): WebhookPayload[] {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as WebhookPayload)
    : [];
}

beforeAll(async () => {
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
    - { name: audit, type: file, path: alerts.jsonl }
    - { name: pager, type: command, argv: ['sh', '-c', 'cat >> "$OUT"; echo >> "$OUT"'], env: { OUT: ${JSON.stringify(W('paged.jsonl'))} } }
    - { name: console, type: log }
  routes:
    - { receiver: audit, groupWait: 0s, groupInterval: 1s, continue: true }
    - { receiver: pager, groupWait: 0s, groupInterval: 1s, continue: true }
    - { receiver: console, groupWait: 0s, groupInterval: 1s }
`,
  );
  writeFileSync(W('alpha.json'), JSON.stringify({ 'memory.used_percent': 40 }));
  ({ client, close } = await connect(env));
  worker = await startWorker(env, 'alpha', [], { HA_TEST_METRICS_FILE: W('alpha.json') });
  const applied = await hactl(['apply', W('ha.yml')], { env: env.env });
  if (applied.code !== 0) throw new Error(applied.stderr);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await close();
  tmp.cleanup();
});

it('an alert reaches the file, the command (payload on stdin) and the log', async () => {
  writeFileSync(W('alpha.json'), JSON.stringify({ 'memory.used_percent': 97 }));
  const filed = await waitFor(() => lines(W('alerts.jsonl'))[0], { timeoutMs: 30_000 });
  const paged = await waitFor(() => lines(W('paged.jsonl'))[0], { timeoutMs: 30_000 });
  expect(filed.version).toBe('4');
  expect(filed.alerts[0]!.labels.alertname).toBe('MemHigh');
  // The same notification; only the receiver it was routed to differs.
  expect(filed.receiver).toBe('audit');
  expect(paged.receiver).toBe('pager');
  expect({ ...paged, receiver: 'audit' }).toEqual(filed);
  await waitFor(async () => (await notifierState(client, 'console')).delivered >= 1, { timeoutMs: 30_000 });
  await waitFor(() => /notification #\d+ firing .*MemHigh/.test(worker.output()), {
    timeoutMs: 10_000,
    message: () => worker.output(),
  });
});

it('an event from another capability is routed and delivered like an alert, once', async () => {
  await sendEvent(client, {
    labels: { alertname: 'Failover', group: 'db', host: 'alpha' },
    annotations: { summary: 'db moved to beta' },
  });
  const ev = await waitFor(
    () => lines(W('alerts.jsonl')).find((p) => p.alerts.some((a) => a.labels.alertname === 'Failover')),
    {
      timeoutMs: 30_000,
    },
  );
  expect(ev.alerts[0]!.annotations.summary).toBe('db moved to beta');
  await new Promise((r) => setTimeout(r, 3000));
  expect(
    lines(W('alerts.jsonl')).filter((p) => p.alerts.some((a) => a.labels.alertname === 'Failover')),
  ).toHaveLength(1);
});
