// Reads what the server has, computes the plan, and (unless dry-run) carries it out.
import type {
  Client,
  Connection,
  ScheduleDescription,
  ScheduleOptions,
  ScheduleSummary,
} from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { ScheduleNotFoundError, WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { reconfigureSignal } from '../../core/controller';
import { MEMO, PRODUCT, SHARED_TASK_QUEUE } from '../../core/names';
import { SA, SA_KEYS, searchAttributePairs } from '../../core/search-attributes';
import type { BaseConfig } from '../config/load';
import { ConfigError } from '../config/issues';
import type { ConfigIssue } from '../config/issues';
import { mapLimit, SERVER_CONCURRENCY } from '../concurrency';
import { ensureSearchAttributes, missingSearchAttributes } from '../temporal/search-attributes';
import type { Desired, DesiredController, DesiredSchedule } from './desired';
import type { Observed, Plan, PlanSummary, Step } from './plan';
import { computePlan, conflicts, isOwnedId, summarise } from './plan';

const RUNNING = temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;

function memoManaged(memo: Record<string, unknown> | undefined): boolean {
  return memo?.[MEMO.managedBy] === PRODUCT;
}

async function observeSchedule(client: Client, id: string): Promise<Observed | undefined> {
  let d: ScheduleDescription;
  try {
    d = await client.schedule.getHandle(id).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
  const hash = d.action.memo?.[MEMO.configHash];
  return {
    type: 'schedule',
    id,
    managed: memoManaged(d.memo),
    ...(typeof hash === 'string' ? { hash } : {}),
  };
}

async function observeController(client: Client, id: string): Promise<Observed | undefined> {
  try {
    const d = await client.workflow.getHandle(id).describe();
    const hash = d.memo?.[MEMO.configHash];
    return {
      type: 'controller',
      id,
      managed: memoManaged(d.memo),
      running: d.status.name === 'RUNNING',
      ...(typeof hash === 'string' ? { hash } : {}),
    };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/**
 * Everything relevant on the server: the desired IDs, read directly (strongly consistent), plus
 * the owned ones found by listing (visibility; may lag a second behind very recent changes).
 */
export async function observe(
  client: Client,
  desired: readonly Desired[],
  owned: OwnedObjects,
  /** False when the namespace lacks our search attributes: then no controller of ours has them. */
  listControllers = true,
): Promise<Observed[]> {
  const out = new Map<string, Observed>();
  const put = (o: Observed | undefined): void => {
    if (o) out.set(`${o.type}:${o.id}`, o);
  };
  // One listing of the schedules: one whose listed hash is the desired one is unchanged, read
  // no further (a fleet has a thousand). The rest — new, changed, or not listed yet (the
  // listing lags a moment behind a change) — are read one by one, which is exact.
  const listed = new Map<string, ScheduleSummary>();
  for await (const s of client.schedule.list({ pageSize: 1000 })) listed.set(s.scheduleId, s);
  const found = await mapLimit(desired, SERVER_CONCURRENCY, async (d): Promise<Observed | undefined> => {
    if (d.type === 'controller') return observeController(client, d.id);
    const s = listed.get(d.id);
    const hash = s?.typedSearchAttributes?.get(SA_KEYS.config);
    if (s && memoManaged(s.memo) && hash === d.hash)
      return { type: 'schedule', id: d.id, managed: true, hash };
    const o = await observeSchedule(client, d.id);
    return o && s && hash === undefined ? { ...o, unindexed: true } : o;
  });
  found.forEach(put);
  const others = [...listed.values()].filter(
    (s) =>
      isOwnedId(s.scheduleId, owned.idPrefixes) &&
      !out.has(`schedule:${s.scheduleId}`) &&
      memoManaged(s.memo),
  );
  (await mapLimit(others, SERVER_CONCURRENCY, (s) => observeSchedule(client, s.scheduleId))).forEach(put);
  if (owned.controllerKinds.length === 0 || !listControllers) return [...out.values()];
  const kinds = owned.controllerKinds.map((k) => `'${k}'`).join(', ');
  const query = `ExecutionStatus = 'Running' AND ${SA.kind} IN (${kinds})`;
  for await (const w of client.workflow.list({ query })) {
    if (!isOwnedId(w.workflowId, owned.idPrefixes) || out.has(`controller:${w.workflowId}`)) continue;
    if (w.status.code !== RUNNING) continue;
    put(await observeController(client, w.workflowId));
  }
  return [...out.values()];
}

function scheduleOptions(d: DesiredSchedule, configFile: string): ScheduleOptions {
  return {
    scheduleId: d.id,
    ...d.options,
    action: { ...d.options.action, memo: { [MEMO.managedBy]: PRODUCT, [MEMO.configHash]: d.hash } },
    // The hash also as a search attribute of the schedule: listings carry it, describes are not needed.
    typedSearchAttributes: [
      ...((d.options.typedSearchAttributes as SearchAttributePair[] | undefined) ?? []),
      { key: SA_KEYS.config, value: d.hash },
    ],
    memo: { [MEMO.managedBy]: PRODUCT, source: configFile },
    state: { note: `managed by hactl apply (${configFile})` },
  };
}

/** Adds the config hash to a schedule's search attributes, changing nothing else. */
async function indexSchedule(client: Client, d: Desired): Promise<void> {
  await client.schedule.getHandle(d.id).update((prev) => ({
    ...prev,
    typedSearchAttributes: [
      ...((d.type === 'schedule'
        ? (d.options.typedSearchAttributes as SearchAttributePair[] | undefined)
        : undefined) ?? []),
      { key: SA_KEYS.config, value: d.hash },
    ],
  }));
}

async function startController(client: Client, d: DesiredController): Promise<void> {
  await client.workflow.start(d.workflowType, {
    workflowId: d.id,
    taskQueue: SHARED_TASK_QUEUE,
    args: [d.input],
    memo: { [MEMO.managedBy]: PRODUCT, [MEMO.configHash]: d.hash },
    typedSearchAttributes: searchAttributePairs(d.kind, d.target),
    staticSummary: d.summary,
    // A closed run with this ID (terminated, failed) is replaced; a running one is an error.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
}

async function execute(client: Client, step: Step, configFile: string): Promise<void> {
  switch (step.op) {
    case 'create':
      if (step.desired.type === 'schedule')
        await client.schedule.create(scheduleOptions(step.desired, configFile));
      else await startController(client, step.desired);
      return;
    case 'update':
      if (step.desired.type === 'schedule') {
        const opts = scheduleOptions(step.desired, configFile);
        await client.schedule.getHandle(step.desired.id).update((prev) => ({
          spec: opts.spec,
          action: opts.action,
          policies: opts.policies ?? {},
          ...(opts.typedSearchAttributes ? { typedSearchAttributes: opts.typedSearchAttributes } : {}),
          // A schedule paused by an operator stays paused.
          state: { paused: prev.state.paused, note: prev.state.paused ? prev.state.note : opts.state?.note },
        }));
      } else {
        await client.workflow
          .getHandle(step.desired.id)
          .signal(reconfigureSignal, { input: step.desired.input, configHash: step.desired.hash });
      }
      return;
    case 'delete':
      if (step.observed.type === 'schedule') await client.schedule.getHandle(step.observed.id).delete();
      else
        await client.workflow.getHandle(step.observed.id).terminate('removed from the config by hactl apply');
      return;
    default:
      return;
  }
}

export interface ApplyResult extends PlanSummary {
  conflicts: string[];
  dryRun: boolean;
  plan: Plan;
}

/** Largest serialised input of one Schedule or controller; the server refuses 2 MiB payloads. */
export const MAX_OBJECT_INPUT_BYTES = 512 * 1024;

/**
 * Every object's input is measured before anything is applied: a config the server would
 * refuse halfway through is refused whole, naming the object, instead.
 */
export function checkDesiredSizes(desired: readonly Desired[], file: string): void {
  const issues: ConfigIssue[] = [];
  for (const d of desired) {
    const input = d.type === 'schedule' ? d.options.action : d.input;
    const bytes = Buffer.byteLength(JSON.stringify(input) ?? '');
    if (bytes > MAX_OBJECT_INPUT_BYTES) {
      issues.push({
        file,
        line: 1,
        col: 1,
        path: d.id,
        message: `${d.type} ${d.id} would carry ${Math.ceil(bytes / 1024)} KiB of input, more than the ${MAX_OBJECT_INPUT_BYTES / 1024} KiB the Temporal server takes safely; make the section that produces it smaller`,
      });
    }
  }
  if (issues.length) throw new ConfigError(issues);
}

/** Everything the reconciler may create, update or delete: from the registry. */
export interface OwnedObjects {
  idPrefixes: readonly string[];
  controllerKinds: readonly string[];
}

export async function applyDesired(
  client: Client,
  config: BaseConfig,
  desired: readonly Desired[],
  owned: OwnedObjects,
  opts: { dryRun?: boolean; onWait?: (line: string) => void } = {},
): Promise<ApplyResult> {
  checkDesiredSizes(desired, config.file);
  const connection = client.connection as Connection;
  const namespace = client.options.namespace;
  // A dry run changes nothing, the attributes included; on a namespace without them there is
  // nothing of ours to list yet.
  const listable = opts.dryRun
    ? (await missingSearchAttributes(connection, namespace)).length === 0
    : (await ensureSearchAttributes(connection, namespace, opts.onWait ? { onWait: opts.onWait } : {}), true);
  const observed = await observe(client, desired, owned, listable);
  const plan = computePlan(desired, observed, owned.idPrefixes);
  if (!opts.dryRun) {
    // Deletions first: a renamed item frees its old ID before the new one is created. Within
    // each kind of change the items are independent, so they go several at a time.
    for (const op of ['delete', 'update', 'create'] as const)
      await mapLimit(
        plan.steps.filter((s) => s.op === op),
        SERVER_CONCURRENCY,
        (step) => execute(client, step, config.file),
      );
    // Schedules an older release wrote, unchanged: their hash is added as a search attribute
    // (once), so that the next apply finds it in the listing.
    const unchanged = new Set(plan.steps.filter((s) => s.op === 'unchanged').map((s) => s.desired.id));
    const stale = observed.filter((o) => o.unindexed && unchanged.has(o.id));
    await mapLimit(stale, SERVER_CONCURRENCY, (o) =>
      indexSchedule(
        client,
        desired.find((d) => d.id === o.id)!,
      ),
    );
  }
  return { ...summarise(plan), conflicts: conflicts(plan), dryRun: !!opts.dryRun, plan };
}

export function describeStep(step: Step): string {
  switch (step.op) {
    case 'create':
    case 'update':
    case 'unchanged':
      return `${step.op.padEnd(9)} ${step.desired.type} ${step.desired.id}  (${step.desired.summary})`;
    case 'delete':
      return `${'delete'.padEnd(9)} ${step.observed.type} ${step.observed.id}`;
    case 'conflict':
      return `${'conflict'.padEnd(9)} ${step.reason}`;
  }
}
