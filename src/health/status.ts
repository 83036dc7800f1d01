// Health's part of `hactl status`: per host up or down (from monitor:<host>), the latest
// snapshot and its age. Hosts of the config and any host with a running monitor are shown.
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { formatPercent, formatRate, formatSeconds } from '../core/format';
import { formatTable } from '../platform/cli/table';
import type { StatusContext, StatusSection } from '../platform/capability';
import { mapLimit, SERVER_CONCURRENCY } from '../platform/concurrency';
import { payloadValue, sharedViews, statusContext } from '../platform/status';
import { temporal } from '@temporalio/proto';
import type { BaseConfig } from '../platform/config/load';
import { monitorStateQuery } from '../../workflows/health/messages';
import type { HealthSection } from './desired';
import { healthMetrics } from './metrics';
import { HEALTH_IDS, HEALTH_KIND } from './model/ids';
import { applyReport } from './model/monitor-state';
import type { HealthSnapshotResult, HostReport, HostSnapshot, HostState, MonitorState } from './model/types';

export interface HostStatus {
  host: string;
  state: HostState | 'no-monitor' | 'unavailable';
  since: string | null;
  snapshotAt: string | null;
  ageSeconds: number | null;
  lastReportAt: string | null;
  error: string | null;
  snapshot: HostSnapshot | null;
}

const QUERY_TIMEOUT_MS = 5_000;

/** A host's status from its monitor's state (queried, or kept in the monitor's memo). */
export function fromMonitorState(host: string, s: MonitorState, now: number): HostStatus {
  const at = s.lastSnapshotAt ? Date.parse(s.lastSnapshotAt) : null;
  return {
    host,
    state: s.state,
    since: s.since,
    snapshotAt: s.lastSnapshotAt,
    ageSeconds: at === null ? null : Math.max(0, Math.round((now - at) / 100) / 10),
    lastReportAt: s.lastReportAt,
    error: s.state === 'down' ? s.lastError : null,
    snapshot: s.lastSnapshot,
  };
}

/** A host whose monitor keeps no view (a run from an older release): its state query. */
async function queryHostStatus(client: Client, host: string, now: number): Promise<HostStatus> {
  const empty = { since: null, snapshotAt: null, ageSeconds: null, lastReportAt: null, snapshot: null };
  let s: MonitorState;
  try {
    s = await client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
      client.workflow.getHandle(HEALTH_IDS.monitor(host)).query(monitorStateQuery),
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      return {
        host,
        state: 'no-monitor',
        ...empty,
        error: `no ${HEALTH_IDS.monitor(host)} workflow; run hactl apply`,
      };
    }
    const why = (err as Error).message;
    return {
      host,
      state: 'unavailable',
      ...empty,
      error: `cannot query ${HEALTH_IDS.monitor(host)}: ${why} (is a worker running?)`,
    };
  }
  return fromMonitorState(host, s, now);
}

/**
 * A host's status from the state its monitor kept at its last change and, when newer, the
 * host's report in the latest snapshot run, applied as the monitor applies it. Pure.
 */
export function hostStatusOf(
  host: string,
  kept: MonitorState,
  latest: HostReport | undefined,
  now: number,
): HostStatus {
  const s = { ...kept };
  if (latest && (!s.lastReportAt || latest.at > s.lastReportAt)) applyReport(s, latest);
  return fromMonitorState(host, s, now);
}

/**
 * Each host's report in the newest completed run of the snapshot Schedule (none: no such run
 * kept). The Schedule listing names its recent runs; the run's result is its close event.
 */
function latestReports(client: Client, ctx: StatusContext): Promise<Map<string, HostReport>> {
  return ctx.shared('health:latest-reports', () => readLatestReports(client, ctx));
}

const monitorViews = (client: Client, ctx: StatusContext): Promise<Map<string, MonitorState | undefined>> =>
  sharedViews<MonitorState>(client, ctx, HEALTH_KIND.monitor, HEALTH_IDS.monitor(''));

async function readLatestReports(client: Client, ctx: StatusContext): Promise<Map<string, HostReport>> {
  const runs = (await ctx.schedules()).get(HEALTH_IDS.healthSchedule())?.recentRuns ?? [];
  // The newest may still be collecting; the one before it has ended.
  for (const execution of runs.slice(0, 3)) {
    let page;
    try {
      page = await client.workflowService.getWorkflowExecutionHistory({
        namespace: client.options.namespace,
        execution,
        historyEventFilterType:
          temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
      });
    } catch {
      continue; // gone with the namespace's retention
    }
    const done = page.history?.events?.[0]?.workflowExecutionCompletedEventAttributes;
    const result = (await payloadValue(client, done?.result?.payloads?.[0])) as
      HealthSnapshotResult | undefined;
    if (Array.isArray(result?.reports)) return new Map(result.reports.map((r) => [r.host, r]));
  }
  return new Map();
}

/**
 * The hosts of the config and those of every running monitor (another config, or none given).
 * One listing of the monitors (each keeps its state as of its last change in its memo) and the
 * latest snapshot run's result (the fresh snapshots): a fleet's hosts in two calls, where a
 * query to every monitor costs the workflow workers and the server a round trip each. A
 * monitor without that memo (started by an older release, unchanged since) is queried.
 */
export async function collectHostStatus(
  client: Client,
  config: (BaseConfig & HealthSection) | undefined,
  now: number,
  ctx: StatusContext = statusContext(client),
): Promise<HostStatus[]> {
  const [views, latest] = await Promise.all([monitorViews(client, ctx), latestReports(client, ctx)]);
  const hosts = new Set([...(config?.hosts.map((h) => h.name) ?? []), ...views.keys()]);
  return mapLimit([...hosts].sort(), SERVER_CONCURRENCY, (h) => {
    const view = views.get(h);
    return view
      ? Promise.resolve(hostStatusOf(h, view, latest.get(h), now))
      : queryHostStatus(client, h, now);
  });
}

/** The hosts table of `hactl status`. Pure. */
export function renderHostStatus(hosts: HostStatus[]): string[] {
  return formatTable(
    ['HOST', 'STATE', 'SNAPSHOT AGE', 'CPU', 'MEM', 'FULLEST FS', 'NET RX/TX', 'NOTE'],
    hosts.map((h) => {
      const s = h.snapshot;
      const fullest = s?.filesystems.reduce<(typeof s.filesystems)[number] | undefined>(
        (a, f) => (!a || f.usedPercent > a.usedPercent ? f : a),
        undefined,
      );
      const rx = s?.network.reduce((n, i) => n + (i.rxBytesPerSec ?? 0), 0);
      const tx = s?.network.reduce((n, i) => n + (i.txBytesPerSec ?? 0), 0);
      return [
        h.host,
        h.state,
        formatSeconds(h.ageSeconds),
        formatPercent(s?.cpu.loadPercent),
        formatPercent(s?.memory.usedPercent),
        fullest ? `${fullest.mount} ${formatPercent(fullest.usedPercent)}` : '-',
        s ? `${formatRate(rx)} / ${formatRate(tx)}` : '-',
        h.error ?? '',
      ];
    }),
  );
}

export const healthStatus: StatusSection<HealthSection, HostStatus[]> = {
  key: 'hosts',
  prefetch(client, ctx) {
    for (const read of [monitorViews(client, ctx), latestReports(client, ctx)])
      void read.catch(() => undefined);
  },
  collect: collectHostStatus,
  render: renderHostStatus,
  metrics: healthMetrics,
};
