// Service redundancy: keep N healthy instances of every service across the fleet — probes
// decide health, restarts in place, moves to the least-loaded host, alerts, and never giving up
// unless told to; every action recorded with its reason.
import type { Capability } from '../platform/capability';
import { lazy } from '../platform/capability';
import type { RedundancySection } from './desired';
import { REDUNDANCY_BAD_INPUT, REDUNDANCY_NON_RETRYABLE } from './model/failures';
import {
  REDUNDANCY_CONTROLLER_KINDS,
  REDUNDANCY_KIND,
  REDUNDANCY_OWNED_ID_PREFIXES,
  REDUNDANCY_WORKFLOWS,
} from './model/ids';
import type { parts } from './parts';

export const redundancy: Capability<RedundancySection> = {
  name: 'redundancy',
  commands: [
    { name: 'services', summary: 'every service and its instances', load: () => import('./cli/services') },
    {
      name: 'service',
      summary: 'restart, scale, pause or resume a service; its history',
      load: () => import('./cli/service'),
    },
  ],
  ownedIdPrefixes: REDUNDANCY_OWNED_ID_PREFIXES,
  controllerKinds: REDUNDANCY_CONTROLLER_KINDS,
  workflowTypes: Object.values(REDUNDANCY_WORKFLOWS),
  failures: { nonRetryable: REDUNDANCY_NON_RETRYABLE, badInput: REDUNDANCY_BAD_INPUT },
  audit: { messages: { [REDUNDANCY_KIND.controller]: ['restart', 'scale', 'pause'] } },
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- on first use, so that `hactl --version` stays light
  load: lazy(() => (require('./parts') as { parts: typeof parts }).parts),
};
