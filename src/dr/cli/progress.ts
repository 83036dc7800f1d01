// What `hactl dr run --wait` shows while it waits: the run's phase, how many steps are done,
// and for each active step what it waits for (an approval and from whom, a timer, a probe and
// what it last saw, a person's answer after a failure). Pure, but for `drProgress`.
import type { Client } from '@temporalio/client';
import { probeName } from '../../core/probe';
import type { PendingActivity, ProgressUpdate } from '../../platform/cli/progress-watch';
import { pendingActivities } from '../../platform/cli/progress-watch';
import { formatEta, NO_PAINT } from '../../platform/cli/progress';
import type { Paint } from '../../platform/cli/progress';
import { runState } from '../client';
import type { PlanSpec, RunView, StepAction, StepView } from '../model/types';
import { FINISHED_STATES } from '../model/types';

const ACTIVE = ['executing', 'waiting', 'awaiting-approval', 'compensating'];

/** The action a step runs in this run (a drill may replace it). */
function actionOf(plan: PlanSpec | undefined, step: string, drill: boolean): StepAction | undefined {
  const spec = plan?.groups.flatMap((g) => g.steps).find((s) => s.name === step);
  if (!spec) return undefined;
  return drill && typeof spec.drill === 'object' ? spec.drill : spec.action;
}

/** What an active step is waiting for, in a few words. */
export function waitsFor(
  s: StepView,
  action: StepAction | undefined,
  last: string | undefined,
  now: number,
): string {
  const since = s.startedAt ? now - Date.parse(s.startedAt) : 0;
  if (s.state === 'awaiting-approval' && s.approval) {
    const who = s.approval.allowed.join(', ') || 'anyone';
    if (s.asking) return `failed; waits for retry, skip or abort from ${who}`;
    return `waits for approval from ${who} (${s.approval.approvedBy.length}/${s.approval.needed})`;
  }
  if (s.state === 'compensating') return 'undoing';
  const seen = last ? `; last: ${last}` : '';
  switch (action?.type) {
    case 'wait':
      if (action.until) return `waits for ${probeName(action.until)} from ${action.from}${seen}`;
      if (action.durationMs !== null)
        return `waits ${formatEta(action.durationMs)} (${formatEta(Math.max(0, action.durationMs - since))} left)`;
      break;
    case 'service':
      return `${action.action} of ${action.service}${seen}`;
    case 'restore':
      return `restore of ${action.set}${seen}`;
    case 'backup':
    case 'verify-backup':
      return `${action.type} of ${action.set}${seen}`;
    case 'failover':
      return `failover of ${action.group}${seen}`;
    case 'command':
      return `command on ${action.host}${seen}`;
  }
  return `${s.type}${seen}`;
}

/** The latest `last` a step's activity heartbeated (its `where` names the step). */
function lastSeen(pending: readonly PendingActivity[], plan: string, step: string): string | undefined {
  for (const a of pending) {
    const d = a.details as { last?: unknown; where?: unknown; restore?: unknown } | undefined;
    if (!d || typeof d !== 'object') continue;
    if (d.where !== `step ${step} of ${plan}`) continue;
    if (typeof d.last === 'string') return d.last.slice(0, 160);
  }
  return undefined;
}

/** `running 2/5 steps  approve: waits for approval from ann (0/1)  12s`. */
export function drUpdate(
  v: RunView,
  plan: PlanSpec | undefined,
  pending: readonly PendingActivity[],
  paint: Paint = NO_PAINT,
  now = Date.now(),
): ProgressUpdate {
  const done = v.steps.filter((s) => s.type !== 'preconditions' && FINISHED_STATES.includes(s.state));
  const total = v.steps.filter((s) => s.type !== 'preconditions').length;
  const active = v.steps.filter((s) => ACTIVE.includes(s.state));
  const head = `${v.phase}${v.paused ? ' (paused: hactl dr resume)' : ''}  ${done.length}/${total} steps`;
  const parts = active.map((s) => {
    const w = waitsFor(s, actionOf(plan, s.name, v.drill), lastSeen(pending, v.plan, s.name), now);
    const took = s.startedAt ? `  ${formatEta(now - Date.parse(s.startedAt))}` : '';
    return `${paint.label(s.name)}: ${s.state === 'awaiting-approval' ? paint.warn(w) : w}${took}`;
  });
  return {
    line: [head, ...parts].join('  |  '),
    key: `${v.phase}:${v.paused}:${active.map((s) => `${s.name}=${s.state}`).join(',')}`,
  };
}

/** Polls the run's state and its pending activities (for followProgress). */
export function drProgress(client: Client, workflowId: string, plan: PlanSpec | undefined) {
  return async (paint: Paint): Promise<ProgressUpdate | null> => {
    const [v, pending] = await Promise.all([
      runState(client, workflowId),
      pendingActivities(client, workflowId).catch(() => []),
    ]);
    return drUpdate(v, plan, pending, paint);
  };
}
