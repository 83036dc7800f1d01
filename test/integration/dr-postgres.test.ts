// The worked example's recovery on a real PostgreSQL 15: a pg_dump backup, rows lost, then a DR
// run — approval, stop the app, restore the dump, pg_restore, a row check with psql, start the
// app, notify — brings every row back, with RPO = incident − dump time. A drill first leaves the
// database and the disk as they were. (The app is a logged stand-in: there is no systemd here.)
// Needs root (PostgreSQL runs as the postgres user) and Debian's postgresql.
import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { listBackups } from '../../src/backup/client';
import { runState } from '../../src/dr/client';
import type { RunReport } from '../../src/dr/model/report';
import { loadConfig } from '../../src/platform/registry-api';
import { readState, ROOT } from '../setup/shared';
import { connect, hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { WorkerProcess } from '../helpers';
import { asPostgres, makeServer, psql } from '../helpers/postgres';
import { freePorts } from '../helpers/service';

const env = testEnv(__filename);
const tmp = tempDir('dr-postgres');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const STEP = path.join(ROOT, 'test', 'fixtures', 'dr', 'step.js');
const LOG = W('app.log');
const bin = readState().postgres;
const describeIfPg = typeof bin === 'string' ? describe : describe.skip;
if (typeof bin !== 'string') console.warn(`skipping the DR PostgreSQL test: ${bin.error}`);
let client: Client;
let close: () => Promise<void>;
let server: { dir: string; port: number };
let worker: WorkerProcess;

describeIfPg('a DR plan recovers a PostgreSQL database from its pg_dump backup', () => {
  const pg = bin as string;
  const sql = (q: string): string => {
    const r = psql(pg, server.port, q);
    if (!r.ok) throw new Error(r.out);
    return r.out;
  };
  const inOrders = (q: string): string =>
    asPostgres([
      path.join(pg, 'psql'),
      '-h',
      '127.0.0.1',
      '-p',
      String(server.port),
      '-U',
      'postgres',
      '-d',
      'orders',
      '-tAc',
      q,
    ]);
  const cli = (args: string[]) =>
    hactl([...args, '--config', W('ha.yml')], { env: env.env, timeoutMs: 120_000 });

  beforeAll(async () => {
    const [port] = await freePorts(1);
    chmodSync(tmp.dir, 0o755); // the postgres user works under it
    server = makeServer(pg, W('data'), port!);
    sql('CREATE DATABASE orders');
    inOrders('CREATE TABLE orders (id int PRIMARY KEY, item text NOT NULL)');
    inOrders("INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 42) g");
    const tool = (name: string) => JSON.stringify(path.join(pg, name));
    const conn = `-h, 127.0.0.1, -p, '${server.port}', -U, postgres`;
    const app = (what: string) => JSON.stringify([process.execPath, STEP, 'ok', LOG, what]);
    writeConfig(
      tmp.dir,
      'ha.yml',
      `version: 1
hosts: [{ name: alpha }]
backups:
  - name: orders-dump
    host: alpha
    commands: [{ name: orders.dump, argv: [${tool('pg_dump')}, ${conn}, --format=custom, --dbname=orders] }]
    destination: ${JSON.stringify(W('backups'))}
drPlans:
  - name: orders-db
    rto: 30m
    rpo: 30m
    contacts: [{ name: ann, role: dba }, { name: cy, role: manager }]
    critical: { hosts: [alpha], backupSets: [orders-dump] }
    groups:
      - name: decide
        steps: [{ name: go, approval: { approvers: [role:dba] }, drill: skip }]
      - name: stop
        steps: [{ name: stop-app, command: { host: alpha, argv: ${app('stop-app')} }, compensate: { command: { host: alpha, argv: ${app('start-app')} } } }]
      - name: restore
        steps: [{ name: restore-dump, restore: { set: orders-dump, to: ${JSON.stringify(W('restore'))} } }]
      - name: load
        steps:
          - name: pg-restore
            command: { host: alpha, argv: [${tool('pg_restore')}, ${conn}, --clean, --if-exists, --dbname=orders, ${JSON.stringify(W('restore', 'commands', 'orders.dump'))}] }
            onFailure: ask
      - name: check
        steps:
          - name: row-is-back
            command: { host: alpha, argv: [${tool('psql')}, ${conn}, -d, orders, -v, ON_ERROR_STOP=1, -tAc, 'SELECT 1 / (count(*) = 42)::int FROM orders'] }
            retries: 1
      - name: start
        steps: [{ name: start-app, command: { host: alpha, argv: ${app('start-app')} } }]
      - name: tell
        steps: [{ name: orders-are-back, notify: { message: 'orders restored from the newest dump' } }]
`,
    );
    ({ client, close } = await connect(env));
    worker = await startWorker(env, 'alpha');
    await waitFor(
      async () =>
        (JSON.parse((await hactl(['hosts', '--json'], { env: env.env })).stdout) as unknown[]).length === 1,
    );
    const b = await cli(['backup', 'run', 'orders-dump', '--wait']);
    if (b.code !== 0) throw new Error(b.stderr + b.stdout);
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    if (server)
      asPostgres([path.join(pg, 'pg_ctl'), '-D', server.dir, 'stop', '-m', 'immediate'], { allowFail: true });
    await close?.();
    tmp.cleanup();
  });

  it('a drill restores the dump into scratch, touches neither the database nor the app, and leaves nothing', async () => {
    const r = await cli(['dr', 'run', 'orders-db', '--drill', '--as', 'zed', '--wait', '--json']);
    expect([r.code, r.code ? r.stderr + r.stdout : '']).toEqual([0, '']);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(report.steps.filter((s) => s.state === 'completed').map((s) => s.name)).toEqual([
      'preconditions',
      'restore-dump',
      'orders-are-back',
    ]);
    expect(existsSync(LOG)).toBe(false);
    expect(existsSync(W('restore'))).toBe(false);
    const scratch = path.join(env.env.HA_STATE_DIR!, 'dr-scratch', 'alpha');
    expect(existsSync(scratch) ? readdirSync(scratch) : []).toEqual([]);
    expect(inOrders('SELECT count(*) FROM orders')).toBe('42');
  });

  it('rows lost, then a real run brings every row back; RPO is the incident minus the dump time', async () => {
    inOrders('DELETE FROM orders WHERE id > 10');
    expect(inOrders('SELECT count(*) FROM orders')).toBe('10');
    const incidentAt = new Date().toISOString();
    const started = await cli(['dr', 'run', 'orders-db', '--as', 'zed', '--incident-at', incidentAt]);
    const id = started.stdout.trim();
    await waitFor(
      async () =>
        (await runState(client, id)).steps.find((s) => s.name === 'go')!.state === 'awaiting-approval',
    );
    expect(
      (
        await hactl(['dr', 'approve', id, 'go', '--as', 'ann', '--comment', 'orders lost rows'], {
          env: env.env,
        })
      ).code,
    ).toBe(0);
    const report = (await client.workflow.getHandle(id).result()) as RunReport;
    const st = Object.fromEntries(report.steps.map((s) => [s.name, `${s.state}: ${s.detail}`]));
    expect(report.outcome).toBe('completed');
    expect(inOrders('SELECT count(*) FROM orders')).toBe('42');
    expect(inOrders('SELECT item FROM orders WHERE id = 42')).toBe('item 42');
    expect(st['row-is-back']).toMatch(/^completed: /);
    expect(readFileSync(LOG, 'utf8')).toBe('stop-app\nstart-app\n');
    const spec = loadConfig(W('ha.yml')).backups[0]!.spec;
    const dump = (await listBackups(client, spec)).backups.at(-1)!;
    expect(report.rpo.achievedMs).toBe(Date.parse(incidentAt) - Date.parse(dump.createdAt));
    expect(report.rto.achievedMs).toBeGreaterThan(0);
    expect(report.breaches).toEqual([]);
    console.log(
      `orders recovered: RTO ${report.rto.achievedMs} ms (approval included), RPO ${report.rpo.achievedMs} ms`,
    );
  });
});
