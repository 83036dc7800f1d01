// What `hactl apply` keeps for services: one redundancy:<service> controller each.
import type { BaseConfig } from '../platform/config/load';
import type { Desired } from '../platform/reconcile/desired';
import { controller } from '../platform/reconcile/desired';
import type { redundancyWorkflow } from '../../workflows/redundancy/controller';
import type { ServiceConfig } from './config';
import { REDUNDANCY_IDS, REDUNDANCY_KIND, REDUNDANCY_WORKFLOWS } from './model/ids';

export type RedundancySection = { services: ServiceConfig[] };

export function redundancyDesired(config: BaseConfig & RedundancySection): Desired[] {
  const maintenance = config.hosts.filter((h) => h.maintenance).map((h) => h.name);
  return (config.services ?? []).map((s) =>
    controller<typeof redundancyWorkflow>(
      REDUNDANCY_IDS.controller(s.spec.name),
      REDUNDANCY_KIND.controller,
      s.spec.name,
      `${s.spec.minInstances} instance(s) of ${s.spec.name} on ${s.spec.hosts.join(', ')}`,
      REDUNDANCY_WORKFLOWS.controller,
      { spec: s.spec, maintenance: maintenance.filter((h) => s.spec.hosts.includes(h)) },
    ),
  );
}
