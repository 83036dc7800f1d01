// The alerts manager and a notifier with mocked delivery, on the suite's server: `for` counted
// in samples, a pending alert that recovers never notified, grouping, retries until the
// receiver answers, maxAge, and the manager's state across continue-as-new.
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { AlertRule, Notification, ReceiverSpec, Route } from '../../src/alerts/model/types';
import { samplesSignal } from '../../src/core/metrics';
import type { SampleBatch } from '../../src/core/metrics';
import { reconfigureSignal } from '../../src/core/controller';
import { SHARED_TASK_QUEUE } from '../../src/core/names';
import type { alertsManagerWorkflow, AlertsManagerInput } from '../../workflows/alerts/manager';
import { alertsQuery, eventSignal, notifierQuery, notifySignal } from '../../workflows/alerts/messages';
import type { notifierWorkflow } from '../../workflows/alerts/notifier';
import { testEnv, waitFor } from '../helpers';
import { withMockedActivities } from './harness';

const env = testEnv(__filename);

const rule: AlertRule = {
  name: 'MemoryFull',
  metric: 'memory.used_percent',
  where: {},
  op: '>',
  threshold: 90,
  resolve: null,
  for: { samples: 3 },
  keepFiringForMs: 0,
  severity: 'warning',
  hosts: null,
  labels: {},
  annotations: { summary: '{{ host }} at {{ value }}' },
};

const route: Route = {
  matchers: [],
  receiver: 'hook',
  groupBy: ['alertname'],
  groupWaitMs: 500,
  groupIntervalMs: 60_000,
  repeatIntervalMs: 3_600_000,
  continue: false,
};

function managerInput(extra: Partial<AlertsManagerInput> = {}): AlertsManagerInput {
  return {
    rules: [rule],
    dispatch: {
      routes: [route],
      defaultRoute: null,
      receivers: { hook: { sendResolved: true } },
      inhibit: [],
      externalURL: 'http://ui',
      generatorURL: 'http://ui/wf',
    },
    monitors: {},
    staleAfterMs: 3_600_000,
    fleetIntervalMs: null,
    ...extra,
  };
}

const receiver: ReceiverSpec = { name: 'hook', type: 'log', sendResolved: true, maxAgeMs: 60_000 };

let sample = 0;
function batch(host: string, value: number): SampleBatch {
  return {
    source: host,
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, ++sample)).toISOString(),
    samples: [{ name: 'memory.used_percent', labels: {}, value }],
  };
}

/** Starts manager and notifier (fresh IDs per test through the namespace's unique run). */
async function start(client: Client, input: AlertsManagerInput) {
  const manager = await client.workflow.start<typeof alertsManagerWorkflow>('alertsManagerWorkflow', {
    workflowId: 'alerts:manager',
    taskQueue: SHARED_TASK_QUEUE,
    args: [input],
    workflowIdConflictPolicy: 'TERMINATE_EXISTING',
  });
  const notifier = await client.workflow.start<typeof notifierWorkflow>('notifierWorkflow', {
    workflowId: 'notify:hook',
    taskQueue: SHARED_TASK_QUEUE,
    args: [{ receiver }],
    workflowIdConflictPolicy: 'TERMINATE_EXISTING',
  });
  return { manager, notifier };
}

/** Mocked delivery: records payloads; `failFirst` attempts fail first. */
function delivery(failFirst = 0) {
  const got: Notification[] = [];
  let attempts = 0;
  return {
    got,
    attempts: () => attempts,
    activities: {
      async alertsDeliver(input: { notification: Notification }): Promise<void> {
        attempts++;
        if (attempts <= failFirst) throw ApplicationFailure.retryable(`receiver down (attempt ${attempts})`);
        got.push(input.notification);
      },
      async alertsCollectFleet(): Promise<SampleBatch[]> {
        return [];
      },
    },
  };
}

describe('alerts manager and notifier (mocked delivery)', () => {
  it('fires on the third bad sample, not before; a pending alert that recovers is never notified', async () => {
    const d = delivery();
    await withMockedActivities(
      env,
      [],
      async (client) => {
        const { manager, notifier } = await start(client, managerInput());
        // beta: two bad samples, then good: pending, dropped, never notified.
        for (const v of [95, 95, 80]) await manager.signal(samplesSignal, batch('beta', v));
        // alpha: three bad samples fire.
        await manager.signal(samplesSignal, batch('alpha', 95));
        await manager.signal(samplesSignal, batch('alpha', 95));
        await waitFor(async () =>
          (await manager.query(alertsQuery)).alerts.some(
            (a) => a.labels.host === 'alpha' && a.state === 'pending',
          ),
        );
        expect((await manager.query(alertsQuery)).alerts.filter((a) => a.state === 'firing')).toEqual([]);
        await manager.signal(samplesSignal, batch('alpha', 95));
        await waitFor(() => d.got.length > 0, { timeoutMs: 15_000 });
        expect(d.got).toHaveLength(1);
        expect(d.got[0]!.payload.alerts.map((a) => a.labels.host)).toEqual(['alpha']);
        expect(d.got[0]!.payload.alerts[0]!.annotations.summary).toBe('alpha at 95');
        await manager.terminate();
        await notifier.terminate();
      },
      d.activities,
    );
  });

  it('retries delivery until the receiver answers, keeping the notification', async () => {
    const d = delivery(3);
    await withMockedActivities(
      env,
      [],
      async (client) => {
        const { manager, notifier } = await start(
          client,
          managerInput({ rules: [{ ...rule, for: { samples: 1 } }] }),
        );
        await manager.signal(samplesSignal, batch('alpha', 99));
        await waitFor(() => d.got.length > 0, { timeoutMs: 30_000 });
        expect(d.attempts()).toBe(4);
        const s = await notifier.query(notifierQuery);
        expect(s).toMatchObject({ delivered: 1, dropped: 0, queued: 0, lastError: null });
        await manager.terminate();
        await notifier.terminate();
      },
      d.activities,
    );
  });

  it('keeps its alerts and what it sent across continue-as-new: no duplicate notification', async () => {
    const d = delivery();
    await withMockedActivities(
      env,
      [],
      async (client) => {
        const { manager, notifier } = await start(
          client,
          managerInput({ rules: [{ ...rule, for: { samples: 1 } }], maxEventsPerRun: 3 }),
        );
        await manager.signal(samplesSignal, batch('alpha', 99));
        await waitFor(() => d.got.length === 1, { timeoutMs: 15_000 });
        for (let i = 0; i < 7; i++) await manager.signal(samplesSignal, batch('alpha', 98));
        await waitFor(async () => (await manager.query(alertsQuery)).alerts[0]?.value === 98);
        const v = await manager.query(alertsQuery);
        expect(v.alerts.map((a) => [a.labels.host, a.state])).toEqual([['alpha', 'firing']]);
        expect(v.notificationsSent).toBe(1);
        const desc = await client.workflow.getHandle('alerts:manager').describe();
        expect(desc.runId).not.toBe(manager.firstExecutionRunId);
        await new Promise((r) => setTimeout(r, 1500));
        expect(d.got).toHaveLength(1);
        await client.workflow.getHandle('alerts:manager').terminate();
        await notifier.terminate();
      },
      d.activities,
    );
  });
});

describe('review fixes: flapping, staleness, reconfigure', () => {
  it('a series that flaps while pending is never told', async () => {
    const d = delivery();
    await withMockedActivities(
      env,
      [],
      async (client) => {
        const { manager, notifier } = await start(
          client,
          managerInput({ rules: [{ ...rule, for: { samples: 5 } }] }),
        );
        for (let i = 0; i < 25; i++) await manager.signal(samplesSignal, batch('alpha', i % 2 ? 10 : 99));
        await waitFor(async () => (await manager.query(alertsQuery)).alerts.some((a) => a.flapping));
        await new Promise((r) => setTimeout(r, 1500));
        expect(d.got).toEqual([]);
        const v = await manager.query(alertsQuery);
        expect(v.alerts.map((a) => a.state)).toEqual(['pending']);
        await manager.terminate();
        await notifier.terminate();
      },
      d.activities,
    );
  });

  it('a series missing from a snapshot that answered resolves its alert (a mount went away)', async () => {
    const d = delivery();
    const fsRule: AlertRule = { ...rule, name: 'DiskFull', metric: 'fs.used_percent', for: { samples: 1 } };
    const snap = (mounts: string[]): SampleBatch => ({
      source: 'alpha',
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, ++sample)).toISOString(),
      samples: [
        { name: 'host.up', labels: {}, value: 1 },
        ...mounts.map((m) => ({ name: 'fs.used_percent', labels: { mount: m }, value: 99 })),
      ],
    });
    await withMockedActivities(
      env,
      [],
      async (client) => {
        const input = managerInput({ rules: [fsRule] });
        input.dispatch.routes = [{ ...route, groupIntervalMs: 1000 }];
        const { manager, notifier } = await start(client, input);
        await manager.signal(samplesSignal, snap(['/', '/data']));
        await waitFor(() => d.got.length === 1, { timeoutMs: 15_000 });
        expect(d.got[0]!.payload.alerts.map((a) => a.labels.mount).sort()).toEqual(['/', '/data']);
        await manager.signal(samplesSignal, snap(['/']));
        await waitFor(() => d.got.length === 2, { timeoutMs: 15_000 });
        const second = d.got[1]!.payload.alerts.map((a) => `${a.labels.mount}:${a.status}`).sort();
        expect(second).toEqual(['/:firing', '/data:resolved']);
        await manager.terminate();
        await notifier.terminate();
      },
      d.activities,
    );
  });

  it('survives an apply that removes every route, and routes again after the next one', async () => {
    const d = delivery();
    await withMockedActivities(
      env,
      [],
      async (client) => {
        const input = managerInput({ rules: [{ ...rule, for: { samples: 1 } }] });
        const { manager, notifier } = await start(client, input);
        await manager.signal(samplesSignal, batch('alpha', 99));
        await waitFor(() => d.got.length === 1, { timeoutMs: 15_000 });
        const none = { ...input, dispatch: { ...input.dispatch, routes: [], receivers: {} } };
        await manager.signal(reconfigureSignal, { input: none, configHash: 'none' });
        await manager.signal(samplesSignal, batch('beta', 99));
        await waitFor(async () => (await manager.query(alertsQuery)).alerts.length === 2);
        await manager.signal(reconfigureSignal, { input, configHash: 'back' });
        await manager.signal(samplesSignal, batch('gamma', 99));
        await waitFor(() => d.got.some((n) => n.payload.alerts.some((a) => a.labels.host === 'gamma')), {
          timeoutMs: 15_000,
        });
        expect((await manager.describe()).status.name).toBe('RUNNING');
        await manager.terminate();
        await notifier.terminate();
      },
      d.activities,
    );
  });
});

describe('events across continue-as-new', () => {
  it('delivers every event once, also those that arrive while the manager continues as new', async () => {
    const d = delivery();
    await withMockedActivities(
      env,
      [],
      async (client) => {
        const { manager, notifier } = await start(client, managerInput({ maxEventsPerRun: 2 }));
        // Spaced so that later events arrive while earlier groups' notifications go out.
        const names = Array.from({ length: 24 }, (_, i) => `Event${i}`);
        for (const n of names) {
          await manager.signal(eventSignal, { labels: { alertname: n } });
          await new Promise((r) => setTimeout(r, 40));
        }
        const told = (): string[] => d.got.flatMap((n) => n.payload.alerts.map((a) => a.labels.alertname!));
        await waitFor(() => told().length >= names.length, {
          timeoutMs: 30_000,
          message: () => `told only ${told().join(', ')}`,
        });
        await new Promise((r) => setTimeout(r, 1500));
        expect(told().sort()).toEqual([...names].sort());
        const desc = await client.workflow.getHandle('alerts:manager').describe();
        expect(desc.runId).not.toBe(manager.firstExecutionRunId);
        await client.workflow.getHandle('alerts:manager').terminate();
        await notifier.terminate();
      },
      d.activities,
    );
  });
});

describe('notifier maxAge', () => {
  it('gives up on a notification older than the receiver maxAge, says so, and moves on', async () => {
    const d = delivery(1000);
    await withMockedActivities(
      env,
      [],
      async (client) => {
        const notifier = await client.workflow.start<typeof notifierWorkflow>('notifierWorkflow', {
          workflowId: 'notify:short',
          taskQueue: SHARED_TASK_QUEUE,
          args: [{ receiver: { ...receiver, name: 'short', maxAgeMs: 3000 } }],
        });
        const payload = {
          version: '4' as const,
          groupKey: 'g',
          truncatedAlerts: 0,
          status: 'firing' as const,
          receiver: 'short',
          groupLabels: {},
          commonLabels: {},
          commonAnnotations: {},
          routeLabels: {},
          notification_reason: 'first notification',
          externalURL: 'x',
          alerts: [],
        };
        await notifier.signal(notifySignal, {
          groupKey: 'g',
          seq: 1,
          createdAt: new Date().toISOString(),
          receiver: 'short',
          repeatIntervalMs: 3_600_000,
          payload,
        });
        await waitFor(async () => (await notifier.query(notifierQuery)).dropped === 1, { timeoutMs: 30_000 });
        const s = await notifier.query(notifierQuery);
        expect(s).toMatchObject({ delivered: 0, queued: 0 });
        expect(d.attempts()).toBeGreaterThanOrEqual(2);
        await notifier.terminate();
      },
      d.activities,
    );
  });
});
