// What `hactl apply` keeps for health: one monitor controller per host, and the Schedule that
// takes a snapshot of the fleet every interval.
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { formatDuration } from '../core/duration';
import type { BaseConfig } from '../platform/config/load';
import type { Desired } from '../platform/reconcile/desired';
import { controller, schedule } from '../platform/reconcile/desired';
import type { healthSnapshotWorkflow } from '../../workflows/health/health-snapshot';
import type { hostMonitorWorkflow } from '../../workflows/health/host-monitor';
import type { HealthConfig } from './config';
import { HEALTH_IDS, HEALTH_KIND, HEALTH_WORKFLOWS } from './model/ids';

export type HealthSection = { health: HealthConfig | null };

export function healthDesired(config: BaseConfig & HealthSection): Desired[] {
  const out: Desired[] = [];
  for (const host of config.hosts) {
    out.push(
      controller<typeof hostMonitorWorkflow>(
        HEALTH_IDS.monitor(host.name),
        HEALTH_KIND.monitor,
        host.name,
        `health monitor of host ${host.name}`,
        HEALTH_WORKFLOWS.hostMonitor,
        { host: host.name },
      ),
    );
  }
  const h = config.health;
  if (h) {
    out.push(
      schedule<typeof healthSnapshotWorkflow>({
        id: HEALTH_IDS.healthSchedule(),
        kind: HEALTH_KIND.health,
        target: 'fleet',
        summary: `health snapshot of ${h.hosts.join(', ')} every ${formatDuration(h.intervalMs)}`,
        spec: { intervals: [{ every: h.intervalMs }] },
        workflowType: HEALTH_WORKFLOWS.healthSnapshot,
        args: [{ hosts: h.hosts, timeoutMs: h.timeoutMs }],
        // A run can never usefully outlive the next one.
        workflowExecutionTimeout: Math.max(h.intervalMs, h.timeoutMs * 3),
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      }),
    );
  }
  return out;
}
