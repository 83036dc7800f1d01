// Health's part of the state metrics (`hactl metrics-server`): each host's state as its monitor
// sees it. Pure.
import type { MetricFamily } from '../platform/metrics/exposition';
import type { HostStatus } from './status';

export function healthMetrics(hosts: HostStatus[] | null | undefined): MetricFamily[] {
  const all = hosts ?? [];
  return [
    {
      name: 'ha_host_up',
      help: "Whether the host's monitor sees it up (1) or down (0); absent while unknown or without a monitor.",
      type: 'gauge',
      samples: all.map((h) => ({
        labels: { host: h.host },
        value: h.state === 'up' ? 1 : h.state === 'down' ? 0 : null,
      })),
    },
    {
      name: 'ha_host_snapshot_age_seconds',
      help: "Age of the host's latest health snapshot when the state was gathered.",
      type: 'gauge',
      samples: all.map((h) => ({ labels: { host: h.host }, value: h.ageSeconds })),
    },
  ];
}
