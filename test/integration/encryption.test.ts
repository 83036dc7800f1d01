// Payload encryption on the real path: the config names a key file, and every process — hactl,
// the host worker that runs the workflows — encrypts with it. A DR run carries a marker through
// its input (a step's argv), a command's output (the result), an approval's comment (an update
// sent by hactl) and a wait step's heartbeat details (the probe that keeps failing). Its history,
// read with the stock temporal CLI and no codec, holds no marker, as text or in base64; read
// through `hactl codec-server`, it does.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { runState } from '../../src/dr/client';
import type { RunReport } from '../../src/dr/model/report';
import { AesGcmCodec, encryptedDataConverter, loadKeySet } from '../../src/platform/temporal/codec';
import { startCodecServer } from '../../src/platform/temporal/codec-server';
import type { CodecServer } from '../../src/platform/temporal/codec-server';
import { freePort } from '../../src/platform/temporal/dev-server';
import { hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { WorkerProcess } from '../helpers';

const env = testEnv(__filename);
const tmp = tempDir('encryption');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const MARKER = `MARKER${randomBytes(6).toString('hex')}`;
let worker: WorkerProcess;
let connection: Connection;
let client: Client;
let codec: AesGcmCodec;
let server: CodecServer;
/** The DR run of the first test. */
let runId = '';

/** Every string anywhere in a JSON value. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('latin1');

/** The stock CLI's JSON for a command (async: the codec server it may call is in this process). */
async function cliJson(args: string[]): Promise<Record<string, unknown>> {
  const r = await promisify(execFile)(
    env.temporalCli,
    [...args, '--address', env.address, '--namespace', env.namespace, '--output', 'json'],
    { encoding: 'utf8', timeout: 30_000, maxBuffer: 1 << 26 },
  );
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

async function show(workflowId: string, ...extra: string[]): Promise<string> {
  const r = await promisify(execFile)(
    env.temporalCli,
    [
      'workflow',
      'show',
      '--address',
      env.address,
      '--namespace',
      env.namespace,
      '--workflow-id',
      workflowId,
      '--output',
      'json',
      ...extra,
    ],
    { encoding: 'utf8', timeout: 30_000, maxBuffer: 1 << 26 },
  );
  return r.stdout;
}

beforeAll(async () => {
  writeFileSync(
    W('keys.json'),
    JSON.stringify({ keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }] }),
  );
  chmodSync(W('keys.json'), 0o600);
  const gate = W(`gate-${MARKER}`);
  const cmd = (argv: string[]) => JSON.stringify(argv);
  writeConfig(
    tmp.dir,
    'ha.yml',
    `version: 1
hosts: [{ name: alpha }]
encryption:
  keys: { file: keys.json }
drPlans:
  - name: secret
    contacts: [{ name: ann, role: dba }]
    groups:
      - name: one
        steps:
          - name: say
            command: { host: alpha, argv: ${cmd(['sh', '-c', `echo said-${MARKER}`])} }
      - name: two
        steps:
          - name: gate
            wait: { until: { type: command, argv: ${cmd(['sh', '-c', `echo waiting-for-${MARKER} >&2; test -e ${gate}`])}, interval: 500ms }, from: alpha }
      - name: three
        steps: [{ name: go, approval: { approvers: [ann] } }]
`,
  );
  // The worker runs from the test's own config: it finds the keys there, like hactl does.
  worker = await startWorker(env, 'alpha', ['--config', W('ha.yml')]);
  codec = new AesGcmCodec(loadKeySet({ file: W('keys.json') }));
  connection = await Connection.connect({ address: env.address });
  client = new Client({ connection, namespace: env.namespace, dataConverter: encryptedDataConverter(codec) });
  server = await startCodecServer({ listen: `127.0.0.1:${await freePort()}`, codec });
  const applied = await hactl(['apply', W('ha.yml')], { env: env.env });
  if (applied.code !== 0) throw new Error(applied.stderr);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await server?.close();
  await connection?.close();
  tmp.cleanup();
});

it('a DR run’s input, results, update and heartbeat details are ciphertext in history; the codec server reads them', async () => {
  const cli = (args: string[]) => hactl([...args, '--config', W('ha.yml')], { env: env.env });
  const started = await cli(['dr', 'run', 'secret', '--as', 'zed']);
  expect([started.code, started.stderr]).toEqual([0, '']);
  const id = started.stdout.trim();
  runId = id;
  // The wait step heartbeats what its probe says while the gate is shut.
  await waitFor(
    async () => (await runState(client, id)).steps.find((s) => s.name === 'gate')?.state === 'executing',
    {
      timeoutMs: 30_000,
    },
  );
  // Heartbeat details live with the pending activity (history keeps them only when it fails):
  // what `temporal workflow describe` shows holds no marker either, and does through the codec.
  const pending = await waitFor(
    async () => {
      const d = await cliJson(['workflow', 'describe', '--workflow-id', id]);
      const acts = (d.pendingActivities ?? []) as Array<{ heartbeatDetails?: unknown }>;
      return acts.some((a) => a.heartbeatDetails) ? d : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(strings(pending).filter((s) => s.includes(MARKER) || unb64(s).includes(MARKER))).toEqual([]);
  const pendingDecoded = await cliJson([
    'workflow',
    'describe',
    '--workflow-id',
    id,
    '--codec-endpoint',
    server.url,
  ]);
  const beat = ((pendingDecoded.pendingActivities ?? []) as Array<{ heartbeatDetails?: unknown }>)[0]!
    .heartbeatDetails;
  expect(strings(beat).some((s) => s.includes(MARKER) || unb64(s).includes(MARKER))).toBe(true);
  writeFileSync(W(`gate-${MARKER}`), '');
  await waitFor(
    async () =>
      (await runState(client, id)).steps.find((s) => s.name === 'go')?.state === 'awaiting-approval',
    {
      timeoutMs: 30_000,
    },
  );
  // Commands without --config take the keys from the environment.
  const ok = await hactl(['dr', 'approve', id, 'go', '--as', 'ann', '--comment', `yes-${MARKER}`], {
    env: { ...env.env, HA_ENCRYPTION_KEYS_FILE: W('keys.json') },
  });
  expect([ok.code, ok.stderr]).toEqual([0, '']);
  const report = (await client.workflow.getHandle(id).result()) as RunReport;
  expect(report.outcome).toBe('completed');
  // What we sent is there, decoded, for the client that has the keys.
  expect(report.steps.find((s) => s.name === 'say')!.output).toContain(`said-${MARKER}`);
  expect(report.steps.find((s) => s.name === 'go')!.decisions[0]!.comment).toBe(`yes-${MARKER}`);

  const raw = await show(id);
  const history = JSON.parse(raw) as { events: Array<Record<string, unknown>> };
  // The marker went through each kind of payload...
  const kinds = new Set(history.events.map((e) => String(e.eventType)));
  for (const k of [
    'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
    'EVENT_TYPE_ACTIVITY_TASK_COMPLETED',
    'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
  ])
    expect([...kinds]).toContain(k);
  // ...and none of them shows it without the keys, as text or as base64.
  expect(strings(history).filter((s) => s.includes(MARKER) || unb64(s).includes(MARKER))).toEqual([]);

  const decoded = await show(id, '--codec-endpoint', server.url);
  const found = strings(JSON.parse(decoded)).filter((s) => s.includes(MARKER) || unb64(s).includes(MARKER));
  expect(found.length).toBeGreaterThanOrEqual(3);
}, 120_000);

it('hactl without the keys cannot read what was encrypted, and says what to do', async () => {
  expect(runId).not.toBe('');
  const r = await hactl(['dr', 'status', runId, '--json'], { env: env.env });
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(
    /payload is encrypted \(key "k1"\) and this process has no keys: set HA_ENCRYPTION_KEYS_FILE/,
  );
  // With the keys from the environment, it can.
  const ok = await hactl(['dr', 'status', runId, '--json'], {
    env: { ...env.env, HA_ENCRYPTION_KEYS_FILE: W('keys.json') },
  });
  expect([ok.code, ok.stderr]).toEqual([0, '']);
  expect(JSON.parse(ok.stdout)).toMatchObject({ phase: 'completed' });
});
