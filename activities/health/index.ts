import type { HostSnapshot } from '../../src/common/health';
import type { HealthCollector } from './collector';

export function createHealthActivities(deps: { collector: HealthCollector }) {
  return {
    /** Runs on the host's own queue: a snapshot of this machine. */
    async collectHostHealth(): Promise<HostSnapshot> {
      return deps.collector.collect();
    },
  };
}
