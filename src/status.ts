// `hactl status`: the latest snapshot per host (from its monitor:<host> controller) and the
// schedules that apply created, with their next run.
import type { Client } from '@temporalio/client';
import { ScheduleNotFoundError, WorkflowNotFoundError } from '@temporalio/client';
import { IDS, KIND, SA } from './common/constants';
import type { HostState, HostSnapshot, MonitorState } from './common/health';
import type { HaConfig } from './config/load';
import { monitorStateQuery } from '../workflows/host-monitor';

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

export interface ScheduleStatus {
  id: string;
  paused: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
}

export interface StatusReport {
  generatedAt: string;
  namespace: string;
  hosts: HostStatus[];
  schedules: ScheduleStatus[];
}

const QUERY_TIMEOUT_MS = 5_000;

async function hostStatus(client: Client, host: string, now: number): Promise<HostStatus> {
  const empty = { since: null, snapshotAt: null, ageSeconds: null, lastReportAt: null, snapshot: null };
  let s: MonitorState;
  try {
    s = await client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
      client.workflow.getHandle(IDS.monitor(host)).query(monitorStateQuery),
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      return {
        host,
        state: 'no-monitor',
        ...empty,
        error: `no ${IDS.monitor(host)} workflow; run hactl apply`,
      };
    }
    const why = (err as Error).message;
    return {
      host,
      state: 'unavailable',
      ...empty,
      error: `cannot query ${IDS.monitor(host)}: ${why} (is a worker running?)`,
    };
  }
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

async function scheduleStatus(client: Client, id: string): Promise<ScheduleStatus | undefined> {
  try {
    const d = await client.schedule.getHandle(id).describe();
    const last = d.info.recentActions.at(-1);
    return {
      id,
      paused: d.state.paused,
      nextRunAt: d.info.nextActionTimes[0]?.toISOString() ?? null,
      lastRunAt: last ? last.takenAt.toISOString() : null,
    };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

export async function collectStatus(
  client: Client,
  config?: HaConfig,
  now = Date.now(),
): Promise<StatusReport> {
  const hosts = new Set(config?.hosts.map((h) => h.name) ?? []);
  // Monitors of hosts not in this config (another config, or none given) still count.
  for await (const w of client.workflow.list({
    query: `${SA.kind} = '${KIND.monitor}' AND ExecutionStatus = 'Running'`,
  })) {
    if (w.workflowId.startsWith('monitor:')) hosts.add(w.workflowId.slice('monitor:'.length));
  }
  const hostStatuses = await Promise.all([...hosts].sort().map((h) => hostStatus(client, h, now)));

  const scheduleIds = new Set<string>();
  if (!config || config.health) scheduleIds.add(IDS.healthSchedule());
  for (const b of config?.backups ?? []) {
    if (b.schedule) scheduleIds.add(IDS.backupSchedule(b.spec.set));
    if (b.verify) scheduleIds.add(IDS.backupVerifySchedule(b.spec.set));
    if (b.drill) scheduleIds.add(IDS.backupDrillSchedule(b.spec.set));
  }
  const schedules = (await Promise.all([...scheduleIds].map((id) => scheduleStatus(client, id)))).filter(
    (s): s is ScheduleStatus => s !== undefined,
  );
  return {
    generatedAt: new Date(now).toISOString(),
    namespace: client.options.namespace,
    hosts: hostStatuses,
    schedules,
  };
}
