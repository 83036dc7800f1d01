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

export const searchAttributes = searchAttributePairs;

function schedule(
  id: string,
  kind: Kind,
  target: string,
  summary: string,
  options: Omit<ScheduleOptions, 'scheduleId' | 'memo'>,
): DesiredSchedule {
  // typedSearchAttributes hold key objects; hash their plain form.
  const hashable = {
    ...options,
    typedSearchAttributes: undefined,
    action: { ...options.action, typedSearchAttributes: undefined },
    kind,
    target,
  };
  return { type: 'schedule', id, kind, target, summary, options, hash: contentHash(hashable) };
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
      schedule(IDS.healthSchedule(), KIND.health, 'fleet', summary, {
        spec: { intervals: [{ every: h.intervalMs }] },
        action: {
          type: 'startWorkflow',
          workflowType: WORKFLOW_TYPES.healthSnapshot,
          workflowId: IDS.healthWorkflow(),
          taskQueue: SHARED_TASK_QUEUE,
          args: [input],
          // A run can never usefully outlive the next one.
          workflowExecutionTimeout: Math.max(h.intervalMs, h.timeoutMs * 3),
          typedSearchAttributes: searchAttributes(KIND.health, 'fleet'),
          staticSummary: summary,
        },
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
        typedSearchAttributes: searchAttributes(KIND.health, 'fleet'),
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
  const out: DesiredSchedule[] = [];
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 3_600_000 };
  if (b.schedule) {
    const summary = `backup of ${spec.set} on ${spec.host}, ${describeSchedule(b.schedule, spec.timezone)}`;
    out.push(
      schedule(IDS.backupSchedule(spec.set), KIND.backup, spec.set, summary, {
        spec: scheduleSpec(b.schedule, spec.timezone, b.jitterMs),
        action: {
          type: 'startWorkflow',
          workflowType: WORKFLOW_TYPES.scheduledBackup,
          workflowId: IDS.backupSchedule(spec.set),
          taskQueue: SHARED_TASK_QUEUE,
          args: [{ spec, trigger: 'schedule' }],
          typedSearchAttributes: searchAttributes(KIND.backup, spec.set, spec.host),
          staticSummary: summary,
        },
        policies,
        typedSearchAttributes: searchAttributes(KIND.backup, spec.set, spec.host),
      }),
    );
  }
  if (b.verify) {
    const summary = `verify ${b.verify.sample} backup(s) of ${spec.set}, ${describeSchedule(b.verify.schedule, spec.timezone)}`;
    out.push(
      schedule(IDS.backupVerifySchedule(spec.set), KIND.backupVerify, spec.set, summary, {
        spec: scheduleSpec(b.verify.schedule, spec.timezone, b.jitterMs),
        action: {
          type: 'startWorkflow',
          workflowType: WORKFLOW_TYPES.backupVerify,
          workflowId: IDS.backupVerifySchedule(spec.set),
          taskQueue: SHARED_TASK_QUEUE,
          args: [
            {
              set: spec.set,
              host: spec.host,
              destination: spec.destination,
              sample: b.verify.sample,
              deep: true,
            },
          ],
          typedSearchAttributes: searchAttributes(KIND.backupVerify, spec.set, spec.host),
          staticSummary: summary,
        },
        policies,
        typedSearchAttributes: searchAttributes(KIND.backupVerify, spec.set, spec.host),
      }),
    );
  }
  if (b.drill) {
    const summary = `restore drill of ${spec.set}, ${describeSchedule(b.drill.schedule, spec.timezone)}`;
    out.push(
      schedule(IDS.backupDrillSchedule(spec.set), KIND.backupDrill, spec.set, summary, {
        spec: scheduleSpec(b.drill.schedule, spec.timezone, b.jitterMs),
        action: {
          type: 'startWorkflow',
          workflowType: WORKFLOW_TYPES.backupDrill,
          workflowId: IDS.backupDrillSchedule(spec.set),
          taskQueue: SHARED_TASK_QUEUE,
          args: [{ spec }],
          typedSearchAttributes: searchAttributes(KIND.backupDrill, spec.set, spec.host),
          staticSummary: summary,
        },
        policies,
        typedSearchAttributes: searchAttributes(KIND.backupDrill, spec.set, spec.host),
      }),
    );
  }
  return out;
}
