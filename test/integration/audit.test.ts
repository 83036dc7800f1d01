// `hactl audit`: what people did, read back from the workflows' histories — a DR run started,
// approved and another aborted, a silence, a manual backup and a restore — each with who (the
// --as or --by, and the caller's Temporal identity), when, what and the comment. Schedules and
// read-only helpers (listings, preflights) are not actions.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runState } from '../../src/dr/client';
import type { AuditEntry } from '../../src/platform/audit';
import { connect, hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { WorkerProcess } from '../helpers';

const env = testEnv(__filename);
const tmp = tempDir('audit');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
let worker: WorkerProcess;
const cli = (args: string[]) => hactl(args, { env: env.env });
/** Commands that read the config file (the others need only the server). */
const withConfig = (args: string[]) => cli([...args, '--config', W('ha.yml')]);

beforeAll(async () => {
  mkdirSync(W('data'), { recursive: true });
  writeFileSync(W('data', 'a.txt'), 'a\n');
  writeConfig(
    tmp.dir,
    'ha.yml',
    `version: 1
hosts: [{ name: alpha }]
backups:
  - { name: files, host: alpha, paths: [data], destination: dest, schedule: daily }
notifications:
  receivers: [{ name: log, type: log }]
  routes: [{ receiver: log }]
drPlans:
  - name: site
    contacts: [{ name: ann, role: dba }, { name: bob, role: dba }]
    groups:
      - name: decide
        steps: [{ name: go, approval: { approvers: [role:dba] } }]
`,
  );
  worker = await startWorker(env, 'alpha');
  const applied = await cli(['apply', W('ha.yml')]);
  if (applied.code !== 0) throw new Error(applied.stderr);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  tmp.cleanup();
});

async function awaitingApproval(id: string): Promise<void> {
  const { client, close } = await connect(env);
  try {
    await waitFor(
      async () =>
        (await runState(client, id)).steps.find((s) => s.name === 'go')?.state === 'awaiting-approval',
      {
        timeoutMs: 30_000,
      },
    );
  } finally {
    await close();
  }
}

it('lists what people did, with who, when, what and why; not what schedules did', async () => {
  const before = Date.now();
  const one = (await withConfig(['dr', 'run', 'site', '--as', 'zed'])).stdout.trim();
  await awaitingApproval(one);
  expect((await cli(['dr', 'approve', one, 'go', '--as', 'ann', '--comment', 'looks right'])).code).toBe(0);
  const two = (await withConfig(['dr', 'run', 'site', '--as', 'zed'])).stdout.trim();
  await awaitingApproval(two);
  expect((await cli(['dr', 'abort', two, '--as', 'bob', '--comment', 'wrong plan'])).code).toBe(0);
  const silenced = await cli([
    'silence',
    'add',
    '--match',
    'alertname=HostDown',
    '--for',
    '1h',
    '--comment',
    'maintenance',
    '--by',
    'cy',
  ]);
  expect([silenced.code, silenced.stderr]).toEqual([0, '']);
  expect((await withConfig(['backup', 'run', 'files', '--wait'])).code).toBe(0);
  const restored = await withConfig(['restore', 'files', '--to', W('restored'), '--wait']);
  // stderr holds progress and its summary.
  expect(restored.code).toBe(0);
  expect(restored.stderr).toMatch(/^restore done: /m);
  expect(restored.stderr).not.toMatch(/error/i);

  const entries = await waitFor(
    async () => {
      const r = await cli(['audit', '--since', '1h', '--json']);
      if (r.code !== 0) throw new Error(r.stderr);
      const all = (JSON.parse(r.stdout) as AuditEntry[]).filter((e) => Date.parse(e.at) >= before - 1000);
      return all.some((e) => e.what.startsWith('start restore')) ? all : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 1000 },
  );
  const row = (what: string, workflowId?: string) =>
    entries.find((e) => e.what === what && (workflowId === undefined || e.workflowId === workflowId));
  expect(row('start drPlanWorkflow', one)).toMatchObject({ who: 'zed' });
  expect(row('approve', one)).toMatchObject({ who: 'ann', comment: 'looks right', detail: 'step=go' });
  expect(row('abort', two)).toMatchObject({ who: 'bob', comment: 'wrong plan' });
  expect(row('addSilence')).toMatchObject({ who: 'cy', comment: 'maintenance' });
  expect(entries.some((e) => e.what === 'start backupWorkflow' && e.workflowId === 'backup:files')).toBe(
    true,
  );
  expect(entries.some((e) => e.what === 'start restoreWorkflow')).toBe(true);
  // The caller's identity is Temporal's record of who sent it: hactl says user@machine.
  for (const e of entries) expect(e.identity).toMatch(/\(hactl\)$/);
  // Reads are not actions: the restore's preflight and any listing left no entry.
  expect(entries.some((e) => /restore-check:|backup-list:/.test(e.workflowId))).toBe(false);
  // Times are in order.
  expect(entries.map((e) => e.at)).toEqual([...entries.map((e) => e.at)].sort());

  const table = await cli(['audit', '--since', '1h']);
  expect(table.stdout).toMatch(/approve\s+dr:site:\S+\s+step=go\s+looks right/);
}, 180_000);

it('--since must be a duration', async () => {
  const r = await cli(['audit', '--since', 'yesterday']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--since yesterday');
});
