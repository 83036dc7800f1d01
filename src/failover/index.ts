// Failover groups: a dead primary detected by a majority of observers, fenced, and a verified
// standby promoted — never two primaries, every decision explained. The group controller's
// record of the primary is the leader lock.
import type { Capability } from '../platform/capability';
import { lazy } from '../platform/capability';
import type { FailoverSection } from './desired';
import { FAILOVER_BAD_INPUT, FAILOVER_NON_RETRYABLE } from './model/failures';
import {
  FAILOVER_CONTROLLER_KINDS,
  FAILOVER_KIND,
  FAILOVER_OWNED_ID_PREFIXES,
  FAILOVER_WORKFLOWS,
} from './model/ids';
import type { parts } from './parts';

export const failover: Capability<FailoverSection> = {
  name: 'failover',
  commands: [
    {
      name: 'failover',
      summary: 'failover groups: status, switchover, forced failover, pause, history, explain',
      load: () => import('./cli/failover'),
    },
  ],
  ownedIdPrefixes: FAILOVER_OWNED_ID_PREFIXES,
  controllerKinds: FAILOVER_CONTROLLER_KINDS,
  workflowTypes: Object.values(FAILOVER_WORKFLOWS),
  failures: { nonRetryable: FAILOVER_NON_RETRYABLE, badInput: FAILOVER_BAD_INPUT },
  audit: { messages: { [FAILOVER_KIND.controller]: ['switchover', 'failover', 'pause'] } },
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- on first use, so that `hactl --version` stays light
  load: lazy(() => (require('./parts') as { parts: typeof parts }).parts),
};
