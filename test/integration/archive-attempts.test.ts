// Attempts of the archive step never share files. Reproduces the finding exactly: the server
// goes down for longer than the step's heartbeat timeout while a backup is being archived, so
// that attempt 2 starts while attempt 1 is still writing. This file runs its own dev server
// (SQLite file, so that it can be stopped and restarted) instead of the suite's shared one.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { BackupResult, VerifyReport } from '../../src/backup/model/types';
import { freePort, startDevServer } from '../../src/platform/temporal/dev-server';
import type { DevServer } from '../../src/platform/temporal/dev-server';
import { hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { TestEnv, WorkerProcess } from '../helpers';

const shared = testEnv(__filename);
const tmp = tempDir('attempts');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const config = W('ha.yml');
let port: number;
let server: DevServer;
let env: TestEnv;
let worker: WorkerProcess;
let connection: Connection;
let client: Client;

writeConfig(
  tmp.dir,
  'ha.yml',
  `version: 1
hosts:
  - name: alpha
backups:
  - name: bulk
    host: alpha
    paths: [bulk]
    commands:
      - name: runs.log
        argv: ["sh", "-c", "echo run >> '${W('command-runs')}'; echo dumped"]
    destination: dest/bulk
`,
);

async function serverUp(): Promise<void> {
  server = await startDevServer({
    bin: shared.temporalCli,
    port,
    dbFile: W('temporal.db'),
    logFile: W('temporal.log'),
  });
}

async function cli(args: string[]) {
  return hactl([...args, '--config', config], { env: env.env, timeoutMs: 180_000 });
}

const dest = W('dest', 'bulk');
const names = (): string[] => (existsSync(dest) ? readdirSync(dest) : []);

beforeAll(async () => {
  mkdirSync(W('bulk'));
  for (let i = 0; i < 6; i++) writeFileSync(W('bulk', `part${i}.bin`), randomBytes(32 * 1024 * 1024));
  port = await freePort();
  await serverUp();
  env = {
    ...shared,
    address: server.address,
    namespace: 'default',
    env: { ...shared.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default' },
  };
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, namespace: 'default' });
  worker = await startWorker(env, 'alpha');
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await connection?.close();
  await server?.stop();
  tmp.cleanup();
});

it('with the server down past the heartbeat timeout, attempts 1 and 2 write apart and the run succeeds', async () => {
  const started = await cli(['backup', 'run', 'bulk', '--json']);
  expect(started.code).toBe(0);
  const { runId } = JSON.parse(started.stdout) as { runId: string };
  await waitFor(
    () => {
      const p = names().find((n) => /\.a1\.archive\.partial$/.test(n));
      return p && statSync(path.join(dest, p)).size > 4 * 1024 * 1024;
    },
    {
      timeoutMs: 60_000,
      intervalMs: 20,
      message: () => `attempt 1 did not start writing: ${names().join(', ')}`,
    },
  );
  // Down for longer than the archive step's 15s heartbeat timeout: the server gives attempt 1
  // up when it returns and starts attempt 2, while attempt 1 is still running on the worker.
  await server.stop();
  const seen = new Set<string>();
  const watch = setInterval(() => names().forEach((n) => seen.add(n)), 50);
  await new Promise((r) => setTimeout(r, 20_000));
  await serverUp();
  try {
    const result = (await client.workflow.getHandle('backup:bulk', runId).result()) as BackupResult;
    expect(result.files).toBe(7);

    // Each attempt wrote under its own name; a partial of attempt 2 existed while the run went on.
    const partials = [...seen].filter((n) => n.endsWith('.partial'));
    expect(partials.some((n) => n.includes('.a1.'))).toBe(true);
    expect(partials.some((n) => n.includes('.a2.'))).toBe(true);
    // Every partial carries its attempt; the entries sidecar's own atomic-write temporary is
    // `.<sidecar>.<pid>.partial`, hence the optional second dot.
    const stamped = (n: string) =>
      /^\.\.?\d{8}T\d{6}Z-[0-9a-f]+\.a\d+\./.test(n) || n.includes('.manifest.json.');
    expect(partials.filter((n) => !stamped(n))).toEqual([]);

    // The archive step succeeded on attempt 2: attempt 1 could not spoil it, so no third run.
    const history = await client.workflow.getHandle('backup:bulk', runId).fetchHistory();
    const events = history.events ?? [];
    const archiveScheduled = events.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'backupCreateArchive',
    )!;
    const archiveStarted = events.find(
      (e) =>
        e.activityTaskStartedEventAttributes &&
        String(e.activityTaskStartedEventAttributes.scheduledEventId) === String(archiveScheduled.eventId),
    )!;
    expect(archiveStarted.activityTaskStartedEventAttributes!.attempt).toBe(2);
    expect(readFileSync(W('command-runs'), 'utf8')).toBe('run\nrun\n');

    // Nothing of either attempt is left; the backup verifies.
    expect(names().sort()).toEqual([`${result.id}.manifest.json`, `${result.id}.tar.gz`]);
    const v = JSON.parse((await cli(['backup', 'verify', 'bulk', '--json'])).stdout) as VerifyReport[];
    expect(v.map((r) => r.status)).toEqual(['ok']);
  } finally {
    clearInterval(watch);
  }
}, 180_000);

it('an archive attempt whose run was terminated stops and removes its files', async () => {
  const started = await cli(['backup', 'run', 'bulk', '--json']);
  expect(started.code).toBe(0);
  const { runId } = JSON.parse(started.stdout) as { runId: string };
  const partial = await waitFor(
    () => {
      const p = names().find((n) => n.endsWith('.archive.partial'));
      return p && statSync(path.join(dest, p)).size > 4 * 1024 * 1024 ? p : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 20, message: () => 'no partial archive' },
  );
  await client.workflow.getHandle('backup:bulk', runId).terminate('test: run ended mid-archive');
  // It learns at its next heartbeat (every 2s) that its run is gone, and cleans up after itself.
  await waitFor(() => !names().includes(partial), {
    timeoutMs: 15_000,
    message: () => `the partial archive of a terminated run is still being kept: ${names().join(', ')}`,
  });
  expect(names().filter((n) => n.endsWith('.partial'))).toEqual([]);
}, 120_000);
