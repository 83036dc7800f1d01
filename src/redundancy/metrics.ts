// Services' part of the state metrics (`hactl metrics-server`), from each service controller's
// view. Pure.
import type { MetricFamily } from '../platform/metrics/exposition';
import type { ServiceView } from './model/types';

export function redundancyMetrics(services: ServiceView[] | null | undefined): MetricFamily[] {
  const all = services ?? [];
  const per = (value: (s: ServiceView) => number | boolean) =>
    all.map((s) => ({ labels: { service: s.service }, value: value(s) }));
  return [
    {
      name: 'ha_service_desired_instances',
      help: 'Instances the service should have (its minInstances, or what hactl service scale set).',
      type: 'gauge',
      samples: per((s) => s.desired),
    },
    {
      name: 'ha_service_healthy_instances',
      help: 'Instances of the service whose probes pass.',
      type: 'gauge',
      samples: per((s) => s.healthy),
    },
    {
      name: 'ha_service_instances',
      help: 'Instances of the service the controller keeps, in any state.',
      type: 'gauge',
      samples: per((s) => s.instances.length),
    },
    {
      name: 'ha_service_paused',
      help: 'Whether the service controller is paused.',
      type: 'gauge',
      samples: per((s) => s.paused),
    },
  ];
}
