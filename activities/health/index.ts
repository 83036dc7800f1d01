// Health activities: a snapshot of the host they run on (task queue ha-host-<host>).
import { Context } from '@temporalio/activity';
import type { HostReport, HostSnapshot } from '../../src/health/model/types';
import { hostReportSignal } from '../../workflows/health/messages';
import type { ActivityModule } from '../../src/platform/capability';
import { createHealthCollector } from './collector';
import { TEST_METRICS_ENV } from './test-metrics';
import type { HealthCollector } from './collector';

export function createHealthActivities(deps: { collector: HealthCollector }) {
  return {
    /** Runs on the host's own queue: a snapshot of this machine. */
    async collectHostHealth(): Promise<HostSnapshot> {
      return deps.collector.collect();
    },
    /**
     * The same, and the report sent straight to the host's monitor: fifty hosts' reports go out
     * at once from fifty workers, instead of one after the other from the snapshot workflow.
     * Whether it got there is in the result; the workflow sends what did not.
     */
    async collectAndReport(input: {
      monitor: string;
    }): Promise<{ snapshot: HostSnapshot; reported: boolean }> {
      const snapshot = await deps.collector.collect();
      const report: HostReport = { host: snapshot.host, ok: true, at: snapshot.collectedAt, snapshot };
      try {
        await Context.current().client.workflow.getHandle(input.monitor).signal(hostReportSignal, report);
        return { snapshot, reported: true };
      } catch {
        return { snapshot, reported: false };
      }
    },
  };
}

export type HealthActivities = ReturnType<typeof createHealthActivities>;

/** What the worker registers; `prime` takes the first CPU and network sample at start. */
export const activityModule: ActivityModule = {
  host: (deps) => {
    const testMetricsFile = deps.env[TEST_METRICS_ENV];
    if (testMetricsFile) {
      console.error(
        `WARNING: ${TEST_METRICS_ENV} is set: host metrics of ${deps.host} come partly from ${testMetricsFile} (tests only)`,
      );
    }
    const collector = createHealthCollector({
      host: deps.host,
      ...(testMetricsFile ? { testMetricsFile } : {}),
    });
    return { activities: createHealthActivities({ collector }), prime: () => collector.prime() };
  },
};
