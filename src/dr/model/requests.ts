// What people ask of a DR run — approve, reject, abort, skip, retry, pause, resume — and the
// rules that refuse a request with a reason: the same JSON comes from hactl (updates, whose
// validators use these) and from `temporal workflow signal` (refusals go to the run's log).
// Pure.
import type { Contact, PlanSpec, RunView, StepView } from './types';

export interface DecisionRequest {
  /** The step; approve and reject may leave it out when one step awaits approval. */
  step?: string;
  by: string;
  comment?: string;
}

export type DecisionVerb = 'approve' | 'reject' | 'abort' | 'skip' | 'retry' | 'pause' | 'resume';

export const DECISION_VERBS: readonly DecisionVerb[] = [
  'approve',
  'reject',
  'abort',
  'skip',
  'retry',
  'pause',
  'resume',
];

/** Names behind `names` (people, or `role:<role>` for every contact with that role), sorted. */
export function resolvePeople(names: readonly string[], contacts: readonly Contact[]): string[] {
  const out = new Set<string>();
  for (const n of names) {
    if (n.startsWith('role:')) {
      const role = n.slice(5);
      for (const c of contacts) if (c.role === role) out.add(c.name);
    } else out.add(n);
  }
  return [...out].sort();
}

/** Who may decide on a run as a whole (abort, pause, a failed step's retry or skip); empty: anyone. */
export function runDeciders(plan: PlanSpec): string[] {
  const named = resolvePeople(plan.approvers, plan.contacts);
  return named.length ? named : plan.contacts.map((c) => c.name).sort();
}

const OVER = new Set(['completed', 'failed', 'aborted']);

/** The step a request means: the one named, or the only one awaiting approval. */
export function targetStep(
  verb: DecisionVerb,
  r: DecisionRequest,
  run: RunView,
): { step: StepView } | { error: string } {
  if (r.step !== undefined) {
    if (typeof r.step !== 'string') return { error: 'step must be a string' };
    const step = run.steps.find((s) => s.name === r.step);
    if (!step)
      return {
        error: `no step "${r.step}" in plan ${run.plan} (steps: ${run.steps.map((s) => s.name).join(', ')})`,
      };
    return { step };
  }
  const waiting = run.steps.filter((s) => s.state === 'awaiting-approval' && s.approval);
  if (verb !== 'approve' && verb !== 'reject') return { error: `${verb} needs the step's name` };
  if (waiting.length === 0) return { error: `no step of ${run.workflowId} awaits approval` };
  if (waiting.length > 1)
    return { error: `several steps await approval (${waiting.map((s) => s.name).join(', ')}): name one` };
  return { step: waiting[0]! };
}

/**
 * Why `r` cannot be done now, or null. `plan` gives who may decide; `run` the current state.
 */
export function checkDecision(
  verb: DecisionVerb,
  r: DecisionRequest,
  plan: PlanSpec,
  run: RunView,
): string | null {
  if (!r || typeof r !== 'object') return `a ${verb} request is { step?, by, comment? }`;
  if (typeof r.by !== 'string' || !r.by.trim()) return 'by (who decides) must be a non-empty string';
  if (r.comment !== undefined && typeof r.comment !== 'string') return 'comment must be a string';
  if (OVER.has(run.phase)) return `${run.workflowId} is over (${run.phase}): nothing to ${verb}`;
  const deciders = runDeciders(plan);
  const mayDecide = (): string | null =>
    deciders.length && !deciders.includes(r.by)
      ? `${r.by} may not ${verb} runs of ${plan.name} (allowed: ${deciders.join(', ')})`
      : null;
  switch (verb) {
    case 'pause':
      if (run.paused) return `${run.workflowId} is paused already`;
      return mayDecide();
    case 'resume':
      if (!run.paused) return `${run.workflowId} is not paused`;
      return mayDecide();
    case 'abort':
      if (run.phase === 'aborting' || run.phase === 'compensating')
        return `${run.workflowId} is being aborted already`;
      return mayDecide();
    case 'approve':
    case 'reject': {
      const t = targetStep(verb, r, run);
      if ('error' in t) return t.error;
      const s = t.step;
      if (s.asking)
        return `step ${s.name} failed and asks: retry, skip or abort (${verb} does not answer that)`;
      if (s.state !== 'awaiting-approval' || !s.approval)
        return `step ${s.name} is not awaiting approval (it is ${s.state})`;
      // Nobody named (a plan without contacts or approvers): anyone may decide, as for aborts.
      if (s.approval.allowed.length && !s.approval.allowed.includes(r.by))
        return `${r.by} may not ${verb} step ${s.name} (approvers: ${s.approval.allowed.join(', ')})`;
      if (s.approval.approvedBy.includes(r.by)) return `${r.by} approved step ${s.name} already`;
      if (r.by === run.startedBy && !selfAllowed(plan, s.name))
        return `${r.by} started this run and may not ${verb} its steps (self-approval is off)`;
      return null;
    }
    case 'skip':
    case 'retry': {
      const t = targetStep(verb, r, run);
      if ('error' in t) return t.error;
      const s = t.step;
      if (verb === 'retry') {
        if (!s.asking) return `step ${s.name} is not waiting for a retry (it is ${s.state})`;
      } else {
        if (s.type === 'approval' || s.type === 'preconditions')
          return `${s.type === 'approval' ? 'approval step' : 'step'} ${s.name} is approved or rejected, not skipped`;
        if (!['not-started', 'executing', 'waiting', 'awaiting-approval'].includes(s.state))
          return `step ${s.name} is ${s.state}: only a step that has not finished can be skipped`;
      }
      return mayDecide();
    }
  }
}

function selfAllowed(plan: PlanSpec, step: string): boolean {
  for (const g of plan.groups)
    for (const s of g.steps)
      if (s.name === step && s.action.type === 'approval') return s.action.approvers.allowSelfApproval;
  return false; // the preconditions' approval: never by the one who started the run
}
