// hactl apply against a real server: create, no-op, update, delete exactly what the config
// dropped, leave foreign objects alone, and change nothing on bad input.
import { execFileSync } from 'node:child_process';
import type { Client } from '@temporalio/client';
import { ScheduleNotFoundError } from '@temporalio/client';
import { connect, hactl, tempDir, testEnv, waitFor, writeConfig } from '../helpers';

const env = testEnv(__filename);
const dir = tempDir('reconcile');
let client: Client;
let close: () => Promise<void>;

const HOSTS = 'version: 1\nhosts:\n  - name: alpha\n  - name: beta\n';
const HEALTH = 'health:\n  interval: 30s\n  timeout: 10s\n';

async function apply(
  file: string,
  ...flags: string[]
): Promise<{ created: string[]; updated: string[]; deleted: string[]; unchanged: string[] }> {
  const r = await hactl(['apply', file, '--json', ...flags], { env: env.env });
  if (r.code !== 0) throw new Error(`apply failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function scheduleIds(): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of client.schedule.list()) ids.push(s.scheduleId);
  return ids.sort();
}

async function exists(id: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(id).describe();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

beforeAll(async () => {
  ({ client, close } = await connect(env));
});
afterAll(async () => {
  await close();
  dir.cleanup();
});

describe('hactl apply', () => {
  const full = writeConfig(dir.dir, 'full.yml', HOSTS + HEALTH);

  it('creates the schedule and one monitor per host', async () => {
    const r = await apply(full);
    expect(r).toEqual({
      created: ['health:snapshots', 'monitor:alpha', 'monitor:beta'],
      updated: [],
      deleted: [],
      unchanged: [],
    });
    const d = await client.schedule.getHandle('health:snapshots').describe();
    expect(d.spec.intervals?.[0]?.every).toBe(30_000);
    expect(d.action.workflowType).toBe('healthSnapshotWorkflow');
    expect(d.action.taskQueue).toBe('ha-orchestrator');
    expect(d.memo).toMatchObject({ haManagedBy: 'ha-orchestrator' });
    const m = await client.workflow.getHandle('monitor:alpha').describe();
    expect(m.status.name).toBe('RUNNING');
    expect(m.searchAttributes).toMatchObject({ HaKind: ['monitor'], HaTarget: ['alpha'] });
  });

  it('lists the schedule through the temporal CLI too', async () => {
    await waitFor(async () => (await scheduleIds()).includes('health:snapshots'));
    const out = execFileSync(
      env.temporalCli,
      ['schedule', 'list', '--address', env.address, '--namespace', env.namespace, '-o', 'json'],
      { encoding: 'utf8' },
    );
    expect(out).toContain('health:snapshots');
  });

  it('a second apply changes nothing and says so', async () => {
    const r = await apply(full);
    expect(r).toEqual({
      created: [],
      updated: [],
      deleted: [],
      unchanged: ['health:snapshots', 'monitor:alpha', 'monitor:beta'],
    });
    const text = await hactl(['apply', full], { env: env.env });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('No changes: 3 unchanged.');
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    const changed = writeConfig(dir.dir, 'changed.yml', HOSTS + 'health:\n  interval: 1m\n  timeout: 10s\n');
    const r = await apply(changed, '--dry-run');
    expect(r.updated).toEqual(['health:snapshots']);
    const d = await client.schedule.getHandle('health:snapshots').describe();
    expect(d.spec.intervals?.[0]?.every).toBe(30_000);
    const text = await hactl(['apply', changed, '--dry-run'], { env: env.env });
    expect(text.stdout).toMatch(/would update\s+schedule health:snapshots/);
    expect(text.stdout).toContain('Nothing was changed (dry run)');
  });

  it('updates a changed schedule in place and keeps an operator pause', async () => {
    await client.schedule.getHandle('health:snapshots').pause('paused by an operator');
    const changed = writeConfig(dir.dir, 'changed.yml', HOSTS + 'health:\n  interval: 1m\n  timeout: 10s\n');
    const r = await apply(changed);
    expect(r.updated).toEqual(['health:snapshots']);
    expect(r.unchanged).toEqual(['monitor:alpha', 'monitor:beta']);
    const d = await client.schedule.getHandle('health:snapshots').describe();
    expect(d.spec.intervals?.[0]?.every).toBe(60_000);
    expect(d.state.paused).toBe(true);
    expect((await apply(changed)).updated).toEqual([]);
    await client.schedule.getHandle('health:snapshots').unpause();
  });

  it('removing a section deletes exactly its schedule and leaves foreign ones alone', async () => {
    await client.schedule.create({
      scheduleId: 'nightly-report',
      spec: { intervals: [{ every: '1 day' }] },
      action: { type: 'startWorkflow', workflowType: 'someoneElsesWorkflow', taskQueue: 'elsewhere' },
    });
    await waitFor(
      async () =>
        (await scheduleIds()).includes('nightly-report') &&
        (await scheduleIds()).includes('health:snapshots'),
    );
    const noHealth = writeConfig(dir.dir, 'nohealth.yml', HOSTS);
    const r = await apply(noHealth);
    expect(r).toEqual({
      created: [],
      updated: [],
      deleted: ['health:snapshots'],
      unchanged: ['monitor:alpha', 'monitor:beta'],
    });
    expect(await exists('health:snapshots')).toBe(false);
    expect(await exists('nightly-report')).toBe(true);
  });

  it('removing a host stops exactly its monitor', async () => {
    await waitFor(async () => {
      const ids: string[] = [];
      for await (const w of client.workflow.list({
        query: `HaKind = 'monitor' AND ExecutionStatus = 'Running'`,
      }))
        ids.push(w.workflowId);
      return ids.includes('monitor:beta');
    });
    const onlyAlpha = writeConfig(dir.dir, 'alpha.yml', 'version: 1\nhosts:\n  - name: alpha\n');
    const r = await apply(onlyAlpha);
    expect(r.deleted).toEqual(['monitor:beta']);
    expect((await client.workflow.getHandle('monitor:beta').describe()).status.name).toBe('TERMINATED');
    expect((await client.workflow.getHandle('monitor:alpha').describe()).status.name).toBe('RUNNING');
    // Adding it back starts a new run.
    expect((await apply(full)).created).toEqual(['health:snapshots', 'monitor:beta']);
  });

  it('a config with several mistakes exits 2, reports each, and changes nothing', async () => {
    const before = await scheduleIds();
    const bad = writeConfig(
      dir.dir,
      'bad.yml',
      'version: 1\nhosts:\n  - name: alpha\n  - name: alpha\nhealth:\n  interval: 30\n  hosts: [gamma]\n',
    );
    const r = await hactl(['apply', bad], { env: env.env });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      `${bad}:4:11  hosts[1].name  duplicate host name "alpha" (first defined at line 3)`,
      `${bad}:6:13  health.interval  durations need a unit: write "30s" or "30m", not 30`,
      `${bad}:7:11  health.hosts[0]  unknown host "gamma"; defined hosts: alpha`,
      '3 error(s); nothing was applied.',
    ]);
    expect(await scheduleIds()).toEqual(before);
    expect((await apply(full)).unchanged).toHaveLength(3);
  });

  it('does not take over a schedule it did not create', async () => {
    const id = 'health:snapshots';
    await client.schedule.getHandle(id).delete();
    await client.schedule.create({
      scheduleId: id,
      spec: { intervals: [{ every: '1 hour' }] },
      action: { type: 'startWorkflow', workflowType: 'foreign', taskQueue: 'elsewhere' },
    });
    const r = await hactl(['apply', full, '--json'], { env: env.env });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).conflicts[0]).toMatch(/exists but was not created by hactl apply/);
    expect((await client.schedule.getHandle(id).describe()).action.workflowType).toBe('foreign');
    await client.schedule.getHandle(id).delete();
  });
});
