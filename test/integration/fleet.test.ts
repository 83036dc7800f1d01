// Two host workers as separate processes ("alpha", "beta"): host-local activities run in the
// right process, hosts/status see both, and a killed worker shows as down.
import type { Client } from '@temporalio/client';
import { hostState, runHealthSnapshot } from '../../src/api';
import type { HealthSnapshotResult } from '../../src/health/model/types';
import type { LiveHost } from '../../src/platform/hosts';
import type { StatusReport } from '../../src/platform/status';
import type { HostStatus } from '../../src/health/status';
import { connect, hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { WorkerProcess } from '../helpers';

const env = testEnv(__filename);
const dir = tempDir('fleet');
let client: Client;
let close: () => Promise<void>;
let alpha: WorkerProcess;
let beta: WorkerProcess;

const INTERVAL_S = 4;
const TIMEOUT_S = 2;
const config = writeConfig(
  dir.dir,
  'fleet.yml',
  `version: 1\nhosts:\n  - name: alpha\n  - name: beta\nhealth:\n  interval: ${INTERVAL_S}s\n  timeout: ${TIMEOUT_S}s\n`,
);

async function status(): Promise<StatusReport & { hosts: HostStatus[] }> {
  const r = await hactl(['status', '--json', '--config', config], { env: env.env });
  if (r.code !== 0) throw new Error(`status failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function hosts(): Promise<LiveHost[]> {
  const r = await hactl(['hosts', '--json'], { env: env.env });
  if (r.code !== 0) throw new Error(`hosts failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

beforeAll(async () => {
  ({ client, close } = await connect(env));
  [alpha, beta] = await Promise.all([startWorker(env, 'alpha'), startWorker(env, 'beta')]);
});

afterAll(async () => {
  alpha?.kill('SIGKILL');
  beta?.kill('SIGKILL');
  await close();
  dir.cleanup();
});

describe('a fleet of two host workers', () => {
  it('runs each host-local activity in that host’s own process', async () => {
    const result = await client.workflow.execute('healthSnapshotWorkflow', {
      taskQueue: 'ha-orchestrator',
      workflowId: `health-direct-${Date.now()}`,
      args: [{ hosts: ['alpha', 'beta'], timeoutMs: 10_000 }],
    });
    const r = result as HealthSnapshotResult;
    expect(r.up.sort()).toEqual(['alpha', 'beta']);
    const byHost = Object.fromEntries(r.reports.map((x) => [x.host, x]));
    const a = byHost.alpha!;
    const b = byHost.beta!;
    if (!a.ok || !b.ok) throw new Error('expected both reports to be ok');
    expect(a.snapshot.worker.pid).toBe(alpha.pid);
    expect(b.snapshot.worker.pid).toBe(beta.pid);
    expect(b.snapshot.host).toBe('beta');
    expect(b.snapshot.cpu.cores).toBeGreaterThan(0);
  });

  it('reports an unknown host as down within the timeout instead of waiting', async () => {
    const started = Date.now();
    const r = (await client.workflow.execute('healthSnapshotWorkflow', {
      taskQueue: 'ha-orchestrator',
      workflowId: `health-ghost-${Date.now()}`,
      args: [{ hosts: ['alpha', 'ghost'], timeoutMs: 1500 }],
    })) as HealthSnapshotResult;
    expect(r.up).toEqual(['alpha']);
    expect(r.down).toEqual(['ghost']);
    const ghost = r.reports.find((x) => x.host === 'ghost')!;
    expect(!ghost.ok && ghost.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('hactl hosts --json lists both live workers', async () => {
    const live = await waitFor(async () => {
      const h = await hosts();
      return h.length === 2 ? h : undefined;
    });
    expect(live.map((h) => h.host)).toEqual(['alpha', 'beta']);
    for (const h of live) {
      expect(h.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(h.uptimeSeconds).toBeGreaterThanOrEqual(0);
      expect(typeof h.uptimeSeconds).toBe('number');
    }
    expect(live.find((h) => h.host === 'beta')!.pid).toBe(beta.pid);
  });

  it('hactl status --json shows a fresh snapshot per host from the schedule', async () => {
    const applied = await hactl(['apply', config], { env: env.env });
    expect(applied.code).toBe(0);
    const report = await waitFor(
      async () => {
        const s = await status();
        return s.hosts.length === 2 && s.hosts.every((h) => h.state === 'up' && h.snapshot) ? s : undefined;
      },
      { timeoutMs: 4 * INTERVAL_S * 1000, message: () => 'both hosts never showed up' },
    );
    for (const h of report.hosts) {
      expect(h.ageSeconds).not.toBeNull();
      expect(h.ageSeconds!).toBeLessThan(INTERVAL_S * 3);
      expect(h.snapshot!.host).toBe(h.host);
      expect(h.snapshot!.memory.totalBytes).toBeGreaterThan(0);
    }
    expect(report.schedules.find((s) => s.id === 'health:snapshots')?.nextRunAt).toBeTruthy();
  });

  it('the typed client API gives the same answers', async () => {
    const r = await runHealthSnapshot(client, { hosts: ['alpha', 'beta'], timeoutMs: 10_000 });
    expect(r.up.sort()).toEqual(['alpha', 'beta']);
    const st = await hostState(client, 'alpha');
    expect(st.state).toBe('up');
    expect(st.lastSnapshot?.worker.pid).toBe(alpha.pid);
  });

  it('a killed worker shows as down within one interval plus the timeout', async () => {
    beta.kill('SIGKILL');
    const killedAt = Date.now();
    const s = await waitFor(
      async () => {
        const r = await status();
        return r.hosts.find((h) => h.host === 'beta')?.state === 'down' ? r : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const elapsed = (Date.now() - killedAt) / 1000;
    const b = s.hosts.find((h) => h.host === 'beta')!;
    expect(b.error).toMatch(/no answer/);
    expect(b.snapshot).not.toBeNull(); // the last good snapshot is kept, with its age
    expect(s.hosts.find((h) => h.host === 'alpha')!.state).toBe('up');
    // Bound: one interval + the timeout, plus scheduling slack (and one status round trip).
    expect(elapsed).toBeLessThan(INTERVAL_S + TIMEOUT_S + 10);
    // The query can answer from the worker's memory a moment before the workflow task that
    // upserted the search attribute is committed: wait for the server's copy.
    const m = await waitFor(
      async () => {
        const d = await client.workflow.getHandle('monitor:beta').describe();
        return d.searchAttributes.HaState?.[0] === 'down' ? d : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(m.searchAttributes.HaState).toEqual(['down']);
  });

  it('hosts drops the killed worker after missed heartbeats', async () => {
    const live = await waitFor(
      async () => {
        const h = await hosts();
        return h.length === 1 ? h : undefined;
      },
      { timeoutMs: 40_000 },
    );
    expect(live.map((h) => h.host)).toEqual(['alpha']);
  });

  it('a restarted worker comes back up', async () => {
    beta = await startWorker(env, 'beta');
    await waitFor(async () => (await status()).hosts.find((h) => h.host === 'beta')?.state === 'up', {
      timeoutMs: 60_000,
    });
  });

  it('SIGTERM stops a worker cleanly with exit 0', async () => {
    expect(await alpha.stop()).toBe(0);
    expect(await beta.stop()).toBe(0);
  });
});
