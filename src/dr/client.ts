// Typed client operations for DR plans: start a run (or a drill), read its state and report,
// decide on it (approve, reject, abort, skip, retry, pause, resume), list runs of a plan.
import type { Client, WorkflowHandle } from '@temporalio/client';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { BadInput, innermostCause, OperationFailed } from '../core/errors';
import { SHARED_TASK_QUEUE } from '../core/names';
import { SA, searchAttributePairs } from '../core/search-attributes';
import { decisionUpdates, reportQuery, runQuery } from '../../workflows/dr/messages';
import type { drPlanWorkflow } from '../../workflows/dr/plan';
import type { DrConfig } from './desired';
import { runInput } from './input';
import { DR_IDS, DR_KIND, DR_WORKFLOWS, newRunId, parseRunId } from './model/ids';
import type { RunReport } from './model/report';
import type { DecisionRequest, DecisionVerb } from './model/requests';
import type { PlanSpec, RunView } from './model/types';

/** No such plan in the config (exit 2). */
export class UnknownPlan extends BadInput {}
/** No such run (exit 1). */
export class RunNotFound extends OperationFailed {}
/** The run refused a decision; the message says why (exit 2). */
export class DecisionRefused extends BadInput {}

export function findPlan(config: DrConfig, name: string): PlanSpec {
  const p = (config.drPlans ?? []).find((x) => x.name === name);
  if (!p)
    throw new UnknownPlan(
      `no DR plan "${name}" in ${config.file}; defined plans: ${(config.drPlans ?? []).map((x) => x.name).join(', ') || '(none)'}`,
    );
  return p;
}

/** `dr:<plan>:<run>`, or `<plan>:<run>`, as people type it. */
export function runWorkflowId(run: string): string {
  if (parseRunId(run)) return run;
  if (/^[^:]+:.+$/.test(run)) return `dr:${run}`;
  throw new BadInput(
    `"${run}" is not a DR run: use its workflow ID dr:<plan>:<run> (hactl dr runs PLAN lists them)`,
  );
}

export interface StartRunOptions {
  drill?: boolean;
  by: string;
  /** ISO; the RTO clock starts here. */
  incidentAt?: string;
  /** The run's name; default its start time. */
  run?: string;
}

export async function startRun(
  client: Client,
  config: DrConfig,
  planName: string,
  opts: StartRunOptions,
): Promise<WorkflowHandle<typeof drPlanWorkflow>> {
  const plan = findPlan(config, planName);
  const drill = opts.drill ?? false;
  const run = opts.run ?? newRunId(Date.now(), drill);
  const workflowId = DR_IDS.run(plan.name, run);
  try {
    return await client.workflow.start<typeof drPlanWorkflow>(DR_WORKFLOWS.run, {
      workflowId,
      taskQueue: SHARED_TASK_QUEUE,
      args: [
        runInput(config, plan, {
          drill,
          startedBy: opts.by,
          ...(opts.incidentAt ? { incidentAt: opts.incidentAt } : {}),
        }),
      ],
      typedSearchAttributes: searchAttributePairs(DR_KIND.run, plan.name),
      staticSummary: `${drill ? 'DR drill' : 'DR run'} of ${plan.name} started by ${opts.by}`,
      workflowIdConflictPolicy: 'FAIL',
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      throw new OperationFailed(`${workflowId} exists already: choose another run name`);
    throw err;
  }
}

async function call<T>(workflowId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new RunNotFound(`no DR run ${workflowId} (hactl dr runs PLAN lists the runs of a plan)`);
    if (err instanceof WorkflowUpdateFailedError) {
      throw new DecisionRefused(innermostCause(err).message);
    }
    throw err;
  }
}

export async function runState(client: Client, run: string): Promise<RunView> {
  const id = runWorkflowId(run);
  return call(id, () => client.workflow.getHandle(id).query(runQuery));
}

/** The report of a run, finished (its result) or still going (its current state). */
export async function runReport(client: Client, run: string): Promise<RunReport> {
  const id = runWorkflowId(run);
  return call(id, () => client.workflow.getHandle(id).query(reportQuery));
}

export async function decide(
  client: Client,
  run: string,
  verb: DecisionVerb,
  r: DecisionRequest,
): Promise<string> {
  const id = runWorkflowId(run);
  return call(id, () => client.workflow.getHandle(id).executeUpdate(decisionUpdates[verb], { args: [r] }));
}

export interface RunSummary {
  workflowId: string;
  plan: string;
  run: string;
  status: string;
  /** The current step(s) or the outcome (HaState). */
  state: string;
  startedAt: string;
  closedAt: string | null;
}

/** Runs of a plan (or of every plan), newest first. */
export async function listRuns(client: Client, plan?: string, limit = 50): Promise<RunSummary[]> {
  const out: RunSummary[] = [];
  const query = `${SA.kind} = '${DR_KIND.run}'${plan ? ` AND ${SA.target} = '${plan}'` : ''}`;
  for await (const w of client.workflow.list({ query })) {
    const p = parseRunId(w.workflowId);
    if (!p) continue;
    const state = w.searchAttributes?.[SA.state]?.[0];
    out.push({
      workflowId: w.workflowId,
      plan: p.plan,
      run: p.run,
      status: w.status.name,
      state: typeof state === 'string' ? state : '',
      startedAt: w.startTime.toISOString(),
      closedAt: w.closeTime ? w.closeTime.toISOString() : null,
    });
    if (out.length >= limit) break;
  }
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}
