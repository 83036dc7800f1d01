// Health activities: a snapshot of the host they run on (task queue ha-host-<host>).
import type { HostSnapshot } from '../../src/health/model/types';
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
