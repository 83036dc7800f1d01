// A run's input from the config: the plan, and what its steps need of other capabilities (the
// backup sets' specs and what a restore on their hosts must not replace, the failover groups'
// node priorities), so that the run depends on nothing but its input.
import { restoreProtection } from '../backup/client';
import type { DrConfig } from './desired';
import type { DrRunInput, PlanSpec } from './model/types';

export function planSets(plan: PlanSpec): string[] {
  const names = new Set(plan.critical.backupSets);
  for (const g of plan.groups)
    for (const s of g.steps)
      for (const a of [s.action, s.compensate, typeof s.drill === 'object' ? s.drill : null])
        if (a && (a.type === 'restore' || a.type === 'backup' || a.type === 'verify-backup'))
          names.add(a.set);
  return [...names].sort();
}

export function runInput(
  config: DrConfig,
  plan: PlanSpec,
  opts: { drill: boolean; startedBy: string; incidentAt?: string },
): DrRunInput {
  const sets: DrRunInput['sets'] = {};
  for (const name of planSets(plan)) {
    const b = (config.backups ?? []).find((x) => x.spec.set === name);
    if (!b) continue; // the config check reports it
    const host = b.spec.host;
    sets[name] = {
      spec: b.spec,
      protect: restoreProtection({ ...config, backups: config.backups ?? [] }, host),
    };
  }
  const groups: DrRunInput['groups'] = {};
  for (const g of config.failover ?? [])
    groups[g.name] = g.nodes.map((n) => ({ name: n.name, priority: n.priority, nofailover: n.nofailover }));
  return {
    plan,
    sets,
    groups,
    drill: opts.drill,
    startedBy: opts.startedBy,
    ...(opts.incidentAt ? { incidentAt: opts.incidentAt } : {}),
  };
}
