// Failover's part of the state metrics (`hactl metrics-server`), from its `hactl status` data
// (each group controller's view). Pure.
import type { MetricFamily, Sample } from '../platform/metrics/exposition';
import { epochSeconds } from '../platform/metrics/exposition';
import type { GroupView } from './model/types';
import { PRIMARY_CHANGE_KINDS } from './model/types';

const STATES: readonly GroupView['state'][] = [
  'healthy',
  'failing-over',
  'paused',
  'split-brain',
  'waiting',
  'no-primary',
];

export function failoverMetrics(groups: GroupView[] | null | undefined): MetricFamily[] {
  const all = groups ?? [];
  const each = (fn: (g: GroupView) => Sample[]): Sample[] => all.flatMap(fn);
  return [
    {
      name: 'ha_failover_primary',
      help: 'Per node of a failover group: 1 for the current primary, 0 for the others (all 0: no primary).',
      type: 'gauge',
      samples: each((g) =>
        g.nodes.map((n) => ({ labels: { group: g.group, node: n.name }, value: n.name === g.primary })),
      ),
    },
    {
      name: 'ha_failover_node_up',
      help: 'Per node of a failover group: 1 when a majority of observers see it healthy, 0 when a majority see it failing (absent while disputed or unknown).',
      type: 'gauge',
      samples: each((g) =>
        g.nodes.map((n) => ({
          labels: { group: g.group, node: n.name },
          value: n.health === 'up' ? 1 : n.health === 'dead' ? 0 : null,
        })),
      ),
    },
    {
      name: 'ha_failover_group_state',
      help: "The group's state: 1 for the current one of healthy, failing-over, paused, split-brain, waiting (for a person or a target), no-primary.",
      type: 'gauge',
      samples: each((g) =>
        STATES.map((s) => ({ labels: { group: g.group, state: s }, value: g.state === s })),
      ),
    },
    {
      name: 'ha_failover_failovers_total',
      help: 'Changes of primary since the group controller started, by kind: failover (automatic), switchover (planned), forced (by hand).',
      type: 'counter',
      samples: each((g) =>
        g.primaryChanges
          ? PRIMARY_CHANGE_KINDS.map((k) => ({
              labels: { group: g.group, kind: k },
              value: g.primaryChanges![k],
            }))
          : [],
      ),
    },
    {
      name: 'ha_failover_last_failover_duration_seconds',
      help: 'How long the latest change of primary of the group took, from detection (or request) to repointed.',
      type: 'gauge',
      samples: each((g) => {
        const t = g.lastPrimaryChange?.timings.total;
        return [{ labels: { group: g.group }, value: t === undefined ? null : t / 1000 }];
      }),
    },
    {
      name: 'ha_failover_last_failover_timestamp_seconds',
      help: 'When the latest change of primary of the group happened, seconds since the epoch.',
      type: 'gauge',
      samples: each((g) => [{ labels: { group: g.group }, value: epochSeconds(g.lastPrimaryChange?.at) }]),
    },
  ];
}
