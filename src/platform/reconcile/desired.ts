// What the reconciler is asked for: the Schedules and controller workflows that should exist.
// Each capability builds its own with the helpers here; the types, hashing and the shape of a
// Schedule are shared. Pure: no Temporal calls, so the plan logic is unit-tested without a server.
import { createHash } from 'node:crypto';
import type { ScheduleOptions, ScheduleSpec, Workflow } from '@temporalio/client';
import { formatDuration } from '../../core/duration';
import { SHARED_TASK_QUEUE } from '../../core/names';
import { searchAttributePairs } from '../../core/search-attributes';
import type { ScheduleConfig } from '../config/load';

type Kind = string;

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

/**
 * A Schedule that starts one workflow on the shared queue, ID'd like the schedule itself. The
 * type parameter ties `args` to the workflow function (a type-only import is enough).
 */
export interface ScheduledWorkflow<W extends Workflow = Workflow> {
  id: string;
  kind: Kind;
  target: string;
  host?: string;
  summary: string;
  spec: ScheduleSpec;
  workflowType: string;
  args: Parameters<W>;
  policies: ScheduleOptions['policies'];
  workflowExecutionTimeout?: number;
  /** The started workflows' ID prefix and kind, when not the schedule's own (DR drills: dr:<plan>:drill). */
  workflowId?: string;
  workflowKind?: string;
}

export function schedule<W extends Workflow>(w: ScheduledWorkflow<W>): DesiredSchedule {
  const sa = searchAttributePairs(w.kind, w.target, w.host);
  const options: DesiredSchedule['options'] = {
    spec: w.spec,
    action: {
      type: 'startWorkflow',
      workflowType: w.workflowType,
      workflowId: w.workflowId ?? w.id,
      taskQueue: SHARED_TASK_QUEUE,
      args: w.args,
      ...(w.workflowExecutionTimeout !== undefined
        ? { workflowExecutionTimeout: w.workflowExecutionTimeout }
        : {}),
      typedSearchAttributes: w.workflowKind ? searchAttributePairs(w.workflowKind, w.target, w.host) : sa,
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
  return withLazyHash(
    { type: 'schedule', id: w.id, kind: w.kind, target: w.target, summary: w.summary, options },
    () => hashable,
  );
}

/**
 * `hash`, computed when first read: apply compares it, while `hactl status` needs only the IDs
 * (hashing a fleet's thousand schedules was a tenth of its time).
 */
function withLazyHash<T extends object>(o: T, content: () => unknown): T & { readonly hash: string } {
  let hash: string | undefined;
  return Object.defineProperty(o, 'hash', {
    get: () => (hash ??= contentHash(content())),
    enumerable: true,
  }) as T & { readonly hash: string };
}

/** A singleton controller workflow; `input` is checked against the workflow's first argument. */
export function controller<W extends (input: never) => Promise<unknown>>(
  id: string,
  kind: Kind,
  target: string,
  summary: string,
  workflowType: string,
  input: Parameters<W>[0],
): DesiredController {
  return withLazyHash({ type: 'controller', id, kind, target, summary, workflowType, input }, () => ({
    workflowType,
    input,
    kind,
    target,
  }));
}

export function scheduleSpec(s: ScheduleConfig, timezone: string, jitterMs: number | null): ScheduleSpec {
  const base: ScheduleSpec =
    'cron' in s ? { cronExpressions: [s.cron], timezone } : { intervals: [{ every: s.everyMs }] };
  return jitterMs ? { ...base, jitter: jitterMs } : base;
}

export function describeSchedule(s: ScheduleConfig, timezone: string): string {
  return 'cron' in s ? `cron "${s.cron}" ${timezone}` : `every ${formatDuration(s.everyMs)}`;
}
