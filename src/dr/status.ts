// DR's part of `hactl status`: how many plans, and the runs in progress with their current step.
import type { StatusSection } from '../platform/capability';
import { listRuns } from './client';
import type { RunSummary } from './client';
import { renderDrStatus } from './cli/render';
import type { DrSection } from './desired';

export const drStatusSection: StatusSection<DrSection, { plans: number; running: RunSummary[] } | null> = {
  key: 'dr',
  async collect(client, config) {
    try {
      const runs = await client.connection.withDeadline(Date.now() + 5_000, () =>
        listRuns(client, undefined, 20),
      );
      return { plans: config?.drPlans?.length ?? 0, running: runs.filter((r) => r.status === 'RUNNING') };
    } catch {
      return null;
    }
  },
  render: renderDrStatus,
};
