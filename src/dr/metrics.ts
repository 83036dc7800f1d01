// DR's part of the state metrics (`hactl metrics-server`): runs by outcome and the RTO achieved
// per plan, from its `hactl status` data. Pure.
import type { MetricFamily } from '../platform/metrics/exposition';
import { epochSeconds } from '../platform/metrics/exposition';
import type { DrStatus, PlanRuns } from './status';

export function drMetrics(d: DrStatus | null | undefined): MetricFamily[] {
  const plans = d?.byPlan ?? [];
  const per = (value: (p: PlanRuns) => number | null) =>
    plans.map((p) => ({ labels: { plan: p.plan }, value: value(p) }));
  return [
    {
      name: 'ha_dr_runs',
      help: "DR runs and drills of the plan that Temporal keeps (its namespace's retention), by outcome: running, completed (recovered), aborted, failed, or error/terminated/cancelled/timed_out when the workflow itself ended so.",
      type: 'gauge',
      samples: plans.flatMap((p) =>
        Object.entries(p.outcomes).map(([outcome, value]) => ({ labels: { plan: p.plan, outcome }, value })),
      ),
    },
    {
      name: 'ha_dr_last_rto_seconds',
      help: 'Recovery time the latest recovered run (or drill) of the plan achieved: from the incident to its last critical step.',
      type: 'gauge',
      samples: per((p) => p.lastRecovered?.rtoSeconds ?? null),
    },
    {
      name: 'ha_dr_last_recovery_timestamp_seconds',
      help: 'When the latest recovered run (or drill) of the plan ended, seconds since the epoch.',
      type: 'gauge',
      samples: per((p) => epochSeconds(p.lastRecovered?.endedAt)),
    },
    {
      name: 'ha_dr_rto_target_seconds',
      help: "The plan's RTO target from the config (absent when it has none).",
      type: 'gauge',
      samples: per((p) => p.rtoTargetSeconds),
    },
  ];
}
