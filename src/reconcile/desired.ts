// From a validated config to the Schedules and controller workflows that should exist.
// Pure: no Temporal calls here, so the plan logic is unit-tested without a server.
import { createHash } from 'node:crypto';
import type { ScheduleOptions, ScheduleSpec } from '@temporalio/client';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { IDS, KIND, searchAttributePairs, SHARED_TASK_QUEUE, WORKFLOW_TYPES } from '../common/constants';
import type { Kind } from '../common/constants';
import { formatDuration } from '../common/duration';
import type { HealthSnapshotInput } from '../common/health';
import type { BackupSetConfig, HaConfig, ScheduleConfig } from '../config/load';

/** What a Schedule should look like; memo and hash are added when it is written. */
export interface DesiredSchedule {
  type: 'schedule';
  id: string;
  kind: Kind;
  target: string;
  summary: string;
  options: Omit<ScheduleOptions, 'scheduleId' | 'memo'>;
  hash: string;
}

export interface DesiredController {
  type: 'controller';
  id: string;
  kind: Kind;
  target: string;
  summary: string;
  workflowType: string;
  input: unknown;
  hash: string;
}

export type Desired = DesiredSchedule | DesiredController;

/** Deterministic JSON: object keys sorted, so equal content gives an equal hash. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

// Bump when the way config maps to Temporal objects changes, so that apply rewrites them.
const FORMAT = 1;

export function contentHash(value: unknown): string {
  return createHash('sha256')
    .update(`${FORMAT}:${canonicalJson(value)}`)
    .digest('hex')
    .slice(0, 16);
}

/** A Schedule that starts one workflow on the shared queue, ID'd like the schedule itself. */
interface ScheduledWorkflow {
  id: string;
  kind: Kind;
  target: string;
  host?: string;
  summary: string;
  spec: ScheduleSpec;
  workflowType: string;
  args: unknown[];
  policies: ScheduleOptions['policies'];
  workflowExecutionTimeout?: number;
}

function schedule(w: ScheduledWorkflow): DesiredSchedule {
  const sa = searchAttributePairs(w.kind, w.target, w.host);
  const options: DesiredSchedule['options'] = {
    spec: w.spec,
    action: {
      type: 'startWorkflow',
      workflowType: w.workflowType,
      workflowId: w.id,
      taskQueue: SHARED_TASK_QUEUE,
      args: w.args,
      ...(w.workflowExecutionTimeout !== undefined
        ? { workflowExecutionTimeout: w.workflowExecutionTimeout }
        : {}),
      typedSearchAttributes: sa,
      staticSummary: w.summary,
    },
    policies: w.policies,
    typedSearchAttributes: sa,
  };
  // typedSearchAttributes hold key objects; hash their plain form.
  const hashable = {
    ...options,
    typedSearchAttributes: undefined,
    action: { ...options.action, typedSearchAttributes: undefined },
    kind: w.kind,
    target: w.target,
  };
  return {
    type: 'schedule',
    id: w.id,
    kind: w.kind,
    target: w.target,
    summary: w.summary,
    options,
    hash: contentHash(hashable),
  };
}

function controller(
  id: string,
  kind: Kind,
  target: string,
  summary: string,
  workflowType: string,
  input: unknown,
): DesiredController {
  return {
    type: 'controller',
    id,
    kind,
    target,
    summary,
    workflowType,
    input,
    hash: contentHash({ workflowType, input, kind, target }),
  };
}

export function desiredState(config: HaConfig): Desired[] {
  const out: Desired[] = [];

  for (const host of config.hosts) {
    out.push(
      controller(
        IDS.monitor(host.name),
        KIND.monitor,
        host.name,
        `health monitor of host ${host.name}`,
        WORKFLOW_TYPES.hostMonitor,
        {
          host: host.name,
        },
      ),
    );
  }

  if (config.health) {
    const h = config.health;
    const input: HealthSnapshotInput = { hosts: h.hosts, timeoutMs: h.timeoutMs };
    const summary = `health snapshot of ${h.hosts.join(', ')} every ${formatDuration(h.intervalMs)}`;
    out.push(
      schedule({
        id: IDS.healthSchedule(),
        kind: KIND.health,
        target: 'fleet',
        summary,
        spec: { intervals: [{ every: h.intervalMs }] },
        workflowType: WORKFLOW_TYPES.healthSnapshot,
        args: [input],
        // A run can never usefully outlive the next one.
        workflowExecutionTimeout: Math.max(h.intervalMs, h.timeoutMs * 3),
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      }),
    );
  }

  for (const b of config.backups) out.push(...backupSchedules(b));

  return out;
}

function scheduleSpec(s: ScheduleConfig, timezone: string, jitterMs: number | null): ScheduleSpec {
  const base: ScheduleSpec =
    'cron' in s ? { cronExpressions: [s.cron], timezone } : { intervals: [{ every: s.everyMs }] };
  return jitterMs ? { ...base, jitter: jitterMs } : base;
}

function describeSchedule(s: ScheduleConfig, timezone: string): string {
  return 'cron' in s ? `cron "${s.cron}" ${timezone}` : `every ${formatDuration(s.everyMs)}`;
}

function backupSchedules(b: BackupSetConfig): DesiredSchedule[] {
  const { spec } = b;
  const common = {
    target: spec.set,
    host: spec.host,
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 3_600_000 },
  };
  const when = (s: ScheduleConfig): string => describeSchedule(s, spec.timezone);
  const out: DesiredSchedule[] = [];
  if (b.schedule) {
    out.push(
      schedule({
        ...common,
        id: IDS.backupSchedule(spec.set),
        kind: KIND.backup,
        summary: `backup of ${spec.set} on ${spec.host}, ${when(b.schedule)}`,
        spec: scheduleSpec(b.schedule, spec.timezone, b.jitterMs),
        workflowType: WORKFLOW_TYPES.scheduledBackup,
        args: [{ spec, trigger: 'schedule' }],
      }),
    );
  }
  if (b.verify) {
    const { sample } = b.verify;
    out.push(
      schedule({
        ...common,
        id: IDS.backupVerifySchedule(spec.set),
        kind: KIND.backupVerify,
        summary: `verify ${sample} backup(s) of ${spec.set}, ${when(b.verify.schedule)}`,
        spec: scheduleSpec(b.verify.schedule, spec.timezone, b.jitterMs),
        workflowType: WORKFLOW_TYPES.backupVerify,
        args: [{ set: spec.set, host: spec.host, destination: spec.destination, sample, deep: true }],
      }),
    );
  }
  if (b.drill) {
    out.push(
      schedule({
        ...common,
        id: IDS.backupDrillSchedule(spec.set),
        kind: KIND.backupDrill,
        summary: `restore drill of ${spec.set}, ${when(b.drill.schedule)}`,
        spec: scheduleSpec(b.drill.schedule, spec.timezone, b.jitterMs),
        workflowType: WORKFLOW_TYPES.backupDrill,
        args: [{ spec }],
      }),
    );
  }
  return out;
}
