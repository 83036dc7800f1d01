// redundancy:<service> with mocked host activities, on the suite's server: placement, the
// ladder (restart in place, move after N restarts, backoff that keeps trying), a host whose
// worker stops answering, pause, scale, manual restarts and continue-as-new.
// Over 400 lines on purpose: one fake fleet serves every path of the service controller.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { SHARED_TASK_QUEUE } from '../../src/core/names';
import type { HostLoad, ServiceSpec, ServiceView, WatchResult } from '../../src/redundancy/model/types';
import type { redundancyWorkflow, RedundancyInput } from '../../workflows/redundancy/controller';
import {
  pauseUpdate,
  restartUpdate,
  scaleUpdate,
  serviceHistoryQuery,
  serviceQuery,
} from '../../workflows/redundancy/messages';
import type { WatchInput } from '../../activities/redundancy/watch';
import type { ActInput } from '../../activities/redundancy/act';
import {
  restartService,
  scaleService,
  ServiceNotFound,
  ServiceRequestRefused,
} from '../../src/redundancy/client';
import { testEnv, waitFor } from '../helpers';
import { unique, viewInMemo, withMockedActivities } from './harness';
import type { MockHost } from './harness';

const env = testEnv(__filename);
const HOSTS = ['alpha', 'beta', 'gamma'];
const cmd = { argv: ['x'], timeoutMs: 5000, env: {}, shell: false };

function spec(extra: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name: unique('web'),
    hosts: HOSTS,
    minInstances: 2,
    maxInstances: 2,
    maxPerHost: 1,
    start: cmd,
    stop: cmd,
    status: null,
    probes: [],
    restart: {
      inPlace: 2,
      windowMs: 600_000,
      backoff: { initialMs: 300, maxMs: 1200, factor: 2, jitter: 0 },
      giveUpAfterMs: null,
      resetAfterMs: 600_000,
    },
    ...extra,
  };
}

/**
 * A fake fleet: which instances run where, whether each is healthy, which hosts answer, and
 * every call made. The watch resolves when the fake health differs from what the controller
 * believes, as the real one does.
 */
function fleet(loads: Record<string, number> = { alpha: 30, beta: 10, gamma: 60 }) {
  const running = new Map<string, string>(); // instance -> host
  const sick = new Set<string>(); // instance@host whose probes fail
  const dead = new Set<string>(); // hosts whose worker "does not answer"
  const failStart = new Set<string>(); // hosts where start fails
  const frozen = new Set<string>(); // hosts whose worker takes tasks but never answers again
  const calls: string[] = [];
  const key = (i: string, h: string): string => `${i}@${h}`;
  const host = (h: string): MockHost => ({
    host: h,
    activities: {
      async serviceWatch(input: WatchInput): Promise<WatchResult | null> {
        const ctx = Context.current();
        if (frozen.has(h)) {
          // A host that answers heartbeats but never a probe, then fails: slower than the 10 s
          // after which a lost instance is looked at again.
          for (let i = 0; i < 16; i++) {
            ctx.heartbeat();
            await ctx.sleep(1000);
          }
          throw ApplicationFailure.retryable(`worker of ${h} gone`);
        }
        for (;;) {
          if (dead.has(h))
            throw ApplicationFailure.retryable(`worker of ${h} gone (simulated heartbeat timeout)`);
          const healthy = running.get(input.instance) === h && !sick.has(key(input.instance, h));
          const believed =
            input.believed === 'healthy' ? true : input.believed === 'unhealthy' ? false : null;
          if (healthy !== believed)
            return {
              healthy,
              reason: healthy ? 'probes passed' : 'http: ECONNREFUSED',
              at: new Date().toISOString(),
            };
          ctx.heartbeat();
          await Promise.race([ctx.sleep(50), ctx.cancelled]);
        }
      },
      async serviceStart(input: ActInput) {
        calls.push(`start ${key(input.instance, h)}`);
        if (dead.has(h)) throw ApplicationFailure.retryable(`worker of ${h} gone`);
        if (failStart.has(h))
          throw ApplicationFailure.nonRetryable(
            `start of ${input.instance} on ${h} failed: exit 3`,
            'ServiceActionFailed',
          );
        if (running.get(input.instance) === h && !sick.has(key(input.instance, h)))
          return { outcome: 'running', detail: 'already running' };
        running.set(input.instance, h);
        sick.delete(key(input.instance, h));
        return { outcome: 'started', detail: 'exit 0' };
      },
      async serviceStop(input: ActInput) {
        calls.push(`stop ${key(input.instance, h)}`);
        if (dead.has(h)) throw ApplicationFailure.retryable(`worker of ${h} gone`);
        if (running.get(input.instance) === h) running.delete(input.instance);
        return { detail: 'exit 0' };
      },
      async serviceRestart(input: ActInput) {
        calls.push(`restart ${key(input.instance, h)}`);
        if (failStart.has(h))
          throw ApplicationFailure.nonRetryable(
            `start of ${input.instance} on ${h} failed: exit 3`,
            'ServiceActionFailed',
          );
        running.set(input.instance, h);
        sick.delete(key(input.instance, h));
        return { outcome: 'started', detail: 'exit 0' };
      },
    },
  });
  return {
    running,
    sick,
    dead,
    failStart,
    frozen,
    calls,
    hosts: HOSTS.map(host),
    shared: {
      async serviceHostLoads(input: { hosts: string[]; maintenance: string[] }): Promise<HostLoad[]> {
        return input.hosts.map((h) => ({
          host: h,
          up: !dead.has(h),
          maintenance: input.maintenance.includes(h),
          cpu: loads[h] ?? null,
          memory: 40,
        }));
      },
    },
  };
}

async function start(client: Client, input: RedundancyInput) {
  return client.workflow.start<typeof redundancyWorkflow>('redundancyWorkflow', {
    workflowId: `redundancy:${input.spec.name}`,
    taskQueue: SHARED_TASK_QUEUE,
    args: [input],
  });
}

const where = (v: ServiceView): string[] => v.instances.map((i) => `${i.id}@${i.host}:${i.state}`).sort();

describe('redundancy controller (mocked hosts)', () => {
  it('starts the wanted instances on the least-loaded hosts, spread, and says why', async () => {
    const f = fleet();
    const s = spec();
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const h = await start(client, { spec: s, maintenance: [] });
        await waitFor(async () => (await h.query(serviceQuery)).health === 'healthy');
        const v = await h.query(serviceQuery);
        expect(where(v)).toEqual([`${s.name}-1@beta:healthy`, `${s.name}-2@alpha:healthy`]);
        const hist = await h.query(serviceHistoryQuery);
        expect(hist.filter((e) => e.what === 'start').map((e) => e.reason)).toEqual([
          `0 of 2 instances: starting ${s.name}-1 on beta (least loaded: cpu 10 %, memory 40 %)`,
          `1 of 2 instances: starting ${s.name}-2 on alpha (least loaded: cpu 30 %, memory 40 %)`,
        ]);
        // The memo keeps the view (hactl status reads it); nothing changes, nothing is written.
        const written = await viewInMemo(h, () => h.query(serviceQuery));
        await new Promise((r) => setTimeout(r, 3_000));
        expect(await viewInMemo(h, () => h.query(serviceQuery))).toBe(written);
        await h.terminate();
      },
      f.shared,
    );
  });

  it('restarts in place, then moves after N restarts within the window', async () => {
    const f = fleet();
    const s = spec({ minInstances: 1, maxInstances: 1 });
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const h = await start(client, { spec: s, maintenance: [] });
        const id = `${s.name}-1`;
        await waitFor(async () => (await h.query(serviceQuery)).health === 'healthy');
        // Crash 1 and 2: restarted in place on beta.
        for (let n = 1; n <= 2; n++) {
          f.sick.add(`${id}@beta`);
          await waitFor(() => f.calls.filter((c) => c === `restart ${id}@beta`).length === n);
          await waitFor(async () => (await h.query(serviceQuery)).health === 'healthy');
        }
        // Crash 3: two restarts within the window already, so it moves (beta -> alpha).
        f.sick.add(`${id}@beta`);
        await waitFor(async () => where(await h.query(serviceQuery)).includes(`${id}@alpha:healthy`));
        expect(f.calls).toContain(`stop ${id}@beta`);
        const hist = await h.query(serviceHistoryQuery);
        expect(hist.filter((e) => e.what === 'restart').map((e) => e.reason)).toEqual([
          'beta: http: ECONNREFUSED; restart 1 of 2 within 10m',
          'beta: http: ECONNREFUSED; restart 2 of 2 within 10m',
        ]);
        expect(hist.find((e) => e.what === 'move')?.reason).toBe(
          'beta: 2 restarts within 10m, moving to alpha (least loaded: cpu 30 %, memory 40 %)',
        );
        const v = await h.query(serviceQuery);
        expect(v.instances[0]).toMatchObject({ id, host: 'alpha', restartsTotal: 2, restarts: [] });
        await h.terminate();
      },
      f.shared,
    );
  });

  it('a start that always fails backs off to its cap and keeps trying; fixed, it recovers', async () => {
    const f = fleet();
    const s = spec({ minInstances: 1, maxInstances: 1, hosts: ['alpha'] });
    f.failStart.add('alpha');
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const h = await start(client, { spec: s, maintenance: [] });
        await waitFor(() => f.calls.length >= 7, { timeoutMs: 30_000 });
        const v = await h.query(serviceQuery);
        expect(v.health).toBe('down');
        expect(v.instances[0]!.lastReason).toContain('exit 3');
        const hist = await h.query(serviceHistoryQuery);
        const tries = hist.filter((e) => e.what === 'start-failed').map((e) => Date.parse(e.at));
        const gaps = tries.slice(1).map((t, i) => t - tries[i]!);
        // 0, 300, 600, 1200, 1200 ms (+ the time each attempt takes): it grows (the cap is unit-tested).
        expect(gaps.length).toBeGreaterThanOrEqual(4);
        expect(gaps[1]!).toBeGreaterThanOrEqual(300);
        expect(gaps[2]!).toBeGreaterThanOrEqual(600);
        expect(gaps[3]!).toBeGreaterThanOrEqual(1200);
        // No other host, so it restarts in place and says so.
        expect(hist.some((e) => e.reason.includes('but no other host'))).toBe(true);
        f.failStart.delete('alpha');
        await waitFor(async () => (await h.query(serviceQuery)).health === 'healthy', { timeoutMs: 15_000 });
        await h.terminate();
      },
      f.shared,
    );
  });

  it('gives up only when told to (giveUpAfter); a manual restart revives it', async () => {
    const f = fleet();
    const s = spec({ minInstances: 1, maxInstances: 1, hosts: ['alpha'] });
    s.restart.giveUpAfterMs = 1500;
    f.failStart.add('alpha');
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const h = await start(client, { spec: s, maintenance: [] });
        await waitFor(async () => (await h.query(serviceQuery)).instances[0]?.state === 'failed', {
          timeoutMs: 20_000,
        });
        const hist = await h.query(serviceHistoryQuery);
        expect(hist.find((e) => e.what === 'give-up')?.reason).toMatch(
          /^alpha: failing for \S+ \(giveUpAfter 2s\); last: start of \S+ on alpha failed: exit 3$/,
        );
        const tries = f.calls.length;
        await new Promise((r) => setTimeout(r, 2000));
        expect(f.calls.length).toBe(tries); // no more attempts, and no new instance either
        expect((await h.query(serviceQuery)).instances).toHaveLength(1);
        f.failStart.delete('alpha');
        await restartService(client, s.name, 'ann');
        await waitFor(async () => (await h.query(serviceQuery)).health === 'healthy');
        await h.terminate();
      },
      f.shared,
    );
  });

  it('a host whose worker stops answering: its instance moves, and is stopped there once it is back', async () => {
    const f = fleet();
    const s = spec();
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const h = await start(client, { spec: s, maintenance: [] });
        await waitFor(async () => (await h.query(serviceQuery)).health === 'healthy');
        f.dead.add('beta');
        await waitFor(async () => where(await h.query(serviceQuery)).includes(`${s.name}-1@gamma:healthy`));
        let v = await h.query(serviceQuery);
        expect(v.orphans).toEqual([expect.objectContaining({ instance: `${s.name}-1`, host: 'beta' })]);
        const hist = await h.query(serviceHistoryQuery);
        expect(hist.find((e) => e.what === 'lost')?.reason).toContain('worker of beta not answering');
        // The worker is back: what ran there is stopped.
        f.dead.delete('beta');
        await waitFor(async () => (await h.query(serviceQuery)).orphans.length === 0, { timeoutMs: 20_000 });
        expect(f.calls).toContain(`stop ${s.name}-1@beta`);
        v = await h.query(serviceQuery);
        expect(where(v)).toEqual([`${s.name}-1@gamma:healthy`, `${s.name}-2@alpha:healthy`]);
        await h.terminate();
      },
      f.shared,
    );
  });

  it('a lost instance with nowhere to go is looked at every 10 s, without a storm of timers', async () => {
    const f = fleet();
    const s = spec({ minInstances: 1, maxInstances: 1, hosts: ['alpha'] });
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const h = await start(client, { spec: s, maintenance: [] });
        await waitFor(async () => (await h.query(serviceQuery)).health === 'healthy');
        f.frozen.add('alpha');
        f.sick.add(`${s.name}-1@alpha`); // the running watch reports, the next one freezes
        await waitFor(async () => (await h.query(serviceQuery)).instances[0]?.state === 'lost', {
          timeoutMs: 60_000,
        });
        const before = (await h.describe()).historyLength;
        await new Promise((r) => setTimeout(r, 30_000));
        const grew = (await h.describe()).historyLength - before;
        // About one watch attempt (scheduled, failed, a workflow task, a timer) per 10 s or so.
        expect(grew).toBeLessThan(60);
        await h.terminate();
      },
      f.shared,
    );
  }, 120_000);

  it('pause: probes go on, nothing is restarted until resume', async () => {
    const f = fleet();
    const s = spec({ minInstances: 1, maxInstances: 1 });
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const h = await start(client, { spec: s, maintenance: [] });
        await waitFor(async () => (await h.query(serviceQuery)).health === 'healthy');
        await h.executeUpdate(pauseUpdate, { args: [{ paused: true, by: 'ann', reason: 'upgrade' }] });
        f.sick.add(`${s.name}-1@beta`);
        await waitFor(async () => (await h.query(serviceQuery)).instances[0]?.state === 'unhealthy');
        await new Promise((r) => setTimeout(r, 1500));
        expect(f.calls.filter((c) => c.startsWith('restart'))).toEqual([]);
        expect((await h.query(serviceQuery)).health).toBe('paused');
        await h.executeUpdate(pauseUpdate, { args: [{ paused: false, by: 'ann' }] });
        await waitFor(async () => (await h.query(serviceQuery)).health === 'healthy');
        expect(f.calls.filter((c) => c.startsWith('restart'))).toEqual([`restart ${s.name}-1@beta`]);
        await h.terminate();
      },
      f.shared,
    );
  });

  it('scale until the next apply; a manual restart goes one instance at a time; refusals say why', async () => {
    const f = fleet();
    const s = spec();
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const h = await start(client, { spec: s, maintenance: [] });
        await waitFor(async () => (await h.query(serviceQuery)).health === 'healthy');
        await expect(scaleService(client, s.name, -2, 'ann')).rejects.toThrow(
          new ServiceRequestRefused('instances must be a whole number from 0 to 1000, got -2'),
        );
        await h.executeUpdate(scaleUpdate, { args: [{ instances: 3, by: 'ann' }] });
        await waitFor(async () => (await h.query(serviceQuery)).healthy === 3);
        expect(where(await h.query(serviceQuery))).toContain(`${s.name}-3@gamma:healthy`);
        await h.executeUpdate(scaleUpdate, { args: [{ instances: 1, by: 'ann' }] });
        await waitFor(async () => (await h.query(serviceQuery)).instances.length === 1);
        await expect(restartService(client, s.name, 'ann', 'delta')).rejects.toThrow(
          /^no instance on host delta \(instances are on: (alpha|beta|gamma)\)$/,
        );
        await expect(scaleService(client, unique('nope'), 1, 'ann')).rejects.toThrow(ServiceNotFound);
        // Apply (reconfigure) restores the config's two instances.
        await h.signal('reconfigure', { input: { spec: s, maintenance: [] }, configHash: 'x' });
        await waitFor(async () => (await h.query(serviceQuery)).healthy === 2);
        f.calls.length = 0;
        await h.executeUpdate(restartUpdate, { args: [{ by: 'ann' }] });
        await waitFor(() => f.calls.filter((c) => c.startsWith('restart')).length === 2);
        await waitFor(async () => (await h.query(serviceQuery)).health === 'healthy');
        const hist = await h.query(serviceHistoryQuery);
        const restarts = hist.filter((e) => e.what === 'restart');
        expect(restarts.map((e) => e.reason)).toEqual(['requested by ann', 'requested by ann']);
        // One at a time: the second starts after the first is healthy again.
        const first = hist.indexOf(restarts[0]!);
        const back = hist.findIndex(
          (e, i) => i > first && e.what === 'healthy' && e.instance === restarts[0]!.instance,
        );
        expect(back).toBeGreaterThan(first);
        expect(hist.indexOf(restarts[1]!)).toBeGreaterThan(back);
        await h.terminate();
      },
      f.shared,
    );
  });

  it('keeps its instances and history across continue-as-new', async () => {
    const f = fleet();
    const s = spec({ minInstances: 1, maxInstances: 1 });
    await withMockedActivities(
      env,
      f.hosts,
      async (client) => {
        const h = await start(client, { spec: s, maintenance: [], maxEventsPerRun: 4 });
        await waitFor(async () => (await h.query(serviceQuery)).health === 'healthy');
        f.sick.add(`${s.name}-1@beta`);
        await waitFor(() => f.calls.some((c) => c.startsWith('restart')));
        await waitFor(async () => (await h.query(serviceQuery)).health === 'healthy');
        const desc = await client.workflow.getHandle(`redundancy:${s.name}`).describe();
        expect(desc.runId).not.toBe(h.firstExecutionRunId);
        const v = await client.workflow.getHandle(`redundancy:${s.name}`).query(serviceQuery);
        expect(where(v)).toEqual([`${s.name}-1@beta:healthy`]);
        expect(v.instances[0]!.restartsTotal).toBe(1);
        // One start in all: a new run never starts a second instance.
        expect(f.calls.filter((c) => c.startsWith('start'))).toEqual([`start ${s.name}-1@beta`]);
        await client.workflow.getHandle(`redundancy:${s.name}`).terminate();
      },
      f.shared,
    );
  });
});
