// What `hactl apply` keeps for failover: one failover:<group> controller each.
import type { BaseConfig } from '../platform/config/load';
import type { Desired } from '../platform/reconcile/desired';
import { controller } from '../platform/reconcile/desired';
import type { failoverGroupWorkflow } from '../../workflows/failover/group';
import { FAILOVER_IDS, FAILOVER_KIND, FAILOVER_WORKFLOWS } from './model/ids';
import type { GroupSpec } from './model/types';

export type FailoverSection = { failover: GroupSpec[] };

export function failoverDesired(config: BaseConfig & FailoverSection): Desired[] {
  return (config.failover ?? []).map((g) =>
    controller<typeof failoverGroupWorkflow>(
      FAILOVER_IDS.controller(g.name),
      FAILOVER_KIND.controller,
      g.name,
      `failover group ${g.name}: ${g.nodes.map((n) => n.name).join(', ')} (${g.mode})`,
      FAILOVER_WORKFLOWS.controller,
      { spec: g },
    ),
  );
}
