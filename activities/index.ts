// Activity factories. The worker builds them with real dependencies; tests inject their own.
// Workflows import only the types: `proxyActivities<HostActivities>(...)`.
import { createBackupActivities } from './backup';
import { createHealthCollector } from './health/collector';
import { createHealthActivities } from './health';

export interface HostActivityDeps {
  host: string;
}

/** Activities that must run on the host they concern (task queue ha-host-<host>). */
export function createHostActivities(deps: HostActivityDeps) {
  const collector = createHealthCollector({ host: deps.host });
  return {
    activities: {
      ...createHealthActivities({ collector }),
      ...createBackupActivities({ host: deps.host }),
    },
    /** Work to do once at worker start (first CPU/network sample). */
    prime: () => collector.prime(),
  };
}

/** Activities that may run on any host (task queue ha-orchestrator). */
export function createSharedActivities() {
  return {};
}

export type HostActivities = ReturnType<typeof createHostActivities>['activities'];
export type SharedActivities = ReturnType<typeof createSharedActivities>;
