// Health: a snapshot of every host on a schedule, and a monitor per host that says up or down.
// This descriptor is all the registry loads; the rest comes with `load()`.
import type { Capability } from '../platform/capability';
import { lazy } from '../platform/capability';
import type { parts } from './parts';
import type { HealthSection } from './desired';
import { HEALTH_FAILURES } from './model/failures';
import { HEALTH_CONTROLLER_KINDS, HEALTH_OWNED_ID_PREFIXES, HEALTH_WORKFLOWS } from './model/ids';

export const health: Capability<HealthSection> = {
  name: 'health',
  commands: [],
  ownedIdPrefixes: HEALTH_OWNED_ID_PREFIXES,
  controllerKinds: HEALTH_CONTROLLER_KINDS,
  workflowTypes: Object.values(HEALTH_WORKFLOWS),
  failures: { nonRetryable: [HEALTH_FAILURES.badInput], badInput: [HEALTH_FAILURES.badInput] },
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- on first use, so that `hactl --version` stays light
  load: lazy(() => (require('./parts') as { parts: typeof parts }).parts),
};
