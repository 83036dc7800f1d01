// The reconciler's decision: desired state + what the server has -> create / update / delete /
// unchanged. Pure, so every rule here is unit-tested without a server.
import type { Desired } from './desired';

export interface Observed {
  type: 'schedule' | 'controller';
  id: string;
  /** Marked as ours by memo. */
  managed: boolean;
  /** Config hash recorded when it was last written by apply. */
  hash?: string;
  /** Controllers only: whether a run is open. */
  running?: boolean;
  /** Schedules only: written by an older release, without its hash as a search attribute. */
  unindexed?: boolean;
}

export type Step =
  | { op: 'create'; desired: Desired }
  | { op: 'update'; desired: Desired; observed: Observed }
  | { op: 'delete'; observed: Observed }
  | { op: 'unchanged'; desired: Desired }
  | { op: 'conflict'; desired: Desired; reason: string };

export interface Plan {
  steps: Step[];
}

/** Whether `id` has one of the prefixes the reconciler owns (from the registry). */
export function isOwnedId(id: string, ownedPrefixes: readonly string[]): boolean {
  return ownedPrefixes.some((p) => id.startsWith(p));
}

const key = (type: string, id: string): string => `${type}\u0000${id}`;

export function computePlan(
  desired: readonly Desired[],
  observed: readonly Observed[],
  ownedPrefixes: readonly string[],
): Plan {
  const seen = new Map<string, Observed>();
  for (const o of observed) {
    const k = key(o.type, o.id);
    // A controller may show up twice (old closed run + new one); prefer the running one.
    const prev = seen.get(k);
    if (!prev || (o.running && !prev.running)) seen.set(k, o);
  }

  const steps: Step[] = [];
  const wanted = new Set<string>();
  for (const d of desired) {
    const k = key(d.type, d.id);
    wanted.add(k);
    const o = seen.get(k);
    if (!o || (d.type === 'controller' && !o.running)) {
      steps.push({ op: 'create', desired: d });
    } else if (!o.managed) {
      steps.push({
        op: 'conflict',
        desired: d,
        reason: `${d.type} "${d.id}" exists but was not created by hactl apply; delete or rename it, then apply again`,
      });
    } else if (o.hash === d.hash) {
      steps.push({ op: 'unchanged', desired: d });
    } else {
      steps.push({ op: 'update', desired: d, observed: o });
    }
  }
  for (const o of seen.values()) {
    if (wanted.has(key(o.type, o.id))) continue;
    // Only what we own: our ID prefix *and* our memo mark. Closed controllers need no action.
    if (!o.managed || !isOwnedId(o.id, ownedPrefixes)) continue;
    if (o.type === 'controller' && !o.running) continue;
    steps.push({ op: 'delete', observed: o });
  }
  return { steps };
}

export interface PlanSummary {
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
}

export function summarise(plan: Plan): PlanSummary {
  const s: PlanSummary = { created: [], updated: [], deleted: [], unchanged: [] };
  for (const step of plan.steps) {
    if (step.op === 'create') s.created.push(step.desired.id);
    else if (step.op === 'update') s.updated.push(step.desired.id);
    else if (step.op === 'delete') s.deleted.push(step.observed.id);
    else if (step.op === 'unchanged') s.unchanged.push(step.desired.id);
  }
  for (const list of Object.values(s)) list.sort();
  return s;
}

export function conflicts(plan: Plan): string[] {
  return plan.steps.flatMap((s) => (s.op === 'conflict' ? [s.reason] : []));
}
