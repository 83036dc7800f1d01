// hostMonitorWorkflow: a controller that lives for months keeps its state across
// continue-as-new, and its history stays short.
import type { temporal } from '@temporalio/proto';
import type { HostReport, MonitorState } from '../../src/health/model/types';
import { collectHostStatus } from '../../src/health/status';
import { HEALTH_KIND } from '../../src/health/model/ids';
import { SA } from '../../src/core/search-attribute-names';
import { MEMO, SHARED_TASK_QUEUE } from '../../src/core/names';
import type { hostMonitorWorkflow } from '../../workflows/health/host-monitor';
import { VIEW_MAX_CHARS } from '../../workflows/shared/controller';
import type { alertsManagerWorkflow } from '../../workflows/alerts/manager';
import { alertsQuery } from '../../workflows/alerts/messages';
import { hostReportSignal, monitorStateQuery, subscribeSignal } from '../../workflows/health/messages';
import { testEnv, waitFor } from '../helpers';
import { healthReport } from '../helpers/health';
import { unique, withMockedActivities } from './harness';

const env = testEnv(__filename);

const report = (host: string, i: number, ok: boolean): HostReport => healthReport(host, i, ok);

describe('hostMonitorWorkflow (continue-as-new)', () => {
  it('keeps its state across continue-as-new, with a short history per run', async () => {
    const host = unique('m');
    // up, up, down, down, up, up, up: the last change (to up) is at report 4.
    const oks = [true, true, false, false, true, true, true];
    await withMockedActivities(env, [], async (client) => {
      const handle = await client.workflow.start<typeof hostMonitorWorkflow>('hostMonitorWorkflow', {
        workflowId: `monitor:${host}`,
        taskQueue: SHARED_TASK_QUEUE,
        args: [{ host, maxReportsPerRun: 3 }],
        // As hactl apply starts it: status lists the monitors by kind.
        searchAttributes: { [SA.kind]: [HEALTH_KIND.monitor] },
      });
      for (const [i, ok] of oks.entries()) {
        await handle.signal(hostReportSignal, report(host, i, ok));
        // One at a time, so that each run sees its own reports.
        await waitFor(
          async () =>
            (await client.workflow.getHandle(handle.workflowId).query(monitorStateQuery)).reports === i + 1,
          {
            timeoutMs: 20_000,
          },
        );
      }
      const latest = client.workflow.getHandle(handle.workflowId);
      const s = await latest.query(monitorStateQuery);
      expect(s).toMatchObject({
        host,
        state: 'up',
        reports: 7,
        since: report(host, 4, true).at,
        lastReportAt: report(host, 6, true).at,
        lastError: null,
      });
      expect(s.lastSnapshot?.worker.pid).toBe(6);
      // Two continue-as-new by now (after reports 3 and 6): a new run, and the first run's
      // history ends in ContinuedAsNew after a handful of events.
      const d = await latest.describe();
      expect(d.runId).not.toBe(handle.firstExecutionRunId);
      const first = await client.workflow
        .getHandle(handle.workflowId, handle.firstExecutionRunId)
        .fetchHistory();
      const events = first.events ?? [];
      expect(events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
      expect(events.length).toBeLessThan(40);
      expect(d.searchAttributes.HaState).toEqual(['up']);
      // The memo keeps the state as of its last up/down change (hactl status lists it); each
      // run writes it at its start, then at each change (the first run: up at report 0, down at
      // report 2, up again if report 3 reached it while it was closing).
      expect(d.memo?.[MEMO.view]).toMatchObject({ host, state: 'up', since: s.since });
      const written = events.filter((e) => e.workflowPropertiesModifiedEventAttributes?.upsertedMemo);
      const seen = events.filter(
        (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'hostReport',
      ).length;
      const oksSeen = oks.slice(0, seen); // the first run's reports are the first ones sent
      const changes = oksSeen.filter((ok, i) => i === 0 || ok !== oksSeen[i - 1]).length;
      expect(written).toHaveLength(1 + changes);
      // hactl status takes the host's state from that memo, without a query to the monitor (no
      // snapshot Schedule here: the snapshot is the one the latest run started with).
      const kept = d.memo?.[MEMO.view] as MonitorState;
      const handles = jest.spyOn(client.workflow, 'getHandle');
      let last = '';
      const shown = await waitFor(
        async () => {
          const h = (await collectHostStatus(client, undefined, Date.now())).find((x) => x.host === host);
          last = JSON.stringify(h ?? null).slice(0, 400);
          return h?.snapshotAt === kept.lastSnapshotAt ? h : undefined;
        },
        { timeoutMs: 10_000, message: () => `status shows ${last}` },
      );
      expect(shown).toMatchObject({ state: 'up', since: s.since, error: null, snapshot: kept.lastSnapshot });
      expect(handles.mock.calls.filter(([id]) => id === handle.workflowId)).toEqual([]);
      handles.mockRestore();
      await latest.terminate('test done');
    });
  });

  it('keeps its subscribers, its last snapshot and its run length across continue-as-new', async () => {
    const host = unique('s');
    const managerId = `alerts:manager`;
    await withMockedActivities(env, [], async (client) => {
      const manager = await client.workflow.start<typeof alertsManagerWorkflow>('alertsManagerWorkflow', {
        workflowId: managerId,
        taskQueue: SHARED_TASK_QUEUE,
        workflowIdConflictPolicy: 'TERMINATE_EXISTING',
        args: [
          {
            rules: [
              {
                name: 'CpuHigh',
                metric: 'cpu.load_percent',
                where: {},
                op: '>',
                threshold: 90,
                resolve: null,
                for: { samples: 1 },
                keepFiringForMs: 0,
                severity: 'warning',
                hosts: null,
                labels: {},
                annotations: {},
              },
            ],
            dispatch: {
              routes: [],
              defaultRoute: null,
              receivers: {},
              inhibit: [],
              externalURL: 'http://ui',
              generatorURL: 'http://ui/wf',
            },
            monitors: {},
            staleAfterMs: 3_600_000,
            fleetIntervalMs: null,
          },
        ],
      });
      const monitor = await client.workflow.start<typeof hostMonitorWorkflow>('hostMonitorWorkflow', {
        workflowId: `monitor:${host}`,
        taskQueue: SHARED_TASK_QUEUE,
        args: [{ host, maxReportsPerRun: 2 }],
      });
      await monitor.signal(subscribeSignal, { workflowId: managerId });
      const latest = client.workflow.getHandle(monitor.workflowId);
      const send = async (r: HostReport, n: number): Promise<void> => {
        await latest.signal(hostReportSignal, r);
        await waitFor(async () => (await latest.query(monitorStateQuery)).reports === n, {
          timeoutMs: 20_000,
        });
      };
      for (let i = 0; i < 5; i++) await send(report(host, i, true), i + 1);
      // Report 6 fails, in the third run: the snapshot shown is still report 5's.
      await send(report(host, 5, false), 6);
      const s = await latest.query(monitorStateQuery);
      expect(s).toMatchObject({ state: 'down', lastError: 'no answer #5' });
      expect(s.lastSnapshot?.worker.pid).toBe(4);
      expect(s.subscribers).toEqual([managerId]);
      // Report 7, in the fourth run, still reaches the subscriber.
      const hot = report(host, 6, true);
      if (hot.ok) hot.snapshot.cpu.loadPercent = 95;
      await send(hot, 7);
      await waitFor(async () =>
        (await manager.query(alertsQuery)).alerts.some(
          (a) => a.labels.host === host && a.labels.alertname === 'CpuHigh' && a.state === 'firing',
        ),
      );
      // Every run held about two reports: the limit itself was carried along. (A report that
      // arrives while a run is closing still belongs to it: Temporal hands it to that run.)
      const perRun: number[] = [];
      let runId: string | undefined = monitor.firstExecutionRunId;
      while (runId) {
        const events: temporal.api.history.v1.IHistoryEvent[] =
          (await client.workflow.getHandle(monitor.workflowId, runId).fetchHistory()).events ?? [];
        perRun.push(
          events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'hostReport')
            .length,
        );
        runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
      }
      expect(perRun.length).toBeGreaterThanOrEqual(3);
      expect(Math.max(...perRun)).toBeLessThanOrEqual(3);
      await latest.terminate('test done');
      await manager.terminate('test done');
    });
  });

  it('a view too long for the memo is not kept (status asks the query), and is again once it fits', async () => {
    const host = unique('big');
    await withMockedActivities(env, [], async (client) => {
      const handle = await client.workflow.start<typeof hostMonitorWorkflow>('hostMonitorWorkflow', {
        workflowId: `monitor:${host}`,
        taskQueue: SHARED_TASK_QUEUE,
        args: [{ host }],
        searchAttributes: { [SA.kind]: [HEALTH_KIND.monitor] },
      });
      const memo = async () => (await handle.describe()).memo?.[MEMO.view] as MonitorState | undefined;
      const send = async (r: HostReport, n: number): Promise<void> => {
        await handle.signal(hostReportSignal, r);
        await waitFor(async () => (await handle.query(monitorStateQuery)).reports === n, {
          timeoutMs: 20_000,
        });
      };
      await send(report(host, 0, true), 1);
      await waitFor(async () => (await memo())?.state === 'up');
      await send(report(host, 1, false), 2);
      await waitFor(async () => (await memo())?.state === 'down');
      // Up again, from a host with thousands of interfaces: far past VIEW_MAX_CHARS.
      const big = report(host, 2, true);
      if (big.ok)
        big.snapshot.network = Array.from({ length: 2_000 }, (_, i) => ({
          iface: `veth${i}`,
          rxBytes: i,
          txBytes: i,
          rxBytesPerSec: 0,
          txBytesPerSec: 0,
        }));
      expect(JSON.stringify(big).length).toBeGreaterThan(VIEW_MAX_CHARS);
      await send(big, 3);
      await waitFor(async () => (await memo()) === undefined);
      expect((await handle.query(monitorStateQuery)).lastSnapshot?.network).toHaveLength(2_000);
      // Status still shows the host, from the query.
      const shown = (await collectHostStatus(client, undefined, Date.now())).find((x) => x.host === host);
      expect(shown).toMatchObject({ state: 'up', since: big.at });
      expect(shown?.snapshot?.network).toHaveLength(2_000);
      // Down, then up with a small snapshot: the view fits again.
      await send(report(host, 3, false), 4);
      await send(report(host, 4, true), 5);
      await waitFor(async () => (await memo())?.reports === 5);
      await handle.terminate('test done');
    });
  });
});
