// What `hactl apply` keeps for DR: a Schedule per plan with a drill schedule. Runs themselves are
// started by people (hactl dr run) or by these schedules, never kept running by apply.
import { ScheduleOverlapPolicy } from '@temporalio/client';
import type { BaseConfig } from '../platform/config/load';
import type { DesiredSchedule } from '../platform/reconcile/desired';
import { describeSchedule, schedule, scheduleSpec } from '../platform/reconcile/desired';
import type { BackupSection } from '../backup/desired';
import type { FailoverSection } from '../failover/desired';
import type { drPlanWorkflow } from '../../workflows/dr/plan';
import { DR_IDS, DR_KIND, DR_WORKFLOWS } from './model/ids';
import type { DrRunInput, PlanSpec } from './model/types';
import { runInput } from './input';

export type DrSection = { drPlans: PlanSpec[] };
export type DrConfig = BaseConfig & DrSection & Partial<BackupSection> & Partial<FailoverSection>;

export function drDesired(config: BaseConfig & DrSection): DesiredSchedule[] {
  const c = config as DrConfig;
  return (c.drPlans ?? [])
    .filter((p) => p.drillSchedule)
    .map((p) => {
      const input: DrRunInput = runInput(c, p, { drill: true, startedBy: 'schedule' });
      return schedule<typeof drPlanWorkflow>({
        id: DR_IDS.drillSchedule(p.name),
        kind: DR_KIND.drillSchedule,
        target: p.name,
        summary: `DR drill of ${p.name}, ${describeSchedule(p.drillSchedule!, 'UTC')}`,
        spec: scheduleSpec(p.drillSchedule!, 'UTC', null),
        workflowType: DR_WORKFLOWS.run,
        args: [input],
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 3_600_000 },
        workflowId: DR_IDS.run(p.name, 'drill'),
        workflowKind: DR_KIND.run,
      });
    });
}
