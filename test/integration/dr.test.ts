// DR plans on the real path: the suite's server, two host workers, real commands (a small Node
// program that logs what it did), a real backup restored, approvals from hactl and from the stock
// `temporal workflow signal`, an abort in the middle of a parallel group (its processes must be
// gone), a worker SIGKILLed during a command step, onFailure: ask answered by people, and a
// drill that must leave nothing behind. Notifications reach the contacts' webhook.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { listBackups } from '../../src/backup/client';
import { runState } from '../../src/dr/client';
import type { RunReport } from '../../src/dr/model/report';
import type { RunView } from '../../src/dr/model/types';
import { loadConfig } from '../../src/platform/registry-api';
import { ROOT } from '../setup/shared';
import { connect, hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { WorkerProcess } from '../helpers';
import { startReceiver } from '../helpers/receiver';
import type { TestReceiver } from '../helpers/receiver';

const env = testEnv(__filename);
const tmp = tempDir('dr');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const STEP = path.join(ROOT, 'test', 'fixtures', 'dr', 'step.js');
const LOG = W('steps.log');
let client: Client;
let close: () => Promise<void>;
let hook: TestReceiver;
const workers: Record<string, WorkerProcess> = {};

const cli = (args: string[]) =>
  hactl(
    [...args, ...(args[0] === 'dr' && ['run', 'list'].includes(args[1]!) ? ['--config', W('ha.yml')] : [])],
    { env: env.env, timeoutMs: 120_000 },
  );
const step = (...args: string[]): string => JSON.stringify([process.execPath, STEP, ...args]);
const cmd = (host: string, ...args: string[]): string => `{ host: ${host}, argv: ${step(...args)} }`;
const logLines = (): string[] => (existsSync(LOG) ? readFileSync(LOG, 'utf8').trim().split('\n') : []);
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const view = (id: string): Promise<RunView> => runState(client, id);
const stepOf = async (id: string, name: string) => (await view(id)).steps.find((s) => s.name === name)!;
async function started(args: string[]): Promise<string> {
  const r = await cli(['dr', 'run', ...args]);
  if (r.code !== 0) throw new Error(r.stderr + r.stdout);
  return r.stdout.trim();
}
const result = (id: string): Promise<RunReport> =>
  client.workflow.getHandle(id).result() as Promise<RunReport>;

function config(): string {
  return `version: 1
hosts:
  - { name: alpha }
  - { name: beta }
backups:
  - { name: files, host: alpha, paths: [${JSON.stringify(W('data'))}], destination: ${JSON.stringify(W('backups'))} }
notifications:
  receivers:
    - { name: ann-hook, type: webhook, url: ${JSON.stringify(`${hook.url}/ann`)}, timeout: 2s }
drPlans:
  - name: recover
    description: the orders data back from its backup
    rto: 10m
    rpo: 1d
    contacts:
      - { name: ann, role: dba, receivers: [ann-hook] }
      - { name: bob, role: dba }
      - { name: cy, role: manager }
    critical: { hosts: [alpha, beta], backupSets: [files] }
    groups:
      - name: decide
        steps:
          - name: go
            approval: { approvers: [role:dba], question: 'restore the orders data?' }
      - name: prepare
        steps:
          - { name: stop-a, command: ${cmd('alpha', 'slow', LOG, 'stop-a', '800')} }
          - { name: stop-b, command: ${cmd('beta', 'slow', LOG, 'stop-b', '800')} }
          - { name: fence, command: ${cmd('beta', 'slow', LOG, 'fence', '800')} }
      - name: data
        steps:
          - name: restore
            restore: { set: files, to: ${JSON.stringify(W('restored'))} }
      - name: check
        steps:
          - { name: check-row, command: ${cmd('alpha', 'check', W('restored', W('data', 'orders.txt').slice(1)), 'order-42')} }
          - { name: tell, notify: { message: 'orders are back' } }
  - name: abortme
    contacts: [{ name: cy, role: manager }]
    groups:
      - name: one
        steps:
          - { name: first, command: ${cmd('alpha', 'ok', LOG, 'first')}, compensate: { command: ${cmd('alpha', 'ok', LOG, 'undo-first')} } }
      - name: two
        steps:
          - { name: second, command: ${cmd('beta', 'ok', LOG, 'second')}, compensate: { command: ${cmd('beta', 'ok', LOG, 'undo-second')} } }
      - name: three
        steps:
          - { name: hold-a, command: ${cmd('alpha', 'hold', LOG, 'hold-a', W('hold-a.pid'))} }
          - { name: hold-b, command: ${cmd('beta', 'hold', LOG, 'hold-b', W('hold-b.pid'))} }
          - { name: third, command: ${cmd('alpha', 'ok', LOG, 'third')}, compensate: { command: ${cmd('alpha', 'ok', LOG, 'undo-third')} } }
      - name: four
        steps:
          - { name: never, command: ${cmd('alpha', 'ok', LOG, 'never')} }
  - name: askme
    contacts: [{ name: ann, role: dba }]
    groups:
      - name: g
        steps:
          - { name: broken, command: ${cmd('beta', 'fail', LOG, 'broken')}, onFailure: ask }
          - { name: fine, command: ${cmd('alpha', 'ok', LOG, 'fine')} }
  - name: killme
    groups:
      - name: g
        steps:
          - { name: flaky, command: ${cmd('beta', 'flaky', LOG, 'flaky', W('flaky.marker'))}, retries: 1 }
  - name: inplace
    groups:
      - name: g
        steps:
          - name: back-in-place
            restore: { set: files, inPlace: true }
  - name: drillme
    rpo: 1d
    critical: { backupSets: [files] }
    groups:
      - name: g
        steps:
          - { name: stop-app, command: ${cmd('alpha', 'ok', LOG, 'drill-stop-app')} }
          - name: restore
            restore: { set: files, to: ${JSON.stringify(W('restored-by-drill'))} }
          - name: verify
            verify-backup: { set: files }
`;
}

beforeAll(async () => {
  hook = await startReceiver();
  mkdirSync(W('data'), { recursive: true });
  writeFileSync(W('data', 'orders.txt'), 'order-41\norder-42\n');
  writeConfig(tmp.dir, 'ha.yml', config());
  ({ client, close } = await connect(env));
  for (const h of ['alpha', 'beta']) workers[h] = await startWorker(env, h);
  // A worker is live once its first heartbeat is in (5 s): the plans' preconditions ask for that.
  await waitFor(async () => {
    const r = await hactl(['hosts', '--json'], { env: env.env });
    return (JSON.parse(r.stdout) as unknown[]).length === 2;
  });
  const applied = await hactl(['apply', W('ha.yml')], { env: env.env });
  if (applied.code !== 0) throw new Error(applied.stderr + applied.stdout);
  const b = await hactl(['backup', 'run', 'files', '--config', W('ha.yml'), '--wait'], {
    env: env.env,
    timeoutMs: 120_000,
  });
  if (b.code !== 0) throw new Error(b.stderr + b.stdout);
}, 180_000);

afterAll(async () => {
  await Promise.all(Object.values(workers).map((w) => w.stop()));
  await close?.();
  await hook.close();
  tmp.cleanup();
});

describe('DR plans on real workers', () => {
  it('approval, a parallel group, a restore: completes; the report’s RTO and RPO are the measured spans', async () => {
    const incidentAt = new Date(Date.now() - 30_000).toISOString();
    const id = await started(['recover', '--as', 'zed', '--incident-at', incidentAt]);
    expect(id).toMatch(/^dr:recover:\d{8}T\d{9}Z$/);
    let seen: RunView | undefined;
    await waitFor(
      async () => (seen = await view(id)).steps.find((x) => x.name === 'go')!.state === 'awaiting-approval',
      {
        timeoutMs: 30_000,
        message: () => JSON.stringify(seen?.steps.slice(0, 2)),
      },
    );
    // The contact's receiver got the request, with the commands that answer it.
    const asked = await waitFor(
      () =>
        hook
          .accepted()
          .flatMap((r) => r.body.alerts)
          .find((a) => a.labels.alertname === 'DrApprovalRequested' && a.labels.ha_receiver === 'ann-hook'),
      { timeoutMs: 30_000 },
    );
    expect(asked.annotations.summary).toContain(`hactl dr approve ${id} go --as <you>`);
    expect(asked.annotations.summary).toContain(
      `temporal workflow signal --workflow-id ${id} --name approve`,
    );
    const st = await cli(['dr', 'status', id]);
    expect(st.stdout).toContain('go awaits approval: restore the orders data?');
    // Refused: not an approver, and not a step that waits.
    const cy = await cli(['dr', 'approve', id, 'go', '--as', 'cy']);
    expect([cy.code, cy.stderr.trim()]).toEqual([
      2,
      'error: cy may not approve step go (approvers: ann, bob)',
    ]);
    const early = await cli(['dr', 'approve', id, 'restore', '--as', 'ann']);
    expect(early.stderr).toContain('step restore is not awaiting approval (it is not-started)');
    // Approved from the stock temporal CLI, with a plain signal.
    execFileSync(env.temporalCli, [
      'workflow',
      'signal',
      '--address',
      env.address,
      '--namespace',
      env.namespace,
      '--workflow-id',
      id,
      '--name',
      'approve',
      '--input',
      '{"step":"go","by":"ann","comment":"go ahead"}',
    ]);
    const report = await result(id);
    expect(report.outcome).toBe('completed');
    expect(readFileSync(W('restored', W('data', 'orders.txt').slice(1)), 'utf8')).toBe(
      'order-41\norder-42\n',
    );
    const v = await view(id);
    const s = (n: string) => v.steps.find((x) => x.name === n)!;
    expect(s('go').decisions).toMatchObject([{ what: 'approve', by: 'ann', comment: 'go ahead' }]);
    // The three steps of "prepare" overlapped (each logs start and end).
    const lines = logLines();
    const lastStart = Math.max(...['stop-a', 'stop-b', 'fence'].map((n) => lines.indexOf(`${n} start`)));
    const firstEnd = Math.min(...['stop-a', 'stop-b', 'fence'].map((n) => lines.indexOf(`${n} end`)));
    expect(lastStart).toBeLessThan(firstEnd);
    // RTO: incident → end of check-row (the notify step is not critical); RPO: incident − backup time.
    expect(report.rto.until).toBe(s('check-row').endedAt);
    expect(report.rto.achievedMs).toBe(Date.parse(s('check-row').endedAt!) - Date.parse(incidentAt));
    const spec = loadConfig(W('ha.yml')).backups[0]!.spec;
    const newest = (await listBackups(client, spec)).backups.at(-1)!;
    expect(report.rpo.achievedMs).toBe(Date.parse(incidentAt) - Date.parse(newest.createdAt));
    expect(report.breaches).toEqual([]);
    const md = await cli(['dr', 'report', id, '--markdown']);
    expect(md.stdout).toContain(`- RTO achieved: `);
    expect(md.stdout).toMatch(/\| check \| check-row \| command \| completed \| 1 \|/);
    const json = JSON.parse((await cli(['dr', 'report', id, '--json'])).stdout) as RunReport;
    expect(json.rto).toEqual(report.rto);
    expect((await cli(['dr', 'runs', 'recover'])).stdout).toContain(id);
    // Search attributes let the Web UI filter runs.
    const d = await client.workflow.getHandle(id).describe();
    expect(d.searchAttributes).toMatchObject({
      HaKind: ['dr'],
      HaTarget: ['recover'],
      HaState: ['completed'],
    });
    await waitFor(() =>
      hook
        .accepted()
        .flatMap((r) => r.body.alerts)
        .find((a) => a.labels.alertname === 'DrRunFinished' && a.labels.run === id.split(':')[2]),
    );
  });

  it('abort during a parallel group: its processes are gone, completed steps are undone newest first', async () => {
    const id = await started(['abortme', '--as', 'zed']);
    await waitFor(() => existsSync(W('hold-a.pid')) && existsSync(W('hold-b.pid')), { timeoutMs: 30_000 });
    await waitFor(async () => (await stepOf(id, 'third')).state === 'completed', { timeoutMs: 30_000 });
    const pids = ['hold-a', 'hold-b'].map((n) => Number(readFileSync(W(`${n}.pid`), 'utf8')));
    expect(pids.every(alive)).toBe(true);
    const r = await cli(['dr', 'abort', id, '--as', 'cy', '--comment', 'wrong site']);
    expect(r.code).toBe(0);
    const report = await result(id);
    expect(report.outcome).toBe('aborted');
    expect(pids.some(alive)).toBe(false);
    const undo = logLines().filter((l) => l.startsWith('undo-'));
    expect(undo).toEqual(['undo-third', 'undo-second', 'undo-first']);
    expect(logLines()).not.toContain('never');
    expect(report.undone.sort()).toEqual(['first', 'second', 'third']);
    const md = (await cli(['dr', 'report', id])).stdout;
    expect(md).toContain('- Undone on abort: ');
    expect(md).toContain('not recovered: the run ended aborted');
  });

  it('onFailure: ask — a person retries, it fails again, a person skips it', async () => {
    const id = await started(['askme', '--as', 'zed']);
    await waitFor(async () => (await stepOf(id, 'broken')).asking, { timeoutMs: 30_000 });
    expect((await stepOf(id, 'broken')).output).toContain('broken: the disk is not there');
    expect((await cli(['dr', 'retry', id, 'broken', '--as', 'ann'])).code).toBe(0);
    await waitFor(
      async () => (await stepOf(id, 'broken')).attempts === 2 && (await stepOf(id, 'broken')).asking,
      {
        timeoutMs: 30_000,
      },
    );
    const bad = await cli(['dr', 'skip', id, 'broken', '--as', 'mallory']);
    expect(bad.stderr.trim()).toBe('error: mallory may not skip runs of askme (allowed: ann)');
    expect(
      (await cli(['dr', 'skip', id, 'broken', '--as', 'ann', '--comment', 'disk replaced by hand'])).code,
    ).toBe(0);
    const report = await result(id);
    expect(report.outcome).toBe('completed');
    expect(report.steps.find((s) => s.name === 'broken')).toMatchObject({ state: 'skipped', attempts: 2 });
    expect(logLines().filter((l) => l === 'broken failed')).toHaveLength(2);
  });

  it('a worker SIGKILLed during a command step: the attempt fails, the step is retried and the run completes', async () => {
    const id = await started(['killme', '--as', 'zed']);
    await waitFor(() => existsSync(W('flaky.marker')), { timeoutMs: 30_000 });
    const first = Number(readFileSync(W('flaky.marker'), 'utf8'));
    workers.beta!.kill('SIGKILL');
    await workers.beta!.exited;
    process.kill(first, 'SIGKILL'); // what a host crash would have taken with it
    workers.beta = await startWorker(env, 'beta');
    const report = await result(id);
    expect(report.outcome).toBe('completed');
    expect(report.steps.find((s) => s.name === 'flaky')).toMatchObject({ state: 'completed', attempts: 2 });
    expect(logLines()).toContain('flaky again');
  }, 120_000);

  it('a restore step back into the original paths: the data is the backup’s again, the previous kept aside', async () => {
    writeFileSync(W('data', 'orders.txt'), 'order-41\norder-42\norder-43 (after the backup)\n');
    const r = await cli(['dr', 'run', 'inplace', '--as', 'zed', '--wait', '--json']);
    expect([r.code, r.code ? r.stdout + r.stderr : '']).toEqual([0, '']);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(readFileSync(W('data', 'orders.txt'), 'utf8')).toBe('order-41\norder-42\n');
    const detail = report.steps.find((s) => s.name === 'back-in-place')!.detail;
    expect(detail).toMatch(
      new RegExp(
        `in place: ${W('data').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(1 files, previous content in `,
      ),
    );
    const previous = readdirSync(tmp.dir).find((n) => n.startsWith('data.ha-previous-'))!;
    expect(readFileSync(W(previous, 'orders.txt'), 'utf8')).toContain('order-43');
    expect(report.rpo.achievedMs).toBeGreaterThan(0);
  });

  it('a drill: production steps skipped, the restore goes to scratch, and nothing of it remains', async () => {
    const r = await cli(['dr', 'run', 'drillme', '--drill', '--as', 'zed', '--wait', '--json']);
    expect([r.code, r.code ? r.stdout + r.stderr : '']).toEqual([0, '']);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(report.drill).toBe(true);
    expect(report.steps.map((s) => [s.name, s.state, s.drill])).toEqual([
      ['preconditions', 'completed', null],
      ['stop-app', 'skipped', 'skipped'],
      ['restore', 'completed', 'ran'],
      ['verify', 'completed', 'ran'],
    ]);
    const restored = report.steps.find((s) => s.name === 'restore')!.detail;
    expect(restored).toContain(
      `into ${path.join(env.env.HA_STATE_DIR!, 'dr-scratch', 'alpha', report.workflowId.replace(/:/g, '_'))}`,
    );
    expect(restored).toContain('(drill scratch)');
    expect(report.rto.achievedMs).toBeGreaterThan(0);
    expect(report.rpo.achievedMs).toBeGreaterThan(0);
    expect(logLines()).not.toContain('drill-stop-app');
    expect(existsSync(W('restored-by-drill'))).toBe(false);
    const scratch = path.join(env.env.HA_STATE_DIR!, 'dr-scratch', 'alpha');
    expect(existsSync(scratch) ? readdirSync(scratch) : []).toEqual([]);
    const v = await view(report.workflowId);
    expect(v.cleanup).toEqual([expect.stringMatching(/^removed on alpha: .*dr-scratch/)]);
  });
});
