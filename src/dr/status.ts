// DR's part of `hactl status`: how many plans, the runs in progress with their current step, and
// per plan its runs by outcome and the recovery time its latest recovered run achieved.
import type { Client } from '@temporalio/client';
import type { StatusSection } from '../platform/capability';
import { mapLimit, SERVER_CONCURRENCY } from '../platform/concurrency';
import { listRuns } from './client';
import type { RunSummary } from './client';
import { renderDrStatus } from './cli/render';
import type { DrSection } from './desired';
import { drMetrics } from './metrics';
import type { RunReport } from './model/report';

/** Runs of one plan as Temporal still keeps them (the namespace's retention). */
export interface PlanRuns {
  plan: string;
  rtoTargetSeconds: number | null;
  /** By outcome: running, completed, aborted, failed (the run's own verdicts), or how the workflow ended otherwise. */
  outcomes: Record<string, number>;
  /** The latest run that recovered (outcome completed), and the RTO it achieved. */
  lastRecovered: { workflowId: string; endedAt: string; rtoSeconds: number | null } | null;
}

export interface DrStatus {
  plans: number;
  running: RunSummary[];
  byPlan?: PlanRuns[];
}

/** Runs listed at most per collection: a plan has a few runs a year, drills a few a month. */
const MAX_RUNS = 5_000;

/** What a run came to: its own verdict (HaState) when it ended by itself, else how it was ended. */
export function runOutcome(r: Pick<RunSummary, 'status' | 'state'>): string {
  switch (r.status) {
    case 'RUNNING':
      return 'running';
    case 'COMPLETED':
      return ['completed', 'aborted', 'failed'].includes(r.state) ? r.state : 'completed';
    case 'FAILED':
      return 'error';
    default:
      return r.status.toLowerCase();
  }
}

async function planRuns(
  client: Client,
  plans: ReadonlyArray<{ name: string; rtoMs: number | null }>,
  runs: RunSummary[],
): Promise<PlanRuns[]> {
  return mapLimit(plans, SERVER_CONCURRENCY, async (p): Promise<PlanRuns> => {
    const mine = runs.filter((r) => r.plan === p.name).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    const outcomes: Record<string, number> = { running: 0, completed: 0, aborted: 0, failed: 0 };
    for (const r of mine) {
      const o = runOutcome(r);
      outcomes[o] = (outcomes[o] ?? 0) + 1;
    }
    // Newest first: the first that recovered is the latest.
    const last = mine.find((r) => runOutcome(r) === 'completed' && r.closedAt);
    let lastRecovered: PlanRuns['lastRecovered'] = null;
    if (last) {
      const report = (await client.workflow.getHandle(last.workflowId).result()) as RunReport;
      lastRecovered = {
        workflowId: last.workflowId,
        endedAt: report.endedAt ?? last.closedAt!,
        rtoSeconds: report.rto.achievedMs === null ? null : report.rto.achievedMs / 1000,
      };
    }
    return {
      plan: p.name,
      rtoTargetSeconds: p.rtoMs === null ? null : p.rtoMs / 1000,
      outcomes,
      lastRecovered,
    };
  });
}

export const drStatusSection: StatusSection<DrSection, DrStatus | null> = {
  key: 'dr',
  async collect(client, config) {
    try {
      return await client.connection.withDeadline(Date.now() + 10_000, async () => {
        const runs = await listRuns(client, undefined, MAX_RUNS);
        const plans = config?.drPlans ?? [];
        return {
          plans: plans.length,
          running: runs.filter((r) => r.status === 'RUNNING'),
          byPlan: await planRuns(client, plans, runs),
        };
      });
    } catch {
      return null;
    }
  },
  render: renderDrStatus,
  metrics: drMetrics,
};
