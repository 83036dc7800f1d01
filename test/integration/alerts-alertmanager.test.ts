// Against a real Alertmanager (built from its Go module, cached like the Temporal CLI): our
// `alertmanager` receiver pushes alerts into it (amtool sees them), and the webhook payload it
// then posts to a loopback receiver is compared, field for field and type for type, with the
// payload our own `webhook` receiver sends for the same alert.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../../src/platform/temporal/dev-server';
import { hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { WorkerProcess } from '../helpers';
import { startReceiver } from '../helpers/receiver';
import type { Received, TestReceiver } from '../helpers/receiver';
import { readState } from '../setup/shared';

const env = testEnv(__filename);
const tmp = tempDir('am');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const am = readState().alertmanager;
let worker: WorkerProcess;
let recv: TestReceiver;
let amProc: ChildProcess;
let amUrl: string;

/** The shape of a JSON value: keys and the type of each, recursively. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [
        k,
        k === 'labels' || k.endsWith('Labels') || k.endsWith('Annotations') || k === 'annotations'
          ? 'object'
          : shape(x),
      ]),
    );
  return typeof v;
}

const describeIfAm = typeof am === 'string' ? describe : describe.skip;
if (typeof am !== 'string') console.warn(`skipping the Alertmanager tests: ${am.error}`);

beforeAll(async () => {
  if (typeof am !== 'string') return;
  recv = await startReceiver();
  const port = await freePort();
  amUrl = `http://127.0.0.1:${port}`;
  writeFileSync(
    W('am.yml'),
    `route:
  receiver: loop
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: loop
    webhook_configs:
      - url: ${recv.url}/am
        send_resolved: true
`,
  );
  amProc = spawn(
    path.join(am, 'alertmanager'),
    [
      `--config.file=${W('am.yml')}`,
      `--storage.path=${W('am-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    { stdio: 'ignore' },
  );
  await waitFor(async () => (await fetch(`${amUrl}/-/ready`).catch(() => null))?.ok, { timeoutMs: 30_000 });
  writeConfig(
    tmp.dir,
    'ha.yml',
    `version: 1
hosts:
  - name: alpha
health: { interval: 1s, timeout: 800ms }
alerts:
  rules:
    - { name: MemHigh, metric: memory.used_percent, threshold: 90, severity: critical, annotations: { summary: 'memory of {{ host }} at {{ value }}' } }
notifications:
  receivers:
    - { name: am, type: alertmanager, url: ${JSON.stringify(amUrl)} }
    - { name: ours, type: webhook, url: ${JSON.stringify(`${recv.url}/ours`)} }
  routes:
    - { receiver: am, groupWait: 0s, groupInterval: 1s, continue: true }
    - { receiver: ours, groupWait: 0s, groupInterval: 1s }
`,
  );
  writeFileSync(W('alpha.json'), JSON.stringify({ 'memory.used_percent': 40 }));
  worker = await startWorker(env, 'alpha', [], { HA_TEST_METRICS_FILE: W('alpha.json') });
  const applied = await hactl(['apply', W('ha.yml')], { env: env.env });
  if (applied.code !== 0) throw new Error(applied.stderr);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  // Alertmanager writes its data directory until it has exited: wait, then clean up.
  if (amProc && amProc.exitCode === null && amProc.signalCode === null) {
    const exited = new Promise((r) => amProc.once('exit', r));
    amProc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  }
  await recv?.close();
  tmp.cleanup();
});

describeIfAm('a real Alertmanager', () => {
  const at = (p: string): Received[] => recv.accepted().filter((r) => r.path === p);

  it('receives our alerts (amtool shows them) and posts a payload of the same shape as ours', async () => {
    writeFileSync(W('alpha.json'), JSON.stringify({ 'memory.used_percent': 97 }));
    const ours = await waitFor(() => at('/ours')[0], { timeoutMs: 30_000 });
    const theirs = await waitFor(() => at('/am')[0], { timeoutMs: 30_000 });
    const q = spawnSync(
      path.join(am as string, 'amtool'),
      ['alert', 'query', `--alertmanager.url=${amUrl}`, '-o', 'json'],
      {
        encoding: 'utf8',
      },
    );
    expect(q.status).toBe(0);
    const listed = JSON.parse(q.stdout) as Array<{
      labels: Record<string, string>;
      annotations: Record<string, string>;
    }>;
    expect(listed.map((a) => [a.labels.alertname, a.labels.host, a.annotations.summary])).toEqual([
      ['MemHigh', 'alpha', 'memory of alpha at 97'],
    ]);
    // Every field Alertmanager sends, with the same types, and nothing it does not send.
    expect(shape(ours.body)).toEqual(shape(theirs.body));
    expect(ours.body.version).toBe(theirs.body.version);
    expect(ours.body.alerts[0]!.labels).toEqual(theirs.body.alerts[0]!.labels);
    expect(ours.body.alerts[0]!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(theirs.body.alerts[0]!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('resolves in Alertmanager when the alert resolves here', async () => {
    writeFileSync(W('alpha.json'), JSON.stringify({ 'memory.used_percent': 40 }));
    const r = await waitFor(() => at('/am').find((x) => x.body.status === 'resolved'), {
      timeoutMs: 30_000,
      message: () =>
        `Alertmanager sent no resolved notification; received: ${JSON.stringify(recv.received.map((x) => [x.path, x.body.status, x.body.alerts.map((a) => [a.status, a.endsAt])]))}`,
    });
    expect(r.body.alerts[0]!.labels.alertname).toBe('MemHigh');
    const ours = await waitFor(() => at('/ours').find((x) => x.body.status === 'resolved'), {
      timeoutMs: 30_000,
    });
    expect(shape(ours.body)).toEqual(shape(r.body));
  });
});
