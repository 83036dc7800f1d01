// Every DR step type on the real path, against the real capabilities: an HTTP check, hosts and
// probes, waits (a duration, and until a probe passes), a backup and its verification, a service
// restarted and waited for (the redundancy controller and a real program), a failover group
// failed over to a chosen node (its controller and two real node programs), and a notify step
// that reaches a webhook. A step whose check fails says why, with the HTTP body.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { groupState } from '../../src/failover/client';
import { runState } from '../../src/dr/client';
import type { RunReport } from '../../src/dr/model/report';
import type { RunView } from '../../src/dr/model/types';
import { serviceState } from '../../src/redundancy/client';
import { ROOT } from '../setup/shared';
import { connect, hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { WorkerProcess } from '../helpers';
import { startReceiver } from '../helpers/receiver';
import type { TestReceiver } from '../helpers/receiver';
import { freePorts, readPid, serviceCommands } from '../helpers/service';

const env = testEnv(__filename);
const tmp = tempDir('dr-steps');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const NODE = path.join(ROOT, 'test', 'fixtures', 'failover', 'node.js');
let client: Client;
let close: () => Promise<void>;
let hook: TestReceiver;
let site: Server;
let siteUrl: string;
let ports: { svc: number; pg1: number; pg2: number };
const workers: WorkerProcess[] = [];

const node = (args: string[]) => JSON.stringify([process.execPath, NODE, ...args]);
const roleOf = (n: string): string => readFileSync(W(n, 'role'), 'utf8').trim();
function startNode(name: 'pg1' | 'pg2', role: string): Promise<void> {
  return new Promise((resolve, reject) =>
    spawn(
      process.execPath,
      [NODE, 'start', '--port', String(ports[name]), '--dir', W(name), '--role', role],
      {
        stdio: 'ignore',
      },
    ).on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`node ${name} did not start`)))),
  );
}

function config(): string {
  const svc = serviceCommands({ dir: W('svc'), port: ports.svc, instanceVar: false });
  return `version: 1
hosts: [{ name: alpha }, { name: beta }]
backups:
  - { name: files, host: alpha, paths: [${JSON.stringify(W('data'))}], destination: ${JSON.stringify(W('backups'))} }
notifications:
  receivers:
    - { name: hook, type: webhook, url: ${JSON.stringify(`${hook.url}/hook`)}, timeout: 2s }
services:
  - name: web
    hosts: [alpha]
    minInstances: 1
    start: ${JSON.stringify(svc.start)}
    stop: ${JSON.stringify(svc.stop)}
    status: ${JSON.stringify(svc.status)}
    probes: [{ type: http, url: 'http://127.0.0.1:${ports.svc}/health', interval: 500ms, timeout: 400ms }]
failover:
  - name: db
    nodes:
      - { name: pg1, host: alpha, priority: 100, env: { PORT: '${ports.pg1}', DIR: ${JSON.stringify(W('pg1'))} } }
      - { name: pg2, host: beta, priority: 90, env: { PORT: '${ports.pg2}', DIR: ${JSON.stringify(W('pg2'))} } }
    primary: pg1
    health: [{ type: http, url: 'http://127.0.0.1:\${PORT}/health', interval: 500ms, timeout: 400ms }]
    role: { type: http, url: 'http://127.0.0.1:\${PORT}/role', interval: 500ms, timeout: 400ms }
    actions:
      fence: [{ argv: ${node(['fence', '--dir', '${DIR}'])} }]
      promote: { argv: ${node(['promote', '--dir', '${DIR}'])} }
      demote: { argv: ${node(['demote', '--dir', '${DIR}'])} }
    cooldown: 0s
drPlans:
  - name: everything
    rpo: 1d
    contacts: [{ name: ann, role: dba, receivers: [hook] }]
    critical: { hosts: [alpha, beta], services: [web], backupSets: [files], failoverGroups: [db] }
    groups:
      - name: checks
        steps:
          - { name: site-answers, http: { url: '${siteUrl}/status', expectStatus: [200], expectBody: ok } }
          - name: hosts-and-probes
            health: { hosts: [alpha, beta], probes: [{ type: tcp, address: '127.0.0.1:${ports.svc}' }], from: beta }
          - { name: pause, wait: { duration: 300ms } }
      - name: data
        steps:
          - { name: fresh-backup, backup: { set: files } }
      - name: data-check
        steps:
          - { name: newest-verifies, verify-backup: { set: files, maxAge: 1h } }
      - name: services
        steps:
          - { name: restart-web, service: { service: web, action: restart, waitTimeout: 1m } }
          - { name: move-db, failover: { group: db, to: pg2 } }
      - name: after
        steps:
          - name: web-answers
            wait: { until: { type: http, url: 'http://127.0.0.1:${ports.svc}/health', interval: 200ms }, from: alpha }
          - { name: tell, notify: { message: 'everything is back', severity: info } }
  - name: broken-check
    groups:
      - name: g
        steps:
          - { name: site-says-no, http: { url: '${siteUrl}/status', expectBody: 'all good' }, retries: 1 }
`;
}

beforeAll(async () => {
  hook = await startReceiver();
  site = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok'));
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', () => r()));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  const p = await freePorts(3);
  ports = { svc: p[0]!, pg1: p[1]!, pg2: p[2]! };
  for (const d of ['data', 'svc', 'pg1', 'pg2']) mkdirSync(W(d), { recursive: true });
  writeFileSync(W('data', 'a.txt'), 'a\n');
  await startNode('pg1', 'primary');
  await startNode('pg2', 'standby');
  ({ client, close } = await connect(env));
  for (const h of ['alpha', 'beta']) workers.push(await startWorker(env, h));
  writeConfig(tmp.dir, 'ha.yml', config());
  const applied = await hactl(['apply', W('ha.yml')], { env: env.env });
  if (applied.code !== 0) throw new Error(applied.stderr + applied.stdout);
  // The plan's preconditions want a backup within the RPO.
  const b = await hactl(['backup', 'run', 'files', '--wait', '--config', W('ha.yml')], { env: env.env });
  if (b.code !== 0) throw new Error(b.stderr + b.stdout);
  await waitFor(async () => (await serviceState(client, 'web')).healthy === 1, { timeoutMs: 60_000 });
  await waitFor(async () => (await groupState(client, 'db')).nodes.every((n) => n.health === 'up'), {
    timeoutMs: 60_000,
  });
  await waitFor(
    async () =>
      (JSON.parse((await hactl(['hosts', '--json'], { env: env.env })).stdout) as unknown[]).length === 2,
  );
}, 240_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  for (const n of ['pg1', 'pg2']) spawnSync(process.execPath, [NODE, 'stop', '--dir', W(n)]);
  const stop = serviceCommands({ dir: W('svc'), port: ports.svc, instanceVar: false }).stop.argv;
  spawnSync(stop[0]!, stop.slice(1));
  await close?.();
  await hook.close();
  await new Promise((r) => site.close(r));
  tmp.cleanup();
});

/** Runs a plan; if it does not end in time, the error shows each step's state. */
const run = async (plan: string): Promise<RunReport> => {
  const r = await hactl(['dr', 'run', plan, '--as', 'zed', '--config', W('ha.yml')], { env: env.env });
  if (r.code !== 0) throw new Error(r.stderr);
  const id = r.stdout.trim();
  let last: RunView | undefined;
  let report: RunReport | undefined;
  void client.workflow
    .getHandle(id)
    .result()
    .then((x) => (report = x as RunReport));
  await waitFor(
    async () => {
      last = await runState(client, id);
      return report !== undefined;
    },
    {
      timeoutMs: 120_000,
      message: () =>
        `${id} did not end: ${JSON.stringify(last?.steps.map((x) => [x.name, x.state, x.detail]))}`,
    },
  );
  return report!;
};

it('every step type works against the real capabilities', async () => {
  const pidBefore = readPid(W('svc', 'svc.pid'));
  const report = await run('everything');
  const st = Object.fromEntries(report.steps.map((s) => [s.name, `${s.state}: ${s.detail}`]));
  expect(report.outcome).toBe('completed');
  expect(st['preconditions']).toMatch(/^completed: checked 5 critical resource\(s\): all live, RPO met/);
  expect(st['site-answers']).toMatch(/GET .*\/status: 200, body has "ok"/);
  expect(st['hosts-and-probes']).toMatch(/hosts up: alpha, beta; tcp 127\.0\.0\.1:\d+ passed on beta/);
  expect(st['pause']).toBe('completed: waited 0.300 s');
  expect(st['fresh-backup']).toMatch(/^completed: backup \d{8}T\d{6}Z-[0-9a-f]+ of files: 1 files/);
  expect(st['newest-verifies']).toMatch(/verified \(1 files\), \d+s old$/);
  expect(st['restart-web']).toMatch(/web: 1 of 1 healthy$/);
  expect(readPid(W('svc', 'svc.pid'))).not.toBe(pidBefore); // restarted for real
  expect(st['move-db']).toMatch(/^completed: db: forced pg1 → pg2/);
  expect(roleOf('pg2')).toBe('primary');
  expect(roleOf('pg1')).not.toBe('primary'); // fenced first
  expect(st['web-answers']).toMatch(/http .* passed on alpha/);
  await waitFor(() =>
    hook
      .accepted()
      .some((r) =>
        r.body.alerts.some(
          (a) => a.labels.alertname === 'DrNotice' && a.annotations.summary === 'everything is back',
        ),
      ),
  );
}, 180_000);

it('a check that fails says why, with what the server answered, after its retries', async () => {
  const report = await run('broken-check');
  expect(report.outcome).toBe('failed');
  const s = report.steps.find((x) => x.name === 'site-says-no')!;
  expect(s).toMatchObject({ state: 'failed', attempts: 2 });
  expect(s.detail).toMatch(/GET .*\/status answered 200 without "all good" in the body/);
  expect(s.output).toBe('ok');
});
